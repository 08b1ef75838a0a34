"""The command line (DESIGN.md section 6): ``python -m salescore COMMAND ...``.

Exit 0 on success; on bad input exit 2 with one clear line on stderr and the database
unchanged. JSON goes to stdout.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from salescore import files
from salescore.errors import SalesCoreError
from salescore.cli.common import BENCH_DIR, iso_date, db_arg
from salescore.cli.data import cmd_backup, cmd_demo, cmd_import, cmd_restore, cmd_user
from salescore.cli.figures import cmd_acks, cmd_bench, cmd_deck, cmd_metrics, cmd_payouts, cmd_serve
from salescore.cli.time import (cmd_assign, cmd_close, cmd_disputes, cmd_forecast, cmd_history, cmd_move,
                                cmd_relief, cmd_reopen)

__all__ = ["BENCH_DIR", "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2 (DESIGN §6)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.removeprefix("python -m salescore").strip()
        hint = f"python -m salescore {command} --help" if command else "python -m salescore --help"
        self.exit(2, f"error: {message} (see {hint})\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m salescore",
                                     description="salescore: a sales-performance workbench.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("demo", help="load the deterministic demo data (replaces business data)")
    db_arg(p)
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="names and labels language")
    p.add_argument("--if-missing", action="store_true",
                   help="only when the database file does not exist yet (used by make run)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("import", help="import spreadsheets (csv, tsv, txt, xlsx, xls, ods)")
    p.add_argument("files", nargs="+", metavar="FILE")
    db_arg(p)
    p.add_argument("--kind", choices=["deals", "reps", "customers", "products", "targets",
                                      "activities", "satisfaction", "trainings", "payments",
                                      "credits", "fx"],
                   help="what the file holds (default: detected from its columns)")
    p.add_argument("--sheet", help="the sheet to read (default: the first that fits)")
    p.add_argument("--year", type=int, help="the year of a wide 1月..12月 target sheet")
    dates = p.add_mutually_exclusive_group()
    dates.add_argument("--dayfirst", action="store_true", help="read 03/05 as 3 May")
    dates.add_argument("--monthfirst", action="store_true", help="read 03/05 as March 5")
    p.add_argument("--dry-run", action="store_true", help="print the validation report, store nothing")
    p.add_argument("--skip-bad-rows", action="store_true",
                   help="import the good rows of a file that has rejected rows")
    p.add_argument("--currency", metavar="CODE",
                   help="the currency of amounts that show none (CNY, USD, EUR ...); "
                        "default: stored without a currency")
    p.add_argument("--as-of", type=iso_date, metavar="DATE",
                   help="the day the export was taken, YYYY-MM-DD (deal history); default: "
                        "a date in the file name or title row, else today")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("history", help="pipeline movement between two days (start, created, "
                                       "pulled in, increased, decreased, pushed out, lost, won, end)")
    db_arg(p)
    p.add_argument("--from", dest="start", type=iso_date,
                   help="first day, YYYY-MM-DD (default: the export before --to)")
    p.add_argument("--to", dest="end", type=iso_date,
                   help="last day, YYYY-MM-DD (default: the last export imported)")
    p.add_argument("--period", help="only deals expected to close in this month, quarter or "
                                    "year (2026-11, 2026-Q4, 2026); moves in and out of it count")
    p.add_argument("--team", help="only this team")
    p.add_argument("--rep", help="only this sales rep (name)")
    p.add_argument("--list", action="store_true", help="also list the deals of each bucket")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("metrics", help="key metrics (DESIGN section 4); no dates = all data")
    db_arg(p)
    p.add_argument("--from", dest="start", type=iso_date, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=iso_date, help="last day, YYYY-MM-DD")
    p.add_argument("--team", help="only this team")
    p.add_argument("--rep", help="only this sales rep (name)")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("backup", help="write the whole database to one zip file")
    p.add_argument("--out", required=True, type=Path, help="the backup file to write (.zip)")
    db_arg(p)
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="replace the whole database with a backup zip "
                                       "(users and sign-in settings are kept)")
    p.add_argument("file", type=Path, metavar="FILE.zip")
    db_arg(p)
    p.add_argument("--with-users", action="store_true",
                   help="also replace the users and sign-in settings with the backup's "
                        "(their passwords of then; the differences are printed first)")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("user", help="users and roles for shared use (sign-in)")
    users = p.add_subparsers(dest="action", required=True)
    q = users.add_parser("add", help="add a user; the password is read from stdin (or asked); "
                                     "the first user must be an admin with a password")
    q.add_argument("name", help="sign-in name; for a rep, the rep's name or ID")
    q.add_argument("--role", required=True, choices=["admin", "manager", "rep", "viewer"])
    q.add_argument("--team", help="the manager's team (required for --role manager)")
    q.add_argument("--sso-email", metavar="E", help="signs in with single sign-on (OIDC) as this "
                                                    "verified e-mail address, no password")
    db_arg(q)
    q = users.add_parser("passwd", help="set a user's password (read from stdin, or asked)")
    q.add_argument("name")
    db_arg(q)
    q = users.add_parser("remove", help="delete a user")
    q.add_argument("name")
    db_arg(q)
    q = users.add_parser("list", help="list users and roles (never the passwords)")
    q.add_argument("--json", action="store_true", help="print JSON to stdout")
    db_arg(q)
    p.set_defaults(func=cmd_user)

    # Streamlit's own options (--server.headless true ...) are whatever argparse does not know:
    # main() hands them on (an argparse.REMAINDER positional refuses a first "--option")
    p = sub.add_parser("serve", help="start the app (what make run does)",
                       usage="python -m salescore serve [--db DB] [--address ADDRESS] [--port PORT] "
                             "[STREAMLIT OPTIONS ...]",
                       epilog="Further options are passed to streamlit, e.g. --server.headless true")
    db_arg(p)
    p.add_argument("--address", default="127.0.0.1",
                   help="listen address (default 127.0.0.1: this computer only)")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=cmd_serve, streamlit_args=[])

    p = sub.add_parser("payouts", help="incentive payouts per rep for a plan (DESIGN section 5)")
    p.add_argument("--plan", required=True, type=Path, help="the plan, as DESIGN section 5 JSON")
    db_arg(p)
    p.add_argument("--period", required=True, help="the pay period: 2026-07, 2026-Q3 or 2026")
    p.add_argument("--team", help="only this team")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.set_defaults(func=cmd_payouts)

    p = sub.add_parser("acks", help="who a plan version was published to and who acknowledged it "
                                    "(DESIGN section 10)")
    p.add_argument("plan_id", help="the saved plan's id")
    db_arg(p)
    p.add_argument("--version", type=int, help="the version (default: the latest)")
    p.add_argument("--publish", action="store_true", help="publish it to every active rep first")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.set_defaults(func=cmd_acks)

    p = sub.add_parser("forecast", help="forecast categories rolled up rep -> team -> company, and "
                                        "the accuracy of past submissions (DESIGN section 8)")
    db_arg(p)
    p.add_argument("--period", help="the period (default: the quarter of the data's last day)")
    p.add_argument("--as-of", dest="as_of", type=iso_date, help="the day seen (default: the data's last day)")
    p.add_argument("--team", help="only this team")
    p.add_argument("--submit", action="store_true", help="store the roll-up as a forecast submission")
    p.add_argument("--note", help="a note for the submission")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.set_defaults(func=cmd_forecast)

    p = sub.add_parser("close", help="close a pay period: store every rep's statement and lock it "
                                     "(DESIGN section 8)")
    p.add_argument("period", nargs="?", help="the pay period: 2026-07, 2026-Q3 or 2026")
    db_arg(p)
    p.add_argument("--plan-id", help="the saved plan (default: the plan in force on the period's last day)")
    p.add_argument("--list", action="store_true", help="list the closed periods")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.set_defaults(func=cmd_close)

    p = sub.add_parser("reopen", help="reopen the latest closed pay period (written to the audit log)")
    p.add_argument("period", help="the closed pay period")
    db_arg(p)
    p.add_argument("--reason", help="why (kept in the audit log)")
    p.set_defaults(func=cmd_reopen)

    p = sub.add_parser("disputes", help="the statement lines reps question, and the manager's answers "
                                        "(DESIGN section 10)")
    db_arg(p)
    p.add_argument("--status", choices=["open", "accepted", "changed", "rejected"], help="only these")
    p.add_argument("--rep", help="only this rep (rep_id)")
    p.add_argument("--answer", nargs=2, metavar=("NUMBER", "ACTION"),
                   help="answer a dispute: NUMBER accept | change | reject")
    p.add_argument("--amount", type=float, help="with change: what the line should pay")
    p.add_argument("--reply", help="the reply the rep reads (needed to change or reject)")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.set_defaults(func=cmd_disputes)

    p = sub.add_parser("relief", help="quota relief entries: a rep's quota lowered for some days, with "
                                      "the reason (DESIGN section 10)")
    db_arg(p)
    p.add_argument("--rep", help="add an entry for this rep (name)")
    p.add_argument("--from", dest="start", type=iso_date, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=iso_date, help="last day, YYYY-MM-DD")
    p.add_argument("--share", type=float, default=1.0, help="share of the quota taken away (default 1 = all)")
    p.add_argument("--reason", help="why (leave, territory change ...)")
    p.add_argument("--remove", type=int, metavar="NUMBER", help="take an entry back")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.set_defaults(func=cmd_relief)

    p = sub.add_parser("assign", help="plan assignments: which plan pays a rep from which day (DESIGN "
                                      "section 10; a plan without any pays every rep)")
    db_arg(p)
    p.add_argument("--rep", help="assign this rep (name)")
    p.add_argument("--plan", help="to this saved plan (id or name)")
    p.add_argument("--from", dest="start", type=iso_date, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=iso_date, help="last day, YYYY-MM-DD (default: open)")
    p.add_argument("--remove", type=int, metavar="NUMBER", help="take an assignment back")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.set_defaults(func=cmd_assign)

    p = sub.add_parser("move", help="team moves: a rep in another team (and under another manager) "
                                    "from a day (DESIGN section 10)")
    db_arg(p)
    p.add_argument("--rep", help="the rep who moves (name)")
    p.add_argument("--team", help="the team they move to")
    p.add_argument("--manager", help="their manager from that day (default: as before)")
    p.add_argument("--from", dest="start", type=iso_date, help="the day the move takes effect, YYYY-MM-DD")
    p.add_argument("--remove", type=int, metavar="NUMBER", help="take a rep's latest move back")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.set_defaults(func=cmd_move)

    p = sub.add_parser("deck", help="the team-meeting slides as a PowerPoint file (PPTX)")
    db_arg(p)
    p.add_argument("--period", help="2026-07, 2026-Q3 or 2026 (default: the latest complete month)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the slides")
    p.add_argument("--out", required=True, type=Path, help="the deck to write (.pptx)")
    p.add_argument("--team", help="only this team")
    p.add_argument("--anonymize", action="store_true", help="sales reps as initials (all-hands meeting)")
    p.add_argument("--rep-safe", action="store_true",
                   help="leave out the manager-only slides (retention watch-list, individual payouts)")
    p.set_defaults(func=cmd_deck)

    p = sub.add_parser("bench", help="synthetic load, prints timings of the heavy calls")
    p.add_argument("--rows", type=int, default=100_000, help="synthetic deals (default 100000)")
    p.add_argument("--repeat", type=int, default=5, help="runs per call (median reported)")
    p.add_argument("--skip-import", action="store_true", help="leave out the import benchmark")
    p.add_argument("--skip-pages", action="store_true",
                   help="leave out the per-page AppTest figures and metrics --json vs bare DuckDB")
    p.add_argument("--growth", action="store_true",
                   help="also the per-page figures at 10k, 100k and --rows deals (cost growth)")
    p.add_argument("--postgres", metavar="URL", default=None,
                   help="instead: the metrics and Incentives calls on DuckDB and on the (empty) "
                        "PostgreSQL database at URL, side by side")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    files.keep_private()   # the database, its WAL, backups and decks: 0600 (README "Security")
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.func is not cmd_serve:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if unknown:
        args.streamlit_args = unknown   # serve: Streamlit's options, in the order given
    try:
        return int(args.func(args) or 0)
    except SalesCoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        psycopg = sys.modules.get("psycopg")
        if psycopg is not None and isinstance(err, psycopg.OperationalError):
            # the server went away or cut the connection during the command
            print("error: the PostgreSQL server stopped answering during the command; nothing "
                  "it had not committed was kept.", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        return 130

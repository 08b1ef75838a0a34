"""The command line (DESIGN.md section 6): ``python -m salescore COMMAND ...``.

Exit 0 on success; on bad input exit 2 with one clear line on stderr and the database
unchanged. JSON goes to stdout.
"""
from __future__ import annotations

import argparse
import getpass
import importlib
import json
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import salescore
from salescore import db, files, fmt, metrics
from salescore.errors import SalesCoreError
from salescore.periods import parse
from salescore.scope import Scope

# Lazy on purpose: demo, ingest, backup, access, incentives, report and salescore.ui load
# pandas (and ui streamlit) when imported; each is imported inside the command that needs it,
# so that `metrics --json` starts without pandas (a third of its run at 1M deals, issue 9;
# tests/test_cli.py::test_metrics_json_does_not_load_pandas). tests/test_layout.py lists them.

#: The benchmarks live outside the package, in the checkout's bench/ folder (DESIGN.md §1).
BENCH_DIR = Path(salescore.__file__).resolve().parent.parent / "bench"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write YYYY-MM-DD") from None


def _db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help="database file (default: $SALESCORE_DB or data/salescore.duckdb)")


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def cmd_demo(args: argparse.Namespace) -> int:
    from salescore import demo  # lazy: pandas (see the top)

    path = args.db or db.default_path()
    if args.if_missing and Path(path).exists():
        print(f"{path} exists: demo data not loaded (drop --if-missing to replace it).")
        return 0
    con = db.connect(path)
    try:
        counts = demo.load(con, lang=args.lang)
    finally:
        con.close()
    print(f"Demo data ({args.lang}) loaded into {path}: "
          + ", ".join(f"{n} {table}" for table, n in counts.items()))
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    if args.start and args.end and args.start > args.end:
        raise SalesCoreError(f"--from {args.start} is after --to {args.end}.", key="error.generic")
    con = db.connect(args.db or db.default_path())
    try:
        scope = Scope(team=args.team, rep_id=metrics.rep_id_by_name(con, args.rep) if args.rep else None)
        result = metrics.summary(con, args.start, args.end, scope)
        # the data's own currency (DESIGN.md section 4): no symbol when unknown, never a guess
        symbol = "" if args.json else fmt.symbol(db.reporting_currency(con))
    finally:
        con.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=_json_default, indent=2))
        return 0
    totals = result["totals"]
    print(f"Period: {result['from'] or 'start'} .. {result['to'] or 'end'}")
    for key in metrics.KPI_NAMES:
        value = totals[key]
        if key in ("win_rate", "attainment", "repeat_rate"):
            text = fmt.pct(value)
        elif key in ("revenue_won", "avg_deal_size", "open_pipeline", "target", "velocity"):
            text = fmt.money(value, "en", currency=symbol)
        else:
            text = fmt.number(value, 1 if isinstance(value, float) else 0)
        print(f"  {key:<24} {text}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """Pipeline movement between two days (DESIGN.md section 8); the days default to the last
    two exports imported."""
    from salescore import history  # lazy: pandas (see the top)

    period = parse(args.period) if args.period else None
    con = db.connect(args.db or db.default_path())
    try:
        days = history.snapshot_dates(con)
        if not days:
            raise SalesCoreError("No deal history yet: import a deals export (each import "
                                 "is a snapshot).", key="error.generic")
        end = args.end or days[-1]
        start = args.start or next((d for d in reversed(days) if d < end), days[0])
        if start > end:
            raise SalesCoreError(f"--from {start} is after --to {end}.", key="error.generic")
        scope = Scope(team=args.team,
                      rep_id=metrics.rep_id_by_name(con, args.rep) if args.rep else None)
        moved = history.movement(con, start, end, period, scope)
        symbol = fmt.symbol(db.reporting_currency(con))
    finally:
        con.close()
    if args.json:
        print(json.dumps(moved.as_json(with_deals=args.list), ensure_ascii=False, indent=2,
                         default=_json_default))
        return 0
    where = f", deals closing in {period.label}" if period else ""
    print(f"Pipeline movement {start} .. {end}{where}")
    for key in history.BUCKETS:
        b = moved.buckets[key]
        sign = {1: "+", -1: "-", 0: "="}[history.SIGNS[key]] if key != "start" else " "
        print(f"  {sign} {key:<11} {fmt.money(b['amount'], 'en', currency=symbol):>16}  "
              f"{b['deals']:,} deals")
        if args.list:
            for r in moved.deals[moved.deals["bucket"] == key].itertuples():
                print(f"      {r.deal_id:<14} {r.rep:<16} {fmt.money(r.amount, 'en', currency=symbol)}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from salescore import backup  # lazy: pandas (see the top)

    con = db.connect(args.db or db.default_path())
    try:
        manifest = backup.write(con, args.out)
    finally:
        con.close()
    tables = manifest["tables"]
    print(f"Backup written to {args.out}: " + ", ".join(f"{tables[t]} {t}" for t in db.DATA_TABLES))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from salescore import backup  # lazy: pandas (see the top)

    manifest = backup.inspect(args.file)  # refuse a bad file before opening the database
    con = db.connect(args.db or db.default_path())
    try:
        changes = backup.preview(con, args.file).changes
        if changes and args.with_users:   # the difference first, then the replacement
            print("Users and sign-in settings replaced by the backup's:")
            print(_change_lines(changes))
        manifest = backup.restore(con, args.file, with_users=args.with_users)
    finally:
        con.close()
    tables = manifest["tables"]
    print(f"Restored {args.file} (made {manifest.get('created_at') or '?'}): "
          + ", ".join(f"{tables[t]} {t}" for t in db.DATA_TABLES))
    if changes and not args.with_users:
        print("Users and sign-in settings kept as they were; the backup's differ "
              "(restore --with-users replaces them):")
        print(_change_lines(changes))
    return 0


def _change_lines(changes: Any, most: int = 50) -> str:
    """A backup's user and sign-in differences, one indented line each (never a hash; a
    name's control characters, which could drive the terminal, left out)."""
    lines = [re.sub(r"[\x00-\x1f\x7f]", "", f"  {change.name}: {change.text('en')}")
             for change in changes[:most]]
    if len(changes) > most:
        lines.append(f"  ... and {len(changes) - most} more")
    return "\n".join(lines)


def cmd_payouts(args: argparse.Namespace) -> int:
    from salescore import incentives  # lazy: pandas (see the top)

    try:
        text = Path(args.plan).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SalesCoreError(f"Cannot read the plan file {args.plan}: {exc.strerror}.",
                             key="error.generic") from None
    plan = incentives.Plan.from_json(text)
    period = parse(args.period)
    con = db.connect(args.db or db.default_path())
    try:
        scope = Scope(team=args.team)
        frame = incentives.payouts(con, plan, period, scope)
        symbol = fmt.symbol(db.reporting_currency(con))
    finally:
        con.close()
    rows = incentives.payouts_json(frame)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, default=_json_default, indent=2))
        return 0
    print(f"{plan.name}, {period.label}: {fmt.money(float(frame['total'].sum()), 'en', currency=symbol)} "
          f"to {len(rows)} reps")
    for row in rows:
        print(f"  {row['rep']:<20} {fmt.pct(row['attainment']):>7}  {fmt.money(row['total'], 'en', currency=symbol):>12}"
              f"  {row['flag'] or ''}")
    return 0


def cmd_deck(args: argparse.Namespace) -> int:
    from salescore import report  # lazy: pandas (see the top)

    period = parse(args.period) if args.period else None  # a bad period fails before the file opens
    out = Path(args.out)
    if not out.parent.is_dir():
        raise SalesCoreError(f"Cannot write {out}: the folder {out.parent} does not exist.", key="error.generic")
    con = db.connect(args.db or db.default_path())
    try:
        period = period or metrics.default_period(con)
        if period is None:
            raise SalesCoreError("There is no sales data yet: load the demo or import your files first.",
                                 key="common.no_data")
        data = report.deck_pptx(con, period, args.lang, anonymize=args.anonymize, rep_safe=args.rep_safe,
                                scope=Scope(team=args.team))
    finally:
        con.close()
    try:
        files.write_private(out, data)
    except OSError as exc:
        raise SalesCoreError(f"Cannot write {out}: {exc.strerror}.", key="error.generic") from None
    print(f"Meeting deck for {period.label} ({args.lang}) written to {out}: {len(data):,} bytes")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2 (DESIGN §6)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.removeprefix("python -m salescore").strip()
        hint = f"python -m salescore {command} --help" if command else "python -m salescore --help"
        self.exit(2, f"error: {message} (see {hint})\n")


def cmd_import(args: argparse.Namespace) -> int:
    """Import each file in its own transaction (DESIGN §3); stop at the first refused file."""
    from salescore import ingest  # lazy: pandas (see the top)

    dayfirst = True if args.dayfirst else False if args.monthfirst else None
    currency = ingest.currency_code(args.currency) if args.currency else None  # before the db
    path_db = Path(args.db or db.default_path())
    # a dry run stores nothing: it compares deals with a database only when one exists
    con = db.connect(path_db) if not args.dry_run or path_db.exists() else None
    try:
        for path in args.files:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise SalesCoreError(f"{path}: cannot read the file ({exc.strerror}).",
                                     key="error.generic") from None
            except MemoryError:
                raise SalesCoreError(f"{path}: the file is too large to read into memory.",
                                     key="error.generic") from None
            prepared = ingest.prepare(data, Path(path).name, sheet=args.sheet, kind=args.kind,
                                      dayfirst=dayfirst, year=args.year, con=con)
            if args.dry_run:
                print(_dry_run_report(path, prepared))
                if prepared.kind == "deals":
                    found = prepared.extra.get("as_of")
                    day = args.as_of or found or date.today()
                    source = "--as-of" if args.as_of else "the file" if found else "today"
                    print(f"  export of {day} ({source})")
                if con is not None and prepared.kind == "deals":
                    from salescore import history  # lazy: pandas (see the top)
                    print("\n".join(history.import_diff(con, prepared).report_lines()))
                continue
            result = ingest.load(con, prepared, skip_bad_rows=args.skip_bad_rows,
                                 currency=currency, as_of=args.as_of)
            derived = "".join(f", {n} new {table}" for table, n in result.derived.items() if n)
            seen = f", export of {result.as_of}" if result.as_of else ""
            print(f"{path}: {prepared.kind} -> {result.table}: {result.new} new, {result.updated} "
                  f"updated, {result.unchanged} unchanged, {result.rejected} rejected{derived}"
                  f"{seen} (import #{result.batch_id}; undo on the Data page)")
            if result.kept:
                print(f"  note: {result.kept:,} deals left as a newer export shows them "
                      f"(this export's values kept in their history)")
            for line in _notice_lines(prepared, currency):
                print(f"  {line}")
    finally:
        if con is not None:
            con.close()
    return 0


def _notice_lines(prepared: Any, currency: str | None) -> list[str]:
    """What each rule did (unpaid, refunded, credits, orders grouped, the currency ...),
    then the warnings; a file without a currency of its own says which one --currency gave."""
    lines = []
    for notice in prepared.warnings:
        if notice.key == "ingest.warn.currency_missing" and currency:
            lines.append(f"note: {notice.count:,} rows without a currency of their own stored "
                         f"in {currency} (--currency)")
            continue
        lines.append(f"warning: {notice.text('en')}")
    return lines


def _dry_run_report(path: str, prepared: Any) -> str:
    lines = [f"{path}: sheet {prepared.sheet or '-'}, header on row {prepared.header_row}, "
             f"kind {prepared.kind}: {prepared.rows_ok} rows OK, {prepared.rows_rejected} rejected "
             f"(dry run: nothing stored)"]
    lines += [f"  {source} -> {field}" for source, field in prepared.mapping.items() if field]
    if prepared.unmapped:
        lines.append("  not used: " + ", ".join(prepared.unmapped))
    from salescore.ingest.export import reason_text  # lazy: pandas (see the top)
    for row in prepared.rejected.head(20).itertuples():
        lines.append(f"  rejected row {row.row}, column {row.column}: "
                     f"{reason_text(row.reason, 'en', row.value)}")
    if prepared.rows_rejected > 20:
        lines.append(f"  ... and {prepared.rows_rejected - 20} more rejected rows")
    for notice in prepared.warnings:
        lines.append(f"  warning: {notice.text('en')}")
    return "\n".join(lines)


def _read_password(prompt: str = "Password: ") -> str:
    """The new password: asked twice with getpass on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != first:
            raise SalesCoreError("The two passwords differ: nothing was changed.", key="error.generic")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_user(args: argparse.Namespace) -> int:
    from salescore import access  # lazy: pandas (see the top)

    con = db.connect(args.db or db.default_path())
    try:
        if args.action == "add":
            first = not access.has_users(con)
            password = None if args.sso_email is not None else _read_password()
            user = access.add_user(con, args.name, args.role, team=args.team, password=password,
                                   sso_email=args.sso_email)
            linked = f", linked to rep {user.rep_id}" if user.rep_id else ""
            how = f", signing in with single sign-on as {args.sso_email.strip()}" if args.sso_email else ""
            print(f"User {user.name} added as {user.role}{linked}{how}.")
            if first:
                print("Sign-in is now required: everyone who opens salescore signs in from now on, "
                      "on this computer too.")
            if user.role == "rep" and not user.rep_id:
                print("warning: no sales rep has this name or ID yet; the user sees no figures "
                      "until one does.", file=sys.stderr)
        elif args.action == "passwd":
            access.set_password(con, args.name, _read_password("New password: "))
            print(f"Password of {args.name} changed; their open sessions are signed out.")
        elif args.action == "remove":
            access.remove_user(con, args.name)
            print(f"User {args.name} removed.")
        else:
            frame = access.list_users(con)
            if args.json:
                print(json.dumps(frame.astype(object).where(frame.notna(), None).to_dict("records"),
                                 ensure_ascii=False))
            for row in ([] if args.json else frame.itertuples()):
                how = f"single sign-on: {row.email}" if row.sso else "password" if row.has_password else "-"
                print(f"{row.name:<24} {row.role:<8} {row.team if isinstance(row.team, str) else '':<12} "
                      f"{how}")
    finally:
        con.close()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from salescore.ui import serve  # lazy: streamlit and pandas (see the top)

    if args.db:
        os.environ["SALESCORE_DB"] = str(args.db)
    return serve.main(["--server.address", args.address, "--server.port", str(args.port),
                       *serve.streamlit_args(args.streamlit_args)])


def _bench(name: str) -> Any:
    """``bench.<name>`` from the bench/ folder next to the package (a checkout); a clear
    error when this salescore was installed without it."""
    if not (BENCH_DIR / "__init__.py").is_file():
        raise SalesCoreError(f"The benchmarks need a salescore checkout: there is no bench folder at {BENCH_DIR}.",
                             key="error.generic")
    root = str(BENCH_DIR.parent)
    if sys.path[:1] != [root]:
        sys.path.insert(0, root)
    return importlib.import_module(f"bench.{name}")


def cmd_bench(args: argparse.Namespace) -> int:
    if args.rows < 1000:
        raise SalesCoreError("--rows must be at least 1000.", key="error.generic")
    server, scale, importing = _bench("server"), _bench("scale"), _bench("importing")
    result = server.run(args.rows, args.repeat, pages=not args.skip_pages)
    if args.growth:
        result["growth"] = scale.growth(tuple(sorted({10_000, 100_000, args.rows})))
    if not args.skip_import:
        result["import"] = importing.run(args.rows, xlsx_rows=min(args.rows, 100_000))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"{result['rows']:,} synthetic deals generated in {result['generate_s']} s "
          f"({result['machine']['cpus']} CPUs, Python {result['machine']['python']})")
    for name, figures in result["calls"].items():
        print(f"  {name:<20} median {figures['median_ms']:>8.1f} ms   first {figures['first_ms']:>8.1f} ms")
    print(f"  peak RSS {result['peak_rss_mb']} MB")
    if "metrics_json" in result:
        m = result["metrics_json"]
        print(f"metrics --json: {m['process_ms']} ms vs bare DuckDB process {m['bare_process_ms']} ms "
              f"= {m['ratio']}x (in one process {m['in_process_ms']} vs {m['bare_in_process_ms']} ms)")
    for page, figures in result.get("pages", {}).items():
        if "error" in figures:
            print(f"  page {page:<11} error: {figures['error']}")
            continue
        extra = f"   what-if {figures['whatif_ms']} ms" if figures.get("whatif_ms") else ""
        print(f"  page {page:<11} first load {figures['first_ms']:>8.1f} ms   rerun {figures['rerun_ms']:>7.1f} ms{extra}")
    if "server_rss_mb" in result:
        print(f"  server RSS after every page {result['server_rss_mb']} MB")
    for step, ratios in result.get("growth", {}).get("first_load_ratio", {}).items():
        print(f"  first-load growth {step}: " + ", ".join(f"{p} {r}x" for p, r in ratios.items()))
    if "import" in result:
        imp = result["import"]
        print(f"import of a {imp['rows']:,}-row deals CSV ({imp['csv_mb']} MB): {imp['import_s']} s "
              f"(prepare {imp['prepare_s']} s + load {imp['load_s']} s) vs DuckDB read_csv "
              f"{imp['duckdb_read_csv_s']} s = {imp['csv_ratio']}x; re-import {imp['reimport_s']} s")
        if "xlsx_ratio" in imp:
            print(f"import of a {imp['xlsx_rows']:,}-row xlsx: {imp['xlsx_import_s']} s vs calamine "
                  f"{imp['calamine_read_s']} s = {imp['xlsx_ratio']}x; peak RSS {imp['peak_rss_mb']} MB")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m salescore",
                                     description="salescore: a sales-performance workbench.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("demo", help="load the deterministic demo data (replaces business data)")
    _db_arg(p)
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="names and labels language")
    p.add_argument("--if-missing", action="store_true",
                   help="only when the database file does not exist yet (used by make run)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("import", help="import spreadsheets (csv, tsv, txt, xlsx, xls, ods)")
    p.add_argument("files", nargs="+", metavar="FILE")
    _db_arg(p)
    p.add_argument("--kind", choices=["deals", "reps", "customers", "products", "targets",
                                      "activities", "satisfaction", "trainings", "payments"],
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
    p.add_argument("--as-of", type=_date, metavar="DATE",
                   help="the day the export was taken, YYYY-MM-DD (deal history); default: "
                        "a date in the file name or title row, else today")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("history", help="pipeline movement between two days (start, created, "
                                       "pulled in, increased, decreased, pushed out, lost, won, end)")
    _db_arg(p)
    p.add_argument("--from", dest="start", type=_date,
                   help="first day, YYYY-MM-DD (default: the export before --to)")
    p.add_argument("--to", dest="end", type=_date,
                   help="last day, YYYY-MM-DD (default: the last export imported)")
    p.add_argument("--period", help="only deals expected to close in this month, quarter or "
                                    "year (2026-11, 2026-Q4, 2026); moves in and out of it count")
    p.add_argument("--team", help="only this team")
    p.add_argument("--rep", help="only this sales rep (name)")
    p.add_argument("--list", action="store_true", help="also list the deals of each bucket")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("metrics", help="key metrics (DESIGN section 4); no dates = all data")
    _db_arg(p)
    p.add_argument("--from", dest="start", type=_date, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=_date, help="last day, YYYY-MM-DD")
    p.add_argument("--team", help="only this team")
    p.add_argument("--rep", help="only this sales rep (name)")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("backup", help="write the whole database to one zip file")
    p.add_argument("--out", required=True, type=Path, help="the backup file to write (.zip)")
    _db_arg(p)
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="replace the whole database with a backup zip "
                                       "(users and sign-in settings are kept)")
    p.add_argument("file", type=Path, metavar="FILE.zip")
    _db_arg(p)
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
    _db_arg(q)
    q = users.add_parser("passwd", help="set a user's password (read from stdin, or asked)")
    q.add_argument("name")
    _db_arg(q)
    q = users.add_parser("remove", help="delete a user")
    q.add_argument("name")
    _db_arg(q)
    q = users.add_parser("list", help="list users and roles (never the passwords)")
    q.add_argument("--json", action="store_true", help="print JSON to stdout")
    _db_arg(q)
    p.set_defaults(func=cmd_user)

    # Streamlit's own options (--server.headless true ...) are whatever argparse does not know:
    # main() hands them on (an argparse.REMAINDER positional refuses a first "--option")
    p = sub.add_parser("serve", help="start the app (what make run does)",
                       usage="python -m salescore serve [--db DB] [--address ADDRESS] [--port PORT] "
                             "[STREAMLIT OPTIONS ...]",
                       epilog="Further options are passed to streamlit, e.g. --server.headless true")
    _db_arg(p)
    p.add_argument("--address", default="127.0.0.1",
                   help="listen address (default 127.0.0.1: this computer only)")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=cmd_serve, streamlit_args=[])

    p = sub.add_parser("payouts", help="incentive payouts per rep for a plan (DESIGN section 5)")
    p.add_argument("--plan", required=True, type=Path, help="the plan, as DESIGN section 5 JSON")
    _db_arg(p)
    p.add_argument("--period", required=True, help="the pay period: 2026-07, 2026-Q3 or 2026")
    p.add_argument("--team", help="only this team")
    p.add_argument("--json", action="store_true", help="print JSON to stdout")
    p.set_defaults(func=cmd_payouts)

    p = sub.add_parser("deck", help="the team-meeting slides as a PowerPoint file (PPTX)")
    _db_arg(p)
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
    except KeyboardInterrupt:
        return 130

"""Commands about time (DESIGN.md section 8): pipeline movement (history), the forecast call
(forecast), closing and reopening pay periods."""
from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from salescore import db, fmt, metrics
from salescore.errors import SalesCoreError
from salescore.periods import containing, parse
from salescore.scope import Scope
from salescore.cli.common import json_default

# Lazy on purpose: demo, ingest, backup, access, incentives, report, history and salescore.ui
# load pandas (and ui streamlit) when imported; each is imported inside the command that
# needs it, so that `metrics --json` starts without pandas (a third of its run at 1M deals,
# issue 9; tests/test_cli.py::test_metrics_json_does_not_load_pandas). tests/test_layout.py
# lists them.


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
        moved = history.movement(con, start, end, period, scope, deals=args.list)
        symbol = fmt.symbol(db.reporting_currency(con))
    finally:
        con.close()
    if args.json:
        print(json.dumps(moved.as_json(with_deals=args.list), ensure_ascii=False, indent=2,
                         default=json_default))
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


def _closing_plan(con: Any, plan_id: str | None, on: date) -> tuple[str, int | None]:
    """The stored plan a period is closed with: ``plan_id`` (latest version), else the plan in
    force on the period's last day (as the Incentives page and Retention use it)."""
    from salescore import retention  # lazy: pandas (see the top)

    if plan_id:
        return plan_id, None
    active = retention.active_plan(con, on=on)
    if active is None:
        raise SalesCoreError("No saved plan to close the period with: save one on the Incentives "
                             "page first (or give --plan-id).", key="error.generic")
    return active.plan_id, active.version


def cmd_close(args: argparse.Namespace) -> int:
    """Close a pay period (DESIGN.md section 8): store every rep's statement and lock it."""
    from salescore import incentives  # lazy: pandas (see the top)

    con = db.connect(args.db or db.default_path())
    try:
        if args.list or not args.period:
            records = incentives.closed_periods(con)
            if args.json:
                print(json.dumps([r.as_json() for r in records], ensure_ascii=False, indent=2))
            elif not records:
                print("No closed pay period.")
            for r in records if not args.json else []:
                print(f"  {r.period:<8} {r.name} v{r.version}  {r.reps} reps  "
                      f"{fmt.money(r.total, 'en', currency=fmt.symbol(db.reporting_currency(con)))}  "
                      f"closed {r.closed_at:%Y-%m-%d} by {r.closed_by}")
            return 0
        period = parse(args.period)
        plan_id, version = _closing_plan(con, args.plan_id, period.end)
        record = incentives.close_period(con, plan_id, version, period)
        symbol = fmt.symbol(db.reporting_currency(con))
    finally:
        con.close()
    if args.json:
        print(json.dumps(record.as_json(), ensure_ascii=False, indent=2))
        return 0
    print(f"Closed {record.period} with {record.name} v{record.version}: "
          f"{fmt.money(record.total, 'en', currency=symbol)} to {record.reps} reps. Later imports "
          "change it only through adjustment lines in the first open period.")
    return 0


def cmd_reopen(args: argparse.Namespace) -> int:
    """Reopen the latest closed pay period (a manager action in the audit log)."""
    from salescore import incentives  # lazy: pandas (see the top)

    con = db.connect(args.db or db.default_path())
    try:
        record = incentives.reopen_period(con, parse(args.period), args.reason or "")
    finally:
        con.close()
    print(f"Reopened {record.period}: its {record.reps} stored statements were removed (the audit "
          "log keeps them); its payouts are computed from the data again.")
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    """Forecast categories rolled up rep -> team -> company, with the submissions' accuracy;
    ``--submit`` stores the roll-up as a dated submission."""
    from salescore.history import forecast  # lazy: pandas (see the top)

    con = db.connect(args.db or db.default_path())
    try:
        when = args.as_of or metrics.as_of(con)
        if when is None:
            raise SalesCoreError("There is no sales data yet: load the demo or import your files first.",
                                 key="common.no_data")
        period = parse(args.period) if args.period else containing(when, "quarter")
        scope = Scope(team=args.team)
        number = forecast.submit(con, period, when, scope, note=args.note or "") if args.submit else None
        out = forecast.as_json(con, period, when, scope)
        symbol = fmt.symbol(db.reporting_currency(con))
    finally:
        con.close()
    if number is not None:
        out["submitted"] = number
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2, default=json_default))
        return 0

    def money(value: float) -> str:
        return fmt.money(value, "en", currency=symbol)

    top = out["company"]
    print(f"Forecast {out['period']} on {out['as_of']}: won {money(top['won'])}, commit call "
          f"{money(top['commit_call'])}, best case {money(top['best_case_call'])}")
    for team in out["teams"]:
        mark = " (adjusted)" if team["adjusted"] else ""
        print(f"  {team['name'] or '(no team)':<20} commit {money(team['commit_call']):>16}  "
              f"best case {money(team['best_case_call']):>16}{mark}")
    for sub in out["submissions"][:10]:
        error = "" if sub["commit_error"] is None else f" ({sub['commit_error']:+.1%} vs won)"
        print(f"  submission {sub['submission_id']}: {sub['period']} on {sub['as_of']} commit "
              f"{money(sub['commit_call'])}{error}{'' if sub['finished'] else ', period running'}")
    if number is not None:
        print(f"Submitted as forecast {number}.")
    return 0


def cmd_disputes(args: argparse.Namespace) -> int:
    """The disputes (DESIGN.md section 10): list them, or answer one (accept, change, reject)."""
    from salescore import incentives  # lazy: pandas (see the top)

    con = db.connect(args.db or db.default_path())
    try:
        answered = None
        if args.answer:
            number, action = args.answer
            answered = incentives.disputes.resolve(con, int(number), action, reply=args.reply or "",
                                                   amount=args.amount)
        frame = incentives.disputes.listing(con, rep_id=args.rep, status=args.status)
        symbol = fmt.symbol(db.reporting_currency(con))
    finally:
        con.close()
    rows = [{k: (None if v != v else v) for k, v in r.items()} for r in frame.to_dict("records")]
    if args.json:
        print(json.dumps({"answered": answered, "disputes": rows}, ensure_ascii=False, indent=2,
                         default=json_default))
        return 0
    if answered is not None:
        paid = (f"{fmt.money(answered['amount'], 'en', currency=symbol)} paid in {answered['paid_in']}"
                if answered["paid_in"] else "nothing paid")
        print(f"Dispute {answered['dispute_id']} {answered['status']}: {paid}.")
    if not rows:
        print("No dispute.")
    for r in rows:
        line = (f"  #{r['dispute_id']} {r['status']:<8} {r['period']} {r['rep']}: {r['component']}"
                f"{' ' + r['deal_id'] if r['deal_id'] else ''} paid "
                f"{fmt.money(r['line_amount'], 'en', currency=symbol)}, asks "
                f"{fmt.money(r['claimed_amount'], 'en', currency=symbol)}: {r['reason']}")
        if r["status"] != "open":
            line += f" -> {fmt.money(r['amount'] or 0, 'en', currency=symbol)}" + (
                f" in {r['paid_in']}" if r["paid_in"] else "") + (f" ({r['reply']})" if r["reply"] else "")
        print(line)
    return 0


def cmd_relief(args: argparse.Namespace) -> int:
    """Quota relief entries (DESIGN.md section 10): list, add (--rep, --from, --to, --share,
    --reason) or remove one."""
    from salescore import incentives  # lazy: pandas (see the top)

    con = db.connect(args.db or db.default_path())
    try:
        added = None
        if args.remove is not None:
            incentives.relief.remove(con, args.remove)
        elif args.rep:
            if not (args.start and args.end):
                raise SalesCoreError("Give --from and --to: the days the relief covers.", key="relief.error.dates")
            rep_id = metrics.rep_id_by_name(con, args.rep)
            if rep_id is None:
                raise SalesCoreError(f"There is no rep {args.rep}.", key="relief.error.rep", rep=args.rep)
            added = incentives.relief.add(con, rep_id, args.start, args.end, args.share, args.reason or "")
        frame = incentives.relief.listing(con)
    finally:
        con.close()
    rows = [{k: (None if v != v else v) for k, v in r.items()} for r in frame.to_dict("records")]
    if args.json:
        print(json.dumps({"added": added, "relief": rows}, ensure_ascii=False, indent=2, default=json_default))
        return 0
    if added is not None:
        print(f"Quota relief {added} added.")
    if not rows:
        print("No quota relief.")
    for r in rows:
        print(f"  #{r['relief_id']} {r['rep']}: {r['share']:.0%} from {r['from_date']} to {r['to_date']} ({r['reason']})")
    return 0


def _records(frame: Any, days: tuple[str, ...] = ("from_date", "to_date")) -> list[dict[str, Any]]:
    """JSON-ready rows: NaN / NaT as null, the ``days`` columns as YYYY-MM-DD."""
    out = []
    for row in frame.to_dict("records"):
        out.append({k: (None if v != v or v is None else v.date().isoformat() if k in days and hasattr(v, "date")
                        else v) for k, v in row.items()})
    return out


def cmd_assign(args: argparse.Namespace) -> int:
    """Plan assignments (DESIGN.md section 10): list, add (--rep, --plan, --from [, --to]) or
    remove one."""
    from salescore import incentives  # lazy: pandas (see the top)

    con = db.connect(args.db or db.default_path())
    try:
        added = None
        if args.remove is not None:
            incentives.assignments.unassign(con, args.remove)
        elif args.rep or args.plan:
            if not (args.rep and args.plan and args.start):
                raise SalesCoreError("Give --rep, --plan and --from (and --to for an assignment that ends).",
                                     key="assign.error.args")
            added = incentives.assignments.assign(con, metrics.rep_id_by_name(con, args.rep),
                                                  incentives.assignments.plan_id_of(con, args.plan),
                                                  args.start, args.end)
        rows = _records(incentives.assignments.assignments(con))
    finally:
        con.close()
    if args.json:
        print(json.dumps({"added": added, "assignments": rows}, ensure_ascii=False, indent=2, default=json_default))
        return 0
    if added is not None:
        print(f"Plan assignment {added} added.")
    if not rows:
        print("No plan assignments: every plan pays every rep.")
    for r in rows:
        print(f"  #{r['assignment_id']} {r['rep']}: {r['plan']} from {r['from_date']}"
              + (f" to {r['to_date']}" if r["to_date"] is not None else ""))
    return 0


def cmd_move(args: argparse.Namespace) -> int:
    """Team moves (DESIGN.md section 10): list, add (--rep, --team [, --manager], --from) or take
    a rep's latest move back."""
    from salescore import incentives  # lazy: pandas (see the top)

    con = db.connect(args.db or db.default_path())
    try:
        added = None
        if args.remove is not None:
            incentives.assignments.remove_move(con, args.remove)
        elif args.rep or args.team:
            if not (args.rep and args.team and args.start):
                raise SalesCoreError("Give --rep, --team and --from (and --manager when it changes).",
                                     key="assign.error.move_args")
            added = incentives.assignments.move(con, metrics.rep_id_by_name(con, args.rep), args.team,
                                                args.start, args.manager)
        rows = _records(incentives.assignments.moves(con))
    finally:
        con.close()
    if args.json:
        print(json.dumps({"added": added, "moves": rows}, ensure_ascii=False, indent=2, default=json_default))
        return 0
    if added is not None:
        print(f"Team move {added} added.")
    if not rows:
        print("No team moves.")
    for r in rows:
        since = r["from_date"] if r["from_date"] is not None else "the start"
        print(f"  #{r['move_id']} {r['rep']}: {r['team'] or '-'} (manager {r['manager'] or '-'}) from {since}"
              + (f" to {r['to_date']}" if r["to_date"] is not None else ""))
    return 0

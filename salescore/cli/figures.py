"""Commands that give figures: metrics, payouts, deck, bench; and serve (the app)."""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from salescore import db, files, fmt, metrics
from salescore.errors import SalesCoreError
from salescore.periods import parse
from salescore.scope import Scope
from salescore.cli.common import json_default, BENCH_DIR

# Lazy on purpose: demo, ingest, backup, access, incentives, report, history and salescore.ui
# load pandas (and ui streamlit) when imported; each is imported inside the command that
# needs it, so that `metrics --json` starts without pandas (a third of its run at 1M deals,
# issue 9; tests/test_cli.py::test_metrics_json_does_not_load_pandas). tests/test_layout.py
# lists them.


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
        print(json.dumps(result, ensure_ascii=False, default=json_default, indent=2))
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
        record = incentives.closed(con, incentives._period(plan, period))
        if record is not None:   # a note on stderr: stdout stays the JSON the caller parses
            same = incentives.closing.stored_run(con, plan, parse(record.period), Scope()) is not None
            print(f"{record.period} is closed ({record.closed_at:%Y-%m-%d}, {record.name} v{record.version}): "
                  + ("these are its stored statements." if same else
                     "this plan file differs from that plan, so these figures are computed for it, "
                     "not the stored statements."), file=sys.stderr)
    finally:
        con.close()
    rows = incentives.payouts_json(frame)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, default=json_default, indent=2))
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


def _bench_backends(args: argparse.Namespace) -> int:
    result = _bench("backends").run(args.rows, args.postgres, args.repeat)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"{result['rows']:,} synthetic deals; copied to PostgreSQL in {result['copy_to_server_s']} s")
    for name, both in result["calls"].items():
        duck, post = both["duckdb"]["median_ms"], both["postgres"]["median_ms"]
        print(f"  {name:<22} DuckDB {duck:>9.1f} ms   PostgreSQL {post:>9.1f} ms   "
              f"{post / duck if duck else 0:.1f}x")
    where = result["postgres_payouts_plan"]
    print("PostgreSQL payouts, slowest statements:")
    for statement in where["statements"]:
        print(f"  {statement['ms']:>8.1f} ms  {statement['sql']}")
    print("  slowest plan nodes of the first:")
    for node in where["slowest_plan_nodes"]:
        print(f"    {node}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.rows < 1000:
        raise SalesCoreError("--rows must be at least 1000.", key="error.generic")
    if args.postgres:
        return _bench_backends(args)
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


def cmd_acks(args: argparse.Namespace) -> int:
    """Who a plan version was published to and who acknowledged it; --publish publishes it."""
    from salescore import incentives  # lazy: pandas (see the top)

    con = db.connect(args.db or db.default_path())
    try:
        added = incentives.acks.publish(con, args.plan_id, args.version) if args.publish else None
        frame = incentives.acks.status(con, args.plan_id, args.version)
    finally:
        con.close()
    rows = [{"rep_id": r.rep_id, "rep": r.rep, "team": r.team,
             "published_at": None if r.published_at is None else str(r.published_at)[:19],
             "acknowledged_at": None if r.acknowledged_at != r.acknowledged_at or r.acknowledged_at is None
             else str(r.acknowledged_at)[:19]} for r in frame.itertuples()]
    if args.json:
        print(json.dumps({"plan_id": args.plan_id, "published_now": added, "reps": rows},
                         ensure_ascii=False, indent=2))
        return 0
    done = sum(1 for r in rows if r["acknowledged_at"])
    print(f"{args.plan_id}: {done} of {len(rows)} reps acknowledged"
          + (f" ({added} published now)" if added is not None else ""))
    for r in rows:
        if not r["acknowledged_at"]:
            print(f"  waiting: {r['rep']} ({r['team'] or 'no team'})")
    return 0

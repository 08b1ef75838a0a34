"""``python -m salescore bench --postgres URL``: the same calls on DuckDB and on PostgreSQL,
side by side (DESIGN.md section 9, last bullet).

Builds the synthetic company of N deals in a DuckDB file (bench/synthetic.py), copies every
table into the PostgreSQL database at URL (which must hold no deals: the benchmark never
overwrites data), runs ANALYZE, then times on both:
- ``metrics --json`` as a user runs it (a new process, wall time);
- ``metrics.summary`` in this process (the Overview's figures);
- the Incentives what-if: payouts of a quarter with the Standard plan, and with one rate
  changed (what a slider step computes);
and shows where PostgreSQL spends the time of the payouts query (EXPLAIN ANALYZE's top nodes).
"""
from __future__ import annotations

import dataclasses
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.server import _time
from bench.synthetic import synthetic
from salescore import db, incentives, metrics, pg, sql
from salescore.errors import SalesCoreError
from salescore.periods import parse
from salescore.scope import Scope

#: tables the synthetic company fills
_TABLES = (*db.DATA_TABLES, "plans", "settings")


def _cli_ms(target: str, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "salescore", "metrics", "--json", "--db", target],
                       check=True, capture_output=True, timeout=600)
        runs.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(runs), 1)


def _copy_to_server(source: Any, url: str) -> float:
    """Copy the synthetic company into the empty database at ``url``; returns seconds."""
    con = db.connect(url)
    try:
        if sql.scalar(con, "select count(*) from deals"):
            raise SalesCoreError("bench --postgres needs an empty database: this one holds deals.",
                                 key="error.generic")
        start = time.perf_counter()
        with db.transaction(con) as cur:
            pg.copy_tables(source, cur, [t for t in _TABLES if t != "settings"])
        with con.cursor() as cur:
            cur.execute("analyze")
        return round(time.perf_counter() - start, 2)
    finally:
        con.close()


def _calls(con: Any) -> dict[str, Callable[[], Any]]:
    quarter = parse("2025-Q3")
    plan = incentives.template("standard")
    commission = dataclasses.replace(plan.commission,
                                     default_rate=plan.commission.default_rate + 0.01)
    changed = dataclasses.replace(plan, commission=commission)   # one slider step
    return {
        "metrics_summary": lambda: metrics.summary(con, None, None, Scope()),
        "payouts_quarter": lambda: incentives.payouts(con, plan, quarter),
        "payouts_whatif_rate": lambda: incentives.payouts(con, changed, quarter),
    }


def _where_time_goes(url: str) -> dict[str, Any]:
    """Where PostgreSQL spends a payouts run: its statements by time (pg.TRACE), and the plan
    of the slowest one (EXPLAIN ANALYZE: its slowest nodes)."""
    con = db.connect(url)
    try:
        pg.TRACE = []
        incentives.payouts(con, incentives.template("standard"), parse("2025-Q3"))
        traced, pg.TRACE = pg.TRACE, None
        traced.sort(key=lambda t: t[0], reverse=True)
        statements = [{"ms": round(ms, 1), "sql": " ".join(text.split())[:140]}
                      for ms, text, _ in traced[:6]]
        _, text, params = traced[0]
        with con.cursor() as cur:
            plan = [r[0] for r in cur.execute("explain (analyze, format text) " + text,
                                              params).fetchall()]
    finally:
        pg.TRACE = None
        con.close()

    def actual(line: str) -> float:
        return float(line.split("actual time=", 1)[1].split("..", 1)[1].split(" ", 1)[0])

    nodes = sorted((line for line in plan if "actual time=" in line), key=actual, reverse=True)
    return {"statements": statements, "slowest_plan_nodes": [n.strip()[:160] for n in nodes[:8]],
            "plan_totals": plan[-2:]}


def run(rows: int, url: str, repeat: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="salescore-bench-pg-") as tmp:
        path = Path(tmp) / "bench.duckdb"
        duck = db.connect(path)
        try:
            synthetic(duck, rows)
            copy_s = _copy_to_server(duck, url)
            timings: dict[str, Any] = {"rows": rows, "copy_to_server_s": copy_s, "calls": {}}
            server = db.connect(url)
            try:
                for (name, on_duck), on_pg in zip(_calls(duck).items(), _calls(server).values()):
                    timings["calls"][name] = {"duckdb": _time(on_duck, repeat),
                                              "postgres": _time(on_pg, repeat)}
            finally:
                server.close()
        finally:
            duck.close()
        timings["calls"]["metrics_json_cli"] = {"duckdb": {"median_ms": _cli_ms(str(path), repeat)},
                                               "postgres": {"median_ms": _cli_ms(url, repeat)}}
    timings["postgres_payouts_plan"] = _where_time_goes(url)
    return timings

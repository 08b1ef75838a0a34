"""The benchmark harness keeps working (a smoke run on tiny data; figures are not judged)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_bench_json_is_one_object_and_every_timed_call_runs():
    """``bench --json`` on a small synthetic company: one JSON object with every timed call
    (once: the CLI and server.run are the same code, and each run is a quarter minute)."""
    done = subprocess.run([sys.executable, "-m", "salescore", "bench", "--rows", "2000",
                           "--repeat", "1", "--skip-import", "--skip-pages", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    assert figures["rows"] == 2000 and len(figures["calls"]) > 40
    for name, timed in figures["calls"].items():
        assert timed["median_ms"] >= 0, name


def test_synthetic_weekly_exports_balance_the_movement(tmp_path):
    """bench.synthetic_history's ten exports: every movement adds up (start + ... = end)."""
    from datetime import date

    from bench.synthetic import synthetic, synthetic_history
    from salescore import db, history
    from salescore.periods import parse

    con = db.connect(tmp_path / "h.duckdb")
    synthetic(con, 5000)
    rows = synthetic_history(con, 10)
    days = history.snapshot_dates(con)
    assert len(days) == 10 and days[-1] == date(2025, 10, 10) and rows > 0
    for start, period in ((days[0], None), (days[-2], parse("2025-Q4"))):
        moved = history.movement(con, start, days[-1], period, deals=False)
        assert moved.balanced() and moved.buckets["start"]["deals"] > 0
    listed = history.movement(con, days[0], days[-1])
    assert {k: v["deals"] for k, v in listed.buckets.items()} == {
        k: listed.deals.loc[listed.deals["bucket"] == k, "deal_id"].nunique() for k in history.BUCKETS}
    con.close()

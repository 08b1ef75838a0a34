"""The benchmark harness keeps working (a smoke run on tiny data; figures are not judged)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import server

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_every_timed_call_runs_on_small_synthetic_data():
    result = server.run(2000, 1, pages=False)
    assert result["rows"] == 2000
    assert len(result["calls"]) > 40
    for name, figures in result["calls"].items():
        assert figures["median_ms"] >= 0, name


def test_bench_json_is_one_object():
    done = subprocess.run([sys.executable, "-m", "salescore", "bench", "--rows", "2000",
                           "--repeat", "1", "--skip-import", "--skip-pages", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    assert figures["rows"] == 2000 and "calls" in figures

"""Crash safety (issue 10): a real import process killed with SIGKILL in the middle of its
load transaction leaves the database exactly as it was before the import.

The previous state is the demo plus an earlier import of 30k deals, so the big import both
updates rows (writing undo copies) and inserts new ones. A calibration run measures how long
the load takes on this machine; the kill points are then placed inside the load:
  1. 10 % of the load time after the process says it enters ``ingest.load``;
  2. as soon as the database file starts to grow (DuckDB writing the new rows' blocks);
  3. 60 % of the load time.
Plus a restore (salescore/backup.py) killed half-way. After each kill the file is opened
again (WAL replay) and every table is compared in full with the state before.
"""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from bench.importing import make_deals_csv
from salescore import backup, db, ingest

ROOT = Path(__file__).resolve().parents[1]
BIG_ROWS = 500_000
ALL = (*db.DATA_TABLES, "plans", "swot_notes", "actions", "imports", "import_undo", "settings",
       "users", "audit_log", "schema_version")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")]

# The child: prepare, say LOAD, load, say DONE with the load time. Markers go to stdout.
CHILD = r"""
import sys, time
from pathlib import Path
from salescore import backup, db, ingest
mode, path, src = sys.argv[1:4]
con = db.connect(path)
if mode == "import":
    prepared = ingest.prepare(Path(src).read_bytes(), Path(src).name, con=con)
    print("LOAD", flush=True)
    t0 = time.perf_counter()
    result = ingest.load(con, prepared)
    print("DONE", time.perf_counter() - t0, result.new, result.updated, flush=True)
else:
    print("LOAD", flush=True)
    t0 = time.perf_counter()
    backup.restore(con, src)
    print("DONE", time.perf_counter() - t0, flush=True)
con.close()
"""


def contents(path: Path) -> dict[str, pd.DataFrame]:
    """Every row of every table (data_version included: nothing may have committed)."""
    con = db.connect(path)
    try:
        out = {}
        with con.cursor() as cur:
            for table in ALL:
                frame = cur.execute(f"select * from {table}").df()
                out[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        return out
    finally:
        con.close()


def assert_same(before, after) -> None:
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table], check_dtype=False, obj=table)


@pytest.fixture(scope="module")
def setup(tmp_path_factory, demo_copy):
    """(folder, base database, big csv, contents of the base database)."""
    folder = tmp_path_factory.mktemp("crash")
    make_deals_csv(folder / "big.csv", BIG_ROWS, seed=1)
    make_deals_csv(folder / "earlier.csv", 30_000, seed=2)   # same deal ids, other values
    base = folder / "base.duckdb"
    con = db.connect(demo_copy(base, "zh"))
    ingest.load(con, ingest.prepare((folder / "earlier.csv").read_bytes(), "earlier.csv"))
    con.close()
    assert not Path(str(base) + ".wal").exists()
    return folder, base, folder / "big.csv", contents(base)


def _start(mode: str, db_path: Path, src: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, mode, str(db_path), str(src)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen, marker: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(marker):
            return
        if not line and proc.poll() is not None:
            raise AssertionError(f"child ended before {marker}: {proc.stderr.read()}")
    raise AssertionError(f"no {marker} within {timeout} s")


def _kill(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGKILL)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, err)
    return rest


@pytest.fixture(scope="module")
def load_seconds(setup):
    """Calibration: the whole import, run to the end in a child on a copy; its load time.
    Also checks what a finished import stores, so the kills below are known to interrupt
    a load that would have changed the database."""
    folder, base, big, before = setup
    path = folder / "calibrate.duckdb"
    shutil.copy(base, path)
    proc = _start("import", path, big)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    done = [line for line in out.splitlines() if line.startswith("DONE")][0].split()
    seconds, new, updated = float(done[1]), int(done[2]), int(done[3])
    assert (new, updated) == (BIG_ROWS - 30_000, 30_000)
    assert seconds > 0.4, f"the load took {seconds:.2f} s: make the file bigger"
    return seconds


def _run_and_kill(setup, name: str, mode: str, src: Path, when, may_finish: bool = False) -> Path:
    """Start the child, wait for its LOAD marker, run ``when``, kill it. The child must not
    have finished first, unless ``may_finish`` (a late kill on a machine whose load runs
    faster than the calibration run did: the caller then checks the whole import)."""
    folder, base, _, _ = setup
    path = folder / f"{name}.duckdb"
    shutil.copy(base, path)
    proc = _start(mode, path, src)
    try:
        _wait_for(proc, "LOAD")
        when(path)
        rest = _kill(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert may_finish or "DONE" not in rest, f"{name}: the child finished before the kill"
    return path


def test_kill_early_in_load(setup, load_seconds):
    path = _run_and_kill(setup, "early", "import", setup[2],
                         lambda p: time.sleep(0.10 * load_seconds))
    assert_same(setup[3], contents(path))


def test_kill_while_writing_blocks(setup, load_seconds):
    """Wait until DuckDB writes the new rows into the file (it grows), then kill."""
    size = setup[1].stat().st_size

    def grown(path: Path) -> None:
        deadline = time.monotonic() + 5 * load_seconds
        while path.stat().st_size <= size and time.monotonic() < deadline:
            time.sleep(0.005)
        assert path.stat().st_size > size, "the file never grew during the load"

    path = _run_and_kill(setup, "growing", "import", setup[2], grown)
    assert_same(setup[3], contents(path))


def test_kill_late_in_load_then_import_again(setup, load_seconds):
    path = _run_and_kill(setup, "late", "import", setup[2],
                         lambda p: time.sleep(0.60 * load_seconds), may_finish=True)
    got = contents(path)
    try:
        assert_same(setup[3], got)
    except AssertionError:
        # A child quicker than the calibration run may have committed before the kill (even
        # printed DONE): then the file holds the whole import, never a part.
        done = contents(setup[0] / "calibrate.duckdb")
        assert_same({t: done[t] for t in db.DATA_TABLES}, got)   # imports: their own times
        assert len(got["imports"]) == len(done["imports"])
        return
    # the file is healthy: the same import now runs to the end
    con = db.connect(path)
    try:
        result = ingest.load(con, ingest.prepare(setup[2].read_bytes(), "big.csv"))
        assert (result.new, result.updated) == (BIG_ROWS - 30_000, 30_000)
        assert db.table_counts(con)["deals"] == len(setup[3]["deals"]) + BIG_ROWS - 30_000
    finally:
        con.close()


def test_kill_during_restore(setup, load_seconds, tmp_path):
    """A restore of a big backup killed half-way leaves the old database."""
    folder, base, big, before = setup
    # a backup bigger than the base: the calibration database (base + the big import)
    src = folder / "calibrate.duckdb"
    con = db.connect(src)
    try:
        backup.write(con, tmp_path / "big.zip")
    finally:
        con.close()
    # calibrate the restore time on a copy, then kill at half of it
    trial = tmp_path / "trial.duckdb"
    shutil.copy(base, trial)
    proc = _start("restore", trial, tmp_path / "big.zip")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    seconds = float([x for x in out.splitlines() if x.startswith("DONE")][0].split()[1])
    path = _run_and_kill(setup, "restore", "restore", tmp_path / "big.zip",
                         lambda p: time.sleep(0.5 * seconds))
    assert_same(before, contents(path))


def test_kill_points_were_inside_the_load(setup, load_seconds):
    """Guards the test itself: the database before differs from a finished import, so an
    unchanged file after a kill means the kill interrupted the load (not that it did nothing)."""
    after = contents(setup[0] / "calibrate.duckdb")
    assert len(after["deals"]) == len(setup[3]["deals"]) + BIG_ROWS - 30_000
    assert len(after["import_undo"]) == len(setup[3]["import_undo"]) + 30_000

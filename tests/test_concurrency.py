"""Concurrency (issue 10): threads against ONE process-wide connection, as the Streamlit server
runs (db.connect once, every library call takes its own cursor, writes serialise on the
process-wide lock).

At the same time:
  * two importer threads, each loading 4 different deals files of 3,000 rows (+ an audit
    event per import);
  * one editor thread saving 30 versions of an incentive plan, the stage order and the
    active-scenario setting, with an audit event each time;
  * three reader threads calling metrics.kpis / by_group / funnel in a loop;
  * one thread taking 3 backups while all that runs.
Checked: no exception at all (so no "connection is busy"), every thread ends (no deadlock),
final counts exact (nothing lost), every read saw a whole number of imports (no torn read),
every backup is a consistent snapshot that restores.
"""
from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from salescore import audit, backup, db, incentives, ingest, metrics
from salescore.metrics import Scope

pytestmark = pytest.mark.slow

FILES_PER_IMPORTER = 4
ROWS = 3_000
AMOUNT = 100          # every imported deal is won for 100: a file adds 300,000 of revenue
PLAN_SAVES = 30
BACKUPS = 3
STAGES = ["线索", "需求确认", "方案报价", "商务谈判"]


def deals_csv(prefix: str, n: int) -> bytes:
    """ROWS won deals with ids <prefix><n>-<i>, closed 2026-03-15 (inside the demo range)."""
    lines = ["商机编号,销售员,客户名称,金额,阶段,创建日期,成交日期"]
    lines += [f"{prefix}{n}-{i:05d},{prefix}销售{i % 7},{prefix}客户{i % 50},{AMOUNT},赢单,2026-02-01,"
              f"2026-03-15" for i in range(ROWS)]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
def server_con(tmp_path, demo_copy):
    con = db.connect(demo_copy(tmp_path / "shared.duckdb", "zh"))
    yield con
    con.close()


def test_two_importers_an_editor_readers_and_backups(server_con, tmp_path):
    con = server_con
    start, end = metrics.data_range(con)
    base = metrics.kpis(con, start, end, Scope())
    base_deals = db.table_counts(con)["deals"]
    errors: list[tuple[str, BaseException]] = []
    ops = {"import": 0, "plan_save": 0, "setting": 0, "read": 0, "backup": 0, "audit": 0}
    seen_revenue: list[float] = []
    backups: list[bytes] = []
    lock = threading.Lock()
    writers_done = threading.Event()

    def guard(name, fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - collected, asserted below
                with lock:
                    errors.append((name, exc))
        return threading.Thread(target=run, name=name)

    def count(op: str, n: int = 1) -> None:
        with lock:
            ops[op] += n

    def importer(prefix: str):
        def run():
            for n in range(FILES_PER_IMPORTER):
                data = deals_csv(prefix, n)
                prepared = ingest.prepare(data, f"{prefix}{n}.csv", con=con)
                result = ingest.load(con, prepared)
                assert (result.new, result.updated) == (ROWS, 0)   # load() records the audit event
                count("import")
                count("audit")
        return run

    def editor():
        plan = incentives.template("standard", "并发方案")
        for i in range(PLAN_SAVES):
            incentives.save_plan(con, incentives.with_lever(plan, plan_lever(plan), 0.05 + i / 1000))
            count("plan_save")
            db.set_setting(con, "stage_order", STAGES[i % 4:] + STAGES[:i % 4])
            db.set_setting(con, "active_scenario", "base")
            count("setting", 2)
            count("audit")   # save_plan records the plan_edit event

    def reader():
        while not writers_done.is_set():
            k = metrics.kpis(con, start, end, Scope())
            metrics.by_group(con, start, end, "rep", Scope())
            metrics.funnel(con, start, end, Scope(), metrics.stage_order(con))
            with lock:
                seen_revenue.append(float(k["revenue_won"]))
            count("read", 3)

    def backer():
        for _ in range(BACKUPS):
            backups.append(backup.backup_bytes(con))
            count("backup")
            count("audit")
            time.sleep(0.05)

    writers = [guard("importer-A", importer("A")), guard("importer-B", importer("B")),
               guard("editor", editor), guard("backup", backer)]
    readers = [guard(f"reader-{i}", reader) for i in range(3)]
    t0 = time.perf_counter()
    for th in writers + readers:
        th.start()
    for th in writers:
        th.join(timeout=240)
    writers_done.set()
    for th in readers:
        th.join(timeout=60)
    elapsed = time.perf_counter() - t0

    alive = [th.name for th in writers + readers if th.is_alive()]
    assert alive == [], f"deadlocked or stuck: {alive}"
    assert errors == [], errors
    assert not any("busy" in str(e) for _, e in errors)

    # nothing lost
    files = 2 * FILES_PER_IMPORTER
    assert ops["import"] == files and ops["plan_save"] == PLAN_SAVES and ops["backup"] == BACKUPS
    with con.cursor() as cur:
        assert cur.execute("select count(*) from deals where deal_id like 'A_-%'").fetchall()[0][0] \
            == FILES_PER_IMPORTER * ROWS
        assert cur.execute("select count(*) from deals where deal_id like 'B_-%'").fetchall()[0][0] \
            == FILES_PER_IMPORTER * ROWS
        assert cur.execute("select count(*) from imports where status = 'loaded'").fetchall()[0][0] == files
        versions = cur.execute("select list(version order by version) from plans "
                               "where name = '并发方案'").fetchall()[0][0]
        assert versions == list(range(1, PLAN_SAVES + 1))
    assert db.table_counts(con)["deals"] == base_deals + files * ROWS
    assert db.get_setting(con, "stage_order") == STAGES[(PLAN_SAVES - 1) % 4:] + STAGES[:(PLAN_SAVES - 1) % 4]
    log = audit.events(con)
    assert log["action"].value_counts().to_dict() == {"import": files, "plan_edit": PLAN_SAVES,
                                                      "backup": BACKUPS}
    final = metrics.kpis(con, start, end, Scope())
    assert final["revenue_won"] == pytest.approx(base["revenue_won"] + files * ROWS * AMOUNT)
    assert final["deals_won"] == base["deals_won"] + files * ROWS

    # every read saw a whole number of committed files: revenue = base + k x 300,000
    assert len(seen_revenue) > 0
    for revenue in seen_revenue:
        k = (revenue - float(base["revenue_won"])) / (ROWS * AMOUNT)
        assert k == pytest.approx(round(k), abs=1e-6) and 0 <= round(k) <= files, revenue

    # every backup is one snapshot: its deals are the demo's plus whole imported files
    for i, data in enumerate(backups):
        manifest = backup.inspect(data)
        extra = manifest["tables"]["deals"] - base_deals
        assert extra == ROWS * manifest["tables"]["imports"], manifest["tables"]
        target = db.connect(tmp_path / f"restored{i}.duckdb")
        try:
            backup.restore(target, data)   # validates every table against the manifest
            assert db.table_counts(target)["deals"] == manifest["tables"]["deals"]
        finally:
            target.close()

    print(f"\nconcurrency: {sum(ops.values())} operations in {elapsed:.1f} s: {ops}; "
          f"{len(seen_revenue)} kpis reads, all consistent")


def test_restore_while_readers_run(server_con):
    """A restore (which re-creates every table in one transaction) while 3 reader threads
    query: no reader fails, and each read sees either the whole old or the whole restored
    database (revenue is one of the two totals, never a mix)."""
    con = server_con
    start, end = metrics.data_range(con)
    snapshot = backup.backup_bytes(con)
    restored = float(metrics.kpis(con, start, end, Scope())["revenue_won"])
    errors: list[BaseException] = []
    seen: list[float] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                seen.append(float(metrics.kpis(con, start, end, Scope())["revenue_won"]))
                metrics.by_group(con, start, end, "rep", Scope())
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for th in threads:
        th.start()
    changed: set[float] = set()
    for n in range(4):
        # change the data, then put the snapshot back, while the readers run
        ingest.load(con, ingest.prepare(deals_csv("R", n), f"R{n}.csv", con=con))
        changed.add(float(metrics.kpis(con, start, end, Scope())["revenue_won"]))
        backup.restore(con, snapshot)
    stop.set()
    for th in threads:
        th.join(timeout=60)
    assert not any(th.is_alive() for th in threads)
    assert errors == []
    assert float(metrics.kpis(con, start, end, Scope())["revenue_won"]) == pytest.approx(restored)
    assert len(seen) > 0
    assert {round(v, 2) for v in seen} <= {round(v, 2) for v in changed | {restored}}


def plan_lever(plan: incentives.Plan) -> str:
    """The commission default-rate lever of the plan (a key the editor can move)."""
    keys = [lever.key for lever in incentives.levers(plan)]
    return next(k for k in keys if "default_rate" in k)


def test_second_process_gets_a_clear_error(tmp_path):
    """One DuckDB file, one process: a second process opening it gets DatabaseBusy, not a
    traceback (DESIGN §1)."""
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "locked.duckdb"
    con = db.connect(path)
    try:
        done = subprocess.run([sys.executable, "-m", "salescore", "metrics", "--db", str(path)],
                              cwd=Path(__file__).resolve().parents[1], capture_output=True,
                              text=True, timeout=60)
    finally:
        con.close()
    assert done.returncode == 2
    assert "open in another salescore window" in done.stderr and "Traceback" not in done.stderr


def test_sanity_date_range_from_demo(server_con):
    start, end = metrics.data_range(server_con)
    assert start <= date(2026, 3, 15) <= end   # the imported close date counts in kpis

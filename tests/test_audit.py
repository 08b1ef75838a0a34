"""The audit log (salescore/audit.py): events commit and roll back with the caller's
transaction, read newest first, export as injection-safe CSV."""
from __future__ import annotations

import csv
import io
import json
import threading
from datetime import date
from decimal import Decimal

import pytest

from salescore import audit, db


def test_record_commits_with_the_transaction(con):
    with db.transaction(con) as cur:
        cur.execute("insert into reps (rep_id, name) values ('R1', 'Ann')")
        first = audit.record(cur, "import", {"file": "deals.xlsx", "rows": 3}, user="ann")
        second = audit.record(cur, "target_save", {"scenario": "base", "month": date(2026, 7, 1),
                                                   "value": Decimal("1500.50")})
    assert second == first + 1
    log = audit.events(con)
    assert list(log.columns) == ["event_id", "event_at", "user_name", "action", "detail",
                                 "restored_from"]
    assert log["restored_from"].isna().all()          # this database's own events
    assert list(log["action"]) == ["target_save", "import"]          # newest first
    # the explicit user, else the actor (here the operating-system user: nobody signed in)
    assert log["user_name"].tolist() == [audit.actor(), "ann"]
    assert json.loads(log["detail"][0]) == {"month": "2026-07-01", "scenario": "base",
                                            "value": "1500.50"}
    assert json.loads(log["detail"][1]) == {"file": "deals.xlsx", "rows": 3}
    assert log["event_at"].notna().all()


def test_record_rolls_back_with_the_transaction(con):
    """The event and the change it describes are one unit: a failed change leaves no event."""
    with pytest.raises(RuntimeError):
        with db.transaction(con) as cur:
            cur.execute("insert into reps (rep_id, name) values ('R1', 'Ann')")
            audit.record(cur, "import", {"file": "x.csv"}, user="ann")
            raise RuntimeError("the import failed after recording")
    assert audit.events(con).empty
    assert con.execute("select count(*) from reps").fetchall() == [(0,)]


def test_events_limit_and_action(con):
    with db.transaction(con) as cur:
        for i in range(5):
            audit.record(cur, "undo" if i % 2 else "import", {"i": i})
    assert audit.events(con, limit=2)["detail"].map(json.loads).tolist() == [{"i": 4}, {"i": 3}]
    assert audit.events(con, action="undo")["detail"].map(json.loads).tolist() == [{"i": 3}, {"i": 1}]
    assert audit.events(con, limit=0).empty


@pytest.mark.parametrize("action", ["", "Import", "drop table x", "a" * 65, None, "导入"])
def test_action_must_be_a_code(con, action):
    with pytest.raises(ValueError):
        with db.transaction(con) as cur:
            audit.record(cur, action, {})
    assert audit.events(con).empty


def test_huge_detail_is_truncated_not_refused(con):
    with db.transaction(con) as cur:
        audit.record(cur, "import", {"rows": ["x" * 100] * 2000})
    assert json.loads(audit.events(con)["detail"][0])["truncated"] is True


def test_export_csv_escapes_formulas(con):
    """Each text cell starting with = + - @ (or tab/CR) gets a leading apostrophe; 4 events
    with a hostile user name, action-neutral details, Chinese text kept."""
    with db.transaction(con) as cur:
        audit.record(cur, "import", {"file": "销售.xlsx"}, user="=HYPERLINK(\"http://x\",\"y\")")
        audit.record(cur, "plan_edit", {"plan": "standard"}, user="+cmd|' /C calc'!A0")
        audit.record(cur, "undo", {}, user="-2+3")
        audit.record(cur, "restore", {}, user="@SUM(A1)")
        audit.record(cur, "backup", {}, user="\tstart")
    data = audit.export_csv(con)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["event_id", "event_at", "user_name", "action", "detail", "restored_from"]
    body = rows[1:]
    assert [r[3] for r in body] == ["import", "plan_edit", "undo", "restore", "backup"]  # oldest first
    assert [r[2] for r in body] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+cmd|' /C calc'!A0",
                                    "'-2+3", "'@SUM(A1)", "'\tstart"]
    assert json.loads(body[0][4]) == {"file": "销售.xlsx"}
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_record_from_threads(con):
    """8 threads x 25 events through db.transaction on one connection: 200 events, ids unique."""
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(25):
                with db.transaction(con) as cur:
                    audit.record(cur, "settings", {"thread": n, "i": i})
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert errors == []
    log = audit.events(con)
    assert len(log) == 200 and log["event_id"].is_unique


def test_imports_undo_plan_edits_and_target_saves_are_recorded(con):
    """Each writer records who did what inside its own transaction (issue 10)."""
    from salescore import ingest, incentives
    from salescore.audit import events, set_actor

    set_actor("Ann Manager")
    try:
        data = "销售员,客户名称,金额,阶段,成交日期\n张伟,甲公司,1000,赢单,2026-01-05\n".encode()
        batch = ingest.load(con, ingest.prepare(data, "deals.csv")).batch_id
        ingest.undo(con)
        incentives.save_plan(con, incentives.template("standard"))
    finally:
        set_actor(None)
    log = events(con)
    assert list(log["action"])[:3] == ["plan_edit", "undo", "import"]
    assert set(log["user_name"][:3]) == {"Ann Manager"}
    assert f'"batch": {batch}' in log.loc[log["action"] == "import", "detail"].iloc[0]
    assert '"file": "deals.csv"' in log.loc[log["action"] == "import", "detail"].iloc[0]


def test_actor_defaults_to_the_operating_system_user(con):
    from salescore import audit, db
    with db.transaction(con) as cur:
        audit.record(cur, "settings", {"key": "x"})
    assert audit.events(con)["user_name"].iloc[0] == audit.actor() != ""


@pytest.mark.parametrize(("lang", "header"), [("en", "Restored from backup"), ("zh", "恢复自备份")])
def test_the_data_page_shows_where_restored_events_came_from(tmp_path, monkeypatch, lang, header):
    """The audit view on the Data page has the restored_from column, named in the user's
    language, with the backup's name on the events a restore brought in."""
    import streamlit as st

    from salescore import backup
    from tests.conftest import open_page

    path = tmp_path / "log.duckdb"
    con = db.connect(path)
    try:
        with db.transaction(con) as cur:
            audit.record(cur, "plan_edit", {"plan": "standard"}, user="ann")
        backup.write(con, tmp_path / "b.zip")
        with db.transaction(con) as cur:
            cur.execute("delete from audit_log")
        backup.restore(con, tmp_path / "b.zip")
    finally:
        con.close()
    at = open_page(path, monkeypatch, "pages/data.py")
    try:
        at.session_state["lang"] = lang
        at.run()
        assert not at.exception
        logs = [f.value for f in at.dataframe if header in f.value.columns]
        assert len(logs) == 1
        column = logs[0][header]
        assert column.isna().tolist() == [True, False]        # the restore itself, ann's edit
        assert column[1].startswith("b.zip · ")
    finally:
        st.cache_resource.clear()

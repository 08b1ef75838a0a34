"""Closed pay periods (DESIGN.md section 8), on two hand-made exports a few weeks apart, every
figure worked out by hand. Real DuckDB, the real importer.

Plan "Close": quarterly, commission 10% of won revenue, clawback within 90 days; no quota, no
bonus, no multipliers (so each deal pays 10% of its amount).

Export of 2026-10-02 (first import):
  D1 Ann won 10,000 closed 08-10, D2 Ann won 20,000 closed 09-05, D3 Bob won 5,000 closed
  09-20, D4 Bob open 8,000.
  2026-Q3: Ann 1,000 + 2,000 = 3,000; Bob 500. Closed on 2026-10-05.
Export of 2026-10-20:
  D2 lost (45 days after its close: within 90), D3 corrected to 6,000, D4 won 8,000 on 10-15,
  D5 Ann won 4,000 closed 09-25 (a Q3 deal nobody had entered), D6 Ann won 30,000 on 11-02.
  2026-Q3 stays Ann 3,000, Bob 500 (stored).
  2026-Q4: Ann commission 3,000 (D6), clawback of D2 2,000 (the lost sighting is in Q4: the
  engine's own clawback line, once), adjustment +400 for D5 (late credit into Q3);
  total 1,400. Bob commission 800 (D4), adjustment +100 for D3 (500 -> 600); total 900.
After Q4 is closed, 2027-Q1 carries no adjustment: each difference is paid once.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest

from salescore import audit, db, ingest
from salescore import incentives as inc
from salescore.errors import SalesCoreError
from salescore.periods import parse

pytestmark = pytest.mark.backends

SPEC = {"name": "Close", "period": "quarter", "commission": {"default_rate": 0.10}, "clawback_days": 90}
HEAD = "Deal ID,Sales Agent,Team,Stage,Amount,Created Date,Close Date\n"
EXPORT_1 = HEAD + """D1,Ann,East,Won,10000,2026-07-01,2026-08-10
D2,Ann,East,Won,20000,2026-07-15,2026-09-05
D3,Bob,East,Won,5000,2026-08-01,2026-09-20
D4,Bob,East,Proposal,8000,2026-09-01,
"""
EXPORT_2 = HEAD + """D1,Ann,East,Won,10000,2026-07-01,2026-08-10
D2,Ann,East,Lost,20000,2026-07-15,2026-10-18
D3,Bob,East,Won,6000,2026-08-01,2026-09-20
D4,Bob,East,Won,8000,2026-09-01,2026-10-15
D5,Ann,East,Won,4000,2026-08-20,2026-09-25
D6,Ann,East,Won,30000,2026-10-01,2026-11-02
"""
Q3, Q4, Q1 = parse("2026-Q3"), parse("2026-Q4"), parse("2027-Q1")


def _import(con, text: str, day: date) -> None:
    name = f"deals_{day.isoformat()}.csv"
    ingest.load(con, ingest.prepare(text.encode(), name, con=con), file_name=name)


def _totals(frame: pd.DataFrame) -> dict[str, float]:
    return dict(zip(frame["rep"], frame["total"]))


@pytest.fixture
def company(target):
    con = db.connect(target)
    _import(con, EXPORT_1, date(2026, 10, 2))
    plan = inc.Plan.from_dict(SPEC)
    plan_id, version = inc.save_plan(con, plan)
    yield con, plan, plan_id, version
    con.close()


def test_a_closed_period_keeps_its_payouts_and_the_next_open_one_adjusts_once(company):
    con, plan, plan_id, version = company
    assert _totals(inc.payouts(con, plan, Q3)) == {"Ann": 3000.0, "Bob": 500.0}
    record = inc.close_period(con, plan_id, version, Q3, today=date(2026, 10, 5), user="Mia")
    assert (record.period, record.reps, record.total, record.closed_by) == ("2026-Q3", 2, 3500.0, "Mia")

    _import(con, EXPORT_2, date(2026, 10, 20))
    q3 = inc.payouts(con, plan, Q3)
    assert _totals(q3) == {"Ann": 3000.0, "Bob": 500.0}            # stored, never recomputed
    assert q3["adjustment"].sum() == 0.0

    q4 = inc.payouts(con, plan, Q4).set_index("rep")
    assert q4.loc["Ann", ["commission", "clawback", "adjustment", "total"]].tolist() == [3000.0, 2000.0, 400.0, 1400.0]
    assert q4.loc["Bob", ["commission", "clawback", "adjustment", "total"]].tolist() == [800.0, 0.0, 100.0, 900.0]

    ann = inc.explain(con, plan, Q4, q4.loc["Ann", "rep_id"])
    claws = ann[ann["component"] == "clawback"]
    assert claws["deal_id"].tolist() == ["D2"] and claws["amount"].tolist() == [-2000.0]   # once
    adjust = ann[ann["component"] == "adjustment"]
    assert adjust["deal_id"].tolist() == ["D5"] and adjust["amount"].tolist() == [400.0]
    assert adjust["detail"].tolist() == ["2026-Q3 · commission · late"]
    bob = inc.explain(con, plan, Q4, q4.loc["Bob", "rep_id"])
    line = bob[bob["component"] == "adjustment"].iloc[0]
    assert (line["deal_id"], line["amount"], line["detail"]) == ("D3", 100.0, "2026-Q3 · commission · changed")
    assert float(bob["amount"].sum()) == 900.0                      # the lines add up to the total

    # Q4 closed with its adjustments in it: 2027-Q1 owes nothing more for Q3 or Q4
    inc.close_period(con, plan_id, version, Q4, today=date(2027, 1, 5))
    assert _totals(inc.payouts(con, plan, Q4)) == {"Ann": 1400.0, "Bob": 900.0}
    q1 = inc.payouts(con, plan, Q1)
    assert q1["adjustment"].abs().sum() == 0.0 and q1["total"].sum() == 0.0


def test_a_change_after_two_closes_is_paid_once_in_the_first_open_period(company):
    """Q3 and Q4 closed, then D3 corrected again (6,000 -> 7,000): +100 in 2027-Q1 only."""
    con, plan, plan_id, version = company
    inc.close_period(con, plan_id, version, Q3, today=date(2026, 10, 5))
    _import(con, EXPORT_2, date(2026, 10, 20))
    inc.close_period(con, plan_id, version, Q4, today=date(2027, 1, 5))
    _import(con, EXPORT_2.replace("D3,Bob,East,Won,6000", "D3,Bob,East,Won,7000"), date(2027, 1, 10))
    assert _totals(inc.payouts(con, plan, Q4)) == {"Ann": 1400.0, "Bob": 900.0}
    q1 = inc.payouts(con, plan, Q1).set_index("rep")
    assert q1.loc["Bob", "adjustment"] == 100.0 and q1.loc["Ann", "adjustment"] == 0.0
    lines = inc.explain(con, plan, Q1, q1.loc["Bob", "rep_id"])
    assert lines.loc[lines["component"] == "adjustment", "detail"].tolist() == ["2026-Q3 · commission · changed"]


def test_what_if_plans_on_a_closed_period_still_compute(company):
    con, plan, plan_id, version = company
    inc.close_period(con, plan_id, version, Q3, today=date(2026, 10, 5))
    richer = inc.Plan.from_dict({**SPEC, "commission": {"default_rate": 0.20}})
    assert _totals(inc.payouts(con, richer, Q3)) == {"Ann": 6000.0, "Bob": 1000.0}
    assert _totals(inc.payouts(con, plan, Q3)) == {"Ann": 3000.0, "Bob": 500.0}


def test_close_refuses_a_running_or_closed_period_and_reopen_goes_latest_first(company):
    con, plan, plan_id, version = company
    with pytest.raises(SalesCoreError, match="has not ended") as err:
        inc.close_period(con, plan_id, version, Q4, today=date(2026, 12, 7))
    assert err.value.key == "closing.error.running"
    inc.close_period(con, plan_id, version, Q3, today=date(2026, 10, 5))
    with pytest.raises(SalesCoreError, match="closed already"):
        inc.close_period(con, plan_id, version, Q3, today=date(2026, 10, 6))
    _import(con, EXPORT_2, date(2026, 10, 20))
    inc.close_period(con, plan_id, version, Q4, today=date(2027, 1, 5))
    with pytest.raises(SalesCoreError, match="reopen 2026-Q4 first"):
        inc.reopen_period(con, Q3, "wrong rate")
    inc.reopen_period(con, Q4, "D6 belongs to another rep", user="Mia")
    assert [c.period for c in inc.closed_periods(con)] == ["2026-Q3"]
    assert _totals(inc.payouts(con, plan, Q4)) == {"Ann": 1400.0, "Bob": 900.0}   # computed again
    inc.reopen_period(con, Q3)
    assert _totals(inc.payouts(con, plan, Q3)) == {"Ann": 3400.0, "Bob": 600.0}   # the data now
    assert _totals(inc.payouts(con, plan, Q4)) == {"Ann": 1000.0, "Bob": 800.0}   # no adjustment
    events = audit.events(con)
    reopened = events[events["action"] == "period_reopen"]
    assert len(reopened) == 2 and (events["action"] == "period_close").sum() == 2
    first = json.loads(reopened.iloc[-1]["detail"])
    assert (first["period"], first["reason"], first["total"]) == ("2026-Q4", "D6 belongs to another rep", 2300.0)
    assert reopened.iloc[-1]["user_name"] == "Mia"


def test_undo_after_close_leaves_the_statements_and_adjusts(company):
    """Undoing the second export takes D5 out again: the +400 goes with it; Q3 unchanged."""
    con, plan, plan_id, version = company
    inc.close_period(con, plan_id, version, Q3, today=date(2026, 10, 5))
    _import(con, EXPORT_2, date(2026, 10, 20))
    batch = int(con.execute("select max(batch_id) from imports").fetchall()[0][0])
    ingest.undo(con, batch)
    assert _totals(inc.payouts(con, plan, Q3)) == {"Ann": 3000.0, "Bob": 500.0}
    assert inc.payouts(con, plan, Q4)["adjustment"].abs().sum() == 0.0


def test_statements_survive_a_backup_and_restore(company, tmp_path):
    from salescore import backup

    con, plan, plan_id, version = company
    inc.close_period(con, plan_id, version, Q3, today=date(2026, 10, 5))
    data = backup.backup_bytes(con)
    inc.reopen_period(con, Q3)
    backup.restore(con, data)
    assert [c.period for c in inc.closed_periods(con)] == ["2026-Q3"]


def _cli(*args: str, db_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "salescore", *args, "--db", str(db_path)],
                          capture_output=True, text=True, timeout=120)


def test_cli_close_payouts_and_reopen(target, tmp_path):
    path = target
    con = db.connect(path)
    _import(con, EXPORT_1, date(2026, 10, 2))
    inc.save_plan(con, inc.Plan.from_dict(SPEC))
    con.close()
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(SPEC), encoding="utf-8")
    done = _cli("close", "2026-Q3", "--json", db_path=path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == 3500.0
    again = _cli("close", "2026-Q3", db_path=path)
    assert again.returncode == 2 and "closed already" in again.stderr and "Traceback" not in again.stderr
    con = db.connect(path)
    _import(con, EXPORT_2, date(2026, 10, 20))
    con.close()
    paid = _cli("payouts", "--plan", str(plan_file), "--period", "2026-Q3", "--json", db_path=path)
    assert {r["rep"]: r["total"] for r in json.loads(paid.stdout)} == {"Ann": 3000.0, "Bob": 500.0}
    assert "stored statements" in paid.stderr
    q4 = _cli("payouts", "--plan", str(plan_file), "--period", "2026-Q4", "--json", db_path=path)
    assert {r["rep"]: r["adjustment"] for r in json.loads(q4.stdout)} == {"Ann": 400.0, "Bob": 100.0}
    listed = _cli("close", "--list", "--json", db_path=path)
    assert [r["period"] for r in json.loads(listed.stdout)] == ["2026-Q3"]
    running = _cli("close", "2026-Q4", db_path=path)
    assert running.returncode == 2 and "has not ended" in running.stderr
    reopened = _cli("reopen", "2026-Q3", "--reason", "late deals", db_path=path)
    assert reopened.returncode == 0, reopened.stderr
    paid = _cli("payouts", "--plan", str(plan_file), "--period", "2026-Q3", "--json", db_path=path)
    assert {r["rep"]: r["total"] for r in json.loads(paid.stdout)} == {"Ann": 3400.0, "Bob": 600.0}

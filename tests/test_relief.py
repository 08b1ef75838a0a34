"""Quota relief (DESIGN.md section 10), worked by hand. Real DuckDB, the real importer.

Ann's targets: 30,000 a month for July, August and September 2026 (Q3 quota 90,000); she won
45,000 in Q3 (attainment 50%). Plan: quarterly base bonus 10% of a 10,000 monthly salary
(30,000 for the quarter) times attainment, from 0% of quota.
- August on leave (2026-08-01 .. 2026-08-31, share 100%): August's quota 0.
- A territory change halves her quota for 2026-09-01 .. 2026-09-15: September 2026 has 22
  working days, the 1st (a Tuesday) to the 15th covers 11, so 0.5 x 11 / 22 = 25% of
  September goes: 22,500.
Q3 quota 30,000 + 0 + 22,500 = 52,500; attainment 45,000 / 52,500 = 85.714...%; base bonus
30,000 x 10% x 0.857142... = 2,571.43. Removing both entries gives back 90,000 and 1,500.
"""
from __future__ import annotations

from datetime import date

import pytest

from salescore import audit, db, ingest
from salescore import incentives as inc
from salescore.errors import SalesCoreError
from salescore.periods import parse, working_days

pytestmark = pytest.mark.backends

DEALS = """Deal ID,Sales Agent,Team,Stage,Amount,Created Date,Close Date
D1,Ann,East,Won,45000,2026-07-01,2026-08-10
"""
TARGETS = "Sales Rep,Month,Target\nAnn,2026-07,30000\nAnn,2026-08,30000\nAnn,2026-09,30000\n"
REPS = "Sales Rep,Team,Base Salary\nAnn,East,10000\n"
SPEC = {"name": "Relief", "period": "quarter", "base_bonus": {"pct_of_salary": 0.10, "gate": 0.0, "cap": 2.0}}
Q3 = parse("2026-Q3")


@pytest.fixture
def con(target):
    con = db.connect(target)
    for text, name in ((DEALS, "deals.csv"), (REPS, "reps.csv"), (TARGETS, "targets.csv")):
        ingest.load(con, ingest.prepare(text.encode(), name, con=con), file_name=name)
    yield con
    con.close()


def _ann(con):
    plan = inc.Plan.from_dict(SPEC)
    return inc.payouts(con, plan, Q3).set_index("rep").loc["Ann"]


def test_leave_and_a_territory_change_lower_the_quota_by_working_days(con):
    assert working_days(date(2026, 9, 1), date(2026, 9, 30)) == 22
    assert working_days(date(2026, 9, 1), date(2026, 9, 15)) == 11
    before = _ann(con)
    assert (before["quota"], before["attainment"], before["base_bonus"]) == (90000.0, 0.5, 1500.0)
    rep_id = str(before["rep_id"])
    first = inc.relief.add(con, rep_id, date(2026, 8, 1), date(2026, 8, 31), 1.0, "Parental leave", user="Mia")
    second = inc.relief.add(con, rep_id, date(2026, 9, 1), date(2026, 9, 15), 0.5, "Territory moved to Bob")
    after = _ann(con)
    assert after["quota"] == 52500.0
    assert after["attainment"] == pytest.approx(45000 / 52500)
    assert after["base_bonus"] == 2571.43
    listed = inc.relief.listing(con, rep_id=rep_id)
    assert listed["relief_id"].tolist() == [second, first] and listed["reason"].tolist()[1] == "Parental leave"
    inc.relief.remove(con, first)
    inc.relief.remove(con, second)
    again = _ann(con)
    assert (again["quota"], again["base_bonus"]) == (90000.0, 1500.0)
    actions = audit.events(con)["action"].tolist()
    assert actions.count("quota_relief") == 2 and actions.count("quota_relief_removed") == 2


def test_bad_relief_gets_a_sentence_and_stores_nothing(con):
    rep_id = str(_ann(con)["rep_id"])
    cases = {"reason": (date(2026, 8, 1), date(2026, 8, 2), 1.0, " "),
             "dates": (date(2026, 8, 2), date(2026, 8, 1), 1.0, "leave"),
             "share": (date(2026, 8, 1), date(2026, 8, 2), 1.5, "leave")}
    for key, (a, b, share, why) in cases.items():
        with pytest.raises(SalesCoreError) as err:
            inc.relief.add(con, rep_id, a, b, share, why)
        assert err.value.key == f"relief.error.{key}"
    with pytest.raises(SalesCoreError) as err:
        inc.relief.add(con, "nobody", date(2026, 8, 1), date(2026, 8, 2), 1.0, "leave")
    assert err.value.key == "relief.error.rep"
    with pytest.raises(SalesCoreError, match="no quota relief 7"):
        inc.relief.remove(con, 7)
    assert inc.relief.listing(con).empty


def test_the_command_line_adds_lists_and_removes_relief(con, target):
    import json
    import subprocess
    import sys

    con.close()
    run = [sys.executable, "-m", "salescore", "relief", "--db", str(target)]
    out = subprocess.run([*run, "--rep", "Ann", "--from", "2026-08-01", "--to", "2026-08-31", "--reason",
                          "Parental leave", "--json"], capture_output=True, text=True, check=True)
    body = json.loads(out.stdout)
    assert body["added"] == 1 and body["relief"][0]["share"] == 1.0 and body["relief"][0]["rep"] == "Ann"
    bad = subprocess.run([*run, "--rep", "Ann", "--from", "2026-08-01", "--to", "2026-08-31"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "Say why" in bad.stderr
    text = subprocess.run([*run, "--remove", "1"], capture_output=True, text=True, check=True).stdout
    assert "No quota relief." in text

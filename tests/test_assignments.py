"""Effective-dated plan assignments and team moves (DESIGN.md section 10), worked by hand.
Real DuckDB, the real importer.

2026-Q3 has 66 working days: July 23, August 21 (the 1st to the 16th: 10), September 22; July
1st to August 16th: 33. Ann and Bob: 30,000 a month each, salary 10,000. Deals: D1 Ann
2026-07-10 50,000; D2 Ann 2026-08-20 40,000; D3 Bob 2026-09-01 30,000.

Plans: Field (5% commission; base bonus 10% of salary x attainment, gate 0, cap 2) and Senior
(8%, the same bonus). Bob is on Field all year; Ann on Field from July 1st and on Senior from
August 17th (a transfer: her Field assignment ends on the 16th).

- Field pays Ann for July 1st to August 16th: quota 30,000 + 30,000 x 10/21 = 44,285.71; D1
  only, attainment 50,000 / 44,285.71 = 112.90%; target bonus 10,000 x 3 x 33/66 = 15,000,
  bonus 15,000 x 10% x 1.12903 = 1,693.55; commission 50,000 x 5% = 2,500.
- Senior pays her for August 17th on: quota 30,000 x 11/21 + 30,000 = 45,714.29; D2, attainment
  87.5%; bonus 15,000 x 10% x 0.875 = 1,312.50; commission 40,000 x 8% = 3,200.
- Bob on Field: quota 90,000, attainment 1/3, bonus 1,000, commission 1,500; Senior does not pay
  him, and neither plan pays Mia (assigned to neither).

Team moves: Mia manages Ann and Bob; Bob moves to West under Lee on 2026-09-01. A 1% manager
override (plan Managers): Mia's team is Ann all quarter and Bob for July and August (44/66);
team revenue 90,000 (Ann's deals, whatever her own plan) -> override 900; team quota 90,000 +
90,000 x 44/66 = 150,000, attainment 60%. Lee: Bob for September (22/66): quota 30,000, D3 30,000
-> override 300, attainment 100%.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from salescore import audit, db, ingest
from salescore import incentives as inc
from salescore.errors import SalesCoreError
from salescore.periods import parse, working_days
from salescore.scope import Scope

pytestmark = pytest.mark.backends

DEALS = """Deal ID,Sales Agent,Team,Stage,Amount,Created Date,Close Date
D1,Ann,East,Won,50000,2026-07-01,2026-07-10
D2,Ann,East,Won,40000,2026-07-01,2026-08-20
D3,Bob,East,Won,30000,2026-07-01,2026-09-01
"""
REPS = "Sales Rep,Team,Manager,Base Salary\nAnn,East,Mia,10000\nBob,East,Mia,10000\nMia,East,,20000\nLee,West,,20000\n"
TARGETS = "Sales Rep,Month,Target\n" + "".join(
    f"{rep},2026-{m:02d},30000\n" for rep in ("Ann", "Bob") for m in (7, 8, 9))
BONUS = {"pct_of_salary": 0.10, "gate": 0.0, "cap": 2.0}
FIELD = {"name": "Field", "period": "quarter", "base_bonus": BONUS, "commission": {"default_rate": 0.05}}
SENIOR = {"name": "Senior", "period": "quarter", "base_bonus": BONUS, "commission": {"default_rate": 0.08}}
MANAGERS = {"name": "Managers", "period": "quarter", "override": {"rate": 0.01}}
Q3 = parse("2026-Q3")


@pytest.fixture
def con(target):
    con = db.connect(target)
    for text, name in ((DEALS, "deals.csv"), (REPS, "reps.csv"), (TARGETS, "targets.csv")):
        ingest.load(con, ingest.prepare(text.encode(), name, con=con), file_name=name)
    yield con
    con.close()


def _ids(con) -> dict[str, str]:
    return {name: rep_id for rep_id, name in con.execute("select rep_id, name from reps").fetchall()}


def _pay(con, spec, scope=Scope()):
    return inc.payouts(con, inc.Plan.from_dict(spec), Q3, scope).set_index("rep")


def _assign_field_and_senior(con):
    ids = _ids(con)
    field, _ = inc.save_plan(con, inc.Plan.from_dict(FIELD))
    senior, _ = inc.save_plan(con, inc.Plan.from_dict(SENIOR))
    inc.assignments.assign(con, ids["Bob"], field, "2026-01-01", user="Kim")
    inc.assignments.assign(con, ids["Ann"], field, "2026-07-01", user="Kim")
    inc.assignments.assign(con, ids["Ann"], senior, "2026-08-17", user="Kim")   # the transfer
    return ids, field, senior


def test_the_working_days_of_the_worked_examples():
    assert working_days(Q3.start, Q3.end) == 66
    assert working_days(date(2026, 8, 1), date(2026, 8, 16)) == 10
    assert working_days(date(2026, 7, 1), date(2026, 8, 16)) == 33
    assert working_days(date(2026, 7, 1), date(2026, 8, 31)) == 44


def test_a_plan_without_assignments_pays_every_rep(con):
    pay = _pay(con, FIELD)
    assert set(pay.index) == {"Ann", "Bob", "Mia", "Lee"}
    assert (pay.loc["Ann", "quota"], pay.loc["Ann", "commission"]) == (90000.0, 4500.0)


def test_a_transfer_between_plans_prorates_quota_and_bonus_by_working_days(con):
    ids, field, senior = _assign_field_and_senior(con)
    listed = inc.assignments.assignments(con, rep_id=ids["Ann"])
    assert listed["plan"].tolist() == ["Field", "Senior"]
    assert listed["to_date"].tolist()[0] == pd_date("2026-08-16")      # ended by the transfer
    assert listed["to_date"].isna().tolist()[1]

    on_field = _pay(con, FIELD)
    assert set(on_field.index) == {"Ann", "Bob"}                      # Mia and Lee: not assigned
    ann = on_field.loc["Ann"]
    assert ann["quota"] == pytest.approx(30000 + 30000 * 10 / 21)
    assert ann["attainment"] == pytest.approx(50000 / (30000 + 30000 * 10 / 21))
    assert ann["revenue_won"] == 50000.0                              # D2 is Senior's
    assert ann["base_bonus"] == 1693.55 and ann["commission"] == 2500.0
    lines = inc.explain(con, inc.Plan.from_dict(FIELD), Q3, ids["Ann"])
    bonus = lines[lines["component"] == "base_bonus"].iloc[0]
    assert bonus["basis"] == 15000.0 and bonus["detail"] == "prorated:33:66"
    bob = on_field.loc["Bob"]
    assert (bob["quota"], bob["base_bonus"], bob["commission"]) == (90000.0, 1000.0, 1500.0)

    on_senior = _pay(con, SENIOR)
    assert list(on_senior.index) == ["Ann"]
    ann = on_senior.loc["Ann"]
    assert ann["quota"] == pytest.approx(30000 * 11 / 21 + 30000)
    assert ann["attainment"] == pytest.approx(40000 / (30000 * 11 / 21 + 30000))
    assert ann["attainment"] == pytest.approx(0.875)
    assert (ann["base_bonus"], ann["commission"], ann["total"]) == (1312.5, 3200.0, 4512.5)

    # taking the Senior assignment back leaves Field's ended on the 16th; Senior, left with no
    # assignment, pays every rep again (as before assignments existed)
    number = int(listed["assignment_id"].iloc[1])
    inc.assignments.unassign(con, number, user="Kim")
    assert set(_pay(con, SENIOR).index) == {"Ann", "Bob", "Mia", "Lee"}
    assert _pay(con, FIELD).loc["Ann", "commission"] == 2500.0
    actions = audit.events(con)["action"].tolist()
    assert actions.count("plan_assignment") == 3 and "plan_assignment_removed" in actions


def pd_date(text: str):
    return pd.Timestamp(text)


def test_overlapping_assignments_and_bad_dates_are_refused_with_a_sentence(con):
    ids, field, senior = _assign_field_and_senior(con)
    before = con.execute("select count(*) from plan_assignments").fetchall()
    with pytest.raises(SalesCoreError) as err:          # inside Ann's ended Field window
        inc.assignments.assign(con, ids["Ann"], senior, "2026-07-15", "2026-07-31")
    assert err.value.key == "assign.error.overlap" and "field" in str(err.value).lower()
    with pytest.raises(SalesCoreError) as err:
        inc.assignments.assign(con, ids["Mia"], field, "2026-09-01", "2026-08-01")
    assert err.value.key == "assign.error.dates"
    with pytest.raises(SalesCoreError) as err:
        inc.assignments.assign(con, ids["Mia"], "no-such-plan", "2026-09-01")
    assert err.value.key == "assign.error.plan"
    with pytest.raises(SalesCoreError) as err:
        inc.assignments.assign(con, "R404", field, "2026-09-01")
    assert err.value.key == "assign.error.rep"
    with pytest.raises(SalesCoreError) as err:
        inc.assignments.assign(con, ids["Mia"], field, "next tuesday")
    assert err.value.key == "assign.error.date"
    assert con.execute("select count(*) from plan_assignments").fetchall() == before


def test_a_team_move_splits_the_managers_override_by_the_days_reported(con):
    ids = _ids(con)
    number = inc.assignments.move(con, ids["Bob"], "West", "2026-09-01", manager="Lee", user="Kim",
                                  today=date(2026, 12, 7))
    spans = inc.assignments.moves(con, rep_id=ids["Bob"])
    assert spans["team"].tolist() == ["East", "West"] and spans["manager"].tolist() == ["Mia", "Lee"]
    assert spans["to_date"].tolist()[0] == pd.Timestamp("2026-08-31") and spans["from_date"].isna().tolist()[0]
    assert con.execute("select team, manager from reps where rep_id = $r", {"r": ids["Bob"]}).fetchall() == [("West", "Lee")]

    pay = _pay(con, MANAGERS)
    mia, lee = pay.loc["Mia"], pay.loc["Lee"]
    assert (mia["override"], mia["quota"], mia["attainment"]) == (900.0, 150000.0, 0.6)
    assert (lee["override"], lee["quota"], lee["attainment"]) == (300.0, 30000.0, 1.0)
    assert pay.loc["Bob", "team"] == "West" and pay.loc["Ann", "team"] == "East"
    assert "Bob" not in _pay(con, MANAGERS, Scope(team="East")).index

    # the managers' plan assigned to the managers only: the same override, whatever the reps' plans
    _assign_field_and_senior(con)
    managers, _ = inc.save_plan(con, inc.Plan.from_dict(MANAGERS))
    for name in ("Mia", "Lee"):
        inc.assignments.assign(con, ids[name], managers, "2026-01-01")
    pay = _pay(con, MANAGERS)
    assert set(pay.index) == {"Mia", "Lee"}
    assert (pay.loc["Mia", "override"], pay.loc["Mia", "quota"]) == (900.0, 150000.0)
    assert (pay.loc["Lee", "override"], pay.loc["Lee", "quota"]) == (300.0, 30000.0)

    # a move must come after the latest; only the latest can be taken back, and that restores
    with pytest.raises(SalesCoreError) as err:
        inc.assignments.move(con, ids["Bob"], "North", "2026-08-01")
    assert err.value.key == "assign.error.order"
    first = int(spans["move_id"].iloc[0])
    with pytest.raises(SalesCoreError) as err:
        inc.assignments.remove_move(con, first)
    assert err.value.key == "assign.error.unknown"        # the span before the first move
    inc.assignments.remove_move(con, number)
    assert inc.assignments.moves(con).empty
    assert con.execute("select team, manager from reps where rep_id = $r", {"r": ids["Bob"]}).fetchall() == [("East", "Mia")]
    assert _pay(con, MANAGERS).loc["Mia", "override"] == 1200.0
    assert {"team_move", "team_move_removed"} <= set(audit.events(con)["action"])


def test_a_move_dated_later_keeps_the_rep_where_they_are_today(con):
    ids = _ids(con)
    inc.assignments.move(con, ids["Ann"], "West", "2027-01-04", manager="Lee", today=date(2026, 12, 7))
    assert con.execute("select team from reps where rep_id = $r", {"r": ids["Ann"]}).fetchall() == [("East",)]
    assert _pay(con, MANAGERS).loc["Mia", "override"] == 1200.0      # Q3: still Mia's
    with pytest.raises(SalesCoreError) as err:
        inc.assignments.move(con, ids["Ann"], "  ", "2027-02-01")
    assert err.value.key == "assign.error.team"


def test_the_command_line_assigns_and_moves_in_json(target, capsys):
    """``assign`` and ``move`` (DESIGN section 10's CLI): Ann on Field from July 1st, then Bob
    to West under Lee from September 1st, each listed in JSON; a plan that does not exist is a
    sentence and exit status 2, nothing stored."""
    import json

    from salescore import cli

    path = target
    con = db.connect(path)
    for text, name in ((DEALS, "deals.csv"), (REPS, "reps.csv"), (TARGETS, "targets.csv")):
        ingest.load(con, ingest.prepare(text.encode(), name, con=con), file_name=name)
    field, _ = inc.save_plan(con, inc.Plan.from_dict(FIELD))
    con.close()
    assert cli.main(["assign", "--db", str(path), "--rep", "Ann", "--plan", "Field", "--from", "2026-07-01",
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["added"] == 1
    assert [(r["rep"], r["plan_id"], r["from_date"], r["to_date"]) for r in out["assignments"]] == [
        ("Ann", field, "2026-07-01", None)]
    assert cli.main(["move", "--db", str(path), "--rep", "Bob", "--team", "West", "--manager", "Lee",
                     "--from", "2026-09-01", "--json"]) == 0
    moves = json.loads(capsys.readouterr().out)["moves"]
    assert [(m["team"], m["manager"], m["from_date"]) for m in moves] == [("East", "Mia", None),
                                                                         ("West", "Lee", "2026-09-01")]
    assert cli.main(["assign", "--db", str(path), "--rep", "Bob", "--plan", "Nope", "--from", "2026-07-01"]) == 2
    assert "no saved plan Nope" in capsys.readouterr().err
    con = db.connect(path)
    try:
        assert con.execute("select count(*) from plan_assignments").fetchall() == [(1,)]
    finally:
        con.close()


def test_my_results_shows_the_statement_of_the_plan_the_rep_is_on(con):
    """The rep's own page (salescore.me): Ann, on Senior since August 17th, reads her Senior
    statement for Q3 (3,200 commission); Bob his Field one (1,500), after he moved team on
    October 5th (his Q3 team was East); Mia, on no plan while every plan has assignments, none."""
    from salescore import me
    from salescore.access import User

    ids, field, senior = _assign_field_and_senior(con)
    inc.assignments.move(con, ids["Bob"], "West", "2026-10-05", manager="Lee", today=date(2026, 12, 7))
    ann = me.statement(con, User("ann", "rep", rep_id=ids["Ann"]), Q3)
    assert (ann.plan, ann.plan_id, ann.row["commission"]) == ("Senior", senior, 3200.0)
    assert ann.ledger is None                                   # no draw in the plan
    bob = me.statement(con, User("bob", "rep", rep_id=ids["Bob"]), Q3)
    assert (bob.plan, bob.row["commission"], bob.row["team"]) == ("Field", 1500.0, "East")
    assert me.statement(con, User("mia", "rep", rep_id=ids["Mia"]), Q3) is None


def test_my_results_shows_my_draw_ledger(con):
    """A plan with a 2,000 a month recoverable draw: Bob's statement carries his ledger (one row
    per quarter from his first, 2026-Q3: earned 1,500, the draw tops it up to 6,000 with 4,500,
    owed back)."""
    from salescore import me
    from salescore.access import User

    ids = _ids(con)
    inc.save_plan(con, inc.Plan.from_dict({"name": "Drawn", "period": "quarter",
                                           "commission": {"default_rate": 0.05},
                                           "draw": {"amount": 2000, "recoverable": True}}))
    bob = me.statement(con, User("bob", "rep", rep_id=ids["Bob"]), Q3)
    assert bob.plan == "Drawn" and bob.ledger is not None and len(bob.ledger)
    last = bob.ledger.iloc[-1]
    assert (last["period"], last["earned"], last["draw"], last["draw_balance"]) == ("2026-Q3", 1500.0, 4500.0, 4500.0)

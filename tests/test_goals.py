"""salescore.goals: rounding, decomposition, overrides, SMART verdicts, pacing, scenarios, export.

Expected numbers are worked out by hand in the comments."""
from __future__ import annotations

import ast
import io
import math
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from salescore import db, goals, i18n, metrics
from salescore.errors import SalesCoreError
from salescore.goals import CompanyGoal, Method, Overrides
from salescore.periods import containing, pace, parse, working_days
from salescore.scope import Scope
from tests.conftest import insert

pytestmark = pytest.mark.backends

ROOT = Path(__file__).resolve().parents[1]


def _roster(rows):
    """rows: (rep_id, team, hire_date or None, history)."""
    return pd.DataFrame({"rep_id": [r[0] for r in rows], "rep": [f"Rep {r[0]}" for r in rows],
                         "team": [r[1] for r in rows], "hire_date": [r[2] for r in rows],
                         "history": [float(r[3]) for r in rows], "is_open": False})


# --- largest remainder and rebalancing --------------------------------------------------------

def test_largest_remainder_by_hand():
    # 100/3 = 33.33 each: floors 33+33+33 = 99, the one unit left goes to the first (tie)
    assert goals.largest_remainder(100, [1, 1, 1]).tolist() == [34, 33, 33]
    # quotas 4.2857, 4.2857, 1.4286: floors 4+4+1 = 9, the unit goes to the largest fraction .4286
    assert goals.largest_remainder(10, [3, 3, 1]).tolist() == [4, 4, 2]
    # exact quotas stay exact
    assert goals.largest_remainder(7, [1, 2, 4]).tolist() == [1, 2, 4]
    # all-zero weights split equally: 2.5 each -> 3, 2
    assert goals.largest_remainder(5, [0, 0]).tolist() == [3, 2]
    assert goals.largest_remainder(0, []).tolist() == []
    with pytest.raises(SalesCoreError) as err:
        goals.largest_remainder(-1, [1])
    assert err.value.key == "goals.err.negative"
    with pytest.raises(SalesCoreError):
        goals.largest_remainder(5, [])
    with pytest.raises(SalesCoreError):
        goals.largest_remainder(5, [1, -1])


def test_largest_remainder_large_totals_stay_exact():
    total = 987_654_321_987
    parts = goals.largest_remainder(total, [0.1, 0.2, 0.3, 0.4, 1 / 3])
    assert int(parts.sum()) == total


def test_rebalance_by_hand():
    # a 1,000 parent over weights 100/200/300/400; child 0 fixed at 400: the other three
    # share 600 as 200:300:400 -> 133.33, 200, 266.67 -> floors 133+200+266 = 599, the unit
    # goes to the largest fraction (.667, the last)
    out = goals.rebalance([100, 200, 300, 400], 1000, {0: 400})
    assert out.tolist() == [400, 133, 200, 267]
    assert goals.rebalance([1, 1], 10, {0: 10, 1: 0}).tolist() == [10, 0]


def test_override_bigger_than_parent_is_a_clear_error():
    with pytest.raises(SalesCoreError) as err:
        goals.rebalance([1, 1, 1], 1000, {0: 700, 1: 400}, what="East")
    assert err.value.key == "goals.err.override_too_big"
    text = i18n.error_text(err.value, "en")
    assert "1,100" in text and "1,000" in text and "East" in text
    assert "East" in i18n.error_text(err.value, "zh")
    with pytest.raises(SalesCoreError) as err:
        goals.rebalance([1, 1], 1000, {0: 300, 1: 300}, what="East")
    assert err.value.key == "goals.err.all_fixed"
    with pytest.raises(SalesCoreError) as err:
        goals.rebalance([1, 1], 1000, {0: -5})
    assert err.value.key == "goals.err.negative"


@settings(max_examples=200, deadline=None)
@given(total=hs.integers(0, 10**11),
       weights=hs.lists(hs.floats(0, 1e6, allow_nan=False), min_size=1, max_size=30),
       data=hs.data())
def test_rebalance_always_sums_to_parent(total, weights, data):
    n = len(weights)
    fixed_pos = data.draw(hs.sets(hs.integers(0, n - 1), max_size=n - 1))
    fixed: dict[int, int] = {}
    room = total
    for pos in sorted(fixed_pos):
        value = data.draw(hs.integers(0, room))
        fixed[pos] = value
        room -= value
    out = goals.rebalance(weights, total, fixed)
    assert int(out.sum()) == total
    assert all(out[p] == v for p, v in fixed.items())
    assert (out >= 0).all()


# --- weights: ramp, presence, seasonality -----------------------------------------------------

def test_capacity_ramp_by_hand():
    reps = _roster([("A", "T", date(2026, 1, 15), 0), ("B", "T", None, 0),
                    ("C", "T", date(2020, 5, 1), 0)])
    months = ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    cap = goals.capacity(reps, months, ramp_months=3, ramp_factor=0.5)
    # A is hired in 2026-01: nothing before, tenure 0, 1, 2 < 3 -> 0.5, then 1 from 2026-04
    assert cap[0].tolist() == [0.0, 0.5, 0.5, 0.5, 1.0, 1.0]
    assert cap[1].tolist() == [1.0] * 6        # no hire date: ramped
    assert cap[2].tolist() == [1.0] * 6
    assert goals.capacity(reps, months, 0, 0.5)[0].tolist() == [0, 1, 1, 1, 1, 1]


def test_seasonality_weights_by_hand():
    monthly = pd.DataFrame({"month": ["2024-01", "2025-01", "2024-07"], "actual": [100.0, 300.0, 100.0]})
    # January mean 200, July mean 100, mean of the means 150 -> 4/3 and 2/3; unseen months 1
    season = goals.seasonality(monthly)
    assert season[1] == pytest.approx(4 / 3) and season[7] == pytest.approx(2 / 3)
    assert season[3] == 1.0
    assert goals.seasonality(monthly.iloc[0:0]) == {m: 1.0 for m in range(1, 13)}
    reps = _roster([("A", "T", None, 0), ("B", "T", None, 0)])
    w = goals.weight_matrix(reps, ["2027-01", "2027-07"], Method(seasonality="history"), season)
    plan = goals.decompose(300, reps, ["2027-01", "2027-07"], w)
    # months weigh 4/3 : 2/3 -> the company gets 200 in January and 100 in July
    assert plan.company().tolist() == [200, 100]
    profile = Method(seasonality="profile", profile=(2,) + (1,) * 11)
    assert goals.month_weights(["2027-01", "2027-02"], profile).tolist() == [2.0, 1.0]
    with pytest.raises(SalesCoreError):
        Method(seasonality="profile", profile=(1, 2))


def test_history_window():
    # a 2027 goal planned on data up to 2026-11-20: the 12 complete months before November
    assert goals.history_window(parse("2027"), date(2026, 11, 20), 12) == (date(2025, 11, 1),
                                                                           date(2026, 10, 31))
    # a past quarter: the 3 months before it
    assert goals.history_window(parse("2026-Q2"), date(2026, 11, 20), 3) == (date(2026, 1, 1),
                                                                             date(2026, 3, 31))


def test_company_target():
    q = parse("2027-Q1")
    assert goals.company_target(CompanyGoal(q, value=1000.4), None) == 1000
    assert goals.company_target(CompanyGoal(q, value=1000.5), None) == 1001   # half up
    # +15 % on 1,000,000 last year
    assert goals.company_target(CompanyGoal(q, mode="growth", value=0.15), 1_000_000) == 1_150_000
    with pytest.raises(SalesCoreError) as err:
        goals.company_target(CompanyGoal(q, mode="growth", value=0.1), 0)
    assert err.value.key == "goals.err.no_baseline" and err.value.params["period"] == "2026-Q1"
    with pytest.raises(SalesCoreError):
        goals.company_target(CompanyGoal(q, value=-5), None)
    with pytest.raises(SalesCoreError):
        CompanyGoal(q, metric="profit")


def test_default_target_is_last_year_plus_ten_percent(small):
    q = parse("2027-Q1")
    # 1,234,567 x 1.1 = 1,358,023.7 -> 1,358,024 (whole units, half up like company_target)
    assert goals.default_target(q, 1_234_567) == 1_358_024.0
    assert goals.default_target(q, 1_000, growth=0.25) == 1_250.0
    # nothing to grow from (no actuals, or credits outweigh sales): the input opens at 0
    assert goals.default_target(q, 0) == 0.0 and goals.default_target(q, None) == 0.0
    assert goals.default_target(q, -50) == 0.0
    # on the database: 2025-Q3 holds D8 (400, closed 2025-07-01) -> 2026-Q3 opens at 440
    q3 = parse("2026-Q3")
    assert goals.last_year_actual(small, q3) == 400
    assert goals.default_target(q3, goals.last_year_actual(small, q3)) == 440.0
    # and it is what growth mode at +10 % gives
    assert goals.default_target(q3, 400) == goals.company_target(
        CompanyGoal(q3, mode="growth", value=goals.DEFAULT_GROWTH), 400)



def test_period_choices_run_ahead_of_the_datas_today():
    today = date(2026, 11, 20)
    labels = [p.label for p in goals.period_choices(today)]
    assert labels == ["2026-11", "2026-12", "2027-01", "2027-02",      # running month + 3
                      "2026-Q4", "2027-Q1", "2027-Q2",                  # running quarter + 2
                      "2026", "2027"]                                   # running year + 1
    # the sidebar's period first when it is none of them (a past month can still be revised)
    assert [p.label for p in goals.period_choices(today, parse("2026-10"))][:2] == ["2026-10", "2026-11"]
    assert goals.period_choices(today, parse("2027-Q1")) == goals.period_choices(today)
    # across a year end: December's next months are the new year's
    assert [p.label for p in goals.period_choices(date(2026, 12, 31), months=1, quarters=0,
                                                  years=0)] == ["2026-12", "2027-01", "2026-Q4", "2026"]


@pytest.mark.parametrize(("typed", "value"), [
    ("12,755,380", 12_755_380), ("12755380", 12_755_380), (" ¥ 12 755 380 ", 12_755_380),
    ("￥１２，７５５，３８０", 12_755_380),                     # full-width, as a Chinese IME types
    ("1,275.5万", 12_755_000), ("1200万元", 12_000_000), ("1.2亿", 120_000_000),
    ("12.5M", 12_500_000), ("800k", 800_000), ("1000.5", 1001), ("0", 0)])
def test_parse_amount_reads_what_people_type(typed, value):
    assert goals.parse_amount(typed) == value


@pytest.mark.parametrize("typed", ["", "abc", "-5", "12,000 USD", "1e6", "5%", "1.2.3"])
def test_parse_amount_refuses_anything_else(typed):
    with pytest.raises(SalesCoreError) as err:
        goals.parse_amount(typed)
    assert err.value.key == "goals.err.not_amount" and err.value.params["value"] == typed.strip()

# --- decomposition ----------------------------------------------------------------------------

MONTHS = ["2027-01", "2027-02", "2027-03"]


@pytest.fixture
def three():
    return _roster([("a1", "A", None, 300), ("a2", "A", None, 100), ("b1", "B", None, 0)])


def test_equal_split_and_overrides_by_hand(three):
    w = goals.weight_matrix(three, MONTHS, Method())
    plan = goals.decompose(900, three, MONTHS, w)
    # 3 reps equally: team A 600, team B 300; every rep 300 = 100 a month
    assert plan.teams["total"].tolist() == [600, 300]
    assert plan.reps["total"].tolist() == [300, 300, 300]
    assert plan.reps[MONTHS].to_numpy().tolist() == [[100] * 3] * 3
    assert plan.company().tolist() == [300, 300, 300]
    # a1 -> 420: team A stays 600, so a2 gets 180; team B untouched
    plan = goals.decompose(900, three, MONTHS, w, Overrides(reps={"a1": 420}))
    assert plan.reps["total"].tolist() == [420, 180, 300]
    assert plan.teams["total"].tolist() == [600, 300]
    assert plan.reps.loc[0, MONTHS].tolist() == [140, 140, 140]
    # team B -> 360: team A gets 540, shared 270/270 by its two reps
    plan = goals.decompose(900, three, MONTHS, w, Overrides(teams={"B": 360}))
    assert plan.teams["total"].tolist() == [540, 360]
    assert plan.reps["total"].tolist() == [270, 270, 360]
    # a1's January -> 200: a1's other months share 100 -> 50, 50; a1 stays 300
    plan = goals.decompose(900, three, MONTHS, w, Overrides(cells={("a1", "2027-01"): 200}))
    assert plan.reps.loc[0, MONTHS].tolist() == [200, 50, 50]
    assert plan.company().tolist() == [400, 250, 250]
    assert goals.check_sums(plan) == []
    # more than the team
    with pytest.raises(SalesCoreError) as err:
        goals.decompose(900, three, MONTHS, w, Overrides(reps={"a1": 700}))
    assert err.value.key == "goals.err.override_too_big" and err.value.params["what"] == "A"
    with pytest.raises(SalesCoreError) as err:
        goals.decompose(900, three, MONTHS, w, Overrides(reps={"zz": 1}))
    assert err.value.key == "goals.err.unknown_rep"


def test_history_blend_and_capacity_by_hand(three):
    reps = three.iloc[:2].reset_index(drop=True)               # a1 (history 300), a2 (100)
    w = goals.weight_matrix(reps, MONTHS[:1], Method.single("history"))
    # shares 3/4 and 1/4 of 1,000
    assert goals.decompose(1000, reps, MONTHS[:1], w).reps["total"].tolist() == [750, 250]
    # half equal (1/2, 1/2), half history (3/4, 1/4) -> 5/8 and 3/8
    w = goals.weight_matrix(reps, MONTHS[:1], Method(equal=0.5, history=0.5))
    assert goals.decompose(1000, reps, MONTHS[:1], w).reps["total"].tolist() == [625, 375]
    # capacity: r2 hired 2027-02-10 -> Jan 0, Feb 0.5, Mar 0.5 (ramp 3 months, factor 0.5);
    # r1 ramped: 3 vs 1 -> 600 and 200; r2's months 0, 100, 100
    ramp = _roster([("r1", "T", date(2019, 1, 1), 0), ("r2", "T", date(2027, 2, 10), 0)])
    w = goals.weight_matrix(ramp, MONTHS, Method.single("capacity", ramp_months=3, ramp_factor=0.5))
    plan = goals.decompose(800, ramp, MONTHS, w)
    assert plan.reps["total"].tolist() == [600, 200]
    assert plan.reps.loc[1, MONTHS].tolist() == [0, 100, 100]
    assert plan.reps.loc[0, MONTHS].tolist() == [200, 200, 200]
    nobody = _roster([("x", "T", None, 0)])
    with pytest.raises(SalesCoreError) as err:
        goals.weight_matrix(nobody, MONTHS, Method.single("history"))
    assert err.value.key == "goals.err.no_history"


def test_open_headcount_placeholders(three):
    reps = goals.add_open_headcount(three, {"B": 2}, "2027-02")
    assert reps["rep_id"].tolist() == ["a1", "a2", "b1", "open:B:1", "open:B:2"]
    w = goals.weight_matrix(reps, MONTHS, Method.single("capacity", ramp_months=0))
    plan = goals.decompose(1100, reps, MONTHS, w)
    # capacity: a1, a2, b1 3 months each, the two openings 2 months each: 13 units of 1,100
    # (84.6 each) -> team A 6 units = 507.7, team B 7 units = 592.3 -> 508 / 592
    assert plan.teams["total"].tolist() == [508, 592]
    assert plan.reps.loc[3, MONTHS].tolist()[0] == 0          # nothing before they start
    assert goals.check_sums(plan) == []


@settings(max_examples=60, deadline=None)
@given(data=hs.data())
def test_decompose_sums_exactly_after_any_override(data):
    n = data.draw(hs.integers(1, 12))
    teams = data.draw(hs.lists(hs.sampled_from(["A", "B", "C"]), min_size=n, max_size=n))
    hist = data.draw(hs.lists(hs.floats(0, 1e6, allow_nan=False), min_size=n, max_size=n))
    reps = _roster([(f"r{i}", teams[i], None, hist[i]) for i in range(n)])
    months = MONTHS[: data.draw(hs.integers(1, 3))]
    total = data.draw(hs.integers(0, 10**9))
    method = Method(equal=1.0, history=data.draw(hs.floats(0, 1)))
    w = goals.weight_matrix(reps, months, method)
    base = goals.decompose(total, reps, months, w)
    # override one rep with anything up to its team's total, and one month of another rep
    i = data.draw(hs.integers(0, n - 1))
    team_total = int(base.teams.set_index("team").loc[teams[i], "total"])
    value = data.draw(hs.integers(0, team_total))
    same_team = [k for k in range(n) if teams[k] == teams[i]]
    cells = {}
    j = data.draw(hs.integers(0, n - 1))
    if len(months) > 1:                     # one month of a rep: the others absorb it
        cells = {(f"r{j}", months[0]): 0}
    if len(same_team) == 1 and value != team_total:
        value = team_total                  # a rep alone in the team is the team
    plan = goals.decompose(total, reps, months, w, Overrides(reps={f"r{i}": value}, cells=cells))
    assert goals.check_sums(plan) == []
    assert int(plan.reps["total"].sum()) == total
    assert int(plan.company().sum()) == total
    assert int(plan.reps.loc[i, "total"]) == value
    if cells:
        assert int(plan.reps.loc[j, months[0]]) == 0
    rows = plan.rows()
    for month in months:
        m = rows[rows["period"] == month]
        assert m[m["scope"] == "company"]["value"].sum() == m[m["scope"] == "team"]["value"].sum() \
            == m[m["scope"] == "rep"]["value"].sum()


# --- database: roster, actuals, save, scenarios, export ---------------------------------------

def test_roster_excludes_inactive_and_counts_history(small):
    insert(small, "reps", [{"rep_id": "R9", "name": "Gone", "team": "A", "active": False}])
    reps = goals.roster(small, parse("2026-04"), "revenue", 3, date(2026, 4, 5))
    # window 2026-01..03: R1 won 100 (D1, Jan) + 300 (D2, Feb), R2 200 (D4, Mar), R3 nothing
    # (D10 closes in April); R9 has left
    assert reps["rep_id"].tolist() == ["R1", "R2", "R3"]
    assert reps["history"].tolist() == [400.0, 200.0, 0.0]


def test_monthly_actuals_match_metrics(small):
    q1 = parse("2026-Q1")
    for metric in goals.METRICS:
        frame = goals.monthly_actuals(small, metric, q1.start, q1.end)
        assert frame["actual"].sum() == metrics.kpis(small, q1.start, q1.end)[goals.ACTUAL[metric]]
    rev = goals.monthly_actuals(small, "revenue", q1.start, q1.end)
    assert rev[["rep_id", "month", "actual"]].values.tolist() == [
        ["R1", "2026-01", 100.0], ["R1", "2026-02", 300.0], ["R2", "2026-03", 200.0]]


def _plan(con, period="2027-Q1", total=9000):
    reps = goals.roster(con, parse(period))
    months = parse(period).months
    w = goals.weight_matrix(reps, months, Method())
    return goals.decompose(total, reps, months, w)


def test_save_replaces_only_that_scenario_metric_and_months(small):
    plan = _plan(small)
    # 9,000 over 3 reps -> 3,000 each, 1,000 a month; teams A 6,000 and B 3,000
    written = goals.save_plan(small, "stretch", plan, CompanyGoal(parse("2027-Q1"), value=9000,
                                                                 note="win mid-market"))
    assert written == 3 * (1 + 2 + 3)          # company + 2 teams + 3 reps, per month
    got = goals.scenario_targets(small, "stretch", "revenue", parse("2027-Q1").months)
    assert got[got["scope"] == "rep"]["value"].tolist() == [1000.0] * 9
    assert got[(got["scope"] == "team") & (got["scope_id"] == "A")]["value"].sum() == 6000
    # save again with other numbers: replaced, not added; base scenario untouched
    goals.save_plan(small, "stretch", _plan(small, total=3000))
    got = goals.scenario_targets(small, "stretch", "revenue", parse("2027-Q1").months)
    assert got["value"].sum() == 3 * 3000
    assert metrics.target(small, parse("2026-Q1").months, scenario="base") == 900
    assert goals.goal_note(small, "stretch", "revenue", ["2027-02"])["note"] == "win mid-market"
    with pytest.raises(SalesCoreError):
        goals.save_plan(small, "  ", plan)



def test_saved_goal_says_what_a_scenario_holds(small):
    # base holds rep rows only: R1 100 + R2 200 a month in 2026-Q1 (no company row, no note)
    assert goals.saved_goal(small, "base", "revenue", parse("2026-Q1")) == {
        "target": 900.0, "months": 3, "complete": True, "mode": None, "value": None, "note": ""}
    # a month of it; the year, of which it holds 3 of 12 months
    march = goals.saved_goal(small, "base", "revenue", parse("2026-03"))
    assert (march["target"], march["months"], march["complete"]) == (300.0, 1, True)
    assert goals.saved_goal(small, "base", "revenue", parse("2026")) == {
        "target": 900.0, "months": 3, "complete": False, "mode": None, "value": None, "note": ""}
    assert goals.saved_goal(small, "base", "revenue", parse("2027-Q1")) is None
    assert goals.saved_goal(small, "base", "deals_won", parse("2026-Q1")) is None
    # saved from the page: the company row counts, and the goal it was set with comes along
    goals.save_plan(small, "base", _plan(small, total=9000),
                    CompanyGoal(parse("2027-Q1"), mode="growth", value=0.2, note="win mid-market"))
    assert goals.saved_goal(small, "base", "revenue", parse("2027-Q1")) == {
        "target": 9000.0, "months": 3, "complete": True, "mode": "growth", "value": 0.2,
        "note": "win mid-market"}
    # a month of that quarter holds its targets but not the quarter's goal
    jan = goals.saved_goal(small, "base", "revenue", parse("2027-01"))
    assert (jan["target"], jan["mode"], jan["note"]) == (3000.0, None, "")


def test_saved_periods_list_every_period_with_targets(small):
    labels = [p.label for p in goals.saved_periods(small, ["base"], "revenue")]
    assert labels == ["2026", "2026-Q1", "2026-03", "2026-02", "2026-01"]
    goals.save_plan(small, "stretch", _plan(small, "2027-02", 900))
    assert [p.label for p in goals.saved_periods(small, ["stretch"], "revenue")] == [
        "2027", "2027-Q1", "2027-02"]
    both = [p.label for p in goals.saved_periods(small, ["base", "stretch"], "revenue")]
    assert both[:3] == ["2027", "2027-Q1", "2027-02"] and len(both) == 8
    assert goals.saved_periods(small, ["base"], "deals_won") == []
    assert goals.saved_periods(small, [], "revenue") == []

def test_scenarios_compare_and_activate(small):
    goals.save_plan(small, "stretch", _plan(small, "2026-Q1", 1200))
    table = goals.scenarios(small)
    assert table["scenario"].tolist() == ["base", "stretch"]          # active first
    assert table["active"].tolist() == [True, False]
    # base has rep rows only: R1 100 + R2 200 a month -> 900 for Q1
    assert table["revenue"].tolist() == [900.0, 1200.0]
    side = goals.compare(small, ("base", "stretch"), tuple(parse("2026-Q1").months), "revenue", "rep")
    assert side["grp"].tolist() == ["R1", "R2", "R3"]
    assert side["name"].tolist() == ["Ann", "Bob", "Cai"]
    assert side["stretch"].tolist() == [400.0, 400.0, 400.0]
    assert side["difference"].tolist() == [100.0, -200.0, 400.0]     # R3 had no base target
    goals.set_active(small, "stretch")
    assert metrics.active_scenario(small) == "stretch"
    with pytest.raises(SalesCoreError) as err:
        goals.set_active(small, "nope")
    assert err.value.key == "goals.err.unknown_scenario"


def test_export_xlsx_escapes_formulas(small):
    insert(small, "reps", [{"rep_id": "R4", "name": "=HYPERLINK(\"x\")", "team": "-B"}])
    goals.save_plan(small, "base", _plan(small, "2027-01", 4000))
    data = goals.export_xlsx(small, "en")
    frame = pd.read_excel(io.BytesIO(data), engine="calamine", sheet_name="Revenue")
    assert list(frame.columns) == ["Level", "Sales rep", "Team", "2026-01", "2026-02", "2026-03",
                                   "2027-01", "Total"]
    rep4 = frame[frame["Sales rep"].astype(str).str.contains("HYPERLINK")].iloc[0]
    assert rep4["Sales rep"] == "'=HYPERLINK(\"x\")" and rep4["Team"] == "'-B"
    assert rep4["2027-01"] == 1000
    company = frame[frame["Level"] == "Company"].iloc[0]
    assert company["2027-01"] == 4000
    assert goals.safe_cell("+1") == "'+1" and goals.safe_cell("@a") == "'@a" and goals.safe_cell(5) == 5


# --- SMART ------------------------------------------------------------------------------------

def test_achievability_by_hand():
    series = [100, 120, 108, 129.6, 116.64]        # +20 %, -10 %, +20 %, -10 %
    a = goals.achievability(series, 140, 1)
    # trailing mean (100+120+108+129.6+116.64)/5 = 114.848 -> 140/114.848 - 1 = +21.9 %
    assert a["per_month_t12"] == pytest.approx(114.848)
    assert a["growth_t12"] == pytest.approx(140 / 114.848 - 1)
    assert a["best"] == 129.6 and a["best_end"] == 3
    # no year-earlier month: base = the last month 116.64; log growths ln1.2, ln0.9 twice each
    logs = [math.log(1.2), math.log(0.9)] * 2
    mu = sum(logs) / 4
    sd = math.sqrt(sum((x - mu) ** 2 for x in logs) / 4)
    z = (math.log(140 / 116.64) - mu) / sd
    assert a["basis"] == "pop" and a["observations"] == 4
    assert a["growth_prev"] == pytest.approx(140 / 116.64 - 1)
    assert a["probability"] == pytest.approx(1 - 0.5 * (1 + math.erf(z / math.sqrt(2))))
    assert 0.15 < a["probability"] < 0.17
    # leading zeros (not hired yet) are ignored
    assert goals.achievability([0, 0] + series, 140, 1)["best_end"] == 5
    # a same-months-last-year base when 12+ months exist
    year = [100.0, 200.0] * 9
    b = goals.achievability(year, 110, 1)
    assert b["basis"] == "yoy"                       # goal index 18, base index 6 = 100
    assert b["growth_prev"] == pytest.approx(0.10)
    assert goals.achievability([], 1, 1)["per_month_t12"] is None


def _smart(goal_rows, period="2027-01", actuals=None, reps=None, as_of=date(2026, 12, 31)):
    goals_frame = pd.DataFrame(goal_rows, columns=["scope", "scope_id", "period", "value"])
    reps = reps if reps is not None else pd.DataFrame(
        {"rep_id": ["R1", "R2"], "rep": ["Ann", "Bob"], "team": ["A", "A"], "active": [True, False]})
    if actuals is None:
        actuals = pd.DataFrame({"rep_id": ["R1"] * 12, "team": ["A"] * 12,
                                "month": [f"2026-{m:02d}" for m in range(1, 13)], "actual": [50.0] * 12})
    check = goals.smart_check(goals_frame, reps, actuals, parse(period), as_of)
    return {(r.scope, r.scope_id, r.letter): (r.ok, r.key) for r in check.itertuples()}, check


def test_smart_specific_relevant_timebound():
    v, check = _smart([("company", "", "2027-01", 100), ("team", "A", "2027-01", 100),
                       ("rep", "R1", "2027-01", 60), ("rep", "R2", "2027-01", 20),
                       ("rep", "open:A:1", "2027-01", 20)])
    assert v[("company", "", "S")] == (True, "goals.smart.s_company")
    assert v[("rep", "R1", "S")] == (True, "goals.smart.s_rep")
    assert v[("rep", "R2", "S")] == (False, "goals.smart.s_left")
    assert v[("rep", "open:A:1", "S")] == (False, "goals.smart.s_open")
    # teams 100 = company 100, reps 60 + 20 + 20 = 100 cover it; team A's reps add up to 100
    assert v[("company", "", "R")][0] and v[("team", "A", "R")][0] and v[("rep", "R1", "R")][0]
    assert v[("company", "", "T")] == (True, "goals.smart.t_ok")
    assert list(check["scope"].drop_duplicates()) == ["company", "team", "rep"]
    # reps short of the company, a team without members, a quarter with one month set
    v, check = _smart([("company", "", "2027-01", 150), ("team", "A", "2027-01", 100),
                       ("team", "B", "2027-01", 50), ("rep", "R1", "2027-01", 90)], period="2027-Q1")
    assert v[("company", "", "R")] == (False, "goals.smart.r_company_warn")
    assert v[("team", "A", "R")] == (False, "goals.smart.r_team_warn")       # 90 != 100
    assert v[("team", "B", "S")] == (False, "goals.smart.s_team_empty")
    assert v[("company", "", "T")] == (False, "goals.smart.t_missing")
    row = check[(check["scope"] == "company") & (check["letter"] == "T")].iloc[0]
    assert row["params"]["missing"] == "2027-02, 2027-03"
    text = goals.smart_text(check, "en")
    sentence = text[(text["scope"] == "company") & (text["letter"] == "T")]["sentence"].iloc[0]
    assert sentence == "Runs from 2027-01-01 to 2027-03-31, but has no target for 2027-02, 2027-03."
    assert goals.smart_text(check, "zh")["sentence"].str.len().min() > 5
    # amounts in the data's currency (DESIGN §4), counts without one
    assert goals.value_text(1_234_567, "revenue", "en", "$") == "$1,234,567"
    assert goals.value_text(1_234_567, "revenue", "en", "") == "1,234,567"
    assert goals.value_text(12, "deals_won", "en", "$") == "12"


def test_smart_achievable_verdicts():
    # R1 sold 50 a month for 12 months: 55 is +10 % (pass), 80 is +60 % and 160 % of the best
    # month (warn); flat history has no spread, so no probability
    v, check = _smart([("rep", "R1", "2027-01", 55)])
    assert v[("rep", "R1", "A")] == (True, "goals.smart.a_noprob")
    assert check[check["letter"] == "A"].iloc[0]["params"]["growth"] == pytest.approx(0.10)
    v, _ = _smart([("rep", "R1", "2027-01", 80)])
    assert v[("rep", "R1", "A")] == (False, "goals.smart.a_noprob_warn")
    # R2 has no history at all
    v, _ = _smart([("rep", "R2", "2027-01", 10)])
    assert v[("rep", "R2", "A")] == (False, "goals.smart.a_no_history")
    # an upward, noisy history: a target in line with it passes with a probability
    months = [f"2025-{m:02d}" for m in range(1, 13)] + [f"2026-{m:02d}" for m in range(1, 13)]
    values = [100 + 5 * i + (10 if i % 2 else -10) for i in range(24)]
    actuals = pd.DataFrame({"rep_id": "R1", "team": "A", "month": months, "actual": values})
    v, check = _smart([("rep", "R1", "2027-01", 200)], actuals=actuals)
    a = check[check["letter"] == "A"].iloc[0]
    assert a["params"]["basis"] == "yoy" and a["params"]["probability"] is not None
    assert v[("rep", "R1", "A")] == (True, "goals.smart.a_prob")
    v, _ = _smart([("rep", "R1", "2027-01", 400)], actuals=actuals)
    assert v[("rep", "R1", "A")] == (False, "goals.smart.a_prob_warn")


def test_smart_for_demo_like_db(small):
    goals.save_plan(small, "base", _plan(small, "2026-Q2", 3000),
                    CompanyGoal(parse("2026-Q2"), value=3000, note="grow B"))
    check = goals.smart_for(small, "base", parse("2026-Q2"), "revenue", date(2026, 4, 5))
    assert set(check["letter"]) == set(goals.LETTERS)
    assert check[check["letter"] == "M"]["ok"].all()
    company_r = check[(check["scope"] == "company") & (check["letter"] == "R")].iloc[0]
    assert company_r["ok"] and company_r["params"]["note"] == "grow B"
    grid = goals.smart_grid(check, "en")
    assert grid["goal"].tolist()[:3] == ["Company", "Team A", "Team B"]


# --- pacing -----------------------------------------------------------------------------------

def test_working_days():
    # November 2026 starts on a Sunday: 4 full weeks + Monday the 30th = 21 working days;
    # up to Friday the 20th: 15
    nov = parse("2026-11")
    assert goals.working_days(nov.start, nov.end) == 21
    assert goals.time_elapsed(nov, date(2026, 11, 20)) == (15, 21)
    assert goals.time_elapsed(nov, date(2026, 11, 22)) == (15, 21)     # the weekend adds none
    assert goals.time_elapsed(nov, date(2026, 10, 1)) == (0, 21)
    assert goals.time_elapsed(nov, date(2027, 1, 1)) == (21, 21)


def test_pacing_table_by_hand():
    rows = pd.DataFrame({
        "level": "rep", "team": "A", "rep_id": ["X", "Y", "Z", "W"], "name": ["X", "Y", "Z", "W"],
        "target": [2100.0, 2100.0, 2100.0, np.nan], "actual": [1200.0, 1500.0, 600.0, 100.0],
        "pipeline": [3000.0, 0.0, 0.0, 0.0]})
    out = goals.pacing_table(rows, parse("2026-11"), date(2026, 11, 20)).set_index("rep_id")
    # 15 of 21 working days = 71.4 %; X: 1,200/2,100 = 57.1 % -> pace 0.8 (below 85 %), but
    # pipeline 3,000 covers the 900 left 3.3x (>= 2) -> amber
    assert out.loc["X", "time_share"] == pytest.approx(15 / 21)
    assert out.loc["X", "pace_index"] == pytest.approx(0.8)
    assert out.loc["X", "forecast"] == pytest.approx(1200 * 21 / 15)           # 1,680
    assert out.loc["X", "remaining"] == 900 and out.loc["X", "per_day"] == pytest.approx(150)
    assert out.loc["X", "pipeline_coverage"] == pytest.approx(3000 / 900)
    assert out.loc["X", "light"] == "amber"
    # Y: 1,500/2,100 = 71.4 % = the time share -> pace 1.0, green; 600 left over 6 days = 100
    assert out.loc["Y", "pace_index"] == pytest.approx(1.0) and out.loc["Y", "light"] == "green"
    assert out.loc["Y", "per_day"] == pytest.approx(100)
    # Z: 600/2,100 = 28.6 % -> pace 0.4 and no pipeline: red
    assert out.loc["Z", "light"] == "red"
    assert out.loc["W", "light"] == "none"
    assert list(out.index) == ["Z", "X", "Y", "W"]                    # furthest behind first
    assert goals.light(0.9, 100, None) == "amber" and goals.light(0.5, 0, None) == "green"


def test_pacing_on_fixed_date(con):
    insert(con, "reps", [{"rep_id": "R1", "name": "Ann", "team": "A"},
                         {"rep_id": "R2", "name": "Bob", "team": "A"}])
    d = date
    insert(con, "deals", [
        {"deal_id": "D1", "rep_id": "R1", "amount": 1200, "status": "won", "created_date": d(2026, 10, 1),
         "close_date": d(2026, 11, 10)},
        {"deal_id": "D2", "rep_id": "R2", "amount": 600, "status": "won", "created_date": d(2026, 10, 1),
         "close_date": d(2026, 11, 12)},
        # open, expected in the rest of November: counts
        {"deal_id": "D3", "rep_id": "R1", "amount": 3000, "status": "open", "created_date": d(2026, 11, 1),
         "expected_close_date": d(2026, 11, 25)},
        # expected in December: does not count; already overdue: counts in the running
        # period (DESIGN §4 pipeline_coverage, overdue included)
        {"deal_id": "D4", "rep_id": "R2", "amount": 5000, "status": "open", "created_date": d(2026, 11, 1),
         "expected_close_date": d(2026, 12, 5)},
        {"deal_id": "D5", "rep_id": "R2", "amount": 7000, "status": "open", "created_date": d(2026, 11, 1),
         "expected_close_date": d(2026, 11, 10)},
        # won after the as-of date: still open on the 20th, and its revenue is not counted yet
        {"deal_id": "D6", "rep_id": "R2", "amount": 400, "status": "won", "created_date": d(2026, 11, 2),
         "close_date": d(2026, 11, 24), "expected_close_date": d(2026, 11, 24)},
    ])
    insert(con, "targets", [
        {"scenario": "base", "period": "2026-11", "scope": s, "scope_id": i, "metric": "revenue", "value": v}
        for s, i, v in (("rep", "R1", 2100), ("rep", "R2", 2100), ("team", "A", 4200))])
    out = goals.pacing(con, parse("2026-11"), date(2026, 11, 20)).set_index("rep_id")
    r1, r2 = out.loc["R1"], out.loc["R2"]
    assert r1["actual"] == 1200 and r1["pipeline"] == 3000 and r1["light"] == "amber"
    # R2: 600 of 2,100 at 71.4 % of the time -> pace 0.4; pipeline 400 + 7,000 overdue for
    # the 1,500 left = 4.9x >= 2 -> amber (catch-up coverage)
    assert r2["actual"] == 600 and r2["pipeline"] == 7400 and r2["light"] == "amber"
    team = out[out["level"] == "team"].iloc[0]
    # team: 1,800 of 4,200 = 42.9 % at 71.4 % of the time -> pace 0.6; pipeline 10,400 for
    # the 2,400 left = 4.3x >= 2 -> amber
    assert team["actual"] == 1800 and team["pipeline"] == 10400
    assert team["pace_index"] == pytest.approx((1800 / 4200) / (15 / 21)) and team["light"] == "amber"
    reps = out[out["level"] == "rep"]
    assert list(reps.index) == ["R2", "R1"]


def test_light_counts_and_has_targets():
    frame = pd.DataFrame({"level": ["team", "rep", "rep", "rep", "rep"],
                          "light": ["red", "red", "green", "green", "none"],
                          "target": [10.0, 5.0, 5.0, np.nan, np.nan]})
    assert goals.light_counts(frame) == {"red": 1, "amber": 0, "green": 2, "none": 1}
    assert goals.light_counts(frame, "team") == {"red": 1, "amber": 0, "green": 0, "none": 0}
    assert goals.has_targets(frame)
    assert not goals.has_targets(frame.assign(target=np.nan))


def test_overrides_count():
    assert Overrides().count == 0 and not Overrides()
    edits = Overrides(teams={"A": 1}, reps={"a1": 2, "a2": 3}, cells={("a1", "2027-01"): 4})
    assert edits.count == 4 and edits


def test_overview_pace_and_goals_time_share_agree(demo_db):
    """One pace (DESIGN §4): the Overview alerts' metrics.pace and the Goals traffic lights'
    time_share are the same working-day share on the demo data."""
    con = db.connect(demo_db)
    try:
        as_of = metrics.as_of(con)
        team = sorted(r[0] for r in con.execute("select distinct team from reps").fetchall() if r[0])[0]
        for kind in ("month", "quarter", "year"):
            period = containing(as_of, kind)
            assert 0 < pace(period, as_of) < 1            # the as-of date is inside the period
            table = goals.pacing(con, period, as_of, Scope(team=team))
            shares = table.loc[table["team"] == team, "time_share"]
            assert len(shares) > 0
            # by hand: Monday-Friday days from the period start to the as-of date / in the period
            days = pd.date_range(period.start, period.end)
            elapsed = sum(1 for d in days if d.weekday() < 5 and d.date() <= as_of)
            total = sum(1 for d in days if d.weekday() < 5)
            assert elapsed / total == working_days(period.start, as_of) / working_days(period.start, period.end)
            assert metrics.pace(period, as_of) == pace(period, as_of) == elapsed / total
            assert (shares == metrics.pace(period, as_of)).all()
    finally:
        con.close()


# --- bookkeeping ------------------------------------------------------------------------------

def test_every_error_key_exists_in_both_languages():
    sources = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "salescore" / "goals").glob("*.py"))]
    source = "\n".join(sources)
    keys = {node.args[1].value for text in sources for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_err"}
    assert {"override_too_big", "all_fixed", "no_baseline", "unknown_scenario"} <= keys
    for key in keys:
        assert i18n.has(f"goals.err.{key}", "en") and i18n.has(f"goals.err.{key}", "zh"), key
    smart = set(re.findall(r'"([asmrt]_[a-z_]+)"', source))
    for key in smart | {k + "_warn" for k in ("a_prob", "a_noprob", "a_short")}:
        assert i18n.has(f"goals.smart.{key}", "en") and i18n.has(f"goals.smart.{key}", "zh"), key

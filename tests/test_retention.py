"""salescore.retention: the goal-difficulty x reward quadrant, worked out by hand."""
from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from salescore import incentives, retention
from salescore.errors import SalesCoreError
from salescore.incentives import Plan
from salescore.periods import Period, parse
from tests.conftest import insert

pytestmark = pytest.mark.backends

Q1 = parse("2026-Q1")

# Quarterly plan: base bonus 20 % of salary x 3 months from 80 % attainment (cap 150 %);
# commission 10 %, 20 % on products with margin >= 40 %; x0.8 on commission under 100 %.
SPEC = {"name": "Test plan", "period": "quarter",
        "base_bonus": {"pct_of_salary": 0.20, "gate": 0.80, "cap": 1.50},
        "commission": {"basis": "revenue", "default_rate": 0.10,
                       "tiers": [{"min_margin": 0.40, "rate": 0.20}]},
        "decelerator": {"below_attainment": 1.00, "multiplier": 0.8}}
PLAN = Plan.from_dict(SPEC)


def _deal(i, rep, product, amount, closed):
    return {"deal_id": f"D{i}", "rep_id": rep, "customer_id": f"C{i}", "product_id": product,
            "amount": amount, "stage": "Won", "status": "won", "close_date": closed,
            "created_date": closed - timedelta(days=20)}


@pytest.fixture
def team(con):
    """Four reps of team T (+ E without a quota) for 2026-Q1; history window = 2025.

    A: 2025 sales 4 x 300k (P1, rate 10 %) -> 100k a month -> baseline 300k; quota 450k; Q1 270k.
    B: 2025 sales 4 x 150k (P2, rate 20 %) -> 50k a month -> baseline 150k; quota 120k; Q1 180k.
    C: hired 2025-11-15 -> first whole month Dec -> 1 month of history (short): team median.
       Dec 50k; quota 300k; Q1 330k.
    D: 2025 sales 4 x 200k (P1) -> 66,666.67 a month -> baseline 200k; quota 150k; Q1 100k.
    E: no quota.
    """
    insert(con, "reps", [
        {"rep_id": "A", "name": "Ann", "team": "T", "base_salary": 10000, "hire_date": date(2020, 1, 1)},
        {"rep_id": "B", "name": "Bob", "team": "T", "base_salary": 8000, "hire_date": date(2019, 1, 1)},
        {"rep_id": "C", "name": "Cai", "team": "T", "base_salary": 12000, "hire_date": date(2025, 11, 15)},
        {"rep_id": "D", "name": "Dan", "team": "T", "base_salary": 9000, "hire_date": date(2018, 1, 1)},
        {"rep_id": "E", "name": "Eve", "team": "T", "base_salary": 9000, "hire_date": date(2018, 1, 1)},
    ])
    insert(con, "products", [{"product_id": "P1", "name": "Basic", "margin_rate": 0.3},
                             {"product_id": "P2", "name": "Premium", "margin_rate": 0.5}])
    deals, i = [], 0
    for rep, product, amount in (("A", "P1", 300_000), ("B", "P2", 150_000), ("D", "P1", 200_000)):
        for month in (3, 6, 9, 12):
            i += 1
            deals.append(_deal(i, rep, product, amount, date(2025, month, 10)))
    deals += [_deal(20, "C", "P1", 50_000, date(2025, 12, 5)),
              _deal(21, "A", "P1", 270_000, date(2026, 2, 10)),
              _deal(22, "B", "P2", 180_000, date(2026, 1, 15)),
              _deal(23, "C", "P1", 330_000, date(2026, 3, 1)),
              _deal(24, "D", "P1", 100_000, date(2026, 3, 20))]
    insert(con, "deals", deals)
    quotas = {"A": 150_000, "B": 40_000, "C": 100_000, "D": 50_000}   # per month
    insert(con, "targets", [
        {"scenario": "base", "period": m, "scope": "rep", "scope_id": rep, "metric": "revenue", "value": v}
        for rep, v in quotas.items() for m in Q1.months])
    return con


def _row(frame, rep):
    return frame.set_index("rep_id").loc[rep]


def test_history_counts_whole_months_only(team):
    h = retention.history(team, Q1).set_index("rep_id")
    assert h.loc["A", "history_months"] == 12 and h.loc["A", "trailing_revenue"] == 1_200_000
    # hired 2025-11-15: November is partial, December is the only whole month
    assert h.loc["C", "history_months"] == 1 and h.loc["C", "trailing_revenue"] == 50_000
    # recent = 2025-04 .. 2026-03: A 3 x 300k + 270k
    assert h.loc["A", "recent_revenue"] == 1_170_000
    # E: hired 2018, no deals -> 12 months, nothing sold; a rep with no hire date and no deals: 0
    assert h.loc["E", "history_months"] == 12 and h.loc["E", "trailing_revenue"] == 0
    insert(team, "reps", [{"rep_id": "G", "name": "Gus", "team": "T"}])
    assert retention.history(team, Q1).set_index("rep_id").loc["G", "history_months"] == 0


def test_quadrant_hand_worked(team):
    q = retention.quadrant(team, PLAN, Q1, seasonal=False)
    a, b, c, d = (_row(q, r) for r in "ABCD")
    # A: difficulty 450k / 300k = 1.5; payout: no base bonus (60 % < gate), commission 27,000
    # cut by 20 % = 21,600; target pay 0.2 x 10,000 x 3 = 6,000 + 450k x 10 % = 51,000
    assert a["difficulty"] == pytest.approx(1.5)
    assert a["total"] == pytest.approx(21_600)
    assert a["target_pay"] == pytest.approx(51_000)
    assert a["reward"] == pytest.approx(21_600 / 51_000)           # 0.4235
    assert a["quadrant"] == "exploited"
    # B: 120k / 150k = 0.8; payout 4,800 x 1.5 = 7,200 + 20 % x 180k = 36,000 -> 43,200;
    # target pay 4,800 + 120k x 20 % = 28,800 -> reward 1.5
    assert b["difficulty"] == pytest.approx(0.8)
    assert b["reward"] == pytest.approx(1.5)
    assert b["quadrant"] == "loyalty"
    # C: short history -> team median of A 100k, B 50k, D 66,666.67 a month = 66,666.67 x 3 = 200k
    # difficulty 300k / 200k = 1.5; payout 7,200 x 1.1 = 7,920 + 33,000 = 40,920;
    # target pay 7,200 + 30,000 = 37,200 -> reward 1.1
    assert c["baseline"] == pytest.approx(200_000)
    assert c["difficulty"] == pytest.approx(1.5)
    assert "short_history" in c["flag"]
    assert c["reward"] == pytest.approx(1.1)
    assert c["quadrant"] == "fair"
    # D: 150k / 200k = 0.75; payout 10,000 x 0.8 = 8,000; target pay 5,400 + 15,000 = 20,400
    assert d["difficulty"] == pytest.approx(0.75)
    assert d["reward"] == pytest.approx(8_000 / 20_400)
    assert d["quadrant"] == "avoid" and d["action"] == "training"
    # E has no quota: listed, not placed
    e = _row(q, "E")
    assert pd.isna(e["quadrant"]) and e["flag"] == "no_quota,no_past_revenue,team_mix"
    # A is the top quarter (1 of 4 reps with revenue) and the only one at risk:
    # 2 x (hard 0.5 + underpaid 1 - 0.4235) = 2.1529; underpaid > hard -> raise the accelerator
    assert list(q.loc[q["top_performer"], "rep_id"]) == ["A"]
    risk = retention.at_risk(q)
    assert list(risk["rep_id"]) == ["A"]
    assert risk["risk_score"].iloc[0] == pytest.approx(2 * (0.5 + 1 - 21_600 / 51_000))
    assert risk["action"].iloc[0] == "raise_accelerator"
    assert retention.climate(q) == {"reps": 5, "placed": 4, "fair": 1, "loyalty": 1, "avoid": 1,
                                    "exploited": 1, "top": 1, "top_exploited": 1, "at_risk": 1}


def test_payout_at_exactly_target_is_reward_one(con):
    """At exactly 100 % attainment the engine pays the target pay (no SPIFFs), so reward = 1."""
    insert(con, "reps", [{"rep_id": "F", "name": "Fay", "team": "T", "base_salary": 10000,
                          "hire_date": date(2020, 1, 1)}])
    insert(con, "products", [{"product_id": "P2", "name": "Premium", "margin_rate": 0.5},
                             {"product_id": "P1", "name": "Basic", "margin_rate": 0.3}])
    # Q1 sales: 60k at 20 % + 40k at 10 % = exactly the 100k quota; mix = (12,000 + 4,000) / 100k
    insert(con, "deals", [_deal(1, "F", "P2", 60_000, date(2026, 1, 5)),
                          _deal(2, "F", "P1", 40_000, date(2026, 2, 5))])
    insert(con, "targets", [{"scenario": "base", "period": m, "scope": "rep", "scope_id": "F",
                             "metric": "revenue", "value": v} for m, v in zip(Q1.months, (30_000, 30_000, 40_000))])
    # an accelerator from 100 % (as DESIGN §5) pays nothing at exactly 100 %
    plan = Plan.from_dict(SPEC | {"accelerators": [{"above_attainment": 1.0, "multiplier": 1.5}]})
    f = _row(retention.quadrant(con, plan, Q1), "F")
    assert f["mix_rate"] == pytest.approx(0.16)
    # target pay 6,000 + 100k x 0.16 = 22,000 = the engine's 6,000 + 12,000 + 4,000
    assert f["target_pay"] == pytest.approx(22_000)
    assert f["total"] == pytest.approx(22_000)
    assert f["reward"] == pytest.approx(1.0)
    # no history at all -> no baseline anywhere -> difficulty NaN, not placed
    assert "no_baseline" in f["flag"] and pd.isna(f["quadrant"])


def test_target_pay_decelerator_and_gate_above_100():
    plan = Plan.from_dict({"name": "x", "period": "quarter",
                           "base_bonus": {"pct_of_salary": 0.2, "gate": 1.1},
                           "commission": {"default_rate": 0.1},
                           "accelerators": [{"above_attainment": 0.8, "multiplier": 1.5}],
                           "decelerator": {"below_attainment": 1.1, "multiplier": 0.8}})
    out = retention.target_pay(plan, 3, pd.Series([10_000.0]), pd.Series([100_000.0]), pd.Series([0.1]))
    # gate 110 %: no bonus; 10,000 x 0.8 (cut at 100 %) + band 80..100 %: 20k x 0.1 x 0.5 = 1,000
    assert out.iloc[0] == pytest.approx(9_000)


def _crafted():
    return pd.DataFrame({
        "rep_id": list("abcdefgh"),
        "difficulty": [1.5, 1.2, 1.1, 0.8, 0.8, 0.9, 1.0, math.nan],
        "reward": [0.5, 0.9, 0.4, 0.6, 0.6, 1.3, 1.0, 0.9],
        "recent_revenue": [800, 100, 200, 700, 50, 60, 70, 300],
    })


def test_place_quadrants_risk_order_and_actions():
    out = retention.place(_crafted()).set_index("rep_id")
    assert list(out["quadrant"].fillna("-")) == ["exploited", "exploited", "exploited", "avoid",
                                                 "avoid", "loyalty", "fair", "-"]
    # 8 reps with revenue -> top quarter = 2: a (800) and d (700)
    assert list(out.index[out["top_performer"]]) == ["a", "d"]
    # a: 2 x (0.5 + 0.5) = 2.0; d (top, avoid): 2 x 0.4 = 0.8; c: 0.1 + 0.6 = 0.7; b: 0.2 + 0.1 = 0.3
    assert out["risk_score"].round(6).to_dict() == {"a": 2.0, "b": 0.3, "c": 0.7, "d": 0.8, "e": 0.0,
                                                    "f": 0.0, "g": 0.0, "h": 0.0}
    assert list(retention.at_risk(out.reset_index().assign(
        rep="", team="", attainment=0.0, total=0.0, target_pay=0.0))["rep_id"]) == ["a", "d", "c", "b"]
    assert out["action"].fillna("-").to_dict() == {
        "a": "adjust_quota", "b": "adjust_quota", "c": "raise_accelerator", "d": "growth_path",
        "e": "training", "f": "growth_path", "g": "recognition", "h": "-"}


def test_place_median_lines_and_top_share():
    out = retention.place(_crafted(), "median", "median", top_share=0.5).set_index("rep_id")
    # placed difficulties 0.8 0.8 0.9 1.0 1.1 1.2 1.5 -> 1.0; rewards .4 .5 .6 .6 .9 1.0 1.3 -> 0.6
    assert out["difficulty_line"].iloc[0] == pytest.approx(1.0)
    assert out["reward_line"].iloc[0] == pytest.approx(0.6)
    assert out.loc["d", "quadrant"] == "loyalty"          # reward exactly on the line counts as high
    # half of 8 = 4: 800, 700, 300, 200
    assert set(out.index[out["top_performer"]]) == {"a", "d", "h", "c"}
    with pytest.raises(SalesCoreError):
        retention.place(_crafted(), 0.0, 1.0)


def test_top_performers_ties_at_the_cut():
    flags = retention.top_performers(pd.Series([5.0, 9.0, 5.0, 1.0, 0.0]), 0.25)
    # 4 reps with revenue -> 1; 9 is alone at the top
    assert list(flags) == [False, True, False, False, False]
    flags = retention.top_performers(pd.Series([5.0, 5.0, 1.0, 0.0]), 0.25)
    assert list(flags) == [True, True, False, False]       # a tie at the cut is in


def test_what_if_quota_moves_the_rep_as_worked_by_hand(team):
    w = retention.what_if(team, PLAN, Q1, rep_id="A", quota=250_000, seasonal=False)
    a = _row(w, "A")
    # difficulty 250k / 300k = 0.8333; attainment 270/250 = 1.08: bonus 6,000 x 1.08 = 6,480 +
    # commission 27,000, no cut = 33,480; target pay 6,000 + 25,000 = 31,000 -> reward 1.08
    assert a["difficulty_old"] == pytest.approx(1.5) and a["quadrant_old"] == "exploited"
    assert a["difficulty_new"] == pytest.approx(250 / 300)
    assert a["total_new"] == pytest.approx(33_480)
    assert a["target_pay_new"] == pytest.approx(31_000)
    assert a["reward_new"] == pytest.approx(1.08)
    assert a["quadrant_new"] == "loyalty" and a["moved"]
    assert not w.set_index("rep_id").drop(index="A")["moved"].any()
    assert w["rep_id"].iloc[0] == "A"                          # movers first
    # the same from the quadrant frame the page already has
    base = retention.quadrant(team, PLAN, Q1, seasonal=False)
    again = retention.what_if(team, PLAN, Q1, rep_id="A", quota=250_000, base=base)
    pd.testing.assert_frame_equal(again, w)


def test_what_if_other_plan_keeps_the_active_yardstick(team):
    richer = Plan.from_dict(SPEC | {"commission": {"default_rate": 0.25,
                                                   "tiers": [{"min_margin": 0.40, "rate": 0.20}]}})
    w = retention.what_if(team, PLAN, Q1, other=richer, seasonal=False).set_index("rep_id")
    # A: 25 % x 270k = 67,500 cut by 20 % = 54,000 against the active target pay 51,000
    assert w.loc["A", "total_new"] == pytest.approx(54_000)
    assert w.loc["A", "target_pay_new"] == pytest.approx(51_000)
    assert w.loc["A", "reward_new"] == pytest.approx(54_000 / 51_000)
    assert w.loc["A", "quadrant_new"] == "fair"
    # D: 25,000 - 5,000 = 20,000 / 20,400 = 0.98: still avoid; B (all at the 20 % tier) unchanged
    assert w.loc["D", "reward_new"] == pytest.approx(20_000 / 20_400) and not w.loc["D", "moved"]
    assert w.loc["B", "total_new"] == w.loc["B", "total_old"]


def test_what_if_rejects_bad_input(team):
    with pytest.raises(SalesCoreError) as err:
        retention.what_if(team, PLAN, Q1, rep_id="A", quota=0)
    assert err.value.key == "retention.error.quota"
    with pytest.raises(SalesCoreError) as err:
        retention.what_if(team, PLAN, Q1, rep_id="ZZ", quota=10)
    assert err.value.key == "retention.error.unknown_rep"
    monthly = Plan.from_dict(SPEC | {"period": "month"})
    with pytest.raises(SalesCoreError) as err:
        retention.what_if(team, PLAN, Q1, other=monthly)
    assert err.value.key == "retention.error.plan_period"


def test_payout_with_unchanged_quota_equals_the_engine(team):
    full = incentives.payouts(team, PLAN, Q1).set_index("rep_id")
    for rep in "ABCD":
        row = retention.payout_with_quota(team, PLAN, Q1, rep, float(full.loc[rep, "quota"]))
        assert float(row["total"].iloc[0]) == pytest.approx(full.loc[rep, "total"])


def test_seasonal_factor(con):
    insert(con, "reps", [{"rep_id": "A", "name": "Ann", "team": "T"}])
    # window for 2026-Q1 = 2025: 240k in January + 960k in July = 100k a month;
    # Q1 one year earlier (2025-01..03) = 240k = 80k a month -> factor 0.8
    insert(con, "deals", [
        {"deal_id": "D1", "rep_id": "A", "amount": 240_000, "status": "won",
         "created_date": date(2024, 12, 1), "close_date": date(2025, 1, 15)},
        {"deal_id": "D2", "rep_id": "A", "amount": 960_000, "status": "won",
         "created_date": date(2025, 6, 1), "close_date": date(2025, 7, 15)}])
    assert retention.seasonal_factor(con, Q1) == pytest.approx(0.8)
    assert retention.seasonal_factor(con, parse("2026")) == pytest.approx(1.0)
    # 2025-Q3: window 2024-07..2025-06 starts before the data -> no seasonality known
    assert retention.seasonal_factor(con, parse("2025-Q3")) == 1.0


def test_seasonal_baseline_in_the_quadrant(team):
    # window 2025: 4 x 750k in Mar/Jun/Sep/Dec + 50k (C) = 3.05M; Q1 2025 = 750k
    # factor = (750k / 3) / (3.05M / 12); first deal created 2025-02-18 is after the window
    # start 2025-01-01, so the factor falls back to 1
    q = retention.quadrant(team, PLAN, Q1).set_index("rep_id")
    assert q.loc["A", "seasonal_factor"] == 1.0
    assert q.loc["A", "difficulty"] == pytest.approx(1.5)


def _plan_row(plan_id, version, effective, created, name=None):
    return {"plan_id": plan_id, "version": version, "name": name or plan_id,
            "spec": json.dumps(SPEC | {"name": name or f"{plan_id} v{version}"}),
            "effective_from": effective, "created_at": created}


def test_active_plan(con):
    assert retention.active_plan(con) is None
    insert(con, "plans", [
        _plan_row("old", 1, date(2025, 1, 1), datetime(2024, 12, 1)),
        _plan_row("old", 2, date(2025, 1, 1), datetime(2025, 3, 1)),
        _plan_row("new", 1, date(2026, 1, 1), datetime(2025, 12, 1)),
        _plan_row("future", 1, date(2027, 1, 1), datetime(2026, 2, 1))])
    now = retention.active_plan(con, on=date(2026, 3, 31))
    assert (now.plan_id, now.version, now.in_force) == ("new", 1, True)
    assert retention.active_plan(con, on=date(2025, 6, 1)).plan.name == "old v2"
    early = retention.active_plan(con, on=date(2024, 6, 1))
    assert (early.plan_id, early.in_force) == ("future", False)      # none in force: latest created


def test_default_period():
    as_of = date(2026, 11, 20)
    # the sidebar's 2026-10 lies in 2026-Q4, still running -> the latest complete quarter
    assert retention.default_period(as_of, parse("2026-10"), "quarter").label == "2026-Q3"
    assert retention.default_period(as_of, parse("2026-05"), "quarter").label == "2026-Q2"
    assert retention.default_period(as_of, None, "month").label == "2026-10"


def test_training_history_and_growth(team):
    insert(con := team, "trainings", [
        {"rep_id": "B", "course": "Negotiation", "start_date": date(2025, 5, 1), "topic": "skills", "hours": 8},
        {"rep_id": "B", "course": "Products 101", "start_date": date(2025, 9, 1), "topic": "product", "hours": 4},
        {"rep_id": "B", "course": "Later", "start_date": date(2026, 6, 1), "topic": "other", "hours": 2},
        {"rep_id": "A", "course": "Negotiation", "start_date": date(2025, 5, 1), "topic": "skills", "hours": 8}])
    h = retention.training_history(con, until=Q1.end).set_index("rep_id")
    assert h.loc["B", "courses"] == 2 and h.loc["B", "hours"] == 12
    assert h.loc["B", "last_date"].date() == date(2025, 9, 1)
    assert list(h.loc["B", "topics"]) == ["product", "skills"]
    # attainment 2026-Q1: A 0.6, B 1.5, C 1.1, D 0.667 -> ready at >= 100 %: B and C
    g = retention.growth(con, Q1, min_attainment=1.0, count=1).set_index("rep_id")
    assert sorted(g.index) == ["B", "C"]
    assert g.loc["B", "hours"] == 12 and g.loc["C", "courses"] == 0


def test_quadrant_of_boundaries():
    s = retention.quadrant_of(pd.Series([1.0, 0.999, 1.0, 0.5]), pd.Series([1.0, 1.0, 0.999, 0.5]), 1.0, 1.0)
    assert list(s) == ["fair", "loyalty", "exploited", "avoid"]


def test_period_options():
    labels = [p.label for p in retention.period_options(date(2026, 11, 20), "quarter", 3)]
    assert labels == ["2026-Q4", "2026-Q3", "2026-Q2"]
    assert isinstance(retention.period_options(date(2026, 11, 20), "month", 1)[0], Period)

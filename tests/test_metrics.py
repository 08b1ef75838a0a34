"""Every DESIGN §4 metric against the hand-built history of conftest.small.

Q1 2026 closes: D1 won 100 (cycle 40 d), D2 won 300 (30 d), D4 won 200 (30 d), D3 and D5 lost.
"""
from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from salescore import db, metrics
from salescore.scope import Scope
from salescore.periods import parse

pytestmark = pytest.mark.backends

Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def test_company_kpis_q1(small):
    k = metrics.kpis(small, *Q1)
    assert k["revenue_won"] == 600
    assert (k["deals_won"], k["deals_lost"]) == (3, 2)
    assert k["win_rate"] == pytest.approx(3 / 5)
    assert k["avg_deal_size"] == pytest.approx(200)
    assert k["sales_cycle_days"] == pytest.approx(100 / 3)
    assert k["sales_cycle_days_median"] == pytest.approx(30)
    # C2's first won deal ever is D2 (Feb); C1 first bought in 2025, C4 first buys in April
    assert k["new_customers"] == 1
    # buyers in Q1: C1 (bought before, in 2025) and C2 (did not) -> 1/2
    assert k["repeat_rate"] == pytest.approx(0.5)
    # open on 31 March: D6, D9 and D10 (closed only in April)
    assert (k["open_deals"], k["open_pipeline"]) == (3, 2200)
    assert k["velocity"] == pytest.approx(3 * 0.6 * 200 / (100 / 3))
    # no company or team targets: falls back to the reps' 3 x (100 + 200)
    assert k["target"] == 900
    assert k["attainment"] == pytest.approx(600 / 900)


def test_scopes(small):
    ann = metrics.kpis(small, *Q1, Scope(rep_id="R1"))
    assert ann["revenue_won"] == 400 and ann["win_rate"] == pytest.approx(2 / 3)
    assert ann["attainment"] == pytest.approx(400 / 300)
    team_b = metrics.kpis(small, *Q1, Scope(team="B"))
    assert team_b["revenue_won"] == 0 and team_b["win_rate"] is None
    assert team_b["target"] is None and team_b["attainment"] is None
    assert team_b["open_deals"] == 2


def test_empty_period_gives_nulls_not_errors(small):
    k = metrics.kpis(small, date(2030, 1, 1), date(2030, 1, 31))
    assert k["revenue_won"] == 0 and k["deals_won"] == 0
    for name in ("win_rate", "avg_deal_size", "sales_cycle_days", "repeat_rate", "attainment",
                 "velocity"):
        assert k[name] is None, name


def test_empty_database(con):
    k = metrics.kpis(con)
    assert k["revenue_won"] == 0 and k["win_rate"] is None
    assert metrics.default_period(con) is None
    assert metrics.funnel(con).empty


def test_all_data_repeat_rate_counts_second_purchases(small):
    k = metrics.kpis(small)
    # won buyers overall: C1 (D8, D1, D4), C2 (D2), C3 (D7), C4 (D10): only C1 bought twice
    assert k["repeat_rate"] == pytest.approx(1 / 4)
    assert k["revenue_won"] == 100 + 300 + 200 + 50 + 400 + 700


def test_by_rep_and_team(small):
    reps = metrics.by_group(small, *Q1, "rep")
    assert list(reps["rep"]) == ["Ann", "Bob", "Cai"]
    assert list(reps["revenue_won"]) == [400, 200, 0]
    assert reps.loc[reps.rep == "Bob", "attainment"].item() == pytest.approx(200 / 600)
    assert math.isnan(reps.loc[reps.rep == "Cai", "attainment"].item())
    teams = metrics.by_group(small, *Q1, "team")
    assert dict(zip(teams.team, teams.revenue_won)) == {"A": 600, "B": 0}
    assert dict(zip(teams.team, teams.target.fillna(-1))) == {"A": 900, "B": -1}


def test_leaderboard_ranks(small):
    board = metrics.leaderboard(small, *Q1)
    assert list(board["rep"]) == ["Ann", "Bob"]
    assert list(board["rank"]) == [1, 2]


def test_funnel_reached_rule(small):
    f = metrics.funnel(small, *Q1)
    # created in Q1: D2, D4, D10 won; D3 lost at Proposal; D5 lost at Lead; D6 open at Qualified
    assert list(f["stage"]) == ["Lead", "Qualified", "Proposal", "Negotiation", "won"]
    assert list(f["reached"]) == [6, 5, 4, 3, 3]
    assert f["conversion_to_next"].iloc[:4].tolist() == pytest.approx([5 / 6, 4 / 5, 3 / 4, 1.0])
    assert math.isnan(f["conversion_to_next"].iloc[4])


def test_stage_order_detected_from_names(small):
    from salescore import db
    db.set_setting(small, "stage_order", None)
    assert metrics.stage_order(small) == ["Lead", "Qualified", "Proposal"]


def test_monthly_trend(small):
    trend = metrics.monthly(small, *Q1)
    assert list(trend["month"]) == ["2026-01", "2026-02", "2026-03"]
    assert list(trend["revenue_won"]) == [100, 300, 200]
    assert list(trend["target"]) == [300, 300, 300]


def test_velocity_formula():
    assert metrics.velocity(10, 0.25, 4000, 50) == pytest.approx(200)
    assert metrics.velocity(10, None, 4000, 50) is None
    assert metrics.velocity(10, 0.25, 4000, 0) is None


def test_pace_and_alerts(small):
    q1 = parse("2026-Q1")
    # pace is salescore.periods.pace: working days, 1 Jan 2026 (a Thursday) is 1 of Q1's 64
    assert metrics.pace(q1, date(2026, 1, 1)) == pytest.approx(1 / 64)
    assert metrics.pace(q1, date(2026, 4, 1)) == 1.0
    items = metrics.alerts(small, q1, when=date(2026, 4, 30))
    keys = {(i["key"], i["params"].get("team") or i["params"].get("rep")
             or ",".join(i["params"].get("reps", ()))) for i in items}
    # team A: 600 of 900 = 67% of a finished quarter -> 33% behind; Bob at 33% of target
    assert ("alert.team_behind", "A") in keys
    assert ("alert.reps_behind", "Bob") in keys
    assert ("alert.rep_star", "Ann") in keys


def test_summary_shape(small):
    out = metrics.summary(small, *Q1)
    assert set(out) >= {"totals", "by_rep", "funnel"}
    assert out["totals"]["revenue_won"] == 600
    assert {r["rep"] for r in out["by_rep"]} == {"Ann", "Bob", "Cai"}
    assert out["funnel"][0] == {"stage": "Lead", "reached": 6, "conversion_to_next": pytest.approx(5 / 6),
                                "unknown": 0}


def test_explicit_team_target_wins_month_by_month(small):
    from tests.conftest import insert
    insert(small, "targets", [{"scenario": "base", "period": "2026-01", "scope": "team",
                               "scope_id": "A", "metric": "revenue", "value": 1000}])
    # January: the team's own 1000; February and March: its reps' 100 + 200
    assert metrics.target(small, ["2026-01", "2026-02", "2026-03"], Scope(team="A")) == 1600
    assert metrics.target(small, ["2026-01", "2026-02", "2026-03"]) == 1600
    assert list(metrics.monthly(small, *Q1)["target"]) == [1000, 300, 300]
    # another scenario is not mixed in
    assert metrics.target(small, ["2026-01"], scenario="stretch") is None


def test_alert_text_lists_names_per_language():
    item = {"level": "warning", "key": "alert.reps_behind",
            "params": {"count": 6, "reps": ("A", "B", "C", "D", "E", "F")}}
    assert metrics.alert_text(item, "en") == (
        "6 reps are behind pace (under 85% of it) without the pipeline to catch up: A, B, C, D, E…. "
        "Time for one-to-ones.")
    assert "A、B、C、D、E…" in metrics.alert_text(item, "zh")
    gap = {"level": "warning", "key": "alert.team_behind", "params": {"team": "North", "gap": 0.18}}
    assert metrics.alert_text(gap, "en") == "North is 18% behind pace."


@pytest.mark.parametrize("level", ["rep", "team"])
def test_kpis_and_groups_in_one_pass_equal_the_separate_calls(demo_db, level):
    """The grouping-sets pass (metrics --json) gives exactly kpis() and by_group()."""
    con = db.connect(demo_db)
    try:
        cases = [(None, None, Scope()), (date(2026, 1, 1), date(2026, 3, 31), Scope()),
                 (date(2025, 7, 1), date(2025, 12, 31), Scope(team="华东")),
                 (date(2026, 4, 1), date(2026, 6, 30), Scope(rep_id="R18")),
                 (date(2030, 1, 1), date(2030, 3, 31), Scope())]        # no deals at all
        for start, end, scope in cases:
            totals, groups = metrics.kpis_and_groups(con, start, end, level, scope)
            assert (totals["deals_won"] > 0) == (start is None or start.year < 2030)
            assert totals == metrics.kpis(con, start, end, scope)
            pd.testing.assert_frame_equal(groups.reset_index(drop=True),
                                          metrics.by_group(con, start, end, level, scope))
    finally:
        con.close()


# --- figures the pages show, computed here (issue 15: pages are thin) -----------------------

def test_stuck_summary_counts_and_sums_the_stuck_list(small):
    from tests.conftest import insert
    # an activity on another customer turns the idle rule on; on 31 March the open deals are
    # D6 (500, 30 days old), D9 (1000, 106 days) and D10 (700, 11 days: closes 5 April)
    insert(small, "activities", [{"activity_id": "A1", "rep_id": "R1", "customer_id": "C1",
                                  "activity_date": date(2026, 3, 30)}])
    stuck = metrics.stuck_deals(small, date(2026, 3, 31), idle_days=30)
    assert sorted(stuck["deal_id"]) == ["D6", "D9"]
    assert metrics.stuck_summary(stuck) == {"deals": 2, "value": 1500.0, "idle": 2}
    only_old = metrics.stuck_deals(small, date(2026, 3, 31), idle_days=60)
    assert metrics.stuck_summary(only_old) == {"deals": 1, "value": 1000.0, "idle": 1}
    none = metrics.stuck_deals(small, date(2026, 3, 31), Scope(team="X"))
    assert metrics.stuck_summary(none) == {"deals": 0, "value": 0.0, "idle": 0}


def test_loss_summary_totals_and_top_reason(small):
    # Q1 losses: D3 (Proposal) and D5 (Lead), neither with a reason or an amount
    reasons = metrics.loss_reasons(small, *Q1)
    assert metrics.loss_summary(reasons) == {"deals_lost": 2, "value_lost": 0.0, "recorded": False,
                                             "top_reason": None, "top_share": 1.0}
    with db.transaction(small) as cur:
        cur.execute("update deals set lost_reason = 'Price', amount = 250 where deal_id = 'D3'")
    by_value = metrics.loss_reasons(small, *Q1, measure="value_lost")
    assert metrics.loss_summary(by_value) == {"deals_lost": 2, "value_lost": 250.0, "recorded": True,
                                              "top_reason": "Price", "top_share": 1.0}
    empty = metrics.loss_reasons(small, date(2030, 1, 1), date(2030, 3, 31))
    assert metrics.loss_summary(empty) == {"deals_lost": 0, "value_lost": 0.0, "recorded": False,
                                           "top_reason": None, "top_share": None}


def test_velocity_split_names_the_lever_and_its_effect():
    before = {"open_deals": 5, "win_rate": 0.5, "avg_deal_size": 100.0, "sales_cycle_days": 10.0,
              "velocity": 25.0}
    now = before | {"open_deals": 10, "velocity": 50.0}
    # only open deals moved (x2): the whole change of 25 per day is theirs
    split = metrics.velocity_split(now, before)
    assert split["lever"] == "open_deals" and split["lever_effect"] == pytest.approx(25.0)
    same = metrics.velocity_split(before, before)
    assert same["lever"] is None and same["lever_effect"] is None


def test_live_period_is_the_running_one():
    march, january = parse("2026-03"), parse("2026-01")
    assert metrics.live_period(march, date(2026, 3, 20)) == (march, False)
    assert metrics.live_period(january, date(2026, 3, 20)) == (march, True)
    assert metrics.live_period(parse("2026-Q1"), date(2026, 4, 2)) == (parse("2026-Q2"), True)


# --- DESIGN §4 as revised (issue 16): credits, orders, order lists, repeat, targets, coverage --

def test_a_credit_lowers_revenue_but_is_not_a_deal(small):
    from tests.conftest import insert
    # a credit note for C1 in February and a credit to a customer who never bought (C9)
    insert(small, "deals", [
        {"deal_id": "K1", "rep_id": "R1", "customer_id": "C1", "amount": -50, "stage": "Won",
         "status": "won", "close_date": date(2026, 2, 20)},
        {"deal_id": "K2", "rep_id": "R2", "customer_id": "C9", "amount": -30, "stage": "Won",
         "status": "won", "close_date": date(2026, 2, 21)}])
    k = metrics.kpis(small, *Q1)
    assert k["revenue_won"] == 600 - 50 - 30
    assert (k["deals_won"], k["deals_lost"]) == (3, 2)          # the credits are not deals
    assert k["win_rate"] == pytest.approx(3 / 5)
    assert k["avg_deal_size"] == pytest.approx(600 / 3)          # revenue of deals / deals won
    assert k["new_customers"] == 1                               # C9's credit makes no customer
    assert k["repeat_rate"] == pytest.approx(0.5)                # C9 is no buyer
    ann = metrics.kpis(small, *Q1, Scope(rep_id="R1"))
    assert ann["revenue_won"] == 350 and ann["deals_won"] == 2
    assert metrics.monthly(small, *Q1)["deals_won"].tolist() == [1, 1, 1]


def test_lines_sharing_an_order_id_are_one_deal(con):
    from tests.conftest import insert
    insert(con, "reps", [{"rep_id": "R1", "name": "Ann"}])
    d = date(2026, 1, 10)
    rows = [("L1", "A-1", "C1", 100), ("L2", "A-1", "C1", 50), ("L3", "A-1", "C1", 25),
            ("L4", "A-2", "C2", 300), ("L5", None, "C1", 200)]           # L5: no order id
    insert(con, "deals", [{"deal_id": i, "order_id": o, "rep_id": "R1", "customer_id": c,
                           "amount": a, "status": "won", "created_date": d, "close_date": d}
                          for i, o, c, a in rows]
           + [{"deal_id": "X1", "order_id": "A-3", "rep_id": "R1", "status": "lost",
               "close_date": d}, {"deal_id": "X2", "order_id": "A-3", "rep_id": "R1",
                                  "status": "lost", "close_date": d}])
    k = metrics.kpis(con, date(2026, 1, 1), date(2026, 1, 31))
    # orders A-1 (175), A-2 (300) and the line L5 (200) are 3 deals; A-3 is one lost order
    assert (k["deals_won"], k["deals_lost"]) == (3, 1)
    assert k["revenue_won"] == 675 and k["avg_deal_size"] == pytest.approx(225)
    assert k["win_rate"] == pytest.approx(3 / 4)
    # C1 bought A-1 and L5 (two deals): a repeat buyer; C2 bought once
    assert k["repeat_rate"] == pytest.approx(0.5)
    assert k["new_customers"] == 2


def test_an_order_list_has_no_win_rate_and_no_cycle(con):
    from tests.conftest import insert
    insert(con, "reps", [{"rep_id": "R1", "name": "Ann"}])
    insert(con, "deals", [{"deal_id": f"O{i}", "rep_id": "R1", "customer_id": "C1", "amount": 10,
                           "status": "won", "created_date": date(2026, 1, i),
                           "close_date": date(2026, 1, i)} for i in range(1, 4)])
    k = metrics.kpis(con)
    assert k["win_rate"] is None and k["win_rate_note"] == metrics.NO_LOST_DEALS
    assert k["sales_cycle_days"] is None and k["sales_cycle_days_median"] is None   # never 0.0
    assert k["velocity"] is None and k["deals_won"] == 3
    out = metrics.summary(con)["totals"]
    assert out["win_rate"] is None and out["win_rate_note"] == "no lost deals in the data"
    assert metrics.monthly(con, date(2026, 1, 1), date(2026, 1, 31))["win_rate"].isna().all()
    assert metrics.cycle_by(con, None, None, Scope(), "all").empty
    # one open deal anywhere and it is a pipeline again: the figures come back
    insert(con, "deals", [{"deal_id": "P1", "rep_id": "R1", "status": "open", "stage": "Lead"}])
    k = metrics.kpis(con)
    assert k["win_rate"] == 1.0 and k["win_rate_note"] is None and k["sales_cycle_days"] == 0


def test_repeat_rate_is_the_same_for_all_data_and_a_range_over_it(small):
    from tests.conftest import insert
    # C2 buys again in February 2026 (D2 on 4 Feb, E1 on 20 Feb): twice inside one quarter
    insert(small, "deals", [{"deal_id": "E1", "rep_id": "R1", "customer_id": "C2", "amount": 10,
                             "status": "won", "close_date": date(2026, 2, 20)}])
    assert metrics.kpis(small, *Q1)["repeat_rate"] == pytest.approx(2 / 2)      # C1 and C2
    lo, hi = metrics.data_range(small)
    # all data: C1 (3 deals), C2 (2), C3 (1), C4 (1) -> 2/4, with or without explicit dates
    assert metrics.kpis(small)["repeat_rate"] == pytest.approx(0.5)
    assert metrics.kpis(small, lo, hi)["repeat_rate"] == pytest.approx(0.5)
    # Q4 2025: buyers C3 (D7, once by year end) -> 0
    assert metrics.kpis(small, date(2025, 10, 1), date(2025, 12, 31))["repeat_rate"] == 0


def test_a_range_cutting_months_takes_their_share_of_the_target(con):
    from tests.conftest import insert
    insert(con, "reps", [{"rep_id": "R1", "name": "Ann", "team": "A"}])
    insert(con, "targets", [{"scenario": "base", "period": m, "scope": "rep", "scope_id": "R1",
                             "metric": "revenue", "value": v}
                            for m, v in (("2026-06", 3000), ("2026-07", 3100), ("2026-08", 5000))])
    insert(con, "deals", [{"deal_id": "D1", "rep_id": "R1", "amount": 1000, "status": "won",
                           "close_date": date(2026, 6, 20)}])
    assert metrics.month_shares(date(2026, 6, 15), date(2026, 7, 10)) == (
        ["2026-06", "2026-07"], [16 / 30, 10 / 31])
    k = metrics.kpis(con, date(2026, 6, 15), date(2026, 7, 10))
    assert k["target"] == pytest.approx(3000 * 16 / 30 + 3100 * 10 / 31)        # 1600 + 1000
    assert k["attainment"] == pytest.approx(1000 / 2600)
    reps = metrics.by_group(con, date(2026, 6, 15), date(2026, 7, 10), "rep")
    assert reps["target"].tolist() == pytest.approx([2600])
    # whole months are whole
    assert metrics.kpis(con, date(2026, 6, 1), date(2026, 7, 31))["target"] == pytest.approx(6100)


def test_pipeline_coverage_counts_overdue_deals_of_the_current_period(con):
    from tests.conftest import insert
    insert(con, "reps", [{"rep_id": "R1", "name": "Ann", "team": "A"},
                         {"rep_id": "R2", "name": "Bob", "team": "A"}])
    insert(con, "targets", [{"scenario": "base", "period": m, "scope": "rep", "scope_id": r,
                             "metric": "revenue", "value": 1000}
                            for m in ("2026-04", "2026-05", "2026-06") for r in ("R1", "R2")])
    d = date
    insert(con, "deals", [
        # the data's last date is 10 May 2026 (D1's close): Q2 is the current period
        {"deal_id": "D1", "rep_id": "R1", "amount": 1000, "status": "won", "created_date": d(2026, 3, 1),
         "close_date": d(2026, 5, 10)},
        {"deal_id": "D2", "rep_id": "R1", "amount": 800, "status": "open", "stage": "Lead",
         "created_date": d(2026, 3, 1), "expected_close_date": d(2026, 6, 15)},      # rest of Q2
        {"deal_id": "D3", "rep_id": "R1", "amount": 600, "status": "open", "stage": "Lead",
         "created_date": d(2026, 1, 1), "expected_close_date": d(2026, 3, 20)},      # overdue
        {"deal_id": "D4", "rep_id": "R2", "amount": 900, "status": "open", "stage": "Lead",
         "created_date": d(2026, 4, 1), "expected_close_date": d(2026, 8, 1)},       # Q3
        {"deal_id": "D5", "rep_id": "R2", "amount": 700, "status": "open", "stage": "Lead",
         "created_date": d(2026, 4, 1)},                                              # not dated
        {"deal_id": "D6", "rep_id": "R2", "status": "lost", "stage": "Lead",
         "created_date": d(2026, 4, 1), "close_date": d(2026, 4, 20)},
    ])
    q2 = parse("2026-Q2")
    k = metrics.kpis(con, q2.start, q2.end)
    # expected in the rest of Q2, overdue included: D2 800 + D3 600; remaining 6000 - 1000
    assert k["pipeline_coverage"] == pytest.approx(1400 / 5000)
    reps = metrics.by_group(con, q2.start, q2.end, "rep").set_index("rep_id")
    assert reps.loc["R1", "pipeline_coverage"] == pytest.approx(1400 / 2000)
    assert reps.loc["R2", "pipeline_coverage"] == 0
    # the same pipeline per rep on a given date (for pacing): R1's 800 + 600; R2's D4 is in Q3
    rest = metrics.coverage_pipeline(con, q2, date(2026, 5, 10))
    assert rest.to_dict("list") == {"rep_id": ["R1"], "pipeline": [1400.0]}
    out = metrics.summary(con, q2.start, q2.end)
    assert out["totals"]["pipeline_coverage"] == pytest.approx(0.28)
    assert {r["rep"]: r["pipeline_coverage"] for r in out["by_rep"]} == {
        "Ann": pytest.approx(0.7), "Bob": 0}
    # Q3 is ahead: D4 only (overdue deals belong to the current period); Q1 is over
    q3 = parse("2026-Q3")
    assert metrics.kpis(con, q3.start, q3.end)["pipeline_coverage"] is None          # no target
    insert(con, "targets", [{"scenario": "base", "period": "2026-07", "scope": "company",
                             "scope_id": "", "metric": "revenue", "value": 3000}])
    assert metrics.kpis(con, q3.start, q3.end)["pipeline_coverage"] == pytest.approx(900 / 3000)
    assert metrics.kpis(con, *Q1)["pipeline_coverage"] is None


def test_summary_totals_carry_coverage_and_currency(small):
    out = metrics.summary(small, *Q1)
    assert {"pipeline_coverage", "currency", "win_rate_note"} <= set(out["totals"])
    assert out["totals"]["currency"] is None                   # no currency known: never ¥
    with db.transaction(small) as cur:
        cur.execute("update deals set currency = 'USD'")
    assert metrics.summary(small, *Q1)["totals"]["currency"] == "USD"


# --- one traffic-light rule (metrics.lights) and the alerts on it ------------------------------

@pytest.mark.parametrize("index, remaining, coverage, expected", [
    (0.97, 100.0, None, "amber"),     # 97% of pace: amber on every page (Overview and Goals)
    (1.00, 100.0, None, "green"),
    (0.85, 100.0, None, "amber"),     # AMBER_AT itself is amber
    (0.84, 100.0, None, "red"),
    (0.84, 100.0, 2.0, "amber"),      # behind, but twice the remaining target in the pipeline
    (0.84, 100.0, 1.9, "red"),
    (0.30, 0.0, None, "green"),       # the target is met already
    (None, 100.0, None, "none"),
    (float("nan"), 100.0, None, "none"),
])
def test_light_rule(index, remaining, coverage, expected):
    assert metrics.light(index, remaining, coverage) == expected


def test_goals_pacing_uses_the_same_light():
    """Goals › Pacing (goals.light) and the Overview (metrics.light) give every row the same
    light: one rule, until goals imports it from metrics.lights."""
    from salescore import goals
    for index in (None, 0.0, 0.5, 0.84, 0.849, 0.85, 0.9, 0.97, 0.999, 1.0, 1.3):
        for remaining in (0.0, 50.0):
            for coverage in (None, 0.5, 1.99, 2.0, 3.0):
                assert goals.light(index, remaining, coverage) == metrics.light(index, remaining, coverage)
    assert (goals.GREEN_AT, goals.AMBER_AT, goals.CATCH_UP_COVERAGE) == (
        metrics.GREEN_AT, metrics.AMBER_AT, metrics.CATCH_UP_COVERAGE)


def test_pace_light_and_change_light():
    # 48.5% of target with 56.1% of the working days gone: index 0.864 -> amber
    assert metrics.pace_light(0.485, 0.561, 1000.0, 485.0, None) == "amber"
    assert metrics.pace_light(0.40, 0.561, 1000.0, 400.0, None) == "red"        # index 0.713
    assert metrics.pace_light(0.40, 0.561, 1000.0, 400.0, 2.5) == "amber"       # pipeline to catch up
    assert metrics.pace_light(None, 0.561, None, 400.0, None) == "none"         # no target
    assert metrics.pace_light(0.5, 0.0, 1000.0, 500.0, None) == "none"          # not started
    assert metrics.change_light(97, 100) == "amber"      # -3% on the previous window: amber, not red
    assert metrics.change_light(84, 100) == "red"
    assert metrics.change_light(131, 100) == "green"
    assert metrics.change_light(5, 0) == metrics.change_light(None, 100) == "none"


def _groups(rows, key):
    return pd.DataFrame([{key: name, "attainment": att, "revenue_won": att * 1000.0, "target": 1000.0,
                          "pipeline_coverage": cov} for name, att, cov in rows])


def test_alerts_warn_exactly_about_the_red_rows():
    """"Behind pace" is the red light, at AMBER_AT (85% of pace), never the old 10% gap: a
    team at 88% of pace is amber on the chart and gets no warning; one at 80% is red and
    does, unless its pipeline can catch up (amber)."""
    share = 0.5
    teams = _groups([("Amber97", 0.485, None), ("Amber88", 0.44, None), ("Red80", 0.40, None),
                     ("Catch80", 0.40, 2.5), ("Ahead", 0.60, None)], "team")
    reps = _groups([("R-amber", 0.44, None), ("R-red", 0.40, None), ("R-red2", 0.30, 1.0),
                    ("R-catch", 0.35, 3.0), ("R-star", 0.62, None)], "rep")
    none = {"win_rate": None}
    items = metrics.alerts_from(teams, reps, none, none, share, "2026-Q3")
    behind = {i["params"]["team"]: i["params"]["gap"] for i in items if i["key"] == "alert.team_behind"}
    assert behind == {"Red80": pytest.approx(0.20)}
    lights = dict(zip(teams["team"], metrics.pace_lights(teams, share)))
    assert {t for t, light in lights.items() if light == "red"} == set(behind)
    assert lights["Amber97"] == lights["Amber88"] == lights["Catch80"] == "amber"
    ahead = [i["params"] for i in items if i["key"] == "alert.team_ahead"]
    assert ahead == [{"team": "Ahead", "gap": pytest.approx(0.20)}]
    [line] = [i for i in items if i["key"] == "alert.reps_behind"]
    assert line["params"]["reps"] == ("R-red2", "R-red")          # weakest first; amber reps left out
    [star] = [i for i in items if i["key"] == "alert.rep_star"]
    assert star["params"]["rep"] == "R-star"                      # 124% of pace >= STAR_AT


def test_alert_for_one_rep_is_singular():
    item = {"level": "warning", "key": "alert.reps_behind", "params": {"count": 1, "reps": ("Bob",)}}
    assert metrics.alert_text(item, "en") == (
        "1 rep is behind pace (under 85% of it) without the pipeline to catch up: Bob. "
        "Time for a one-to-one.")
    two = {**item, "params": {"count": 2, "reps": ("Bob", "Ann")}}
    assert metrics.alert_text(two, "en").startswith("2 reps are behind pace")
    assert "1 名销售" in metrics.alert_text(item, "zh")


def test_running_period_alerts_compare_the_same_first_days(small):
    """February 2026 on 10 Feb is running: its win rate (D2 won 4 Feb, D3 lost 10 Feb: 50%) is
    compared with 1-10 January (D1 won 10 Jan: 100%), not with all of January (D1 won, DX
    lost 20 Jan: 50%, no fall)."""
    from tests.conftest import insert
    insert(small, "deals", [{"deal_id": "DX", "rep_id": "R3", "customer_id": "C3", "amount": 10,
                             "stage": "Lead", "status": "lost", "created_date": date(2026, 1, 2),
                             "close_date": date(2026, 1, 20)}])
    feb, on = parse("2026-02"), date(2026, 2, 10)
    assert metrics.kpis(small, date(2026, 1, 1), date(2026, 1, 31))["win_rate"] == pytest.approx(0.5)
    [drop] = [i for i in metrics.alerts(small, feb, when=on, lang="en") if i["key"] == "alert.win_rate_down"]
    assert (drop["params"]["now"], drop["params"]["before"]) == (pytest.approx(0.5), pytest.approx(1.0))
    assert drop["params"]["previous"] == "2026-01 through 2026-01-10 (the same first 10 days)"
    # once February is over it is compared with the whole of January: no fall
    assert not [i for i in metrics.alerts(small, feb, when=date(2026, 3, 31))
                if i["key"] == "alert.win_rate_down"]

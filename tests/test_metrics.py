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
    assert out["funnel"][0] == {"stage": "Lead", "reached": 6, "conversion_to_next": pytest.approx(5 / 6)}


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
        "6 reps are below 70% of their pace: A, B, C, D, E…. Time for one-to-ones.")
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

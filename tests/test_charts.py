"""salescore.charts: every builder, on a small hand-made frame with the columns its docstring
names, returns a chart whose Vega-Lite spec passes the schema, in both languages (the app
skips the validation when it draws: ui.draw)."""
from __future__ import annotations

import pandas as pd
import pytest

from salescore import charts

MONTHS = ["2026-01", "2026-02", "2026-03"]


def _funnel_stages() -> pd.DataFrame:
    return pd.DataFrame({"stage": ["Lead", "Proposal", "Won"], "stage_label": ["线索", "方案", "赢单"],
                         "reached": [10, 6, 3], "value": [1000.0, 700.0, 400.0],
                         "conversion_to_next": [0.6, 0.5, None]})


def _quadrant() -> pd.DataFrame:
    return pd.DataFrame({
        "rep": ["Ann", "Bob", "Cai"], "team": ["A", "A", "B"], "quota": [100.0, 120.0, 90.0],
        "baseline": [90.0, 100.0, 95.0], "difficulty": [1.1, 0.8, 4.0], "total": [10.0, 8.0, 5.0],
        "target_pay": [9.0, 9.0, 9.0], "reward": [1.2, 0.9, 0.5], "attainment": [1.05, 0.9, 0.6],
        "top_performer": [True, False, False], "quadrant": ["fair", "avoid", "exploited"],
        "risk_score": [0.0, 0.0, 2.0], "difficulty_line": [1.0] * 3, "reward_line": [1.0] * 3})


_MOVES = {"start": (3, 300.0), "created": (1, 50.0), "pushed_out": (1, 80.0), "won": (1, 100.0),
          "end": (2, 170.0)}
_SIGNS = {"created": 1, "pushed_out": -1, "won": -1}


def _movement() -> pd.DataFrame:
    return charts.waterfall_frame({k: {"deals": d, "amount": a} for k, (d, a) in _MOVES.items()},
                                  {k: k.replace("_", " ").title() for k in _MOVES}, _SIGNS, tuple(_MOVES))


def test_waterfall_frame_stacks_each_bucket_on_the_running_level():
    """start 300, +50 created (300..350), -80 pushed out (270..350), -100 won (170..270), end 170."""
    f = _movement().set_index("bucket")
    assert f.loc["start", ["low", "high"]].tolist() == [0.0, 300.0]
    assert f.loc["created", ["low", "high", "kind"]].tolist() == [300.0, 350.0, "up"]
    assert f.loc["pushed_out", ["low", "high", "kind"]].tolist() == [270.0, 350.0, "down"]
    assert f.loc["won", ["low", "high", "kind"]].tolist() == [170.0, 270.0, "down"]
    assert f.loc["end", ["low", "high", "kind", "deals"]].tolist() == [0.0, 170.0, "total", 2]


# name -> (call(frame, lang) -> chart, frame)
CASES = {
    "revenue_trend": (charts.revenue_trend, pd.DataFrame(
        {"month": MONTHS, "revenue_won": [100.0, 250.0, 80.0], "target": [120.0, 120.0, None]})),
    "team_attainment": (lambda f, lang: charts.team_attainment(f, lang, pace=0.6), pd.DataFrame(
        {"team": ["A", "B", "C"], "attainment": [0.8, 0.4, None], "revenue_won": [80.0, 40.0, 0.0],
         "target": [100.0, 100.0, None]})),
    "leaderboard": (charts.leaderboard, pd.DataFrame(
        {"rep": ["Ann", "Bob"], "revenue_won": [300.0, 200.0], "team": ["A", "B"]})),
    "stacked_months": (lambda f, lang: charts.stacked_months(f, lang, "revenue", "kind", "营收"), pd.DataFrame(
        {"month": MONTHS * 2, "kind": ["new"] * 3 + ["existing"] * 3, "revenue": [1.0, 2, 3, 4, 5, 6]})),
    "monthly_rate": (lambda f, lang: charts.monthly_rate(f, lang, "repeat_rate", "rate", (0, 1)), pd.DataFrame(
        {"month": MONTHS, "repeat_rate": [0.2, None, 0.4]})),
    "score_distribution": (charts.score_distribution, pd.DataFrame(
        {"score": [1, 3, 5], "responses": [2, 4, 9], "kind_label": ["贬损", "中立", "推荐"],
         "kind": ["detractor", "passive", "promoter"]})),
    "score_by": (charts.score_by, pd.DataFrame(
        {"label": ["Ann", "Bob"], "avg_score": [3.2, 4.5], "responses": [10, 12]})),
    "cohort_heatmap": (charts.cohort_heatmap, pd.DataFrame(
        {"cohort": ["2026-01", "2026-01", "2026-02"], "month_index": [0, 1, 0],
         "retention": [1.0, 0.4, 1.0], "customers": [10, 4, 8], "cohort_size": [10, 10, 8]})),
    "top_customers": (charts.top_customers, pd.DataFrame(
        {"customer": ["X", "Y"], "share": [0.3, 0.1], "revenue_won": [300.0, 100.0]})),
    "funnel_stages": (charts.funnel_stages, _funnel_stages()),
    "funnel_stages_value": (lambda f, lang: charts.funnel_stages(f, lang, "value"), _funnel_stages()),
    "funnel_steps": (lambda f, lang: charts.funnel_steps(f, lang, "A", "others"), pd.DataFrame(
        {"step": ["Lead→Proposal", "Lead→Proposal", "Proposal→Won", "Proposal→Won"],
         "who": ["A", "others"] * 2, "conversion": [0.5, 0.4, 0.3, 0.35]})),
    "cycle_histogram": (charts.cycle_histogram, pd.DataFrame(
        {"bin_start": [0, 10, 20], "bin_end": [10, 20, 30], "deals_won": [3, 5, 1]})),
    "cycle_groups": (charts.cycle_groups, pd.DataFrame(
        {"label": ["A", "B"], "deals_won": [4, 6], "sales_cycle_days": [30.0, 40.0],
         "sales_cycle_days_median": [28.0, 35.0], "sales_cycle_days_p75": [40.0, 52.0]})),
    "cycle_trend": (charts.cycle_trend, pd.DataFrame(
        {"month": MONTHS, "sales_cycle_days": [30.0, 31.0, None], "sales_cycle_days_median": [28.0, 29.0, 27.0],
         "sales_cycle_days_p75": [40.0, 41.0, 39.0]})),
    "velocity_effects": (charts.velocity_effects, pd.DataFrame(
        {"label": ["deals", "win rate", "size", "cycle"], "effect": [120.0, -40.0, 10.0, None]})),
    "loss_pareto": (charts.loss_pareto, pd.DataFrame(
        {"reason_label": ["价格", "时机"], "deals_lost": [6, 2], "value_lost": [600.0, 100.0],
         "cum_share": [0.75, 1.0]})),
    "loss_stack": (charts.loss_stack, pd.DataFrame(
        {"label": MONTHS[:2] * 2, "reason_label": ["价格", "价格", "时机", "时机"], "deals_lost": [1, 2, 3, 0]})),
    "loss_stack_share": (lambda f, lang: charts.loss_stack(f, lang, normalize=True), pd.DataFrame(
        {"label": ["Ann", "Bob"], "reason_label": ["价格", "时机"], "deals_lost": [1, 2]})),
    "forecast_bar": (lambda f, lang: charts.forecast_bar(f, lang, 1000.0, 800.0), pd.DataFrame(
        {"part": ["won", "weighted pipeline"], "amount": [500.0, 300.0], "order": [0, 1]})),
    "forecast_bar_no_marks": (lambda f, lang: charts.forecast_bar(f, lang, None, None), pd.DataFrame(
        {"part": ["won", "weighted pipeline"], "amount": [500.0, 300.0], "order": [0, 1]})),
    "goals_plan": (charts.goals_plan, pd.DataFrame(
        {"month": MONTHS * 2, "team": ["A"] * 3 + ["B"] * 3, "value": [1.0, 2, 3, 4, 5, 6]})),
    "goals_pacing": (lambda f, lang: charts.goals_pacing(f, lang, 0.5), pd.DataFrame(
        {"name": ["Ann", "Bob", "Cai"], "attainment": [0.6, 0.3, None], "light": ["green", "red", "none"],
         "light_label": ["on track", "behind", "—"]})),
    "payout_distribution": (charts.payout_distribution, pd.DataFrame({"total": [100.0, 250.0, 400.0]})),
    "payout_change": (charts.payout_change, pd.DataFrame({"rep": ["Ann", "Bob"], "change": [50.0, -20.0]})),
    "lever_tornado": (charts.lever_tornado, pd.DataFrame({"label": ["rate", "bonus"], "change": [900.0, -100.0]})),
    "meeting_actions": (charts.meeting_actions, pd.DataFrame(
        {"rule_label": ["目标", "目标", "团队"], "state": ["done", "overdue", "open"],
         "state_label": ["完成", "逾期", "进行中"], "count": [2, 1, 0]})),
    "retention_quadrant": (charts.retention_quadrant, _quadrant()),
    "retention_quadrant_moves": (lambda f, lang: charts.retention_quadrant(f, lang, pd.DataFrame(
        {"rep": ["Bob"], "difficulty_old": [0.8], "reward_old": [0.9], "difficulty_new": [1.2],
         "reward_new": [1.1]})), _quadrant()),
    "review_progress": (charts.review_progress, pd.DataFrame(
        {"rule": ["目标", "目标", "团队"], "state": ["done", "open", "done"], "count": [2, 1, 3],
         "order": [0, 1, 0]})),
    "review_change": (lambda f, lang: charts.review_change(f, "2026-02", lang, title="win rate", percent=True),
                      pd.DataFrame({"month": MONTHS * 2, "group": ["changed"] * 3 + ["others"] * 3,
                                    "value": [0.2, 0.3, 0.35, 0.2, 0.22, 0.21]})),
    "swot_board": (lambda f, lang: charts.swot_board(f, lang, "SWOT"), pd.DataFrame(
        {"quadrant": ["S", "W", "O", "T"], "text": ["赢单率高于团队中位数", "Pipeline thin", "新行业", "=1+1"]})),
    "team_z_heatmap": (charts.team_z_heatmap, pd.DataFrame(
        {"rep": ["Ann", "Ann", "Bob", "Bob"], "metric_label": ["win", "size"] * 2,
         "better_z": [1.2, -4.0, 0.0, 2.5], "value_text": ["30%", "¥1k", "20%", "¥2k"],
         "median_text": ["25%", "¥1.5k"] * 2})),
    "team_rep_trend": (charts.team_rep_trend, pd.DataFrame(
        {"period": MONTHS * 2, "metric_label": ["win"] * 3 + ["size"] * 3,
         "value": [0.2, 0.3, 0.4, 100.0, 120.0, 90.0], "team_median": [0.25] * 3 + [110.0] * 3})),
    "team_role_mix": (charts.team_role_mix, pd.DataFrame(
        {"team": ["A", "A", "B"], "role_label": ["hunter", "farmer", "hunter"], "reps": [2, 1, 0],
         "role_order": [0, 1, 0]})),
    "team_training_hours": (charts.team_training_hours, pd.DataFrame(
        {"rep": ["Ann", "Ann", "Bob"], "topic_label": ["product", "skills", "product"], "hours": [4.0, 2.0, 6.0]})),
    "movement_waterfall": (charts.movement_waterfall, _movement()),
    "attainment_histogram": (charts.attainment_histogram, pd.DataFrame(
        {"bin_start": [0.8, 0.9, 1.0, 2.0] * 2, "reps": [1, 2, 3, 1, 0, 1, 4, 2],
         "scenario_label": ["now"] * 4 + ["what-if"] * 4})),
    "team_did": (charts.team_did, pd.DataFrame(
        {"group_label": ["trained", "trained", "control", "control"], "window_label": ["before", "after"] * 2,
         "win_rate": [0.2, 0.3, 0.21, 0.22]})),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_builder_makes_a_valid_chart(name, lang):
    build, frame = CASES[name]
    spec = build(frame.copy(), lang).to_dict(validate=True)
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert spec["config"]["font"] == charts.FONT                 # the shared theme


def test_every_public_builder_is_covered():
    """A new builder in salescore.charts gets a case here."""
    helpers = {"theme", "month_x", "updown", "pace_rule", "wrap_text", "money_format", "number_locale",
               "band_axis", "bar_height", "pace_lights", "short_axis", "short_expr", "wrapped",
               "waterfall_frame"}
    builders = {n for n in charts.__all__ if n.islower() and n not in helpers}
    covered = {n.removesuffix("_value").removesuffix("_share").removesuffix("_no_marks").removesuffix("_moves")
               for n in CASES}
    assert builders <= covered, builders - covered


def test_wrap_text_keeps_every_character():
    lines = charts.wrap_text("赢单率高于团队中位数，客单价也高 and a long English tail", 10)
    assert len(lines) > 1 and "".join(lines).replace(" ", "") == "赢单率高于团队中位数，客单价也高andalongEnglishtail"

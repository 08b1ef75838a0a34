"""AppTest: the Funnel page on demo data, in both languages, against salescore.metrics."""
from __future__ import annotations

import pytest
import streamlit as st

from salescore import db, fmt, history, metrics, periods

from tests.conftest import app_test

APP = "../app.py"
PAGE = "pages/funnel.py"


def _open(path, fn, *args):
    st.cache_resource.clear()          # release the file held by the app
    con = db.connect(path)
    try:
        return fn(con, *args)
    finally:
        con.close()


@pytest.mark.parametrize("lang, entered, conversion, cycle", [
    ("zh", "进入漏斗的商机", "整体转化率", "销售周期中位数"),
    ("en", "Deals entered", "Overall conversion", "Median cycle")])
def test_funnel_page_shows_the_funnel_figures(at, demo_db, lang, entered, conversion, cycle):
    at.run()
    at.radio(key="lang").set_value(lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    assert at.title[0].value == ("销售漏斗" if lang == "zh" else "Funnel")
    ctx = at.session_state["_context"]
    cards = {m.label: m.value for m in at.metric}
    period = ctx.period

    def figures(con):
        frame = metrics.funnel_compare(con, period.start, period.end, metrics.Scope(), None)
        cyc = metrics.cycle_by(con, period.start, period.end, metrics.Scope(), "all")
        live, _ = metrics.live_period(period, ctx.as_of)
        return frame, metrics.funnel_findings(frame), cyc, metrics.forecast(con, live, ctx.as_of)

    frame, found, cyc, fc = _open(demo_db, figures)
    assert cards[entered] == fmt.number(frame["reached"].iloc[0])
    assert cards[conversion] == fmt.pct(found["overall_conversion"])
    assert cards[cycle] == fmt.days(cyc["sales_cycle_days_median"].iloc[0], lang)
    # the biggest drop is called out in a sentence with the stage names
    drop = found["drop"]
    assert any(drop["from"] in w.value and fmt.pct(drop["conversion"], 0) in w.value for w in at.warning)
    assert len(at.get("vega_lite_chart")) >= 6
    # stuck deals, the forecast's overdue and not-dated lists, the deals by forecast category,
    # a movement bucket: CSV and Excel
    assert len(at.get("download_button")) == 6 + 2 * (fc["overdue"] > 0) + 2 * (fc["not_dated"] > 0)
    # the conversion is labelled as a cohort of created deals (DESIGN §4)
    cohort = ("阶段转化率按 {p} 新建的商机统计" if lang == "zh" else "deals created in {p}").format(p=period.label)
    assert any(cohort in c.value for c in at.caption)
    # the demo's overdue deals are counted in the running period and said so (DESIGN §4)
    assert fc["overdue"] > 0
    overdue = fmt.number(fc["overdue"])
    assert any(overdue in w.value and ("逾期" in w.value or "overdue" in w.value) for w in at.warning)


def test_team_filter_compares_with_other_teams(at, demo_db):
    at.run()
    team = at.selectbox(key="team").options[1]
    at.selectbox(key="team").set_value(team).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    period = at.session_state["_context"].period

    def figures(con):
        frame = metrics.funnel_compare(con, period.start, period.end, metrics.Scope(),
                                       metrics.Scope(team=team))
        return metrics.funnel_findings(frame)

    found = _open(demo_db, figures)
    overall = {m.label: m for m in at.metric}["整体转化率"]
    assert overall.value == fmt.pct(found["overall_conversion"])
    assert "其他" in overall.delta
    assert any("其他团队" in w.value for w in at.warning)


def test_stage_editor_saves_and_refuses_bad_orders(tmp_path, monkeypatch, demo_copy):
    path = tmp_path / "stages.duckdb"
    con = db.connect(demo_copy(path, "en"))
    con.close()
    at = app_test(path, monkeypatch, timeout=60).run()
    at.radio(key="lang").set_value("en").run()
    at.switch_page(PAGE).run()
    # swap Proposal and Negotiation, drop Lead
    at.session_state["funnel_stage_editor"] = {
        "edited_rows": {0: {"position": None}, 2: {"position": 4}, 3: {"position": 3}},
        "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="funnel_stages_save").click().run()
    assert not at.exception
    assert at.success[0].value == "Stage order saved: Qualified → Negotiation → Proposal"
    at.session_state["funnel_stage_editor"] = {
        "edited_rows": {i: {"position": None} for i in range(4)}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="funnel_stages_save").click().run()
    assert at.error[0].value == "The stage order is empty: give at least one stage a position."
    at.button(key="funnel_stages_reset").click().run()
    assert not at.exception
    saved = _open(path, metrics.stage_order)
    assert saved == ["Lead", "Qualified", "Proposal", "Negotiation"]


def test_empty_database_says_what_is_missing(tmp_path, monkeypatch):
    at = app_test(tmp_path / "empty.duckdb", monkeypatch, timeout=60).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.info and at.get("page_link")
    st.cache_resource.clear()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_movement_tab_shows_the_waterfall_of_the_last_week(at, demo_db, lang):
    at.run()
    at.radio(key="lang").set_value(lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    chosen = at.session_state["_context"].period
    days = _open(demo_db, history.snapshot_dates)
    # the sidebar's last complete month was over before the last two exports: the movement
    # follows the month of the last export, and says so
    period = periods.containing(days[-1], chosen.kind)
    assert chosen.end < days[-2] and any(period.label in c.value for c in at.caption)
    # the last export against the one a week before, deals closing in the page's period
    assert at.selectbox(key="history_to").value == days[-1]
    assert at.selectbox(key="history_from").value == days[-2]
    moved = _open(demo_db, history.movement, days[-2], days[-1], period)
    cards = {m.label: m.value for m in at.metric}
    start = ("期初 {d}" if lang == "zh" else "Start {d}").format(d=days[-2].strftime("%m-%d"))
    won = "赢单" if lang == "zh" else "Won"
    assert cards[start] == fmt.money(moved.buckets["start"]["amount"], lang, wan=True, currency="¥")
    assert cards[won] == fmt.money(moved.buckets["won"]["amount"], lang, wan=True, currency="¥")
    # the first bucket with deals opens its deals; choosing "won" lists the won deals
    at.segmented_control(key="history_bucket").set_value("won").run()
    shown = next(d.value for d in at.dataframe if len(d.value) == moved.buckets["won"]["deals"])
    assert len(shown) == moved.buckets["won"]["deals"]
    # the whole pipeline when the period switch is off
    at.toggle(key="history_only_period").set_value(False).run()
    whole = _open(demo_db, history.movement, days[-2], days[-1], None)
    cards = {m.label: m.value for m in at.metric}
    assert cards[start] == fmt.money(whole.buckets["start"]["amount"], lang, wan=True, currency="¥")
    assert not at.exception


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_forecast_call_tab_rolls_up_and_shows_the_demo_submissions(at, demo_db, lang):
    at.run()
    at.radio(key="lang").set_value(lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    ctx = at.session_state["_context"]
    live, _ = metrics.live_period(ctx.period, ctx.as_of)
    frame = _open(demo_db, history.forecast.rollup, live, ctx.as_of)
    cards = {m.label: m.value for m in at.metric}
    commit = "承诺预测" if lang == "zh" else "Commit call"
    assert cards[commit] == fmt.money(frame.iloc[0]["commit_call"], lang, wan=True, currency="¥")
    # the demo's six submissions, Q3's two final
    acc = _open(demo_db, history.forecast.accuracy, ctx.as_of)
    assert len(acc) == 6 and acc["finished"].sum() == 2
    final = "最终" if lang == "zh" else "final"
    assert any(final in str(v) for df in at.dataframe for v in df.value.get("赢单口径" if lang == "zh" else "Won figure", []))


def test_a_manager_call_rolls_up_and_a_submission_is_stored(writable):
    from tests.conftest import with_db

    at, path = writable
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    ctx = at.session_state["_context"]
    live, _ = metrics.live_period(ctx.period, ctx.as_of)
    before = with_db(path, lambda con: history.forecast.rollup(con, live, ctx.as_of))
    team = before[before["level"] == "team"].iloc[0]
    at.selectbox(key="fcall_who").set_value(f"team:{team['scope_id']}").run()
    at.number_input(key="fcall_commit").set_value(1_000_000.0)
    at.number_input(key="fcall_best").set_value(2_000_000.0)
    at.text_input(key="fcall_note").input("two renewals slip to January")
    next(b for b in at.button if b.label == "保存预测").click().run()
    assert not at.exception
    assert any("预测已保存" in s.value for s in at.success)
    after = with_db(path, lambda con: history.forecast.rollup(con, live, ctx.as_of))
    top, row = after.iloc[0], after[(after["level"] == "team") & (after["scope_id"] == team["scope_id"])].iloc[0]
    assert (row["commit_call"], row["best_case_call"], row["note"]) == (1_000_000.0, 2_000_000.0,
                                                                       "two renewals slip to January")
    assert top["commit_call"] == pytest.approx(before.iloc[0]["commit_call"] - team["commit_call"] + 1_000_000.0)
    at.button(key="fcall_submit").click().run()
    assert not at.exception
    stored = with_db(path, history.forecast.submissions)
    assert len(stored) == 7 and stored.iloc[0]["commit_call"] == pytest.approx(top["commit_call"])

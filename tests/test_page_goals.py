"""AppTest of pages/goals.py on the demo data: decompose, override one rep, see the rest of the
team rebalance, save as a scenario and find it in the database; SMART, pacing, scenarios."""
from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import db, fmt, goals, metrics

APP = "../app.py"
REP_EDITOR = "goals_rep_editor"
TEAM_EDITOR = "goals_team_editor"


@pytest.fixture
def at(demo_db, monkeypatch):
    monkeypatch.setenv("SALESCORE_DB", str(demo_db))
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("pages/goals.py").run()
    yield app
    st.cache_resource.clear()


def _edit(at, key, rows):
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()


def _db(path):
    st.cache_resource.clear()      # release the file held by the app's cached connection
    return db.connect(path)


def test_decompose_override_rebalance_and_save(at, demo_db):
    assert not at.exception and not at.error
    assert at.title[0].value == "业绩目标"
    period = at.session_state["_context"].period
    reps = at.data_editor(key=REP_EDITOR).value
    teams = at.data_editor(key=TEAM_EDITOR).value
    months = period.months
    assert reps["total"].sum() == teams["total"].sum()
    assert (reps[months].sum(axis=1) == reps["total"]).all()
    east = teams["team"].iloc[0]
    in_east = reps["team"] == east
    assert reps.loc[0, "rep"] == "张伟" and reps.loc[0, "team"] == east     # R01, the star

    new = int(reps.loc[0, "total"]) + 100_000
    _edit(at, REP_EDITOR, {0: {"total": new}})
    assert not at.exception and not at.error
    after = at.data_editor(key=REP_EDITOR).value
    assert after.loc[0, "total"] == new
    # the rest of the team shares the 100,000: the team and every other team are unchanged
    assert after.loc[in_east, "total"].sum() == teams["total"].iloc[0]
    assert (after.loc[in_east, "total"].iloc[1:] <= reps.loc[in_east, "total"].iloc[1:]).all()
    assert after.loc[~in_east, "total"].tolist() == reps.loc[~in_east, "total"].tolist()
    assert at.data_editor(key=TEAM_EDITOR).value["total"].tolist() == teams["total"].tolist()
    assert {m.label: m.value for m in at.metric}["手动调整"] == "1"
    assert at.success[0].value.startswith("全部对得上")

    at.text_input(key="goals_save_name").set_value("stretch")
    at.button(key="goals_save").click().run()
    assert not at.exception
    assert "stretch" in at.success[0].value

    con = _db(demo_db)
    try:
        saved = goals.scenario_targets(con, "stretch", "revenue", months)
        assert metrics.active_scenario(con) == "base"
    finally:
        con.close()
    rep_rows = saved[saved["scope"] == "rep"].set_index("scope_id")["value"]
    assert rep_rows["R01"] == new
    company = saved[saved["scope"] == "company"]["value"].sum()
    assert company == rep_rows.sum() == saved[saved["scope"] == "team"]["value"].sum()
    assert company == teams["total"].sum()


def test_override_bigger_than_the_team_is_a_sentence(at):
    _edit(at, REP_EDITOR, {0: {"total": 10**12}})
    assert not at.exception
    assert "超过了" in at.error[0].value
    assert at.button(key="goals_clear_bad")
    at.button(key="goals_clear_bad").click().run()
    assert not at.error


def test_growth_mode_and_english(at, demo_db):
    at.radio(key="lang").set_value("en").run()
    at.radio(key="goals_mode").set_value("growth").run()
    assert not at.exception
    period = at.session_state["_context"].period
    con = _db(demo_db)
    try:
        last_year = goals.last_year_actual(con, period)
        money = fmt.symbol(db.reporting_currency(con))     # ¥: the demo reports in CNY
    finally:
        con.close()
    at.run()
    cards = {m.label: m.value for m in at.metric}
    # default growth +10 % on the same month last year
    assert cards[f"Company target {period.label}"] == fmt.money(round(last_year * 1.1), "en", currency=money)
    assert at.tabs[0].label == "Set & decompose"


def test_smart_and_pacing_tabs(at, demo_db):
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    ctx = at.session_state["_context"]
    frames = [d.value for d in at.dataframe]
    grid = next(f for f in frames if "goal" in f.columns)
    assert grid["goal"].iloc[0] == "Company"
    assert set(goals.LETTERS) <= set(grid.columns)
    detail = next(f for f in frames if "Why" in f.columns)
    assert len(detail) == 5 and detail["Letter"].tolist()[0] == "Specific"
    # pacing: reps furthest behind first, on the data's as-of date
    con = _db(demo_db)
    try:
        pace = goals.pacing(con, ctx.period, ctx.as_of)
    finally:
        con.close()
    reps = pace[pace["level"] == "rep"]
    shown = next(f for f in frames if "per_day" in f.columns and "team" in f.columns)
    assert shown["name"].tolist() == reps["name"].tolist()
    assert shown["light"].iloc[0].endswith(("Behind", "Watch", "On track", "No target"))


def test_make_active_and_export(at, demo_db):
    _edit(at, REP_EDITOR, {})
    at.text_input(key="goals_save_name").set_value("plan b")
    at.button(key="goals_save").click().run()
    at.selectbox(key="goals_make_active").set_value("plan b")
    at.button(key="goals_activate").click().run()
    assert not at.exception
    assert any("plan b" in s.value for s in at.success)
    assert at.download_button(key="goals_export")
    con = _db(demo_db)
    try:
        assert metrics.active_scenario(con) == "plan b"
        goals.set_active(con, "base")
    finally:
        con.close()

"""AppTest of pages/goals.py on the demo data: decompose, override one rep, see the rest of the
team rebalance, save as a scenario and find it in the database; what is saved against the
suggestion, replacing the active scenario, periods from the data's today, SMART on a saved
future period, read-only roles; SMART, pacing, scenarios.

The editors' edits are put into session state here (AppTest cannot type into a grid); the
typing itself, and that it survives the reruns it causes, is tests/test_browser_goals.py."""
from __future__ import annotations

import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import access, db, fmt, goals, metrics
from salescore.i18n import t
from salescore.periods import parse

APP = "../app.py"
REP_EDITOR = "goals_rep_editor"
TEAM_EDITOR = "goals_team_editor"


@pytest.fixture
def path(demo_copy, tmp_path):
    """A private copy of the Chinese demo (tests here save targets)."""
    return demo_copy(tmp_path / "demo.duckdb", "zh")


@pytest.fixture
def at(path, monkeypatch):
    monkeypatch.setenv("SALESCORE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("pages/goals.py").run()
    yield app
    st.cache_resource.clear()


def _key(at, editor):
    """The editor's key in this round (salescore.ui.goals.editor_key)."""
    try:
        n = at.session_state["goals_editor_round"]
    except KeyError:
        n = 0
    return f"{editor}_{n}"


def _edit(at, editor, rows):
    at.session_state[_key(at, editor)] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()


def _cards(at):
    return {m.label: m.value for m in at.metric}


def _db(path):
    st.cache_resource.clear()      # release the file held by the app's cached connection
    return db.connect(path)


def _saved(path, scenario, period):
    con = _db(path)
    try:
        return goals.saved_goal(con, scenario, "revenue", parse(period))
    finally:
        con.close()


def test_decompose_override_rebalance_and_save(at, path):
    assert not at.exception and not at.error
    assert at.title[0].value == "业绩目标"
    period = at.session_state["_context"].period
    reps = at.data_editor(key=_key(at, REP_EDITOR)).value
    teams = at.data_editor(key=_key(at, TEAM_EDITOR)).value
    months = period.months
    assert reps["total"].sum() == teams["total"].sum()
    assert (reps[months].sum(axis=1) == reps["total"]).all()
    east = teams["team"].iloc[0]
    in_east = reps["team"] == east
    assert reps.loc[0, "rep"] == "张伟" and reps.loc[0, "team"] == east     # R01, the star

    new = int(reps.loc[0, "total"]) + 100_000
    _edit(at, REP_EDITOR, {0: {"total": new}})
    assert not at.exception and not at.error
    after = at.data_editor(key=_key(at, REP_EDITOR)).value
    assert after.loc[0, "total"] == new
    # the rest of the team shares the 100,000: the team and every other team are unchanged
    assert after.loc[in_east, "total"].sum() == teams["total"].iloc[0]
    assert (after.loc[in_east, "total"].iloc[1:] <= reps.loc[in_east, "total"].iloc[1:]).all()
    assert after.loc[~in_east, "total"].tolist() == reps.loc[~in_east, "total"].tolist()
    assert at.data_editor(key=_key(at, TEAM_EDITOR)).value["total"].tolist() == teams["total"].tolist()
    assert _cards(at)["手动调整"] == "1"
    assert at.success[0].value.startswith("全部对得上")
    # the grid drops an edit its new data holds and sends the rest (none): the page keeps it
    _edit(at, REP_EDITOR, {})
    assert _cards(at)["手动调整"] == "1"
    assert at.data_editor(key=_key(at, REP_EDITOR)).value.loc[0, "total"] == new

    at.text_input(key="goals_save_name").set_value("stretch").run()
    at.button(key="goals_save").click().run()
    assert not at.exception
    assert "stretch" in at.success[0].value

    con = _db(path)
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


def test_an_override_bigger_than_the_team_is_refused_with_a_sentence(at):
    reps = at.data_editor(key=_key(at, REP_EDITOR)).value
    _edit(at, REP_EDITOR, {1: {"total": 300_000}})            # one kept change first
    _edit(at, REP_EDITOR, {0: {"total": 10**12}})
    assert not at.exception
    assert "超过了" in at.error[0].value
    assert t("goals.edit_refused", "zh") in [c.value for c in at.caption]
    # the refused change is gone, the one before it stays, and the grid starts afresh
    assert _cards(at)["手动调整"] == "1"
    shown = at.data_editor(key=_key(at, REP_EDITOR)).value
    assert shown.loc[1, "total"] == 300_000 and shown.loc[0, "total"] != 10**12
    assert shown["total"].sum() == reps["total"].sum()
    at.run()
    assert not at.error
    at.button(key="goals_clear").click().run()
    assert _cards(at)["手动调整"] == "0"
    assert at.data_editor(key=_key(at, REP_EDITOR)).value["total"].tolist() == reps["total"].tolist()


def test_an_emptied_cell_drops_its_override(at):
    reps = at.data_editor(key=_key(at, REP_EDITOR)).value
    _edit(at, REP_EDITOR, {2: {"total": 200_000}})
    assert _cards(at)["手动调整"] == "1"
    _edit(at, REP_EDITOR, {2: {"total": None}})
    assert _cards(at)["手动调整"] == "0"
    assert at.data_editor(key=_key(at, REP_EDITOR)).value["total"].tolist() == reps["total"].tolist()


def test_a_team_override_rebalances_the_other_teams(at):
    teams = at.data_editor(key=_key(at, TEAM_EDITOR)).value
    _edit(at, TEAM_EDITOR, {0: {"total": 3_000_000}})
    after = at.data_editor(key=_key(at, TEAM_EDITOR)).value
    assert after.loc[0, "total"] == 3_000_000
    assert after["total"].sum() == teams["total"].sum()
    reps = at.data_editor(key=_key(at, REP_EDITOR)).value
    assert reps[reps["team"] == after.loc[0, "team"]]["total"].sum() == 3_000_000
    assert _cards(at)["手动调整"] == "1"


def test_the_built_in_scenario_is_named_in_the_users_language(at, path):
    """The stored name stays 'base'; a Chinese screen calls it 基准 (it showed "base")."""
    texts = [w.value for w in (*at.info, *at.warning, *at.caption)]
    assert any("基准" in v for v in texts) and not any("base" in v for v in texts)
    assert at.text_input(key="goals_save_name").value == "基准"
    saved_name = at.selectbox(key="goals_make_active")
    assert saved_name.value == "base" and "基准" in saved_name.options


def test_the_saved_target_is_shown_and_the_suggestion_offered(at, path):
    at.radio(key="lang").set_value("en").run()
    period = at.session_state["_context"].period
    saved = _saved(path, "base", period.label)          # the demo's base holds every month
    money = "¥"
    shown = fmt.money(saved["target"], "en", currency=money)
    assert any(i.value.startswith("**Saved** in the active scenario Base") and shown in i.value
               for i in at.info)
    key = f"goals_value_revenue_{period.label}"
    assert at.text_input(key=key).value == fmt.number(saved["target"])      # with separators
    assert _cards(at)[f"Company target {period.label}"] == shown
    # the suggestion is the alternative: last year + 10 %, one click away
    con = _db(path)
    try:
        suggestion = goals.default_target(period, goals.last_year_actual(con, period))
    finally:
        con.close()
    at.run()
    assert any(fmt.money(suggestion, "en", currency=money) in c.value for c in at.caption
               if "Suggestion: " in c.value)
    at.button(key="goals_use_suggestion").click().run()
    assert at.text_input(key=key).value == fmt.number(suggestion)
    assert _cards(at)[f"Company target {period.label}"] == fmt.money(suggestion, "en", currency=money)
    at.button(key="goals_use_saved").click().run()
    assert at.text_input(key=key).value == fmt.number(saved["target"])


def test_amounts_are_typed_and_shown_with_separators(at):
    period = at.session_state["_context"].period
    key = f"goals_value_revenue_{period.label}"
    at.text_input(key=key).set_value("13000000").run()
    assert at.text_input(key=key).value == "13,000,000"
    assert _cards(at)[f"公司目标 {period.label}"] == "¥13,000,000"
    at.text_input(key=key).set_value("1,250万").run()
    assert _cards(at)[f"公司目标 {period.label}"] == "¥12,500,000"
    # the editors' money columns show thousands separators too
    config = json.loads(at.data_editor(key=_key(at, REP_EDITOR)).proto.columns)
    assert all("%," in config[c]["type_config"]["format"] for c in ["total", *period.months])
    at.text_input(key=key).set_value("很多").run()
    assert not at.exception
    assert at.error[0].value.startswith("“很多”不是金额")


def test_replacing_the_active_scenario_asks_first(at, path):
    at.radio(key="lang").set_value("en").run()
    period = at.session_state["_context"].period
    before = _saved(path, "base", period.label)
    assert at.button(key="goals_save").disabled                # base is active and holds targets
    assert any(w.value.startswith("Base is the active scenario and already holds") for w in at.warning)
    key = f"goals_value_revenue_{period.label}"
    at.text_input(key=key).set_value(fmt.number(before["target"] + 1_000)).run()
    at.checkbox(key="goals_confirm_replace").check().run()
    assert not at.button(key="goals_save").disabled
    at.button(key="goals_save").click().run()
    assert not at.exception
    assert any("Base" in s.value for s in at.success)      # the built-in name, in words
    assert _saved(path, "base", period.label)["target"] == before["target"] + 1_000
    # the tick does not carry over to the next replacement
    at.switch_page("pages/goals.py").run()
    assert at.button(key="goals_save").disabled


def test_future_periods_are_offered_and_smart_checks_a_saved_one(at, path):
    at.radio(key="lang").set_value("en").run()
    ctx = at.session_state["_context"]
    options = at.selectbox(key="goals_period").options
    assert ctx.period.label in options
    from salescore.periods import containing
    running_q = containing(ctx.as_of, "quarter")
    assert {running_q.label, running_q.next().label, str(ctx.as_of.year + 1)} <= set(options)
    future = running_q.next().label                       # 2027-Q1 on the demo
    at.selectbox(key="goals_period").set_value(future).run()
    assert not at.exception
    # (markdown places escape their values: 2027\-Q1 shows as 2027-Q1)
    nothing = t("goals.saved_none", "en", period=fmt.md_escape(future), scenario="Base")
    assert nothing in [c.value for c in at.caption]
    at.text_input(key="goals_save_name").set_value("plan 2027").run()
    at.button(key="goals_save").click().run()
    assert not at.exception and any("plan 2027" in s.value for s in at.success)
    at.selectbox(key="goals_smart_scenario").set_value("plan 2027").run()
    assert at.selectbox(key="goals_smart_period").options[0] == str(int(future[:4]))
    at.selectbox(key="goals_smart_period").set_value(future).run()
    assert not at.exception
    assert not [i.value for i in at.info if "has no targets" in i.value]
    grid = next(d.value for d in at.dataframe if "goal" in d.value.columns)
    saved = _saved(path, "plan 2027", future)
    assert grid["goal"].iloc[0] == "Company" and grid["target"].iloc[0] == saved["target"]
    assert t("goals.smart_caption", "en", period=future) in [c.value for c in at.caption]


def test_read_only_roles_see_the_save_buttons_disabled(demo_copy, tmp_path, monkeypatch):
    path = demo_copy(tmp_path / "shared.duckdb", "en")      # a manager of team East
    con = db.connect(path)
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    access.add_user(con, "east", "manager", team="East", password="east-pass-1")
    con.close()
    monkeypatch.setenv("SALESCORE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        for name, password, writable in (("east", "east-pass-1", False), ("boss", "boss-pass-1", True)):
            at = AppTest.from_file(APP, default_timeout=60)
            at.session_state["lang"] = "en"
            at.run()
            at.text_input(key="auth_name").set_value(name)
            at.text_input(key="auth_password").set_value(password)
            at.button(key="auth_submit").click().run()
            at.switch_page("pages/goals.py").run()
            assert not at.exception
            at.text_input(key="goals_save_name").set_value("another").run()
            assert at.button(key="goals_save").disabled is not writable
            assert at.button(key="goals_activate").disabled is not writable
            note = t("goals.read_only", "en")
            assert (note in [c.value for c in at.caption]) is not writable
    finally:
        st.cache_resource.clear()


def test_growth_mode_and_english(at, path):
    at.radio(key="lang").set_value("en").run()
    at.radio(key="goals_mode").set_value("growth").run()
    assert not at.exception
    period = at.session_state["_context"].period
    con = _db(path)
    try:
        last_year = goals.last_year_actual(con, period)
        money = fmt.symbol(db.reporting_currency(con))     # ¥: the demo reports in CNY
    finally:
        con.close()
    at.run()
    cards = _cards(at)
    # default growth +10 % on the same month last year
    assert cards[f"Company target {period.label}"] == fmt.money(round(last_year * 1.1), "en", currency=money)
    assert at.tabs[0].label == "Set & decompose"


def test_smart_and_pacing_tabs(at, path):
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    ctx = at.session_state["_context"]
    frames = [d.value for d in at.dataframe]
    grid = next(f for f in frames if "goal" in f.columns)
    assert grid["goal"].iloc[0] == "Company"
    assert set(goals.LETTERS) <= set(grid.columns)
    assert at.selectbox(key="goals_smart_period").value == ctx.period.label
    detail = next(f for f in frames if "Why" in f.columns)
    assert len(detail) == 5 and detail["Letter"].tolist()[0] == "Specific"
    # pacing: reps furthest behind first, on the data's as-of date
    con = _db(path)
    try:
        pace = goals.pacing(con, ctx.period, ctx.as_of)
    finally:
        con.close()
    reps = pace[pace["level"] == "rep"]
    shown = next(f for f in frames if "per_day" in f.columns and "team" in f.columns)
    assert shown["name"].tolist() == reps["name"].tolist()
    assert shown["light"].iloc[0].endswith(("Behind", "Watch", "On track", "No target"))


def test_make_active_and_export(at, path):
    at.text_input(key="goals_save_name").set_value("plan b").run()
    at.button(key="goals_save").click().run()
    at.selectbox(key="goals_make_active").set_value("plan b")
    at.button(key="goals_activate").click().run()
    assert not at.exception
    assert any("plan b" in s.value for s in at.success)
    assert at.download_button(key="goals_export")
    con = _db(path)
    try:
        assert metrics.active_scenario(con) == "plan b"
    finally:
        con.close()

"""AppTest: the Plan & review page on demo data, in both languages, against salescore's figures."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import demo, evaluation, i18n
from salescore.ui import review as review_ui

from tests.conftest import app_test, with_db

APP = "../app.py"
PAGE = "pages/review.py"
BOOTCAMP = "顾问式销售训练营"




def _open(at: AppTest, lang: str = "zh") -> AppTest:
    at.run()
    if lang != "zh":
        at.radio(key="lang").set_value(lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _pick_bootcamp(at: AppTest) -> None:
    box = at.selectbox(key="review_event")
    box.set_value(next(k for k in box.options if BOOTCAMP in k)).run()
    assert not at.exception


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bootcamp_effect_matches_salescore(writable, lang):
    at, path = writable
    _open(at, lang)
    assert at.title[0].value == {"zh": "计划与复盘", "en": "Plan & review"}[lang]
    assert any(i.value == i18n.t("review.plan.empty", lang) for i in at.info)
    _pick_bootcamp(at)
    # choosing the course fills in its date, its attendees as the changed group, the rest as comparison
    assert at.date_input(key="review_date").value == demo.TRAINING_START
    assert set(at.multiselect(key="review_treated_reps").value) == set(demo.TRAINED_REPS)
    assert at.radio(key="review_compare").value == "others"

    def expected(con):
        treated, control = evaluation.resolve_groups(con, reps=list(demo.TRAINED_REPS), compare="others")
        return evaluation.evaluate_change(con, "win_rate", demo.TRAINING_START, treated, control, 6, 6)
    eff = with_db(path, expected)
    words = evaluation.render_change(eff, lang)
    cards = {m.label: m.value for m in at.metric}
    did_label = {"zh": "相对对照组的效果", "en": "Effect vs comparison"}[lang]
    assert cards[did_label] == evaluation.format_change("win_rate", eff.did.estimate, lang, short=True)
    assert eff.did.estimate > 0.02 and eff.did.low > 0          # a real lift, beyond noise
    assert any(m.value == words["headline"] for m in at.markdown)
    assert any(s.value == words["verdict"] for s in at.success)
    assert len(at.get("vega_lite_chart")) == 1                   # no actions yet: only the change chart
    behaviour = at.dataframe[-1].value
    assert len(behaviour) >= 4
    assert behaviour.iloc[0, 5] == evaluation.format_change("win_rate", eff.did.estimate, lang)


def test_kpi_and_window_change_redraw(writable):
    at, _ = writable
    _open(at, "en")
    _pick_bootcamp(at)
    at.selectbox(key="review_kpi").set_value("sales_cycle_days").run()
    at.number_input(key="review_months_after").set_value(3).run()
    at.radio(key="review_compare").set_value("none").run()
    assert not at.exception
    assert "review_kpi" in at.session_state and not at.error
    assert any(m.value.startswith("Sales cycle: ") and "no comparison group" in m.value for m in at.markdown)
    # a change after the last data: a sentence, no traceback
    at.date_input(key="review_date").set_value(demo.AS_OF + timedelta(days=10)).run()
    assert not at.exception
    assert "there is no 'after' to compare yet" in at.error[0].value


def test_edit_the_plan_in_place(writable):
    at, path = writable
    _open(at)
    at.session_state["review_editor_0"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"title": "每周商机复盘会", "rule": "process", "owner": "王经理", "start_date": "2026-11-01",
         "due_date": "2026-11-10", "status": "in_progress", "kpi": "win_rate", "baseline": 0.33, "target": 0.36},
        {"title": "", "rule": "goals", "start_date": "2026-12-01", "due_date": "2026-11-01"},
    ]}
    at.run()
    errors = " ".join(e.value for e in at.error)
    assert "第 2 行：行动没有填写名称。" in errors and "第 2 行：截止日期 2026-11-01 早于开始日期 2026-12-01。" in errors
    at.button(key="review_save").click().run()
    assert not at.exception
    assert any("未保存" in e.value for e in at.error)
    assert with_db(path, evaluation.list_actions).empty             # nothing saved
    _open(at)
    at.session_state["review_editor_0"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"title": "每周商机复盘会", "rule": "process", "owner": "王经理", "start_date": "2026-11-01",
         "due_date": "2026-11-10", "status": "in_progress", "kpi": "win_rate", "baseline": 0.33, "target": 0.36}]}
    at.run()
    at.button(key="review_save").click().run()
    assert not at.exception
    assert any("新增 1 项" in s.value for s in at.success)
    stored = with_db(path, evaluation.list_actions)
    assert stored["title"].tolist() == ["每周商机复盘会"] and stored["overdue"].tolist() == [True]
    # due 11-10, in progress, data ends 11-20: overdue, highlighted, counted per rule
    _open(at)
    assert any("1 项行动已过截止日期" in w.value for w in at.warning)
    assert at.dataframe[0].value.iloc[0, 0] == "每周商机复盘会"      # the red overdue list
    progress = with_db(path, evaluation.progress_by_rule)
    table = next(d.value for d in at.dataframe if "行动数" in d.value.columns)
    assert table["行动数"].tolist() == progress["total"].tolist() == [1]
    assert table["逾期"].tolist() == [1]
    # mark it done: no longer overdue
    at.session_state["review_editor_1"] = {"edited_rows": {0: {"status": "done"}}, "added_rows": [],
                                           "deleted_rows": []}
    at.run()
    at.button(key="review_save").click().run()
    assert any("修改 1 项" in s.value for s in at.success)
    stored = with_db(path, evaluation.list_actions)
    assert stored["status"].tolist() == ["done"] and not stored["overdue"].any()


def test_suggest_and_accept_actions(writable):
    at, path = writable
    _open(at, "en")
    at.button(key="review_suggest").click().run()
    assert not at.exception
    suggestions = with_db(path, lambda con: evaluation.suggest_actions(con, when=demo.AS_OF, lang="en"))
    _open(at, "en")
    at.button(key="review_add").click().run()
    assert any("Tick at least one" in w.value for w in at.warning)
    at.session_state["review_suggestions_0"] = {"edited_rows": {0: {"accept": True}, 2: {"accept": True}},
                                                "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="review_add").click().run()
    assert not at.exception
    assert any("2 actions added" in s.value for s in at.success)
    stored = with_db(path, evaluation.list_actions)
    assert sorted(stored["title"]) == sorted(suggestions.loc[[0, 2], "title"])
    assert set(stored["status"]) == {"planned"} and stored["start_date"].eq(date(2026, 11, 20)).all()


def test_empty_database(tmp_path, monkeypatch):
    at = app_test(tmp_path / "empty.duckdb", monkeypatch, timeout=90)
    _open(at)
    assert not at.error and not at.data_editor[0].value.shape[0]      # the plan works without data
    assert sum(i.value == i18n.t("common.no_data", "zh") for i in at.info) == 2   # suggestions, evaluation
    st.cache_resource.clear()


def test_team_filter_then_language_switch(writable):
    at, _ = writable
    _open(at)
    _pick_bootcamp(at)
    team = at.selectbox(key="team").options[1]
    at.selectbox(key="team").set_value(team).run()
    assert not at.exception
    # only that team's reps can be picked; the course's attendees outside it are dropped
    options = at.multiselect(key="review_treated_reps").options
    assert 0 < len(options) <= 8
    at.radio(key="lang").set_value("en").run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Plan & review"
    assert any(m.value.startswith("Win rate:") for m in at.markdown)


def test_rep_choices_and_progress_frames_by_hand():
    reps = pd.DataFrame({"rep_id": ["R2", "R1", "R3"], "rep": ["Bob", "Ann", "Cai"], "team": ["West", "East", ""]})
    labels, teams = review_ui.rep_choices(reps)
    assert labels == {"R2": "Bob (West)", "R1": "Ann (East)", "R3": "Cai"}
    assert teams == ["East", "West"]                       # sorted, the blank team left out
    progress = pd.DataFrame({"rule": ["team"], "total": [4], "done": [1], "overdue": [2], "share_done": [0.25]})
    chart, table = review_ui.progress_frames(progress, "en")
    # 4 live actions: 1 done, 2 overdue, so 4 - 1 - 2 = 1 open on time
    assert chart["count"].tolist() == [1, 1, 2] and chart["order"].tolist() == [0, 1, 2]
    assert table.iloc[0].tolist()[-1] == 25.0

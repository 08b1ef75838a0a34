"""AppTest: the Retention page on demo data, in both languages, against salescore's figures."""
from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import db, demo, fmt, retention
from salescore.periods import parse

APP = "../app.py"
PAGE = "pages/retention.py"
PERIOD = parse("2026-Q3")    # the sidebar opens on 2026-10 (latest complete month): its quarter
#                              is still running on demo.AS_OF, so the page opens on 2026-Q3


def _app(path, monkeypatch, lang):
    monkeypatch.setenv("SALESCORE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    if lang == "en":
        app.sidebar.radio(key="lang").set_value("en").run()
    app.switch_page(PAGE).run()
    return app


@pytest.fixture(params=["zh", "en"])
def at(request, demo_db, monkeypatch):
    app = _app(demo_db, monkeypatch, request.param)
    app.lang = request.param
    yield app
    st.cache_resource.clear()


def _salescore(path, fn, *args, **kwargs):
    st.cache_resource.clear()  # release the file so it can be opened here
    con = db.connect(path)
    try:
        plan = retention.active_plan(con).plan
        return fn(con, plan, *args, **kwargs)
    finally:
        con.close()


def test_cards_and_at_risk_match_salescore(at, demo_db):
    assert not at.exception and not at.error
    assert at.title[0].value == {"zh": "留才分析", "en": "Retention"}[at.lang]
    frame = _salescore(demo_db, retention.quadrant, PERIOD)
    counts = retention.climate(frame)
    label = {"zh": "被压榨：流失风险", "en": "Exploited: flight risk"}[at.lang]
    card = next(m for m in at.metric if m.label == label)
    assert card.value == fmt.number(counts["exploited"])
    shown = at.dataframe[0].value
    risky = retention.at_risk(frame)
    assert list(shown[shown.columns[0]]) == list(risky["rep"])
    # difficulty shown in percent, as the deck (211%, not 2.11)
    assert shown.iloc[0][shown.columns[4]] == pytest.approx(100 * risky["difficulty"].iloc[0])
    assert at.get("vega_lite_chart")


def test_quota_what_if_moves_the_hard_target_rep(at, demo_db):
    rep = demo.DEMO_HARD_TARGET
    at.selectbox(key="retention_rep").set_value(rep).run()
    at.number_input(key=f"retention_quota_{rep}_{PERIOD.label}").set_value(1_300_000.0).run()
    assert not at.exception and not at.error
    moves = _salescore(demo_db, retention.what_if, PERIOD, rep_id=rep, quota=1_300_000.0)
    row = moves.set_index("rep_id").loc[rep]
    assert row["quadrant_old"] == "exploited" and row["quadrant_new"] == "fair"
    text = "\n".join(m.value for m in at.markdown)
    assert f"{fmt.pct(row['difficulty_old'], 0)} → {fmt.pct(row['difficulty_new'], 0)}" in text
    assert f"{fmt.pct(row['reward_old'], 0)} → {fmt.pct(row['reward_new'], 0)}" in text
    assert len(at.get("vega_lite_chart")) == 2            # the what-if chart with the arrow


def test_plan_what_if_and_growth(at):
    at.selectbox(key="retention_plan").set_value("template:hunter").run()
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) == 2
    at.number_input(key="retention_growth_count").set_value(1).run()
    assert not at.exception
    growth = at.dataframe[-1].value
    assert len(growth) >= 1


def test_hard_target_rep_lands_in_the_exploited_quadrant(demo_db):
    """demo.DEMO_HARD_TARGET (a good rep with a stretched target) is a flight risk by the rule."""
    frame = _salescore(demo_db, retention.quadrant, PERIOD).set_index("rep_id")
    r18 = frame.loc[demo.DEMO_HARD_TARGET]
    assert r18["quadrant"] == "exploited"
    assert r18["difficulty"] > 1.3 and r18["reward"] < 0.7
    assert r18["risk_score"] > 0


def test_without_a_saved_plan_the_standard_template_is_used(tmp_path, monkeypatch, demo_copy):
    path = tmp_path / "noplan.duckdb"
    con = db.connect(demo_copy(path, "en"))
    with db.transaction(con) as cur:
        cur.execute("delete from plans")
    con.close()
    app = _app(path, monkeypatch, "en")
    try:
        assert not app.exception and not app.error
        assert any("Standard template" in i.value for i in app.info)
        assert app.metric
    finally:
        st.cache_resource.clear()


def test_empty_database_says_data_is_missing(tmp_path, monkeypatch):
    app = _app(tmp_path / "empty.duckdb", monkeypatch, "zh")
    try:
        assert not app.exception
        assert app.info[0].value.startswith("还没有销售数据")
    finally:
        st.cache_resource.clear()


def test_pay_period_follows_the_sidebar_and_a_running_one_is_provisional(at):
    """The sidebar's 2026-10 lies in the running 2026-Q4: the page opens on the last complete
    pay period (periods.default_pay_period, as Incentives) and says why; choosing 2026-Q4
    says "to date" and "provisional". A sidebar quarter that is complete is the page's own."""
    def text():
        return " ".join(e.value for e in [*at.caption, *at.warning]).replace("\\", "")

    assert at.session_state["_context"].period.label == "2026-10"
    box = at.selectbox(key=f"retention_period_{PERIOD.label}")
    assert box.value == PERIOD.label
    settled = {"zh": "侧边栏为 2026-10", "en": "The sidebar shows 2026-10"}[at.lang]
    assert settled in text() and "2026-Q4" in text()
    box.set_value("2026-Q4").run()
    assert not at.exception and not at.error
    running = {"zh": ("2026-Q4 截至 11-20", "暂估"),
               "en": ("2026-Q4 to date (through 2026-11-20)", "Provisional")}[at.lang]
    assert all(words in text() for words in running)
    at.session_state["period_kind"] = "quarter"
    at.run()
    at.sidebar.selectbox(key="period_quarter").set_value("2026-Q2").run()
    assert not at.exception
    assert at.selectbox(key="retention_period_2026-Q2").value == "2026-Q2"
    assert settled not in text()
    for element in [*at.caption, *at.warning, *at.info, *at.markdown, *at.success]:
        assert not any(bad in element.value for bad in ("None", "NaN", "NaT"))
    for frame in (d.value for d in at.dataframe):
        cells = frame.astype(str).to_numpy().ravel()
        assert not any(c in ("None", "nan", "NaN", "NaT") for c in cells)

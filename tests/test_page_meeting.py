"""AppTest: the Meeting page on demo data (slides, previous/next, toggles, downloads), zh and en."""
from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import access, db, fmt, metrics, report
from salescore.i18n import t

from tests.conftest import open_page

APP = "../app.py"
PAGE = "pages/meeting.py"
N = len(report.SLIDE_KEYS)          # the slides of a manager's meeting


@pytest.fixture
def at(demo_db, monkeypatch):
    yield open_page(demo_db, monkeypatch, PAGE)
    st.cache_resource.clear()


def _counter(at) -> str:
    return next(m.value for m in at.markdown if "text-align:center" in m.value)


def _kpis(path, period):
    """metrics.kpis of ``period``, and the symbol amounts are shown with (``currency``)."""
    st.cache_resource.clear()  # release the file so it can be opened here
    con = db.connect(path)
    try:
        return {**metrics.kpis(con, period.start, period.end),
                "currency": fmt.symbol(db.reporting_currency(con))}   # ¥: the demo reports in CNY
    finally:
        con.close()


def test_first_slide_shows_salescore_figures_zh(at, demo_db):
    assert not at.exception
    assert at.header[0].value == t("meeting.slide.kpis", "zh")
    assert t("meeting.counter", "zh", n=1, total=N) in _counter(at)
    period = at.session_state["_context"].period
    cards = {m.label: m.value for m in at.metric}
    k = _kpis(demo_db, period)
    assert cards["成交金额"] == fmt.money(k["revenue_won"], "zh", wan=True, currency=k["currency"])
    assert cards["目标达成率"] == fmt.pct(k["attainment"])
    assert cards["赢单率"] == fmt.pct(k["win_rate"])
    assert len(at.get("vega_lite_chart")) == 1
    assert at.download_button(key="meeting_pptx").label == t("meeting.download_pptx", "zh")
    assert at.download_button(key="meeting_png_kpis").label == t("meeting.download_png", "zh")


def test_next_and_previous_move_the_counter(at):
    at.button(key="meeting_next").click().run()
    assert not at.exception
    assert t("meeting.counter", "zh", n=2, total=N) in _counter(at)
    assert at.header[0].value == t("meeting.slide.leaderboard", "zh")
    board = at.dataframe[0].value
    assert list(board["排名"])[:3] == ["1", "2", "3"]
    at.button(key="meeting_next").click().run()
    assert t("meeting.counter", "zh", n=3, total=N) in _counter(at)
    at.button(key="meeting_prev").click().run()
    at.button(key="meeting_prev").click().run()
    assert t("meeting.counter", "zh", n=1, total=N) in _counter(at)
    assert at.button(key="meeting_prev").disabled


def test_english_walk_to_the_last_slide(at):
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.header[0].value == "Results vs target"
    assert "Revenue won" in [m.label for m in at.metric]
    headers = [at.header[0].value]
    for _ in range(N - 1):
        at.button(key="meeting_next").click().run()
        assert not at.exception
        headers.append(at.header[0].value.split("  ")[0])
    assert headers == [t(f"meeting.slide.{k}", "en") for k in report.SLIDE_KEYS]
    assert f"Slide {N} of {N}" in _counter(at)
    assert at.button(key="meeting_next").disabled
    assert t("meeting.note.no_actions", "en") in [i.value for i in at.info]


def test_toggles_hide_names_and_manager_slides(at, demo_db):
    at.button(key="meeting_next").click().run()          # the leaderboard
    names = set(at.dataframe[0].value["销售"])
    assert "张伟" in names
    at.toggle(key="meeting_anonymize").set_value(True).run()
    hidden = set(at.dataframe[0].value["销售"])
    assert "张某" in hidden and not (hidden & names)
    at.toggle(key="meeting_rep_safe").set_value(True).run()
    assert t("meeting.counter", "zh", n=2, total=N - 2) in _counter(at)
    seen = []
    for _ in range(N - 4):
        at.button(key="meeting_next").click().run()
        seen.append(at.header[0].value)
    assert t("meeting.slide.retention", "zh") not in " ".join(seen)
    assert t("meeting.slide.payouts", "zh") not in " ".join(seen)
    assert t("meeting.counter", "zh", n=N - 2, total=N - 2) in _counter(at)


def test_empty_database_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESCORE_DB", str(tmp_path / "empty.duckdb"))
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page(PAGE).run()
    try:
        assert not app.exception
        assert app.title[0].value == t("meeting.title", "zh")
        assert app.info[0].value == t("common.no_data", "zh")
        assert not app.get("download_button")
    finally:
        st.cache_resource.clear()


# --- who sees what: a viewer gets no pay or retention slide, a manager their team's ----------------

PAY_SLIDES = ("incentives", "payouts", "retention")


@pytest.fixture
def shared(tmp_path, demo_copy, monkeypatch):
    """The Chinese demo with an admin, a viewer and a manager (users exist: sign-in is required)."""
    path = demo_copy(tmp_path / "shared.duckdb", "zh")
    con = db.connect(path)
    team = con.execute("select min(team) from reps").fetchone()[0]
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    access.add_user(con, "look", "viewer", password="look-pass-1")
    access.add_user(con, "lead", "manager", team=team, password="lead-pass-1")
    con.close()
    monkeypatch.setenv("SALESCORE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path, team
    st.cache_resource.clear()


def _meeting_as(name: str, password: str, lang: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["lang"] = lang
    app.run()
    app.text_input(key="auth_name").set_value(name)
    app.text_input(key="auth_password").set_value(password)
    app.button(key="auth_submit").click().run()
    return app.switch_page(PAGE).run()


def _walk(app: AppTest) -> list[str]:
    """Every slide's title, first to last (the Next button)."""
    titles = [app.header[0].value.split("  ")[0]]
    while not app.button(key="meeting_next").disabled:
        app.button(key="meeting_next").click().run()
        assert not app.exception
        titles.append(app.header[0].value.split("  ")[0])
    return titles


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_viewer_gets_no_pay_or_retention_slides(shared, lang):
    app = _meeting_as("look", "look-pass-1", lang)
    assert not app.exception
    sentence = t("meeting.access.left_out", lang, role=t("access.role.viewer", lang))
    assert sentence in [c.value for c in app.caption]
    titles = _walk(app)
    assert titles == [t(f"meeting.slide.{k}", lang) for k in report.SLIDE_KEYS if k not in PAY_SLIDES]
    assert t("meeting.counter", lang, n=N - 3, total=N - 3) in _counter(app)


def test_a_manager_gets_their_teams_payouts(shared):
    path, team = shared
    app = _meeting_as("lead", "lead-pass-1", "en")
    assert not app.exception
    assert not [c.value for c in app.caption if "left out" in c.value]
    for _ in range(report.SLIDE_KEYS.index("payouts")):
        app.button(key="meeting_next").click().run()
    assert app.header[0].value.startswith(t("meeting.slide.payouts", "en"))
    assert set(app.dataframe[0].value[t("meeting.col.team", "en")]) == {team}

"""AppTest: pages/me.py, a rep's own results, on the demo (English names): the rep signs in,
lands on My results and sees their own revenue, the company leaderboard and their statement."""
from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import access, db, fmt, metrics
from salescore.scope import Scope

APP = "../app.py"
PAGE = "pages/me.py"
REP, PASSWORD = "Ava Collins", "ava-pass-01"


@pytest.fixture
def rep_db(tmp_path, demo_copy, monkeypatch):
    path = demo_copy(tmp_path / "me.duckdb", "en")
    con = db.connect(path)
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    access.add_user(con, REP, "rep", password=PASSWORD)
    access.set_auth_required(con, True)
    con.close()
    monkeypatch.setenv("SALESCORE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    access._FAILURES.clear()
    yield path
    st.cache_resource.clear()


def _signed_in(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["lang"] = lang
    at.run()
    at.text_input(key="auth_name").set_value(REP)
    at.text_input(key="auth_password").set_value(PASSWORD)
    return at.button(key="auth_submit").click().run()


def _own_figures(path, period):
    st.cache_resource.clear()   # release the file so it can be opened here
    con = db.connect(path)
    try:
        rep_id = metrics.rep_id_by_name(con, REP)
        return (metrics.kpis(con, period.start, period.end, Scope(rep_id=rep_id)),
                fmt.symbol(db.reporting_currency(con)))
    finally:
        con.close()


def test_my_results_shows_my_own_revenue_and_statement(rep_db):
    at = _signed_in()
    assert not at.exception
    assert at.title[0].value == f"My results · {REP}", at.title[0].value
    period = at.session_state["_context"].period
    cards = {}
    for m in at.metric:                 # the KPI cards first; the statement repeats some labels
        cards.setdefault(m.label, m.value)
    mine, symbol = _own_figures(rep_db, period)
    assert cards["Revenue won"] == fmt.money(mine["revenue_won"], "en", wan=True, currency=symbol)
    assert cards["Win rate"] == fmt.pct(mine["win_rate"])
    board = at.dataframe[0].value                       # the leaderboard: no salary, no payout
    assert not {"base_salary", "total", "commission"} & set(board.columns)
    subheads = [s.value for s in at.subheader]
    assert subheads[0] == "Leaderboard (top 10)" and subheads[1].startswith("My statement · ")


def test_my_results_in_chinese_on_its_own_page(rep_db):
    at = _signed_in("zh")
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.title[0].value == f"我的业绩 · {REP}"
    labels = [m.label for m in at.metric]
    assert labels[:3] == ["成交金额", "目标达成率", "赢单率"] and "应发奖金" in labels
    assert [s.value for s in at.subheader][1].startswith("我的奖金明细")

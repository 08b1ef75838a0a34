"""AppTest: the app served on PostgreSQL (DESIGN.md section 9): every page renders on the demo
without an error, the figures it shows are the DuckDB demo's, and a rep who signs in sees
their own results only. Needs SALESCORE_TEST_PG (.ci/run sets it)."""
from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import access, db, fmt, lockout, metrics
from salescore.scope import Scope
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL tests need SALESCORE_TEST_PG")

APP = "../app.py"
# the pages with the most queries of their own (the figures under every page are compared
# with DuckDB's function by function in the backends-marked modules; an AppTest per page on
# both engines would add two minutes to the CI's twenty)
PAGES = ("pages/team.py", "pages/incentives.py", "pages/customers.py", "pages/data.py")


@pytest.fixture(scope="module")
def served_db(pg_database):
    return pg_database("demo-zh")


@pytest.fixture
def app(served_db, monkeypatch):
    monkeypatch.setenv("SALESCORE_DB", served_db)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield AppTest.from_file(APP, default_timeout=120)
    st.cache_resource.clear()


def test_overview_on_postgresql_shows_the_duckdb_figures(app, demo_template):
    app.run()
    assert not app.exception
    assert app.title[0].value == "总览"
    period = app.session_state["_context"].period
    con = db.connect(demo_template("zh"))   # the same demo on a DuckDB file
    try:
        k = metrics.kpis(con, period.start, period.end, Scope())
        symbol = fmt.symbol(db.reporting_currency(con))
    finally:
        con.close()
    cards = {m.label: m.value for m in app.metric}
    assert cards["成交金额"] == fmt.money(k["revenue_won"], "zh", wan=True, currency=symbol)
    assert cards["赢单率"] == fmt.pct(k["win_rate"])


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_postgresql(app, page):
    app.run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.title or app.get("markdown"), page   # the meeting page opens on its first slide


def test_a_rep_signed_in_on_postgresql_sees_only_their_own_results(pg_database, monkeypatch):
    served_db = pg_database("demo-zh")   # its own copy: users turn sign-in on
    con = db.connect(served_db)
    try:
        name = con.execute("select name from reps where rep_id = 'R01'").fetchall()[0][0]
        access.add_user(con, "boss", "admin", password="boss-pass-1")
        access.add_user(con, name, "rep", password="rep-pass-01")
    finally:
        con.close()
    monkeypatch.setenv("SALESCORE_DB", served_db)
    st.cache_data.clear()
    st.cache_resource.clear()
    lockout.FAILURES.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["lang"] = "zh"
        at.run()
        at.text_input(key="auth_name").set_value(name)
        at.text_input(key="auth_password").set_value("rep-pass-01")
        at = at.button(key="auth_submit").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert name in at.title[0].value
        period = at.session_state["_context"].period
        con = db.connect(served_db)
        try:
            mine = metrics.kpis(con, period.start, period.end, Scope(rep_id="R01"))
            symbol = fmt.symbol(db.reporting_currency(con))
        finally:
            con.close()
        cards = {}
        for m in at.metric:
            cards.setdefault(m.label, m.value)
        assert cards["成交金额"] == fmt.money(mine["revenue_won"], "zh", wan=True, currency=symbol)
    finally:
        st.cache_resource.clear()

"""AppTest: the sign-in gate, what each role sees, sign-out, and single sign-on (issue 10)."""
from __future__ import annotations

import shutil

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import access, db, fmt, metrics
from salescore.metrics import Scope

APP = "../app.py"
PASSWORDS = {"boss": "boss-pass-1", "east": "east-pass-1", "north": "north-pass-1",
             "Ava Collins": "ava-pass-01", "look": "look-pass-1"}


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory, demo_copy):
    """Demo data (English names) with one user per role and sign-in required."""
    path = tmp_path_factory.mktemp("auth") / "shared.duckdb"
    con = db.connect(demo_copy(path, "en"))
    access.add_user(con, "boss", "admin", password=PASSWORDS["boss"])
    access.add_user(con, "east", "manager", team="East", password=PASSWORDS["east"])
    access.add_user(con, "north", "manager", team="North", password=PASSWORDS["north"])
    access.add_user(con, "Ava Collins", "rep", password=PASSWORDS["Ava Collins"])
    access.add_user(con, "look", "viewer", password=PASSWORDS["look"])
    access.add_user(con, "ann@example.com", "viewer")                       # single sign-on only
    access.set_auth_required(con, True)
    con.close()
    return path


@pytest.fixture
def db_file(shared_db, tmp_path, monkeypatch):
    path = tmp_path / "shared.duckdb"       # a copy per test: lockouts and edits stay local
    shutil.copy(shared_db, path)
    monkeypatch.setenv("SALESCORE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    access._FAILURES.clear()
    yield path
    st.cache_resource.clear()


@pytest.fixture
def at(db_file):
    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state["lang"] = "en"
    return app.run()


def _sign_in(at: AppTest, name: str, password: str | None = None) -> AppTest:
    at.text_input(key="auth_name").set_value(name)
    at.text_input(key="auth_password").set_value(PASSWORDS.get(name, "") if password is None else password)
    return at.button(key="auth_submit").click().run()


def _figures(path, period, scope=Scope()):
    st.cache_resource.clear()   # release the file so it can be opened here
    con = db.connect(path)
    try:
        return metrics.kpis(con, period.start, period.end, scope)
    finally:
        con.close()


@pytest.mark.parametrize("address, beyond", [
    ("127.0.0.1", False), ("localhost", False), ("::1", False), ("127.0.1.1", False),
    ("0.0.0.0", True), ("", True), (None, True), ("192.168.1.20", True), ("::", True)])
def test_which_addresses_need_sign_in(address, beyond):
    from salescore.ui import auth
    assert auth.beyond_loopback(address) is beyond     # unset = every interface = shared


def test_sign_in_is_off_by_default_on_this_computer(tmp_path, monkeypatch, demo_copy):
    path = tmp_path / "local.duckdb"
    con = db.connect(demo_copy(path, "en"))
    access.add_user(con, "boss", "admin", password="boss-pass-1")   # users alone change nothing
    con.close()
    monkeypatch.setenv("SALESCORE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    st.cache_resource.clear()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert "auth_name" not in at.session_state and "auth_sign_out" not in [b.key for b in at.button]


def test_wrong_password_gives_one_sentence(at):
    assert at.title[0].value == "Sign in to salescore"
    assert not at.metric                                           # no figure before sign-in
    _sign_in(at, "east", "not-the-password")
    assert not at.exception
    assert [e.value for e in at.error] == ["Wrong name or password."]
    assert at.title[0].value == "Sign in to salescore" and at.session_state["auth_password"] == ""
    _sign_in(at, "nobody", "whatever-1")
    assert [e.value for e in at.error] == ["Wrong name or password."]
    assert "auth_user" not in at.session_state


def test_sign_in_in_chinese(at):
    at.radio(key="lang").set_value("zh").run()
    assert at.title[0].value == "登录 salescore"
    _sign_in(at, "east", "nope-nope-1")
    assert [e.value for e in at.error] == ["用户名或密码错误。"]


def test_admin_signs_in_sees_everything_and_signs_out(at, db_file):
    _sign_in(at, "boss")
    assert not at.exception and at.title[0].value == "Overview"
    assert at.selectbox(key="team").options == ["All teams", "East", "North", "South"]
    assert any("Signed in as boss (admin)" in c.value for c in at.caption)
    at.switch_page("pages/data.py").run()
    assert not at.exception and at.title[0].value == "Data"
    at.button(key="auth_sign_out").click().run()
    assert at.title[0].value == "Sign in to salescore" and "auth_user" not in at.session_state


def test_manager_sees_only_their_team_on_overview(at, db_file):
    _sign_in(at, "east")
    assert not at.exception and at.title[0].value == "Overview"
    assert at.selectbox(key="team").options == ["All teams", "East"]
    assert any("Read-only" in c.value for c in at.caption)
    board = at.dataframe[0].value
    assert set(board["team"]) == {"East"}
    period = at.session_state["_context"].period
    cards = {m.label: m.value for m in at.metric}
    k = _figures(db_file, period, Scope(team="East"))
    assert cards["Revenue won"] == fmt.money(k["revenue_won"], "en", wan=True)
    assert cards["Attainment"] == fmt.pct(k["attainment"])
    assert cards["Win rate"] == fmt.pct(k["win_rate"])


def test_two_managers_never_share_cached_figures(at, db_file):
    _sign_in(at, "east")
    east = {m.label: m.value for m in at.metric}
    at.button(key="auth_sign_out").click().run()
    _sign_in(at, "north")
    north = {m.label: m.value for m in at.metric}
    period = at.session_state["_context"].period
    assert set(at.dataframe[0].value["team"]) == {"North"}
    assert north["Revenue won"] != east["Revenue won"]
    assert north["Revenue won"] == fmt.money(_figures(db_file, period, Scope(team="North"))["revenue_won"], "en", wan=True)


def test_manager_cannot_open_data_or_write(at, db_file):
    _sign_in(at, "east")
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["Your role cannot open this page."]
    unexpected = "Something went wrong on our side. Your data was not changed; please try again."
    for page in ("goals", "team", "incentives", "retention", "funnel", "customers", "review", "meeting"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
        assert unexpected not in [e.value for e in at.error], page


def test_a_manager_write_is_refused_with_a_sentence(at, db_file):
    _sign_in(at, "east")
    at.switch_page("pages/funnel.py").run()
    at.button(key="funnel_stages_reset").click().run()
    assert not at.exception
    assert "Your role (manager) can only read: ask an admin to change data." in [e.value for e in at.error]
    st.cache_resource.clear()
    con = db.connect(db_file)
    try:
        assert metrics.stage_order(con) == ["Lead", "Qualified", "Proposal", "Negotiation"]   # unchanged
    finally:
        con.close()


def test_viewer_has_no_incentives_page(at):
    _sign_in(at, "look")
    assert not at.exception and at.title[0].value == "Overview"
    assert at.selectbox(key="team").options == ["All teams", "East", "North", "South"]
    at.switch_page("pages/incentives.py").run()
    assert [w.value for w in at.warning] == ["Your role cannot open this page."]
    unexpected = "Something went wrong on our side. Your data was not changed; please try again."
    for page in ("goals", "team", "funnel", "customers", "review", "meeting"):   # read-only pages
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
        assert unexpected not in [e.value for e in at.error], page


def test_rep_sees_own_results_leaderboard_and_statement(at, db_file):
    _sign_in(at, "Ava Collins")
    assert not at.exception
    assert at.title[0].value == "My results · Ava Collins"
    period = at.session_state["_context"].period
    cards = {m.label: m.value for m in reversed(at.metric)}          # the first card of a label wins
    assert at.metric[0].label == "Revenue won"
    assert cards["Revenue won"] == fmt.money(_figures(db_file, period, Scope(rep_id="R05"))["revenue_won"], "en", wan=True)
    board = at.dataframe[0].value
    assert len(board) == 10 and len(set(board["team"])) > 1           # the company leaderboard
    assert "Payout" in cards                                          # her own statement
    assert any(s.value.startswith("My statement") for s in at.subheader)
    at.switch_page("pages/overview.py").run()
    assert [w.value for w in at.warning] == ["Your role cannot open this page."]


def test_single_sign_on_maps_the_account_to_a_user(db_file):
    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state["lang"] = "en"
    app.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                           "client_id": "id", "client_secret": "secret",
                           "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration"}
    app.run()
    assert app.title[0].value == "Sign in to salescore"
    assert "auth_sso" in [b.key for b in app.button]
    app.user = {"is_logged_in": True, "email": "ANN@example.com", "name": "Ann"}
    app.run()
    assert not app.exception and app.title[0].value == "Overview"
    assert app.session_state["auth_user"] == access.User("ann@example.com", "viewer")
    app.user = {"is_logged_in": True, "email": "eve@example.com", "name": "Eve"}
    app.session_state["auth_user"] = None
    del app.session_state["auth_user"]
    app.run()
    assert app.title[0].value == "Sign in to salescore"
    assert [e.value for e in app.error] == ["This account is not registered in salescore: ask an admin to add it."]

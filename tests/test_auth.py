"""AppTest: the sign-in gate, what each role sees, sign-out, single sign-on, the admins' users
panel and the end of other sessions after a password change (issues 10 and 17)."""
from __future__ import annotations

import shutil
import time

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import access, db, fmt, lockout, metrics
from salescore.metrics import Scope

APP = "../app.py"
PASSWORDS = {"boss": "boss-pass-1", "east": "east-pass-1", "north": "north-pass-1",
             "Ava Collins": "ava-pass-01", "look": "look-pass-1"}


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory, demo_copy):
    """Demo data (English names) with one user per role (so sign-in is required)."""
    path = tmp_path_factory.mktemp("auth") / "shared.duckdb"
    con = db.connect(demo_copy(path, "en"))
    access.add_user(con, "boss", "admin", password=PASSWORDS["boss"])
    access.add_user(con, "east", "manager", team="East", password=PASSWORDS["east"])
    access.add_user(con, "north", "manager", team="North", password=PASSWORDS["north"])
    access.add_user(con, "Ava Collins", "rep", password=PASSWORDS["Ava Collins"])
    access.add_user(con, "look", "viewer", password=PASSWORDS["look"])
    access.add_user(con, "Ann", "viewer", sso_email="ann@example.com")      # single sign-on only
    con.close()
    return path


@pytest.fixture
def db_file(shared_db, tmp_path, monkeypatch):
    path = tmp_path / "shared.duckdb"       # a copy per test: lockouts and edits stay local
    shutil.copy(shared_db, path)
    monkeypatch.setenv("SALESCORE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    lockout.FAILURES.clear()
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


def _app(path, monkeypatch) -> AppTest:
    monkeypatch.setenv("SALESCORE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    return at.run()


def test_no_users_on_this_computer_means_no_sign_in(tmp_path, monkeypatch, demo_copy):
    at = _app(demo_copy(tmp_path / "local.duckdb", "en"), monkeypatch)
    st.cache_resource.clear()
    assert st.get_option("server.address") == "127.0.0.1"           # .streamlit/config.toml
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert "auth_name" not in at.session_state and "auth_sign_out" not in [b.key for b in at.button]


def test_one_user_means_sign_in_even_on_this_computer(tmp_path, monkeypatch, demo_copy):
    # a reverse proxy or an ssh tunnel keeps the server on 127.0.0.1 while others reach it
    path = demo_copy(tmp_path / "proxied.duckdb", "en")
    con = db.connect(path)
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    con.execute("insert into settings (key, value) values ('auth_required', 'false')")  # an old file's switch
    con.close()
    at = _app(path, monkeypatch)
    assert st.get_option("server.address") == "127.0.0.1"
    assert not at.exception
    assert at.title[0].value == "Sign in to salescore" and not at.metric
    at.switch_page("pages/data.py").run()
    assert at.title[0].value == "Sign in to salescore"
    _sign_in(at, "boss", "boss-pass-1")
    assert not at.exception and at.title[0].value == "Data"
    st.cache_resource.clear()


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
    assert "Total payout" in cards                                    # her own statement
    assert any(s.value.startswith("My statement") for s in at.subheader)
    at.switch_page("pages/overview.py").run()
    assert [w.value for w in at.warning] == ["Your role cannot open this page."]


SSO = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
       "client_id": "id", "client_secret": "secret",
       "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration"}


def _sso_app(identity: dict) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state["lang"] = "en"
    app.secrets["auth"] = SSO
    app.user = {"is_logged_in": True, **identity}
    return app.run()


def test_single_sign_on_maps_the_verified_email_to_a_user(db_file):
    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state["lang"] = "en"
    app.secrets["auth"] = SSO
    app.run()
    assert app.title[0].value == "Sign in to salescore"
    assert "auth_sso" in [b.key for b in app.button]
    app.user = {"is_logged_in": True, "email": "ANN@example.com", "name": "Ann", "email_verified": True}
    app.run()
    assert not app.exception and app.title[0].value == "Overview"
    assert app.session_state["auth_user"] == access.User("Ann", "viewer")
    app.user = {"is_logged_in": True, "email": "eve@example.com", "name": "Eve", "email_verified": True}
    del app.session_state["auth_user"]
    app.run()
    assert app.title[0].value == "Sign in to salescore"
    assert [e.value for e in app.error] == [
        "eve@example.com is not registered in salescore for single sign-on: ask an admin to add it."]


@pytest.mark.parametrize("identity, sentence", [
    # anyone can call themselves "boss" at an identity provider: the admin is never matched
    ({"email": "someone@example.com", "name": "boss", "email_verified": True},
     "someone@example.com is not registered in salescore for single sign-on: ask an admin to add it."),
    ({"email": "ann@example.com", "name": "Ann", "email_verified": False},
     "Your identity provider has not verified ann@example.com: verify it there, then sign in again."),
    ({"email": "ann@example.com", "name": "Ann"},
     "Your identity provider has not verified ann@example.com: verify it there, then sign in again."),
    ({"name": "boss", "email_verified": True},
     "Your identity provider did not give an e-mail address, which salescore needs for single sign-on."),
])
def test_single_sign_on_refuses_display_names_and_unverified_emails(db_file, identity, sentence):
    app = _sso_app(identity)
    assert not app.exception
    assert app.title[0].value == "Sign in to salescore" and "auth_user" not in app.session_state
    assert [e.value for e in app.error] == [sentence]


def test_a_single_sign_on_user_cannot_sign_in_with_a_password(at, db_file):
    _sign_in(at, "Ann", "")
    assert [e.value for e in at.error] == ["Wrong name or password."]
    assert "auth_user" not in at.session_state


# --- the users panel on the Data page (admins) -----------------------------------------------

def _signed_in_on_data(name: str = "boss") -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state["lang"] = "en"
    app.run()
    _sign_in(app, name)
    return app.switch_page("pages/data.py").run()


def test_the_users_panel_lists_adds_and_refuses_removing_the_last_admin(db_file):
    at = _signed_in_on_data()
    assert not at.exception
    users = next(d.value for d in at.dataframe if "Signs in with" in d.value.columns)
    assert list(users.columns) == ["Name", "Role", "Team", "Signs in with"]
    assert dict(zip(users["Name"], users["Signs in with"])) == {
        "Ann": "single sign-on: ann@example.com", "Ava Collins": "password", "boss": "password",
        "east": "password", "look": "password", "north": "password"}
    assert dict(zip(users["Name"], users["Role"]))["Ava Collins"] == "sales rep"
    # add a manager who signs in with single sign-on
    at.selectbox(key="users_add_role").set_value("manager").run()
    at.radio(key="users_add_kind").set_value("sso").run()
    assert "users_add_password" not in [i.key for i in at.text_input]    # no password for them
    at.text_input(key="users_add_name").set_value("west")
    at.text_input(key="users_add_team").set_value("South")
    at.text_input(key="users_add_email").set_value("west@example.com")
    at.button(key="users_add").click().run()
    assert not at.exception
    assert "west was added as manager." in [m.value for m in at.success]
    # the only admin cannot be removed
    at.selectbox(key="users_rm_name").set_value("boss")
    at.checkbox(key="users_rm_confirm").check().run()
    at.button(key="users_rm").click().run()
    assert "boss is the last admin with a password: add another admin first." in [e.value for e in at.error]
    st.cache_resource.clear()
    con = db.connect(db_file)
    try:
        assert access.lookup(con, "boss") is not None
        assert access.user_for_login(con, "west@example.com", True) == access.User("west", "manager", "South")
        actions = [a for (a,) in con.execute("select action from audit_log where action like 'user%' "
                                             "order by event_id").fetchall()]
        assert actions[-1] == "user_add"
    finally:
        con.close()


def test_a_password_change_ends_the_users_other_sessions(db_file):
    other = AppTest.from_file(APP, default_timeout=60)        # boss on another computer
    other.session_state["lang"] = "en"
    other.run()
    _sign_in(other, "boss")
    assert other.title[0].value == "Overview"
    at = _signed_in_on_data()                                  # boss here sets a new password
    at.selectbox(key="users_pw_name").set_value("boss")
    at.text_input(key="users_pw_new").set_value("boss-pass-2")
    at.button(key="users_pw_set").click().run()
    assert not at.exception
    assert "boss has a new password; their other sessions were signed out." in [m.value for m in at.success]
    assert at.title[0].value == "Data" and at.session_state["auth_user"].epoch == 1   # still signed in
    assert at.session_state["users_pw_new"] == ""
    other.run()                                                # the other session's next click
    assert not other.exception
    assert other.title[0].value == "Sign in to salescore" and "auth_user" not in other.session_state
    assert [i.value for i in other.info] == [
        "Your password was changed in another session: sign in again with the new one."]
    _sign_in(other, "boss", "boss-pass-1")
    assert [e.value for e in other.error] == ["Wrong name or password."]
    _sign_in(other, "boss", "boss-pass-2")
    assert other.title[0].value == "Overview"


def test_the_first_user_is_an_admin_and_signs_this_browser_out(tmp_path, monkeypatch, demo_copy):
    path = demo_copy(tmp_path / "first.duckdb", "en")
    at = _app(path, monkeypatch)
    at.switch_page("pages/data.py").run()
    assert not at.exception and at.title[0].value == "Data"
    assert "users_add_role" not in [s.key for s in at.selectbox]           # an admin, nothing else
    assert any("turns sign-in on for everyone" in w.value for w in at.warning)
    at.text_input(key="users_add_name").set_value("boss")
    at.text_input(key="users_add_password").set_value("boss-pass-1")
    at.button(key="users_add").click().run()                               # not confirmed yet
    assert [e.value for e in at.error] == [
        "Tick the box first: adding the first user turns sign-in on for everyone."]
    assert at.title[0].value == "Data" and at.session_state["users_add_password"] == ""
    con = db.connect(path)               # a second connection of this process, the app's stays
    assert not access.has_users(con)                                       # nothing happened
    con.close()
    at.text_input(key="users_add_password").set_value("boss-pass-1")
    at.checkbox(key="users_add_confirm").check()
    at.button(key="users_add").click().run()
    assert not at.exception
    assert at.title[0].value == "Sign in to salescore"
    assert [i.value for i in at.info] == [
        "Sign-in is now on for everyone. Sign in as boss with the password you just set."]
    _sign_in(at, "boss", "boss-pass-1")
    assert not at.exception and at.title[0].value == "Data"                 # back where it was
    assert any("Signed in as boss (admin)" in c.value for c in at.caption)
    st.cache_resource.clear()


# --- a signed session survives a reload (issue 18; salescore.session_cookie) -------------------

def _claims(name="boss", epoch=0, expires=None, sid="s1"):
    from salescore import session_cookie as sc
    return sc.Claims(name, epoch, int(time.time()) + 3600 if expires is None else expires, sid)


def test_a_signed_cookie_verifies_and_any_edit_breaks_it():
    from salescore import session_cookie as sc
    secret = b"k" * 32
    claims = _claims("张伟 (East)", 3)
    value = sc.sign(secret, claims)
    assert sc.verify(secret, value) == claims
    head, body, mac = value.split(".")
    flipped = body[:-1] + ("A" if body[-1] != "A" else "B")
    assert sc.verify(secret, f"{head}.{flipped}.{mac}") is None                 # payload edited
    assert sc.verify(secret, f"{head}.{body}.{mac[:-1]}x") is None               # signature edited
    # a payload naming someone else, re-encoded, with the old signature
    forged = sc._b64(sc._unb64(body).replace("张伟 (East)".encode(), b"boss"))
    assert sc.verify(secret, f"{head}.{forged}.{mac}") is None
    assert sc.verify(b"j" * 32, value) is None                                    # another secret
    for junk in (None, "", "v1", "v1..", "v2." + body + "." + mac, value + ".x", "v1.!!.??", "x" * 5000):
        assert sc.verify(secret, junk) is None


def test_a_cookie_expires():
    from salescore import session_cookie as sc
    secret = b"k" * 32
    claims = _claims(expires=1_000_000)
    value = sc.sign(secret, claims)
    assert sc.verify(secret, value, now=999_999.0) == claims
    assert sc.verify(secret, value, now=1_000_000.0) is None
    assert sc.LIFETIME == 12 * 3600


def test_the_secret_lives_in_a_private_file_next_to_the_database(tmp_path):
    from salescore import session_cookie as sc
    path = tmp_path / "shop.duckdb"
    value, claims = sc.issue(path, "boss", 2, now=time.time())
    key = tmp_path / "shop.duckdb.session-key"
    assert sc.key_path(path) == key and key.exists()
    assert key.stat().st_mode & 0o777 == 0o600
    assert claims.name == "boss" and claims.epoch == 2
    assert claims.expires - time.time() == pytest.approx(sc.LIFETIME, abs=5)
    assert sc.read(path, value) == claims
    sc.forget_stores()                                           # a restarted server process
    assert sc.read(path, value) == claims
    assert sc.read(tmp_path / "other.duckdb", value) is None     # another database, another secret
    assert sc.read(path, None) is None


def test_signing_out_revokes_the_cookie_for_good(tmp_path):
    from salescore import session_cookie as sc
    path = tmp_path / "shop.duckdb"
    value, claims = sc.issue(path, "boss", 0)
    other, _ = sc.issue(path, "boss", 0)                        # the same user in another browser
    sc.revoke(path, sc.peek(path, value))
    assert sc.read(path, value) is None and sc.read(path, other) is not None
    sc.forget_stores()
    assert sc.read(path, value) is None                         # also after a restart
    # ids whose cookies expired anyway leave the list
    sc.revoke(path, _claims(sid="old", expires=int(time.time()) + 1), now=time.time())
    sc.revoke(path, _claims(sid="new"), now=time.time() + 10)
    assert set(sc._STORES[str(path)]["revoked"]) == {claims.sid, "new"}
    assert sc.peek(path, "v1.bad.sig") is None


def test_a_handoff_token_is_redeemed_once_and_soon():
    from salescore import session_cookie as sc
    token = sc.handoff("cookie-text", 123, now=100.0)
    assert sc.pending(token, now=100.0) and len(token) >= 40
    assert sc.redeem(token, now=101.0) == ("cookie-text", 123)
    assert sc.redeem(token, now=101.0) is None and not sc.pending(token, now=101.0)   # single use
    late = sc.handoff("cookie-text", 123, now=200.0)
    assert sc.redeem(late, now=200.0 + sc.TOKEN_SECONDS) is None                      # too late
    assert sc.redeem("guessed", now=200.0) is None


@pytest.mark.parametrize("headers, ok", [
    ({"origin": "http://127.0.0.1:8501", "host": "127.0.0.1:8501", "sec-fetch-site": "same-origin"}, True),
    ({"origin": "http://127.0.0.1:8501", "host": "127.0.0.1:8501"}, True),
    ({"origin": "https://evil.example", "host": "127.0.0.1:8501"}, False),
    ({"origin": "http://127.0.0.1:8501", "host": "127.0.0.1:8501", "sec-fetch-site": "cross-site"}, False),
    ({"origin": "http://127.0.0.1:8501", "host": "127.0.0.1:8501", "sec-fetch-site": "same-site"}, False),
    ({"host": "127.0.0.1:8501"}, False),                           # no Origin: not a page of ours
])
def test_the_routes_answer_only_pages_of_this_server(headers, ok):
    from salescore import session_cookie as sc
    assert sc.same_origin(headers) is ok


def _post(handler, body: bytes = b"", scheme="http", extra=()):
    import asyncio

    from starlette.requests import Request
    headers = dict([(b"host", b"127.0.0.1:8501"), (b"origin", f"{scheme}://127.0.0.1:8501".encode()),
                    (b"sec-fetch-site", b"same-origin"), *extra])   # extra: replaces or adds
    headers = list(headers.items())
    scope = {"type": "http", "method": "POST", "path": "/_salescore/session", "headers": headers,
             "scheme": scheme, "server": ("127.0.0.1", 8501), "query_string": b""}

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    response = asyncio.run(handler(Request(scope, receive)))
    cookies = [v.decode() for k, v in response.raw_headers if k == b"set-cookie"]
    return response.status_code, cookies


def test_the_session_route_sets_an_httponly_strict_cookie_once():
    from salescore import session_cookie as sc
    token = sc.handoff("v1.abc.def", int(time.time()) + 600)
    status, cookies = _post(sc.start, token.encode())
    assert status == 204 and len(cookies) == 1
    parts = [p.strip().lower() for p in cookies[0].split(";")]
    assert parts[0] == "salescore_session=v1.abc.def"
    assert {"httponly", "samesite=strict", "path=/"} <= set(parts) and "secure" not in parts
    assert any(p.startswith("max-age=") and 590 <= int(p[8:]) <= 600 for p in parts)
    assert _post(sc.start, token.encode()) == (403, [])                      # used already
    assert _post(sc.start, b"not-a-token") == (403, [])
    # over https (or behind a proxy that says so) the cookie is Secure
    for scheme, extra in (("https", ()), ("http", ((b"x-forwarded-proto", b"https"),))):
        status, cookies = _post(sc.start, sc.handoff("v1.a.b", int(time.time()) + 60).encode(),
                                scheme=scheme, extra=extra)
        assert status == 204 and "secure" in [p.strip().lower() for p in cookies[0].split(";")]


def test_a_cross_site_post_gets_no_cookie_and_the_end_route_deletes_it():
    from salescore import session_cookie as sc
    token = sc.handoff("v1.abc.def", int(time.time()) + 600)
    assert _post(sc.start, token.encode(), extra=((b"sec-fetch-site", b"cross-site"),))[0] == 403
    status, cookies = _post(sc.end)
    parts = [p.strip().lower() for p in cookies[0].split(";")]
    assert status == 204 and parts[0] in ('salescore_session=""', "salescore_session=")
    assert {"max-age=0", "httponly", "samesite=strict", "path=/"} <= set(parts)
    routes = {r.path for r in sc.routes("team/sales")}
    assert routes == {"/team/sales/_salescore/session", "/team/sales/_salescore/session/end"}


def _handed_off(at: AppTest) -> str:
    """The signed cookie text the page was given a token for (as the route would answer)."""
    from salescore import session_cookie as sc
    token = at.session_state["auth_handoff"]
    scripts = [h.proto.body for h in at.get("html") if h.proto.unsafe_allow_javascript]
    assert scripts == [f'<script>fetch("/_salescore/session", {{method: \'POST\', body: "{token}", '
                       "credentials: 'same-origin', cache: 'no-store'});</script>"]
    found = sc.redeem(token)
    assert found is not None
    return found[0]


def test_a_password_sign_in_hands_the_page_a_cookie_and_sign_out_revokes_it(at, db_file):
    from salescore import session_cookie as sc
    _sign_in(at, "east")
    assert at.title[0].value == "Overview"
    value = _handed_off(at)
    claims = sc.read(db_file, value)
    assert (claims.name, claims.epoch) == ("east", 0)
    at.run()                                           # redeemed: the script is not shown again
    assert "auth_handoff" not in at.session_state
    assert not [h for h in at.get("html") if h.proto.unsafe_allow_javascript]
    at.button(key="auth_sign_out").click().run()
    assert at.title[0].value == "Sign in to salescore"
    assert sc.read(db_file, value) is None                          # revoked
    assert [h.proto.body for h in at.get("html") if h.proto.unsafe_allow_javascript] == [
        "<script>fetch(\"/_salescore/session/end\", {method: 'POST', body: \"\", "
        "credentials: 'same-origin', cache: 'no-store'});</script>"]


def test_a_wrong_password_hands_out_no_cookie(at):
    _sign_in(at, "east", "not-the-password")
    assert "auth_handoff" not in at.session_state and "auth_session" not in at.session_state
    assert not [h for h in at.get("html") if h.proto.unsafe_allow_javascript]


def test_changing_ones_own_password_renews_the_cookie(db_file):
    from salescore import session_cookie as sc
    at = _signed_in_on_data()
    old = _handed_off(at)
    at.selectbox(key="users_pw_name").set_value("boss")
    at.text_input(key="users_pw_new").set_value("boss-pass-2")
    at.button(key="users_pw_set").click().run()
    assert not at.exception and at.title[0].value == "Data"
    new = _handed_off(at)
    assert sc.read(db_file, old) is None
    assert (sc.read(db_file, new).name, sc.read(db_file, new).epoch) == ("boss", 1)


def test_a_deep_link_opens_its_page_after_sign_in(at):
    at.switch_page("pages/goals.py").run()
    assert at.title[0].value == "Sign in to salescore" and not at.tabs
    _sign_in(at, "east")
    assert not at.exception and at.title[0].value == "Goals"

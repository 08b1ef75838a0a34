"""Sign-in for shared use (issues 10 and 17): the gate app.py runs first and the sidebar's
user block (the rep's own page is pages/me.py, its widgets salescore/ui/me.py; the admins'
users panel salescore/ui/users.py).

Everyone signs in as soon as one user exists, whatever address the server listens on: a
reverse proxy or an ssh tunnel keeps the app on 127.0.0.1 while other people reach it, so
"loopback means open" would hand them the admin's rights. Without users it signs in too when
the server listens beyond loopback (``server.address`` not 127.0.0.1 / localhost / ::1, or
unset = every interface) or single sign-on is configured (an ``[auth]`` section in secrets);
a fresh laptop with no users stays open. Names and roles live in the users table; what each
role sees is decided in salescore.access.

A password sign-in survives a reload (issue 18): the browser gets a signed, expiring cookie
(salescore.session_cookie) that the gate takes as signed in while the user's session_epoch is
unchanged; signing out revokes it. Before sign-in every page is registered with the menu
hidden, so a deep link such as /goals shows the sign-in form under its own URL and opens the
Goals page once signed in; the sidebar lists no pages until then.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import streamlit as st

from salescore import access, audit, db, i18n, session_cookie
from salescore.errors import SalesCoreError
from salescore.ui.connection import db_path, get_con
from salescore.ui.text import lang, t

KEY = "auth_user"           # session_state: the signed-in access.User
NOTICE = "auth_notice"      # session_state: a sentence for the sign-in form (why you are here)
SID = "auth_session"        # session_state: the session_cookie.Claims this session signed in with
HANDOFF = "auth_handoff"    # session_state: the one-time token the page posts for its cookie
CLEAR = "auth_clear"        # session_state: the page tells the browser to forget the cookie
SEEN = "auth_cookie_seen"   # session_state: the request's cookie, once it was turned down
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def beyond_loopback(address: str | None) -> bool:
    """True when a server bound to ``address`` can be reached from other computers."""
    value = (address or "").strip().lower()
    return not value or (value not in LOOPBACK and not value.startswith("127."))


def sso_configured() -> bool:
    """Whether an ``[auth]`` section (OIDC for st.login) exists in secrets."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets.toml at all
        return False


def required(connection: Any) -> bool:
    """Whether this server asks who you are (see the module docstring)."""
    return (access.has_users(connection) or beyond_loopback(st.get_option("server.address"))
            or sso_configured())


def client_address() -> str | None:
    """The browser's IP address, for the lockout (salescore.lockout); None for this computer.

    Streamlit gives None for a loopback peer, which is also every client of a reverse proxy
    or ssh tunnel on this computer: they share one address. X-Forwarded-For is not used: a
    proxy that passes the client's own header on would let anyone choose their address and
    escape every limit."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - no client context (a bare script run)
        return None
    return address if isinstance(address, str) and address else None  # AppTest: a mock


def _language_switch() -> None:
    with st.sidebar:
        lang()
        st.radio(i18n.t("sidebar.language", lang()), list(i18n.LANGS), horizontal=True,
                 format_func=lambda c: {"zh": "中文", "en": "English"}[c], key="lang")


def _sign_in(name: str, password: str) -> None:
    connection = get_con(db_path())
    try:
        st.session_state[KEY] = access.authenticate(connection, name, password,
                                                    address=client_address())
    except SalesCoreError:
        _log(connection, "sign_in_failed", name)
        raise
    _log(connection, "sign_in", name)
    st.session_state.pop("auth_error", None)
    _issue(st.session_state[KEY])


def _log(connection: Any, action: str, name: str) -> None:
    """Sign-ins and failed tries go to the audit log (the name as typed, never the password)."""
    with db.transaction(connection) as cur:
        audit.record(cur, action, {"name": str(name)[:100]}, user=str(name)[:100] or None)


def _submit() -> None:
    try:
        _sign_in(st.session_state.get("auth_name", ""), st.session_state.get("auth_password", ""))
    except SalesCoreError as err:
        st.session_state["auth_error"] = i18n.error_text(err, lang())
    finally:
        st.session_state["auth_password"] = ""   # never kept in the session after a try


# --- the signed cookie (salescore.session_cookie) ---------------------------------------------

def _request_cookie() -> str | None:
    """The session cookie the browser sent when this session opened (its websocket request)."""
    try:
        value = st.context.cookies.get(session_cookie.COOKIE)
    except Exception:  # noqa: BLE001 - no client context (a bare script run)
        return None
    return value if isinstance(value, str) and value else None


def _issue(user: access.User) -> None:
    """A signed cookie for ``user``, which the page fetches from the server (see _post)."""
    value, claims = session_cookie.issue(db_path(), user.name, user.epoch)
    st.session_state[SID] = claims
    st.session_state[HANDOFF] = session_cookie.handoff(value, claims.expires)
    st.session_state.pop(CLEAR, None)


def _revoke() -> None:
    """This browser's cookie no longer signs in (also after a restart), and the page tells
    the browser to forget it."""
    path = db_path()
    for claims in (st.session_state.pop(SID, None), session_cookie.peek(path, _request_cookie())):
        if claims is not None:
            session_cookie.revoke(path, claims)
    st.session_state.pop(HANDOFF, None)
    st.session_state[CLEAR] = True


def _post(route: str, body: str = "") -> None:
    """A script in the page that posts ``body`` to one of session_cookie's routes (the
    answer sets or deletes the HttpOnly cookie: page scripts never see its value)."""
    url = session_cookie.under(st.get_option("server.baseUrlPath"), route)
    call = (f"fetch({json.dumps(url)}, {{method: 'POST', body: {json.dumps(body)}, "
            "credentials: 'same-origin', cache: 'no-store'})").replace("<", "\\u003c")
    # in a container that takes no room (the page does not shift when the script goes)
    st.html("<style>.st-key-auth_cookie_step, div:has(> .st-key-auth_cookie_step) "
            "{display: none}</style>")
    with st.container(key="auth_cookie_step"):
        st.html(f"<script>{call};</script>", unsafe_allow_javascript=True)


def _cookie_step() -> None:
    """Put the pending cookie hand-off or deletion on the page (once it is done, nothing)."""
    token = st.session_state.get(HANDOFF)
    if token is not None:
        if session_cookie.pending(token):   # shown again on every run until it was redeemed
            _post(session_cookie.START, token)
        else:
            st.session_state.pop(HANDOFF, None)
    elif st.session_state.pop(CLEAR, False):
        _post(session_cookie.END)


def _from_cookie(connection: Any) -> access.User | None:
    """The user a valid cookie of this browser names (signed, unexpired, not revoked, same
    session_epoch as the user has now), or None."""
    value = _request_cookie()
    if value is None or st.session_state.get(SEEN) == value:
        return None
    claims = session_cookie.read(db_path(), value)
    fresh = access.lookup(connection, claims.name) if claims is not None else None
    if claims is None or fresh is None or fresh.epoch != claims.epoch:
        st.session_state[SEEN] = value   # this session's request keeps sending it: judged once
        st.session_state[CLEAR] = True
        if claims is not None and fresh is not None:
            st.session_state[NOTICE] = t("access.password_changed")
        return None
    st.session_state[KEY] = fresh
    st.session_state[SID] = claims
    return fresh


def sign_out() -> None:
    _revoke()
    st.session_state.pop(KEY, None)
    st.session_state.pop("_context", None)
    if st.user.get("is_logged_in", False):
        st.logout()


def _sso_user(connection: Any) -> access.User | None:
    """The users row of the single-sign-on identity (its verified e-mail), or None with a
    sentence when the identity provider's account is not one of them."""
    if not st.user.get("is_logged_in", False):
        return None
    try:
        return access.user_for_login(connection, st.user.get("email"), st.user.get("email_verified"))
    except SalesCoreError as err:
        st.session_state["auth_error"] = i18n.error_text(err, lang())
        return None


def keep(user: access.User) -> None:
    """This session stays signed in as ``user`` (after its own password change raised the
    epoch, which signs out every other session of that user)."""
    if st.session_state.get(KEY) is not None and st.session_state[KEY].name == user.name:
        st.session_state[KEY] = user
        if st.session_state.get(SID) is not None:   # signed in with a password: a new cookie
            _revoke()
            _issue(user)


def signed_out_for_sign_in(name: str) -> None:
    """The first user was just added: sign-in is on, and this browser signs in like everyone."""
    sign_out()
    st.session_state[NOTICE] = t("access.first_user_done", name=name)


def _current(connection: Any) -> access.User | None:
    """The session's user as the database has it now, or None (with a sentence) when it was
    removed or its password changed since this session signed in."""
    current = st.session_state.get(KEY)
    if current is None:
        return None
    fresh = access.lookup(connection, current.name)   # a removed user is out at once
    if fresh is not None and fresh.epoch == current.epoch:
        st.session_state[KEY] = fresh
        return fresh
    st.session_state.pop(KEY, None)
    st.session_state.pop("_context", None)
    st.session_state.pop(SID, None)
    st.session_state[CLEAR] = True   # its cookie names the old epoch: worthless, forgotten
    if fresh is not None:
        st.session_state[NOTICE] = t("access.password_changed")
    return None


def _signing_in() -> None:
    """The page of the URL without a path while nobody is signed in (never run)."""


def _hold(pages: Sequence[Any]) -> None:
    """Register ``pages`` (and a sign-in page for "/") with the menu hidden: the URL asked
    stays this session's page, so a deep link opens that page once signed in, and the
    sidebar lists none of them before."""
    st.navigation([st.Page(_signing_in, title=t("access.title"), icon=":material/login:",
                           url_path="sign-in", default=True), *pages], position="hidden")


def gate(pages: Sequence[Any] = ()) -> access.User | None:
    """The signed-in user, or None when sign-in is off. When sign-in is on and nobody is
    signed in (nor a valid cookie says who), shows the sign-in form and stops the script.

    ``pages``: the app's st.Page objects (none marked default), registered unseen under the
    form so that the URL asked is the page opened after sign-in."""
    connection = get_con(db_path())
    if not required(connection):
        st.session_state.pop(KEY, None)
        return None
    current = _current(connection) or _from_cookie(connection)
    if current is not None:
        _cookie_step()
        return current
    if sso_configured():
        found = _sso_user(connection)
        if found is not None:
            st.session_state[KEY] = found
            return found
    _cookie_step()
    _language_switch()
    _hold(pages)
    _form(connection)
    st.stop()
    return None  # not reached


def _form(connection: Any) -> None:
    left, middle, right = st.columns([1, 2, 1])
    with middle:
        st.title(t("access.title"))
        st.caption(t("access.caption"))
        with st.form("auth_form", clear_on_submit=False):
            st.text_input(t("access.name"), key="auth_name")
            st.text_input(t("access.password"), type="password", key="auth_password")
            st.form_submit_button(t("access.sign_in"), type="primary", on_click=_submit, key="auth_submit")
        notice = st.session_state.pop(NOTICE, None)
        if notice:
            st.info(notice)
        error = st.session_state.pop("auth_error", None)
        if error:
            st.error(error)
        if sso_configured():
            st.button(t("access.sso"), key="auth_sso", on_click=st.login)
        if not access.has_users(connection):
            st.info(t("access.no_users"))


def sidebar_user(user: access.User | None) -> None:
    """Who is signed in, in what role, and the sign-out button (nothing when sign-in is off)."""
    if user is None:
        return
    with st.sidebar:
        st.divider()
        role = t(f"access.role.{user.role}")
        scope = user.team or ""
        st.caption(t("access.signed_in", name=user.name, role=role)
                   + (f" · {scope}" if scope and user.role == "manager" else ""))
        if not access.can_write(user):
            st.caption(t("access.read_only"))
        st.button(t("access.sign_out"), key="auth_sign_out", on_click=sign_out,
                  icon=":material/logout:")


def not_allowed() -> None:
    st.warning(t("access.not_allowed"))

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
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from salescore import access, audit, db, i18n
from salescore.errors import SalesCoreError
from salescore.ui.connection import db_path, get_con
from salescore.ui.text import lang, t

KEY = "auth_user"           # session_state: the signed-in access.User
NOTICE = "auth_notice"      # session_state: a sentence for the sign-in form (why you are here)
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


def sign_out() -> None:
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
    if fresh is not None:
        st.session_state[NOTICE] = t("access.password_changed")
    return None


def gate() -> access.User | None:
    """The signed-in user, or None when sign-in is off. When sign-in is on and nobody is
    signed in, shows the sign-in form and stops the script."""
    connection = get_con(db_path())
    if not required(connection):
        st.session_state.pop(KEY, None)
        return None
    current = _current(connection)
    if current is not None:
        return current
    if sso_configured():
        found = _sso_user(connection)
        if found is not None:
            st.session_state[KEY] = found
            return found
    _language_switch()
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

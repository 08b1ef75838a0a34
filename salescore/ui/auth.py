"""Sign-in for shared use (issue 10): the gate app.py runs first, the sidebar's user block,
and the rep's own page.

Sign-in is off while the server listens only on this computer, and on as soon as it listens
beyond loopback (``server.address`` not 127.0.0.1 / localhost / ::1, or unset = every
interface), when the ``auth_required`` setting is true, or when single sign-on is configured
(an ``[auth]`` section in secrets). Names and roles live in the users table
(``python -m salescore user add``); what each role sees is decided in salescore.access.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from salescore import access, audit, db, fmt, i18n, metrics
from salescore import ui
from salescore.errors import SalesCoreError
from salescore.ui import t

KEY = "auth_user"           # session_state: the signed-in access.User
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
    return (beyond_loopback(st.get_option("server.address")) or sso_configured()
            or access.auth_required(connection))


def _language_switch() -> None:
    with st.sidebar:
        ui.lang()
        st.radio(i18n.t("sidebar.language", ui.lang()), list(i18n.LANGS), horizontal=True,
                 format_func=lambda c: {"zh": "中文", "en": "English"}[c], key="lang")


def _sign_in(name: str, password: str) -> None:
    connection = ui.get_con(ui.db_path())
    try:
        st.session_state[KEY] = access.authenticate(connection, name, password)
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
        st.session_state["auth_error"] = i18n.error_text(err, ui.lang())
    finally:
        st.session_state["auth_password"] = ""   # never kept in the session after a try


def sign_out() -> None:
    st.session_state.pop(KEY, None)
    st.session_state.pop("_context", None)
    if st.user.get("is_logged_in", False):
        st.logout()


def _sso_user(connection: Any) -> access.User | None:
    """The users row of the single-sign-on identity, or None (with a sentence) when the
    identity provider's account is not registered."""
    if not st.user.get("is_logged_in", False):
        return None
    try:
        return access.user_for_login(connection, st.user.get("email"), st.user.get("name"))
    except SalesCoreError as err:
        st.session_state["auth_error"] = i18n.error_text(err, ui.lang())
        return None


def gate() -> access.User | None:
    """The signed-in user, or None when sign-in is off. When sign-in is on and nobody is
    signed in, shows the sign-in form and stops the script."""
    connection = ui.get_con(ui.db_path())
    if not required(connection):
        st.session_state.pop(KEY, None)
        return None
    current = st.session_state.get(KEY)
    if current is not None:
        fresh = access.lookup(connection, current.name)  # a removed user is out at once
        if fresh is not None:
            st.session_state[KEY] = fresh
            return fresh
        st.session_state.pop(KEY, None)
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


# --- the rep's own page ----------------------------------------------------------------------

@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def _board(path: str, version: int, start: Any, end: Any) -> Any:
    # the company leaderboard is computed on the full connection: access.leaderboard returns
    # only its public columns (no salary, no payout)
    return access.leaderboard(ui.get_con(path), start, end, top=10)


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def _statement(path: str, version: int, user: access.User, chosen: Any) -> access.Statement | None:
    return access.statement(ui.get_con(path), user, chosen)


def my_page() -> None:
    """Reps: their own figures for the period, the company leaderboard, their own statement."""
    user = ui.user()
    ctx = ui.context()
    st.title(t("access.me_title", name=user.name if user else ""))
    if user is None or user.rep_id is None:
        st.info(t("access.no_rep"))
        return
    if not ctx.has_data:
        st.info(t("common.no_data"))
        return
    period = ctx.period
    previous = period.previous()
    now = ui.query(metrics.kpis, period.start, period.end, metrics.Scope())
    before = ui.query(metrics.kpis, previous.start, previous.end, metrics.Scope())
    ui.kpi_cards(now, before, metrics.pace(period, ctx.as_of))

    path = ui.db_path()
    version = db.data_version(ui.get_con(path))
    st.subheader(t("overview.leaderboard"))
    board = _board(path, version, period.start, period.end)
    if board.empty:
        st.info(t("overview.no_wins"))
    else:
        shown = board.drop(columns=["rep_id"]).assign(attainment=board["attainment"] * 100)
        st.dataframe(shown, hide_index=True, width="stretch",
                     column_config={
                         "rank": st.column_config.NumberColumn(t("metric.rank"), format="%d"),
                         "rep": t("metric.rep"), "team": t("sidebar.team"),
                         "revenue_won": st.column_config.NumberColumn(t("metric.revenue_won"), format="¥%,.0f"),
                         "deals_won": st.column_config.NumberColumn(t("metric.deals_won"), format="%d"),
                         "attainment": st.column_config.ProgressColumn(
                             t("metric.attainment"), format="%.0f%%", min_value=0, max_value=150)})

    mine = _statement(path, version, user, period)
    if mine is None:
        st.info(t("access.no_statement"))
        return
    st.subheader(t("access.statement_title", plan=mine.plan, period=mine.period.label))
    row = mine.row
    cards = st.columns(3)
    cards[0].metric(t("access.total"), ui.money(row["total"]), border=True)
    cards[1].metric(t("metric.attainment"), fmt.pct(row["attainment"]), border=True)
    cards[2].metric(t("metric.revenue_won"), ui.money(row["revenue_won"]), border=True)
    parts = [(t(f"access.part.{name}"), row[name]) for name in access.STATEMENT_PARTS]
    st.dataframe({t("access.component"): [p[0] for p in parts],
                  t("access.amount"): [round(float(p[1]), 2) for p in parts]},
                 hide_index=True, width="stretch")
    st.caption(t("access.lines_help"))
    st.dataframe(mine.lines, hide_index=True, width="stretch")

"""The admins' "Users and sign-in" panel on the Data page (issue 17): who may sign in and how,
adding a user (password or single sign-on), a new password, removing a user.

Every rule (the first user is an admin with a password, the last admin stays, a password
change ends the user's other sessions) lives in salescore.access; signing in and out in
salescore.ui.auth. The panel's sentences are shown under the panel, not at the top of the
long Data page where nobody would see them. Session keys start with ``users_``.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from salescore import access, i18n
from salescore import ui
from salescore.errors import SalesCoreError
from salescore.ui import auth
from salescore.ui.text import lang, t

MESSAGE = "users_message"   # (level, sentence) of the last action, shown under the panel


def render(con: Any, user: access.User | None) -> None:
    """Draw the panel (admins only, and everyone while nobody signs in)."""
    if not access.can_write(user):
        return
    st.markdown(f"**{t('access.users.title')}**")
    frame = access.list_users(con)
    if frame.empty:
        st.caption(t("access.users.open"))
        _add(con, first=True)
    else:
        st.caption(t("access.users.on", n=len(frame)))
        st.dataframe(_table(frame), hide_index=True, width="content")
        add, password, remove = st.tabs([t("access.users.tab_add"), t("access.users.tab_password"),
                                         t("access.users.tab_remove")])
        with add:
            _add(con, first=False)
        with password:
            _password(con, frame)
        with remove:
            _remove(con, frame)
    level, text = st.session_state.pop(MESSAGE, (None, None))
    if text:
        (st.error if level == "error" else st.success)(text)


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    """The users in the reader's words: name, role, team, how they sign in."""
    how = [t("access.users.how_sso", email=e) if sso else t("access.users.how_password")
           for sso, e in zip(frame["sso"], frame["email"], strict=True)]
    return pd.DataFrame({
        t("access.users.col_name"): frame["name"],
        t("access.users.col_role"): [t(f"access.role.{r}") for r in frame["role"]],
        t("access.users.col_team"): frame["team"].where(frame["team"].notna(), ""),
        t("access.users.col_how"): how,
    })


def _action(fn: Callable[[], None]) -> Callable[[], None]:
    """A button callback whose refusal becomes a sentence under the panel (anything
    unexpected goes through ui.guarded: an apology, the trace to the server log)."""
    def run() -> None:
        try:
            fn()
        except SalesCoreError as err:
            st.session_state[MESSAGE] = ("error", i18n.error_text(err, lang()))
    return ui.guarded(run)


def _add(con: Any, *, first: bool) -> None:
    """The add-a-user inputs. The first user is an admin with a password, and adding it turns
    sign-in on: a warning says so first, and nothing happens without the confirmation.

    The typed fields sit in a form: a form sends what was typed with the click, whereas a
    password field left by Tab (to its show-password eye) may never reach the server."""
    if first:
        st.warning(t("access.users.first_warning"))
        with st.form("users_add_form", border=False):
            _name_and_password()
            st.checkbox(t("access.users.first_confirm"), key="users_add_confirm")
            st.form_submit_button(t("access.users.first_add"), type="primary", key="users_add",
                                  on_click=_action(functools.partial(_do_add, con, True)))
        return
    code = lang()   # format_func may run outside the script run (AppTest): fix the language
    role = st.selectbox(t("access.users.role"), list(access.ROLES), key="users_add_role",
                        format_func=lambda r: i18n.t(f"access.role.{r}", code))
    kind = st.radio(t("access.users.kind"), ["password", "sso"], horizontal=True, key="users_add_kind",
                    format_func=lambda k: i18n.t(f"access.users.kind_{k}", code))
    with st.form("users_add_form", border=False):
        if role == "manager":
            st.text_input(t("access.users.team"), key="users_add_team")
        if kind == "sso":
            st.text_input(t("access.users.name"), key="users_add_name", help=t("access.users.name_help"))
            st.text_input(t("access.users.email"), key="users_add_email", help=t("access.users.email_help"))
        else:
            _name_and_password()
        st.form_submit_button(t("access.users.add"), type="primary", key="users_add",
                              on_click=_action(functools.partial(_do_add, con, False)))


def _name_and_password() -> None:
    st.text_input(t("access.users.name"), key="users_add_name", help=t("access.users.name_help"))
    st.text_input(t("access.users.password"), type="password", key="users_add_password",
                  help=t("access.users.password_help", n=access.MIN_PASSWORD))


def _do_add(con: Any, first: bool) -> None:
    state = st.session_state
    if first and not state.get("users_add_confirm"):
        state["users_add_password"] = ""
        state[MESSAGE] = ("error", t("access.users.first_unconfirmed"))
        return
    role = "admin" if first else state.get("users_add_role", "admin")
    sso = not first and state.get("users_add_kind") == "sso"
    try:
        added = access.add_user(con, state.get("users_add_name", ""), role,
                                team=state.get("users_add_team") if role == "manager" else None,
                                password=None if sso else state.get("users_add_password", ""),
                                sso_email=state.get("users_add_email", "") if sso else None)
    finally:
        state["users_add_password"] = ""          # never kept in the session after a try
    state["users_add_name"] = state["users_add_email"] = state["users_add_team"] = ""
    if first:
        state["users_add_confirm"] = False
        auth.signed_out_for_sign_in(added.name)   # the next run shows the sign-in form
        return
    state[MESSAGE] = ("success", t("access.users.added", name=added.name,
                                   role=t(f"access.role.{added.role}")))


def _password(con: Any, frame: pd.DataFrame) -> None:
    names = frame.loc[~frame["sso"].astype(bool), "name"].tolist()
    if not names:
        st.caption(t("access.users.none_with_password"))
        return
    with st.form("users_pw_form", border=False):
        st.selectbox(t("access.users.col_name"), names, key="users_pw_name")
        st.text_input(t("access.users.new_password"), type="password", key="users_pw_new",
                      help=t("access.users.password_help", n=access.MIN_PASSWORD))
        st.form_submit_button(t("access.users.set_password"), key="users_pw_set",
                              on_click=_action(functools.partial(_do_password, con)))


def _do_password(con: Any) -> None:
    name = st.session_state.get("users_pw_name", "")
    try:
        changed = access.set_password(con, name, st.session_state.get("users_pw_new", ""))
    finally:
        st.session_state["users_pw_new"] = ""
    auth.keep(changed)   # this session stays signed in; the user's other sessions end
    st.session_state[MESSAGE] = ("success", t("access.users.password_done", name=name))


def _remove(con: Any, frame: pd.DataFrame) -> None:
    st.selectbox(t("access.users.col_name"), frame["name"].tolist(), key="users_rm_name")
    confirmed = st.checkbox(t("access.users.remove_confirm"), key="users_rm_confirm")
    st.button(t("access.users.remove"), disabled=not confirmed, key="users_rm",
              on_click=_action(functools.partial(_do_remove, con)))


def _do_remove(con: Any) -> None:
    name = st.session_state.get("users_rm_name", "")
    st.session_state["users_rm_confirm"] = False
    access.remove_user(con, name)
    st.session_state[MESSAGE] = ("success", t("access.users.removed", name=name))

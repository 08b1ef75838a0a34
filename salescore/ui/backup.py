"""Backup and restore on the Data page: download the whole database as one zip, or restore a
zip after the user typed the confirmation word. Before the restore button, the page shows how
the backup's users and sign-in settings differ from today's: they are kept unless the admin
ticks the box that replaces them too. Every rule lives in :mod:`salescore.backup`; session
keys start with ``data_backup_`` / ``data_restore_``.
"""
from __future__ import annotations

import functools

import duckdb
import pandas as pd
import streamlit as st

from salescore import backup, fmt
from salescore import ui
from salescore.errors import SalesCoreError
from salescore.i18n import error_text, t
from salescore.ui import confirm

UPLOAD_KEY = "data_restore_upload"
CONFIRM_KEY = "data_restore_confirm"
USERS_KEY = "data_restore_users"
WORD = "backup.word"


def render(con: duckdb.DuckDBPyConnection, lang: str) -> None:
    """Draw the backup download and the restore upload with its confirmation."""
    st.subheader(t("backup.title", lang))
    st.caption(t("backup.caption", lang))
    left, right = st.columns(2)
    with left:
        # the zip is built only when the button is clicked (data is a callable)
        st.download_button(t("backup.download", lang), data=functools.partial(backup.backup_bytes, con),
                           file_name=backup.file_name(), mime="application/zip",
                           on_click="ignore", key="data_backup_download", icon=":material/download:",
                           help=t("backup.download_help", lang))
    with right:
        upload = st.file_uploader(t("backup.upload", lang), type=["zip"], key=UPLOAD_KEY,
                                  help=t("backup.upload_help", lang))
        if upload is None:
            return
        data = upload.getvalue()
        try:
            found = backup.preview(con, data)
        except SalesCoreError as err:
            st.error(error_text(err, lang))
            return
        rows = dict(backup.summary(found.manifest))
        st.info(t("backup.found", lang,
                  created_at=str(found.manifest.get("created_at") or "?").replace("T", " "),
                  deals=fmt.number(rows["deals"]), reps=fmt.number(rows["reps"]),
                  customers=fmt.number(rows["customers"]), targets=fmt.number(rows["targets"]),
                  plans=fmt.number(rows["plans"])))
        with_users = _users_choice(found.changes, lang)
        ready = confirm.word_input(CONFIRM_KEY, "backup.confirm", WORD, lang)
        st.button(t("backup.button", lang), type="primary", disabled=not ready,
                  key="data_restore_button",
                  on_click=ui.guarded(functools.partial(_restore, con, data, upload.name,
                                                        with_users, lang)))


def _users_choice(changes: tuple[backup.Change, ...], lang: str) -> bool:
    """The users and sign-in settings: what differs, and the box that replaces them."""
    if not changes:
        st.caption(t("backup.users_same", lang))
        return False
    with_users = st.checkbox(t("backup.with_users", lang), key=USERS_KEY,
                             help=t("backup.with_users_help", lang))
    if with_users:
        st.warning(t("backup.users_replaced", lang))
    else:
        st.caption(t("backup.users_kept", lang))
    # a table, not markdown: names come from the file and are shown as typed
    st.dataframe(pd.DataFrame({t("backup.col_name", lang): [c.name for c in changes],
                               t("backup.col_change", lang): [c.text(lang) for c in changes]}),
                 hide_index=True, width="stretch")
    return with_users


def _restore(con: duckdb.DuckDBPyConnection, data: bytes, name: str, with_users: bool,
             lang: str) -> None:
    confirm.require(CONFIRM_KEY, WORD, lang)
    manifest = backup.restore(con, data, with_users=with_users, name=name)
    st.session_state[USERS_KEY] = False
    st.cache_data.clear()
    rows = dict(backup.summary(manifest))
    ui.flash("success", t("backup.done", lang, deals=fmt.number(rows["deals"]),
                          reps=fmt.number(rows["reps"])))

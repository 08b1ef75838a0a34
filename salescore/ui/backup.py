"""Backup and restore on the Data page: download the whole database as one zip, or restore a
zip after an explicit confirmation. Every rule lives in :mod:`salescore.backup`; session keys
start with ``data_backup_`` / ``data_restore_``.
"""
from __future__ import annotations

import functools

import duckdb
import streamlit as st

from salescore import backup, fmt
from salescore import ui
from salescore.errors import SalesCoreError
from salescore.i18n import error_text, t

UPLOAD_KEY = "data_restore_upload"
CONFIRM_KEY = "data_restore_confirm"


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
            manifest = backup.inspect(data)
        except SalesCoreError as err:
            st.error(error_text(err, lang))
            return
        rows = dict(backup.summary(manifest))
        st.info(t("backup.found", lang, created_at=str(manifest.get("created_at", "?")).replace("T", " "),
                  deals=fmt.number(rows["deals"]), reps=fmt.number(rows["reps"]),
                  customers=fmt.number(rows["customers"]), targets=fmt.number(rows["targets"]),
                  plans=fmt.number(rows["plans"])))
        confirmed = st.checkbox(t("backup.confirm", lang), key=CONFIRM_KEY)
        st.button(t("backup.button", lang), type="primary", disabled=not confirmed,
                  key="data_restore_button",
                  on_click=ui.guarded(functools.partial(_restore, con, data, lang)))


def _restore(con: duckdb.DuckDBPyConnection, data: bytes, lang: str) -> None:
    st.session_state[CONFIRM_KEY] = False
    manifest = backup.restore(con, data)
    st.cache_data.clear()
    rows = dict(backup.summary(manifest))
    ui.flash("success", t("backup.done", lang, deals=fmt.number(rows["deals"]),
                          reps=fmt.number(rows["reps"])))

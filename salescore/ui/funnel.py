"""Widgets of the Funnel and Customers pages: "this needs data X" notes and table exports."""
from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from salescore import xlsx
from salescore.ui import t


def needs_data(key: str) -> None:
    """Say which data a section needs (sentence ``key``), with a link to the Data page."""
    st.info(t(key))
    st.page_link("pages/data.py", label=t("common.go_to_data"), icon=":material/upload_file:")


def downloads(frame: pd.DataFrame, stem: str, key: str) -> None:
    """CSV and XLSX download buttons for a table (formula-looking cells escaped); the files
    are built only when clicked."""
    left, right = st.columns(2)
    left.download_button(t("funnel.download_csv"), functools.partial(xlsx.table_bytes, frame, "csv"),
                         file_name=f"{stem}.csv", mime="text/csv", key=f"{key}_csv",
                         icon=":material/download:", on_click="ignore")
    right.download_button(
        t("funnel.download_xlsx"), functools.partial(xlsx.table_bytes, frame, "xlsx", stem),
        file_name=f"{stem}.xlsx", key=f"{key}_xlsx", icon=":material/download:", on_click="ignore",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


#: Loss reasons the importer writes itself (paid/refund order files, DESIGN.md section 4).
IMPORT_REASONS = ("unpaid", "refunded")


def reason_label(reason: object) -> str:
    """A lost reason as the page shows it: "not recorded" for none, the importer's own codes
    (unpaid, refunded) in the user's language, anything else as the file wrote it."""
    if reason is None or reason != reason:   # None or NaN
        return t("funnel.not_recorded")
    text = str(reason)
    return t(f"funnel.reason_code.{text}") if text in IMPORT_REASONS else text

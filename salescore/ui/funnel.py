"""Widgets of the Funnel and Customers pages: "this needs data X" notes and table exports."""
from __future__ import annotations

import functools
from datetime import date

import pandas as pd
import streamlit as st

from salescore import customers
from salescore.periods import Period, containing
from salescore.ui import t


def needs_data(key: str) -> None:
    """Say which data a section needs (sentence ``key``), with a link to the Data page."""
    st.info(t(key))
    st.page_link("pages/data.py", label=t("common.go_to_data"), icon=":material/upload_file:")


def downloads(frame: pd.DataFrame, stem: str, key: str) -> None:
    """CSV and XLSX download buttons for a table (formula-looking cells escaped); the files
    are built only when clicked."""
    left, right = st.columns(2)
    left.download_button(t("funnel.download_csv"), functools.partial(customers.export_bytes, frame, "csv"),
                         file_name=f"{stem}.csv", mime="text/csv", key=f"{key}_csv",
                         icon=":material/download:", on_click="ignore")
    right.download_button(
        t("funnel.download_xlsx"), functools.partial(customers.export_bytes, frame, "xlsx", stem),
        file_name=f"{stem}.xlsx", key=f"{key}_xlsx", icon=":material/download:", on_click="ignore",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def trend_start(period: Period) -> date:
    """First day of the 12-month window that ends with ``period`` (whole periods for years)."""
    if period.kind == "year":
        return period.start
    return _months_back(period.end.replace(day=1), 11)


def _months_back(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def live_period(period: Period, as_of: date) -> tuple[Period, bool]:
    """The period to forecast: the chosen one when it is still running on ``as_of``, else the
    period of the same kind that contains ``as_of`` (second value True when switched)."""
    if period.start <= as_of < period.end:
        return period, False
    return containing(as_of, period.kind), True

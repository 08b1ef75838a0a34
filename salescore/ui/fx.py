"""Currencies on the Data page (DESIGN.md section 10): the reporting currency, the deals per
currency (as the files gave them and in the reporting currency), the currencies still without a
rate, and the rate table typed in a data editor. Figures and rules come from salescore.fx;
session keys start with ``fx_``."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from salescore import access, db, fx, ingest
from salescore.errors import SalesCoreError
from salescore import ui
from salescore.ui import cache, t

for _name in ("rates", "currencies", "missing"):
    cache.register(f"fx.{_name}", getattr(fx, _name))


def _save_rates() -> None:
    edited = st.session_state.get("fx_rates_edit")
    base = ui.query(fx.rates)
    frame = _edited(base, edited)
    rows = fx.save_rates(ui.con(), frame)
    ui.flash("success", ui.tn("fx.saved", rows, count=rows))


def _edited(base: pd.DataFrame, state: Any) -> pd.DataFrame:
    """The editor's table after its edits (Streamlit keeps them as a diff of the base)."""
    frame = base.copy()
    if not isinstance(state, dict):
        return frame
    for index, changes in state.get("edited_rows", {}).items():
        for column, value in changes.items():
            frame.loc[frame.index[int(index)], column] = value
    added = pd.DataFrame(state.get("added_rows", []), columns=fx.COLUMNS)
    frame = frame.drop(index=[frame.index[int(i)] for i in state.get("deleted_rows", [])])
    return pd.concat([frame, added], ignore_index=True)


def _set_reporting() -> None:
    try:
        code = fx.set_reporting(ui.con(), str(st.session_state.get("fx_reporting", "")))
    except SalesCoreError:
        st.session_state["fx_reporting"] = ui.query(db.reporting_currency)   # the box shows what holds
        raise
    ui.flash("success", t("fx.reporting_set", code=code))


def panel() -> None:
    """The Data page's "Currencies and exchange rates"."""
    st.subheader(t("fx.title"))
    writable = access.can_write(ui.user())
    current = ui.query(db.reporting_currency)
    codes = list(dict.fromkeys([*([current] if current else []), *ingest.CURRENCIES]))
    left, right = st.columns([1, 3])
    left.selectbox(t("fx.reporting"), codes, index=0, key="fx_reporting", disabled=not writable,
                   on_change=ui.guarded(_set_reporting), help=t("fx.reporting_help"))
    table = ui.query(fx.currencies)
    if len(table):
        shown = table.assign(needs_rate=[t("fx.missing_mark") if x else "" for x in table["needs_rate"]])
        right.dataframe(shown, hide_index=True, width="stretch", column_config={
            "currency": t("fx.col.currency"), "deals": st.column_config.NumberColumn(t("fx.col.deals"), format="%d"),
            "amount_local": st.column_config.NumberColumn(t("fx.col.amount_local"), format="%,.2f"),
            "amount": st.column_config.NumberColumn(t("fx.col.amount", code=current or ""), format=ui.money_pattern(0)),
            "needs_rate": t("fx.col.needs_rate")})
    missing = ui.query(fx.missing)
    if missing:
        st.warning(t("fx.missing", codes=", ".join(missing), code=current or ""))
    st.caption(t("fx.help", code=current or "—"))
    rates = ui.query(fx.rates)
    st.data_editor(rates, key="fx_rates_edit", num_rows="dynamic", hide_index=True, disabled=not writable,
                   width="stretch", column_config={
                       "currency": st.column_config.TextColumn(t("fx.col.currency"), max_chars=12),
                       "month": st.column_config.TextColumn(t("fx.col.month"), help=t("fx.month_help"), max_chars=10),
                       "rate_to_reporting": st.column_config.NumberColumn(
                           t("fx.col.rate", code=current or ""), min_value=0.0, format="%.6g")})
    if writable:
        st.button(t("fx.save"), key="fx_save", on_click=ui.guarded(_save_rates))
    else:
        st.caption(t("fx.read_only"))

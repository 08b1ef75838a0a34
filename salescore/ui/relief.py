"""Quota relief on the Incentives page (DESIGN.md section 10): the Statements tab's "Quota
relief" adds an entry (rep, days, share, reason) or takes one back; the payouts follow at once.
Figures and rules come from salescore.incentives.relief; session keys start with ``rl_``."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from salescore import access, incentives
from salescore import ui
from salescore.errors import SalesCoreError
from salescore.periods import Period
from salescore.ui import cache, t

cache.register("incentives.relief.listing", incentives.relief.listing)


def _add(reps: dict[str, str]) -> None:
    rep_id = st.session_state.get("rl_rep")
    if rep_id not in reps:
        raise SalesCoreError("Choose the rep.", key="relief.error.choose")
    days = st.session_state.get("rl_days") or ()
    if len(days) != 2:
        raise SalesCoreError("The relief ends on or after the day it starts.", key="relief.error.dates")
    number = incentives.relief.add(ui.con(), rep_id, days[0], days[1],
                                   float(st.session_state.get("rl_share", 100)) / 100,
                                   str(st.session_state.get("rl_reason", "")))
    st.session_state["rl_reason"] = ""
    ui.flash("success", t("relief.added", number=number, rep=reps[rep_id]))


def _remove() -> None:
    number = st.session_state.get("rl_remove")
    if number is None:
        return
    incentives.relief.remove(ui.con(), int(number))
    ui.flash("success", t("relief.removed", number=int(number)))


def panel(period: Period, frame: pd.DataFrame) -> None:
    """Under the disputes: the entries, and (admins) the form adding one for a rep of
    ``frame`` (the payouts shown) over ``period`` by default."""
    entries = ui.query(incentives.relief.listing)
    with st.expander(t("relief.title", count=len(entries))):
        st.caption(t("relief.help"))
        if len(entries):
            st.dataframe(entries.assign(share=entries["share"] * 100)[
                ["relief_id", "rep", "team", "from_date", "to_date", "share", "reason", "created_by"]],
                hide_index=True, width="stretch", column_config={
                    "relief_id": st.column_config.NumberColumn("#", format="%d"), "rep": t("metric.rep"),
                    "team": t("sidebar.team"),
                    "from_date": st.column_config.DateColumn(t("relief.from"), format="YYYY-MM-DD"),
                    "to_date": st.column_config.DateColumn(t("relief.to"), format="YYYY-MM-DD"),
                    "share": st.column_config.NumberColumn(t("relief.share"), format="%.0f%%"),
                    "reason": t("relief.reason"), "created_by": t("relief.by")})
        if not access.can_write(ui.user()):
            st.caption(t("relief.read_only"))
            return
        reps = dict(zip(frame["rep_id"].astype(str), frame["rep"].astype(str)))
        cols = st.columns([2, 2, 1])
        cols[0].selectbox(t("metric.rep"), list(reps), format_func=reps.__getitem__, key="rl_rep")
        cols[1].date_input(t("relief.days"), value=(period.start, period.end), key="rl_days")
        cols[2].number_input(t("relief.share"), min_value=5, max_value=100, value=100, step=5, key="rl_share")
        st.text_input(t("relief.reason"), key="rl_reason", max_chars=500, placeholder=t("relief.reason_hint"))
        st.button(t("relief.add"), key="rl_add", on_click=ui.guarded(lambda: _add(reps)))
        if len(entries):
            left, right = st.columns([2, 1])
            left.selectbox(t("relief.remove_which"), entries["relief_id"].tolist(), key="rl_remove",
                           format_func=lambda n: f"#{n} {entries.set_index('relief_id').loc[n, 'rep']}")
            right.button(t("relief.remove"), key="rl_remove_btn", on_click=ui.guarded(_remove))

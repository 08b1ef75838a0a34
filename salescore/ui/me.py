"""Widgets of the rep's own page (pages/me.py): the company leaderboard as reps see it and
their own statement. Figures come from salescore.me, computed on the full connection and
cached per database path and data version (the result carries only what a rep may see)."""
from __future__ import annotations

from typing import Any

import streamlit as st

from salescore import db, me
from salescore import ui
from salescore.access import User
from salescore.periods import Period
from salescore.ui import t
from salescore.ui.incentives import ledger_table
from salescore.ui.statement import statement_panel


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def _board(path: str, version: int, start: Any, end: Any) -> Any:
    # the company leaderboard is computed on the full connection: me.leaderboard returns
    # only its public columns (no salary, no payout)
    return me.leaderboard(ui.get_con(path), start, end, top=10)


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def _statement(path: str, version: int, user: User, chosen: Any) -> me.Statement | None:
    return me.statement(ui.get_con(path), user, chosen)


def _version(path: str) -> int:
    return db.data_version(ui.get_con(path))


def board(period: Period) -> Any:
    """The company leaderboard for ``period`` (me.leaderboard), cached."""
    path = ui.db_path()
    return _board(path, _version(path), period.start, period.end)


def statement(user: User, period: Period) -> me.Statement | None:
    """``user``'s own statement for the pay period containing ``period`` (me.statement), cached."""
    path = ui.db_path()
    return _statement(path, _version(path), user, period)


def leaderboard_table(frame: Any) -> None:
    """The leaderboard as reps see it: rank, rep, team, revenue, deals won, attainment bar."""
    shown = frame.drop(columns=["rep_id"]).assign(attainment=frame["attainment"] * 100)
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={
                     "rank": st.column_config.NumberColumn(t("metric.rank"), format="%d"),
                     "rep": t("metric.rep"), "team": t("sidebar.team"),
                     "revenue_won": st.column_config.NumberColumn(t("metric.revenue_won"),
                                                                  format=ui.money_pattern(0)),
                     "deals_won": st.column_config.NumberColumn(t("metric.deals_won"), format="%d"),
                     "attainment": st.column_config.ProgressColumn(
                         t("metric.attainment"), format="%.0f%%", min_value=0, max_value=150)})


def statement_view(mine: me.Statement) -> None:
    """The rep's own statement, drawn by the panel the Incentives page draws for a manager: the
    same words, figures, downloads (XLSX, printable HTML) and print preview."""
    statement_panel(mine.row, mine.lines, title=t("access.statement_title", plan=mine.plan, period=mine.period.label),
                    plan_name=mine.plan, period_label=mine.period.label, prefix="me_")
    if mine.ledger is not None:       # under a plan with a draw: the rep's own ledger
        ledger_table(mine.ledger, lambda label: st.column_config.NumberColumn(label, format=ui.money_pattern(0)))

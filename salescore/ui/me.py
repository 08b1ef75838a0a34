"""Widgets of the rep's own page (pages/me.py): the company leaderboard as reps see it and
their own statement. Figures come from salescore.me, computed on the full connection and
cached per database path and data version (the result carries only what a rep may see)."""
from __future__ import annotations

from typing import Any

import streamlit as st

from salescore import db, fmt, incentives, me
from salescore import ui
from salescore.access import User
from salescore.periods import Period
from salescore.ui import t


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
    """The statement: total, attainment and revenue cards, the components (cuts, clawbacks
    and the balance carried in deducted), what is carried into the next period, the lines."""
    st.subheader(t("access.statement_title", plan=mine.plan, period=mine.period.label))
    row = mine.row
    cards = st.columns(3)
    cards[0].metric(t("access.total"), ui.money(row["total"]), border=True)
    cards[1].metric(t("metric.attainment"), fmt.pct(row["attainment"]), border=True)
    cards[2].metric(t("metric.revenue_won"), ui.money(row["revenue_won"]), border=True)
    parts = [(t(f"access.part.{name}"), row[name]) for name in me.STATEMENT_PARTS]
    st.dataframe({t("access.component"): [p[0] for p in parts],
                  t("access.amount"): [round(float(p[1]), 2) for p in parts]},
                 hide_index=True, width="stretch",
                 column_config={t("access.amount"): st.column_config.NumberColumn(format=ui.money_pattern(2))})
    if float(row.get("carried_forward") or 0.0):
        st.info(f"{t('incentives.col.carried_forward')}: {ui.money(row['carried_forward'])}")
    st.caption(t("access.lines_help"))
    words = incentives.statement_labels(ui.lang())
    lines = mine.lines.assign(
        component=[words.get(c, c) for c in mine.lines["component"]],
        detail=[incentives.line_detail(c, v, words) for c, v in zip(mine.lines["component"], mine.lines["detail"])])
    st.dataframe(lines, hide_index=True, width="stretch",
                 column_config={"basis": st.column_config.NumberColumn(words["basis"], format=ui.money_pattern(2)),
                                "amount": st.column_config.NumberColumn(words["amount"], format=ui.money_pattern(2)),
                                "rate": st.column_config.NumberColumn(words["rate"], format="percent"),
                                "component": words["component"], "deal_id": words["deal_id"],
                                "day": st.column_config.DateColumn(words["day"]),
                                "multiplier": words["multiplier"], "detail": words["detail"]})

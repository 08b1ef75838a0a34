"""My results (reps): their own figures for the period, the company leaderboard, their own
statement under the plan in force."""
from __future__ import annotations

import streamlit as st

from salescore import metrics
from salescore import ui
from salescore.periods import pace
from salescore.scope import Scope
from salescore.ui import acks, disputes
from salescore.ui import me as mine_ui
from salescore.ui import t

user = ui.user()
ctx = ui.context()
st.title(t("access.me_title", name=user.name if user else ""))
if user is None or user.rep_id is None:
    st.info(t("access.no_rep"))
    st.stop()
if not ctx.has_data:
    st.info(t("common.no_data"))
    st.stop()

# --- a plan published to me and not acknowledged yet -------------------------------------------
ui.show_flash()
acks.pending_panel(user)

# --- my figures (the connection shows only my own rows) ----------------------------------------
period = ctx.period
previous = period.previous()
now = ui.query(metrics.kpis, period.start, period.end, Scope())
before = ui.query(metrics.kpis, previous.start, previous.end, Scope())
ui.kpi_cards(now, before, pace(period, ctx.as_of))

# --- the company leaderboard ------------------------------------------------------------------
st.subheader(t("overview.leaderboard"))
board = mine_ui.board(period)
if board.empty:
    st.info(t("overview.no_wins"))
else:
    mine_ui.leaderboard_table(board)

# --- my statement -----------------------------------------------------------------------------
statement = mine_ui.statement(user, period)
if statement is None:
    st.info(t("access.no_statement"))
else:
    mine_ui.statement_view(statement)
    disputes.rep_panel(user, statement.plan_id, statement.period, statement.lines)

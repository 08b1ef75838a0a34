"""Overview: KPIs against target and the previous period, trend, teams, leaderboard, alerts."""
from __future__ import annotations

import streamlit as st

from salescore import charts, fmt, metrics, periods
from salescore import ui
from salescore.ui import t
from salescore.ui.photos import star_board
from salescore.ui.widgets import has_teams

ctx = ui.page("overview.title")

period, scope = ctx.period, ctx.scope
# a running period says "to date" and is compared with the same first days of the previous one
running = ctx.running
prev_start, prev_end = periods.comparable_previous(period, ctx.as_of)
previous = periods.previous_label(period, ctx.as_of, ctx.lang)
st.caption(ui.tx("overview.caption_running" if running else "overview.caption",
             period=ctx.period_text,
             scope=scope.team or t("sidebar.all_teams"), previous=previous))

now = ui.query(metrics.kpis, period.start, period.end, scope)
before = ui.query(metrics.kpis, prev_start, prev_end, scope)
share = periods.pace(period, ctx.as_of)

ui.kpi_cards(now, before, share, running)

teams = ui.query(metrics.by_group, period.start, period.end, "team", scope)
reps = ui.query(metrics.by_group, period.start, period.end, "rep", scope)
for item in metrics.alerts_from(teams, reps, now, before, share, previous):
    ui.alert(item)

left, right = st.columns([3, 2])
with left:
    st.subheader(t("overview.trend"))
    trend = ui.query(metrics.monthly, periods.trend_start(period), period.end, scope)
    ui.chart(charts.revenue_trend(trend, ctx.lang, currency=ui.currency()), width="stretch")
with right:
    st.subheader(t("overview.teams"))
    if not has_teams(teams):
        st.info(t("overview.no_teams"))
    elif teams["attainment"].notna().any():
        ui.chart(charts.team_attainment(teams, ctx.lang, share, currency=ui.currency()), width="stretch")
        if share < 1:
            st.caption(t("overview.pace_note", pace=fmt.pct(share, 0)))
    else:
        st.info(t("overview.no_targets"))

st.subheader(t("overview.leaderboard"))
board = metrics.leaderboard_from(reps, 10)
if board.empty:
    st.info(t("overview.no_wins"))
else:
    star_board(board)
    ui.leaderboard_table(board)

"""Overview: KPIs against target and the previous period, trend, teams, leaderboard, alerts."""
from __future__ import annotations

import streamlit as st

from salescore import charts, fmt, metrics, periods
from salescore import ui
from salescore.ui import t
from salescore.ui.widgets import has_teams

ctx = ui.page("overview.title")

period, scope = ctx.period, ctx.scope
previous = period.previous()
st.caption(ui.tx("overview.caption", period=period.label,
             scope=scope.team or t("sidebar.all_teams"), previous=previous.label))

now = ui.query(metrics.kpis, period.start, period.end, scope)
before = ui.query(metrics.kpis, previous.start, previous.end, scope)
share = periods.pace(period, ctx.as_of)

ui.kpi_cards(now, before, share)

teams = ui.query(metrics.by_group, period.start, period.end, "team", scope)
reps = ui.query(metrics.by_group, period.start, period.end, "rep", scope)
for item in metrics.alerts_from(teams, reps, now, before, share, previous.label):
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
    ui.leaderboard_table(board)

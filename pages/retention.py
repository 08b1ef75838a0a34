"""Retention: goal difficulty x reward quadrant, at-risk list, what-if, growth and climate."""
from __future__ import annotations

import streamlit as st

from salescore import charts, incentives, periods, retention
from salescore import ui
from salescore.errors import SalesCoreError
from salescore.periods import parse
from salescore.ui import retention as rui
from salescore.ui import t
from salescore.ui.widgets import tn

ctx = ui.page("retention.title")

# --- the active plan and the pay period -------------------------------------------------------
active = ui.query(retention.active_plan)
plan = active.plan if active else rui.default_plan()
rui.plan_caption(active, ctx.as_of)

kind = plan.period
kinds = {"month": t("period.month"), "quarter": t("period.quarter"), "year": t("period.year")}
default = retention.default_period(ctx.as_of, ctx.period, kind)
options = [p.label for p in retention.period_options(ctx.as_of, kind, 8)]
if default.label not in options:
    options.append(default.label)
top = [*st.columns([1, 2]), *st.columns(2)]   # the toggles' labels stay whole at 1280 px
label = top[0].selectbox(t("retention.period", kind=kinds[kind]), options, index=options.index(default.label),
                         key=f"retention_period_{default.label}")   # follows the sidebar's period
period = parse(label)
share = top[1].slider(t("retention.top_share"), 10, 50, 25, step=5, format="%d%%", key="retention_top_share")
median = top[2].toggle(t("retention.median_lines"), key="retention_median", help=t("retention.median_lines_help"))
seasonal = top[3].toggle(t("retention.seasonal"), value=True, key="retention_seasonal",
                         help=t("retention.seasonal_help"))
lines = retention.MEDIAN if median else 1.0
settings = dict(difficulty_line=lines, reward_line=lines, top_share=share / 100, seasonal=seasonal)
scope = ctx.scope
st.caption(ui.tx("retention.caption", period=periods.period_label(period, ctx.as_of, ctx.lang),
                 scope=scope.team or t("sidebar.all_teams"), plan=plan.name))
rui.period_note(ctx.period, period, default, ctx.as_of)

frame = ui.query(retention.quadrant, plan, period, scope, **settings)
placed = retention.placed(frame)
if placed.empty:
    st.info(t("retention.no_reps", period=period.label))
    st.page_link("pages/data.py", label=t("common.go_to_data"), icon=":material/upload_file:")
    st.stop()
rui.running_warning(period, ctx.as_of)

counts = retention.climate(frame)
rui.quadrant_cards(counts)

# --- the quadrant ----------------------------------------------------------------------------
st.subheader(t("retention.chart_title"))
st.caption(t("retention.chart_help"))
ui.chart(charts.retention_quadrant(placed, ctx.lang, currency=ui.currency()), width="stretch")
if counts["reps"] > counts["placed"]:
    st.caption(tn("retention.not_placed", counts["reps"] - counts["placed"], n=counts["reps"] - counts["placed"]))
rui.definitions(frame)

# --- at risk ---------------------------------------------------------------------------------
st.subheader(t("retention.at_risk"))
st.caption(t("retention.at_risk_help"))
rui.at_risk_table(frame)
with st.expander(t("retention.all_reps")):
    rui.all_reps_table(frame)

# --- what-if ---------------------------------------------------------------------------------
st.subheader(t("retention.whatif"))
st.caption(t("retention.whatif_help"))
plans = rui.plan_options(ui.query(incentives.list_plans))
reps = rui.rep_labels(frame)
cols = st.columns([2, 2, 1])
plan_key = cols[0].selectbox(t("retention.whatif_plan"), list(plans), format_func=plans.__getitem__,
                             key="retention_plan")
rep_id = cols[1].selectbox(t("retention.whatif_rep"), list(reps), format_func=reps.__getitem__,
                           key="retention_rep")
quota = None
if rep_id:
    quota = cols[2].number_input(t("retention.whatif_quota", period=period.label), min_value=0.0,
                                 value=rui.quota_of(frame, rep_id), step=10_000.0, format="%.0f",
                                 key=f"retention_quota_{rep_id}_{period.label}")
try:
    other = rui.option_plan(plan_key, plan)
    if other is not None or rep_id:
        moves = ui.query(retention.what_if, plan, period, scope, other=other, rep_id=rep_id or None,
                         quota=quota, base=frame, **settings)
        shown = retention.moves_to_draw(moves, rep_id or None)
        ui.chart(charts.retention_quadrant(placed, ctx.lang, shown, currency=ui.currency()), width="stretch")
        rui.moves_text(moves, rep_id or None)
except SalesCoreError as err:
    ui.show_error(err)

# --- growth and climate ----------------------------------------------------------------------
st.subheader(t("retention.climate"))
rui.climate_text(counts)
st.subheader(t("retention.growth"))
st.caption(t("retention.growth_help"))
cols = st.columns(2)
bar = cols[0].number_input(t("retention.growth_min"), min_value=50, max_value=200, value=100, step=5,
                           format="%d", key="retention_growth_min")
# the bar and run of Incentives › Ready for promotion (100%, 3 periods): one definition of
# promotion-ready on both pages (incentives.promotion_ready)
count = cols[1].number_input(t("retention.growth_count"), min_value=1, max_value=8, value=3, step=1,
                             key="retention_growth_count")
ready = ui.query(retention.growth, period, scope, bar / 100, int(count))
if ready.empty:
    st.info(tn("retention.growth_none", count, bar=f"{bar}%", n=int(count)))
else:
    rui.growth_table(ready)

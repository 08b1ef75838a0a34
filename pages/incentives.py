"""Incentives: edit plans, what-if sliders, plan A vs B, budget solver, statements, recognition."""
from __future__ import annotations

import streamlit as st

from salescore import charts, fmt, incentives
from salescore import ui
from salescore.errors import SalesCoreError
from salescore.ui import acks, assignments, closing, disputes, quota_whatif, recognition, relief
from salescore.ui import incentives as sim
from salescore.ui import t

ctx = ui.page("incentives.title")
disputes.notice()                                  # disputes waiting for an answer

# --- the plan we start from, and the working copy the editor changes -----------------------
saved = ui.query(incentives.list_plans)
sources = sim.sources(saved)                       # {"saved:<id>" | "template:<key>": label}
if "sim_source" not in st.session_state or st.session_state["sim_source"] not in sources:
    st.session_state["sim_source"] = next(iter(sources))
top = st.columns([2, 1, 1])
top[0].selectbox(t("incentives.source"), list(sources), format_func=sources.__getitem__,
                 key="sim_source", on_change=sim.reset_working)
reference = sim.source_plan(st.session_state["sim_source"])
sim.remember_base(saved)
working = sim.working_plan(reference)

# the pay period: the last complete one while the sidebar's is still running (as Retention)
period = sim.period_picker(top[1], ctx.period, ctx.as_of, working.period)
scope = ctx.scope
top[2].caption(t("incentives.scope", scope=scope.team or t("sidebar.all_teams")))
sim.period_note(ctx.period, period, ctx.as_of, ctx.lang)
if working != reference:
    st.caption(t("incentives.unsaved"))

# every tab is drawn on each run (their widgets keep their values); choosing a tab reruns the
# page so that the lever sensitivity (a dozen payout runs) is computed only on the Budget tab
tabs = st.tabs([t("incentives.tab_editor"), t("incentives.tab_whatif"), t("incentives.tab_compare"),
                t("incentives.tab_budget"), t("incentives.tab_statements"), t("incentives.tab_recognition")],
               key="sim_tab", on_change="rerun")

# --- 1. plan editor ----------------------------------------------------------------------
with tabs[0]:
    sim.plan_editor(working)
    left, right = st.columns([1, 1])
    with left:
        sim.save_button(working, period)   # disabled, with why, for read-only roles
    with right:
        versions = sim.versions(saved)
        if versions:
            st.caption(versions)
        acks.publish_panel(saved, working == reference)
    assignments.plan_panel(saved)                  # who this plan pays, from which day
    with st.expander(t("incentives.json_view")):
        st.code(working.to_json(), language="json")
        st.text_area(t("incentives.json_paste"), key="sim_json_in", height=200)
        st.button(t("incentives.json_apply"), key="sim_json_apply", on_click=ui.guarded(sim.apply_json))

base = ui.query(incentives.payouts, working, period, scope)
if base.empty:
    st.info(t("incentives.no_reps"))
    st.stop()
closing.banner(working, period, base)   # a closed period's stored statements, or adjustments

# --- 2. what-if (a fragment: moving a slider redraws this tab only) ----------------------
with tabs[1]:
    sim.whatif_panel(working, reference, period, scope, ctx.lang)
    quota_whatif.panel(working, period, scope, base)

# --- 3. plan A vs plan B -----------------------------------------------------------------
with tabs[2]:
    choices = {"working": t("incentives.working_plan"), **sources}
    cols = st.columns(2)
    a_key = cols[0].selectbox(t("incentives.plan_a"), list(choices), format_func=choices.__getitem__,
                              key="sim_plan_a")
    b_keys = list(choices)
    b_key = cols[1].selectbox(t("incentives.plan_b"), b_keys, format_func=choices.__getitem__,
                              index=min(2, len(b_keys) - 1), key="sim_plan_b")
    plan_a = working if a_key == "working" else sim.source_plan(a_key)
    plan_b = working if b_key == "working" else sim.source_plan(b_key)
    try:
        if plan_a.period != plan_b.period:
            st.warning(t("incentives.period_differs"))
        else:
            pa = ui.query(incentives.payouts, plan_a, period, scope)
            pb = ui.query(incentives.payouts, plan_b, period, scope)
            ab = incentives.versus(incentives.summary(pa), incentives.summary(pb))
            diff = incentives.compare(pa, pb)
            if sim.pay_the_same(diff):   # the page opens so: a sentence, not an empty chart
                st.info(t("incentives.same_pay", total=ui.money(ab["total_a"]), period=period.label))
            else:
                cards = st.columns(3)
                cards[0].metric(t("incentives.total_a"), ui.money(ab["total_a"]), border=True)
                cards[1].metric(t("incentives.total_b"), ui.money(ab["total_b"]),
                                delta=ui.money(ab["change"]), delta_color="inverse", border=True)
                cards[2].metric(t("incentives.cost_revenue"),
                                f"{fmt.pct(ab['cost_of_sales_a'])} → {fmt.pct(ab['cost_of_sales_b'])}",
                                border=True)
                ui.chart(charts.payout_change(diff, ctx.lang, currency=ui.currency()), width="stretch")
                st.subheader(t("incentives.retention_risk"))
                sim.retention_risk(diff)
    except SalesCoreError as err:
        ui.show_error(err)

# --- 4. budget solver --------------------------------------------------------------------
with tabs[3]:
    sim.budget_solver(working, period, scope, incentives.summary(base))
    st.subheader(t("incentives.tornado"))
    st.caption(t("incentives.tornado_help"))
    if tabs[3].open:
        tornado = ui.query(incentives.sensitivity, working, period, scope)
        if len(tornado):
            ui.chart(charts.lever_tornado(tornado.assign(label=sim.lever_labels(tornado["lever"])),
                                          ctx.lang, currency=ui.currency()), width="stretch")

# --- 5. statements -----------------------------------------------------------------------
with tabs[4]:
    sim.statements(working, period, scope, base)
    closing.panel(working, reference, period, saved, base)
    disputes.manager_panel()
    relief.panel(period, base)

# --- 6. recognition ----------------------------------------------------------------------
with tabs[5]:
    recognition.recognition(base, period, scope)

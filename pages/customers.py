"""Customers: acquisition, the follow-up list, satisfaction and loyalty."""
from __future__ import annotations

import streamlit as st

from salescore import charts, customers, fmt, metrics, periods
from salescore import ui
from salescore.ui import t
from salescore.ui.funnel import downloads, needs_data
from salescore.ui.widgets import table, tn, with_team_names

ctx = ui.page("customers.title")

lang, period, scope, as_of = ctx.lang, ctx.period, ctx.scope, ctx.as_of
window = periods.trend_start(period)
st.caption(ui.tx("customers.caption", period=period.label, scope=scope.team or t("sidebar.all_teams"),
             start=window.strftime("%Y-%m")))
have = ui.query(customers.available)
not_recorded = t("customers.not_recorded")

tab_acq, tab_follow, tab_sat, tab_loyal = st.tabs([
    t("customers.tab_acquisition"), t("customers.tab_follow_up"), t("customers.tab_satisfaction"),
    t("customers.tab_loyalty")])

# --- acquisition -----------------------------------------------------------------------------
with tab_acq:
    if not have["won_with_customer"]:
        needs_data("customers.needs_customers")
    else:
        now = ui.query(metrics.kpis, period.start, period.end, scope)
        split = ui.query(customers.new_revenue_share, period.start, period.end, scope)
        cards = st.columns(3)
        cards[0].metric(t("metric.new_customers"), fmt.number(now["new_customers"]), border=True,
                        help=t("customers.new_help"))
        cards[1].metric(t("customers.new_revenue"), ui.money(split["new_revenue"], wan=True),
                        border=True, help=t("customers.new_revenue_help"))
        cards[2].metric(t("customers.new_share"), fmt.pct(split["new_share"]), border=True)
        claims = ui.query(customers.new_customer_claims, period.start, period.end, scope)
        if claims["disagree"]:
            st.caption(t("customers.claims_disagree", claimed=fmt.number(claims["claimed_new"]),
                         not_first=fmt.number(claims["claimed_not_first"]),
                         not_claimed=fmt.number(claims["first_not_claimed"])))
        by_labels = {k: t(f"customers.by_{k}") for k in ("source", "channel", "rep")}
        by = st.segmented_control(t("customers.acquired_by"), list(by_labels), default="source",
                                  format_func=by_labels.__getitem__, key="customers_acq_by") or "source"
        if not have.get(by, True):
            needs_data(f"customers.needs_{by}")
        left, right = st.columns(2)
        with left:
            st.subheader(t("customers.new_per_month"))
            acquired = ui.query(customers.new_customers_by, window, period.end, scope, by)
            if acquired.empty:
                st.info(t("customers.no_new"))
            else:
                acquired = acquired.assign(label=acquired["label"].fillna(not_recorded))
                ui.chart(charts.stacked_months(acquired, lang, "new_customers", "label",
                                                      t("metric.new_customers")), width="stretch")
        with right:
            st.subheader(t("customers.revenue_split"))
            revenue = ui.query(customers.revenue_new_vs_existing, window, period.end, scope)
            names = {"new_revenue": t("customers.from_new"), "existing_revenue": t("customers.from_existing"),
                     "unknown_revenue": t("customers.from_unknown")}
            long = customers.revenue_parts(revenue)
            long = long.assign(kind=long["part"].map(names))
            ui.chart(charts.stacked_months(long, lang, "amount", "kind", t("metric.revenue_won"),
                                            currency=ui.currency()),
                            width="stretch")

# --- follow-up -------------------------------------------------------------------------------
with tab_follow:
    if not have["activities"]:
        needs_data("customers.needs_activities")
    else:
        left, right = st.columns([1, 2])
        days = left.number_input(t("customers.no_contact_days"), min_value=1, max_value=365, value=30,
                                 step=1, key="customers_follow_days")
        with_accounts = right.toggle(t("customers.include_accounts"), value=True,
                                     key="customers_follow_accounts", help=t("customers.accounts_help"))
        due = ui.query(customers.follow_up, as_of, int(days), scope, bool(with_accounts))
        st.caption(tn("customers.follow_caption", days, date=as_of.isoformat(), days=int(days)))
        if due.empty:
            st.success(tn("customers.nothing_due", days, days=int(days)))
        else:
            per_rep = with_team_names(customers.follow_up_by_rep(due))
            head = customers.list_totals(due, "open_value")
            cards = st.columns(3)
            cards[0].metric(t("customers.due"), fmt.number(head["count"]), border=True)
            cards[1].metric(t("customers.due_open_value"), ui.money(head["value"], wan=True),
                            border=True)
            cards[2].metric(t("customers.due_reps"), fmt.number(len(per_rep)), border=True)
            table(per_rep.drop(columns="rep_id"), column_config={
                "rep": t("metric.rep"), "team": t("sidebar.team"),
                "customers": st.column_config.NumberColumn(t("customers.customers"), format="%d"),
                "open_deals": st.column_config.NumberColumn(t("metric.open_deals"), format="%d"),
                "open_value": st.column_config.NumberColumn(t("customers.open_value"),
                                                            format=ui.money_pattern()),
                "longest_silence": st.column_config.NumberColumn(t("customers.longest_silence"), format="%d"),
            })
            reasons = {"open_deal": t("customers.reason_open_deal"), "account": t("customers.reason_account")}
            cols = {"rep": t("metric.rep"), "team": t("sidebar.team"), "customer": t("customers.customer"),
                    "reason": t("customers.reason"), "open_deals": t("metric.open_deals"),
                    "open_value": t("customers.open_value"), "last_contact": t("customers.last_contact"),
                    "days_since": t("customers.days_since")}
            due_table = with_team_names(due).assign(reason=due["reason"].map(reasons))[list(cols)].rename(columns=cols)
            table(due_table, column_config={
                cols["open_value"]: st.column_config.NumberColumn(format=ui.money_pattern()),
                cols["days_since"]: st.column_config.NumberColumn(format="%d"),
            })
            downloads(due_table, t("customers.follow_file", date=as_of.isoformat()), "customers_follow")

# --- satisfaction ----------------------------------------------------------------------------
with tab_sat:
    if not have["satisfaction"]:
        needs_data("customers.needs_satisfaction")
    else:
        st.caption(t("customers.sat_caption", start=window.strftime("%Y-%m"), end=period.label))
        summary = ui.query(customers.satisfaction_by, window, period.end, scope, "all")
        if summary.empty:
            st.info(t("customers.no_surveys"))
        else:
            head = customers.satisfaction_summary(summary)
            scales, nps = head["scales"], head["nps"]
            cards = st.columns(4)
            cards[0].metric(t("customers.responses"), fmt.number(head["responses"]), border=True)
            cards[1].metric(t("customers.avg_score"), fmt.number(head["avg_score"], 2), border=True,
                            help=t(f"customers.scale_{head['scale']}"))
            cards[2].metric(t("customers.csat"), fmt.pct(head["csat"]), border=True,
                            help=t("customers.csat_help"))
            cards[3].metric(t("customers.nps"), "—" if nps is None else f"{nps * 100:+.0f}",
                            border=True, help=t("customers.nps_help"))
            trend = ui.query(customers.satisfaction_trend, window, period.end, scope)
            left, right = st.columns(2)
            with left:
                st.subheader(t("customers.sat_trend"))
                if "csat5" in scales:
                    ui.chart(charts.monthly_rate(trend[trend["scale"] == "csat5"], lang, "csat",
                                                        t("customers.csat"), (0, 1)), width="stretch")
                if "nps10" in scales:
                    ui.chart(charts.monthly_rate(trend[trend["scale"] == "nps10"], lang, "nps",
                                                        t("customers.nps"), (-1, 1)), width="stretch")
            with right:
                st.subheader(t("customers.sat_distribution"))
                dist = ui.query(customers.satisfaction_distribution, window, period.end, scope)
                kinds = {k: t(f"customers.kind_{k}") for k in ("promoter", "passive", "detractor")}
                for scale in scales:
                    part = dist[dist["scale"] == scale]
                    ui.chart(charts.score_distribution(part.assign(kind_label=part["kind"].map(kinds)),
                                                              lang), width="stretch")
            sat_labels = {"rep": t("customers.by_rep"), "segment": t("customers.by_segment")}
            sat_by = st.segmented_control(t("customers.sat_by"), list(sat_labels), default="rep",
                                          format_func=sat_labels.__getitem__, key="customers_sat_by") or "rep"
            if sat_by == "segment" and not have["segment"]:
                needs_data("customers.needs_segment")
            groups = ui.query(customers.satisfaction_by, window, period.end, scope, sat_by)
            groups = groups[groups["scale"] == scales[0]]
            ui.chart(charts.score_by(groups.assign(label=groups["label"].fillna(not_recorded)), lang),
                            width="stretch")
        st.subheader(t("customers.detractors"))
        flagged = ui.query(customers.detractors_with_open_deals, as_of, scope)
        if flagged.empty:
            st.success(t("customers.no_detractors"))
        else:
            head = customers.list_totals(flagged, "open_value", key="customer_id")
            st.warning(tn("customers.detractors_found", head["count"], count=fmt.number(head["count"]),
                         value=ui.money(head["value"], wan=True)))
            cols = {"customer": t("customers.customer"), "score": t("customers.score"),
                    "survey_date": t("customers.survey_date"), "rep": t("metric.rep"),
                    "open_deals": t("metric.open_deals"), "open_value": t("customers.open_value")}
            table(flagged[list(cols)].rename(columns=cols), column_config={
                cols["open_value"]: st.column_config.NumberColumn(format=ui.money_pattern())})

# --- loyalty ---------------------------------------------------------------------------------
with tab_loyal:
    if not have["won_with_customer"]:
        needs_data("customers.needs_customers")
    else:
        now = ui.query(metrics.kpis, period.start, period.end, scope)
        conc = ui.query(customers.concentration, period.start, period.end, scope, 10)
        cards = st.columns(3)
        cards[0].metric(t("metric.repeat_rate"), fmt.pct(now["repeat_rate"]), border=True,
                        help=t("customers.repeat_help"))
        cards[1].metric(t("customers.top10_share"), fmt.pct(conc["top_share"]), border=True,
                        help=t("customers.top10_help"))
        cards[2].metric(t("customers.buying_customers"), fmt.number(conc["customers"]), border=True)
        if conc["risk"] in ("high", "medium"):
            (st.warning if conc["risk"] == "high" else st.info)(
                t(f"customers.concentration_{conc['risk']}", share=fmt.pct(conc["top_share"], 0)))
        left, right = st.columns(2)
        with left:
            st.subheader(t("customers.repeat_trend"))
            repeat = ui.query(customers.repeat_trend, window, period.end, scope)
            ui.chart(charts.monthly_rate(repeat, lang, "repeat_rate", t("metric.repeat_rate"), (0, 1)),
                            width="stretch")
        with right:
            st.subheader(t("customers.top10"))
            if conc["top"].empty:
                st.info(t("customers.no_revenue", period=period.label))
            else:
                ui.chart(charts.top_customers(conc["top"], lang, currency=ui.currency()), width="stretch")
        st.subheader(t("customers.cohorts"))
        st.caption(t("customers.cohort_help"))
        cohorts = ui.query(customers.cohorts, window, period.end, scope)
        if cohorts.empty:
            st.info(t("customers.no_new"))
        else:
            ui.chart(charts.cohort_heatmap(cohorts, lang), width="stretch")
        st.subheader(t("customers.churned"))
        months = st.number_input(t("customers.churn_months"), min_value=1, max_value=60, value=12, step=1,
                                 key="customers_churn_months")
        gone = ui.query(customers.churned, as_of, int(months), scope)
        if gone.empty:
            st.success(tn("customers.no_churned", months, months=int(months)))
        else:
            head = customers.list_totals(gone, "revenue_won")
            st.warning(tn("customers.churned_found", head["count"], count=fmt.number(head["count"]),
                          months=tn("customers.months", months, n=int(months)),
                          value=ui.money(head["value"], wan=True)))
            cols = {"customer": t("customers.customer"), "segment": t("customers.segment"),
                    "rep": t("metric.rep"), "last_purchase": t("customers.last_purchase"),
                    "days_since": t("customers.days_since_purchase"), "deals_won": t("metric.deals_won"),
                    "revenue_won": t("customers.lifetime_revenue"), "open_deals": t("metric.open_deals")}
            churn_table = gone[list(cols)].rename(columns=cols)
            table(churn_table, column_config={
                cols["revenue_won"]: st.column_config.NumberColumn(format=ui.money_pattern())})
            downloads(churn_table, t("customers.churn_file", date=as_of.isoformat()), "customers_churn")

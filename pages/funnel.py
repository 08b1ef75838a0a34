"""Funnel: where deals are lost, how long they take, what moves velocity, what is stuck,
why deals are lost, where the period will end and how the pipeline moved between exports."""
from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from salescore import charts, fmt, metrics, periods
from salescore import ui
from salescore.scope import Scope
from salescore.ui import t
from salescore.ui import forecast_call, movement
from salescore.ui.funnel import downloads, needs_data, reason_label
from salescore.ui.widgets import table, tn, with_team_names

ctx = ui.page("funnel.title")

lang, period, scope = ctx.lang, ctx.period, ctx.scope
scope_name = scope.team or t("sidebar.all_teams")
st.caption(ui.tx("funnel.caption", period=period.label, scope=scope_name))
stages = ui.query(metrics.stage_order)
won_label = t("funnel.won_stage")


def _stage_label(stage: str) -> str:
    return won_label if stage == "won" else stage


# --- stage order -----------------------------------------------------------------------------
with st.expander(t("funnel.stages_title"), expanded=not stages):
    st.caption(t("funnel.stages_help"))
    stage_frame = ui.query(metrics.stage_table)
    edited = st.data_editor(
        stage_frame, key="funnel_stage_editor", hide_index=True, width="stretch", placeholder="",
        disabled=["stage", "open_deals", "deals"],
        column_config={
            "stage": t("funnel.stage"),
            "position": st.column_config.NumberColumn(t("funnel.position"), min_value=1, step=1,
                                                      help=t("funnel.position_help")),
            "open_deals": st.column_config.NumberColumn(t("metric.open_deals"), format="%d"),
            "deals": st.column_config.NumberColumn(t("funnel.deals_all"), format="%d"),
        })

    def _save(frame: pd.DataFrame) -> None:
        saved = metrics.save_stage_order(ui.con(), metrics.stages_from_positions(frame))
        ui.flash("success", t("funnel.stages_saved", stages=" → ".join(saved)))

    def _reset() -> None:
        detected = metrics.reset_stage_order(ui.con())
        st.session_state.pop("funnel_stage_editor", None)
        ui.flash("success", t("funnel.stages_reset", stages=" → ".join(detected) or "—"))

    left, right = st.columns(2)
    left.button(t("funnel.stages_save"), key="funnel_stages_save", type="primary",
                on_click=ui.guarded(functools.partial(_save, edited)))
    right.button(t("funnel.stages_detect"), key="funnel_stages_reset", on_click=ui.guarded(_reset))

if not stages:
    needs_data("funnel.needs_stages")
    st.stop()
st.caption(t("funnel.reached_rule"))

(tab_conv, tab_cycle, tab_velocity, tab_stuck, tab_loss, tab_forecast, tab_call, tab_movement) = st.tabs([
    t("funnel.tab_conversion"), t("funnel.tab_cycle"), t("funnel.tab_velocity"),
    t("funnel.tab_stuck"), t("funnel.tab_loss"), t("funnel.tab_forecast"), t("funnel.tab_call"),
    t("funnel.tab_movement")])

# --- conversion ------------------------------------------------------------------------------
with tab_conv:
    teams = ui.query(ui.teams_list)
    reps = ui.query(metrics.rep_options, scope)
    options: dict[str, str] = {}
    if scope.team:
        options[f"team:{scope.team}"] = t("funnel.focus_team", team=scope.team)
    else:
        options["none"] = t("funnel.focus_none")
        options.update({f"team:{team}": t("funnel.focus_team", team=team) for team in teams})
    options.update({f"rep:{row.rep_id}": t("funnel.focus_rep", rep=row.rep, team=row.team) if row.team
                    else row.rep for row in reps.itertuples()})
    left, right = st.columns([3, 2])
    choice = left.selectbox(t("funnel.focus"), list(options), format_func=options.__getitem__,
                            key="funnel_focus")
    measure_labels = {"reached": t("funnel.by_count"), "value": t("funnel.by_value")}
    measure = right.segmented_control(t("funnel.measure"), list(measure_labels), default="reached",
                                      format_func=measure_labels.__getitem__,
                                      key="funnel_measure") or "reached"
    kind, _, ident = (choice or "none").partition(":")
    if kind == "team":
        base, focus, rest = Scope(), Scope(team=ident), t("funnel.rest_teams")
        focus_name = ident
    elif kind == "rep":
        base, focus = scope, Scope(team=scope.team, rep_id=ident)
        rest = t("funnel.rest_of", scope=scope_name)
        focus_name = dict(zip(reps["rep_id"], reps["rep"])).get(ident, ident)
    else:
        base, focus, rest, focus_name = scope, None, "", scope_name
    frame = ui.query(metrics.funnel_compare, period.start, period.end, base, focus, tuple(stages))
    found = metrics.funnel_findings(frame)
    now = ui.query(metrics.kpis, period.start, period.end, focus or base)
    st.caption(t("funnel.cohort", period=period.label))
    unknown = int(frame["unknown"].iloc[0]) if len(frame) else 0
    if unknown:
        st.caption(tn("funnel.unknown_left_out", unknown, count=fmt.number(unknown), period=period.label))
    if int(frame["reached"].iloc[0]) == 0:
        st.info(t("funnel.no_deals_created", period=period.label))
    else:
        cards = st.columns(4)
        cards[0].metric(t("funnel.entered"), fmt.number(frame["reached"].iloc[0]),
                        help=t("funnel.entered_help"), border=True)
        cards[1].metric(t("funnel.won_of_entered"), fmt.number(frame["reached"].iloc[-1]), border=True)
        rest_overall = found["rest_overall"]
        cards[2].metric(
            t("funnel.overall_conversion"), fmt.pct(found["overall_conversion"]),
            delta=None if rest_overall is None else t(
                "funnel.vs_rest", change=fmt.points(found["overall_conversion"] - rest_overall, lang, short=True)),
            help=t("funnel.overall_help"), border=True)
        cards[3].metric(t("metric.win_rate"), fmt.pct(now["win_rate"]), help=t("overview.help_win_rate"),
                        border=True)
        drop = found["drop"]
        if drop:
            params = {"step_from": _stage_label(drop["from"]), "step_to": _stage_label(drop["to"]),
                      "conversion": fmt.pct(drop["conversion"], 0), "who": focus_name}
            if drop["rest_conversion"] is not None:
                st.warning(ui.tx("funnel.drop_vs", rest=rest, rest_conversion=fmt.pct(drop["rest_conversion"], 0),
                             **params))
            else:
                st.warning(ui.tx("funnel.drop", **params))
        gap = found["gap"]
        if gap and (not drop or gap["from"] != drop["from"]):
            st.info(ui.tx("funnel.gap", who=focus_name, step_from=_stage_label(gap["from"]),
                      step_to=_stage_label(gap["to"]), conversion=fmt.pct(gap["conversion"], 0),
                      rest=rest, rest_conversion=fmt.pct(gap["rest_conversion"], 0)))
        view = frame.assign(stage_label=frame["stage"].map(_stage_label))
        left, right = st.columns(2)
        with left:
            ui.chart(charts.funnel_stages(view, lang, measure, currency=ui.currency()), width="stretch")
        with right:
            if focus is not None:
                steps = []
                for i in range(len(view) - 1):
                    step = f"{view['stage_label'].iloc[i]} → {view['stage_label'].iloc[i + 1]}"
                    steps.append({"step": step, "who": focus_name, "conversion": view["conversion_to_next"].iloc[i]})
                    steps.append({"step": step, "who": rest, "conversion": view["rest_conversion"].iloc[i]})
                ui.chart(charts.funnel_steps(pd.DataFrame(steps), lang, focus_name, rest),
                                width="stretch")
            else:
                st.caption(t("funnel.pick_focus"))
        shown = view[["stage_label", "reached", "value", "conversion_to_next", "rest_conversion"]].copy()
        shown[["conversion_to_next", "rest_conversion"]] *= 100
        if focus is None:
            shown = shown.drop(columns="rest_conversion")
        table(shown, column_config={
            "stage_label": t("funnel.stage"),
            "reached": st.column_config.NumberColumn(t("funnel.reached"), format="%d"),
            "value": st.column_config.NumberColumn(t("funnel.value"), format=ui.money_pattern()),
            "conversion_to_next": st.column_config.NumberColumn(t("funnel.conversion"), format="%.1f%%"),
            "rest_conversion": st.column_config.NumberColumn(t("funnel.rest_conversion", rest=rest),
                                                             format="%.1f%%"),
        })

# --- sales cycle -----------------------------------------------------------------------------
with tab_cycle:
    overall = ui.query(metrics.cycle_by, period.start, period.end, scope, "all")
    if overall.empty:
        st.info(t("funnel.no_cycle", period=period.label))
    else:
        row = overall.iloc[0]
        cards = st.columns(4)
        cards[0].metric(t("funnel.median"), fmt.days(row["sales_cycle_days_median"], lang), border=True)
        cards[1].metric(t("funnel.mean"), fmt.days(row["sales_cycle_days"], lang), border=True)
        cards[2].metric(t("funnel.p75"), fmt.days(row["sales_cycle_days_p75"], lang), border=True)
        cards[3].metric(t("metric.deals_won"), fmt.number(row["deals_won"]), border=True)
        group_labels = {k: t(f"funnel.by_{k}") for k in ("rep", "product", "segment", "size_band", "team")}
        by = st.segmented_control(t("funnel.cycle_by"), list(group_labels), default="rep",
                                  format_func=group_labels.__getitem__, key="funnel_cycle_by") or "rep"
        groups = ui.query(metrics.cycle_by, period.start, period.end, scope, by)
        if by == "size_band":
            groups = groups.assign(label=[f"{ui.money(lo, wan=True)}–{ui.money(hi, wan=True)}"
                                          for lo, hi in zip(groups["band_min"], groups["band_max"])])
        groups = groups.assign(label=groups["label"].fillna(t("funnel.not_recorded")))
        left, right = st.columns(2)
        with left:
            ui.chart(charts.cycle_groups(groups, lang), width="stretch")
            st.caption(t("funnel.cycle_legend"))
        with right:
            hist = ui.query(metrics.cycle_histogram, period.start, period.end, scope)
            ui.chart(charts.cycle_histogram(hist, lang), width="stretch")
    st.subheader(t("funnel.cycle_trend"))
    trend = ui.query(metrics.cycle_trend, periods.trend_start(period), period.end, scope)
    ui.chart(charts.cycle_trend(trend, lang), width="stretch")

# --- velocity --------------------------------------------------------------------------------
with tab_velocity:
    prev_period = period.previous()
    vel = metrics.velocity_split(ui.query(metrics.kpis, period.start, period.end, scope),
                                 ui.query(metrics.kpis, prev_period.start, prev_period.end, scope))
    previous = prev_period.label
    st.caption(t("funnel.velocity_help", previous=previous))
    drivers = vel["drivers"]
    cards = [*st.columns(3), *st.columns(3)]   # five cards whole on a 1280 px screen
    cards[0].metric(t("metric.velocity"), ui.money(vel["velocity"], wan=True),
                    delta=None if vel["change"] is None else t("overview.vs_prev", change=f"{vel['change']:+.1%}"),
                    border=True)
    names = {"open_deals": t("metric.open_deals"), "win_rate": t("metric.win_rate"),
             "avg_deal_size": t("metric.avg_deal_size"), "sales_cycle_days": t("metric.sales_cycle_days")}
    shows = {"open_deals": fmt.number, "win_rate": fmt.pct,
             "avg_deal_size": lambda v: ui.money(v, wan=True),
             "sales_cycle_days": lambda v: fmt.days(v, lang)}
    for i, row in enumerate(drivers.itertuples(), start=1):
        change = None if pd.isna(row.change) else t("overview.vs_prev", change=f"{row.change:+.1%}")
        cards[i].metric(names[row.driver], shows[row.driver](row.now), delta=change,
                        delta_color="inverse" if row.driver == "sales_cycle_days" else "normal", border=True)
    if vel["lever"] is None:
        st.info(t("funnel.velocity_unknown", previous=previous))
    else:
        effect = vel["lever_effect"]
        st.info(t("funnel.velocity_lever", lever=names[vel["lever"]],
                  effect=("+" if effect >= 0 else "") + ui.money(effect, wan=True), previous=previous))
        ui.chart(charts.velocity_effects(drivers.assign(label=drivers["driver"].map(names)), lang,
                                         currency=ui.currency()),
                        width="stretch")

# --- stuck deals -----------------------------------------------------------------------------
with tab_stuck:
    idle = st.number_input(t("funnel.idle_days"), min_value=1, max_value=365, value=30, step=1,
                           key="funnel_idle_days", help=t("funnel.idle_help"))
    stuck = ui.query(metrics.stuck_deals, ctx.as_of, scope, int(idle))
    st.caption(t("funnel.stuck_help", date=ctx.as_of.isoformat()))
    if stuck.empty:
        st.success(t("funnel.no_stuck"))
    else:
        head = metrics.stuck_summary(stuck)
        cards = st.columns(3)
        cards[0].metric(t("funnel.stuck_count"), fmt.number(head["deals"]), border=True)
        cards[1].metric(t("funnel.stuck_value"), ui.money(head["value"], wan=True), border=True)
        cards[2].metric(t("funnel.stuck_idle"), fmt.number(head["idle"]), border=True)
        cols = {"rep": t("metric.rep"), "team": t("sidebar.team"), "customer": t("funnel.customer"),
                "deal": t("funnel.deal"), "stage": t("funnel.stage"), "amount": t("funnel.amount"),
                "age_days": t("funnel.age_days"), "stage_p75_days": t("funnel.stage_p75"),
                "idle_days": t("funnel.idle_col"), "expected_close_date": t("funnel.expected_close")}
        stuck_table = with_team_names(stuck)[list(cols)].rename(columns=cols)
        table(stuck_table, column_config={
            cols["amount"]: st.column_config.NumberColumn(format=ui.money_pattern()),
            cols["age_days"]: st.column_config.NumberColumn(format="%d"),
            cols["stage_p75_days"]: st.column_config.NumberColumn(format="%.0f"),
            cols["idle_days"]: st.column_config.NumberColumn(format="%d"),
        })
        downloads(stuck_table, t("funnel.stuck_file", date=ctx.as_of.isoformat()), "funnel_stuck")

# --- loss reasons ----------------------------------------------------------------------------
with tab_loss:
    loss_labels = {"deals_lost": t("funnel.by_count"), "value_lost": t("funnel.by_value")}
    loss_measure = st.segmented_control(t("funnel.measure"), list(loss_labels), default="deals_lost",
                                        format_func=loss_labels.__getitem__, key="funnel_loss_measure") \
        or "deals_lost"
    reasons = ui.query(metrics.loss_reasons, period.start, period.end, scope, loss_measure)
    lost = metrics.loss_summary(reasons)
    if reasons.empty:
        st.info(t("funnel.no_losses", period=period.label))
    elif not lost["recorded"]:
        needs_data("funnel.needs_lost_reason")
    else:
        st.info(tn("funnel.loss_top", lost["deals_lost"], reason=reason_label(lost["top_reason"]),
                  share=fmt.pct(lost["top_share"], 0), lost=fmt.number(lost["deals_lost"]),
                  value=ui.money(lost["value_lost"], wan=True)))
        view = reasons.assign(reason_label=reasons["reason"].map(reason_label))
        ui.chart(charts.loss_pareto(view, lang, loss_measure, currency=ui.currency()), width="stretch")
        left, right = st.columns(2)
        with left:
            st.subheader(t("funnel.loss_trend"))
            by_month = ui.query(metrics.loss_reasons_by, periods.trend_start(period), period.end,
                                scope, "month")
            ui.chart(charts.loss_stack(by_month.assign(reason_label=by_month["reason"].map(reason_label)),
                                              lang), width="stretch")
        with right:
            st.subheader(t("funnel.loss_by_rep"))
            by_rep = ui.query(metrics.loss_reasons_by, period.start, period.end, scope, "rep")
            ui.chart(charts.loss_stack(by_rep.assign(reason_label=by_rep["reason"].map(reason_label)),
                                              lang, normalize=True), width="stretch")

# --- forecast --------------------------------------------------------------------------------
with tab_forecast:
    live, switched = metrics.live_period(period, ctx.as_of)
    if switched:
        st.caption(t("funnel.forecast_switched", chosen=period.label, live=live.label,
                     date=ctx.as_of.isoformat()))
    fc = ui.query(metrics.forecast, live, ctx.as_of, scope, tuple(stages))
    cards = st.columns(4)
    cards[0].metric(t("funnel.won_so_far"), ui.money(fc["revenue_won"], wan=True), border=True,
                    help=t("funnel.won_so_far_help", elapsed=fmt.pct(fc["elapsed"], 0)))
    cards[1].metric(t("funnel.weighted"), ui.money(fc["weighted_pipeline"], wan=True), border=True,
                    help=t("funnel.weighted_help"))
    cards[2].metric(t("funnel.forecast"), ui.money(fc["forecast"], wan=True), border=True,
                    delta=None if fc["gap"] is None else t("funnel.vs_target",
                                                            change=ui.money(-fc["gap"], wan=True)))
    cards[3].metric(t("funnel.run_rate"), ui.money(fc["run_rate"], wan=True), border=True,
                    help=t("funnel.run_rate_help"))
    if fc["target"] is None:
        st.info(t("funnel.no_target", period=live.label))
    elif fc["gap"] > 0:
        st.warning(t("funnel.gap_short", gap=ui.money(fc["gap"], wan=True),
                     target=ui.money(fc["target"], wan=True), period=live.label))
    else:
        st.success(t("funnel.gap_ahead", gap=ui.money(-fc["gap"], wan=True),
                     target=ui.money(fc["target"], wan=True), period=live.label))
    parts = pd.DataFrame({"part": [t("funnel.won_so_far"), t("funnel.weighted")],
                          "amount": [fc["revenue_won"], fc["weighted_pipeline"]], "order": [0, 1]})
    ui.chart(charts.forecast_bar(parts, lang, fc["target"], fc["run_rate"],
                                 currency=ui.currency()), width="stretch")
    coverage = ui.query(metrics.kpis, live.start, live.end, scope)["pipeline_coverage"]
    if coverage is not None:
        st.caption(t("funnel.coverage") + f": {coverage:.1f}× · " + t("funnel.coverage_help", period=live.label))
    buckets = fc["buckets"].set_index("bucket")
    bucket_names = {b: t(f"funnel.bucket_{b}") for b in metrics.BUCKETS}
    if fc["overdue"]:
        st.warning(tn("funnel.overdue_note", fc["overdue"], count=fmt.number(fc["overdue"]), period=live.label,
                     value=ui.money(buckets.loc["overdue", "open_value"], wan=True)))
    if fc["not_dated"]:
        st.caption(tn("funnel.not_dated", fc["not_dated"], count=fmt.number(fc["not_dated"]),
                     value=ui.money(buckets.loc["not_dated", "open_value"], wan=True)))
    stage_rows = fc["stages"].assign(win_probability=fc["stages"]["win_probability"] * 100,
                                     bucket=fc["stages"]["bucket"].map(bucket_names))
    table(stage_rows, column_config={
        "bucket": t("funnel.bucket"),
        "stage": t("funnel.stage"),
        "open_deals": st.column_config.NumberColumn(t("funnel.expected_in_period"), format="%d"),
        "open_value": st.column_config.NumberColumn(t("funnel.open_value"), format=ui.money_pattern()),
        "win_probability": st.column_config.NumberColumn(t("funnel.win_probability"), format="%.1f%%"),
        "weighted": st.column_config.NumberColumn(t("funnel.weighted"), format=ui.money_pattern()),
    })
    deal_cols = {"deal": t("funnel.deal"), "rep": t("metric.rep"), "team": t("sidebar.team"),
                 "customer": t("funnel.customer"), "stage": t("funnel.stage"),
                 "amount": t("funnel.amount"), "expected_close_date": t("funnel.expected_close"),
                 "days_overdue": t("funnel.days_overdue")}
    for bucket, count in (("overdue", fc["overdue"]), ("not_dated", fc["not_dated"])):
        if not count:
            continue
        with st.expander(t(f"funnel.{bucket}_list", count=fmt.number(count))):
            listed = ui.query(metrics.forecast_deals, live, ctx.as_of, scope, bucket, tuple(stages))
            cols = dict(deal_cols) if bucket == "overdue" else {
                k: v for k, v in deal_cols.items() if k not in ("expected_close_date", "days_overdue")}
            shown = with_team_names(listed)[list(cols)].rename(columns=cols)
            table(shown, column_config={
                cols["amount"]: st.column_config.NumberColumn(format=ui.money_pattern()),
                **({cols["days_overdue"]: st.column_config.NumberColumn(format="%d")}
                   if bucket == "overdue" else {})})
            downloads(shown, t(f"funnel.{bucket}_file", date=ctx.as_of.isoformat()), f"funnel_{bucket}")

# --- forecast categories, the manager's call and its accuracy ---------------------------------
with tab_call:
    forecast_call.show(ctx)

# --- pipeline movement (deal history) ----------------------------------------------------------
with tab_movement:
    movement.show(ctx)

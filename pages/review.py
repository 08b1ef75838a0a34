"""Plan & review: the action plan on the eight rules, and the before/after effect of a change."""
from __future__ import annotations

import streamlit as st

from salescore import charts, evaluation, metrics, periods, ui
from salescore.errors import SalesCoreError
from salescore.scope import Scope
from salescore.ui import review as review_ui
from salescore.ui import t

ctx = ui.context()
lang = ctx.lang
st.title(t("review.title"))
st.caption(t("review.caption"))
ui.show_flash()

tab_plan, tab_eval = st.tabs([t("review.tab.plan"), t("review.tab.evaluate")])

# --- 1. action plan -----------------------------------------------------------------------------
with tab_plan:
    actions = ui.query(evaluation.list_actions, ctx.as_of)
    progress = ui.query(evaluation.progress_by_rule, ctx.as_of)

    st.subheader(t("review.plan.title"))
    st.caption(t("review.plan.caption"))
    n_overdue = evaluation.action_counts(actions)["overdue"]
    if n_overdue:
        st.warning(t("review.plan.overdue_count", count=n_overdue), icon=":material/alarm:")
        with st.expander(t("review.plan.overdue_title")):
            st.dataframe(review_ui.overdue_table(actions, lang), hide_index=True, width="stretch")
    if actions.empty:
        st.info(t("review.plan.empty"))

    version = st.session_state.setdefault("review_editor_v", 0)
    edited = st.data_editor(review_ui.editor_frame(actions, lang), key=f"review_editor_{version}",
                            num_rows="dynamic", hide_index=True, width="stretch",
                            column_order=review_ui.EDITOR_ORDER, column_config=review_ui.editor_columns(lang))
    _, problems = evaluation.clean_actions(edited)
    if problems:
        st.error(t("review.plan.problems") + "\n" + review_ui.problem_lines(problems, lang))
    if st.button(t("review.plan.save"), type="primary", key="review_save", icon=":material/save:"):
        if problems:
            st.error(t("review.plan.not_saved", count=len(problems)))
        else:
            try:
                counts = evaluation.save_actions(ui.con(), edited)
            except SalesCoreError as err:
                ui.show_error(err)
            else:
                changed = any(counts.values())
                ui.flash("success" if changed else "info",
                         t("review.plan.saved", **counts) if changed else t("review.plan.no_changes"))
                st.session_state["review_editor_v"] = version + 1
                st.rerun()

    st.subheader(t("review.plan.progress_title"))
    if progress.empty:
        st.info(t("review.plan.progress_empty"))
    else:
        st.caption(t("review.plan.progress_caption", date=ctx.as_of.isoformat() if ctx.as_of else "—"))
        chart_frame, table = review_ui.progress_frames(progress, lang)
        left, right = st.columns([3, 2])
        with left:
            ui.chart(charts.review_progress(chart_frame, lang), width="stretch")
        with right:
            st.dataframe(table, hide_index=True, width="stretch", column_config={
                t("review.col.share_done"): st.column_config.ProgressColumn(
                    t("review.col.share_done"), format="%.0f%%", min_value=0, max_value=100)})

    st.subheader(t("review.suggest.title"))
    st.caption(t("review.suggest.caption"))
    if not ctx.has_data:
        ui.no_data()
    else:
        if st.button(t("review.suggest.button"), key="review_suggest", icon=":material/lightbulb:"):
            st.session_state["review_show_suggestions"] = True
        if st.session_state.get("review_show_suggestions"):
            suggestions = ui.query(evaluation.suggest_actions, ctx.scope, ctx.as_of, lang)
            if suggestions.empty:
                st.info(t("review.suggest.none"))
            else:
                picked = st.data_editor(
                    review_ui.suggestion_frame(suggestions, lang), hide_index=True, width="stretch",
                    key=f"review_suggestions_{version}", column_config=review_ui.suggestion_columns(lang),
                    disabled=[c for c in suggestions.columns], column_order=[
                        "accept", "title", "rule", "owner", "due_date", "kpi", "goal", "reason"])
                if st.button(t("review.suggest.add"), key="review_add", icon=":material/playlist_add:"):
                    chosen = picked[picked["accept"].astype(bool)]
                    if chosen.empty:
                        st.warning(t("review.suggest.pick_none"))
                    else:
                        try:
                            added = evaluation.add_actions(
                                ui.con(), chosen[evaluation.SUGGEST_COLUMNS].drop(columns="reason"))
                        except SalesCoreError as err:
                            ui.show_error(err)
                        else:
                            ui.flash("success", t("review.suggest.added", count=added))
                            st.session_state["review_editor_v"] = version + 1
                            st.rerun()

# --- 2. evaluate a change -----------------------------------------------------------------------
with tab_eval:
    st.subheader(t("review.eval.title"))
    st.caption(t("review.eval.caption"))
    if not ctx.has_data:
        ui.no_data()
        st.stop()

    events = ui.query(evaluation.change_events)
    reps = ui.query(metrics.rep_options, Scope(team=ctx.scope.team))
    rep_labels, teams = review_ui.rep_choices(reps)
    options = review_ui.event_options(events, lang)
    by_key = {review_ui.event_key(r.source, r.name, r.change_date): r for r in events.itertuples(index=False)}

    def _apply_event() -> None:
        """Choosing a change fills in its date and, for a course, who attended vs the others."""
        row = by_key.get(st.session_state["review_event"])
        if row is None:
            return
        st.session_state["review_date"] = row.change_date
        attendees = [r for r in row.reps if r in rep_labels]
        st.session_state["review_treated_reps"] = attendees
        st.session_state["review_treated_teams"] = []
        st.session_state["review_compare"] = "others" if attendees else "none"

    if st.session_state.get("review_event") not in options:
        st.session_state["review_event"] = review_ui.default_event(events, ctx.as_of)
        st.session_state["review_date"] = ctx.as_of
        _apply_event()
    st.session_state.setdefault("review_date", ctx.as_of)

    st.selectbox(t("review.eval.event"), list(options), format_func=options.__getitem__,
                 key="review_event", on_change=_apply_event)
    kpi_labels = review_ui.labels("review.kpi", tuple(evaluation.KPIS), lang)
    c1, c2, c3, c4 = st.columns([2, 2, 1, 1])
    with c1:
        kpi = st.selectbox(t("review.eval.kpi"), list(kpi_labels), format_func=kpi_labels.__getitem__,
                           key="review_kpi")
    with c2:
        change = st.date_input(t("review.eval.date"), key="review_date")
    with c3:
        before_m = st.number_input(t("review.eval.months_before"), 1, 24, 6, key="review_months_before")
    with c4:
        after_m = st.number_input(t("review.eval.months_after"), 1, 24, 6, key="review_months_after")
    g1, g2 = st.columns(2)
    with g1:
        treated_teams = st.multiselect(t("review.eval.treated_teams"), teams, key="review_treated_teams",
                                       help=t("review.eval.treated_help"))
        treated_reps = st.multiselect(t("review.eval.treated_reps"), list(rep_labels),
                                      format_func=rep_labels.__getitem__, key="review_treated_reps",
                                      help=t("review.eval.treated_help"))
    compare_labels = review_ui.labels("review.eval.compare_opt", ("none", "others", "chosen"), lang)
    with g2:
        compare = st.radio(t("review.eval.compare"), list(compare_labels), format_func=compare_labels.__getitem__,
                           key="review_compare", horizontal=True)
        compare_teams, compare_reps = [], []
        if compare == "chosen":
            compare_teams = st.multiselect(t("review.eval.compare_teams"), teams, key="review_compare_teams")
            compare_reps = st.multiselect(t("review.eval.compare_reps"), list(rep_labels),
                                          format_func=rep_labels.__getitem__, key="review_compare_reps")

    treated, control = ui.query(evaluation.resolve_groups, tuple(treated_teams), tuple(treated_reps), compare,
                                tuple(compare_teams), tuple(compare_reps), Scope(team=ctx.scope.team))
    st.caption(t("review.eval.groups", treated=len(treated), control=len(control)))
    try:
        effect = ui.query(evaluation.evaluate_change, kpi, change, treated, control, int(before_m), int(after_m))
    except SalesCoreError as err:
        ui.show_error(err)
        st.stop()

    money = ui.currency()
    words = evaluation.render_change(effect, lang, money)
    st.caption(t("review.eval.windows", b0=effect.before[0].isoformat(), b1=effect.before[1].isoformat(),
                 a0=effect.after[0].isoformat(), a1=effect.after[1].isoformat()))
    head = effect.headline
    ci = t("review.eval.metric_ci", low=evaluation.format_change(kpi, head.low, lang, money),
           high=evaluation.format_change(kpi, head.high, lang, money))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("review.eval.metric_before"), evaluation.format_value(kpi, effect.treated_before, lang, money),
              border=True)
    m2.metric(t("review.eval.metric_after"), evaluation.format_value(kpi, effect.treated_after, lang, money),
              border=True)
    m3.metric(t("review.eval.metric_change"),
              evaluation.format_change(kpi, effect.treated_change, lang, money, short=True),
              help=None if effect.did is not None else ci, border=True)
    if effect.did is not None:
        m4.metric(t("review.eval.metric_did"),
                  evaluation.format_change(kpi, effect.did.estimate, lang, money, short=True),
                  help=ci, border=True)
    st.markdown(words["headline"])
    {"better": st.success, "worse": st.error}.get(effect.verdict, st.info)(words["verdict"])
    if words["caveats"]:
        st.markdown(f"**{t('review.eval.caveats')}**\n" + "\n".join(f"- {c}" for c in words["caveats"]))

    st.markdown(f"**{t('review.eval.chart_title', kpi=kpi_labels[kpi])}**")
    kind = evaluation.kpi_kind(kpi)
    ui.chart(charts.review_change(review_ui.monthly_frame(effect, lang), periods.month_label(change), lang,
                                  title=kpi_labels[kpi], percent=kind == "rate",
                                  currency=money if kind == "money" else None),
             width="stretch")

    st.subheader(t("review.eval.behaviour_title"))
    st.caption(t("review.eval.behaviour_caption"))
    behaviour = ui.query(evaluation.behaviour_effects, change, treated, control, int(before_m), int(after_m))
    st.dataframe(review_ui.behaviour_table(behaviour, lang), hide_index=True, width="stretch")

"""Team: rep profiles against the team, auto-SWOT with the manager's notes, role mix, training."""
from __future__ import annotations

import streamlit as st

from salescore import charts, fmt, team
from salescore import ui
from salescore.errors import SalesCoreError
from salescore.scope import Scope
from salescore.ui import assignments, t
from salescore.ui import team as team_ui
from salescore.ui.widgets import table, team_name, tn, with_team_names

ctx = ui.page("team.title")

period, scope, lang = ctx.period, ctx.scope, ctx.lang
money = ui.currency()      # the reporting currency's symbol ('' while it is not known)
year_start = team.window_start(period.end, 12)
st.caption(ui.tx("team.caption", period=period.label, scope=scope.team or t("sidebar.all_teams")))

profile = ui.query(team.profiles, period.start, period.end, scope)
if profile.empty:
    st.info(t("team.no_reps"))
    st.stop()

tab_profiles, tab_swot, tab_roles, tab_training = st.tabs(
    [t("team.tab.profiles"), t("team.tab.swot"), t("team.tab.roles"), t("team.tab.training")])

# --- 1. profiles ------------------------------------------------------------------------------
with tab_profiles:
    st.subheader(t("team.profiles.title"))
    st.caption(t("team.profiles.caption", z=team.Z_REP))
    for gap in team.missing_data(profile):
        st.info(t(f"team.missing.{gap}", period=period.label))
    ui.chart(charts.team_z_heatmap(team_ui.z_frame(profile), lang), width="stretch")
    with st.expander(t("team.profiles.table")):
        team_ui.profile_table(profile)

    reps = team_ui.rep_labels(profile)
    rep_id = st.selectbox(t("team.profiles.pick_rep"), list(reps), format_func=reps.__getitem__,
                          key="team_rep")
    row = profile[profile["rep_id"] == rep_id].iloc[0]
    team_ui.rep_cards(row)
    n = st.slider(t("team.profiles.trend_n"), 3, 12, 6, key="team_trend_n")
    trend = ui.query(team.rep_trend, period, rep_id, n)
    st.markdown(f"**{ui.tx('team.profiles.trend', rep=row['rep'], n=n)}**")
    ui.chart(charts.team_rep_trend(team_ui.trend_frame(trend), lang))

# --- 2. SWOT ----------------------------------------------------------------------------------
with tab_swot:
    st.subheader(t("team.swot.title"))
    values, labels = team.subject_options(profile)
    labels = team_ui.subject_labels(labels)
    left, right = st.columns([2, 1])
    with left:
        subject = st.selectbox(t("team.swot.subject"), values, format_func=labels.__getitem__,
                               key="team_subject")
    compare_labels = {c: t(f"team.compare.{c}") for c in ("previous", "last_year")}
    with right:
        compare = st.radio(t("team.swot.compare"), list(compare_labels),
                           format_func=compare_labels.__getitem__, horizontal=True, key="team_compare")
    kind, subject_id = subject.split(":", 1)
    items = ui.query(team.swot, period, kind, subject_id, compare)
    stored = ui.query(team.notes, kind, subject_id)
    content = team.board(stored, items, lang, money)
    team_ui.swot_board(content)

    def _save_auto() -> None:
        added = team.save_auto(ui.con(), kind, subject_id, items, lang, money)
        ui.flash("success", tn("team.swot.saved", added, count=added))

    b1, b2, b3 = st.columns(3)
    with b1:
        st.button(t("team.swot.save_auto"), on_click=ui.guarded(_save_auto), key="team_save_auto",
                  disabled=not len(items))
    with b2:
        title = t("team.swot.xlsx_title", subject=labels[subject], period=period.label)
        st.download_button(t("team.swot.download"), data=lambda: team.swot_xlsx(content, lang, title),
                           on_click="ignore", file_name=f"swot_{period.label}.xlsx", key="team_swot_xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    with b3:
        st.download_button(t("team.swot.download_png"), data=lambda: team.swot_png(content, lang, title),
                           on_click="ignore", key="team_swot_png", mime="image/png",
                           file_name=team.swot_file_name(subject_id, period.label, "png"))

    with st.expander(t("team.swot.edit")):
        version = st.session_state.get("team_notes_version", 0)
        quadrant_labels = {q: t(f"team.quadrant.{q}") for q in team.QUADRANTS}
        edited = st.data_editor(
            team_ui.notes_frame(stored), key=f"team_notes_{subject}_{version}", num_rows="dynamic",
            hide_index=True, placeholder="",
            width="stretch", column_order=["quadrant", "text", "origin"],
            column_config={
                "quadrant": st.column_config.SelectboxColumn(
                    t("team.col.quadrant"), options=list(team.QUADRANTS), required=True, default="S",
                    help=" · ".join(f"{q} = {name}" for q, name in quadrant_labels.items())),
                "text": st.column_config.TextColumn(t("team.col.text"), max_chars=team.MAX_NOTE, width="large"),
                "origin": st.column_config.TextColumn(t("team.col.origin"), disabled=True),
            })
        if st.button(t("team.swot.save_notes"), key="team_save_notes"):
            try:
                counts = team.sync_notes(ui.con(), kind, subject_id, edited)
            except SalesCoreError as err:
                ui.show_error(err)
            else:
                st.session_state["team_notes_version"] = version + 1
                ui.flash("success", t("team.swot.notes_saved", **counts))
                st.rerun()

    with st.expander(t("team.swot.how")):
        st.markdown(t("team.swot.rules", z_rep=team.Z_REP, z_team=team.Z_TEAM,
                      growth=fmt.pct(team.GROWTH, 0), share=fmt.pct(team.MIN_SHARE, 0),
                      deals=team.MIN_DEALS, months=team.LOSS_MONTHS, rise=fmt.pct(team.LOSS_RISE, 0),
                      top=team.CONCENTRATION_TOP, conc=fmt.pct(team.CONCENTRATION_SHARE, 0),
                      conc_months=team.CONCENTRATION_MONTHS))

# --- 3. role mix ------------------------------------------------------------------------------
with tab_roles:
    st.subheader(t("team.roles.title"))
    rules = team.RoleRules()
    st.caption(t("team.roles.window", start=year_start.isoformat(), end=period.end.isoformat()))
    year_profile = ui.query(team.profiles, year_start, period.end, scope)
    roles = team.classify(year_profile, rules)
    with st.container(border=True):
        st.markdown(t("team.roles.rules", min_won=rules.min_won, hunter=fmt.pct(rules.hunter_new_share, 0),
                      farmer=fmt.pct(rules.farmer_repeat_share, 0),
                      quantile=f"P{rules.closer_win_quantile * 100:.0f}"))
    comp = team.composition(roles)
    ui.chart(charts.team_role_mix(team_ui.role_frame(comp), lang), width="stretch")

    company_year = ui.query(team.profiles, year_start, period.end, Scope())  # = year_profile unfiltered
    company_roles = team.classify(company_year, rules)
    goals = ui.query(team.new_customer_targets, period)
    gaps = team.role_gaps(company_year, company_roles, goals)
    gaps = gaps[gaps["team"].isin(roles["team"].unique())]
    for rec in gaps[gaps["flagged"]].to_dict("records"):
        st.warning(ui.tx(f"team.roles.flag_{rec['basis']}", team=team_name(rec["team"]),
                     target=fmt.number(rec["new_customer_target"]),
                     share=fmt.pct(rec["new_revenue_share"], 0),
                     company=fmt.pct(rec["company_new_revenue_share"], 0)))
    if goals.empty:
        st.caption(t("team.roles.no_new_targets"))
    hire = team.next_hire(company_year, gaps, rules)
    if hire:
        st.info(fmt.md_escape(team_ui.hire_text(hire)), icon=":material/person_add:")

    role_labels = {r: t(f"team.role.{r}") for r in team.ROLES}
    shown = with_team_names(roles).assign(role=roles["role"].map(role_labels),
                         new_revenue_share=roles["new_revenue_share"] * 100,
                         repeat_revenue_share=roles["repeat_revenue_share"] * 100,
                         win_rate=roles["win_rate"] * 100, win_rate_p75=roles["win_rate_p75"] * 100)
    table(shown.drop(columns=["rep_id"]), column_config={
        "rep": t("metric.rep"), "team": t("sidebar.team"), "role": t("team.col.role"),
        "new_revenue_share": st.column_config.NumberColumn(t("team.metric.new_revenue_share"), format="%.0f%%"),
        "repeat_revenue_share": st.column_config.NumberColumn(t("team.metric.repeat_revenue_share"), format="%.0f%%"),
        "win_rate": st.column_config.NumberColumn(t("metric.win_rate"), format="%.1f%%"),
        "win_rate_p75": st.column_config.NumberColumn(t("team.col.win_rate_p75"), format="%.1f%%"),
        "sales_cycle_days": st.column_config.NumberColumn(t("metric.sales_cycle_days"), format="%.1f"),
        "sales_cycle_days_median": st.column_config.NumberColumn(t("team.col.cycle_median"), format="%.1f"),
        "deals_won": st.column_config.NumberColumn(t("metric.deals_won"), format="%d"),
        "revenue_won": st.column_config.NumberColumn(t("metric.revenue_won"), format=ui.money_pattern()),
    })
    assignments.moves_panel()                      # who moved team, from which day

# --- 4. training ------------------------------------------------------------------------------
with tab_training:
    st.subheader(t("team.training.title"))
    hours = ui.query(team.training_hours, year_start, period.end, scope)
    if hours.empty:
        st.info(t("team.missing.trainings"))
        st.page_link("pages/data.py", label=t("common.go_to_data"), icon=":material/upload_file:")
    else:
        st.caption(t("team.training.hours_caption", start=year_start.isoformat(), end=period.end.isoformat()))
        ui.chart(charts.team_training_hours(team_ui.hours_frame(hours), lang), width="stretch")

    st.markdown(f"**{t('team.training.links')}**")
    links = team_ui.training_links(profile, hours)
    if links.empty:
        st.caption(t("team.training.no_links", z=team.Z_REP))
    else:
        topic_labels = {x: t(f"team.topic.{x}") for x in team.TOPICS}
        table(with_team_names(links).assign(
            metric=links["metric"].map(lambda m: t(f"team.metric.{m}")),
            value=[team.format_value(m, v, lang, money) for m, v in zip(links["metric"], links["value"])],
            median=[team.format_value(m, v, lang, money) for m, v in zip(links["metric"], links["median"])],
            topic=links["topic"].map(topic_labels)).drop(columns=["rep_id"]),
            column_config={
                "rep": t("metric.rep"), "team": t("sidebar.team"), "metric": t("team.col.weakness"),
                "value": t("team.chart.value"), "median": t("team.chart.team_median"),
                "topic": t("team.col.topic"),
                "topic_hours": st.column_config.NumberColumn(t("team.col.topic_hours"), format="%.0f")})

    st.markdown(f"**{t('team.training.effect_title')}**")
    programmes = ui.query(team.courses)
    if programmes.empty:
        st.info(t("team.missing.trainings"))
    else:
        names = list(programmes["course"])
        default = team.default_course(programmes)
        c1, c2 = st.columns([2, 1])
        with c1:
            course = st.selectbox(t("team.training.course"), names, index=default, key="team_course")
        with c2:
            months = st.slider(t("team.training.months"), 3, 12, 12, key="team_months")
        try:
            effect = ui.query(team.programme_effect, course, months, scope)
        except SalesCoreError as err:
            ui.show_error(err)
        else:
            d = effect.did
            st.caption(t("team.training.windows", start=effect.start.isoformat(),
                         b0=effect.before[0].isoformat(), b1=effect.before[1].isoformat(),
                         a0=effect.after[0].isoformat(), a1=effect.after[1].isoformat()))
            m1, m2, m3 = st.columns([1, 2, 1])   # the interval is the card's widest value
            m1.metric(t("team.training.did"), fmt.points(d.estimate, lang, short=True), border=True)
            m2.metric(t("team.training.ci", level=f"{d.level:.0%}"),
                      f"{fmt.points(d.low, lang, short=True)} … {fmt.points(d.high, lang, short=True)}",
                      border=True)
            m3.metric(t("team.training.reps"), f"{d.n_treated} / {d.n_control}", border=True)
            sentence = team.render_effect(effect, lang)
            {"up": st.success, "down": st.warning}.get(effect.verdict, st.info)(sentence)
            ui.chart(charts.team_did(team_ui.did_frame(effect), lang), width="stretch")
            st.caption(t("team.training.method", n_boot=team.N_BOOT))

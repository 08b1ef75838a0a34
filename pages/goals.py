"""Goals: set the company target, decompose it to teams, reps and months, SMART check, pacing,
scenarios."""
from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from salescore import access, charts, fmt, goals, i18n, metrics, periods
from salescore import ui
from salescore.errors import SalesCoreError
from salescore.ui import goals as gui
from salescore.ui import t

ctx = ui.page("goals.title")
con = ui.con()
lang = ctx.lang
money = ui.currency()          # the reporting currency's symbol ('' while it is not known)
MONEY = ui.money_pattern()

# labels captured now: format functions must not read state later (TECH_NOTES, AppTest)
METRIC_LABELS = {m: t(f"goals.metric.{m}") for m in goals.METRICS}
MODE_LABELS = {"absolute": t("goals.mode_absolute"), "growth": t("goals.mode_growth")}
SPLIT_LABELS = {k: t(f"goals.split.{k}") for k in (*goals.SPLITS, "blend")}
SEASON_LABELS = {k: t(f"goals.season.{k}") for k in goals.SEASONALITY}
LEVEL_LABELS = {k: t(f"goals.scope.{k}") for k in ("company", "team", "rep")}
LETTER_LABELS = {k: t(f"goals.letter.{k}") for k in goals.LETTERS}
LIGHT_LABELS = {k: t(f"goals.light.{k}") for k in goals.LIGHTS}
NO_TEAM = t("goals.no_team")


def team_label(team: str) -> str:
    return team or NO_TEAM


BASE_SCENARIO = "base"            # the stored name of the scenario every database starts with
BASE_LABEL = t("goals.scenario_base")


def scen(name: str) -> str:
    """A scenario's name as the user reads it: the built-in 'base' in the user's language."""
    return BASE_LABEL if name == BASE_SCENARIO else name


def scen_key(typed: str) -> str:
    """The stored name for a name the user typed: the built-in one as it is shown in either
    language (the box keeps its text when the user switches language)."""
    shown = {BASE_SCENARIO, *(i18n.t("goals.scenario_base", lang_) for lang_ in i18n.LANGS)}
    return BASE_SCENARIO if typed.casefold() in {n.casefold() for n in shown} else typed


period_labels = {p.label: p for p in goals.period_choices(ctx.as_of, ctx.period)}
writable = access.can_write(ui.user())      # read-only roles see the buttons disabled, and why
tab_set, tab_smart, tab_pace, tab_scen = st.tabs(
    [t("goals.tab_set"), t("goals.tab_smart"), t("goals.tab_pacing"), t("goals.tab_scenarios")])


def read_only_note() -> None:
    if not writable:
        st.caption(t("goals.read_only"))


# --- Set & decompose -----------------------------------------------------------------------
def set_and_decompose() -> None:
    """The first tab: company target (what is saved, or a suggestion), split method, preview
    with overrides, save."""
    st.caption(t("goals.set_caption"))
    c1, c2, c3 = st.columns(3)
    metric = c1.selectbox(t("goals.metric_label"), goals.METRICS, format_func=METRIC_LABELS.__getitem__,
                          key="goals_metric")
    labels = list(period_labels)
    label = c2.selectbox(t("goals.period_label"), labels, index=labels.index(ctx.period.label),
                         key="goals_period", help=t("goals.period_help", as_of=ctx.as_of.isoformat()))
    period = period_labels[label]
    mode = c3.radio(t("goals.mode_label"), ("absolute", "growth"), format_func=MODE_LABELS.__getitem__,
                    horizontal=True, key="goals_mode")

    split = st.segmented_control(t("goals.split_label"), (*goals.SPLITS, "blend"), default="history",
                                 format_func=SPLIT_LABELS.__getitem__, key="goals_split") or "history"
    s1, s2, s3 = st.columns(3)
    hist_n = 12
    if split in ("history", "blend"):
        hist_n = s1.slider(t("goals.history_months"), 3, 24, 12, key="goals_hist_n")
    ramp_m, ramp_f = 3, 0.5
    if split in ("capacity", "blend"):
        ramp_m = s2.slider(t("goals.ramp_months"), 0, 12, 3, key="goals_ramp_m",
                           help=t("goals.ramp_help"))
        ramp_f = s3.slider(t("goals.ramp_factor"), 0.0, 1.0, 0.5, 0.05, key="goals_ramp_f")
    weights = {k: float(k == split) for k in goals.SPLITS}
    if split == "blend":
        b = st.columns(3)
        weights = {k: b[i].slider(t("goals.blend_weight", method=SPLIT_LABELS[k]), 0.0, 1.0,
                                  {"equal": 0.2, "history": 0.5, "capacity": 0.3}[k], 0.05,
                                  key=f"goals_w_{k}")
                   for i, k in enumerate(goals.SPLITS)}

    try:
        inputs = ui.query(goals.plan_inputs, period, metric, hist_n, ctx.as_of)
    except SalesCoreError as err:
        ui.show_error(err)
        return
    fmt_value = partial(goals.value_text, metric=metric, lang=lang, currency=money)
    amount = MONEY if metric == "revenue" else "%,.0f"
    ly = period.same_last_year()
    active = ui.query(metrics.active_scenario)
    saved = ui.query(goals.saved_goal, active, metric, period)
    suggestion = goals.default_target(period, inputs.last_year, metric)
    value_key = f"goals_value_{metric}_{period.label}"
    v1, v2 = st.columns([1, 2])
    try:
        if mode == "growth":
            saved_growth = saved["value"] * 100 if saved and saved["mode"] == "growth" else None
            growth = v1.number_input(t("goals.growth_label"), -100.0, 1000.0,
                                     saved_growth if saved_growth is not None else goals.DEFAULT_GROWTH * 100,
                                     1.0, key=f"goals_growth_{metric}_{period.label}")
            value = growth / 100
        else:
            start = saved["target"] if saved and saved["complete"] else suggestion
            value = gui.amount_input(v1, t("goals.value_label", metric=METRIC_LABELS[metric]), value_key,
                                     start)
    except SalesCoreError as err:
        ui.show_error(err)
        return
    note = v2.text_input(t("goals.note_label"), value=saved["note"] if saved else "",
                         key=f"goals_note_{metric}_{period.label}", placeholder=t("goals.note_placeholder"))
    saved_and_suggested(saved, suggestion, active, period, mode, value_key, fmt_value,
                        t("goals.last_year", period=ly.label, value=fmt_value(inputs.last_year)))

    with st.expander(t("goals.more_options")):
        m1, m2 = st.columns(2)
        season = m1.radio(t("goals.season_label"), goals.SEASONALITY, format_func=SEASON_LABELS.__getitem__,
                          key="goals_season", horizontal=True)
        profile = None
        if season == "profile":
            base_profile = pd.DataFrame({"month": [t(f"goals.cal.{m}") for m in range(1, 13)],
                                         "weight": [round(inputs.season[m], 2) for m in range(1, 13)]})
            edited = m1.data_editor(base_profile, key="goals_profile_editor", hide_index=True,
                                    disabled=["month"], num_rows="fixed",
                                    column_config={"month": t("chart.month"),
                                                   "weight": st.column_config.NumberColumn(
                                                       t("goals.weight"), min_value=0.0, step=0.05)})
            profile = tuple(float(v) if pd.notna(v) else 0.0 for v in edited["weight"])
        teams_in = sorted(set(inputs.reps["team"]))
        m2.markdown(t("goals.open_title"))
        open_from = m2.selectbox(t("goals.open_from"), period.months, key="goals_open_from")
        openings = {}
        for i, team in enumerate(teams_in):
            n = m2.number_input(t("goals.open_count", team=team_label(team)), 0, 50, 0, 1,
                                key=f"goals_open_{i}")
            if n:
                openings[team] = int(n)

    try:
        method = goals.Method(equal=weights["equal"], history=weights["history"],
                              capacity=weights["capacity"], history_months=hist_n, ramp_months=ramp_m,
                              ramp_factor=ramp_f, seasonality=season, profile=profile)
        goal = goals.CompanyGoal(period, metric, mode, value, note)
        company = t("goals.company")
        build = partial(goals.build_plan, goal, inputs, method, openings, open_from=open_from,
                        company_name=company)
        base = build()
    except SalesCoreError as err:
        ui.show_error(err)
        return

    months = list(base.months)
    plan, edits, error, refused = gui.plan_with_edits(lambda o: build(overrides=o), base,
                                                      (metric, period.label))
    if error is not None:
        ui.show_error(error)
        if refused:
            st.caption(t("goals.edit_refused"))

    k1, k2, k3 = st.columns(3)
    k1.metric(t("goals.company_target", period=period.label), fmt_value(plan.total), border=True)
    k2.metric(t("goals.reps_count"), fmt.number(len(plan.reps)), border=True)
    k3.metric(t("goals.changes"), fmt.number(edits.count), border=True)

    # what the active scenario holds, beside what saving would write (read-only columns)
    held = {level: ui.query(metrics.targets_by, months, level, metric=metric, scenario=active)
            .set_index("grp")["target"] for level in ("team", "rep")} if saved else None
    saved_cfg = st.column_config.NumberColumn(t("goals.col.saved", scenario=scen(active)), format=amount,
                                              help=t("goals.col.saved_help", scenario=scen(active)))
    st.subheader(t("goals.teams_title"))
    team_view = plan.teams[["team", "total"]].assign(team=plan.teams["team"].map(team_label))
    if held:
        team_view.insert(1, "saved", plan.teams["team"].map(held["team"]))
    st.data_editor(team_view, key=gui.editor_key(gui.TEAM_EDITOR), hide_index=True, num_rows="fixed",
                   disabled=["team", "saved"], width="content",
                   column_config={"team": t("sidebar.team"), "saved": saved_cfg,
                                  "total": st.column_config.NumberColumn(t("goals.col.total"),
                                                                         min_value=0, step=1, format=amount)})
    st.subheader(t("goals.reps_title"))
    st.caption(t("goals.override_help"))
    names = [goals.goal_label("rep", r, n, lang) for r, n in zip(plan.reps["rep_id"], plan.reps["rep"])]
    rep_view = plan.reps[["team", "total", *months]].copy()
    rep_view.insert(1, "rep", names)
    rep_view["team"] = rep_view["team"].map(team_label)
    if held:
        rep_view.insert(2, "saved", plan.reps["rep_id"].map(held["rep"]))
    month_cfg = {m: st.column_config.NumberColumn(m, min_value=0, step=1, format=amount) for m in months}
    st.data_editor(rep_view, key=gui.editor_key(gui.REP_EDITOR), hide_index=True, num_rows="fixed",
                   disabled=["team", "rep", "saved"],
                   column_config={"team": t("sidebar.team"), "rep": t("metric.rep"), "saved": saved_cfg,
                                  "total": st.column_config.NumberColumn(t("goals.col.total"), min_value=0,
                                                                         step=1, format=amount),
                                  **month_cfg})
    problems = goals.check_sums(plan)
    if problems:
        st.error(t("goals.not_adding_up"))
    else:
        st.success(t("goals.adds_up", total=fmt_value(plan.total), teams=len(plan.teams),
                     reps=len(plan.reps), months=len(months)))
    if edits:
        st.button(t("goals.clear"), key="goals_clear", on_click=gui.clear_overrides)
    chart_data = plan.teams.melt(id_vars=["team"], value_vars=months, var_name="month")
    chart_data["team"] = chart_data["team"].map(team_label)
    ui.chart(charts.goals_plan(chart_data, lang, money if metric == "revenue" else None), width="stretch")
    save_section(plan, goal, active, fmt_value, problems)


def saved_and_suggested(saved: dict | None, suggestion: float, active: str, period, mode: str,
                        value_key: str, fmt_value, last_year: str) -> None:
    """What the active scenario holds for the period, with last year and the suggestion as the
    alternative; in absolute mode, a button puts either into the target input."""
    if saved is None:
        st.caption(ui.tx("goals.saved_none", scenario=scen(active), period=period.label))
    else:
        how = (t("goals.saved_how_growth", growth=f"{saved['value']:+.0%}")
               if saved["mode"] == "growth" and saved["value"] is not None else "")
        value = fmt_value(saved["target"])
        what = (ui.tx("goals.saved_target", scenario=scen(active), period=period.label, value=value)
                if saved["complete"] else
                ui.tx("goals.saved_partial", scenario=scen(active), period=period.label, value=value,
                  months=saved["months"], total=period.n_months))
        st.info(f"{what} {how}".strip(), icon=":material/bookmark:")
    b1, b2 = st.columns([3, 1], vertical_alignment="center")
    b1.caption(last_year + " " + (
        t("goals.suggestion", value=fmt_value(suggestion), growth=f"{goals.DEFAULT_GROWTH:+.0%}")
        if suggestion > 0 else t("goals.suggestion_none")))
    if mode != "absolute":
        return
    typed = st.session_state.get(value_key)
    if saved is not None and saved["complete"] and typed != fmt.number(saved["target"]):
        b2.button(t("goals.use_saved"), key="goals_use_saved", on_click=gui.set_amount,
                  args=(value_key, saved["target"]))
    elif suggestion > 0 and typed != fmt.number(suggestion):
        b2.button(t("goals.use_suggestion"), key="goals_use_suggestion", on_click=gui.set_amount,
                  args=(value_key, suggestion))


def save_section(plan: goals.Plan, goal: goals.CompanyGoal, active: str, fmt_value,
                 problems: list[str]) -> None:
    """Save as a scenario; replacing what the active scenario holds for these months needs a
    tick first (pacing, the Overview and the incentive plans read it)."""
    st.subheader(t("goals.save_title"))
    sv1, sv2 = st.columns([2, 1])
    sv1.text_input(t("goals.scenario_name"), value=scen(active), key="goals_save_name",
                   help=t("goals.scenario_help"))
    sv2.checkbox(t("goals.make_active"), key="goals_save_active")
    name = scen_key(str(st.session_state.get("goals_save_name") or "").strip())
    held = ui.query(goals.saved_goal, name, goal.metric, goal.period) if name else None
    confirm_needed = held is not None and name == active
    confirmed = True
    if confirm_needed:
        st.warning(ui.tx("goals.replace_warning", scenario=scen(name), period=goal.period.label,
                     saved=fmt_value(held["target"]), new=fmt_value(plan.total)))
        confirmed = st.checkbox(ui.tx("goals.replace_confirm", scenario=scen(name)), key="goals_confirm_replace")
    elif held is not None:
        st.caption(ui.tx("goals.replace_note", scenario=scen(name), period=goal.period.label,
                     saved=fmt_value(held["target"])))

    def _save(plan: goals.Plan, goal: goals.CompanyGoal) -> None:
        name = scen_key(str(st.session_state.get("goals_save_name") or "").strip())
        if (name == metrics.active_scenario(con) and goals.saved_goal(con, name, goal.metric, goal.period)
                and not st.session_state.get("goals_confirm_replace")):
            raise SalesCoreError("Tick the box to replace the saved targets: nothing was saved.",
                                 key="goals.err.confirm_replace", scenario=scen(name))
        st.session_state.pop("goals_confirm_replace", None)     # the next replacement asks again
        rows = goals.save_plan(con, name, plan, goal)
        if st.session_state.get("goals_save_active"):
            goals.set_active(con, name)
        ui.flash("success", t("goals.saved", rows=fmt.number(rows), scenario=scen(name),
                              period=goal.period.label))

    st.button(t("goals.save"), type="primary", key="goals_save",
              on_click=ui.guarded(partial(_save, plan, goal)),
              disabled=bool(problems) or not writable or not confirmed)
    read_only_note()


with tab_set:
    set_and_decompose()

# --- SMART check ---------------------------------------------------------------------------
def smart_tab() -> None:
    """SMART verdicts of any saved period of a scenario (future ones too), goal by goal."""
    scen_names = list(ui.query(goals.scenarios)["scenario"])
    if not scen_names:
        st.info(t("goals.no_scenarios"))
        return
    a1, a2, a3 = st.columns(3)
    scen_pick = a1.selectbox(t("goals.scenario"), scen_names, format_func=scen, key="goals_smart_scenario")
    smetric = a2.selectbox(t("goals.metric_label"), goals.METRICS, format_func=METRIC_LABELS.__getitem__,
                           key="goals_smart_metric")
    saved = {p.label: p for p in ui.query(goals.saved_periods, (scen_pick,), smetric)}
    if not saved:
        st.info(ui.tx("goals.smart_no_periods", scenario=scen(scen_pick), metric=METRIC_LABELS[smetric]))
        return
    labels = list(saved)
    picked = a3.selectbox(t("goals.smart_period"), labels, key="goals_smart_period",
                          index=labels.index(ctx.period.label) if ctx.period.label in labels else 0,
                          help=t("goals.smart_period_help"))
    period = saved[picked]
    st.caption(t("goals.smart_caption", period=period.label))
    check = ui.query(goals.smart_for, scen_pick, period, smetric, ctx.as_of)
    if check.empty:
        st.info(ui.tx("goals.smart_none", scenario=scen(scen_pick), period=period.label))
        return
    grid = goals.smart_grid(check, lang)
    only_warn = st.toggle(t("goals.only_warnings"), key="goals_smart_warn")
    shown = grid[grid["warnings"] > 0] if only_warn else grid
    st.dataframe(shown.drop(columns=["scope", "scope_id"]), hide_index=True, width="stretch",
                 column_config={"goal": t("goals.col.goal"),
                                "target": st.column_config.NumberColumn(
                                    t("metric.target"), format=MONEY if smetric == "revenue" else "%,.0f"),
                                "warnings": st.column_config.NumberColumn(t("goals.col.warnings"),
                                                                          format="%d"),
                                **{k: LETTER_LABELS[k] for k in goals.LETTERS}})
    labels = dict(zip(grid["goal"], zip(grid["scope"], grid["scope_id"])))
    pick = st.selectbox(t("goals.smart_goal"), list(labels), key="goals_smart_goal")
    scope, sid = labels.get(pick, next(iter(labels.values())))
    detail = goals.smart_text(check[(check["scope"] == scope) & (check["scope_id"] == sid)], lang, money)
    st.dataframe(pd.DataFrame({
        t("goals.col.letter"): [LETTER_LABELS[x] for x in detail["letter"]],
        t("goals.col.verdict"): ["✓" if ok else "⚠" for ok in detail["ok"]],
        t("goals.col.reason"): detail["sentence"]}), hide_index=True, width="stretch")
    st.caption(t("goals.smart_thresholds"))


with tab_smart:
    smart_tab()

# --- Pacing --------------------------------------------------------------------------------
with tab_pace:
    current = periods.containing(ctx.as_of, ctx.period.kind)
    pace_options = {p.label: p for p in (ctx.period, current)}
    pace_label = st.radio(t("goals.pacing_period"), list(pace_options), horizontal=True, key="goals_pace_period",
                          help=t("goals.pacing_period_help", current=current.label))
    pace_period = pace_options[pace_label]
    elapsed, total_days = goals.time_elapsed(pace_period, ctx.as_of)
    st.caption(t("goals.pacing_caption", period=pace_period.label, as_of=ctx.as_of.isoformat(),
                 elapsed=elapsed, total=total_days, scenario=scen(ui.query(metrics.active_scenario))))
    pace = ui.query(goals.pacing, pace_period, ctx.as_of, ctx.scope)
    if not goals.has_targets(pace):
        st.info(t("goals.pacing_no_targets"))
    else:
        def pace_table(frame: pd.DataFrame, first: str) -> None:
            view = frame.assign(light=frame["light"].map(lambda k: f"{gui.LIGHT_ICON[k]} {LIGHT_LABELS[k]}"))
            cols = ["light", "name", "team", "target", "actual", "attainment", "time_share", "forecast",
                    "pipeline_coverage", "per_day"]
            view = view[cols] if first == "rep" else view[[c for c in cols if c != "team"]]
            for c in ("attainment", "time_share"):
                view[c] = view[c] * 100
            st.dataframe(view, hide_index=True, width="stretch", column_config={
                "light": t("goals.col.light"),
                "name": t("metric.rep") if first == "rep" else t("sidebar.team"),
                "team": t("sidebar.team"),
                "target": st.column_config.NumberColumn(t("metric.target"), format=MONEY),
                "actual": st.column_config.NumberColumn(t("goals.col.actual"), format=MONEY),
                "attainment": st.column_config.NumberColumn(t("metric.attainment"), format="%.0f%%"),
                "time_share": st.column_config.NumberColumn(t("goals.col.time_share"), format="%.0f%%"),
                "forecast": st.column_config.NumberColumn(t("goals.col.forecast"), format=MONEY),
                "pipeline_coverage": st.column_config.NumberColumn(t("goals.col.coverage"),
                                                                   format="%.1f×"),
                "per_day": st.column_config.NumberColumn(t("goals.col.per_day"), format=MONEY)})

        team_rows = pace[pace["level"] == "team"]
        rep_rows = pace[pace["level"] == "rep"]
        counts = goals.light_counts(pace, "rep")
        for col, key in zip(st.columns(3), ("red", "amber", "green")):
            col.metric(f"{gui.LIGHT_ICON[key]} {LIGHT_LABELS[key]}", counts[key], border=True)
        st.subheader(t("goals.pacing_teams"))
        pace_table(team_rows, "team")
        st.subheader(t("goals.pacing_reps"))
        pace_table(rep_rows, "rep")
        ui.chart(charts.goals_pacing(rep_rows.assign(light_label=rep_rows["light"].map(LIGHT_LABELS)), lang,
                                     periods.pace(pace_period, ctx.as_of)), width="stretch")
        st.caption(t("goals.lights_help"))

# --- Scenarios -----------------------------------------------------------------------------
with tab_scen:
    table = ui.query(goals.scenarios)
    if table.empty:
        st.info(t("goals.no_scenarios"))
    else:
        shown_table = table.assign(
            scenario=table["scenario"].map(scen),
            active=table["active"].map({True: "★", False: ""}),
            metrics=[" · ".join(METRIC_LABELS.get(m, m) for m in str(v).split(", ")) for v in table["metrics"]])
        st.dataframe(shown_table, hide_index=True,
                     width="stretch", column_config={
                         "scenario": t("goals.scenario"), "metrics": t("goals.col.metrics"),
                         "first": t("goals.col.first"), "last": t("goals.col.last"),
                         "rows": st.column_config.NumberColumn(t("goals.col.rows"), format="%d"),
                         "revenue": st.column_config.NumberColumn(t("goals.col.revenue"), format=MONEY),
                         "active": t("goals.col.active")})
        names = list(table["scenario"])
        st.subheader(t("goals.compare_title"))
        q1, q2, q3, q4 = st.columns(4)
        picked = q1.multiselect(t("goals.compare_pick"), names, default=names[:2], format_func=scen,
                                key="goals_cmp")
        cmp_metric = q2.selectbox(t("goals.metric_label"), goals.METRICS, format_func=METRIC_LABELS.__getitem__,
                                  key="goals_cmp_metric")
        cmp_periods = {p.label: p for p in ui.query(goals.saved_periods, tuple(picked), cmp_metric)}
        cmp_labels = list(cmp_periods)
        cmp_at = cmp_labels.index(ctx.period.label) if ctx.period.label in cmp_labels else 0
        cmp_label = q3.selectbox(t("goals.period_label"), cmp_labels, index=cmp_at, key="goals_cmp_period")
        level = q4.radio(t("goals.level"), ("company", "team", "rep"), index=1,
                         format_func=LEVEL_LABELS.__getitem__, key="goals_cmp_level", horizontal=True)
        if picked and cmp_label:
            side = ui.query(goals.compare, tuple(picked), tuple(cmp_periods[cmp_label].months),
                            cmp_metric, level)
            side = side.assign(name=[goals.goal_label(level, g, n, lang)
                                     for g, n in zip(side["grp"], side["name"])])
            cmp_format = MONEY if cmp_metric == "revenue" else "%,.0f"
            st.dataframe(side.drop(columns=["grp"]), hide_index=True, width="stretch", column_config={
                "name": LEVEL_LABELS[level],
                **{n: st.column_config.NumberColumn(scen(n), format=cmp_format) for n in picked},
                "difference": st.column_config.NumberColumn(t("goals.col.difference"), format=cmp_format)})
        elif picked:
            st.info(t("goals.compare_none", metric=METRIC_LABELS[cmp_metric]))

        st.subheader(t("goals.active_title"))
        current = ui.query(metrics.active_scenario)
        x1, x2 = st.columns([2, 1])
        x1.selectbox(t("goals.scenario"), names, index=names.index(current) if current in names else 0,
                     format_func=scen, key="goals_make_active")

        def _activate() -> None:
            name = st.session_state["goals_make_active"]
            goals.set_active(con, name)
            ui.flash("success", t("goals.activated", scenario=scen(name)))

        x2.button(t("goals.make_active_button"), key="goals_activate", on_click=ui.guarded(_activate),
                  disabled=not writable)
        read_only_note()
        st.caption(ui.tx("goals.active_help", scenario=scen(current)))

        st.subheader(t("goals.export_title"))
        # built only when clicked (deferred data): a large scenario takes a moment to write
        st.download_button(t("goals.export_button", scenario=scen(current)),
                           data=partial(goals.export_xlsx, con, lang), on_click="ignore",
                           file_name=f"targets_{current}.xlsx", key="goals_export",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if access.may_open(ui.user(), "data"):      # the Data page is hidden from read-only roles
        st.page_link("pages/data.py", label=t("goals.import_link"), icon=":material/upload_file:")

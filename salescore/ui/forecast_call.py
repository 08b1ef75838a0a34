"""The Funnel page's "Forecast call" tab (DESIGN.md section 8): the open deals of the running
period by forecast category, rolled up rep -> team -> company, the manager's own calls with a
note, "submit forecast" and how past submissions compared with what was won. Figures come from
salescore.history.forecast; session keys start with ``fcall_``."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from salescore import access, fmt, metrics
from salescore import ui
from salescore.errors import SalesCoreError
from salescore.history import forecast
from salescore.periods import Period
from salescore.ui import cache, t
from salescore.ui.funnel import downloads
from salescore.ui.widgets import table, team_name, tn

for _name in ("rollup", "category_deals", "accuracy", "bands", "adjustments"):
    cache.register(f"history.forecast.{_name}", getattr(forecast, _name))


def _labels() -> dict[str, str]:
    return {c: t(f"fcall.cat.{c}") for c in forecast.CATEGORIES}


def _shown_rollup(frame: pd.DataFrame) -> pd.DataFrame:
    """The roll-up as a table: the company, each team and its reps indented under it."""
    names = []
    for r in frame.itertuples():
        if r.level == "company":
            names.append(t("fcall.company"))
        elif r.level == "team":
            names.append(team_name(r.name))
        else:
            names.append("\u3000· " + str(r.name))
    return frame.assign(name=names, adjusted=["✎" if a else "" for a in frame["adjusted"]])


def _save_call(period: Period, key: str) -> None:
    choice = st.session_state.get("fcall_who")
    if not choice:
        return
    level, _, ident = str(choice).partition(":")
    commit = st.session_state.get("fcall_commit")
    best = st.session_state.get("fcall_best")
    note = str(st.session_state.get("fcall_note", "")).strip()
    if key == "clear":
        forecast.adjust(ui.con(), period, level, ident, None, None)
        ui.flash("success", t("fcall.cleared"))
        return
    if commit is None and best is None:
        raise SalesCoreError("Type a commit or a best-case call.", key="fcall.need_value")
    forecast.adjust(ui.con(), period, level, ident, commit, best, note)
    ui.flash("success", t("fcall.saved"))


def _submit(period: Period, when) -> None:
    number = forecast.submit(ui.con(), period, when, note=str(st.session_state.get("fcall_sub_note", "")))
    ui.flash("success", t("fcall.submitted", number=number, period=period.label, date=when.isoformat()))


def _save_bands() -> None:
    values = {k: float(st.session_state.get(f"fcall_band_{k}", v * 100)) / 100
              for k, v in forecast.DEFAULT_BANDS.items()}
    forecast.save_bands(ui.con(), values)
    ui.flash("success", t("fcall.bands_saved"))


def show(ctx) -> None:
    """The tab on the page's period (the running one when the chosen period has ended) and scope."""
    live, switched = metrics.live_period(ctx.period, ctx.as_of)
    if switched:
        st.caption(t("funnel.forecast_switched", chosen=ctx.period.label, live=live.label,
                     date=ctx.as_of.isoformat()))
    when, scope = ctx.as_of, ctx.scope
    frame = ui.query(forecast.rollup, live, when, scope)
    deals = ui.query(forecast.category_deals, live, when, scope)
    band = ui.query(forecast.bands)
    labels = _labels()
    from_crm = int((deals["source"] == "crm").sum())
    st.caption(t("fcall.caption", period=live.label, date=when.isoformat(),
                 commit=fmt.pct(band["commit"], 0), best=fmt.pct(band["best_case"], 0),
                 pipeline=fmt.pct(band["pipeline"], 0))
               + " " + tn("fcall.from_crm", from_crm, count=fmt.number(from_crm)))
    top = frame.iloc[0]
    goal = ui.query(metrics.target, tuple(live.months), scope)
    cards = st.columns(4)
    cards[0].metric(t("funnel.won_so_far"), ui.money(top["won"], wan=True), border=True)
    cards[1].metric(t("fcall.commit_call"), ui.money(top["commit_call"], wan=True), border=True,
                    delta=None if goal is None else t("funnel.vs_target", change=ui.money(top["commit_call"] - goal, wan=True)),
                    help=t("fcall.commit_help"))
    cards[2].metric(t("fcall.best_case_call"), ui.money(top["best_case_call"], wan=True), border=True,
                    help=t("fcall.best_help"))
    cards[3].metric(labels["pipeline"], ui.money(top["pipeline"], wan=True), border=True,
                    help=tn("fcall.deals_in", int((deals["category"] == "pipeline").sum()),
                            count=fmt.number(int((deals["category"] == "pipeline").sum()))))
    money = st.column_config.NumberColumn(format=ui.money_pattern())
    shown = _shown_rollup(frame)
    cols = {"name": t("fcall.who"), "won": t("funnel.won_so_far"), **labels,
            "commit_call": t("fcall.commit_call"), "best_case_call": t("fcall.best_case_call"),
            "adjusted": t("fcall.adjusted"), "note": t("fcall.note")}
    table(shown[list(cols)].rename(columns=cols), height=min(38 + 35 * len(shown), 420), column_config={
        **{cols[c]: money for c in ("won", *forecast.CATEGORIES, "commit_call", "best_case_call")},
        cols["adjusted"]: st.column_config.TextColumn(width="small")})

    writable = access.can_write(ui.user())
    left, right = st.columns(2)
    with left.expander(t("fcall.adjust_title")):
        if not writable:
            st.caption(t("fcall.read_only"))
        options = {f"team:{r.scope_id}": team_name(r.name) for r in frame[frame["level"] == "team"].itertuples()}
        options.update({f"rep:{r.scope_id}": f"{r.name} · {team_name(r.team)}"
                        for r in frame[frame["level"] == "rep"].itertuples()})
        st.selectbox(t("fcall.who"), list(options), format_func=options.get, key="fcall_who")
        with st.form("fcall_form", border=False):
            c = st.columns(2)
            c[0].number_input(t("fcall.commit_call"), min_value=0.0, step=10_000.0, value=None,
                              format="%.0f", key="fcall_commit")
            c[1].number_input(t("fcall.best_case_call"), min_value=0.0, step=10_000.0, value=None,
                              format="%.0f", key="fcall_best")
            st.text_input(t("fcall.note"), key="fcall_note", max_chars=300)
            b = st.columns(2)
            b[0].form_submit_button(t("fcall.save"), type="primary", disabled=not writable,
                                    on_click=ui.guarded(lambda: _save_call(live, "save")))
            b[1].form_submit_button(t("fcall.clear"), disabled=not writable,
                                    on_click=ui.guarded(lambda: _save_call(live, "clear")))
    with right.expander(t("fcall.submit_title")):
        st.caption(t("fcall.submit_help", period=live.label, date=when.isoformat()))
        st.text_input(t("fcall.submission_note"), key="fcall_sub_note", max_chars=300)
        st.button(t("fcall.submit", period=live.label), key="fcall_submit", type="primary",
                  disabled=not writable, help=None if writable else t("fcall.read_only"),
                  on_click=ui.guarded(lambda: _submit(live, when)))

    st.subheader(t("fcall.accuracy_title"))
    acc = ui.query(forecast.accuracy, when)
    if acc.empty:
        st.caption(t("fcall.no_submissions"))
    else:
        st.caption(t("fcall.accuracy_help"))
        view = acc.assign(as_of=pd.to_datetime(acc["as_of"]).dt.date,
                          state=[t("fcall.final") if f else t("fcall.to_date") for f in acc["finished"]],
                          commit_error=acc["commit_error"] * 100, best_case_error=acc["best_case_error"] * 100)
        cols = {"period": t("fcall.period"), "as_of": t("fcall.as_of"), "commit_call": t("fcall.commit_call"),
                "best_case_call": t("fcall.best_case_call"), "actual": t("fcall.actual"),
                "state": t("fcall.state"), "commit_error": t("fcall.commit_error"),
                "best_case_error": t("fcall.best_case_error"), "submitted_by": t("fcall.submitted_by")}
        pct = st.column_config.NumberColumn(format="%+.1f%%")
        table(view[list(cols)].rename(columns=cols), column_config={
            **{cols[c]: money for c in ("commit_call", "best_case_call", "actual")},
            cols["commit_error"]: pct, cols["best_case_error"]: pct})

    with st.expander(tn("fcall.deals_title", len(deals), count=fmt.number(len(deals)))):
        listed = deals.assign(category=deals["category"].map(labels),
                              source=[t(f"fcall.source.{s}") for s in deals["source"]],
                              win_probability=deals["win_probability"] * 100,
                              team=[team_name(x) for x in deals["team"]])
        cols = {"deal": t("funnel.deal"), "rep": t("metric.rep"), "team": t("sidebar.team"),
                "stage": t("funnel.stage"), "amount": t("funnel.amount"),
                "expected_close_date": t("funnel.expected_close"),
                "win_probability": t("funnel.win_probability"), "category": t("fcall.category"),
                "source": t("fcall.source_col")}
        out = listed[list(cols)].rename(columns=cols)
        table(out, column_config={cols["amount"]: money,
                                  cols["win_probability"]: st.column_config.NumberColumn(format="%.0f%%")})
        downloads(out, t("fcall.deals_file", period=live.label, date=when.isoformat()), "fcall_deals")

    with st.expander(t("fcall.bands_title")):
        st.caption(t("fcall.bands_help"))
        c = st.columns(3)
        for i, key in enumerate(("commit", "best_case", "pipeline")):
            c[i].number_input(labels[key] + " ≥ %", 0.0, 100.0, value=round(band[key] * 100, 1), step=5.0,
                              key=f"fcall_band_{key}")
        st.button(t("fcall.bands_save"), key="fcall_bands_save", disabled=not writable,
                  on_click=ui.guarded(_save_bands))

"""Widgets of the Retention page: quadrant cards, the at-risk and growth tables, the what-if
plan picker and the sentences that describe moves. Figures come from salescore.retention;
this module only translates codes and formats."""
from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from salescore import fmt, incentives, periods, retention
from salescore.incentives import Plan
from salescore.ui import incentives as sim   # the same plan names as on the Incentives page
from salescore.ui import money_pattern, t
from salescore.ui.text import lang
from salescore.ui.widgets import table, team_name, tn, with_team_names


def quadrant_names() -> dict[str, str]:
    return {q: t(f"retention.quadrant.{q}") for q in retention.QUADRANTS}


def default_plan() -> Plan:
    """The Standard template, named in the user's language (when no plan is saved)."""
    return incentives.template("standard", name=t("incentives.template.standard"))


def plan_caption(active: retention.ActivePlan | None, as_of: Any) -> None:
    """Which plan the page uses, or why it falls back to the Standard template."""
    if active is None:
        st.info(t("retention.no_plan"))
        st.page_link("pages/incentives.py", label=t("retention.go_to_incentives"), icon=":material/payments:")
    elif not active.in_force:
        st.caption(t("retention.plan_not_in_force", date=str(as_of), name=active.name,
                     start=str(active.effective_from)))
    elif active.effective_from is None:
        st.caption(t("retention.plan_undated", name=active.name, version=active.version))
    else:
        st.caption(t("retention.plan_caption", name=active.name, version=active.version,
                     date=str(active.effective_from)))


def period_note(chosen: periods.Period, period: periods.Period, default: periods.Period,
                as_of: date) -> None:
    """Why the quadrant opens on another pay period than the sidebar's: the sidebar period's
    pay period is still running, and pay is settled per whole period (default_pay_period)."""
    running = periods.containing(periods.to_date_end(chosen, as_of), default.kind)
    if period == default and running != default and periods.is_running(running, as_of):
        st.caption(t("retention.period_settled", sidebar=periods.period_label(chosen, as_of, lang()),
                     period=default.label, running=running.label))


def running_warning(period: periods.Period, as_of: date) -> None:
    """A running pay period is provisional: say so, with the last complete one."""
    if periods.is_running(period, as_of):
        st.warning(t("retention.period_running", period=period.label, date=as_of.isoformat(),
                     complete=periods.latest_complete(as_of, period.kind).label))


def quadrant_cards(counts: dict[str, int]) -> None:
    """One card per quadrant with its head count (exploited last, in red)."""
    names = quadrant_names()
    cols = st.columns(4)
    for col, q in zip(cols, ("fair", "loyalty", "avoid", "exploited")):
        col.metric(names[q], fmt.number(counts[q]), border=True)


def definitions(frame: pd.DataFrame) -> None:
    with st.expander(t("retention.definitions")):
        factor = float(frame["seasonal_factor"].iloc[0]) if len(frame) else 1.0
        seasonal = t("retention.def_seasonal", factor=f"{factor:.2f}") if factor != 1.0 else ""
        st.markdown(t("retention.def_difficulty", seasonal=seasonal))
        st.markdown(t("retention.def_reward"))
        st.markdown(t("retention.def_lines", difficulty=fmt.pct(frame["difficulty_line"].iloc[0], 0),
                      reward=fmt.pct(frame["reward_line"].iloc[0], 0)))
        st.markdown(t("retention.def_risk"))


def _flags(values: pd.Series) -> list[str]:
    labels = {f: t(f"retention.flag.{f}") for f in
              ("no_quota", "short_history", "no_past_revenue", "no_baseline", "team_mix", "no_target_pay")}
    return ["; ".join(labels.get(f, f) for f in str(v).split(",") if f) for v in values.fillna("")]


def _config() -> dict[str, Any]:
    money = money_pattern(0)     # the reporting currency of this run's database
    return {
        "rep": t("retention.col.rep"), "team": t("retention.col.team"),
        "top_performer": st.column_config.CheckboxColumn(t("retention.col.top")),
        "quadrant": t("retention.col.quadrant"),
        # difficulty and reward are ratios shown as percentages, as in the deck (211%, not 2.11)
        "difficulty": st.column_config.NumberColumn(t("retention.col.difficulty"), format="%.0f%%"),
        "reward": st.column_config.NumberColumn(t("retention.col.reward"), format="%.0f%%"),
        "quota": st.column_config.NumberColumn(t("retention.col.quota"), format=money),
        "baseline": st.column_config.NumberColumn(t("retention.col.baseline"), format=money),
        "history_months": st.column_config.NumberColumn(t("retention.col.history_months"), format="%d"),
        "total": st.column_config.NumberColumn(t("retention.col.total"), format=money),
        "target_pay": st.column_config.NumberColumn(t("retention.col.target_pay"), format=money),
        "attainment": st.column_config.NumberColumn(t("retention.col.attainment"), format="percent"),
        "risk_score": st.column_config.NumberColumn(t("retention.col.risk_score"), format="%.2f"),
        "action": t("retention.col.action"), "flag": t("retention.col.flag"),
    }


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    names = quadrant_names()
    out = with_team_names(frame)
    out["quadrant"] = out["quadrant"].map(names)
    out["difficulty"] = out["difficulty"] * 100
    out["reward"] = out["reward"] * 100
    out["action"] = [t(f"retention.action.{a}") if isinstance(a, str) and a else "" for a in out["action"]]
    return out


def at_risk_table(frame: pd.DataFrame) -> None:
    """The at-risk list (retention.at_risk), most at risk first."""
    risky = retention.at_risk(frame)
    if risky.empty:
        st.success(t("retention.no_risk"))
        return
    cols = ["rep", "team", "top_performer", "quadrant", "difficulty", "reward", "attainment", "total",
            "target_pay", "risk_score", "action"]
    table(_labelled(risky)[cols], column_config=_config())


def all_reps_table(frame: pd.DataFrame) -> None:
    cols = ["rep", "team", "top_performer", "quadrant", "quota", "baseline", "history_months", "difficulty",
            "total", "target_pay", "reward", "attainment", "risk_score", "action", "flag"]
    out = _labelled(frame)
    out["flag"] = _flags(frame["flag"])
    table(out.sort_values(["team", "rep"])[cols], column_config=_config())


def plan_options(saved: pd.DataFrame) -> dict[str, str]:
    """What-if plans: the active one, then saved plans and templates (Incentives' labels)."""
    return {"active": t("retention.whatif_active"), **sim.sources(saved)}


def option_plan(key: str, active: Plan) -> Plan | None:
    """The plan behind a what-if option (None = the active plan itself)."""
    if key == "active":
        return None
    plan = sim.source_plan(key)
    return None if plan == active else plan


def moves_text(moves: pd.DataFrame, rep_id: str | None) -> None:
    """The moves of a what-if as sentences (and the changed rep even when they stay)."""
    names = quadrant_names()

    def params(r: Any) -> dict[str, str]:
        return {"rep": r.rep, "d_old": fmt.pct(r.difficulty_old, 0), "d_new": fmt.pct(r.difficulty_new, 0),
                "r_old": fmt.pct(r.reward_old, 0), "r_new": fmt.pct(r.reward_new, 0)}

    moved = retention.moves_to_draw(moves)     # placed before and after, quadrant changed
    if moved.empty:
        st.info(t("retention.whatif_none_moved"))
    else:
        lines = [t("retention.whatif_move", old=names[r.quadrant_old], new=names[r.quadrant_new], **params(r))
                 for r in moved.itertuples()]
        st.markdown(tn("retention.whatif_moved", len(moved), n=len(moved)) + "\n\n"
                    + "\n".join(f"- {fmt.md_escape(x)}" for x in lines))
    if rep_id and rep_id not in set(moved["rep_id"]):
        row = moves[moves["rep_id"] == rep_id]
        if len(row) and row["quadrant_new"].notna().iloc[0]:
            r = next(row.itertuples())
            st.caption(t("retention.whatif_unchanged", quadrant=names[r.quadrant_new], **params(r)))


def climate_text(counts: dict[str, int]) -> None:
    st.markdown(t("retention.climate_text", **{k: fmt.number(v) for k, v in counts.items()}))
    if counts["exploited"] > counts["fair"]:
        st.warning(t("retention.climate_mostly_exploited"))


def growth_table(frame: pd.DataFrame) -> None:
    topics = {k: t(f"retention.topic.{k}") for k in ("product", "skills", "customer", "other")}
    none = t("retention.no_training")
    out = with_team_names(frame)
    out["topics"] = [", ".join(topics.get(x, x) for x in v) or none for v in out["topics"]]
    cols = ["rep", "team", "periods", "min_attainment", "mean_attainment", "courses", "hours", "last_date", "topics"]
    table(out[cols], column_config={
        "rep": t("retention.col.rep"), "team": t("retention.col.team"), "periods": t("retention.col.periods"),
        "min_attainment": st.column_config.NumberColumn(t("retention.col.min_attainment"), format="percent"),
        "mean_attainment": st.column_config.NumberColumn(t("retention.col.mean_attainment"), format="percent"),
        "courses": st.column_config.NumberColumn(t("retention.col.courses"), format="%d"),
        "hours": st.column_config.NumberColumn(t("retention.col.hours"), format="%.0f"),
        "last_date": st.column_config.DateColumn(t("retention.col.last_date")),
        "topics": t("retention.col.topics")})


def rep_labels(frame: pd.DataFrame) -> dict[str, str]:
    """rep_id -> 'name · team' for the reps on the chart, plus '' = nobody."""
    placed = retention.placed(frame).sort_values(["team", "rep"])
    return {"": t("retention.whatif_no_rep"),
            **{r.rep_id: f"{r.rep} · {team_name(r.team)}" for r in placed.itertuples()}}


def quota_of(frame: pd.DataFrame, rep_id: str) -> float:
    row = frame[frame["rep_id"] == rep_id]
    return float(row["quota"].iloc[0]) if len(row) and pd.notna(row["quota"].iloc[0]) else 0.0

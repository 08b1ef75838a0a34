"""The Incentives page's what-if on quota (DESIGN.md section 10, beside the what-if on rates):
how the reps spread over attainment, the share at quota against the common 60% rule of thumb,
and what raising or lowering one team's (or every team's) quotas does to that spread and to the
payout cost. Nothing is stored. Session keys start with ``sim_q_``."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from salescore import charts, fmt, incentives
from salescore import ui
from salescore.incentives import Plan
from salescore.periods import Period
from salescore.scope import Scope
from salescore.ui import t
from salescore.ui.widgets import team_name

ALL = "*"


@st.fragment
def panel(plan: Plan, period: Period, scope: Scope, base: pd.DataFrame) -> None:
    """A fragment: moving the quota slider reruns this panel only."""
    st.subheader(t("quota.title"))
    teams = sorted({str(x) for x in base["team"].fillna("")})
    options = ([ALL] if len(teams) > 1 else []) + teams
    left, right = st.columns([1, 2])
    team = left.selectbox(t("quota.team"), options, key="sim_q_team",
                          format_func=lambda x: t("sidebar.all_teams") if x == ALL else team_name(x))
    pct = right.slider(t("quota.change"), -30, 30, 0, 5, format="%+d%%", key="sim_q_pct",
                       help=t("quota.change_help"))
    scale = tuple((x, 1 + pct / 100) for x in (teams if team == ALL else [team])) if pct else ()
    moved = ui.query(incentives.payouts, plan, period, scope, quota_scale=scale) if scale else base
    now, after = incentives.attainment_distribution(base), incentives.attainment_distribution(moved)
    if not now["reps"]:
        st.caption(t("quota.no_quota", period=period.label))
        return
    cards = st.columns(3)
    cards[0].metric(t("quota.at_quota"), fmt.pct(after["share_at_quota"], 0),
                    delta=None if not scale else fmt.points(after["share_at_quota"] - now["share_at_quota"],
                                                            ui.lang(), short=True),
                    help=t("quota.at_quota_help", rule=fmt.pct(now["rule"], 0)), border=True)
    cards[1].metric(t("quota.median"), fmt.pct(after["median"], 0), border=True)
    change = float(moved["total"].sum() - base["total"].sum())
    cards[2].metric(t("quota.cost"), ui.money(float(moved["total"].sum()), wan=True), border=True,
                    delta=None if not scale else ("+" if change >= 0 else "-") + ui.money(abs(change), wan=True),
                    delta_color="inverse")
    verdict = after["verdict"]
    words = t(f"quota.verdict.{verdict}", share=fmt.pct(after["share_at_quota"], 0),
              count=after["at_quota"], reps=after["reps"], rule=fmt.pct(after["rule"], 0))
    {"hard": st.warning, "easy": st.info}.get(verdict, st.success)(words)
    frames = [now["bins"].assign(scenario_label=t("quota.now"))]
    if scale:
        frames.append(after["bins"].assign(scenario_label=t("quota.what_if", change=f"{pct:+d}%")))
    ui.chart(charts.attainment_histogram(pd.concat(frames, ignore_index=True), ui.lang()), width="stretch")

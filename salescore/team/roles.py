"""Role mix: each rep as hunter, farmer, closer or all-rounder (RoleRules), the mix per team,
the teams that need new customers but have no hunter, and the next hire's profile."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from salescore import fmt, i18n, metrics
from salescore.periods import Period
from salescore.team.core import Z_TEAM, Con, format_value
from salescore.team.profile import team_z_scores

ROLES = ("hunter", "farmer", "closer", "all_rounder", "unrated")


@dataclass(frozen=True)
class RoleRules:
    """The role rules, applied in this order (the first that fits wins):

    1. unrated: fewer than ``min_won`` deals won in the period (too little to judge);
    2. hunter: new-customer share of won revenue >= ``hunter_new_share``;
    3. farmer: repeat-revenue share >= ``farmer_repeat_share``;
    4. closer: win rate >= the team's ``closer_win_quantile`` quantile (P75) and sales cycle
       <= the team's median;
    5. all-rounder: everyone else.
    """

    hunter_new_share: float = 0.28
    farmer_repeat_share: float = 0.85
    closer_win_quantile: float = 0.75
    min_won: int = 5


def classify(profile: pd.DataFrame, rules: RoleRules = RoleRules()) -> pd.DataFrame:
    """Each rep's role by :class:`RoleRules`. Columns: rep_id, rep, team, role,
    new_revenue_share, repeat_revenue_share, win_rate, win_rate_p75 (of the team),
    sales_cycle_days, sales_cycle_days_median (of the team), deals_won, revenue_won."""
    p = profile.copy()
    p["win_rate_p75"] = p.groupby("team")["win_rate"].transform(
        lambda s: s.quantile(rules.closer_win_quantile))
    unrated = p["deals_won"] < rules.min_won
    hunter = p["new_revenue_share"] >= rules.hunter_new_share
    farmer = p["repeat_revenue_share"] >= rules.farmer_repeat_share
    closer = (p["win_rate"] >= p["win_rate_p75"]) & (p["sales_cycle_days"] <= p["sales_cycle_days_median"])
    p["role"] = np.select([unrated, hunter.fillna(False), farmer.fillna(False), closer.fillna(False)],
                          ["unrated", "hunter", "farmer", "closer"], default="all_rounder")
    cols = ["rep_id", "rep", "team", "role", "new_revenue_share", "repeat_revenue_share", "win_rate",
            "win_rate_p75", "sales_cycle_days", "sales_cycle_days_median", "deals_won", "revenue_won"]
    return p[cols].reset_index(drop=True)


def composition(roles: pd.DataFrame) -> pd.DataFrame:
    """Reps per team and role (every role present for every team, zeros included): team, role,
    reps."""
    teams = sorted(roles["team"].unique())
    grid = pd.MultiIndex.from_product([teams, list(ROLES)], names=["team", "role"])
    counts = roles.groupby(["team", "role"]).size().reindex(grid, fill_value=0)
    return counts.rename("reps").reset_index().astype({"reps": "int64"})


def new_customer_targets(con: Con, period: Period) -> pd.DataFrame:
    """new_customers targets per team over the period's months (a team without its own falls
    back to its reps' sum, metrics.targets_by): columns team, target. Empty when none exist."""
    goals = metrics.targets_by(con, period.months, "team", metric="new_customers")
    return goals.rename(columns={"grp": "team"})[["team", "target"]]


def role_gaps(profile: pd.DataFrame, roles: pd.DataFrame, goals: pd.DataFrame) -> pd.DataFrame:
    """Whether each team needs new customers and has a hunter for it.

    A team needs new customers when ``goals`` (:func:`new_customer_targets`) gives it a
    new_customers target > 0 (basis 'target'); when there are no new_customers targets at
    all, when its share of won revenue from new customers is at least the company's (basis
    'share'). ``flagged`` = needs new customers and has no hunter. Columns: team, hunters,
    farmers, closers, new_customer_target, new_revenue_share, company_new_revenue_share,
    basis, needs_new, flagged. ``profile`` should cover the company (the company's share);
    a lone team is never flagged by share (it is the company).
    """
    teams = profile.groupby("team").agg(customer_revenue=("customer_revenue", "sum"),
                                        new_customer_revenue=("new_customer_revenue", "sum")).reset_index()
    teams["new_revenue_share"] = teams["new_customer_revenue"] / teams["customer_revenue"].where(
        teams["customer_revenue"] > 0)
    total = float(profile["customer_revenue"].sum())
    company = float(profile["new_customer_revenue"].sum()) / total if total > 0 else np.nan
    teams["company_new_revenue_share"] = company
    counts = composition(roles).pivot(index="team", columns="role", values="reps")
    for role, col in (("hunter", "hunters"), ("farmer", "farmers"), ("closer", "closers")):
        teams[col] = teams["team"].map(counts[role]).fillna(0).astype("int64")
    teams["new_customer_target"] = teams["team"].map(dict(zip(goals["team"], goals["target"]))).astype("float64")
    if goals.empty:
        teams["basis"] = "share"
        # one team alone (an import without a team column: every rep in "(no team)") is the
        # company: its share is the company's, it relies on new customers no more than itself
        teams["needs_new"] = (teams["new_revenue_share"].ge(company).fillna(False)
                              & (not np.isnan(company)) & (len(teams) > 1))
    else:
        teams["basis"] = "target"
        teams["needs_new"] = teams["new_customer_target"].fillna(0) > 0
    teams["needs_new"] = teams["needs_new"].astype(bool)
    teams["flagged"] = teams["needs_new"] & (teams["hunters"] == 0)
    cols = ["team", "hunters", "farmers", "closers", "new_customer_target", "new_revenue_share",
            "company_new_revenue_share", "basis", "needs_new", "flagged"]
    return teams[cols].sort_values("team").reset_index(drop=True)


def next_hire(profile: pd.DataFrame, gaps: pd.DataFrame, rules: RoleRules = RoleRules()) -> dict[str, Any] | None:
    """The "next hire" profile as data (an i18n key under team.hire and its params).

    A flagged team (needs new customers, no hunter; the one with the largest new-customer
    need first) gets a hunter. Otherwise the team with the lowest median attainment (else
    revenue won) gets the role it has fewest of (hunter, farmer, closer), ideally strong on
    the team's weakest figure against the company. None without teams.
    """
    if gaps.empty:
        return None
    flagged = gaps[gaps["flagged"]]
    if len(flagged):
        row = flagged.sort_values(["new_customer_target", "new_revenue_share"], ascending=False,
                                  na_position="last").iloc[0]
        return {"key": "team.hire.hunter_gap", "params": {
            "team": row["team"], "share": rules.hunter_new_share, "basis": row["basis"],
            "target": row["new_customer_target"]}}
    med = profile.groupby("team").agg(attainment=("attainment", "median"), revenue=("revenue_won", "sum"))
    med = med[med.index.isin(gaps["team"])]
    by = "attainment" if med["attainment"].notna().any() else "revenue"
    team = str(med[by].sort_values(kind="stable").index[0])
    row = gaps[gaps["team"] == team].iloc[0]
    counts = {"hunter": row["hunters"], "farmer": row["farmers"], "closer": row["closers"]}
    role = min(counts, key=lambda r: (counts[r], ("hunter", "farmer", "closer").index(r)))
    z = team_z_scores(profile)
    z = z[(z["team"] == team)].dropna(subset=["better_z"]).sort_values("better_z")
    params = {"team": team, "role": role}
    if len(z) and z.iloc[0]["better_z"] <= -Z_TEAM:
        worst = z.iloc[0]
        return {"key": "team.hire.profile", "params": params | {
            "metric": worst["metric"], "value": float(worst["value"]), "ref": float(worst["median"])}}
    return {"key": "team.hire.profile_plain", "params": params}


def render_hire(hire: dict[str, Any], lang: str, currency: str = fmt.CURRENCY) -> str:
    """The next-hire sentence in ``lang`` (money with ``currency``, the reporting currency's
    symbol)."""
    p = dict(hire["params"])
    if "team" in p and (p["team"] is None or p["team"] != p["team"] or not str(p["team"]).strip()):
        p["team"] = i18n.t("team.no_team", lang)     # "Next hire for (no team)", not "for :"
    if "role" in p:
        p["role"] = i18n.t(f"team.role.{p['role']}", lang)
    if "metric" in p:
        p["value"] = format_value(p["metric"], p["value"], lang, currency)
        p["ref"] = format_value(p["metric"], p["ref"], lang, currency)
        p["metric"] = i18n.t(f"team.metric.{p['metric']}", lang)
    if "share" in p:
        p["share"] = fmt.pct(p["share"], 0)
    if "basis" in p:
        target = p.pop("target")
        p["reason"] = (i18n.t("team.hire.reason_target", lang, target=fmt.number(target))
                       if p.pop("basis") == "target" else i18n.t("team.hire.reason_share", lang))
    return i18n.t(hire["key"], lang, **p)

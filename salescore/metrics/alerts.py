"""Plain-language alerts for the Overview: a team behind or ahead of its time pace (DESIGN.md
§4 pace, working days: salescore.periods.pace), reps below 70% or above 120% of pace, and a
falling win rate."""
from __future__ import annotations

from datetime import date
from typing import Any

from salescore import fmt
from salescore.i18n import t
from salescore.metrics.base import Con, _missing, as_of, pd
from salescore.metrics.kpis import by_group, kpis
from salescore.periods import Period, pace
from salescore.scope import Scope


def alerts(con: Con, period: Period, scope: Scope = Scope(), when: date | None = None,
           behind: float = 0.10) -> list[dict[str, Any]]:
    """Plain-language alerts for the Overview (queries, then :func:`alerts_from`)."""
    when = when or as_of(con)
    prev_p = period.previous()
    return alerts_from(
        by_group(con, period.start, period.end, "team", scope),
        by_group(con, period.start, period.end, "rep", scope),
        kpis(con, period.start, period.end, scope), kpis(con, prev_p.start, prev_p.end, scope),
        pace(period, when), prev_p.label, behind)


def alerts_from(teams: pd.DataFrame, reps: pd.DataFrame, now: dict[str, Any],
                before: dict[str, Any], share: float, previous: str,
                behind: float = 0.10) -> list[dict[str, Any]]:
    """Alerts from figures already computed (by_group frames and kpis dicts), as i18n keys:

    - a team whose attainment is more than ``behind`` below its time pace ``share``,
    - a team well ahead of pace (> +15%),
    - the reps under 70% of pace (one line, weakest first), and the best rep over 120%,
    - a win rate down more than 5 points on the previous period.
    Each item: {"level": "warning"|"success"|"info", "key": "alert.xxx", "params": {...}}.
    """
    items: list[dict[str, Any]] = []
    if share <= 0:
        return items
    for row in teams.itertuples():
        if not row.team or _missing(row.attainment):
            continue
        gap = row.attainment / share - 1
        if gap <= -behind:
            items.append({"level": "warning", "key": "alert.team_behind",
                          "params": {"team": row.team, "gap": abs(gap)}})
        elif gap >= 0.15:
            items.append({"level": "success", "key": "alert.team_ahead",
                          "params": {"team": row.team, "gap": gap}})
    reps = reps[reps["attainment"].notna()]
    behind_reps = reps[reps["attainment"] / share < 0.70].sort_values("attainment")
    if len(behind_reps):
        names = list(behind_reps["rep"])
        items.append({"level": "warning", "key": "alert.reps_behind",
                      "params": {"count": len(names), "reps": tuple(names)}})
    stars = reps[reps["attainment"] / share >= 1.20]
    if len(stars):
        best = stars.sort_values("attainment", ascending=False).iloc[0]
        items.append({"level": "success", "key": "alert.rep_star",
                      "params": {"rep": best["rep"], "attainment": best["attainment"]}})
    if now["win_rate"] is not None and before["win_rate"] is not None \
            and now["win_rate"] - before["win_rate"] <= -0.05:
        items.append({"level": "warning", "key": "alert.win_rate_down",
                      "params": {"now": now["win_rate"], "before": before["win_rate"],
                                 "previous": previous}})
    return items


def alert_text(item: dict[str, Any], lang: str) -> str:
    """One alert of :func:`alerts_from` as a sentence: rates as percentages, names listed
    in the language's way (at most five, then "…")."""
    params = dict(item["params"])
    for key in ("gap", "attainment", "now", "before"):
        if key in params:
            params[key] = fmt.pct(params[key], 0)
    if "reps" in params:
        names = list(params["reps"])
        params["reps"] = ("、" if lang == "zh" else ", ").join(names[:5]) + ("…" if len(names) > 5 else "")
    return t(item["key"], lang, **params)

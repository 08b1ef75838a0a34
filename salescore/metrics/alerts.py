"""Plain-language alerts for the Overview and the deck, on the one traffic-light rule of
:mod:`salescore.metrics.lights` (pace: working days, salescore.periods.pace): a team whose light
is red is behind pace, a team well ahead of it, the reps whose light is red (one line), the
best rep far over pace, and a win rate falling against the comparable previous window (a
running period against the same first days of the previous one: periods.comparable_previous)."""
from __future__ import annotations

from datetime import date
from typing import Any

from salescore import fmt, i18n
from salescore.i18n import t
from salescore.metrics.base import Con, _missing, as_of, pd
from salescore.metrics.kpis import by_group, kpis
from salescore.metrics.lights import AHEAD_AT, AMBER_AT, STAR_AT, pace_lights
from salescore.periods import Period, comparable_previous, pace, previous_label
from salescore.scope import Scope

#: A win rate this many points under the comparable previous window's is an alert.
WIN_RATE_DROP = 0.05


def alerts(con: Con, period: Period, scope: Scope = Scope(), when: date | None = None,
           lang: str = "en") -> list[dict[str, Any]]:
    """Plain-language alerts for ``period`` on ``when`` (default: the data's as-of date):
    queries, then :func:`alerts_from`. The previous figures are those of the comparable
    previous window (the same first days of the previous period while ``period`` runs)."""
    when = when or as_of(con)
    prev_start, prev_end = comparable_previous(period, when)
    return alerts_from(
        by_group(con, period.start, period.end, "team", scope),
        by_group(con, period.start, period.end, "rep", scope),
        kpis(con, period.start, period.end, scope), kpis(con, prev_start, prev_end, scope),
        pace(period, when), previous_label(period, when, lang))


def alerts_from(teams: pd.DataFrame, reps: pd.DataFrame, now: dict[str, Any],
                before: dict[str, Any], share: float, previous: str) -> list[dict[str, Any]]:
    """Alerts from figures already computed (by_group frames and kpis dicts), as i18n keys:

    - a team whose pacing light is red (lights.pace_lights at time pace ``share``), with its
      gap to pace,
    - a team at AHEAD_AT (+15%) of its pace or more,
    - the reps whose light is red (one line, weakest first), and the best rep at STAR_AT
      (+20%) of pace or more,
    - a win rate down WIN_RATE_DROP (5 points) or more on ``before`` (named ``previous``).
    Each item: {"level": "warning"|"success"|"info", "key": "alert.xxx", "params": {...}}.
    """
    items: list[dict[str, Any]] = []
    if share <= 0:
        return items
    for row, light in zip(teams.itertuples(), pace_lights(teams, share)):
        if not row.team or _missing(row.attainment):
            continue
        index = row.attainment / share
        if light == "red":
            items.append({"level": "warning", "key": "alert.team_behind",
                          "params": {"team": row.team, "gap": 1 - index}})
        elif index >= AHEAD_AT:
            items.append({"level": "success", "key": "alert.team_ahead",
                          "params": {"team": row.team, "gap": index - 1}})
    reps = reps.assign(light=pace_lights(reps, share))
    reps = reps[reps["attainment"].notna()]
    behind_reps = reps[reps["light"] == "red"].sort_values("attainment")
    if len(behind_reps):
        names = list(behind_reps["rep"])
        items.append({"level": "warning", "key": "alert.reps_behind",
                      "params": {"count": len(names), "reps": tuple(names), "bar": AMBER_AT}})
    stars = reps[reps["attainment"] / share >= STAR_AT]
    if len(stars):
        best = stars.sort_values("attainment", ascending=False).iloc[0]
        items.append({"level": "success", "key": "alert.rep_star",
                      "params": {"rep": best["rep"], "attainment": best["attainment"]}})
    if now["win_rate"] is not None and before["win_rate"] is not None \
            and now["win_rate"] - before["win_rate"] <= -WIN_RATE_DROP + 1e-12:
        items.append({"level": "warning", "key": "alert.win_rate_down",
                      "params": {"now": now["win_rate"], "before": before["win_rate"],
                                 "previous": previous}})
    return items


def alert_text(item: dict[str, Any], lang: str) -> str:
    """One alert of :func:`alerts_from` as a sentence: rates as percentages, names listed
    in the language's way (at most five, then "…"), the singular sentence for a count of one
    ("1 rep is", the key's ``_one`` form)."""
    params = {"bar": AMBER_AT} | dict(item["params"])     # the red line of reps_behind
    for key in ("gap", "attainment", "now", "before", "bar"):
        if key in params:
            params[key] = fmt.pct(params[key], 0)
    if "reps" in params:
        names = list(params["reps"])
        params["reps"] = ("、" if lang == "zh" else ", ").join(names[:5]) + ("…" if len(names) > 5 else "")
    key = item["key"]
    if params.get("count") == 1 and not key.endswith("_one") and i18n.has(f"{key}_one", lang):
        key = f"{key}_one"
    return t(key, lang, **params)

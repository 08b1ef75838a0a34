"""The pacing traffic light: one rule, relative to the time pace, for the Overview cards, team
chart and alerts, Goals › Pacing and the deck.

The **pace index** is attainment / pace (pace: working days elapsed / working days in the
period, :func:`salescore.periods.pace`, DESIGN §4), i.e. the run-rate forecast as a share of
the target. Its light:

- green: pace index >= GREEN_AT (on course for 100%), or the target is already met;
- amber: AMBER_AT <= pace index < GREEN_AT, or below AMBER_AT with pipeline to catch up (open
  pipeline expected in the rest of the period >= CATCH_UP_COVERAGE x what is left to win);
- red: below AMBER_AT without that pipeline;
- none: no target, or the period has not started.

The Overview's "vs previous" deltas use the same thresholds on now / the comparable previous
window (:func:`change_light`: 97% of last period's figure is amber, as 97% of pace is). The
alerts warn exactly about the red rows (a team "behind pace" is a red team, never an amber
one), so a screen never calls a figure amber in one place and behind in another.
"""
from __future__ import annotations

import math
from typing import Any

from salescore.fmt import missing

GREEN_AT = 1.00             # green: on course for 100 % (or the target is already met)
AMBER_AT = 0.85             # amber: 85-100 % of pace, or behind but with pipeline to catch up
CATCH_UP_COVERAGE = 2.0     # "pipeline to catch up": pipeline in the rest >= 2x what is left
LIGHTS = ("red", "amber", "green", "none")
AHEAD_AT = 1.15             # a team this far over its pace is "ahead of pace" (an alert)
STAR_AT = 1.20              # the best rep this far over their pace is recognised (an alert)


def light(pace_index: float | None, remaining: float, coverage: float | None) -> str:
    """green / amber / red / none from the pace index (module doc); ``remaining``: target
    still to win (<= 0: met), ``coverage``: pipeline coverage of it (None when unknown)."""
    if pace_index is None or (isinstance(pace_index, float) and math.isnan(pace_index)):
        return "none"
    if remaining <= 0 or pace_index >= GREEN_AT:
        return "green"
    if pace_index >= AMBER_AT:
        return "amber"
    if coverage is not None and not math.isnan(coverage) and coverage >= CATCH_UP_COVERAGE:
        return "amber"
    return "red"


def pace_index(attainment: Any, share: float) -> float | None:
    """attainment / pace ``share``; None without an attainment or before the period starts."""
    if missing(attainment) or share <= 0:
        return None
    return float(attainment) / share


def pace_light(attainment: Any, share: float, target: Any, revenue_won: Any,
               coverage: Any = None) -> str:
    """The light of one row of figures (a kpis dict, a by_group row): its pace index at
    ``share``, the target still to win and its pipeline coverage."""
    left = 0.0 if missing(target) else max(float(target) - float(0 if missing(revenue_won) else revenue_won), 0.0)
    return light(pace_index(attainment, share), left, None if missing(coverage) else float(coverage))


def pace_lights(frame: Any, share: float) -> list[str]:
    """:func:`pace_light` of each row of a metrics.by_group frame (columns attainment,
    revenue_won, target, pipeline_coverage optional)."""
    coverage = frame["pipeline_coverage"] if "pipeline_coverage" in frame else [None] * len(frame)
    return [pace_light(att, share, target, won, cov)
            for att, won, target, cov in zip(frame["attainment"], frame["revenue_won"],
                                             frame["target"], coverage)]


def change_light(now: Any, before: Any) -> str:
    """The light of a figure against the comparable previous window: now / before on the
    pace thresholds (>= 100% green, >= 85% amber, else red); none when either is missing or
    the previous figure is not positive."""
    if missing(now) or missing(before) or float(before) <= 0:
        return "none"
    return light(float(now) / float(before), 1.0, None)

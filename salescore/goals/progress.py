"""Pacing: how far each rep and team is on the way to the period's revenue target on the
as-of date, and the traffic light that says whether they are on course. The time share is
:func:`salescore.periods.pace` (working days, DESIGN §4), the one pace of the app."""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from salescore import metrics, sql
from salescore.goals.core import AMBER_AT, CATCH_UP_COVERAGE, GREEN_AT, LIGHTS, Con, _err
from salescore.goals.history import actuals_cte, run_actuals
from salescore.periods import Period, pace, time_elapsed
from salescore.scope import Scope


def light(pace_index: float | None, remaining: float, coverage: float | None) -> str:
    """green / amber / red / none from the pace index (see GREEN_AT, AMBER_AT,
    CATCH_UP_COVERAGE); 'none' without a target or before the period starts."""
    if pace_index is None or (isinstance(pace_index, float) and math.isnan(pace_index)):
        return "none"
    if remaining <= 0 or pace_index >= GREEN_AT:
        return "green"
    if pace_index >= AMBER_AT:
        return "amber"
    if coverage is not None and not math.isnan(coverage) and coverage >= CATCH_UP_COVERAGE:
        return "amber"
    return "red"


def pacing_table(rows: pd.DataFrame, period: Period, as_of: date) -> pd.DataFrame:
    """Pacing figures (pure). ``rows``: level, team, rep_id, name, target, actual (to date),
    pipeline (open pipeline expected to close after ``as_of`` within the period).

    Adds: time_share (periods.pace: working days elapsed / in period, DESIGN §4, the same
    figure as the Overview alerts and the deck), attainment (actual / target),
    pace_index (attainment / time_share), forecast (run rate: actual / elapsed x total working
    days), remaining (target - actual, >= 0), pipeline_coverage (pipeline / remaining, DESIGN
    §4), per_day (remaining / working days left), light. Furthest behind first.
    """
    elapsed, total = time_elapsed(period, as_of)
    left = total - elapsed
    out = rows.copy()
    target = out["target"].astype("float64")
    has_target = target > 0
    out["time_share"] = pace(period, as_of)
    out["attainment"] = (out["actual"] / target).where(has_target)
    out["pace_index"] = (out["attainment"] / out["time_share"]).where(has_target & (elapsed > 0))
    out["forecast"] = out["actual"] * total / elapsed if elapsed else np.nan
    out["remaining"] = (target - out["actual"]).clip(lower=0).where(has_target)
    out["pipeline_coverage"] = (out["pipeline"] / out["remaining"].where(out["remaining"] > 0))
    out["per_day"] = out["remaining"] / left if left else np.nan
    out["light"] = [light(None if pd.isna(p) else float(p), 0.0 if pd.isna(r) else float(r),
                          None if pd.isna(c) else float(c))
                    for p, r, c in zip(out["pace_index"], out["remaining"], out["pipeline_coverage"])]
    out["_none"] = out["pace_index"].isna()
    out = out.sort_values(["_none", "pace_index", "name"], kind="stable").drop(columns="_none")
    return out.reset_index(drop=True)


def pipeline_rest(con: Con, period: Period, as_of: date, scope: Scope = Scope()) -> pd.DataFrame:
    """Open pipeline expected in the rest of the period, per rep, as pipeline_coverage counts
    it (DESIGN §4: overdue deals included while the period runs): metrics.coverage_pipeline.
    Columns: rep_id, pipeline."""
    return metrics.coverage_pipeline(con, period, as_of, scope)


def pacing(con: Con, period: Period, as_of: date | None = None, scope: Scope = Scope(),
           scenario: str | None = None) -> pd.DataFrame:
    """Revenue pacing per rep and per team for ``period`` on ``as_of`` (default: the data's
    as-of date). Columns: level (team/rep), team, rep_id, name, target (whole period, active
    or given scenario), actual (revenue_won from the period start to as_of), pipeline, and the
    pacing_table figures. Furthest behind first within the frame."""
    as_of = as_of or metrics.as_of(con)
    if as_of is None:
        raise _err("There is no sales data to pace against yet.", "no_data")
    upto = min(as_of, period.end)
    scenario = scenario or metrics.active_scenario(con)
    frame = run_actuals(con, f"""
        with a as ({actuals_cte("revenue")}),
        won as (select rep_id, sum(actual)::FLOAT8 as actual from a group by 1)
        select r.rep_id, r.name, coalesce(r.team, '') as team, r.active,
               coalesce(w.actual, 0) as actual
        from reps r left join won w on w.rep_id = r.rep_id
        where {sql.in_scope("r.team", "r.rep_id")}
        order by r.rep_id""", {"start": period.start, "end": upto, **scope.params})
    rep_t = metrics.targets_by(con, period.months, "rep", scenario=scenario, team=scope.team,
                               rep_id=scope.rep_id).set_index("grp")["target"]
    team_t = metrics.targets_by(con, period.months, "team", scenario=scenario,
                                team=scope.team).set_index("grp")["target"]
    pipe = pipeline_rest(con, period, as_of, scope).set_index("rep_id")["pipeline"]
    frame["actual"] = frame["actual"].astype("float64")
    frame["target"] = frame["rep_id"].map(rep_t).astype("float64")
    frame["pipeline"] = frame["rep_id"].map(pipe).fillna(0.0).astype("float64")
    # leavers with no target and no revenue in the period are history, not the team
    frame = frame[frame["active"].astype(bool) | frame["target"].notna() | (frame["actual"] > 0)]
    rep_rows = pd.DataFrame({"level": "rep", "team": frame["team"], "rep_id": frame["rep_id"],
                             "name": frame["name"], "target": frame["target"],
                             "actual": frame["actual"], "pipeline": frame["pipeline"]})
    sums = frame.groupby("team")[["actual", "pipeline"]].sum()
    team_rows = pd.DataFrame({"level": "team", "team": sums.index, "rep_id": "", "name": sums.index,
                              "target": sums.index.map(team_t).astype("float64"),
                              "actual": sums["actual"].to_numpy(), "pipeline": sums["pipeline"].to_numpy()})
    team_rows = team_rows[team_rows["team"] != ""].reset_index(drop=True)
    return pd.concat([pacing_table(team_rows, period, as_of), pacing_table(rep_rows, period, as_of)],
                     ignore_index=True)


def has_targets(pacing_frame: pd.DataFrame) -> bool:
    """Whether any row of a :func:`pacing` frame has a target (else there is nothing to pace)."""
    return bool(pacing_frame["target"].notna().any())


def light_counts(pacing_frame: pd.DataFrame, level: str = "rep") -> dict[str, int]:
    """How many rows of ``level`` (rep or team) of a :func:`pacing` frame show each light:
    {light: count} for every one of LIGHTS (zeros included)."""
    counts = pacing_frame.loc[pacing_frame["level"] == level, "light"].value_counts()
    return {k: int(counts.get(k, 0)) for k in LIGHTS}

"""Scenarios: named sets of targets (base, stretch ...), saved in one transaction, compared
side by side; one of them is active (pacing, the Overview and the incentive plans use it)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from salescore import audit, db, metrics, sql
from salescore.errors import PeriodError
from salescore.goals.company import CompanyGoal
from salescore.goals.core import SCENARIO_NAME, Con, _check_metric, _err
from salescore.goals.decomposition import Plan, check_sums
from salescore.periods import Period, containing, parse


def _check_scenario(name: str) -> str:
    name = str(name or "").strip()
    if not SCENARIO_NAME.match(name):
        raise _err("A scenario name has 1 to 40 characters.", "scenario_name")
    return name


def save_plan(con: Con, scenario: str, plan: Plan, goal: CompanyGoal | None = None) -> int:
    """Save ``plan`` as ``scenario``: that scenario's rows of the plan's metric and months are
    replaced in one transaction (other months, metrics and scenarios are untouched). The
    company goal (mode, value, strategy note) is remembered in settings 'goals_notes'.
    Returns the number of rows written."""
    scenario = _check_scenario(scenario)
    problems = check_sums(plan)
    if problems:
        raise _err("The targets do not add up: " + ", ".join(problems), "not_adding_up")
    rows = plan.rows()
    rows.insert(0, "scenario", scenario)
    months = list(plan.months)
    with db.transaction(con) as cur:
        cur.execute("delete from targets where scenario = $s and metric = $m "
                    "and list_contains($months, period)",
                    {"s": scenario, "m": plan.metric, "months": months})
        cur.register("goals_rows", rows)
        try:
            cur.execute("insert into targets (scenario, period, scope, scope_id, metric, value) "
                        "select scenario, period, scope, scope_id, metric, value::DECIMAL(18,2) "
                        "from goals_rows")
        finally:
            cur.unregister("goals_rows")
        if goal is not None:
            notes = _notes(cur)
            notes = [n for n in notes if not (n["scenario"] == scenario and n["metric"] == plan.metric
                                              and set(n["months"]) & set(months))]
            notes.append({"scenario": scenario, "metric": plan.metric, "months": months,
                          "period": goal.period.label, "mode": goal.mode, "value": goal.value,
                          "target": plan.total, "note": goal.note.strip()})
            cur.execute("insert into settings (key, value) values ('goals_notes', $v) "
                        "on conflict (key) do update set value = excluded.value",
                        {"v": json.dumps(notes, ensure_ascii=False)})
        audit.record(cur, "target_save", {"scenario": scenario, "metric": plan.metric,
                                          "months": [months[0], months[-1]], "rows": len(rows),
                                          "total": float(plan.total)})
    return len(rows)


def _notes(cur: Con) -> list[dict[str, Any]]:
    rows = cur.execute("select value from settings where key = 'goals_notes'").fetchall()
    return json.loads(rows[0][0]) if rows and rows[0][0] else []


def goal_note(con: Con, scenario: str, metric: str, months: Sequence[str]) -> dict[str, Any] | None:
    """The saved company goal (period, mode, value, target, note) covering any of ``months``."""
    with con.cursor() as cur:
        notes = _notes(cur)
    for n in reversed(notes):
        if n["scenario"] == scenario and n["metric"] == metric and set(n["months"]) & set(months):
            return n
    return None


def scenarios(con: Con) -> pd.DataFrame:
    """Every scenario in targets: scenario, metrics (comma list), first, last (months), rows,
    revenue (company revenue target over all its months), active (bool). Active first."""
    active = metrics.active_scenario(con)
    frame = sql.run(con, """
        with c as (   -- company revenue: explicit rows, else the sum of the teams/reps
            select scenario, period, max(value) filter (where scope = 'company') as c,
                   sum(value) filter (where scope = 'team') as tm,
                   sum(value) filter (where scope = 'rep') as rp
            from targets where metric = 'revenue' group by 1, 2)
        select t.scenario, string_agg(distinct t.metric, ', ' order by t.metric) as metrics,
               min(t.period) as first, max(t.period) as last, count(*) as rows,
               (select sum(coalesce(c.c, c.tm, c.rp)) from c where c.scenario = t.scenario)::FLOAT8
                   as revenue
        from targets t group by t.scenario order by t.scenario""")
    frame["active"] = frame["scenario"] == active
    frame["rows"] = frame["rows"].astype("int64")
    return frame.sort_values(["active", "scenario"], ascending=[False, True]).reset_index(drop=True)


def set_active(con: Con, scenario: str) -> None:
    """Make ``scenario`` the one pacing, the Overview and the incentive plans use."""
    scenario = _check_scenario(scenario)
    found = sql.scalar(con, "select count(*) from targets where scenario = $s", {"s": scenario})
    if not found:
        raise _err(f"There is no scenario called {scenario!r}.", "unknown_scenario", scenario=scenario)
    db.set_setting(con, "active_scenario", scenario)


def compare(con: Con, names: Sequence[str], months: Sequence[str], metric: str = "revenue",
            level: str = "team") -> pd.DataFrame:
    """Scenarios side by side over ``months``: columns grp, name, one per scenario, and
    ``difference`` (last scenario minus first) when there are two or more. ``level`` is
    company, team or rep (rep rows named from reps)."""
    _check_metric(metric)
    if level not in ("company", "team", "rep"):
        raise _err(f"Unknown level {level!r}.", "level")
    out: pd.DataFrame | None = None
    for name in names:
        frame = metrics.targets_by(con, list(months), level, metric=metric, scenario=name)
        frame = frame.rename(columns={"target": name})
        out = frame if out is None else out.merge(frame, on="grp", how="outer")
    if out is None:
        return pd.DataFrame(columns=["grp", "name"])
    if level == "rep":
        reps = dict(sql.rows(con, "select rep_id, name from reps"))
        out["name"] = [reps.get(g, g) for g in out["grp"]]
    else:
        out["name"] = out["grp"]
    cols = ["grp", "name", *names]
    if len(names) >= 2:
        out["difference"] = out[names[-1]].fillna(0) - out[names[0]].fillna(0)
        cols.append("difference")
    return out[cols].sort_values("grp").reset_index(drop=True)


def scenario_targets(con: Con, scenario: str, metric: str, months: Sequence[str]) -> pd.DataFrame:
    """Explicit target rows of a scenario: scope, scope_id, period, value (float)."""
    return sql.run(con, "select scope, scope_id, period, value::FLOAT8 as value from targets "
                        "where scenario = $s and metric = $m and list_contains($months, period) "
                        "order by scope, scope_id, period",
                   {"s": scenario, "m": metric, "months": list(months)})


def saved_goal(con: Con, scenario: str, metric: str, period: Period) -> dict[str, Any] | None:
    """What ``scenario`` holds for ``period`` (None when it holds nothing): target (the sum
    over the months that have targets of the company row, else the teams', else the reps'),
    months (how many of the period's months have targets), complete (all of them), and mode,
    value and note of the company goal it was saved with when the Goals page saved this very
    period (None, None, '' for imported targets)."""
    _check_metric(metric)
    found = sql.rows(con, """
        with m as (
            select period, max(value) filter (where scope = 'company') as c,
                   sum(value) filter (where scope = 'team') as tm,
                   sum(value) filter (where scope = 'rep') as rp
            from targets where scenario = $s and metric = $m and list_contains($months, period)
            group by period)
        select count(*) as months, sum(coalesce(c, tm, rp))::FLOAT8 as target from m""",
                     {"s": scenario, "m": metric, "months": period.months})
    months, target = found[0] if found else (0, None)
    if not months:
        return None
    note = goal_note(con, scenario, metric, period.months) or {}
    mine = note.get("period") == period.label
    return {"target": float(target or 0), "months": int(months),
            "complete": int(months) == period.n_months,
            "mode": note.get("mode") if mine else None, "value": note.get("value") if mine else None,
            "note": note.get("note", "") if mine else ""}


def saved_periods(con: Con, names: Sequence[str], metric: str) -> list[Period]:
    """Every month, quarter and year in which any of the scenarios ``names`` has a target of
    ``metric`` (all of it or part: the SMART check says which months are missing), newest
    first, each year before its quarters and each quarter before its months."""
    _check_metric(metric)
    months = [m for (m,) in sql.rows(con, "select distinct period from targets where metric = $m "
                                          "and list_contains($names, scenario)",
                                     {"m": metric, "names": list(names)})]
    found: set[Period] = set()
    for label in months:
        try:
            month = parse(label)
        except PeriodError:
            continue                     # a malformed period in an imported sheet: not offered
        found.update(containing(month.start, kind) for kind in ("month", "quarter", "year"))
    return sorted(found, key=lambda p: (-p.end.toordinal(), -p.n_months))

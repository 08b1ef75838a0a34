"""Decomposition: company -> teams -> reps -> months over one weight matrix, with manual
overrides at any level and every level adding up exactly (largest remainder)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from salescore import metrics
from salescore.goals.allocation import Method, weight_matrix
from salescore.goals.company import CompanyGoal, company_target, last_year_actual
from salescore.goals.core import Con, _check_metric, _err, _whole
from salescore.goals.history import add_open_headcount, company_monthly, roster, seasonality
from salescore.goals.rounding import _lr_rows, rebalance
from salescore.periods import Period


@dataclass(frozen=True)
class Overrides:
    """Manual changes: team totals {team: v}, rep totals {rep_id: v}, rep months
    {(rep_id, 'YYYY-MM'): v}. Everything not overridden rebalances."""

    teams: Mapping[str, float] = field(default_factory=dict)
    reps: Mapping[str, float] = field(default_factory=dict)
    cells: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.teams or self.reps or self.cells)

    @property
    def count(self) -> int:
        """How many values were changed by hand (team totals + rep totals + rep months)."""
        return len(self.teams) + len(self.reps) + len(self.cells)


@dataclass(frozen=True)
class Plan:
    """A decomposed target. ``reps``: rep_id, rep, team, is_open, total, one column per month;
    ``teams``: team, total, one column per month (sums of their reps). Whole numbers."""

    metric: str
    months: tuple[str, ...]
    total: int
    reps: pd.DataFrame
    teams: pd.DataFrame

    def company(self) -> pd.Series:
        """The company target per month (sum of the teams)."""
        return self.teams[list(self.months)].sum(axis=0).astype("int64")

    def rows(self) -> pd.DataFrame:
        """Long rows for the targets table: scope, scope_id, period, metric, value (company,
        team and rep rows for every month)."""
        months = list(self.months)
        rep = self.reps.melt(id_vars=["rep_id"], value_vars=months, var_name="period")
        team = self.teams.melt(id_vars=["team"], value_vars=months, var_name="period")
        comp = self.company()
        frames = [
            pd.DataFrame({"scope": "company", "scope_id": "", "period": months,
                          "value": comp.to_numpy()}),
            pd.DataFrame({"scope": "team", "scope_id": team["team"].to_numpy(),
                          "period": team["period"].to_numpy(), "value": team["value"].to_numpy()}),
            pd.DataFrame({"scope": "rep", "scope_id": rep["rep_id"].to_numpy(),
                          "period": rep["period"].to_numpy(), "value": rep["value"].to_numpy()}),
        ]
        out = pd.concat(frames, ignore_index=True)
        out["metric"] = self.metric
        out["value"] = out["value"].astype("int64")
        for col in ("scope", "scope_id", "period", "metric"):
            out[col] = out[col].astype("str")
        return out[["scope", "scope_id", "period", "metric", "value"]]


def decompose(total: int, reps: pd.DataFrame, months: Sequence[str], weights: np.ndarray,
              overrides: Overrides = Overrides(), metric: str = "revenue",
              company_name: str = "the company") -> Plan:
    """Split ``total`` company -> teams -> reps -> months by ``weights`` (reps x months), applying
    ``overrides`` level by level (overridden values stay, the rest of that level rebalances).

    Every level sums exactly to its parent. Raises SalesCoreError for an override bigger than
    its parent or an unknown team/rep/month in the overrides.
    """
    _check_metric(metric)
    total = _whole(total)
    months = list(months)
    w = np.asarray(weights, dtype="float64").reshape(len(reps), len(months))
    team_names = list(dict.fromkeys(sorted(reps["team"].astype(str))))
    team_of = reps["team"].astype(str).map({n: i for i, n in enumerate(team_names)}).to_numpy()
    rep_ids = reps["rep_id"].astype(str).tolist()
    rep_pos = {r: i for i, r in enumerate(rep_ids)}
    for name in overrides.teams:
        if name not in team_names:
            raise _err(f"There is no team {name!r} in this plan.", "unknown_team", team=name)
    for rid in list(overrides.reps) + [r for r, _ in overrides.cells]:
        if rid not in rep_pos:
            raise _err(f"There is no sales rep {rid!r} in this plan.", "unknown_rep", rep=rid)
    month_pos = {m: i for i, m in enumerate(months)}
    for _, m in overrides.cells:
        if m not in month_pos:
            raise _err(f"{m} is not a month of this plan.", "unknown_month", month=m)

    row_w = w.sum(axis=1)
    team_w = np.bincount(team_of, weights=row_w, minlength=len(team_names)) if len(reps) else np.zeros(0)
    team_tot = rebalance(team_w, total, {team_names.index(k): v for k, v in overrides.teams.items()},
                         what=company_name)
    rep_tot = np.zeros(len(reps), dtype="int64")
    names = reps["rep"].astype(str).tolist()
    for k, name in enumerate(team_names):
        idx = np.nonzero(team_of == k)[0]
        fixed = {int(np.nonzero(idx == rep_pos[r])[0][0]): v for r, v in overrides.reps.items()
                 if team_of[rep_pos[r]] == k}
        rep_tot[idx] = rebalance(row_w[idx], int(team_tot[k]), fixed, what=name or "—")
    # a rep whose row weighs nothing (hired after the period) but got a total by override
    # spreads it evenly over the months (_lr_rows splits a zero row equally)
    cells = _lr_rows(rep_tot, w)
    by_rep: dict[int, dict[int, float]] = {}
    for (r, m), v in overrides.cells.items():
        by_rep.setdefault(rep_pos[r], {})[month_pos[m]] = v
    for i, fixed in by_rep.items():
        cells[i] = rebalance(w[i], int(rep_tot[i]), fixed, what=names[i] or rep_ids[i])

    rep_frame = reps[["rep_id", "rep", "team", "is_open"]].reset_index(drop=True).copy()
    rep_frame["total"] = rep_tot
    month_frame = pd.DataFrame(cells, columns=months)
    rep_frame = pd.concat([rep_frame, month_frame], axis=1)
    team_cells = np.zeros((len(team_names), len(months)), dtype="int64")
    np.add.at(team_cells, team_of, cells)
    team_frame = pd.DataFrame(team_cells, columns=months)
    team_frame.insert(0, "total", team_tot)
    team_frame.insert(0, "team", pd.Series(team_names, dtype="str"))
    return Plan(metric, tuple(months), total, rep_frame, team_frame)


def check_sums(plan: Plan) -> list[str]:
    """What does not add up in a plan (empty when every level sums exactly to its parent)."""
    months = list(plan.months)
    problems = []
    if int(plan.teams["total"].sum()) != plan.total:
        problems.append("teams != company")
    team_sums = plan.reps.groupby("team")[["total", *months]].sum()
    mine = plan.teams.set_index("team")[["total", *months]]
    if not team_sums.reindex(mine.index).fillna(0).astype("int64").equals(mine.astype("int64")):
        problems.append("reps != team")
    if not (plan.reps[months].sum(axis=1) == plan.reps["total"]).all():
        problems.append("months != rep")
    return problems


@dataclass(frozen=True)
class PlanInputs:
    """What a decomposition needs from the database (cache this, then decompose freely)."""

    reps: pd.DataFrame
    season: Mapping[int, float]
    last_year: float


def plan_inputs(con: Con, period: Period, metric: str = "revenue", history_months: int = 12,
                as_of: date | None = None) -> PlanInputs:
    """The roster with history, the seasonal weights from history and last year's actual."""
    as_of = as_of or metrics.as_of(con)
    return PlanInputs(roster(con, period, metric, history_months, as_of),
                      seasonality(company_monthly(con, metric, as_of)),
                      last_year_actual(con, period, metric))


def build_plan(goal: CompanyGoal, inputs: PlanInputs, method: Method,
               openings: Mapping[str, int] | None = None, overrides: Overrides = Overrides(),
               open_from: str | None = None, company_name: str = "the company") -> Plan:
    """Company target -> weights -> decomposition in one call (what the page and bench do)."""
    months = goal.period.months
    reps = inputs.reps
    if openings:
        reps = add_open_headcount(reps, openings, open_from or months[0])
    if reps.empty:
        raise _err("There are no active sales reps to give targets to: import the team first.",
                   "no_reps")
    total = company_target(goal, inputs.last_year)
    weights = weight_matrix(reps, months, method, inputs.season)
    return decompose(total, reps, months, weights, overrides, goal.metric, company_name)

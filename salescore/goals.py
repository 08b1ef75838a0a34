"""Goals: company targets, top-down decomposition, SMART checks, pacing and scenarios.

DESIGN.md section 7 (Goals page). The pure functions work on frames and numpy arrays; the
loaders (``roster``, ``monthly_actuals``, ``smart_for``, ``pacing``, ...) run SQL and hand their
frames to them. Targets are whole numbers (whole currency units, or counts): every split uses
largest-remainder rounding, so children always sum exactly to their parent.

The decomposition goes company -> teams -> reps -> months over one weight matrix W (reps x
months): a team's share is the sum of its reps' weights, a rep's share within the team is the
sum of the rep's row, and the rep's total is spread over the months by the row. Team and
company month values are the sums of their reps' months, so every level adds up.
"""
from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from salescore import audit, db, fmt, metrics
from salescore.errors import SalesCoreError
from salescore.i18n import t
from salescore.metrics import Scope
from salescore.periods import Period, containing

Con = duckdb.DuckDBPyConnection

#: Target metrics (targets.metric) and the section 4 actual each one is measured by.
METRICS = ("revenue", "new_customers", "deals_won")
ACTUAL = {"revenue": "revenue_won", "new_customers": "new_customers", "deals_won": "deals_won"}
#: Ways to split between reps (blended with weights) and across months.
SPLITS = ("equal", "history", "capacity")
SEASONALITY = ("even", "history", "profile")
#: rep_id prefix of open-headcount placeholder rows ("open:<team>:<n>").
OPEN_PREFIX = "open:"

# SMART "Achievable" thresholds (documented on the page through the sentences).
HARD_PROBABILITY = 0.20     # warn when fewer than ~1 in 5 past periods grew this much
MAX_VS_BEST = 1.20          # warn when the target is > 120 % of the best-ever period
MAX_GROWTH_T12 = 0.50       # warn when the target needs > +50 % on the trailing 12 months
MIN_GROWTH_OBS = 4          # periods of history needed for a probability

# Pacing traffic light, on the pace index = attainment / share of working days elapsed
# (= the run-rate forecast as a share of target):
GREEN_AT = 1.00             # green: on course for 100 % (or the target is already met)
AMBER_AT = 0.85             # amber: 85-100 % of pace, or behind but with pipeline to catch up
CATCH_UP_COVERAGE = 2.0     # "pipeline to catch up": pipeline in the rest >= 2x what is left
LIGHTS = ("red", "amber", "green", "none")

_SCENARIO_NAME = re.compile(r"^[^\x00-\x1f]{1,40}$")


def _err(message: str, key: str, **params: Any) -> SalesCoreError:
    return SalesCoreError(message, key=f"goals.err.{key}", **params)


def _num(value: float | int) -> str:
    """A whole number with thousands separators, for error messages in any language."""
    return f"{value:,.0f}"


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise _err(f"Unknown target metric {metric!r}: use revenue, new_customers or deals_won.",
                   "metric", metric=metric)


# --- rounding and rebalancing ----------------------------------------------------------------

def _lr_rows(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise largest remainder: whole ``totals`` (n,) split by ``weights`` (n, m) >= 0.

    Returns int64 (n, m) whose rows sum exactly to ``totals``. Each cell gets the floor of its
    exact quota, then the units left go to the largest fractional parts (ties: leftmost
    first). A row of zero weights is split equally.
    """
    totals = np.asarray(totals, dtype="int64")
    w = np.asarray(weights, dtype="float64")
    n, m = w.shape
    if m == 0:
        return np.zeros((n, 0), dtype="int64")
    sums = w.sum(axis=1)
    zero = sums <= 0
    if zero.any():
        w = w.copy()
        w[zero] = 1.0
        sums = w.sum(axis=1)
    quotas = totals[:, None].astype("float64") * (w / sums[:, None])
    floors = np.floor(quotas)
    out = floors.astype("int64")
    rem = totals - out.sum(axis=1)             # 0 <= rem <= m (floors never exceed quotas)
    order = np.argsort(-(quotas - floors), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(m), (n, m)), axis=1)
    out += ranks < np.clip(rem, 0, m)[:, None]
    # float error on huge totals could leave a unit or two: put it on the largest cell
    left = totals - out.sum(axis=1)
    if left.any():
        rows = np.nonzero(left)[0]
        out[rows, np.argmax(w[rows], axis=1)] += left[rows]
    return out


def largest_remainder(total: int, weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """Split the whole number ``total`` in proportion to ``weights`` into whole numbers that sum
    exactly to ``total`` (largest-remainder method; all-zero weights split equally).

    Raises SalesCoreError for a negative total or weight, or a total with nowhere to go.
    """
    w = np.asarray(weights, dtype="float64")
    total = int(total)
    if total < 0:
        raise _err(f"A target cannot be negative ({_num(total)}).", "negative", value=_num(total))
    if len(w) == 0:
        if total:
            raise _err("There is nobody to give the target to.", "nobody")
        return np.zeros(0, dtype="int64")
    if not np.isfinite(w).all() or (w < 0).any():
        raise _err("Split weights must be zero or positive.", "weights")
    return _lr_rows(np.array([total]), w[None, :])[0]


def rebalance(weights: Sequence[float] | np.ndarray, parent: int, fixed: Mapping[int, int],
              what: str = "") -> np.ndarray:
    """The children of ``parent`` after overrides: positions in ``fixed`` keep their value, the
    others share what is left in proportion to ``weights`` (largest remainder), so the result
    sums exactly to ``parent``.

    Raises SalesCoreError when the overrides add up to more than the parent, when every child
    is fixed but they do not add up to it, or for a negative override. ``what`` names the
    parent in the message.
    """
    w = np.asarray(weights, dtype="float64")
    out = np.zeros(len(w), dtype="int64")
    free = np.ones(len(w), dtype=bool)
    for pos, value in fixed.items():
        value = _whole(value)
        if value < 0:
            raise _err(f"A target cannot be negative ({_num(value)}).", "negative", value=_num(value))
        out[pos] = value
        free[pos] = False
    rest = int(parent) - int(out.sum())
    if rest < 0:
        raise _err(f"The changed targets add up to {_num(out.sum())}, more than the "
                   f"{_num(parent)} of {what}.", "override_too_big",
                   overrides=_num(out.sum()), parent=_num(parent), what=what)
    if not free.any():
        if rest:
            raise _err(f"Every target under {what} was changed and they add up to "
                       f"{_num(out.sum())}, not {_num(parent)}: leave at least one free.",
                       "all_fixed", overrides=_num(out.sum()), parent=_num(parent), what=what)
        return out
    out[free] = largest_remainder(rest, w[free])
    return out


def _whole(value: Any) -> int:
    """A whole number of currency units (half up), from int/float/Decimal/str."""
    try:
        number = Decimal(str(value))
    except Exception:  # noqa: BLE001 - any unreadable value is the same user error
        raise _err(f"{value!r} is not a number.", "not_number", value=str(value)) from None
    if not number.is_finite():
        raise _err(f"{value!r} is not a number.", "not_number", value=str(value))
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- company target --------------------------------------------------------------------------

@dataclass(frozen=True)
class CompanyGoal:
    """The company target for a period: an absolute value, or growth over the same period last
    year (``value`` = 0.15 for +15 %), plus the one-line strategy note it serves."""

    period: Period
    metric: str = "revenue"
    mode: str = "absolute"          # absolute / growth
    value: float = 0.0
    note: str = ""

    def __post_init__(self) -> None:
        _check_metric(self.metric)
        if self.mode not in ("absolute", "growth"):
            raise _err(f"Unknown target mode {self.mode!r}.", "mode", mode=self.mode)


def last_year_actual(con: Con, period: Period, metric: str = "revenue") -> float:
    """The metric's actual (DESIGN §4) over the same period last year."""
    _check_metric(metric)
    ly = period.same_last_year()
    with con.cursor() as cur:
        value = cur.execute(f"select sum(actual) from ({_ACTUALS_SQL[metric]})",
                            {"start": ly.start, "end": ly.end}).fetchall()[0][0]
    return float(value or 0)


def company_target(goal: CompanyGoal, last_year: float | None) -> int:
    """The company target as a whole number: ``value`` itself, or last_year x (1 + growth).

    Raises SalesCoreError for a negative value, growth below -100 %, or growth with no
    actuals last year to grow from.
    """
    if goal.mode == "absolute":
        value = _whole(goal.value)
    else:
        if goal.value < -1:
            raise _err("Growth cannot be below -100 %.", "growth_range")
        if not last_year:
            label = goal.period.same_last_year().label
            raise _err(f"There are no actuals in {label} to grow from: enter an absolute target.",
                       "no_baseline", period=label)
        value = _whole(Decimal(str(last_year)) * (1 + Decimal(str(goal.value))))
    if value < 0:
        raise _err(f"A target cannot be negative ({_num(value)}).", "negative", value=_num(value))
    return value


# --- inputs: roster, history, seasonality ----------------------------------------------------

def _month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def history_window(period: Period, as_of: date | None, months: int) -> tuple[date, date]:
    """The ``months`` complete months before the goal period (or before the as-of month, when
    that comes first): (first day, last day)."""
    cut = period.start if as_of is None else min(period.start, as_of.replace(day=1))
    end = cut - timedelta(days=1)
    first = _month_index(f"{end.year}-{end.month:02d}") - months + 1
    return date(first // 12, first % 12 + 1, 1), end


_ACTUALS_SQL = {
    # DESIGN §4 definitions per rep and month: revenue_won, deals_won, new_customers
    "revenue": """
        select d.rep_id, date_trunc('month', d.close_date) as month, sum(d.amount) as actual
        from deals d where d.status = 'won' and d.close_date between $start and $end
        group by 1, 2""",
    "deals_won": """
        select d.rep_id, date_trunc('month', d.close_date) as month, count(*) as actual
        from deals d where d.status = 'won' and d.close_date between $start and $end
        group by 1, 2""",
    "new_customers": """
        select rep_id, date_trunc('month', close_date) as month, count(*) as actual
        from (select rep_id, close_date,
                     row_number() over (partition by customer_id order by close_date, deal_id) as rn
              from deals where status = 'won' and customer_id is not null
                and close_date is not null)
        where rn = 1 and close_date between $start and $end
        group by 1, 2""",
}


def monthly_actuals(con: Con, metric: str = "revenue", start: date | None = None,
                    end: date | None = None) -> pd.DataFrame:
    """The metric's actual per rep and month (DESIGN §4). Columns: rep_id, team ('' when
    none), month (YYYY-MM), actual (float). Months without any are absent."""
    _check_metric(metric)
    sql = f"""
    with a as ({_ACTUALS_SQL[metric]})
    select a.rep_id, coalesce(r.team, '') as team, strftime(a.month, '%Y-%m') as month,
           a.actual::DOUBLE as actual
    from a left join reps r on r.rep_id = a.rep_id
    order by a.month, a.rep_id"""
    with con.cursor() as cur:
        frame = cur.execute(sql, {"start": start or date(1, 1, 1),
                                  "end": end or date(9999, 12, 31)}).df()
    frame["actual"] = frame["actual"].astype("float64")
    return frame


def roster(con: Con, period: Period, metric: str = "revenue", history_months: int = 12,
           as_of: date | None = None) -> pd.DataFrame:
    """The active reps a target is split between, with their history.

    Columns: rep_id, rep, team ('' when none), hire_date (date or None), history (the metric's
    actual over ``history_window``), is_open (False). Reps marked inactive are left out.
    Sorted by team, then rep_id.
    """
    _check_metric(metric)
    start, end = history_window(period, as_of, history_months)
    sql = f"""
    with a as ({_ACTUALS_SQL[metric]}),
    h as (select rep_id, sum(actual)::DOUBLE as history from a group by 1)
    select r.rep_id, r.name as rep, coalesce(r.team, '') as team, r.hire_date,
           coalesce(h.history, 0) as history
    from reps r left join h on h.rep_id = r.rep_id
    where r.active
    order by team, r.rep_id"""
    with con.cursor() as cur:
        frame = cur.execute(sql, {"start": start, "end": end}).df()
    frame["hire_date"] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame["hire_date"]]
    frame["history"] = frame["history"].astype("float64")
    frame["is_open"] = False
    return frame[["rep_id", "rep", "team", "hire_date", "history", "is_open"]]


def add_open_headcount(reps: pd.DataFrame, openings: Mapping[str, int],
                       start_month: str) -> pd.DataFrame:
    """The roster plus placeholder rows for hires not made yet: ``openings`` = {team: count},
    each starting in ``start_month`` (YYYY-MM) with no history. Their rep_id is
    ``open:<team>:<n>`` and their rep name is empty (the page names them)."""
    rows = []
    start = date(int(start_month[:4]), int(start_month[5:7]), 1)
    for team, count in openings.items():
        if int(count) < 0:
            raise _err("The number of open positions cannot be negative.", "open_negative")
        for n in range(1, int(count) + 1):
            rows.append({"rep_id": f"{OPEN_PREFIX}{team}:{n}", "rep": "", "team": team,
                         "hire_date": start, "history": 0.0, "is_open": True})
    if not rows:
        return reps
    out = pd.concat([reps, pd.DataFrame(rows)], ignore_index=True)
    return out.sort_values(["team", "is_open", "rep_id"], kind="stable").reset_index(drop=True)


def seasonality(monthly: pd.DataFrame) -> dict[int, float]:
    """Seasonal weight per calendar month 1..12 from a monthly series (columns month, actual):
    the mean of each calendar month over the years seen, divided by the mean of those means
    (so the weights average 1). A calendar month never seen gets 1; no sales at all gives 1s."""
    if monthly.empty:
        return {m: 1.0 for m in range(1, 13)}
    cal = monthly["month"].str.slice(5, 7).astype(int)
    means = monthly["actual"].astype("float64").groupby(cal).mean()
    overall = float(means.mean())
    if not overall > 0:
        return {m: 1.0 for m in range(1, 13)}
    return {m: float(means[m] / overall) if m in means.index else 1.0 for m in range(1, 13)}


def company_monthly(con: Con, metric: str, as_of: date | None, months: int = 36) -> pd.DataFrame:
    """The company's actual per complete month over the last ``months`` months before the as-of
    month (months inside the data's range with no sales count as 0). Columns: month, actual."""
    as_of = as_of or metrics.as_of(con)
    first, _ = metrics.data_range(con)
    if as_of is None or first is None:
        return pd.DataFrame({"month": pd.Series([], dtype="str"), "actual": pd.Series([], dtype="float64")})
    start, end = history_window(containing(as_of, "month"), as_of, months)
    start = max(start, first.replace(day=1))
    if start > end:
        return pd.DataFrame({"month": pd.Series([], dtype="str"), "actual": pd.Series([], dtype="float64")})
    frame = monthly_actuals(con, metric, start, end).groupby("month")["actual"].sum()
    labels = Period(start, end, "month").months
    return pd.DataFrame({"month": labels, "actual": [float(frame.get(m, 0.0)) for m in labels]})


# --- decomposition ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Method:
    """How a target is split: between reps by a blend (weights ``equal``, ``history``,
    ``capacity``; one non-zero weight = that method alone), across months by ``seasonality``
    (even / history / profile: 12 weights, January first).

    history: share of the metric's actual over the last ``history_months`` months (in a
    blend, a history with no actuals at all is left out; alone, it is an error).
    capacity: 1 per month for a ramped rep; ``ramp_factor`` in the first ``ramp_months``
    months after the hire month; 0 before the hire month.
    """

    equal: float = 1.0
    history: float = 0.0
    capacity: float = 0.0
    history_months: int = 12
    ramp_months: int = 3
    ramp_factor: float = 0.5
    seasonality: str = "even"
    profile: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        blend = (self.equal, self.history, self.capacity)
        if any(not math.isfinite(w) or w < 0 for w in blend) or sum(blend) <= 0:
            raise _err("Blend weights must be zero or positive, and not all zero.", "blend")
        if not 1 <= self.history_months <= 60:
            raise _err("Use 1 to 60 months of history.", "history_months")
        if not 0 <= self.ramp_months <= 36:
            raise _err("The ramp lasts 0 to 36 months.", "ramp_months")
        if not 0 <= self.ramp_factor <= 1:
            raise _err("The ramp factor is between 0 and 1.", "ramp_factor")
        if self.seasonality not in SEASONALITY:
            raise _err(f"Unknown seasonality {self.seasonality!r}.", "seasonality")
        if self.seasonality == "profile":
            p = self.profile or ()
            if len(p) != 12 or any(not math.isfinite(v) or v < 0 for v in p) or sum(p) <= 0:
                raise _err("A seasonality profile has 12 monthly weights, zero or positive, "
                           "not all zero.", "profile")

    @classmethod
    def single(cls, name: str, **params: Any) -> Method:
        """One split method alone: equal, history or capacity."""
        if name not in SPLITS:
            raise _err(f"Unknown split method {name!r}.", "split")
        weights = {k: 1.0 if k == name else 0.0 for k in SPLITS}
        return cls(**weights, **params)


def presence(reps: pd.DataFrame, months: Sequence[str]) -> np.ndarray:
    """Reps x months booleans: the rep is on the team that month (hired in or before it)."""
    idx = np.array([_month_index(m) for m in months])
    hire = np.array([-1 if h is None or pd.isna(h) else h.year * 12 + h.month - 1
                     for h in reps["hire_date"]], dtype="int64")
    return idx[None, :] >= hire[:, None]


def capacity(reps: pd.DataFrame, months: Sequence[str], ramp_months: int,
             ramp_factor: float) -> np.ndarray:
    """Reps x months capacity: 0 before the hire month, ``ramp_factor`` while tenure (whole
    months since the hire month) is below ``ramp_months``, then 1. No hire date = ramped."""
    idx = np.array([_month_index(m) for m in months])
    hire = np.array([-10_000 if h is None or pd.isna(h) else h.year * 12 + h.month - 1
                     for h in reps["hire_date"]], dtype="int64")
    tenure = idx[None, :] - hire[:, None]
    return np.where(tenure < 0, 0.0, np.where(tenure < ramp_months, ramp_factor, 1.0))


def month_weights(months: Sequence[str], method: Method,
                  season: Mapping[int, float] | None = None) -> np.ndarray:
    """Weight of each month of the plan: 1s (even), the history ``season`` weights, or the
    method's profile (calendar month -> weight)."""
    cal = [int(m[5:7]) for m in months]
    if method.seasonality == "profile":
        return np.array([method.profile[c - 1] for c in cal], dtype="float64")
    if method.seasonality == "history":
        season = season or {}
        return np.array([float(season.get(c, 1.0)) for c in cal], dtype="float64")
    return np.ones(len(months))


def weight_matrix(reps: pd.DataFrame, months: Sequence[str], method: Method,
                  season: Mapping[int, float] | None = None) -> np.ndarray:
    """Reps x months weights of ``method``: each blended component (equal per month present,
    history spread over the months present, capacity) is scaled to sum 1, blended with its
    weight, then each month is multiplied by its seasonal weight."""
    here = presence(reps, months).astype("float64")
    parts: list[tuple[float, np.ndarray]] = []
    if method.equal:
        parts.append((method.equal, here))
    if method.history:
        hist = reps["history"].astype("float64").clip(lower=0).to_numpy()[:, None] * here
        if not hist.sum() > 0 and not (method.equal or method.capacity):
            raise _err(f"Nobody has any actuals in the last {method.history_months} months: "
                       "choose another split.", "no_history", months=method.history_months)
        parts.append((method.history, hist))
    if method.capacity:
        parts.append((method.capacity, capacity(reps, months, method.ramp_months, method.ramp_factor)))
    total = np.zeros((len(reps), len(months)))
    for weight, part in parts:
        s = part.sum()
        if s > 0:
            total += weight * part / s
    if len(reps) and not total.sum() > 0:
        raise _err("No rep is on the team during this period.", "no_reps")
    return total * month_weights(months, method, season)[None, :]


@dataclass(frozen=True)
class Overrides:
    """Manual changes: team totals {team: v}, rep totals {rep_id: v}, rep months
    {(rep_id, 'YYYY-MM'): v}. Everything not overridden rebalances."""

    teams: Mapping[str, float] = field(default_factory=dict)
    reps: Mapping[str, float] = field(default_factory=dict)
    cells: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.teams or self.reps or self.cells)


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


# --- scenarios -------------------------------------------------------------------------------

def _check_scenario(name: str) -> str:
    name = str(name or "").strip()
    if not _SCENARIO_NAME.match(name):
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
    with con.cursor() as cur:
        frame = cur.execute("""
            with c as (   -- company revenue: explicit rows, else the sum of the teams/reps
                select scenario, period, max(value) filter (where scope = 'company') as c,
                       sum(value) filter (where scope = 'team') as tm,
                       sum(value) filter (where scope = 'rep') as rp
                from targets where metric = 'revenue' group by 1, 2)
            select t.scenario, string_agg(distinct t.metric, ', ' order by t.metric) as metrics,
                   min(t.period) as first, max(t.period) as last, count(*) as rows,
                   (select sum(coalesce(c.c, c.tm, c.rp)) from c where c.scenario = t.scenario)::DOUBLE
                       as revenue
            from targets t group by t.scenario order by t.scenario""").df()
    frame["active"] = frame["scenario"] == active
    frame["rows"] = frame["rows"].astype("int64")
    return frame.sort_values(["active", "scenario"], ascending=[False, True]).reset_index(drop=True)


def set_active(con: Con, scenario: str) -> None:
    """Make ``scenario`` the one pacing, the Overview and the incentive plans use."""
    scenario = _check_scenario(scenario)
    with con.cursor() as cur:
        found = cur.execute("select count(*) from targets where scenario = $s",
                            {"s": scenario}).fetchall()[0][0]
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
        with con.cursor() as cur:
            reps = dict(cur.execute("select rep_id, name from reps").fetchall())
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
    with con.cursor() as cur:
        frame = cur.execute("select scope, scope_id, period, value::DOUBLE as value from targets "
                            "where scenario = $s and metric = $m and list_contains($months, period) "
                            "order by scope, scope_id, period",
                            {"s": scenario, "m": metric, "months": list(months)}).df()
    return frame


# --- SMART check -----------------------------------------------------------------------------

LETTERS = ("S", "M", "A", "R", "T")


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def achievability(series: Sequence[float], target: float, n: int, gap: int = 0) -> dict[str, Any]:
    """How hard ``target`` over ``n`` months is, from a monthly history (oldest first) that
    ends ``gap`` months before the goal period starts. Months before the first non-zero one
    (not hired yet) are ignored.

    Returns per_month_t12 (mean of the last up to 12 months), growth_t12 (target vs that pace
    x n), best (highest sum of n consecutive months) and best_end (index of its last month in
    ``series``), and, from the historical distribution of period-over-period growth:
    basis ('yoy': the same months a year before, else 'pop': the last n months of history),
    growth_prev (target vs that base period), observations (past n-month windows compared
    with the window the same distance before them) and probability (normal fit of their
    log growth: P(growth >= growth_prev); None with fewer than MIN_GROWTH_OBS windows).
    """
    y = np.asarray(series, dtype="float64")
    out: dict[str, Any] = {"per_month_t12": None, "growth_t12": None, "best": None,
                           "best_end": None, "basis": None, "growth_prev": None,
                           "probability": None, "observations": 0}
    nz = np.flatnonzero(y)
    if len(nz) == 0:
        return out
    offset = int(nz[0])           # months before the first sale (not hired yet) do not count
    y = y[offset:]
    t12 = float(y[-12:].mean())
    out["per_month_t12"] = t12
    if t12 > 0:
        out["growth_t12"] = target / (t12 * n) - 1
    if len(y) < n:
        return out
    sums = np.convolve(y, np.ones(n), mode="valid")       # sums[k] = y[k .. k+n-1]
    out["best"] = float(sums.max())
    out["best_end"] = offset + int(np.argmax(sums)) + n - 1
    goal = len(y) + gap                                   # index of the goal's first month
    for basis, lag in (("yoy", 12), ("pop", n + gap)):
        base = goal - lag
        if base < 0 or base + n > len(y) or not sums[base] > 0:
            continue                                      # the base must be complete history
        before, after = sums[:-lag], sums[lag:]
        ok = (before > 0) & (after > 0)
        if ok.sum() < MIN_GROWTH_OBS:
            continue
        logs = np.log(after[ok] / before[ok])
        out.update(basis=basis, growth_prev=target / sums[base] - 1, observations=int(ok.sum()))
        spread = float(logs.std())
        if spread > 0 and target > 0:
            z = (math.log(target / sums[base]) - float(logs.mean())) / spread
            out["probability"] = 1 - _phi(z)
        break
    return out


def smart_check(goals: pd.DataFrame, reps: pd.DataFrame, actuals: pd.DataFrame, period: Period,
                as_of: date | None, metric: str = "revenue", measurable: bool = True,
                note: str = "") -> pd.DataFrame:
    """SMART verdicts for every goal of a period (pure).

    ``goals``: explicit target rows (scope, scope_id, period, value) of the period's months;
    ``reps``: rep_id, rep, team, active (every rep, leavers too); ``actuals``: rep_id, team,
    month, actual (monthly_actuals); ``measurable``: the metric's data exists.
    Returns one row per goal and letter: scope, scope_id, name, team, target, letter, ok,
    key (an i18n key), params (dict of raw values for the sentence). Goals in the order
    company, teams, reps.
    """
    months = period.months
    n_months = len(months)
    goals = goals[goals["period"].isin(months)]
    if goals.empty:
        return pd.DataFrame(columns=["scope", "scope_id", "name", "team", "target", "letter",
                                     "ok", "key", "params"])
    totals = goals.groupby(["scope", "scope_id"], as_index=False).agg(
        target=("value", "sum"), n=("period", "nunique"))
    present = set(zip(goals["scope"], goals["scope_id"], goals["period"]))
    order = {"company": 0, "team": 1, "rep": 2}
    totals = totals.sort_values(["scope", "scope_id"], key=lambda s: s.map(order) if s.name == "scope" else s)
    info = {r: (str(n), str(tm), bool(a)) for r, n, tm, a in
            reps[["rep_id", "rep", "team", "active"]].itertuples(index=False)}
    team_members = reps[reps["active"]].groupby("team")["rep_id"].apply(list).to_dict()

    # monthly history per scope, complete months before the period (or the as-of month)
    cut = period.start if as_of is None else min(period.start, as_of.replace(day=1))
    cut_m = f"{cut.year}-{cut.month:02d}"
    hist = actuals[actuals["month"] < cut_m]
    first_m = hist["month"].min() if len(hist) else None
    hist_months = [] if first_m is None else Period(
        date(int(first_m[:4]), int(first_m[5:7]), 1), cut - timedelta(days=1), "month").months
    gap = _month_index(months[0]) - _month_index(cut_m)
    by_rep = hist.pivot_table(index="rep_id", columns="month", values="actual", aggfunc="sum")
    by_rep = by_rep.reindex(columns=hist_months).fillna(0.0)
    rep_team = hist.groupby("rep_id")["team"].last()
    by_team = by_rep.groupby(rep_team.reindex(by_rep.index).fillna("")).sum()
    company = by_rep.sum(axis=0).to_numpy()
    rep_series = dict(zip(by_rep.index, by_rep.to_numpy()))
    team_series = dict(zip(by_team.index, by_team.to_numpy()))
    no_series = np.zeros(len(hist_months))

    explicit = {(s, i): v for s, i, v in totals[["scope", "scope_id", "target"]].itertuples(index=False)}
    team_sum = totals[totals["scope"] == "team"]["target"].sum()
    rep_rows = totals[totals["scope"] == "rep"]
    rep_team_of = {r: (r.split(":")[1] if r.startswith(OPEN_PREFIX) else
                       (info[r][1] if r in info else None)) for r in rep_rows["scope_id"]}
    rep_sum_by_team: dict[str, float] = {}
    for r, v in rep_rows[["scope_id", "target"]].itertuples(index=False):
        rep_sum_by_team[rep_team_of[r]] = rep_sum_by_team.get(rep_team_of[r], 0.0) + v
    rep_sum = float(rep_rows["target"].sum())

    out: list[dict[str, Any]] = []
    for row in totals.itertuples(index=False):
        scope, sid, target = row.scope, row.scope_id, float(row.target)
        is_open = scope == "rep" and sid.startswith(OPEN_PREFIX)
        team = (sid if scope == "team" else rep_team_of.get(sid) if scope == "rep" else "") or ""
        name = "" if scope == "company" else sid if scope == "team" else (
            "" if is_open else info[sid][0] if sid in info else sid)
        base = {"scope": scope, "scope_id": sid, "name": name, "team": team, "target": target}

        def add(letter: str, ok: bool, key: str, **params: Any) -> None:
            params["metric"] = metric
            out.append({**base, "letter": letter, "ok": ok, "key": "goals.smart." + key,
                        "params": params})

        # S: metric, scope, owner
        if target <= 0:
            add("S", False, "s_zero")
        elif scope == "company":
            add("S", True, "s_company", period=period.label)
        elif scope == "team":
            if sid in team_members:
                add("S", True, "s_team", team=sid, count=len(team_members[sid]), period=period.label)
            else:
                add("S", False, "s_team_empty", team=sid)
        elif is_open:
            add("S", False, "s_open", team=team)
        elif sid not in info:
            add("S", False, "s_unknown", rep=sid)
        elif not info[sid][2]:
            add("S", False, "s_left", rep=name)
        else:
            add("S", True, "s_rep", rep=name, team=team or "—", period=period.label)

        # M: the metric exists in the data
        add("M", measurable, "m_ok" if measurable else "m_missing")

        # A: vs trailing 12 months, best-ever, probability from past growth
        series = (company if scope == "company" else
                  team_series.get(sid, no_series) if scope == "team" else
                  rep_series.get(sid, no_series))
        a = achievability(series, target, n_months, gap)
        if not a["per_month_t12"]:
            add("A", False, "a_no_history")
        else:
            best_label = (hist_months[a["best_end"]] if a["best_end"] is not None else "")
            reasons = []
            if a["probability"] is not None and a["probability"] < HARD_PROBABILITY:
                reasons.append("p")
            if a["best"] is not None and a["best"] > 0 and target > MAX_VS_BEST * a["best"]:
                reasons.append("best")
            if a["growth_t12"] is not None and a["growth_t12"] > MAX_GROWTH_T12:
                reasons.append("t12")
            params = {"growth": a["growth_t12"], "per_month": a["per_month_t12"],
                      "best": a["best"], "best_month": best_label,
                      "vs_best": target / a["best"] if a["best"] else None,
                      "probability": a["probability"], "n": n_months,
                      "basis": a["basis"], "growth_prev": a["growth_prev"]}
            key = "a_prob" if a["probability"] is not None else "a_noprob"
            if a["best"] is None:
                key = "a_short"
            add("A", not reasons, key + ("" if not reasons else "_warn"), **params)

        # R: children sum to parent, reps cover the company
        if scope == "company":
            cover = rep_sum / target if target else None
            ok = (not team_sum or abs(team_sum - target) < 0.5) and rep_sum >= target - 0.5
            add("R", ok, "r_company" if ok else "r_company_warn", teams=team_sum, reps=rep_sum,
                cover=cover, note=note)
        elif scope == "team":
            reps_total = rep_sum_by_team.get(sid, 0.0)
            ok = abs(reps_total - target) < 0.5
            company_t = explicit.get(("company", ""))
            add("R", ok, "r_team" if ok else "r_team_warn", team=sid, reps=reps_total,
                share=target / company_t if company_t else None)
        else:
            team_t = explicit.get(("team", team))
            ok = team_t is not None and team_t > 0
            add("R", ok, "r_rep" if ok else "r_rep_warn", team=team or "—",
                share=target / team_t if ok else None)

        # T: a target for every month of the period
        missing = [] if row.n == n_months else [m for m in months if (scope, sid, m) not in present]
        add("T", not missing, "t_ok" if not missing else "t_missing", start=period.start.isoformat(),
            end=period.end.isoformat(), months=n_months, missing=", ".join(missing))
    return pd.DataFrame(out)


def measurable(con: Con, metric: str) -> bool:
    """Whether the data can measure ``metric``: won deals with amount and close date (revenue),
    with a customer (new_customers), or any won deal (deals_won)."""
    _check_metric(metric)
    cond = {"revenue": "amount is not null and close_date is not null",
            "new_customers": "customer_id is not null and close_date is not null",
            "deals_won": "close_date is not null"}[metric]
    with con.cursor() as cur:
        return bool(cur.execute(f"select count(*) > 0 from deals where status = 'won' and {cond}"
                                ).fetchall()[0][0])


def smart_for(con: Con, scenario: str, period: Period, metric: str = "revenue",
              as_of: date | None = None) -> pd.DataFrame:
    """smart_check on the saved targets of ``scenario`` for ``period`` (see smart_check)."""
    _check_metric(metric)
    as_of = as_of or metrics.as_of(con)
    goals = scenario_targets(con, scenario, metric, period.months)
    with con.cursor() as cur:
        reps = cur.execute("select rep_id, name as rep, coalesce(team, '') as team, active "
                           "from reps").df()
    reps["active"] = reps["active"].astype(bool)
    actuals = monthly_actuals(con, metric, None, as_of)
    saved = goal_note(con, scenario, metric, period.months)
    return smart_check(goals, reps, actuals, period, as_of, metric, measurable(con, metric),
                       (saved or {}).get("note", ""))


_MONEYISH = ("per_month", "best", "teams", "reps")
_PCTISH = ("growth", "vs_best", "probability", "cover", "share")


def value_text(value: Any, metric: str, lang: str) -> str:
    """A target value in words: money for revenue, a count otherwise."""
    return fmt.money(value, lang) if metric == "revenue" else fmt.number(value)


def smart_text(check: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The check with a ``sentence`` column in ``lang`` (the params formatted)."""
    out = check.copy()
    sentences = []
    for key, params in zip(out["key"], out["params"]):
        p = dict(params)
        metric = p.get("metric", "revenue")
        for k in _MONEYISH:
            if k in p:
                p[k] = value_text(p[k], metric, lang)
        for k in _PCTISH:
            if k in p:
                p[k] = fmt.pct(p[k], 0)
        if "growth" in params and params["growth"] is not None:
            p["growth"] = f"{params['growth']:+.0%}"
        if params.get("growth_prev") is not None:
            p["growth_prev"] = f"{params['growth_prev']:+.0%}"
        if params.get("basis"):
            p["basis"] = t(f"goals.smart.basis_{params['basis']}", lang)
        p["metric"] = t(f"goals.metric.{metric}", lang)
        p["note"] = p.get("note") or t("goals.smart.no_note", lang)
        sentences.append(t(key, lang, **p))
    out["sentence"] = sentences
    return out


def goal_label(scope: str, scope_id: str, name: str, lang: str) -> str:
    """How a goal is named on screen: the company, a team, a rep, or an open position."""
    if scope == "company":
        return t("goals.company", lang)
    if scope == "team":
        return t("goals.team_goal", lang, team=scope_id or "—")
    if scope_id.startswith(OPEN_PREFIX):
        _, team, n = scope_id.split(":", 2)
        return t("goals.open_position", lang, team=team, n=n)
    return name or scope_id


def smart_grid(check: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per goal: goal (label), target, and S M A R T as ✓ / ⚠, plus warnings (count).
    Goals keep the check's order."""
    if check.empty:
        return pd.DataFrame(columns=["goal", "target", *LETTERS, "warnings"])
    frame = check.copy()
    frame["goal"] = [goal_label(s, i, n, lang) for s, i, n in
                     zip(frame["scope"], frame["scope_id"], frame["name"])]
    frame["mark"] = np.where(frame["ok"].astype(bool), "✓", "⚠")
    keys = ["scope", "scope_id"]
    order = frame.drop_duplicates(keys)[keys + ["goal", "target"]]
    wide = frame.pivot_table(index=keys, columns="letter", values="mark", aggfunc="first")
    out = order.merge(wide.reset_index(), on=keys, how="left")
    out["warnings"] = (out[list(LETTERS)] == "⚠").sum(axis=1)
    return out[["scope", "scope_id", "goal", "target", *LETTERS, "warnings"]].reset_index(drop=True)


def period_choices(current: Period) -> list[Period]:
    """Periods to set a company target for, starting from ``current`` (the sidebar's): it, its
    quarter and year, and the next month/quarter/year."""
    day = current.start
    items = [current, containing(day, "quarter"), containing(day, "year"), current.next(),
             containing(day, "quarter").next(), containing(day, "year").next()]
    return list(dict.fromkeys(items))


# --- pacing ----------------------------------------------------------------------------------

def working_days(start: date, end: date) -> int:
    """Monday-to-Friday days from ``start`` to ``end`` inclusive (0 when end < start)."""
    if end < start:
        return 0
    return int(np.busday_count(start, end + timedelta(days=1)))


def time_elapsed(period: Period, as_of: date) -> tuple[int, int]:
    """(working days elapsed up to and including ``as_of``, working days in the period)."""
    total = working_days(period.start, period.end)
    return working_days(period.start, min(as_of, period.end)), total


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

    Adds: time_share (working days elapsed / in period), attainment (actual / target),
    pace_index (attainment / time_share), forecast (run rate: actual / elapsed x total working
    days), remaining (target - actual, >= 0), pipeline_coverage (pipeline / remaining, DESIGN
    §4), per_day (remaining / working days left), light. Furthest behind first.
    """
    elapsed, total = time_elapsed(period, as_of)
    left = total - elapsed
    out = rows.copy()
    target = out["target"].astype("float64")
    has_target = target > 0
    out["time_share"] = elapsed / total if total else 1.0
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
    """Open pipeline expected to close in the rest of the period, per rep: deals created by
    ``as_of`` and still open then, with expected_close_date after ``as_of`` and by the period
    end. Columns: rep_id, pipeline."""
    with con.cursor() as cur:
        frame = cur.execute("""
            select d.rep_id, sum(d.amount)::DOUBLE as pipeline
            from deals d left join reps r on r.rep_id = d.rep_id
            where (d.created_date is null or d.created_date <= $as_of)
              and (d.status = 'open' or d.close_date > $as_of)
              and d.expected_close_date > $as_of and d.expected_close_date <= $end
              and ($team::VARCHAR is null or r.team = $team)
              and ($rep::VARCHAR is null or d.rep_id = $rep)
            group by 1""", {"as_of": as_of, "end": period.end, "team": scope.team,
                           "rep": scope.rep_id}).df()
    frame["pipeline"] = frame["pipeline"].astype("float64")
    return frame


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
    with con.cursor() as cur:
        frame = cur.execute(f"""
            with a as ({_ACTUALS_SQL["revenue"]}),
            won as (select rep_id, sum(actual)::DOUBLE as actual from a group by 1)
            select r.rep_id, r.name, coalesce(r.team, '') as team, r.active,
                   coalesce(w.actual, 0) as actual
            from reps r left join won w on w.rep_id = r.rep_id
            where ($team::VARCHAR is null or r.team = $team) and ($rep::VARCHAR is null or r.rep_id = $rep)
            order by r.rep_id""", {"start": period.start, "end": upto, "team": scope.team,
                                   "rep": scope.rep_id}).df()
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


# --- export ----------------------------------------------------------------------------------

def safe_cell(value: Any) -> Any:
    """Formula-looking text gets a leading apostrophe (fmt.safe_cell)."""
    return fmt.safe_cell(value)



def export_xlsx(con: Con, lang: str, scenario: str | None = None) -> bytes:
    """The targets of ``scenario`` (default: the active one) as an XLSX workbook: one sheet per
    metric with reps (rep name, team, one column per month, total), then teams and the company
    below them. Text cells that start with = + - @ are escaped."""
    import xlsxwriter

    scenario = scenario or metrics.active_scenario(con)
    with con.cursor() as cur:
        frame = cur.execute("""
            select t.metric, t.scope, t.scope_id, t.period, t.value::DOUBLE as value,
                   r.name as rep, coalesce(r.team, '') as rep_team
            from targets t left join reps r on t.scope = 'rep' and r.rep_id = t.scope_id
            where t.scenario = $s order by t.metric, t.period""", {"s": scenario}).df()
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    number = book.add_format({"num_format": "#,##0"})
    total_fmt = book.add_format({"num_format": "#,##0", "bold": True})
    for metric in [m for m in METRICS if m in set(frame["metric"])] or ["revenue"]:
        part = frame[frame["metric"] == metric]
        sheet = book.add_worksheet(t(f"goals.metric.{metric}", lang)[:31])
        months = sorted(set(part["period"]))
        head = [t("goals.col.level", lang), t("goals.col.rep", lang), t("goals.col.team", lang),
                *months, t("goals.col.total", lang)]
        for c, text in enumerate(head):
            sheet.write_string(0, c, safe_cell(text), bold)
        r = 1
        for scope in ("rep", "team", "company"):
            rows = part[part["scope"] == scope]
            if rows.empty:
                continue
            wide = rows.pivot_table(index="scope_id", columns="period", values="value",
                                    aggfunc="sum").reindex(columns=months)
            meta = rows.drop_duplicates("scope_id").set_index("scope_id").reindex(wide.index)
            if scope == "rep":
                known = meta["rep"].notna().to_numpy()
                names = np.where(known, meta["rep"].fillna("").to_numpy(dtype=object), wide.index.to_numpy())
                teams = np.where(known, meta["rep_team"].fillna("").to_numpy(dtype=object), "")
            elif scope == "team":
                names, teams = np.full(len(wide), ""), wide.index.to_numpy()
            else:
                names, teams = np.full(len(wide), t("goals.company", lang)), np.full(len(wide), "")
            order = sorted(range(len(wide)), key=lambda i: (str(teams[i]), str(wide.index[i])))
            values = wide.to_numpy(dtype="float64")
            level = t(f"goals.scope.{scope}", lang)
            for i in order:
                sheet.write_string(r, 0, level)
                sheet.write_string(r, 1, safe_cell(str(names[i])))
                sheet.write_string(r, 2, safe_cell(str(teams[i])))
                for c, v in enumerate(values[i]):
                    if not math.isnan(v):
                        sheet.write_number(r, 3 + c, float(v), number)
                sheet.write_number(r, 3 + len(months), float(np.nansum(values[i])), total_fmt)
                r += 1
        sheet.freeze_panes(1, 3)
        sheet.set_column(0, 2, 14)
        sheet.set_column(3, 3 + len(months), 12)
    book.close()
    return buffer.getvalue()

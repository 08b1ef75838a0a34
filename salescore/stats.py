"""Estimates with confidence intervals: did a change make a difference, or is it noise?

General tools, not tied to one page: a bootstrap confidence interval of a mean and of a
difference in means, and a difference-in-differences (DiD) estimator whose bootstrap
resamples *units* (reps, customers, teams ...) so that the many rows of one unit move
together. The Team page uses them for a training programme's effect on win rate; the Plan &
review page for before/after evaluation.

Conventions: inputs are never modified; randomness comes from a seeded
``numpy.random.Generator`` (same inputs and seed -> same interval); intervals are percentile
intervals (the ``level`` central share of the bootstrap distribution).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salescore.errors import SalesCoreError

#: Bootstrap resamples used unless the caller asks otherwise.
N_BOOT = 2000
#: The smallest number of units per group the estimators accept.
MIN_UNITS = 2


@dataclass(frozen=True)
class Estimate:
    """An estimate with its confidence interval: ``low`` <= ``estimate`` <= ``high`` usually.

    ``n`` is the number of observations (arrays) or units (DiD) the estimate rests on.
    """

    estimate: float
    low: float
    high: float
    n: int
    level: float = 0.95

    @property
    def excludes_zero(self) -> bool:
        return excludes_zero(self.low, self.high)


@dataclass(frozen=True)
class DidEstimate(Estimate):
    """A difference-in-differences estimate (see :func:`diff_in_diff`).

    ``treated_change`` / ``control_change`` are the mean after-minus-before change of each
    group's units; estimate = treated_change - control_change.
    """

    n_treated: int = 0
    n_control: int = 0
    treated_before: float = float("nan")
    treated_after: float = float("nan")
    control_before: float = float("nan")
    control_after: float = float("nan")

    @property
    def treated_change(self) -> float:
        return self.treated_after - self.treated_before

    @property
    def control_change(self) -> float:
        return self.control_after - self.control_before


def excludes_zero(low: float, high: float) -> bool:
    """True when the interval [low, high] lies entirely above or below 0."""
    return bool(np.isfinite(low) and np.isfinite(high) and (low > 0 or high < 0))


def verdict(est: Estimate) -> str:
    """'up' (interval above 0), 'down' (below 0) or 'noise' (it covers 0: the change cannot be
    told apart from chance at this confidence level)."""
    if not excludes_zero(est.low, est.high):
        return "noise"
    return "up" if est.low > 0 else "down"


def _clean(values: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    arr = np.asarray(values, dtype="float64").ravel()
    return arr[np.isfinite(arr)]


def _too_few(n_a: int, n_b: int) -> SalesCoreError:
    return SalesCoreError(
        f"Too few units to compare: {n_a} and {n_b} (at least {MIN_UNITS} in each group).",
        key="evaluation.error.too_few", a=n_a, b=n_b, min=MIN_UNITS)


def _percentiles(draws: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_mean_diff(a: Sequence[float] | np.ndarray | pd.Series,
                        b: Sequence[float] | np.ndarray | pd.Series, *,
                        n_boot: int = N_BOOT, level: float = 0.95, seed: int = 0) -> Estimate:
    """mean(a) - mean(b) with a percentile bootstrap interval (each sample resampled with
    replacement, independently). NaN values are ignored; ``n`` = len(a) + len(b) used.

    Raises SalesCoreError (key evaluation.error.too_few) with fewer than MIN_UNITS values in
    either sample.
    """
    x, y = _clean(a), _clean(b)
    if len(x) < MIN_UNITS or len(y) < MIN_UNITS:
        raise _too_few(len(x), len(y))
    rng = np.random.default_rng(seed)
    mx = x[rng.integers(0, len(x), (n_boot, len(x)))].mean(axis=1)
    my = y[rng.integers(0, len(y), (n_boot, len(y)))].mean(axis=1)
    low, high = _percentiles(mx - my, level)
    return Estimate(float(x.mean() - y.mean()), low, high, int(len(x) + len(y)), level)


def unit_changes(frame: pd.DataFrame, *, unit: str = "unit", group: str = "group",
                 period: str = "period", value: str = "value", treated: object = True,
                 before: object = "before", after: object = "after") -> pd.DataFrame:
    """One row per unit: unit, treated (bool), before, after, change (= after - before).

    ``frame`` has one or more rows per (unit, period); a unit's value in a period is the mean
    of its rows (pass one row per unit and period to control the weighting yourself). A row is
    treated when its ``group`` equals ``treated``. Units lacking either period, or whose value
    is missing, are dropped. Sorted by unit.
    """
    cols = [unit, group, period, value]
    data = frame[cols].dropna(subset=[unit, period, value])
    data = data[data[period].isin([before, after])]
    flags = data.groupby(unit)[group].agg(lambda s: bool((s == treated).any()))
    means = data.pivot_table(index=unit, columns=period, values=value, aggfunc="mean")
    out = pd.DataFrame({"unit": means.index,
                        "before": means[before].to_numpy() if before in means else np.nan,
                        "after": means[after].to_numpy() if after in means else np.nan})
    out["treated"] = out["unit"].map(flags).astype(bool)
    out = out.dropna(subset=["before", "after"])
    out["change"] = out["after"] - out["before"]
    return out[["unit", "treated", "before", "after", "change"]].sort_values("unit").reset_index(drop=True)


def diff_in_diff(frame: pd.DataFrame, *, unit: str = "unit", group: str = "group",
                 period: str = "period", value: str = "value", treated: object = True,
                 before: object = "before", after: object = "after",
                 n_boot: int = N_BOOT, level: float = 0.95, seed: int = 0) -> DidEstimate:
    """Difference-in-differences: (treated after - before) - (control after - before).

    Each unit counts once (its mean per period, see :func:`unit_changes`), so the estimate is
    the mean change of treated units minus the mean change of control units. The interval is
    a percentile bootstrap that resamples units with replacement within each group (a
    cluster bootstrap: a unit's rows stay together). ``n`` = units used.

    Raises SalesCoreError (key evaluation.error.too_few) with fewer than MIN_UNITS units
    having both periods in either group.
    """
    units = unit_changes(frame, unit=unit, group=group, period=period, value=value,
                         treated=treated, before=before, after=after)
    return _did_from_units(units, n_boot, level, seed)


def bootstrap_mean(values: Sequence[float] | np.ndarray | pd.Series, *, n_boot: int = N_BOOT,
                   level: float = 0.95, seed: int = 0) -> Estimate:
    """mean(values) with a percentile bootstrap interval (NaN ignored). Raises
    SalesCoreError (evaluation.error.too_few) with fewer than MIN_UNITS values."""
    x = _clean(values)
    if len(x) < MIN_UNITS:
        raise _too_few(len(x), len(x))
    rng = np.random.default_rng(seed)
    draws = x[rng.integers(0, len(x), (n_boot, len(x)))].mean(axis=1)
    low, high = _percentiles(draws, level)
    return Estimate(float(x.mean()), low, high, int(len(x)), level)


def _did_from_units(units: pd.DataFrame, n_boot: int, level: float, seed: int) -> DidEstimate:
    """:func:`diff_in_diff` on already computed unit changes (same estimate, same draws)."""
    t, c = units[units["treated"]], units[~units["treated"]]
    if len(t) < MIN_UNITS or len(c) < MIN_UNITS:
        raise _too_few(len(t), len(c))
    est = bootstrap_mean_diff(t["change"], c["change"], n_boot=n_boot, level=level, seed=seed)
    return DidEstimate(est.estimate, est.low, est.high, int(len(units)), level,
                       n_treated=int(len(t)), n_control=int(len(c)),
                       treated_before=float(t["before"].mean()), treated_after=float(t["after"].mean()),
                       control_before=float(c["before"].mean()), control_after=float(c["after"].mean()))

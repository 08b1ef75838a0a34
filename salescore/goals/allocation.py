"""Allocation: how a target is split between reps (equal, history, capacity, or a blend)
and across months (even, history, or a seasonality profile), as one reps x months weight
matrix."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from salescore.goals.core import SEASONALITY, SPLITS, _err
from salescore.periods import month_index


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
    idx = np.array([month_index(m) for m in months])
    hire = np.array([-1 if h is None or pd.isna(h) else month_index(h)
                     for h in reps["hire_date"]], dtype="int64")
    return idx[None, :] >= hire[:, None]


def capacity(reps: pd.DataFrame, months: Sequence[str], ramp_months: int,
             ramp_factor: float) -> np.ndarray:
    """Reps x months capacity: 0 before the hire month, ``ramp_factor`` while tenure (whole
    months since the hire month) is below ``ramp_months``, then 1. No hire date = ramped."""
    idx = np.array([month_index(m) for m in months])
    hire = np.array([-10_000 if h is None or pd.isna(h) else month_index(h)
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

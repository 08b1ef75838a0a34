"""What every part of :mod:`salescore.goals` shares: the target metrics, the split and
seasonality names, the thresholds of the SMART check and the traffic lights, the error
helper and whole-number parsing."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb

from salescore.errors import SalesCoreError

Con = duckdb.DuckDBPyConnection

#: Target metrics (targets.metric) and the section 4 actual each one is measured by.
METRICS = ("revenue", "new_customers", "deals_won")
ACTUAL = {"revenue": "revenue_won", "new_customers": "new_customers", "deals_won": "deals_won"}
#: Ways to split between reps (blended with weights) and across months.
SPLITS = ("equal", "history", "capacity")
SEASONALITY = ("even", "history", "profile")
#: rep_id prefix of open-headcount placeholder rows ("open:<team>:<n>").
OPEN_PREFIX = "open:"
#: The growth the company target input is prefilled with: last year x 1.1.
DEFAULT_GROWTH = 0.10

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

SCENARIO_NAME = re.compile(r"^[^\x00-\x1f]{1,40}$")


def _err(message: str, key: str, **params: Any) -> SalesCoreError:
    return SalesCoreError(message, key=f"goals.err.{key}", **params)


def _num(value: float | int) -> str:
    """A whole number with thousands separators, for error messages in any language."""
    return f"{value:,.0f}"


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise _err(f"Unknown target metric {metric!r}: use revenue, new_customers or deals_won.",
                   "metric", metric=metric)


def _whole(value: Any) -> int:
    """A whole number of currency units (half up), from int/float/Decimal/str."""
    try:
        number = Decimal(str(value))
    except Exception:  # noqa: BLE001 - any unreadable value is the same user error
        raise _err(f"{value!r} is not a number.", "not_number", value=str(value)) from None
    if not number.is_finite():
        raise _err(f"{value!r} is not a number.", "not_number", value=str(value))
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))

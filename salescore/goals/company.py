"""The company target: an absolute value or growth over the same period last year."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from salescore.goals.core import DEFAULT_GROWTH, Con, _check_metric, _err, _num, _whole
from salescore.goals.history import actuals_cte, run_actuals
from salescore.periods import Period, containing


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
    ly = period.same_last_year()
    found = run_actuals(con, f"select sum(actual) as value from ({actuals_cte(metric)})",
                        {"start": ly.start, "end": ly.end}, frame=False)
    return float(found[0]["value"] or 0)


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


def default_target(period: Period, last_year: float | None, metric: str = "revenue",
                   growth: float = DEFAULT_GROWTH) -> float:
    """The value the company target input opens with: last year's actual x (1 + ``growth``)
    (+10 % unless told), a whole number as :func:`company_target` rounds it. 0 when there
    is nothing last year to grow from (no actuals, or net credits)."""
    if not last_year or last_year <= 0:
        return 0.0
    return float(company_target(CompanyGoal(period, metric, "growth", growth), last_year))


def period_choices(current: Period) -> list[Period]:
    """Periods to set a company target for, starting from ``current`` (the sidebar's): it, its
    quarter and year, and the next month/quarter/year."""
    day = current.start
    items = [current, containing(day, "quarter"), containing(day, "year"), current.next(),
             containing(day, "quarter").next(), containing(day, "year").next()]
    return list(dict.fromkeys(items))

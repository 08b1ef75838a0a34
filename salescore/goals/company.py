"""The company target: an absolute value or growth over the same period last year."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
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
    found = run_actuals(con, f"select sum(actual) as value from ({actuals_cte(metric)}) a",
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


def period_choices(as_of: date, current: Period | None = None, months: int = 3,
                   quarters: int = 2, years: int = 1) -> list[Period]:
    """Periods to set a company target for, from the data's today ``as_of``: the running
    month and the next ``months``, the running quarter and the next ``quarters``, the
    running year and the next ``years``. ``current`` (the sidebar's period) comes first
    when it is none of those, so a past period can still be revised."""
    items: list[Period] = []
    for kind, ahead in (("month", months), ("quarter", quarters), ("year", years)):
        period = containing(as_of, kind)
        for _ in range(ahead + 1):
            items.append(period)
            period = period.next()
    if current is not None and current not in items:
        items.insert(0, current)
    return items


#: Units a manager may type after an amount ("1,200万", "12M").
_UNITS = {"": 1, "k": 1_000, "m": 1_000_000, "万": 10_000, "亿": 100_000_000}
_AMOUNT = re.compile(r"^[¥$€£]?(\d+(?:\.\d+)?)(k|m|万|亿)?元?$")


def parse_amount(text: str) -> int:
    """A whole amount as a person types it: thousands separators, spaces, a currency symbol,
    full-width digits and a unit are fine ('12,755,380', '¥ 1,275.5万' -> 12,755,000,
    '12.5M'); half up to a whole number. Raises SalesCoreError (goals.err.not_amount) for
    anything else, a negative number included."""
    typed = str(text or "").strip()
    plain = re.sub(r"[\s,_'’]", "", unicodedata.normalize("NFKC", typed)).casefold()
    found = _AMOUNT.match(plain)
    if not found:
        raise _err(f"{typed!r} is not an amount: type a whole number such as 12,000,000.",
                   "not_amount", value=typed)
    return _whole(Decimal(found.group(1)) * _UNITS[found.group(2) or ""])

"""Reporting periods: a month (2026-07), a quarter (2026-Q3) or a year (2026).

Dates are inclusive at both ends. No hidden ``today()``: callers pass the "as of" date.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from salescore.errors import PeriodError

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period; ``kind`` is month, quarter or year."""

    start: date
    end: date
    kind: str

    @property
    def label(self) -> str:
        """2026-07, 2026-Q3 or 2026."""
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    def __str__(self) -> str:
        return self.label

    @property
    def months(self) -> list[str]:
        """The YYYY-MM months the period covers (the keys of the targets table)."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    @property
    def n_months(self) -> int:
        return len(self.months)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return containing(self.start - timedelta(days=1), self.kind)

    def same_last_year(self) -> Period:
        return containing(self.start.replace(year=self.start.year - 1), self.kind)

    def next(self) -> Period:
        return containing(self.end + timedelta(days=1), self.kind)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _month_end(year: int, month: int) -> date:
    first_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_next - timedelta(days=1)


def containing(day: date, kind: str) -> Period:
    """The month, quarter or year that contains ``day``."""
    if kind == "month":
        return Period(date(day.year, day.month, 1), _month_end(day.year, day.month), "month")
    if kind == "quarter":
        first = (day.month - 1) // 3 * 3 + 1
        return Period(date(day.year, first, 1), _month_end(day.year, first + 2), "quarter")
    if kind == "year":
        return Period(date(day.year, 1, 1), date(day.year, 12, 31), "year")
    raise PeriodError(f"Unknown period kind {kind!r}: use month, quarter or year.", value=kind)


def parse(text: str) -> Period:
    """Parse 2026-07, 2026-Q3 (or 2026Q3) or 2026."""
    value = str(text).strip()
    if m := _MONTH.match(value):
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            return containing(date(year, month, 1), "month")
    elif m := _QUARTER.match(value):
        return containing(date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1), "quarter")
    elif m := _YEAR.match(value):
        return containing(date(int(m.group(1)), 1, 1), "year")
    raise PeriodError(
        f"{value!r} is not a period: write a month (2026-07), a quarter (2026-Q3) or a year (2026).",
        value=value)


def latest_complete(as_of: date, kind: str) -> Period:
    """The last period of ``kind`` that ended on or before ``as_of``."""
    current = containing(as_of, kind)
    return current if current.end <= as_of else current.previous()


def recent(as_of: date, kind: str, count: int) -> list[Period]:
    """The ``count`` periods of ``kind`` up to and including the one containing ``as_of``, newest first."""
    out = [containing(as_of, kind)]
    while len(out) < count:
        out.append(out[-1].previous())
    return out


def default_for(first: date, last: date, kind: str) -> Period:
    """The period a page opens on: the latest complete one in the data (``last`` = the data's
    last date), or the one containing ``last`` when no complete period has data."""
    done = latest_complete(last, kind)
    return done if done.end >= first else containing(last, kind)

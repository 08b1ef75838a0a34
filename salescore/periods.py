"""Reporting periods: a month (2026-07), a quarter (2026-Q3) or a year (2026); month
arithmetic, working days and pace, each written once (DESIGN.md sections 1 and 4).

Dates are inclusive at both ends. No hidden ``today()``: callers pass the "as of" date.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from salescore import i18n
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
        return month_labels(self.start, self.end)

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


# --- months ----------------------------------------------------------------------------------

def month_label(day: date) -> str:
    """The YYYY-MM month of ``day`` (the key of the targets table)."""
    return f"{day.year}-{day.month:02d}"


def month_index(month: str | date) -> int:
    """A month (YYYY-MM text or a date) as a running count: year x 12 + month - 1."""
    if isinstance(month, date):
        return month.year * 12 + month.month - 1
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_from_index(index: int) -> date:
    """The first day of the month :func:`month_index` numbered ``index``."""
    return date(index // 12, index % 12 + 1, 1)


def month_start(day: date, back: int = 0) -> date:
    """The first day of the month ``back`` months before ``day``'s month."""
    return month_from_index(month_index(day) - back)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (earlier when negative), clamped to the
    month's last day (2026-01-31 + 1 month = 2026-02-28)."""
    first = month_from_index(month_index(day) + months)
    return first.replace(day=min(day.day, _month_end(first.year, first.month).day))


def month_labels(start: date | str, end: date | str) -> list[str]:
    """Every YYYY-MM month from ``start``'s month to ``end``'s month, inclusive."""
    return [month_label(month_from_index(i))
            for i in range(month_index(start), month_index(end) + 1)]


#: The trend charts' window: this many months ending with the chosen period's last month.
TREND_MONTHS = 12


def trend_start(period: Period) -> date:
    """First day of the :data:`TREND_MONTHS`-month window that ends with ``period`` (a year
    shows its own twelve months). One window for Overview, Funnel and the deck."""
    if period.kind == "year":
        return period.start
    return month_start(period.end, TREND_MONTHS - 1)


# --- working days and pace (DESIGN.md section 4) ---------------------------------------------

def working_days(start: date, end: date) -> int:
    """Monday-to-Friday days from ``start`` to ``end`` inclusive (0 when end < start)."""
    if end < start:
        return 0
    weeks, rest = divmod((end - start).days + 1, 7)
    first = start.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (first + i) % 7 < 5)


def time_elapsed(period: Period, as_of: date | None) -> tuple[int, int]:
    """(working days elapsed up to and including ``as_of``, working days in the period); a
    missing ``as_of`` counts the period as finished."""
    total = working_days(period.start, period.end)
    if as_of is None:
        return total, total
    return working_days(period.start, min(as_of, period.end)), total


def pace(period: Period, as_of: date | None) -> float:
    """The time share of ``period`` gone on ``as_of``: working days (Mon-Fri) elapsed / working
    days in the period; 1.0 for a finished period (or no date), 0.0 before it starts. The one
    pace of Overview alerts, Goals traffic lights and the deck."""
    elapsed, total = time_elapsed(period, as_of)
    return elapsed / total if total else 1.0


# --- running periods: "to date" and the comparable previous window -----------------------------
#
# A running period (it holds the data's as-of date and ends after it) is compared with the
# same number of calendar days from the start of the previous period, never with the whole
# previous period: 2026-Q4 through 2026-11-20 is day 51 of the quarter, so it is compared with
# 2026-07-01..2026-08-20 (days 1-51 of 2026-Q3). Calendar days, not working days, so the
# previous window is a plain date range a manager can check on a calendar; the time pace of
# targets stays :func:`pace` (working days). Overview cards and alerts, Incentives and the
# Meeting deck use these functions; keep the names stable.

def is_running(period: Period, as_of: date | None) -> bool:
    """Whether ``period`` is still running on ``as_of``: it holds that date and ends after it
    (a period whose last day is ``as_of`` is complete). False without a date."""
    return as_of is not None and period.start <= as_of < period.end


def elapsed_days(period: Period, as_of: date | None) -> int:
    """Calendar days of ``period`` gone on ``as_of`` (its start through ``as_of``, inclusive):
    0 before it starts, the period's length once it is over or without a date."""
    length = (period.end - period.start).days + 1
    if as_of is None:
        return length
    return max(0, min(length, (as_of - period.start).days + 1))


def to_date_end(period: Period, as_of: date | None) -> date:
    """The last day of ``period`` with data on ``as_of``: ``as_of`` while it runs, else its end."""
    return as_of if is_running(period, as_of) else period.end


def comparable_previous(period: Period, as_of: date | None) -> tuple[date, date]:
    """(start, end) of the previous period's window to compare ``period`` with on ``as_of``:
    the whole previous period when ``period`` is complete (or not started, or no date), else
    the same number of calendar days from the previous period's start, cut at its end (day 31
    of a running March is compared with 1-28 February)."""
    prev = period.previous()
    if not is_running(period, as_of):
        return prev.start, prev.end
    end = prev.start + timedelta(days=elapsed_days(period, as_of) - 1)
    return prev.start, min(end, prev.end)


def period_label(period: Period, as_of: date | None, lang: str) -> str:
    """How a page names ``period``: its label ("2026-Q3"), or for a running one "2026-Q4 to
    date (through 2026-11-20)" / "2026-Q4 截至 11-20"."""
    if not is_running(period, as_of):
        return period.label
    assert as_of is not None
    return i18n.t("period.to_date", lang, period=period.label, date=_day(as_of, lang))


def previous_label(period: Period, as_of: date | None, lang: str) -> str:
    """How a page names what ``period`` is compared with (:func:`comparable_previous`): the
    previous period's label, or for a running period "2026-Q3 through 2026-08-20 (the same
    first 51 days)" / "2026-Q3 同期（前 51 天，截至 08-20）"."""
    prev = period.previous()
    if not is_running(period, as_of):
        return prev.label
    _, end = comparable_previous(period, as_of)
    days = elapsed_days(period, as_of)
    return i18n.t("period.same_days_one" if days == 1 else "period.same_days", lang,
                  period=prev.label, date=_day(end, lang), days=days)


def _day(day: date, lang: str) -> str:
    """A day inside a named period: 2026-11-20 in English, 11-20 in Chinese (截至 11-20)."""
    return f"{day.month:02d}-{day.day:02d}" if i18n.normalise(lang) == "zh" else day.isoformat()


def default_pay_period(chosen: Period | None, as_of: date, kind: str) -> Period:
    """The pay period (``kind``: the plan's month, quarter or year) a pay page opens on for
    the sidebar's ``chosen`` period: the ``kind`` period holding the last day of ``chosen``
    that has data (:func:`to_date_end`), or the latest complete one when that is still
    running on ``as_of`` (pay is settled per whole period). Incentives, Retention and the
    deck open on this one."""
    day = as_of if chosen is None else min(to_date_end(chosen, as_of), as_of)
    current = containing(day, kind)
    return current if current.end <= as_of else latest_complete(as_of, kind)


# --- before/after windows around a change (Plan & review, training effect) ------------------

def full_after_end(change: date, months_after: int) -> date:
    """The last day of a full after window: ``months_after`` calendar months from ``change``."""
    return add_months(change, months_after) - timedelta(days=1)


def windows_around(change: date, months_before: int, months_after: int,
                   last: date | None) -> tuple[tuple[date, date], tuple[date, date]]:
    """(before, after) windows around ``change``: ``months_before`` calendar months up to the
    day before it, and ``months_after`` months from it, the after window ending at ``last``
    (the data's last date) when that comes first. The after window is empty (its end before
    ``change``) when nothing is after the change yet: callers say so in their own words."""
    before = (add_months(change, -months_before), change - timedelta(days=1))
    after_end = full_after_end(change, months_after)
    if last is not None:
        after_end = min(after_end, last)
    return before, (change, after_end)

"""salescore.periods: month arithmetic, working days, pace and the trend window, worked by
hand on the 2026 calendar (1 Jan 2026 is a Thursday; July 2026 has 23 working days)."""
from __future__ import annotations

from datetime import date

import pytest

from salescore import periods
from salescore.errors import PeriodError, SalesCoreError
from salescore.periods import (TREND_MONTHS, Period, add_months, month_from_index, month_index,
                               month_label, month_labels, month_start, pace, parse, time_elapsed,
                               trend_start, working_days)

JULY = parse("2026-07")       # Wed 1 .. Fri 31: 3 + 5 + 5 + 5 + 5 = 23 working days
Q3 = parse("2026-Q3")         # July 23 + August 21 + September 22 = 66


# --- parse ------------------------------------------------------------------------------------

def test_parse_month_quarter_year():
    assert JULY == Period(date(2026, 7, 1), date(2026, 7, 31), "month") and JULY.label == "2026-07"
    assert parse("2026-7") == JULY
    assert Q3 == Period(date(2026, 7, 1), date(2026, 9, 30), "quarter") and Q3.label == "2026-Q3"
    assert parse(" 2026q3 ") == Q3
    assert parse("2026") == Period(date(2026, 1, 1), date(2026, 12, 31), "year")
    assert parse("2024-02").end == date(2024, 2, 29)        # leap year


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-Q5", "2026-Q0", "July", "", "26-07",
                                  "2026/07", "2026-07-01"])
def test_parse_refuses_what_is_not_a_period(text):
    with pytest.raises(PeriodError) as err:
        parse(text)
    assert isinstance(err.value, SalesCoreError) and err.value.key == "error.period"
    assert "2026-Q3" in str(err.value)                       # the sentence says what to write


def test_unknown_kind_is_a_period_error():
    with pytest.raises(PeriodError):
        periods.containing(date(2026, 7, 1), "week")


def test_neighbours():
    assert JULY.previous() == parse("2026-06") and JULY.next() == parse("2026-08")
    assert parse("2026-01").previous() == parse("2025-12")
    assert parse("2026-Q1").previous() == parse("2025-Q4")
    assert Q3.same_last_year() == parse("2025-Q3")
    assert Q3.months == ["2026-07", "2026-08", "2026-09"] and Q3.n_months == 3


# --- working days -------------------------------------------------------------------------------

@pytest.mark.parametrize("start, end, expected", [
    (date(2026, 6, 1), date(2026, 6, 7), 5),      # Mon .. Sun: one whole week
    (date(2026, 7, 4), date(2026, 7, 5), 0),      # Sat .. Sun: a weekend only
    (date(2026, 7, 1), date(2026, 7, 1), 1),      # one Wednesday
    (date(2026, 7, 4), date(2026, 7, 4), 0),      # one Saturday
    (date(2026, 1, 30), date(2026, 2, 3), 3),     # Fri 30 Jan, Mon 2 and Tue 3 Feb: across a month end
    (date(2025, 12, 31), date(2026, 1, 2), 3),    # Wed, Thu, Fri across the year end
    (date(2026, 7, 1), date(2026, 7, 31), 23),    # July 2026
    (date(2026, 2, 1), date(2026, 2, 28), 20),    # February 2026: Sun 1 .. Sat 28
    (date(2026, 1, 1), date(2026, 1, 31), 22),    # January 2026: Thu 1 .. Sat 31
    (date(2026, 7, 1), date(2026, 9, 30), 66),    # Q3 2026
    (date(2026, 7, 2), date(2026, 7, 1), 0),      # end before start
])
def test_working_days(start, end, expected):
    assert working_days(start, end) == expected


# --- time elapsed and pace ----------------------------------------------------------------------

def test_time_elapsed_inside_before_after_and_without_a_date():
    assert time_elapsed(JULY, date(2026, 7, 15)) == (11, 23)     # Wed 1-Fri 3, 6-10, 13-15
    assert time_elapsed(JULY, date(2026, 7, 4)) == (3, 23)       # a Saturday counts no day
    assert time_elapsed(JULY, date(2026, 6, 30)) == (0, 23)      # before the period
    assert time_elapsed(JULY, date(2026, 8, 10)) == (23, 23)     # after it
    assert time_elapsed(JULY, None) == (23, 23)                  # no date: finished


def test_pace_is_the_working_day_share():
    assert pace(JULY, date(2026, 7, 15)) == pytest.approx(11 / 23)
    assert pace(JULY, date(2026, 7, 31)) == 1.0
    assert pace(JULY, date(2026, 6, 30)) == 0.0                  # before: nothing gone yet
    assert pace(JULY, date(2027, 1, 1)) == 1.0                   # after: all gone
    assert pace(JULY, None) == 1.0
    assert pace(Q3, date(2026, 8, 31)) == pytest.approx((23 + 21) / 66)   # Mon 31 Aug
    weekend = Period(date(2026, 7, 4), date(2026, 7, 5), "month")         # no working day at all
    assert pace(weekend, date(2026, 7, 4)) == 1.0


# --- months -------------------------------------------------------------------------------------

def test_month_label_index_and_back():
    assert month_label(date(2026, 3, 9)) == "2026-03"
    assert month_index("2026-01") == month_index(date(2026, 1, 31)) == 2026 * 12
    assert month_from_index(2026 * 12 - 1) == date(2025, 12, 1)
    assert month_start(date(2026, 3, 15)) == date(2026, 3, 1)
    assert month_start(date(2026, 3, 15), 2) == date(2026, 1, 1)
    assert month_start(date(2026, 1, 15), 1) == date(2025, 12, 1)


@pytest.mark.parametrize("day, n, expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),     # clamped to February's last day
    (date(2024, 1, 31), 1, date(2024, 2, 29)),     # leap February
    (date(2026, 3, 31), -1, date(2026, 2, 28)),    # backwards, clamped
    (date(2026, 11, 30), 3, date(2027, 2, 28)),    # over the year end, clamped
    (date(2026, 1, 15), -1, date(2025, 12, 15)),   # back over the year end
    (date(2026, 5, 31), -13, date(2025, 4, 30)),   # more than a year back, clamped
    (date(2024, 2, 29), -12, date(2023, 2, 28)),
    (date(2026, 7, 15), 0, date(2026, 7, 15)),
    (date(2026, 7, 15), 24, date(2028, 7, 15)),
])
def test_add_months(day, n, expected):
    assert add_months(day, n) == expected


def test_month_labels():
    assert month_labels(date(2025, 11, 20), date(2026, 2, 3)) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_labels("2025-12", "2026-01") == ["2025-12", "2026-01"]
    assert month_labels(date(2026, 7, 1), date(2026, 7, 31)) == ["2026-07"]
    assert month_labels(date(2026, 8, 1), date(2026, 7, 1)) == []


# --- the trend window ---------------------------------------------------------------------------

def test_trend_start_is_twelve_months_ending_with_the_period():
    assert TREND_MONTHS == 12
    assert trend_start(JULY) == date(2025, 8, 1)                  # Aug 2025 .. Jul 2026
    assert trend_start(Q3) == date(2025, 10, 1)                   # Oct 2025 .. Sep 2026
    assert trend_start(parse("2026-Q1")) == date(2025, 4, 1)      # Apr 2025 .. Mar 2026
    assert trend_start(parse("2026")) == date(2026, 1, 1)         # a year: its own months
    assert len(month_labels(trend_start(JULY), JULY.end)) == 12


# --- defaults -----------------------------------------------------------------------------------

def test_latest_complete_recent_and_default():
    assert periods.latest_complete(date(2026, 7, 15), "month") == parse("2026-06")
    assert periods.latest_complete(date(2026, 7, 31), "month") == JULY
    assert periods.recent(date(2026, 7, 15), "quarter", 3) == [Q3, parse("2026-Q2"), parse("2026-Q1")]
    assert periods.default_for(date(2025, 1, 1), date(2026, 7, 15), "month") == parse("2026-06")
    # data only inside the current month: that month, not an empty complete one
    assert periods.default_for(date(2026, 7, 2), date(2026, 7, 15), "month") == JULY


# --- running periods: "to date" and the comparable previous window ----------------------------
# Worked by hand: 2026-Q4 starts Thu 1 Oct; 20 Nov is day 31 (October) + 20 = 51 of the quarter;
# day 51 of 2026-Q3 (July 31 + August 20) is 20 Aug.

Q4 = parse("2026-Q4")


def test_is_running_holds_the_date_and_ends_after_it():
    assert periods.is_running(Q4, date(2026, 11, 20))
    assert periods.is_running(Q4, date(2026, 10, 1))                 # its first day
    assert not periods.is_running(Q4, date(2026, 12, 31))            # its last day: complete
    assert not periods.is_running(Q3, date(2026, 11, 20))            # over
    assert not periods.is_running(parse("2027-Q1"), date(2026, 11, 20))   # not started
    assert not periods.is_running(Q4, None)


def test_elapsed_days_and_to_date_end():
    assert periods.elapsed_days(Q4, date(2026, 11, 20)) == 51
    assert periods.elapsed_days(JULY, date(2026, 7, 1)) == 1
    assert periods.elapsed_days(JULY, date(2026, 6, 30)) == 0        # before it
    assert periods.elapsed_days(JULY, date(2026, 9, 1)) == 31        # after it
    assert periods.elapsed_days(Q4, None) == 92
    assert periods.to_date_end(Q4, date(2026, 11, 20)) == date(2026, 11, 20)
    assert periods.to_date_end(Q3, date(2026, 11, 20)) == date(2026, 9, 30)


@pytest.mark.parametrize("period, as_of, expected", [
    # running: the same first days of the previous period
    ("2026-Q4", date(2026, 11, 20), (date(2026, 7, 1), date(2026, 8, 20))),    # days 1-51
    ("2026-11", date(2026, 11, 20), (date(2026, 10, 1), date(2026, 10, 20))),  # days 1-20
    ("2026", date(2026, 11, 20), (date(2025, 1, 1), date(2025, 11, 20))),      # days 1-324
    ("2026-Q1", date(2026, 1, 1), (date(2025, 10, 1), date(2025, 10, 1))),     # day 1
    ("2026-03", date(2026, 3, 30), (date(2026, 2, 1), date(2026, 2, 28))),     # day 30 > February's 28
    ("2024-03", date(2024, 3, 29), (date(2024, 2, 1), date(2024, 2, 29))),     # leap February: day 29
    ("2026-Q1", date(2026, 3, 30), (date(2025, 10, 1), date(2025, 12, 28))),   # day 89 of 92
    # complete, not started or no date: the whole previous period
    ("2026-Q3", date(2026, 11, 20), (date(2026, 4, 1), date(2026, 6, 30))),
    ("2026-Q4", date(2026, 12, 31), (date(2026, 7, 1), date(2026, 9, 30))),
    ("2027-01", date(2026, 11, 20), (date(2026, 12, 1), date(2026, 12, 31))),
    ("2026-Q4", None, (date(2026, 7, 1), date(2026, 9, 30))),
])
def test_comparable_previous(period, as_of, expected):
    assert periods.comparable_previous(parse(period), as_of) == expected


def test_period_and_previous_labels_say_to_date_in_both_languages():
    on = date(2026, 11, 20)
    assert periods.period_label(Q4, on, "en") == "2026-Q4 to date (through 2026-11-20)"
    assert periods.period_label(Q4, on, "zh") == "2026-Q4 截至 11-20"
    assert periods.period_label(Q3, on, "en") == periods.period_label(Q3, on, "zh") == "2026-Q3"
    assert periods.previous_label(Q4, on, "en") == "2026-Q3 through 2026-08-20 (the same first 51 days)"
    assert periods.previous_label(Q4, on, "zh") == "2026-Q3 同期（前 51 天，截至 08-20）"
    assert periods.previous_label(Q3, on, "en") == "2026-Q2"
    assert periods.previous_label(JULY, date(2026, 7, 1), "en") == (
        "2026-06 through 2026-06-01 (the same first 1 day)")          # one day: singular


@pytest.mark.parametrize("chosen, kind, expected", [
    ("2026-10", "quarter", "2026-Q3"),    # October's quarter runs on 20 Nov: the last complete one
    ("2026-Q3", "quarter", "2026-Q3"),
    ("2026-Q3", "month", "2026-09"),      # the last pay month inside the chosen quarter
    ("2026-07", "quarter", "2026-Q3"),
    ("2026", "quarter", "2026-Q3"),       # the year runs: its last complete quarter
    ("2026-11", "month", "2026-10"),      # the running month: the previous one
    ("2026-10", "month", "2026-10"),
    ("2025", "year", "2025"),
    ("2026", "year", "2025"),
])
def test_default_pay_period(chosen, kind, expected):
    assert periods.default_pay_period(parse(chosen), date(2026, 11, 20), kind).label == expected
    assert periods.default_pay_period(None, date(2026, 11, 20), "quarter").label == "2026-Q3"

"""What a target is split by: the actuals per rep and month (DESIGN §4), the roster with
each rep's history, open headcount placeholders and the seasonal weights."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pandas as pd

from salescore import metrics, sql
from salescore.goals.core import OPEN_PREFIX, Con, _check_metric, _err
from salescore.periods import Period, containing, month_from_index, month_index, month_labels, month_start

_ACTUALS_SQL = {
    # DESIGN §4 definitions per rep and month: revenue_won, deals_won, new_customers (a
    # customer's first won deal ever: metrics.first_won, registered as _first_won)
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
        from _first_won where close_date between $start and $end
        group by 1, 2""",
}


def actuals_cte(metric: str) -> str:
    """The SELECT of the metric's actual per rep and month (rep_id, month as a date, actual)
    over ``$start``..``$end``, to wrap in a CTE; run it with :func:`run_actuals`."""
    _check_metric(metric)
    return _ACTUALS_SQL[metric]


def run_actuals(con: Con, text: str, params: Mapping[str, Any], *, frame: bool = True) -> Any:
    """Run a query built on :func:`actuals_cte` (the first-won table registered when read):
    a DataFrame, or with ``frame`` False a list of dicts (sql.run)."""
    return sql.run(con, text, params, frame=frame,
                   prepare=lambda cur: metrics.register_first_won(con, cur, text))


def history_window(period: Period, as_of: date | None, months: int) -> tuple[date, date]:
    """The ``months`` complete months before the goal period (or before the as-of month, when
    that comes first): (first day, last day)."""
    cut = period.start if as_of is None else min(period.start, as_of.replace(day=1))
    end = cut - timedelta(days=1)
    return month_start(end, months - 1), end


def monthly_actuals(con: Con, metric: str = "revenue", start: date | None = None,
                    end: date | None = None) -> pd.DataFrame:
    """The metric's actual per rep and month (DESIGN §4). Columns: rep_id, team ('' when
    none), month (YYYY-MM), actual (float). Months without any are absent."""
    text = f"""
    with a as ({actuals_cte(metric)})
    select a.rep_id, coalesce(r.team, '') as team, strftime(a.month, '%Y-%m') as month,
           a.actual::FLOAT8 as actual
    from a left join reps r on r.rep_id = a.rep_id
    order by a.month, a.rep_id"""
    frame = run_actuals(con, text, sql.date_range(start, end))
    frame["actual"] = frame["actual"].astype("float64")
    return frame


def roster(con: Con, period: Period, metric: str = "revenue", history_months: int = 12,
           as_of: date | None = None) -> pd.DataFrame:
    """The active reps a target is split between, with their history.

    Columns: rep_id, rep, team ('' when none), hire_date (date or None), history (the metric's
    actual over ``history_window``), is_open (False). Reps marked inactive are left out.
    Sorted by team, then rep_id.
    """
    start, end = history_window(period, as_of, history_months)
    text = f"""
    with a as ({actuals_cte(metric)}),
    h as (select rep_id, sum(actual)::FLOAT8 as history from a group by 1)
    select r.rep_id, r.name as rep, coalesce(r.team, '') as team, r.hire_date,
           coalesce(h.history, 0) as history
    from reps r left join h on h.rep_id = r.rep_id
    where r.active
    order by team, r.rep_id"""
    frame = run_actuals(con, text, {"start": start, "end": end})
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
    start = month_from_index(month_index(start_month))
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


def _no_months() -> pd.DataFrame:
    return pd.DataFrame({"month": pd.Series([], dtype="str"), "actual": pd.Series([], dtype="float64")})


def company_monthly(con: Con, metric: str, as_of: date | None, months: int = 36) -> pd.DataFrame:
    """The company's actual per complete month over the last ``months`` months before the as-of
    month (months inside the data's range with no sales count as 0). Columns: month, actual."""
    as_of = as_of or metrics.as_of(con)
    first, _ = metrics.data_range(con)
    if as_of is None or first is None:
        return _no_months()
    start, end = history_window(containing(as_of, "month"), as_of, months)
    start = max(start, first.replace(day=1))
    if start > end:
        return _no_months()
    frame = monthly_actuals(con, metric, start, end).groupby("month")["actual"].sum()
    labels = month_labels(start, end)
    return pd.DataFrame({"month": labels, "actual": [float(frame.get(m, 0.0)) for m in labels]})

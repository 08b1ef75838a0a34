"""What every metrics module shares: the query runner with the first-won table, the range
parameters, the scoped-deals CTE, clean numbers and the data's own dates (DESIGN.md §4).
"""
from __future__ import annotations

import math
import threading
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from salescore import fmt
from salescore import sql as sqlkit
from salescore.errors import SalesCoreError
from salescore.periods import Period, default_for
from salescore.scope import Scope

Con = duckdb.DuckDBPyConnection


class _LazyPandas:
    """pandas, imported on first use. ``metrics --json`` builds its figures from DuckDB rows
    and never needs it: the import is ~0.25 s, a third of that command at 1M deals."""

    def __getattr__(self, name: str) -> Any:
        import pandas

        return getattr(pandas, name)


pd: Any = _LazyPandas()


def query(con: Con, sql: str, params: dict[str, Any] | None = None, frame: bool = True) -> Any:
    """:func:`salescore.sql.run` with the first-won table registered when ``sql`` reads it
    (the runner of every query over ``_first_won``, here and in customers): a DataFrame, or
    (``frame`` False) a list of dicts of plain Python values, no pandas."""
    return sqlkit.run(con, sql, params, frame=frame,
                      prepare=lambda cur: register_first_won(con, cur, sql))


_query = query


def _params(start: date | None, end: date | None, scope: Scope) -> dict[str, Any]:
    """``$start``/``$end`` (open ends bound to MIN/MAX_DATE), ``$open_start`` and the scope's
    ``$team``/``$rep``."""
    return sqlkit.date_range(start, end) | {"open_start": start is None} | scope.params


# The deals of the scope (reps joined as r), with the grouping expression as grp.
_SCOPED = """
    scoped as (
        select d.*, {group} as grp
        from deals d left join reps r on r.rep_id = d.rep_id
        where """ + sqlkit.in_scope() + """
    )"""

# A credit (a won row with a negative amount, DESIGN §4) is not a deal; rows sharing an order
# id are one deal. DEAL and DEAL_KEY are fixed SQL text, pasted where a query needs "this row
# is a deal" (alias-free: the scoped CTEs name their columns plainly) and "which deal".
DEAL = "coalesce(amount, 0) >= 0"
DEAL_KEY = "coalesce(order_id, deal_id)"


def has_orders(con: Con) -> bool:
    """Whether any deal row carries an order id (then deals are counted per order)."""
    return bool(sqlkit.scalar(con, "select exists (select 1 from deals where order_id is not null)"))


def deal_count(condition: str, orders: bool) -> str:
    """SQL counting the deals among the rows matching ``condition`` (fixed SQL text): lines
    sharing an order id once, rows without one each. Without any order id in the data
    (``orders`` False) a plain count, which keeps count(distinct) out of the 1M-deal path."""
    if not orders:
        return f"count(*) filter (where {condition})"
    return (f"(count(*) filter (where {condition} and order_id is null)"
            f" + count(distinct order_id) filter (where {condition}))")


# pipeline_coverage's pipeline (DESIGN §4): an open deal expected in the rest of $start..$end,
# the overdue ones (expected close passed) included when the period is the current one
# (``{current}``: SQL true when the period holds the as-of date). Used by kpis and
# metrics.coverage_pipeline.
EXPECTED_IN_REST = ("expected_close_date <= $end "
                    "and (expected_close_date >= $start or {current})")

# The smallest (close_date, deal_id, ...) struct per customer is its first won deal (ties on
# the date go to the smallest deal_id, which is unique): one min() instead of an arg_min per
# column, about half the time. channel may be NULL. second_close_date: the close date of the
# customer's second won deal (lines of one order count once), NULL when it has bought once:
# repeat_rate's "two or more won deals closed up to the period's end".
_FIRST_WON_SQL = f"""
with won as (
    select customer_id, order_id, deal_id, rep_id, channel, close_date from deals
    where status = 'won' and {DEAL} and customer_id is not null and close_date is not null
),
per_deal as (    -- one row per deal: an order's lines count once, on its first close date
    select customer_id, close_date as d from won where order_id is null
    union all
    select customer_id, min(close_date) from won where order_id is not null
    group by customer_id, order_id
),
second as (select customer_id, min(d, 2)[2] as second_close_date from per_deal group by 1)
select f.customer_id, f.m.d as close_date, f.m.i as deal_id, f.m.r as rep_id, f.m.c as channel,
       s.second_close_date
from (select customer_id, min({{'d': close_date, 'i': deal_id, 'r': rep_id, 'c': channel}}) as m
      from won group by customer_id) f
join second s on s.customer_id = f.customer_id
"""

_FIRST_WON_LOCK = threading.Lock()
_FIRST_WON: dict[str, tuple[tuple[Any, ...], Any]] = {}   # database path -> (key, arrow table)


def first_won(con: Con) -> Any:
    """Each customer's first won deal ever (DESIGN §4 new customer: credits are not deals;
    ties on the date go to the smallest deal_id): an Arrow table with customer_id, close_date,
    deal_id, rep_id, channel, second_close_date (the customer's second won deal, NULL when
    none: repeat_rate).

    Computed once per database and data version (every committed write bumps the version)
    and kept for the process: the pages ask for it in many figures, and finding it is a
    group-by over every won deal (~0.1 s at 1M deals).
    """
    with con.cursor() as cur:
        cur.execute("begin transaction")     # the version and the rows from one snapshot
        try:
            path, version, deals = cur.execute(
                "select (select path from duckdb_databases() where database_name = current_database()), "
                "(select value from settings where key = 'data_version'), "
                "(select count(*) from deals)").fetchall()[0]
            key = (version, deals)
            with _FIRST_WON_LOCK:
                hit = _FIRST_WON.get(path) if path else None
            if hit is not None and hit[0] == key:
                return hit[1]
            table = cur.sql(_FIRST_WON_SQL).to_arrow_table()
        finally:
            cur.execute("commit")
    if path:
        with _FIRST_WON_LOCK:
            _FIRST_WON[path] = (key, table)
    return table


def register_first_won(con: Con, cur: Con, sql: str) -> None:
    """Make :func:`first_won` visible as ``_first_won`` on ``cur`` when ``sql`` reads it
    (PostgreSQL has it as a view: salescore/compat.sql)."""
    if "_first_won" in sql and sqlkit.dialect(con) != "postgres":
        cur.register("_first_won", first_won(con))


_missing = fmt.missing


def _clean(value: Any) -> Any:
    """numpy/NaN/Decimal -> plain Python numbers, NaN -> None."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# --- the data's dates and names ------------------------------------------------------------

def data_range(con: Con) -> tuple[date | None, date | None]:
    """The first and last date found in deals (created or closed), company-wide even on a
    restricted connection (the data_dates view)."""
    lo, hi = sqlkit.rows(con, "select first_date, last_date from data_dates")[0]
    return lo, hi


def as_of(con: Con) -> date | None:
    """The data's "today": the last date found in deals (no hidden call to date.today())."""
    return data_range(con)[1]


def default_period(con: Con, kind: str = "month") -> Period | None:
    """The latest complete period of ``kind`` in the data (None for an empty database)."""
    first, last = data_range(con)
    if first is None or last is None:
        return None
    return default_for(first, last, kind)


def rep_id_by_name(con: Con, name: str) -> str:
    """The rep_id of the rep called ``name`` (or with that id); SalesCoreError when unknown."""
    found = sqlkit.rows(con, "select rep_id from reps where name = $n or rep_id = $n order by rep_id",
                        {"n": name})
    if not found:
        raise SalesCoreError(f"No sales rep called {name!r} in the database.", key="error.unknown_rep",
                             name=name)
    return found[0][0]


def rep_options(con: Con, scope: Scope = Scope()) -> pd.DataFrame:
    """Reps of ``scope`` that are active or have deals: columns rep_id, rep, team (by name)."""
    return sqlkit.run(
        con, "select rep_id, name as rep, coalesce(team, '') as team from reps r "
        f"where {sqlkit.in_team('team')} "
        "and (active or exists (select 1 from deals d where d.rep_id = r.rep_id)) "
        "order by name, rep_id", scope.params)


def _error(message: str, key: str, **params: Any) -> Exception:
    return SalesCoreError(message, key=key, **params)

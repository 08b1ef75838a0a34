"""Key sales metrics (DESIGN.md section 4) as SQL over the canonical tables.

Every function takes an open connection, a date range (inclusive; ``None`` = unbounded) and an
optional scope (a team name or a rep_id), and returns plain numbers or frames whose columns use
the section 4 names. Figures that cannot be computed (no closed deals, no target) are ``None``
(NaN in frames), never zero and never an exception.
"""
from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from salescore import db
from salescore.periods import Period, containing, default_for

Con = duckdb.DuckDBPyConnection

#: The section 4 figures :func:`kpis` returns, in display order.
class _LazyPandas:
    """pandas, imported on first use. ``metrics --json`` builds its figures from DuckDB rows
    and never needs it: the import is ~0.25 s, a third of that command at 1M deals."""

    def __getattr__(self, name: str) -> Any:
        import pandas

        return getattr(pandas, name)


pd: Any = _LazyPandas()

KPI_NAMES = ("revenue_won", "deals_won", "deals_lost", "win_rate", "avg_deal_size",
             "sales_cycle_days", "sales_cycle_days_median", "new_customers", "repeat_rate",
             "open_deals", "open_pipeline", "velocity", "target", "attainment")

_MIN_DATE, _MAX_DATE = date(1, 1, 1), date(9999, 12, 31)

# Grouping expressions, chosen from this whitelist only (never from user input).
_GROUPS = {"all": "'all'", "team": "coalesce(r.team, '')", "rep": "d.rep_id"}


@dataclass(frozen=True)
class Scope:
    """Whose deals: the whole company, one team, or one rep."""

    team: str | None = None
    rep_id: str | None = None

    @property
    def level(self) -> str:
        return "rep" if self.rep_id else "team" if self.team else "company"


def _query(con: Con, sql: str, params: dict[str, Any], frame: bool = True) -> Any:
    """Run ``sql`` binding only the ``$names`` it uses (DuckDB rejects unused parameters):
    a DataFrame, or (``frame`` False) a list of dicts of plain Python values, no pandas."""
    used = set(re.findall(r"\$(\w+)", sql))
    with con.cursor() as cur:
        register_first_won(con, cur, sql)
        result = cur.execute(sql, {k: v for k, v in params.items() if k in used})
        if frame:
            return result.df()
        names = [d[0] for d in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]


def _params(start: date | None, end: date | None, scope: Scope) -> dict[str, Any]:
    return {"start": start or _MIN_DATE, "end": end or _MAX_DATE,
            "open_start": start is None, "team": scope.team, "rep": scope.rep_id}


_SCOPED = """
    scoped as (
        select d.*, {group} as grp
        from deals d left join reps r on r.rep_id = d.rep_id
        where ($team::VARCHAR is null or r.team = $team)
          and ($rep::VARCHAR is null or d.rep_id = $rep)
    )"""

# Only the deal columns the core figures read: a narrow scope is what keeps _CORE_SQL fast at
# 1M deals (the scoped rows are read twice, for the closed and for the open figures).
_SCOPED_CORE = """
    scoped as not materialized (
        select d.deal_id, d.customer_id, d.amount, d.status, d.created_date, d.close_date,
               {group} as grp
        from deals d {join}
        where {team_filter} ($rep::VARCHAR is null or d.rep_id = $rep)
    )"""

# Each customer's first won deal ever comes from the table :func:`first_won` registers as
# _first_won (computed once per data version). A buyer of the period is a repeat buyer when
# that first won deal closed before the period (= "had a won deal before"); with no start
# date, one with more than one won deal. A bounded range keeps its few closed deals
# (materialized: read by two figures); all data streams them instead (see _core).
_CORE_SQL = """
with {scoped},
closed as {materialized} (
    select * from scoped
    where status in ('won', 'lost') and close_date between $start and $end
),
closed_agg as (
    select grp,
           sum(amount) filter (where status = 'won')                 as revenue_won,
           count(*) filter (where status = 'won')                    as deals_won,
           count(*) filter (where status = 'lost')                   as deals_lost,
           avg(close_date - created_date) filter (where status = 'won'
               and created_date is not null)                         as sales_cycle_days,
           percentile_cont(0.5) within group (order by close_date - created_date)
               filter (where status = 'won' and created_date is not null)
                                                                     as sales_cycle_days_median
    from closed group by {by_grp}
),
new_agg as (     -- customers whose first won deal (any rep) falls in the range, then scoped
    select {group} as grp, count(*) as new_customers
    from _first_won d left join reps r on r.rep_id = d.rep_id
    where d.close_date between $start and $end
      and ($team::VARCHAR is null or r.team = $team) and ($rep::VARCHAR is null or d.rep_id = $rep)
    group by {by_new}
),
buyers as (      -- customers with a won deal in the period, per group
    select grp, customer_id, count(*) as n_won
    from closed where status = 'won' and customer_id is not null group by {by_buyer}
),
repeat_agg as (
    select b.grp, avg({repeat}) as repeat_rate
    from buyers b {repeat_join}
    group by b.grp
),
open_agg as (    -- open at the end of the period: created by then and not yet closed
    select grp, count(*) as open_deals, sum(amount) as open_pipeline
    from scoped
    where (created_date is null or created_date <= $end)
      and (status = 'open' or close_date > $end)
    group by {by_grp}
),
groups as (
    select grp from closed_agg union select grp from open_agg union select grp from new_agg
),
core0 as (
select g.grp,
       coalesce(c.revenue_won, 0) as revenue_won,
       coalesce(c.deals_won, 0)   as deals_won,
       coalesce(c.deals_lost, 0)  as deals_lost,
       c.deals_won::DOUBLE / nullif(c.deals_won + c.deals_lost, 0) as win_rate,
       c.revenue_won / nullif(c.deals_won, 0)                     as avg_deal_size,
       c.sales_cycle_days, c.sales_cycle_days_median,
       coalesce(n.new_customers, 0) as new_customers,
       rp.repeat_rate,
       coalesce(o.open_deals, 0)    as open_deals,
       coalesce(o.open_pipeline, 0) as open_pipeline
from groups g
left join closed_agg c on c.grp is not distinct from g.grp
left join new_agg n on n.grp is not distinct from g.grp
left join repeat_agg rp on rp.grp is not distinct from g.grp
left join open_agg o on o.grp is not distinct from g.grp
),
core as (        -- velocity per day = open deals x win rate x deal size / mean cycle (§4)
    select * replace (revenue_won::DOUBLE as revenue_won, open_pipeline::DOUBLE as open_pipeline,
                      avg_deal_size::DOUBLE as avg_deal_size),
           open_deals * win_rate * avg_deal_size::DOUBLE
               / (case when sales_cycle_days > 0 then sales_cycle_days end) as velocity
    from core0
)"""

# The smallest (close_date, deal_id, ...) struct per customer is its first won deal (ties on
# the date go to the smallest deal_id, which is unique): one min() instead of an arg_min per
# column, about half the time. channel may be NULL.
_FIRST_WON_SQL = """
select customer_id, m.d as close_date, m.i as deal_id, m.r as rep_id, m.c as channel
from (select customer_id, min({'d': close_date, 'i': deal_id, 'r': rep_id, 'c': channel}) as m
      from deals where status = 'won' and customer_id is not null and close_date is not null
      group by customer_id)
"""

_FIRST_WON_LOCK = threading.Lock()
_FIRST_WON: dict[str, tuple[tuple[Any, ...], Any]] = {}   # database path -> (key, arrow table)


def first_won(con: Con) -> Any:
    """Each customer's first won deal ever (DESIGN §4 new customer; ties on the date go to
    the smallest deal_id): an Arrow table with customer_id, close_date, deal_id, rep_id,
    channel.

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
    """Make :func:`first_won` visible as ``_first_won`` on ``cur`` when ``sql`` reads it."""
    if "_first_won" in sql:
        cur.register("_first_won", first_won(con))


def _core_ctes(start: date | None, scope: Scope, group: str, with_total: bool) -> str:
    """``with`` ... ending in the CTE ``core``: the section 4 figures per ``group`` (column
    grp); ``with_total``: plus the scope's total as the row whose grp is NULL (grouping sets:
    one pass for both; a real group is never NULL)."""
    bounded = start is not None
    gexpr = _GROUPS[group]
    return _CORE_SQL.format(
        # reps joined only when a team is asked for (by scope or as the group)
        scoped=_SCOPED_CORE.format(
            group=gexpr, join="left join reps r on r.rep_id = d.rep_id"
            if scope.team is not None or group == "team" else "",
            team_filter="r.team = $team and" if scope.team is not None else ""),
        group=gexpr,
        by_grp="grouping sets ((grp), ())" if with_total else "grp",
        by_new=f"grouping sets (({gexpr}), ())" if with_total else "1",
        by_buyer="grouping sets ((grp, customer_id), (customer_id))" if with_total
        else "grp, customer_id",
        materialized="materialized" if bounded else "not materialized",
        repeat="coalesce(f.close_date < $start, false)::INTEGER" if bounded else "(b.n_won > 1)::INTEGER",
        repeat_join="left join _first_won f on f.customer_id = b.customer_id" if bounded else "")


# The figures of a scope and of its reps or teams, with names and targets, in one statement:
# the first row (_total) is the scope's total with its own target (kpis), the others the
# groups, highest revenue first (by_group). Reps with no deals, no target and no longer
# active are history, not the team.
_FIGURES_SQL = """{core},
{targets},
scope_goal as (
    select sum(v) as target from levels where {scope_level}
),
total as (
    select true as _total, {no_names}
           {kpis} sg.target::DOUBLE as target,
           coalesce(c.revenue_won, 0) / nullif(sg.target, 0)::DOUBLE as attainment
    from scope_goal sg left join (select * from core where {total_row}) c on true
){groups}
select * from total {union_groups}
order by _total desc, revenue_won desc, 2
"""

_GROUPS_SQL = """,
goals as (
    select grp as key, sum(v) as target from levels where {group_level}
    group by grp
),
names as ({names}),
grouped as (
    select false as _total, {name_cols}
           {kpis} g.target::DOUBLE as target,
           coalesce(c.revenue_won, 0) / (case when g.target > 0 then g.target end)::DOUBLE
               as attainment
    from names n full join (select * from core where grp is not null) c on c.grp = n.key
    left join goals g on g.key = coalesce(n.key, c.grp)
    where {keep}
)"""

_NAMES = {
    "rep": ("select rep_id as key, name as rep, coalesce(team, '') as team, active from reps "
            "where ($team::VARCHAR is null or team = $team) and ($rep::VARCHAR is null or rep_id = $rep)",
            "coalesce(n.key, c.grp) as rep_id, coalesce(n.rep, n.key, c.grp) as rep, n.team as team,",
            "null::VARCHAR as rep_id, null::VARCHAR as rep, null::VARCHAR as team,",
            "coalesce(n.active, true) or coalesce(c.revenue_won, 0) > 0 or g.target is not null"),
    "team": ("select distinct coalesce(team, '') as key from reps "
             "where ($team::VARCHAR is null or team = $team)",
             "coalesce(n.key, c.grp) as team,", "null::VARCHAR as team,", "true"),
}


def _figures(con: Con, start: date | None, end: date | None, scope: Scope,
             level: str | None, frame: bool = True) -> Any:
    """The scope's total and (``level`` rep or team) its groups: a DataFrame (``frame``) or
    a list of dicts of plain Python values (no pandas: ``metrics --json``), first row the
    total (``_total`` true). Columns: _total, rep_id, rep, team (those of the level), KPI_NAMES.
    """
    months = months_between(start, end, con)
    if level is None:
        sql = _FIGURES_SQL.format(core=_core_ctes(start, scope, "all", False),
                                  targets=_TARGET_CTES, no_names="", total_row="true",
                                  groups="", union_groups="", kpis=_KPI_COLS,
                                  scope_level=_level_rows("slevel"))
    else:
        names, name_cols, no_names, keep = _NAMES[level]
        sql = _FIGURES_SQL.format(
            core=_core_ctes(start, scope, level, True), targets=_TARGET_CTES,
            no_names=no_names, total_row="grp is null",
            groups=_GROUPS_SQL.format(names=names, name_cols=name_cols, keep=keep,
                                      kpis=_KPI_COLS, group_level=_level_rows("glevel")),
            union_groups="union all select * from grouped", kpis=_KPI_COLS,
            scope_level=_level_rows("slevel"))
    params = _params(start, end, scope) | {
        "scenario": active_scenario(con), "metric": "revenue", "months": months,
        "slevel": scope.level, "glevel": level}
    return _query(con, sql, params, frame)


def velocity(open_deals: Any, win_rate: Any, avg_deal_size: Any, cycle_days: Any) -> Any:
    """Sales velocity per day = open deals x win_rate x avg_deal_size / mean cycle (DESIGN §4).

    Works on scalars and on pandas Series; a zero or missing cycle gives NaN.
    """
    if isinstance(cycle_days, pd.Series):
        cycle = cycle_days.astype("float64").where(cycle_days.astype("float64") > 0)
        return (open_deals.astype("float64") * win_rate.astype("float64")
                * avg_deal_size.astype("float64") / cycle)
    if any(_missing(v) for v in (open_deals, win_rate, avg_deal_size, cycle_days)) or not cycle_days:
        return None
    return float(open_deals) * float(win_rate) * float(avg_deal_size) / float(cycle_days)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


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


def months_between(start: date | None, end: date | None, con: Con | None = None) -> list[str]:
    """YYYY-MM months from start to end; open ends take the data's date range."""
    if start is None or end is None:
        lo, hi = data_range(con) if con is not None else (None, None)
        start = start or lo
        end = end or hi
        if start is None or end is None:
            return []
    return Period(containing(start, "month").start, end, "month").months


def active_scenario(con: Con) -> str:
    """The target scenario in use (settings 'active_scenario', else 'base')."""
    return str(db.get_setting(con, "active_scenario", "base") or "base")


def target(con: Con, months: list[str], scope: Scope = Scope(), metric: str = "revenue",
           scenario: str | None = None) -> float | None:
    """The target of ``scope`` summed over ``months`` (None when no target is set).

    A team or the company without targets of its own falls back to the sum of its reps'
    (and a company without team targets to the sum of the teams').
    """
    frame = targets_by(con, months, scope.level if scope.level != "company" else "company",
                       metric=metric, scenario=scenario, team=scope.team, rep_id=scope.rep_id)
    if frame.empty:
        return None
    return float(frame["target"].sum())


def _level_rows(param: str) -> str:
    """SQL: the rows of ``levels`` for the level in ``$param``, narrowed to the scope's team
    or rep when that is the level."""
    return (f"level = ${param} and v is not null "
            f"and ($team::VARCHAR is null or ${param} <> 'team' or grp = $team) "
            f"and ($rep::VARCHAR is null or ${param} <> 'rep' or grp = $rep)")


# The section 4 figures of one row of ``core`` (alias c), zeros where a count has no rows.
_KPI_COLS = """coalesce(c.revenue_won, 0) as revenue_won, coalesce(c.deals_won, 0) as deals_won,
           coalesce(c.deals_lost, 0) as deals_lost, c.win_rate, c.avg_deal_size,
           c.sales_cycle_days, c.sales_cycle_days_median,
           coalesce(c.new_customers, 0) as new_customers, c.repeat_rate,
           coalesce(c.open_deals, 0) as open_deals, coalesce(c.open_pipeline, 0) as open_pipeline,
           c.velocity,"""

_TARGET_CTES = """
    t as (select * from targets
               where scenario = $scenario and metric = $metric and list_contains($months, period)),
    rep_t as (
        select t.period, t.scope_id as grp, r.team, sum(t.value) as v
        from t left join reps r on r.rep_id = t.scope_id
        where t.scope = 'rep' group by all
    ),
    team_t as (
        select coalesce(e.period, f.period) as period, coalesce(e.grp, f.grp) as grp,
               coalesce(e.v, f.v) as v from
        (select period, scope_id as grp, sum(value) as v from t where scope = 'team' group by 1, 2) e
        full join (select period, team as grp, sum(v) as v from rep_t where team is not null group by 1, 2) f
        on e.period = f.period and e.grp = f.grp
    ),
    company_t as (
        select coalesce(e.period, f.period) as period, 'all' as grp, coalesce(e.v, f.v) as v from
        (select period, sum(value) as v from t where scope = 'company' group by 1) e
        full join (select period, sum(v) as v from team_t group by 1) f on e.period = f.period
    ),
    levels as (
        select 'company' as level, period, grp, v from company_t
        union all select 'team', period, grp, v from team_t
        union all select 'rep', period, grp, v from rep_t
    )
"""


def targets_by(con: Con, months: list[str], level: str, *, metric: str = "revenue",
               scenario: str | None = None, team: str | None = None,
               rep_id: str | None = None, by_month: bool = False) -> pd.DataFrame:
    """Targets over ``months`` per group of ``level`` (company/team/rep): columns grp, target
    (and month first when ``by_month``).

    Explicit targets of the level win, month by month; a month without one falls back to the
    sum of the level below (company -> teams -> reps).
    """
    scenario = scenario or active_scenario(con)
    sql = "with " + _TARGET_CTES + """
    select {select} from levels where {level}
    {group}
    """
    # per month, or summed over the months in SQL (2,000 reps x 60 months need not reach pandas)
    sql = sql.format(select="period as month, grp, v as target" if by_month
                     else "grp, sum(v) as target", level=_level_rows("level"),
                     group="" if by_month else "group by grp order by grp")
    with con.cursor() as cur:
        frame = cur.execute(sql, {"scenario": scenario, "metric": metric, "months": months,
                                  "level": level, "team": team, "rep": rep_id}).df()
    frame["target"] = frame["target"].astype("float64")
    if by_month:
        return frame[["month", "grp", "target"]]
    return frame[["grp", "target"]]


def kpis(con: Con, start: date | None = None, end: date | None = None,
         scope: Scope = Scope()) -> dict[str, Any]:
    """The section 4 figures for one scope and date range, as plain Python numbers.

    Keys: KPI_NAMES. ``target`` is the revenue target of the same scope and months;
    ``attainment`` = revenue_won / target (None without a target).
    """
    return _kpis_row(_figures(con, start, end, scope, None, frame=False)[0])


def _kpis_row(row: dict[str, Any]) -> dict[str, Any]:
    return {name: _clean(row[name]) for name in KPI_NAMES}


def kpis_and_groups(con: Con, start: date | None, end: date | None, level: str,
                    scope: Scope = Scope()) -> tuple[dict[str, Any], pd.DataFrame]:
    """:func:`kpis` and :func:`by_group` together, from one pass over the deals."""
    frame = _figures(con, start, end, scope, level)
    total = frame.iloc[0].to_dict()
    return _kpis_row(total), _groups_frame(frame)


def by_group(con: Con, start: date | None, end: date | None, level: str,
             scope: Scope = Scope()) -> pd.DataFrame:
    """Section 4 figures per team (``level='team'``) or per rep (``'rep'``).

    Columns: team (and rep_id, rep for reps), the KPI_NAMES; every rep/team appears, idle ones
    with zeros. Sorted by revenue_won, highest first.
    """
    return _groups_frame(_figures(con, start, end, scope, level))


def _groups_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[1:].drop(columns="_total").reset_index(drop=True)


def leaderboard(con: Con, start: date | None, end: date | None, scope: Scope = Scope(),
                top: int = 10) -> pd.DataFrame:
    """The 销售明星榜: reps ranked by revenue_won (ties share a rank).

    Columns: rank, rep_id, rep, team, revenue_won, deals_won, win_rate, attainment, new_customers.
    """
    return leaderboard_from(by_group(con, start, end, "rep", scope), top)


def leaderboard_from(reps: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The leaderboard from a :func:`by_group` rep frame (see :func:`leaderboard`)."""
    reps = reps[reps["revenue_won"] > 0].copy()
    reps["rank"] = reps["revenue_won"].rank(method="min", ascending=False).astype("int64")
    cols = ["rank", "rep_id", "rep", "team", "revenue_won", "deals_won", "win_rate", "attainment",
            "new_customers"]
    return reps.sort_values(["rank", "rep"])[cols].head(top).reset_index(drop=True)


def monthly(con: Con, start: date | None, end: date | None, scope: Scope = Scope()) -> pd.DataFrame:
    """Revenue won and target per month: columns month (YYYY-MM), revenue_won, target,
    deals_won, win_rate. Months with no deals appear with zero revenue."""
    months = months_between(start, end, con)
    sql = """
    with {scoped}
    select strftime(close_date, '%Y-%m') as month,
           sum(amount) filter (where status = 'won') as revenue_won,
           count(*) filter (where status = 'won')    as deals_won,
           count(*) filter (where status = 'won')::DOUBLE / nullif(count(*), 0) as win_rate
    from scoped
    where status in ('won', 'lost') and close_date between $start and $end
    group by 1
    """.format(scoped=_SCOPED.format(group="'all'"))
    frame = _query(con, sql, _params(start, end, scope))
    base = pd.DataFrame({"month": months})
    out = base.merge(frame, on="month", how="left")
    goals = targets_by(con, months, scope.level, team=scope.team, rep_id=scope.rep_id,
                       by_month=True).groupby("month")["target"].sum()
    out["target"] = out["month"].map(goals).astype("float64")
    out["revenue_won"] = out["revenue_won"].astype("float64").fillna(0.0)
    out["deals_won"] = out["deals_won"].fillna(0).astype("int64")
    return out[["month", "revenue_won", "target", "deals_won", "win_rate"]]


# --- stages and the funnel -----------------------------------------------------------------

# Typical position of a stage name in a B2B funnel, by keyword (both languages).
_STAGE_HINTS: list[tuple[int, re.Pattern[str]]] = [
    (10, re.compile(r"lead|prospect|线索|潜在|初步接触|new\b", re.I)),
    (20, re.compile(r"engag|contact|接洽|联系|拜访", re.I)),
    (30, re.compile(r"qualif|discovery|needs|需求|确认|意向", re.I)),
    (40, re.compile(r"demo|solution|proposal|quote|方案|报价|演示", re.I)),
    (50, re.compile(r"negotiat|contract|commit|谈判|商务|合同|审批", re.I)),
]
_TERMINAL = re.compile(r"^(closed\s*)?(won|lost)$|赢单|输单|成交|丢单|失败|签约", re.I)


def stage_order(con: Con) -> list[str]:
    """The ordered open stages: the saved order (settings 'stage_order') when there is one,
    else detected from the stage names in the data (typical funnel keywords, then volume)."""
    saved = db.get_setting(con, "stage_order")
    if saved:
        return [str(s) for s in saved]
    return detect_stage_order(con)


def detect_stage_order(con: Con) -> list[str]:
    """Guess the funnel order of the open stages found in deals (won/lost names excluded)."""
    with con.cursor() as cur:
        rows = cur.execute(
            "select stage, count(*) from deals where stage is not null and status <> 'won' "
            "group by stage").fetchall()
    ranked = []
    for stage, count in rows:
        if _TERMINAL.search(str(stage).strip()):
            continue
        hint = next((rank for rank, pat in _STAGE_HINTS if pat.search(str(stage))), 99)
        ranked.append((hint, -int(count), str(stage)))
    return [stage for _, _, stage in sorted(ranked)]


def funnel(con: Con, start: date | None = None, end: date | None = None, scope: Scope = Scope(),
           stages: list[str] | None = None) -> pd.DataFrame:
    """Stage conversion (DESIGN §4) for deals created in the range.

    A deal at stage k, or won, counts as having reached every earlier stage; a deal whose
    stage is not in the list (a bare "Lost") counts as reaching the first stage only.
    Columns: stage, reached, value (amount of the deals that reached it),
    conversion_to_next (NaN on the last row, which is the won count).
    """
    return _funnel(con, start, end, scope, stages)


_FUNNEL_SQL = """
with {scoped},
stage_list as (select unnest($stages) as stage, generate_subscripts($stages, 1) as k),
pos as (
    select case when s.status = 'won' then $won_k else coalesce(o.k, 1) end as k, s.amount
    from scoped s left join stage_list o on o.stage = s.stage
    where (s.created_date is null and $open_start) or s.created_date between $start and $end
),
per_k as (select k, count(*) as n, sum(amount) as v from pos group by k),  -- then add up
steps as (
    select l.k, l.stage, coalesce(sum(p.n), 0)::BIGINT as reached,
           coalesce(sum(p.v), 0)::DOUBLE as value
    from (select k, stage from stage_list union all select $won_k, 'won') l
    left join per_k p on p.k >= l.k
    group by l.k, l.stage
)
select stage, reached, value,
       lead(reached) over (order by k) / (case when reached > 0 then reached end)::DOUBLE
           as conversion_to_next
from steps order by k
"""


def _funnel(con: Con, start: date | None, end: date | None, scope: Scope,
            stages: list[str] | None, frame: bool = True) -> Any:
    """:func:`funnel` as a DataFrame, or (``frame`` False) as a list of dicts."""
    stages = stages if stages is not None else stage_order(con)
    if not stages:
        if frame:
            return pd.DataFrame(columns=["stage", "reached", "value", "conversion_to_next"])
        return []
    sql = _FUNNEL_SQL.format(scoped=_SCOPED.format(group="'all'"))
    params = _params(start, end, scope) | {"stages": list(stages), "won_k": len(stages) + 1}
    return _query(con, sql, params, frame)


# --- dates, periods, pacing and alerts -----------------------------------------------------

def data_range(con: Con) -> tuple[date | None, date | None]:
    """The first and last date found in deals (created or closed)."""
    with con.cursor() as cur:
        lo, hi = cur.execute(
            "select least(min(created_date), min(close_date)), "
            "greatest(max(created_date), max(close_date)) from deals").fetchall()[0]
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


def pace(period: Period, when: date | None) -> float:
    """Share of the period's calendar days elapsed on ``when`` (1.0 for a finished period)."""
    if when is None or when >= period.end:
        return 1.0
    if when < period.start:
        return 0.0
    return ((when - period.start).days + 1) / ((period.end - period.start).days + 1)


def alerts(con: Con, period: Period, scope: Scope = Scope(), when: date | None = None,
           behind: float = 0.10) -> list[dict[str, Any]]:
    """Plain-language alerts for the Overview (queries, then :func:`alerts_from`)."""
    when = when or as_of(con)
    prev_p = period.previous()
    return alerts_from(
        by_group(con, period.start, period.end, "team", scope),
        by_group(con, period.start, period.end, "rep", scope),
        kpis(con, period.start, period.end, scope), kpis(con, prev_p.start, prev_p.end, scope),
        pace(period, when), prev_p.label, behind)


def alerts_from(teams: pd.DataFrame, reps: pd.DataFrame, now: dict[str, Any],
                before: dict[str, Any], share: float, previous: str,
                behind: float = 0.10) -> list[dict[str, Any]]:
    """Alerts from figures already computed (by_group frames and kpis dicts), as i18n keys:

    - a team whose attainment is more than ``behind`` below its time pace ``share``,
    - a team well ahead of pace (> +15%),
    - the reps under 70% of pace (one line, weakest first), and the best rep over 120%,
    - a win rate down more than 5 points on the previous period.
    Each item: {"level": "warning"|"success"|"info", "key": "alert.xxx", "params": {...}}.
    """
    items: list[dict[str, Any]] = []
    if share <= 0:
        return items
    for row in teams.itertuples():
        if not row.team or _missing(row.attainment):
            continue
        gap = row.attainment / share - 1
        if gap <= -behind:
            items.append({"level": "warning", "key": "alert.team_behind",
                          "params": {"team": row.team, "gap": abs(gap)}})
        elif gap >= 0.15:
            items.append({"level": "success", "key": "alert.team_ahead",
                          "params": {"team": row.team, "gap": gap}})
    reps = reps[reps["attainment"].notna()]
    behind_reps = reps[reps["attainment"] / share < 0.70].sort_values("attainment")
    if len(behind_reps):
        names = list(behind_reps["rep"])
        items.append({"level": "warning", "key": "alert.reps_behind",
                      "params": {"count": len(names), "reps": tuple(names)}})
    stars = reps[reps["attainment"] / share >= 1.20]
    if len(stars):
        best = stars.sort_values("attainment", ascending=False).iloc[0]
        items.append({"level": "success", "key": "alert.rep_star",
                      "params": {"rep": best["rep"], "attainment": best["attainment"]}})
    if now["win_rate"] is not None and before["win_rate"] is not None \
            and now["win_rate"] - before["win_rate"] <= -0.05:
        items.append({"level": "warning", "key": "alert.win_rate_down",
                      "params": {"now": now["win_rate"], "before": before["win_rate"],
                                 "previous": previous}})
    return items


def alert_text(item: dict[str, Any], lang: str) -> str:
    """One alert of :func:`alerts_from` as a sentence: rates as percentages, names listed
    in the language's way (at most five, then "…")."""
    from salescore import fmt
    from salescore.i18n import t

    params = dict(item["params"])
    for key in ("gap", "attainment", "now", "before"):
        if key in params:
            params[key] = fmt.pct(params[key], 0)
    if "reps" in params:
        names = list(params["reps"])
        params["reps"] = ("、" if lang == "zh" else ", ").join(names[:5]) + ("…" if len(names) > 5 else "")
    return t(item["key"], lang, **params)


def summary(con: Con, start: date | None = None, end: date | None = None,
            scope: Scope = Scope()) -> dict[str, Any]:
    """What ``python -m salescore metrics --json`` prints (DESIGN §6):
    {"totals": {...}, "by_rep": [{"rep": name, ...}], "funnel": [{"stage", "reached",
    "conversion_to_next"}]}, plain numbers with the section 4 names. Built from DuckDB rows
    without pandas (the CLI does not import it: a third of its run at 1M deals)."""
    rows = _figures(con, start, end, scope, "rep", frame=False)
    totals = _kpis_row(rows[0])
    by_rep = [{k: _clean(v) for k, v in row.items() if k != "_total"} for row in rows[1:]]
    funnel_rows = [{"stage": r["stage"], "reached": int(r["reached"]),
                    "conversion_to_next": _clean(r["conversion_to_next"])}
                   for r in _funnel(con, start, end, scope, None, frame=False)]
    return {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
            "totals": totals, "by_rep": by_rep, "funnel": funnel_rows}


def rep_id_by_name(con: Con, name: str) -> str:
    """The rep_id of the rep called ``name`` (or with that id); SalesCoreError when unknown."""
    from salescore.errors import SalesCoreError

    with con.cursor() as cur:
        rows = cur.execute("select rep_id from reps where name = $n or rep_id = $n order by rep_id",
                           {"n": name}).fetchall()
    if not rows:
        raise SalesCoreError(f"No sales rep called {name!r} in the database.", key="error.unknown_rep",
                             name=name)
    return rows[0][0]


# --- funnel page: cycle, velocity drivers, stuck deals, loss reasons, forecast ---
# Stage history (time spent in each stage) is not in the schema: funnel figures use the
# "reached stage" rule of DESIGN §4, and a deal's age counts from its created_date.

def _error(message: str, key: str, **params: Any) -> Exception:
    from salescore.errors import SalesCoreError

    return SalesCoreError(message, key=key, **params)


def save_stage_order(con: Con, stages: list[str]) -> list[str]:
    """Store the manager's ordered open stages (settings 'stage_order') and return them.

    Names are trimmed and blanks dropped; an empty list, a name given twice, or a won/lost
    name (terminal, never a funnel stage) is refused with a SalesCoreError.
    """
    clean = [str(s).strip() for s in stages if s is not None and str(s).strip()]
    if not clean:
        raise _error("The stage order is empty: keep at least one stage.", "funnel.err_empty")
    twice = sorted({s for s in clean if clean.count(s) > 1})
    if twice:
        raise _error(f"Stages listed twice: {twice}.", "funnel.err_twice", stages="、".join(twice))
    terminal = [s for s in clean if _TERMINAL.search(s)]
    if terminal:
        raise _error(f"Won and lost are not funnel stages: {terminal}.", "funnel.err_terminal",
                     stages="、".join(terminal))
    db.set_setting(con, "stage_order", clean)
    return clean


def reset_stage_order(con: Con) -> list[str]:
    """Forget the saved order; returns the order detected from the data."""
    db.set_setting(con, "stage_order", None)
    return detect_stage_order(con)


def stage_table(con: Con) -> pd.DataFrame:
    """The open-stage names found in deals with their place in the current order, for the
    stage editor. Columns: stage, position (1..n, NaN when not in the order), open_deals,
    deals (any status). Ordered stages first, in order; then the others by volume."""
    with con.cursor() as cur:
        frame = cur.execute(
            "select stage, count(*) filter (where status = 'open') as open_deals, count(*) as deals "
            "from deals where stage is not null and status <> 'won' group by stage").df()
    frame = frame[[not _TERMINAL.search(str(s).strip()) for s in frame["stage"]]]
    order = stage_order(con)
    pos = {s: i + 1 for i, s in enumerate(order)}
    missing = [s for s in order if s not in set(frame["stage"])]   # saved but no longer in data
    if missing:
        frame = pd.concat([frame, pd.DataFrame({"stage": missing, "open_deals": 0, "deals": 0})])
    frame["position"] = frame["stage"].map(pos).astype("float64")
    frame["open_deals"] = frame["open_deals"].astype("int64")
    frame["deals"] = frame["deals"].astype("int64")
    frame = frame.sort_values(["position", "deals", "stage"], ascending=[True, False, True],
                              na_position="last")
    return frame[["stage", "position", "open_deals", "deals"]].reset_index(drop=True)


def stages_from_positions(frame: pd.DataFrame) -> list[str]:
    """The stage order an edited stage table describes: rows with a position, sorted by it
    (ties keep the table's order); rows without a position are left out."""
    rows = frame.dropna(subset=["position"]).reset_index(drop=True)
    rows = rows.assign(_row=range(len(rows))).sort_values(["position", "_row"])
    return [str(s) for s in rows["stage"]]


def rep_options(con: Con, scope: Scope = Scope()) -> pd.DataFrame:
    """Reps of ``scope`` that are active or have deals: columns rep_id, rep, team (by name)."""
    with con.cursor() as cur:
        return cur.execute(
            "select rep_id, name as rep, coalesce(team, '') as team from reps r "
            "where ($team::VARCHAR is null or team = $team) "
            "and (active or exists (select 1 from deals d where d.rep_id = r.rep_id)) "
            "order by name, rep_id", {"team": scope.team}).df()


def funnel_compare(con: Con, start: date | None, end: date | None, base: Scope,
                   focus: Scope | None = None, stages: list[str] | None = None) -> pd.DataFrame:
    """Stage conversion (DESIGN §4) of ``focus`` next to the rest of ``base``.

    ``focus`` is a team or rep inside ``base`` (None: no comparison, rest_* are NaN). Deal
    counts add up, so the rest is base minus focus. Columns: stage, reached, value,
    conversion_to_next (of focus, or of base without focus), rest_reached, rest_value,
    rest_conversion. The last row is the won stage.
    """
    stages = list(stages) if stages is not None else stage_order(con)
    whole = funnel(con, start, end, base, stages)
    if focus is None or focus == base:
        out = whole.copy()
        out["rest_reached"] = float("nan")
        out["rest_value"] = float("nan")
        out["rest_conversion"] = float("nan")
        return out
    mine = funnel(con, start, end, focus, stages)
    out = mine.copy()
    out["rest_reached"] = whole["reached"] - mine["reached"]
    out["rest_value"] = whole["value"] - mine["value"]
    nxt = out["rest_reached"].shift(-1)
    out["rest_conversion"] = nxt / out["rest_reached"].where(out["rest_reached"] > 0)
    return out


def funnel_findings(frame: pd.DataFrame, min_gap: float = 0.03) -> dict[str, Any]:
    """What the funnel says in a sentence, from a :func:`funnel_compare` frame.

    Keys: overall_conversion (won / reached the first stage: deals created in the range that
    were won), rest_overall; drop = the step with the lowest conversion_to_next
    {from, to, conversion, rest_conversion}; gap = the step where focus converts furthest
    below the rest {from, to, conversion, rest_conversion, gap} (None when no step is at
    least ``min_gap`` below, or there is no comparison). Missing figures are None.
    """
    out: dict[str, Any] = {"overall_conversion": None, "rest_overall": None, "drop": None, "gap": None}
    if frame.empty or int(frame["reached"].iloc[0]) == 0:
        return out
    first, last = frame.iloc[0], frame.iloc[-1]
    out["overall_conversion"] = float(last["reached"]) / float(first["reached"])
    if not _missing(_clean(first["rest_reached"])) and first["rest_reached"] > 0:
        out["rest_overall"] = float(last["rest_reached"]) / float(first["rest_reached"])
    steps = []
    for i in range(len(frame) - 1):
        row = frame.iloc[i]
        if _missing(_clean(row["conversion_to_next"])):
            continue
        steps.append({"from": str(row["stage"]), "to": str(frame.iloc[i + 1]["stage"]),
                      "conversion": float(row["conversion_to_next"]),
                      "rest_conversion": _clean(row["rest_conversion"])})
    if not steps:
        return out
    out["drop"] = min(steps, key=lambda s: s["conversion"])
    compared = [s | {"gap": s["conversion"] - s["rest_conversion"]} for s in steps
                if s["rest_conversion"] is not None]
    below = [s for s in compared if s["gap"] <= -min_gap]
    if below:
        out["gap"] = min(below, key=lambda s: s["gap"])
    return out


# Groupings of the sales cycle, from this whitelist only.
_CYCLE_KEYS = {
    "all": ("'all'", "'all'"),
    "rep": ("w.rep_id", "coalesce(rr.name, w.rep_id)"),
    "team": ("coalesce(rr.team, '')", "coalesce(rr.team, '')"),
    "product": ("w.product_id", "coalesce(p.name, w.product_id)"),
    "segment": ("c.segment", "c.segment"),
    "size_band": ("w.band::VARCHAR", "w.band::VARCHAR"),
}

_WON_CYCLES = """
    won as (
        select s.*, s.close_date - s.created_date as cycle,
               ntile(4) over (order by s.amount, s.deal_id) as band
        from scoped s
        where s.status = 'won' and s.close_date between $start and $end
          and s.created_date is not null
    )"""


def cycle_by(con: Con, start: date | None, end: date | None, scope: Scope = Scope(),
             by: str = "rep") -> pd.DataFrame:
    """Sales cycle (DESIGN §4: close_date - created_date of won deals closed in the range) per
    rep, team, product, segment or size_band (quartiles of the won amounts: 1 = smallest);
    ``all`` gives one row for the whole scope.

    Deals without a created date are left out. Columns: key, label, deals_won,
    sales_cycle_days (mean), sales_cycle_days_median, sales_cycle_days_p75, band_min,
    band_max (smallest and largest amount in the group). Sorted by median, longest first
    (size bands in band order).
    """
    key, label = _CYCLE_KEYS[by]
    sql = """
    with {scoped}, {won}
    select {key} as key, {label} as label, count(*) as deals_won,
           avg(w.cycle) as sales_cycle_days,
           percentile_cont(0.5) within group (order by w.cycle) as sales_cycle_days_median,
           percentile_cont(0.75) within group (order by w.cycle) as sales_cycle_days_p75,
           min(w.amount) as band_min, max(w.amount) as band_max
    from won w
    left join reps rr on rr.rep_id = w.rep_id
    left join products p on p.product_id = w.product_id
    left join customers c on c.customer_id = w.customer_id
    group by all
    """.format(scoped=_SCOPED.format(group="'all'"), won=_WON_CYCLES, key=key, label=label)
    frame = _query(con, sql, _params(start, end, scope))
    frame["deals_won"] = frame["deals_won"].astype("int64")
    for col in ("band_min", "band_max"):
        frame[col] = frame[col].astype("float64")
    if by == "size_band":
        frame = frame.sort_values("key")
    else:
        frame = frame.sort_values(["sales_cycle_days_median", "deals_won"], ascending=[False, False])
    return frame.reset_index(drop=True)


def cycle_trend(con: Con, start: date | None, end: date | None,
                scope: Scope = Scope()) -> pd.DataFrame:
    """Sales cycle of the won deals closed in each month of the range: columns month,
    deals_won, sales_cycle_days, sales_cycle_days_median, sales_cycle_days_p75 (NaN for a
    month without won deals)."""
    sql = """
    with {scoped}, {won}
    select strftime(close_date, '%Y-%m') as month, count(*) as deals_won,
           avg(cycle) as sales_cycle_days,
           percentile_cont(0.5) within group (order by cycle) as sales_cycle_days_median,
           percentile_cont(0.75) within group (order by cycle) as sales_cycle_days_p75
    from won group by 1
    """.format(scoped=_SCOPED.format(group="'all'"), won=_WON_CYCLES)
    frame = _query(con, sql, _params(start, end, scope))
    out = pd.DataFrame({"month": months_between(start, end, con)}).merge(frame, on="month", how="left")
    out["deals_won"] = out["deals_won"].fillna(0).astype("int64")
    return out


def cycle_histogram(con: Con, start: date | None, end: date | None,
                    scope: Scope = Scope(), bins: int = 30) -> pd.DataFrame:
    """How many won deals took how long: columns bin_start, bin_end (days, end exclusive),
    deals_won. The bin width is a round number of days (7, 14, 30, ...) so that about
    ``bins`` bins cover 95% of the deals; longer cycles fall into the last bin."""
    sql = """
    with {scoped}, {won}
    select greatest(cycle, 0) as cycle from won
    """.format(scoped=_SCOPED.format(group="'all'"), won=_WON_CYCLES)
    stats_sql = "select quantile_cont(cycle, 0.95) as p95, count(*) as n from (" + sql + ")"
    p95, n = _query(con, stats_sql, _params(start, end, scope)).iloc[0]
    if not n:
        return pd.DataFrame({"bin_start": [], "bin_end": [], "deals_won": []})
    width = next((w for w in (1, 2, 5, 7, 14, 30, 60, 90, 180, 365) if w * bins >= float(p95)), 365)
    binned = ("select least(floor(cycle / $width), $last)::BIGINT as b, count(*) as deals_won from ("
              + sql + ") group by 1 order by 1")
    frame = _query(con, binned, _params(start, end, scope) | {"width": width, "last": bins})
    frame["bin_start"] = frame["b"] * width
    frame["bin_end"] = frame["bin_start"] + width
    frame["deals_won"] = frame["deals_won"].astype("int64")
    return frame[["bin_start", "bin_end", "deals_won"]]


VELOCITY_DRIVERS = ("open_deals", "win_rate", "avg_deal_size", "sales_cycle_days")


def velocity_drivers(con: Con, period: Period, scope: Scope = Scope()) -> dict[str, Any]:
    """Sales velocity (DESIGN §4) of ``period`` and the previous period, split into its four
    drivers. Velocity is a product, so log(V1/V0) = sum of the drivers' log changes (the cycle
    with a minus sign); each driver's ``effect`` is its share of the velocity change.

    Keys: velocity, velocity_before, change (V1/V0 - 1), lever (the driver with the largest
    effect, None when it cannot be told), drivers (frame: driver, now, before, change,
    effect in money per day). Missing or zero figures give NaN/None, never an exception.
    """
    prev = period.previous()
    return velocity_split(kpis(con, period.start, period.end, scope),
                          kpis(con, prev.start, prev.end, scope))


def velocity_split(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """:func:`velocity_drivers` from two :func:`kpis` results (this period, the previous one),
    so a page can reuse the kpis it already has. Same keys as velocity_drivers."""
    rows = []
    for name in VELOCITY_DRIVERS:
        a, b = _clean(now[name]), _clean(before[name])
        change = a / b - 1 if a is not None and b not in (None, 0) else None
        log = math.log(a / b) if a and b and a > 0 and b > 0 else None
        if log is not None and name == "sales_cycle_days":
            log = -log                       # a longer cycle slows velocity
        rows.append({"driver": name, "now": a, "before": b, "change": change, "log": log})
    v1, v0 = now["velocity"], before["velocity"]
    total = sum(r["log"] for r in rows) if all(r["log"] is not None for r in rows) else None
    for r in rows:
        if total is None or v1 is None or v0 is None:
            r["effect"] = None
        elif abs(total) < 1e-12:
            r["effect"] = v0 * r["log"]
        else:
            r["effect"] = (v1 - v0) * r["log"] / total
    lever = None
    effects = [r for r in rows if r["effect"] is not None]
    if effects and any(abs(r["effect"]) > 0 for r in effects):
        lever = max(effects, key=lambda r: abs(r["effect"]))["driver"]
    frame = pd.DataFrame(rows)[["driver", "now", "before", "change", "effect"]].astype(
        {"now": "float64", "before": "float64", "change": "float64", "effect": "float64"})
    return {"velocity": v1, "velocity_before": v0,
            "change": v1 / v0 - 1 if v1 is not None and v0 else None,
            "lever": lever, "drivers": frame}


def stuck_deals(con: Con, when: date, scope: Scope = Scope(), idle_days: int = 30) -> pd.DataFrame:
    """Open deals on ``when`` that look stuck: older than the 75th percentile age of the open
    deals at the same stage (company-wide, so the yardstick does not move with the filter),
    or, when activities are recorded, with no activity on the deal or its customer for
    ``idle_days`` days or more (a deal never touched counts from its created date).

    Age = when - created_date (no stage history: see the note above). Columns: deal_id,
    deal, rep_id, rep, team, customer, stage, amount, created_date, expected_close_date,
    age_days, stage_p75_days, last_activity, idle_days, too_old, idle. Largest amounts first.
    """
    sql = """
    with open_deals as (
        select d.*, $when - d.created_date as age_days
        from deals d
        where (d.status = 'open' or d.close_date > $when)
          and (d.created_date is null or d.created_date <= $when)
    ),
    yard as (
        select coalesce(stage, '') as stage_key,
               percentile_cont(0.75) within group (order by age_days) as stage_p75_days
        from open_deals where age_days is not null group by 1
    ),
    has_act as (select count(*) > 0 as yes from (select 1 from activities limit 1)),
    scoped as (
        select o.* from open_deals o left join reps r on r.rep_id = o.rep_id
        where ($team::VARCHAR is null or r.team = $team) and ($rep::VARCHAR is null or o.rep_id = $rep)
    ),
    by_deal as (
        select a.deal_id, max(a.activity_date) as last_day from activities a
        where a.activity_date <= $when and a.deal_id in (select deal_id from scoped)
        group by 1
    ),
    by_customer as (
        select a.customer_id, max(a.activity_date) as last_day from activities a
        where a.activity_date <= $when and a.customer_id in (select customer_id from scoped)
        group by 1
    ),
    flagged as (
        select s.deal_id, s.name as deal, s.rep_id, coalesce(r.name, s.rep_id) as rep,
               coalesce(r.team, '') as team, coalesce(c.name, s.customer_id) as customer,
               s.stage, s.amount, s.created_date, s.expected_close_date, s.age_days,
               y.stage_p75_days,
               case when (select yes from has_act)
                    then greatest(bd.last_day, bc.last_day) end as last_activity,
               case when (select yes from has_act)
                    then $when - coalesce(greatest(bd.last_day, bc.last_day), s.created_date) end as idle_days
        from scoped s
        left join yard y on y.stage_key = coalesce(s.stage, '')
        left join reps r on r.rep_id = s.rep_id
        left join customers c on c.customer_id = s.customer_id
        left join by_deal bd on bd.deal_id = s.deal_id
        left join by_customer bc on bc.customer_id = s.customer_id
    )
    select *, coalesce(age_days > stage_p75_days, false) as too_old,
           coalesce(idle_days >= $idle, false) as idle
    from flagged
    where coalesce(age_days > stage_p75_days, false) or coalesce(idle_days >= $idle, false)
    order by amount desc nulls last, age_days desc nulls last, deal_id
    """
    params = {"when": when, "idle": int(idle_days), "team": scope.team, "rep": scope.rep_id}
    frame = _query(con, sql, params)
    frame["amount"] = frame["amount"].astype("float64")
    for col in ("age_days", "idle_days"):
        frame[col] = frame[col].astype("float64")
    return frame.reset_index(drop=True)


_LOSS_KEYS = {"month": ("strftime(s.close_date, '%Y-%m')", "strftime(s.close_date, '%Y-%m')"),
              "rep": ("s.rep_id", "coalesce(r.name, s.rep_id)")}


def loss_reasons(con: Con, start: date | None, end: date | None, scope: Scope = Scope(),
                 measure: str = "deals_lost") -> pd.DataFrame:
    """Pareto of lost_reason for deals lost (closed) in the range, by count or by value.

    ``measure`` is deals_lost or value_lost (sum of the lost amounts; deals without an amount
    add nothing). reason NaN = not recorded. Columns: reason, deals_lost, value_lost, share
    (of the measure), cum_share. Sorted by the measure, largest first.
    """
    if measure not in ("deals_lost", "value_lost"):
        raise ValueError(measure)
    sql = """
    with {scoped}
    select nullif(trim(lost_reason), '') as reason, count(*) as deals_lost,
           coalesce(sum(amount), 0) as value_lost
    from scoped where status = 'lost' and close_date between $start and $end
    group by 1
    """.format(scoped=_SCOPED.format(group="'all'"))
    frame = _query(con, sql, _params(start, end, scope))
    frame["deals_lost"] = frame["deals_lost"].astype("int64")
    frame["value_lost"] = frame["value_lost"].astype("float64")
    frame = frame.sort_values([measure, "deals_lost"], ascending=False, kind="stable").reset_index(drop=True)
    total = float(frame[measure].sum())
    frame["share"] = frame[measure] / total if total else float("nan")
    frame["cum_share"] = frame["share"].cumsum()
    return frame


def loss_reasons_by(con: Con, start: date | None, end: date | None, scope: Scope = Scope(),
                    by: str = "month") -> pd.DataFrame:
    """Lost deals (closed in the range) per month or per rep and reason: columns key, label,
    reason (NaN = not recorded), deals_lost, value_lost, share (of the key's lost deals)."""
    key, label = _LOSS_KEYS[by]
    sql = """
    with {scoped}
    select {key} as key, {label} as label, nullif(trim(s.lost_reason), '') as reason,
           count(*) as deals_lost, coalesce(sum(s.amount), 0) as value_lost
    from scoped s left join reps r on r.rep_id = s.rep_id
    where s.status = 'lost' and s.close_date between $start and $end
    group by all
    """.format(scoped=_SCOPED.format(group="'all'"), key=key, label=label)
    frame = _query(con, sql, _params(start, end, scope))
    frame["deals_lost"] = frame["deals_lost"].astype("int64")
    frame["value_lost"] = frame["value_lost"].astype("float64")
    frame["share"] = frame["deals_lost"] / frame.groupby("key")["deals_lost"].transform("sum")
    return frame.sort_values(["key", "deals_lost"], ascending=[True, False]).reset_index(drop=True)


def stage_win_probability(con: Con, when: date, scope: Scope = Scope(),
                          stages: list[str] | None = None, lookback_days: int = 365) -> pd.DataFrame:
    """Historical win probability per open stage: of the deals of ``scope`` closed in the
    ``lookback_days`` up to ``when`` that reached the stage (DESIGN §4 reached rule; a lost
    deal whose stage is not in the list reached the first stage only), the share won.
    Columns: stage, closed, won, win_probability (NaN when none closed)."""
    stages = list(stages) if stages is not None else stage_order(con)
    if not stages:
        return pd.DataFrame({"stage": [], "closed": [], "won": [], "win_probability": []})
    order = pd.DataFrame({"stage": stages, "k": range(1, len(stages) + 1)})
    sql = """
    with {scoped},
    pos as (
        select case when s.status = 'won' then $won_k else coalesce(o.k, 1) end as k, s.status
        from scoped s left join stage_list o on o.stage = s.stage
        where s.status in ('won', 'lost') and s.close_date between $start and $end
    )
    select l.k, count(p.k) as closed, count(p.k) filter (where p.status = 'won') as won
    from stage_list l left join pos p on p.k >= l.k
    group by l.k order by l.k
    """.format(scoped=_SCOPED.format(group="'all'"))
    start = date.fromordinal(when.toordinal() - lookback_days)
    with con.cursor() as cur:
        cur.register("stage_list", order)
        params = _params(start, when, scope) | {"won_k": len(stages) + 1}
        used = set(re.findall(r"\$(\w+)", sql))
        frame = cur.execute(sql, {k: v for k, v in params.items() if k in used}).df()
        cur.unregister("stage_list")
    frame["stage"] = stages
    frame["closed"] = frame["closed"].astype("int64")
    frame["won"] = frame["won"].astype("int64")
    frame["win_probability"] = frame["won"] / frame["closed"].where(frame["closed"] > 0)
    return frame[["stage", "closed", "won", "win_probability"]]


def forecast(con: Con, period: Period, when: date, scope: Scope = Scope(),
             stages: list[str] | None = None) -> dict[str, Any]:
    """Where ``period`` will end, seen on ``when``.

    - revenue_won: won so far in the period (closed up to ``when``);
    - weighted_pipeline: open deals whose expected_close_date falls in the period, each
      amount times its stage's historical win probability (:func:`stage_win_probability`;
      a stage not in the list takes the first stage's);
    - forecast = revenue_won + weighted_pipeline; run_rate = revenue_won / share of the
      period elapsed (pace);
    - gap = target - forecast, run_rate_gap = target - run_rate (None without a target).
    Also: target, elapsed, finished (the period is over: forecast = revenue_won),
    not_dated (open deals of the scope with no expected close date: not counted) and stages
    (frame: stage, open_deals, open_value, win_probability, weighted).
    """
    stages = list(stages) if stages is not None else stage_order(con)
    elapsed = pace(period, when)
    finished = when >= period.end
    won = kpis(con, period.start, min(when, period.end), scope)["revenue_won"] if when >= period.start else 0.0
    goal = target(con, period.months, scope)
    probs = stage_win_probability(con, when, scope, stages)
    first_p = probs["win_probability"].iloc[0] if len(probs) else float("nan")
    sql = """
    with {scoped}
    select stage,
           count(*) filter (where expected_close_date between $pstart and $pend) as open_deals,
           coalesce(sum(amount) filter (where expected_close_date between $pstart and $pend), 0)
               as open_value,
           count(*) filter (where expected_close_date is null) as not_dated
    from scoped
    where (status = 'open' or close_date > $when) and (created_date is null or created_date <= $when)
    group by stage
    """.format(scoped=_SCOPED.format(group="'all'"))
    params = _params(None, None, scope) | {"when": when, "pstart": period.start, "pend": period.end}
    raw = _query(con, sql, params)
    not_dated = int(raw["not_dated"].sum()) if len(raw) else 0
    dated = raw[raw["open_deals"] > 0].copy()
    prob = dict(zip(probs["stage"], probs["win_probability"]))
    dated["win_probability"] = dated["stage"].map(prob).astype("float64").fillna(first_p)
    dated["open_value"] = dated["open_value"].astype("float64")
    dated["open_deals"] = dated["open_deals"].astype("int64")
    dated["weighted"] = dated["open_value"] * dated["win_probability"].fillna(0.0)
    rank = {s: i for i, s in enumerate(stages)}
    dated = dated.assign(_k=dated["stage"].map(rank).fillna(-1)).sort_values(["_k", "stage"])
    frame = dated[["stage", "open_deals", "open_value", "win_probability", "weighted"]].reset_index(drop=True)
    weighted = 0.0 if finished else float(frame["weighted"].sum())
    result = float(won) + weighted
    run_rate = float(won) / elapsed if elapsed > 0 else None
    return {"period": period.label, "when": when, "elapsed": elapsed, "finished": finished,
            "revenue_won": float(won), "weighted_pipeline": weighted, "forecast": result,
            "run_rate": run_rate, "target": goal,
            "gap": goal - result if goal is not None else None,
            "run_rate_gap": goal - run_rate if goal is not None and run_rate is not None else None,
            "not_dated": not_dated, "stages": frame}

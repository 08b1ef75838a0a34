"""The section 4 figures (DESIGN.md §4) of a scope and its reps or teams in one statement:
kpis, by_group, the leaderboard, the monthly trend, velocity and its drivers, and the
``metrics --json`` summary (built without pandas)."""
from __future__ import annotations

import math
from datetime import date
from typing import Any

from salescore import db
from salescore import sql as sqlkit
from salescore.metrics.base import (DEAL, EXPECTED_IN_REST, _SCOPED, Con, _clean, _missing, _params,
                                    _query, deal_count, has_orders, pd)
from salescore.metrics.funnel import _funnel
from salescore.metrics.targets import (_TARGET_CTES, _level_rows, active_scenario,
                                       month_shares, targets_by)
from salescore.periods import Period
from salescore.scope import Scope

#: The section 4 figures :func:`kpis` returns, in display order (all numbers; kpis also
#: gives ``win_rate_note``, the reason a win rate is missing).
KPI_NAMES = ("revenue_won", "deals_won", "deals_lost", "win_rate", "avg_deal_size",
             "sales_cycle_days", "sales_cycle_days_median", "new_customers", "repeat_rate",
             "open_deals", "open_pipeline", "velocity", "target", "attainment", "pipeline_coverage")

#: The reason :func:`kpis` gives for a missing win rate when the data is a list of orders.
NO_LOST_DEALS = "no lost deals in the data"

# Grouping expressions, chosen from this whitelist only (never from user input).
_GROUPS = {"all": "'all'", "team": "coalesce(r.team, '')", "rep": "d.rep_id"}

# Only the deal columns the core figures read: a narrow scope is what keeps _CORE_SQL fast at
# 1M deals (the scoped rows are read twice, for the closed and for the open figures).
_SCOPED_CORE = """
    scoped as not materialized (
        select d.deal_id, d.order_id, d.customer_id, d.amount, d.status, d.created_date,
               d.close_date, d.expected_close_date, {group} as grp
        from deals d {join}
        where {scope_filter}
    )"""

# DESIGN §4, as SQL over whole tables:
# - facts: the data as a whole. An order list (no open or lost deal at all) has no win rate
#   and no sales cycle (its dates are order dates); as_of is the data's "today" (last date).
# - a credit (won, amount < 0) lowers revenue_won and is not a deal; deals_won counts orders
#   (lines sharing an order id once; without one each row), deals_lost likewise.
# - a buyer of the period is a repeat buyer when its second won deal (any rep; _first_won,
#   computed once per data version) closed by the period's end.
# - coverage_pipeline: open deals expected in the rest of the period, the overdue ones (their
#   expected close has passed) included when the period is the current one; NULL once the
#   period is over (nothing is left to cover).
# A bounded range keeps its few closed deals (materialized: read by several figures); all data
# streams them instead.
_CORE_SQL = """
with {scoped},
facts as (
    select exists (select 1 from deals where status <> 'won') as has_lost,
           exists (select 1 from deals) as has_deals,
           (select last_date from data_dates) as as_of
),
period_state as (
    select f.*, coalesce(f.as_of <= $end, false) as live,
           coalesce($start <= f.as_of and f.as_of <= $end, false) as current
    from facts f
),
closed as {materialized} (
    select * from scoped
    where status in ('won', 'lost') and close_date between $start and $end
),
closed_agg as (
    select grp,
           sum(amount) filter (where status = 'won')                 as revenue_won,
           sum(amount) filter (where status = 'won' and {deal})      as deal_revenue,
           {deals_won}                                               as deals_won,
           {deals_lost}                                              as deals_lost,
           avg((close_date - created_date)::FLOAT8) filter (where status = 'won' and {deal}
               and created_date is not null)                         as sales_cycle_days,
           percentile_cont(0.5) within group (order by close_date - created_date)
               filter (where status = 'won' and {deal} and created_date is not null)
                                                                     as sales_cycle_days_median
    from closed group by {by_grp}
),
new_agg as (     -- customers whose first won deal (any rep) falls in the range, then scoped
    select {group} as grp, count(*) as new_customers
    from _first_won d left join reps r on r.rep_id = d.rep_id
    where d.close_date between $start and $end
      and """ + sqlkit.in_scope() + """
    group by {by_new}
),
buyers as (      -- customers with a won deal in the period, per group
    select grp, customer_id, count(*) as n_won
    from closed where status = 'won' and {deal} and customer_id is not null group by {by_buyer}
),
repeat_agg as (
    select b.grp, avg({repeat}::FLOAT8) as repeat_rate
    from buyers b {repeat_join}
    group by b.grp
),
open_agg as (    -- open at the end of the period: created by then and not yet closed
    select grp, count(*) as open_deals, sum(amount) as open_pipeline,
           sum(amount) filter (where status = 'open' and {in_rest}) as coverage_pipeline
    from scoped cross join (select current from period_state) ps
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
       case when ps.has_lost
            then c.deals_won::FLOAT8 / nullif(c.deals_won + c.deals_lost, 0) end as win_rate,
       c.deal_revenue::FLOAT8 / nullif(c.deals_won, 0)            as avg_deal_size,
       case when ps.has_lost then c.sales_cycle_days end          as sales_cycle_days,
       case when ps.has_lost then c.sales_cycle_days_median end   as sales_cycle_days_median,
       coalesce(n.new_customers, 0) as new_customers,
       rp.repeat_rate,
       coalesce(o.open_deals, 0)    as open_deals,
       coalesce(o.open_pipeline, 0) as open_pipeline,
       o.coverage_pipeline
from groups g
cross join period_state ps
left join closed_agg c on c.grp is not distinct from g.grp
left join new_agg n on n.grp is not distinct from g.grp
left join repeat_agg rp on rp.grp is not distinct from g.grp
left join open_agg o on o.grp is not distinct from g.grp
),
core as (        -- velocity per day = open deals x win rate x deal size / mean cycle (§4)
    select grp, revenue_won::FLOAT8 as revenue_won, deals_won, deals_lost, win_rate,
           avg_deal_size::FLOAT8 as avg_deal_size, sales_cycle_days, sales_cycle_days_median,
           new_customers, repeat_rate, open_deals, open_pipeline::FLOAT8 as open_pipeline,
           coverage_pipeline,
           open_deals * win_rate * avg_deal_size::FLOAT8
               / (case when sales_cycle_days > 0 then sales_cycle_days end) as velocity
    from core0
)"""

# The section 4 figures of one row of ``core`` (alias c), zeros where a count has no rows.
_KPI_COLS = """coalesce(c.revenue_won, 0) as revenue_won, coalesce(c.deals_won, 0) as deals_won,
           coalesce(c.deals_lost, 0) as deals_lost, c.win_rate, c.avg_deal_size,
           c.sales_cycle_days, c.sales_cycle_days_median,
           coalesce(c.new_customers, 0) as new_customers, c.repeat_rate,
           coalesce(c.open_deals, 0) as open_deals, coalesce(c.open_pipeline, 0) as open_pipeline,
           c.velocity,"""

# pipeline_coverage = coverage pipeline / remaining target (target - revenue_won), of the row
# whose target is ``{t}``; NULL when nothing remains, without a target or once the period is over.
_COVERAGE = """case when (select live from period_state)
           then coalesce(c.coverage_pipeline, 0)::FLOAT8
                / (case when {t} - coalesce(c.revenue_won, 0) > 0
                        then {t} - coalesce(c.revenue_won, 0) end)::FLOAT8
           end as pipeline_coverage"""


def _core_ctes(start: date | None, end: date | None, scope: Scope, group: str,
               with_total: bool, orders: bool = True) -> str:
    """``with`` ... ending in the CTE ``core``: the section 4 figures per ``group`` (column
    grp); ``with_total``: plus the scope's total as the row whose grp is NULL (grouping sets:
    one pass for both; a real group is never NULL). ``orders``: some rows carry an order id
    (:func:`has_orders`; False keeps the plain counts)."""
    bounded = start is not None
    whole = start is None and end is None
    gexpr = _GROUPS[group]
    joined = scope.team is not None or group == "team"
    return _CORE_SQL.format(
        # reps joined only when a team is asked for (by scope or as the group); without the
        # join the scope has no team, so its team column is a NULL that the filter ignores
        scoped=_SCOPED_CORE.format(
            group=gexpr, join="left join reps r on r.rep_id = d.rep_id" if joined else "",
            scope_filter=sqlkit.in_scope("r.team" if joined else "null::VARCHAR")),
        group=gexpr,
        by_grp="grouping sets ((grp), ())" if with_total else "grp",
        by_new=f"grouping sets (({gexpr}), ())" if with_total else "1",
        by_buyer="grouping sets ((grp, customer_id), (customer_id))" if with_total
        else "grp, customer_id",
        materialized="materialized" if bounded else "not materialized", deal=DEAL,
        # all data without order ids: a buyer's won rows in the period are all its deals ever,
        # so "two or more by the end" is n_won > 1 (no join with _first_won: ~20% of the
        # 1M-deal metrics --json); else its second won deal closed by the period's end
        repeat="(b.n_won > 1)::INTEGER" if whole and not orders
        else "coalesce(f.second_close_date <= $end, false)::INTEGER",
        repeat_join="" if whole and not orders
        else "left join _first_won f on f.customer_id = b.customer_id",
        deals_won=deal_count(f"status = 'won' and {DEAL}", orders),
        deals_lost=deal_count("status = 'lost'", orders),
        in_rest=EXPECTED_IN_REST.format(current="ps.current"))


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
           {kpis} sg.target::FLOAT8 as target,
           coalesce(c.revenue_won, 0) / nullif(sg.target, 0)::FLOAT8 as attainment,
           {coverage_total},
           case when (select has_deals and not has_lost from period_state)
                then '""" + NO_LOST_DEALS + """' end as win_rate_note
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
           {kpis} g.target::FLOAT8 as target,
           coalesce(c.revenue_won, 0) / (case when g.target > 0 then g.target end)::FLOAT8
               as attainment,
           {coverage_group}, null::VARCHAR as win_rate_note
    from names n full join (select * from core where grp is not null) c on c.grp = n.key
    left join goals g on g.key = coalesce(n.key, c.grp)
    where {keep}
)"""

_NAMES = {
    "rep": ("select rep_id as key, name as rep, coalesce(team, '') as team, active from reps "
            "where " + sqlkit.in_scope("team", "rep_id"),
            "coalesce(n.key, c.grp) as rep_id, coalesce(n.rep, n.key, c.grp) as rep, n.team as team,",
            "null::VARCHAR as rep_id, null::VARCHAR as rep, null::VARCHAR as team,",
            "coalesce(n.active, true) or coalesce(c.revenue_won, 0) > 0 or g.target is not null"),
    "team": ("select distinct coalesce(team, '') as key from reps "
             "where " + sqlkit.in_team("team"),
             "coalesce(n.key, c.grp) as team,", "null::VARCHAR as team,", "true"),
}


def _figures(con: Con, start: date | None, end: date | None, scope: Scope,
             level: str | None, frame: bool = True) -> Any:
    """The scope's total and (``level`` rep or team) its groups: a DataFrame (``frame``) or
    a list of dicts of plain Python values (no pandas: ``metrics --json``), first row the
    total (``_total`` true). Columns: _total, rep_id, rep, team (those of the level),
    KPI_NAMES, win_rate_note (on the total row only).
    """
    months, shares = month_shares(start, end, con)
    coverage = _COVERAGE.format(t="sg.target")
    orders = has_orders(con)
    if level is None:
        sql = _FIGURES_SQL.format(core=_core_ctes(start, end, scope, "all", False, orders),
                                  targets=_TARGET_CTES, no_names="", total_row="true",
                                  groups="", union_groups="", kpis=_KPI_COLS,
                                  scope_level=_level_rows("slevel"), coverage_total=coverage)
    else:
        names, name_cols, no_names, keep = _NAMES[level]
        sql = _FIGURES_SQL.format(
            core=_core_ctes(start, end, scope, level, True, orders), targets=_TARGET_CTES,
            no_names=no_names, total_row="grp is null",
            groups=_GROUPS_SQL.format(names=names, name_cols=name_cols, keep=keep,
                                      kpis=_KPI_COLS, group_level=_level_rows("glevel"),
                                      coverage_group=_COVERAGE.format(t="g.target")),
            union_groups="union all select * from grouped", kpis=_KPI_COLS,
            scope_level=_level_rows("slevel"), coverage_total=coverage)
    params = _params(start, end, scope) | {
        "scenario": active_scenario(con), "metric": "revenue", "months": months,
        "shares": shares, "slevel": scope.level, "glevel": level}
    out = _query(con, sql, params, frame)
    return _with_splits(con, out, level, params) if level is not None else out


# Revenue moved between reps (or teams) by credit splits (DESIGN.md section 10): per group, the
# revenue shares of its reps in split deals won in the range minus those deals' whole amounts
# for their owners. The deals are the scope's; a group that is not in the frame is left out.
_SPLIT_SQL = """
with split as (
    select d.deal_id, d.rep_id as owner, d.amount::FLOAT8 as amount from deals d {join}
    where d.status = 'won' and d.amount > 0 and d.close_date between $start and $end and {scope_filter}
      and d.deal_id in (select deal_id from deal_credits where kind = 'revenue')
),
moves as (
    select c.rep_id, s.amount * c.share as delta from split s
    join deal_credits c on c.deal_id = s.deal_id and c.kind = 'revenue'
    union all
    select owner, -amount from split
)
select {key} as key, sum(delta) as delta from moves m left join reps g on g.rep_id = m.rep_id
group by 1 having abs(sum(delta)) > 1e-9
"""


def _with_splits(con: Con, out: Any, level: str, params: dict[str, Any]) -> Any:
    """``out`` (a frame or rows of dicts, first row the total) with the revenue_won and
    attainment of its groups moved by the credit splits of the range, highest revenue first."""
    if not sqlkit.scalar(con, "select exists (select 1 from deal_credits where kind = 'revenue')"):
        return out
    joined = params.get("team") is not None
    text = _SPLIT_SQL.format(join="left join reps r on r.rep_id = d.rep_id" if joined else "",
                             scope_filter=sqlkit.in_scope("r.team" if joined else "null::VARCHAR"),
                             key="m.rep_id" if level == "rep" else "coalesce(g.team, '')")
    delta = {str(k): float(v) for k, v in sqlkit.rows(con, text, params)}
    if not delta:
        return out
    col = "rep_id" if level == "rep" else "team"
    rows = out.to_dict("records") if hasattr(out, "to_dict") else out
    for i, row in enumerate(rows):
        if i == 0 or str(row.get(col)) not in delta:
            continue
        revenue = float(row.get("revenue_won") or 0.0) + delta[str(row[col])]
        target = row.get("target")
        attainment = revenue / target if target is not None and target == target and target > 0 else None
        if hasattr(out, "to_dict"):
            out.loc[out.index[i], "revenue_won"] = revenue
            out.loc[out.index[i], "attainment"] = float("nan") if attainment is None else attainment
        else:
            row["revenue_won"], row["attainment"] = revenue, attainment
    if hasattr(out, "to_dict"):
        rest = out.iloc[1:].sort_values("revenue_won", ascending=False, kind="stable")
        return pd.concat([out.iloc[:1], rest])
    return out[:1] + sorted(out[1:], key=lambda r: -float(r.get("revenue_won") or 0.0))


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



def kpis(con: Con, start: date | None = None, end: date | None = None,
         scope: Scope = Scope()) -> dict[str, Any]:
    """The section 4 figures for one scope and date range, as plain Python numbers.

    Keys: KPI_NAMES and win_rate_note. ``target`` is the revenue target of the same scope
    over the range (months cut by the range prorated by calendar days); ``attainment`` =
    revenue_won / target (None without a target); ``pipeline_coverage`` = open pipeline
    expected in the rest of the range (overdue deals included in the current period) /
    remaining target (None once the range is over, without a target or when it is met);
    ``win_rate_note`` = NO_LOST_DEALS when the data holds no open or lost deal at all (a list
    of orders: win rate and sales cycle are None), else None.
    """
    return _kpis_row(_figures(con, start, end, scope, None, frame=False)[0])


def _kpis_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {name: _clean(row[name]) for name in KPI_NAMES}
    note = row.get("win_rate_note")
    out["win_rate_note"] = note if isinstance(note, str) else None
    return out


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
    return frame.iloc[1:].drop(columns=["_total", "win_rate_note"]).reset_index(drop=True)


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
    """Revenue won and target per month: columns month (YYYY-MM), revenue_won, target
    (a month cut by the range prorated by its days), deals_won, win_rate (the DESIGN §4
    figures of each month: credits are not deals, an order's lines count once, no win rate
    for a list of orders). Months with no deals appear with zero revenue."""
    months, shares = month_shares(start, end, con)
    sql = """
    with {scoped},
    counted as (
        select strftime(close_date, '%Y-%m') as month,
               sum(amount) filter (where status = 'won') as revenue_won,
               {deals_won} as deals_won, {deals_lost} as deals_lost
        from scoped
        where status in ('won', 'lost') and close_date between $start and $end
        group by 1
    )
    select month, revenue_won, deals_won,
           case when exists (select 1 from deals where status <> 'won')
                then deals_won::FLOAT8 / nullif(deals_won + deals_lost, 0) end as win_rate
    from counted
    """
    orders = has_orders(con)
    sql = sql.format(scoped=_SCOPED.format(group="'all'"),
                     deals_won=deal_count(f"status = 'won' and {DEAL}", orders),
                     deals_lost=deal_count("status = 'lost'", orders))
    frame = _query(con, sql, _params(start, end, scope))
    base = pd.DataFrame({"month": months})
    out = base.merge(frame, on="month", how="left")
    goals = targets_by(con, months, scope.level, team=scope.team, rep_id=scope.rep_id,
                       by_month=True, shares=shares).groupby("month")["target"].sum()
    out["target"] = out["month"].map(goals).astype("float64")
    out["revenue_won"] = out["revenue_won"].astype("float64").fillna(0.0)
    out["deals_won"] = out["deals_won"].fillna(0).astype("int64")
    out["win_rate"] = out["win_rate"].astype("float64")
    return out[["month", "revenue_won", "target", "deals_won", "win_rate"]]


# --- stages and the funnel -----------------------------------------------------------------

# Typical position of a stage name in a B2B funnel, by keyword (both languages).


def summary(con: Con, start: date | None = None, end: date | None = None,
            scope: Scope = Scope()) -> dict[str, Any]:
    """What ``python -m salescore metrics --json`` prints (DESIGN §6):
    {"totals": {...}, "by_rep": [{"rep": name, ...}], "funnel": [{"stage", "reached",
    "conversion_to_next", "unknown"}]}, plain numbers with the section 4 names; totals also
    carry win_rate_note (the reason a win rate is missing, else None) and currency (the
    reporting currency's ISO code, None while unknown). Built from DuckDB rows without
    pandas (the CLI does not import it: a third of its run at 1M deals)."""
    rows = _figures(con, start, end, scope, "rep", frame=False)
    totals = _kpis_row(rows[0]) | {"currency": db.reporting_currency(con)}
    by_rep = [{k: _clean(v) for k, v in row.items() if k not in ("_total", "win_rate_note")}
              for row in rows[1:]]
    funnel_rows = [{"stage": r["stage"], "reached": int(r["reached"]),
                    "conversion_to_next": _clean(r["conversion_to_next"]),
                    "unknown": int(r["unknown"])}
                   for r in _funnel(con, start, end, scope, None, frame=False)]
    return {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
            "totals": totals, "by_rep": by_rep, "funnel": funnel_rows}



VELOCITY_DRIVERS = ("open_deals", "win_rate", "avg_deal_size", "sales_cycle_days")


def velocity_drivers(con: Con, period: Period, scope: Scope = Scope()) -> dict[str, Any]:
    """Sales velocity (DESIGN §4) of ``period`` and the previous period, split into its four
    drivers. Velocity is a product, so log(V1/V0) = sum of the drivers' log changes (the cycle
    with a minus sign); each driver's ``effect`` is its share of the velocity change.

    Keys: velocity, velocity_before, change (V1/V0 - 1), lever (the driver with the largest
    effect, None when it cannot be told), lever_effect (its effect, money per day), drivers
    (frame: driver, now, before, change, effect in money per day). Missing or zero figures
    give NaN/None, never an exception.
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
    lever, lever_effect = None, None
    effects = [r for r in rows if r["effect"] is not None]
    if effects and any(abs(r["effect"]) > 0 for r in effects):
        best = max(effects, key=lambda r: abs(r["effect"]))
        lever, lever_effect = best["driver"], float(best["effect"])
    frame = pd.DataFrame(rows)[["driver", "now", "before", "change", "effect"]].astype(
        {"now": "float64", "before": "float64", "change": "float64", "effect": "float64"})
    return {"velocity": v1, "velocity_before": v0,
            "change": v1 / v0 - 1 if v1 is not None and v0 else None,
            "lever": lever, "lever_effect": lever_effect, "drivers": frame}


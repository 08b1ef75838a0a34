"""Targets (DESIGN.md §2 targets table, §4 attainment): the active scenario, a scope's target
over months, and targets per group with the fallback to the level below."""
from __future__ import annotations

import calendar
from datetime import date

from salescore import db
from salescore import sql as sqlkit
from salescore.metrics.base import Con, data_range, pd
from salescore.periods import month_labels
from salescore.scope import Scope


def months_between(start: date | None, end: date | None, con: Con | None = None) -> list[str]:
    """YYYY-MM months from start to end; open ends take the data's date range."""
    if start is None or end is None:
        lo, hi = data_range(con) if con is not None else (None, None)
        start = start or lo
        end = end or hi
        if start is None or end is None:
            return []
    return month_labels(start, end)


def month_shares(start: date | None, end: date | None,
                 con: Con | None = None) -> tuple[list[str], list[float]]:
    """The months of a range and the share of each month's target it takes (DESIGN §4 target
    of a range): a month cut by the range counts by the share of its calendar days inside it
    (2026-06-15..2026-07-10: 16/30 of June, 10/31 of July). An open end takes the data's
    first or last month whole ("all data" = every month of the data)."""
    months = months_between(start, end, con)
    shares = []
    for label in months:
        year, month = int(label[:4]), int(label[5:7])
        days = calendar.monthrange(year, month)[1]
        first, last = date(year, month, 1), date(year, month, days)
        lo = max(first, start) if start is not None else first
        hi = min(last, end) if end is not None else last
        shares.append(((hi - lo).days + 1) / days)
    return months, shares


def active_scenario(con: Con) -> str:
    """The target scenario in use (settings 'active_scenario', else 'base')."""
    return str(db.get_setting(con, "active_scenario", "base") or "base")


def target(con: Con, months: list[str], scope: Scope = Scope(), metric: str = "revenue",
           scenario: str | None = None, shares: list[float] | None = None) -> float | None:
    """The target of ``scope`` summed over ``months`` (None when no target is set), each
    month times its share in ``shares`` (:func:`month_shares`; default: whole months).

    A team or the company without targets of its own falls back to the sum of its reps'
    (and a company without team targets to the sum of the teams').
    """
    frame = targets_by(con, months, scope.level if scope.level != "company" else "company",
                       metric=metric, scenario=scenario, team=scope.team, rep_id=scope.rep_id,
                       shares=shares)
    if frame.empty:
        return None
    return float(frame["target"].sum())


def _level_rows(param: str) -> str:
    """SQL: the rows of ``levels`` for the level in ``$param``, narrowed to the scope's team
    or rep when that is the level."""
    return (f"level = ${param} and v is not null "
            f"and ($team::VARCHAR is null or ${param} <> 'team' or grp = $team) "
            f"and ($rep::VARCHAR is null or ${param} <> 'rep' or grp = $rep)")


# $months and $shares are parallel lists: each month's targets count times its share.
_TARGET_CTES = """
    month_share as (select unnest($months::VARCHAR[]) as period, unnest($shares::FLOAT8[]) as share),
    t as (select tg.scope, tg.scope_id, tg.period, tg.value * ms.share as value
          from targets tg join month_share ms on ms.period = tg.period
          where tg.scenario = $scenario and tg.metric = $metric),
    rep_t as (
        select t.period, t.scope_id as grp, r.team, sum(t.value) as v
        from t left join reps r on r.rep_id = t.scope_id
        where t.scope = 'rep' group by 1, 2, 3
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
               rep_id: str | None = None, by_month: bool = False,
               shares: list[float] | None = None) -> pd.DataFrame:
    """Targets over ``months`` per group of ``level`` (company/team/rep): columns grp, target
    (and month first when ``by_month``); each month times its share in ``shares`` (a range
    cutting a month, :func:`month_shares`; default: whole months).

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
                     group="order by period, grp" if by_month else "group by grp order by grp")
    shares = list(shares) if shares is not None else [1.0] * len(months)
    frame = sqlkit.run(con, sql, {"scenario": scenario, "metric": metric, "months": list(months),
                                  "shares": shares, "level": level, "team": team, "rep": rep_id})
    frame["target"] = frame["target"].astype("float64")
    if by_month:
        return frame[["month", "grp", "target"]]
    return frame[["grp", "target"]]


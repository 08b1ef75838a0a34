"""Time in stage from deal_history (DESIGN.md section 8).

A deal's stay in a stage runs from the first import that shows it there to the first that
shows it in another stage or closed. Only stays whose both ends were seen count: the stage a
deal had in the first export of all (it may have sat there for months before) starts a stay
only when the deal was created after that export. Days are calendar days between the two
imports' dates, so weekly exports measure to the week.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from salescore import sql as sqlkit
from salescore.metrics.funnel import stage_order
from salescore.scope import Scope

_STAYS = f"""
with first_day as (select min(seen_at) as day from deal_history),
h as (
    select h.deal_id, h.seen_at, h.stage, h.status, h.rep_id,
           lag(h.stage) over w as prev_stage, lag(h.status) over w as prev_status,
           row_number() over w as n
    from deal_history h
    where coalesce(h.amount, 0) >= 0
    window w as (partition by h.deal_id order by h.seen_at, h.batch_id nulls first)
),
entries as (   -- the rows where a deal is first seen in a stage (or closed)
    select * from h
    where n = 1 or stage is distinct from prev_stage or status is distinct from prev_status
),
spells as (
    select e.deal_id, e.stage, e.status, e.rep_id, e.n,
           case when e.n > 1 then e.seen_at
                when d.created_date > (select day from first_day) then d.created_date end
               as entered,
           lead(e.seen_at) over (partition by e.deal_id order by e.n) as left_on
    from entries e left join deals d on d.deal_id = e.deal_id
),
stays as (
    select s.*, s.left_on - s.entered as days
    from spells s
    where s.status = 'open' and s.entered is not null and s.left_on is not null
      and s.stage is not null
)
"""


def time_in_stage(con: Any, scope: Scope = Scope()) -> pd.DataFrame:
    """Median days per open stage, per rep of the scope, against the rep's team.

    Columns: stage, rep_id, rep, team, stays (the rep's measured stays in the stage),
    median_days (the rep's), team_median_days (the rep's team's, all its reps),
    company_median_days. Rows in funnel order of the stage, then rep name; empty without two
    imports of the same deals."""
    sql = _STAYS + f"""
    , tagged as (
        select t.stage, t.rep_id, t.days, coalesce(r.team, '') as team,
               coalesce(r.name, t.rep_id) as rep
        from stays t left join reps r on r.rep_id = t.rep_id
    ),
    by_team as (select stage, team, median(days) as team_median_days from tagged group by 1, 2),
    by_all as (select stage, median(days) as company_median_days from tagged group by 1)
    select g.stage, g.rep_id, g.rep, g.team, count(*) as stays,
           median(g.days)::FLOAT8 as median_days,
           any_value(bt.team_median_days)::FLOAT8 as team_median_days,
           any_value(ba.company_median_days)::FLOAT8 as company_median_days
    from tagged g
    join by_team bt on bt.stage = g.stage and bt.team = g.team
    join by_all ba on ba.stage = g.stage
    where {sqlkit.in_scope('g.team', 'g.rep_id')}
    group by 1, 2, 3, 4
    """
    frame = sqlkit.run(con, sql, scope.params)
    return _in_funnel_order(con, frame).sort_values(["_pos", "rep"]).drop(columns="_pos") \
        .reset_index(drop=True)


def stage_medians(con: Any, scope: Scope = Scope()) -> pd.DataFrame:
    """Median days per open stage over the scope's reps: stage, stays, median_days, in funnel
    order."""
    sql = _STAYS + f"""
    select t.stage, count(*) as stays, median(t.days)::FLOAT8 as median_days
    from stays t left join reps r on r.rep_id = t.rep_id
    where {sqlkit.in_scope('r.team', 't.rep_id')}
    group by 1
    """
    frame = sqlkit.run(con, sql, scope.params)
    return _in_funnel_order(con, frame).sort_values("_pos").drop(columns="_pos") \
        .reset_index(drop=True)


def _in_funnel_order(con: Any, frame: pd.DataFrame) -> pd.DataFrame:
    order = {s: i for i, s in enumerate(stage_order(con))}
    return frame.assign(_pos=frame["stage"].map(lambda s: order.get(s, len(order))))

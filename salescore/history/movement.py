"""Pipeline movement between two dates, from deal_history (DESIGN.md section 8).

A deal's state on a day is its last deal_history row seen on or before that day (ties: the
later import). The open pipeline on a day is the deals open in that state (with a period:
expected to close in it). Between ``start`` and ``end`` every deal falls in the buckets that
explain the difference, amounts positive:

    start + created + pulled_in + increased - decreased - pushed_out - lost - won = end

- created: open at the end (or closed in between) and not in the starting pipeline, unseen
  on the start day or closed then (a reopened deal counts as created);
- pulled_in: open on the start day but expected to close outside the period, now inside it;
- increased / decreased: the amount change of a deal of the starting pipeline;
- pushed_out: in the starting pipeline, still open at the end, expected close moved out of
  the period;
- won / lost: closed between the two days (at its end amount), of the starting pipeline or
  entering it in between (then also in created or pulled_in); a deal first seen closed
  counts when its close date falls after the start day.

A won or lost deal counts in the period of its close date, an open one in that of its
expected close date (either when the other is missing). Credits (negative amounts) are not
deals. Deals are counted once per order (order lines share an order id).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from salescore import sql as sqlkit
from salescore.periods import Period, containing
from salescore.scope import Scope

#: The buckets in the order of the identity (start first, end last).
BUCKETS = ("start", "created", "pulled_in", "increased", "decreased", "pushed_out", "lost",
           "won", "end")
#: The sign each bucket carries in start + ... = end.
SIGNS = {"start": 1, "created": 1, "pulled_in": 1, "increased": 1, "decreased": -1,
         "pushed_out": -1, "lost": -1, "won": -1, "end": 0}

# The last deal_history row of every deal on or before a day (credits are not deals).
_STATE = """
    select * from (
        select h.*, row_number() over (partition by h.deal_id
                                       order by h.seen_at desc, h.batch_id desc nulls last) as rn
        from deal_history h where h.seen_at <= {day}) x
    where rn = 1 and coalesce(amount, 0) >= 0"""

# Whether a state (columns prefixed ``p``) falls in the period: open deals by expected close,
# closed ones by close date (either when the other is missing); true without a period.
_IN_PERIOD = ("($p_start::DATE is null or (case when {p}status = 'open' "
              "then coalesce({p}expected_close_date, {p}close_date) "
              "else coalesce({p}close_date, {p}expected_close_date) end) "
              "between $p_start and $p_end)")

_MOVES = f"""
with s1 as ({_STATE.format(day='$d1')}),
s2 as ({_STATE.format(day='$d2')}),
j as (
    select s2.deal_id, s1.deal_id is not null as seen1,
           s1.status as st1, coalesce(s1.amount, 0) as a1, s1.stage as stage1,
           s1.expected_close_date as close1,
           s2.status as st2, coalesce(s2.amount, 0) as a2, s2.stage as stage2,
           coalesce(s2.expected_close_date, s2.close_date) as close2, s2.rep_id,
           coalesce(s1.status = 'open' and {_IN_PERIOD.format(p='s1.')}, false) as in1,
           (s2.status = 'open' and {_IN_PERIOD.format(p='s2.')}) as in2,
           {_IN_PERIOD.format(p='s2.')} as p2,
           (s2.status in ('won', 'lost')
            and (s1.status = 'open' or s1.status <> s2.status
                 or (s1.deal_id is null and s2.close_date > $d1))) as closed_now
    from s2 left join s1 on s1.deal_id = s2.deal_id
    left join reps r on r.rep_id = s2.rep_id
    where {sqlkit.in_scope('r.team', 's2.rep_id')}
),
k as (
    select *, not in1 and (in2 or (closed_now and p2)) as entering from j
),
b as (
    select deal_id, 'start' as bucket, a1 as amount from k where in1
    union all select deal_id, 'created', a2 from k
        where entering and (not seen1 or st1 <> 'open')
    union all select deal_id, 'pulled_in', a2 from k where entering and seen1 and st1 = 'open'
    union all select deal_id, 'increased', a2 - a1 from k where in1 and a2 > a1
    union all select deal_id, 'decreased', a1 - a2 from k where in1 and a2 < a1
    union all select deal_id, 'pushed_out', a2 from k
        where in1 and not in2 and st2 = 'open'
    union all select deal_id, st2, a2 from k where closed_now and (in1 or entering)
    union all select deal_id, 'end', a2 from k where in2
)
"""


@dataclass(frozen=True)
class Movement:
    """The movement between ``start`` and ``end``: per bucket (deals, amount), and the deals
    behind each bucket (a frame, see :func:`movement`)."""

    start: date
    end: date
    period: Period | None
    buckets: dict[str, dict[str, Any]]
    deals: pd.DataFrame

    def balanced(self) -> bool:
        """Whether start + ... = end holds to the cent."""
        total = sum(SIGNS[k] * self.buckets[k]["amount"] for k in BUCKETS)
        return abs(total - self.buckets["end"]["amount"]) < 0.005

    def as_json(self, with_deals: bool = False) -> dict[str, Any]:
        """The ``history --json`` object (DESIGN.md section 8)."""
        out: dict[str, Any] = {k: dict(self.buckets[k]) for k in BUCKETS}
        if with_deals:
            for k in BUCKETS:
                rows = self.deals[self.deals["bucket"] == k]
                out[k]["deals_list"] = [
                    {"deal_id": r.deal_id, "deal": r.deal, "rep": r.rep,
                     "amount": round(float(r.amount), 2)} for r in rows.itertuples()]
        return out


def _period_params(period: Period | None) -> dict[str, Any]:
    return {"p_start": period.start if period else None, "p_end": period.end if period else None}


_DEAL_ROWS = """
    select b.bucket, b.deal_id, coalesce(d.name, b.deal_id) as deal, k.rep_id,
           coalesce(r.name, k.rep_id) as rep, coalesce(r.team, '') as team,
           b.amount::FLOAT8 as amount, k.stage1 as stage_start, k.stage2 as stage_end,
           case when k.seen1 then k.a1 end::FLOAT8 as amount_start, k.a2::FLOAT8 as amount_end,
           k.close1 as close_start, k.close2 as close_end
    from b join k on k.deal_id = b.deal_id
    left join deals d on d.deal_id = b.deal_id
    left join reps r on r.rep_id = k.rep_id
    where $bucket::VARCHAR is null or b.bucket = $bucket
    order by b.bucket, b.amount desc, b.deal_id
"""
_SUMS = """
    select b.bucket, count(distinct coalesce(d.order_id, b.deal_id)) as deals,
           coalesce(sum(b.amount), 0)::FLOAT8 as amount
    from b left join deals d on d.deal_id = b.deal_id
    group by b.bucket
"""
DEAL_COLUMNS = ["bucket", "deal_id", "deal", "rep_id", "rep", "team", "amount", "stage_start",
                "stage_end", "amount_start", "amount_end", "close_start", "close_end"]


def _movement_params(start: date, end: date, period: Period | None, scope: Scope) -> dict[str, Any]:
    if end < start:
        start, end = end, start
    return {"d1": start, "d2": end, **_period_params(period), **scope.params}


def movement(con: Any, start: date, end: date, period: Period | None = None,
             scope: Scope = Scope(), deals: bool = True) -> Movement:
    """The pipeline movement from ``start`` to ``end`` (see the module text): per bucket the
    deals (counted once per order) and the amount, summed in the database. With ``deals``
    the deals behind every bucket too (DEAL_COLUMNS: bucket, deal_id, deal, rep_id, rep,
    team, amount = what the deal adds to the bucket, stage_start, stage_end, amount_start,
    amount_end, close_start, close_end; largest amounts first within a bucket); without
    them (a page, a slide: 1M deals hold hundreds of thousands in start and end) an empty
    frame, and :func:`movement_deals` lists one bucket."""
    params = _movement_params(start, end, period, scope)
    start, end = params["d1"], params["d2"]
    sums = sqlkit.run(con, _MOVES + _SUMS, params).set_index("bucket")
    buckets = {k: {"deals": int(sums.at[k, "deals"]) if k in sums.index else 0,
                   "amount": round(float(sums.at[k, "amount"]), 2) if k in sums.index else 0.0}
               for k in BUCKETS}
    listed = (movement_deals(con, start, end, period, scope) if deals
              else pd.DataFrame(columns=DEAL_COLUMNS))
    return Movement(start, end, period, buckets, listed)


def movement_deals(con: Any, start: date, end: date, period: Period | None = None,
                   scope: Scope = Scope(), bucket: str | None = None) -> pd.DataFrame:
    """The deals behind the buckets of :func:`movement` (every bucket, or ``bucket``):
    DEAL_COLUMNS, largest amounts first within a bucket."""
    if bucket is not None and bucket not in BUCKETS:
        raise ValueError(bucket)
    params = _movement_params(start, end, period, scope) | {"bucket": bucket}
    return sqlkit.run(con, _MOVES + _DEAL_ROWS, params)


def slippage(con: Any, start: date, end: date, scope: Scope = Scope()) -> pd.DataFrame:
    """Close-date slippage between ``start`` and ``end``: per rep, the open deals whose
    expected close date an import moved later (deals, pushes, total days pushed, the amount
    of those deals now). Columns: rep_id, rep, team, deals, pushes, days_pushed, amount;
    most pushes first."""
    sql = f"""
    with h as (
        select deal_id, seen_at, status, amount, rep_id, expected_close_date as ecd,
               lag(expected_close_date) over w as prev_ecd, lag(status) over w as prev_status
        from deal_history
        window w as (partition by deal_id order by seen_at, batch_id nulls first)
    ),
    pushes as (
        select rep_id, deal_id, count(*) as pushes, sum(ecd - prev_ecd) as days from h
        where seen_at > $d1 and seen_at <= $d2 and prev_status = 'open'
          and ecd > prev_ecd and coalesce(amount, 0) >= 0
        group by 1, 2
    ),
    now as ({_STATE.format(day='$d2')})
    select p.rep_id, coalesce(any_value(r.name), p.rep_id) as rep, coalesce(any_value(r.team), '') as team,
           count(*) as deals, sum(p.pushes) as pushes, sum(p.days)::BIGINT as days_pushed,
           sum(n.amount)::FLOAT8 as amount
    from pushes p left join reps r on r.rep_id = p.rep_id
    left join now n on n.deal_id = p.deal_id
    where {sqlkit.in_scope('r.team', 'p.rep_id')}
    group by p.rep_id
    order by pushes desc, days_pushed desc, rep
    """
    return sqlkit.run(con, sql, {"d1": start, "d2": end, **scope.params})


#: Days back the comparison starts by default (a week: the weekly pipeline review).
WEEK = 7


def default_start(days: list[date], end: date) -> date:
    """The export a comparison ending on ``end`` starts from by default: the last one at
    least a week before ``end``, else the one just before it (``end`` itself when none is)."""
    earlier = [d for d in days if d < end]
    if not earlier:
        return end
    week_ago = [d for d in earlier if d <= end - timedelta(days=WEEK)]
    return (week_ago or earlier)[-1]


def followed_period(chosen: Period, start: date, end: date) -> tuple[Period, bool]:
    """The period whose deals a movement from ``start`` to ``end`` follows: the chosen one,
    unless it was over before ``start`` (no deal was then still expected to close in it):
    then the period of the same kind holding ``end`` (second value True)."""
    if chosen.end >= start:
        return chosen, False
    return containing(end, chosen.kind), True


def snapshot_dates(con: Any) -> list[date]:
    """The days deal_history has rows for (the exports seen), oldest first."""
    return [r[0] for r in sqlkit.rows(con, "select distinct seen_at from deal_history order by 1")]

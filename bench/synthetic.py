"""The synthetic company every benchmark runs on: N deals generated inside DuckDB (so
generation itself is not what is measured)."""
from __future__ import annotations

from datetime import date
from typing import Any

from salescore import db, sql

_SYNTHETIC_SQL = """
select setseed(0.42);
insert into reps (rep_id, name, team, base_salary, hire_date, active)
select 'R' || lpad(i::VARCHAR, 5, '0'), 'Rep ' || i, 'Team ' || (i % 20), 10000 + (i % 10) * 1000,
       date '2020-01-01' + (i % 1500)::INTEGER, true
from range(1, $reps + 1) t(i);
insert into customers (customer_id, name, segment, region)
select 'C' || lpad(i::VARCHAR, 7, '0'), 'Customer ' || i, ['SMB', 'Mid-market', 'Enterprise'][1 + i % 3],
       'Region ' || (i % 5)
from range(1, $customers + 1) t(i);
insert into products (product_id, name, category, margin_rate)
select 'P' || i, 'Product ' || i, 'Cat ' || (i % 4), 0.15 + (i % 11) * 0.05 from range(1, 16) t(i);
insert into deals (deal_id, rep_id, customer_id, product_id, amount, stage, status,
                   created_date, close_date, channel)
select 'D' || i,
       'R' || lpad((1 + (hash(i) % $reps))::VARCHAR, 5, '0'),
       'C' || lpad((1 + (hash(i * 7) % $customers))::VARCHAR, 7, '0'),
       'P' || (1 + hash(i * 13) % 15),
       round(1000 + random() * 99000, 2),
       case when u < 0.30 then 'Won' when u < 0.85 then ['Lead', 'Qualified', 'Proposal', 'Negotiation'][1 + (hash(i * 3) % 4)::INTEGER]
            else 'Negotiation' end,
       case when u < 0.30 then 'won' when u < 0.85 then 'lost' else 'open' end,
       created,
       case when u < 0.85 then created + (5 + (hash(i * 5) % 120))::INTEGER end,
       ['Direct', 'Partner', 'Online'][1 + (hash(i * 11) % 3)::INTEGER]
from (select i, random() as u, date '2021-01-01' + (hash(i * 17) % 1800)::INTEGER as created
      from range(1, $rows + 1) t(i));
insert into targets (scenario, period, scope, scope_id, metric, value)
select 'base', strftime(m, '%Y-%m'), 'rep', r.rep_id, 'revenue', 60000
from reps r, range(date '2021-01-01', date '2026-01-01', interval 1 month) t(m);
"""


def synthetic(con: Any, rows: int) -> None:
    """Fill an empty database with ``rows`` synthetic deals (reps = rows/500, customers = rows/10)."""
    reps = max(20, min(2000, rows // 500))
    customers = max(100, rows // 10)
    with db.transaction(con) as cur:
        for statement in db._statements(_SYNTHETIC_SQL):
            cur.execute(statement, sql.bind(statement, {"rows": rows, "reps": reps, "customers": customers}))


# Weekly exports of the synthetic company (DESIGN.md section 8): the first snapshot writes
# every deal created by then once, as it stood (open until its close date; the open ones
# expected 60 days after creation); each later week writes only what changed: deals created
# or closed that week, and one in twenty of the open ones with a new amount (+/-10%) or an
# expected close pushed by two weeks.
_HISTORY_SQL = """
insert into deal_history (deal_id, seen_at, batch_id, stage, status, amount, expected_close_date,
                          close_date, rep_id)
with weeks as (
    select w, $last - (($snapshots - 1 - w) * 7)::INTEGER as day from range(0, $snapshots) t(w)
),
seen as (
    select d.deal_id, d.rep_id, d.amount, d.stage, d.status, d.created_date, d.close_date,
           k.w, k.day, lag(k.day) over (partition by d.deal_id order by k.w) as prev
    from deals d join weeks k on d.created_date <= k.day
)
select deal_id, day, null,
       case when close_date is not null and close_date <= day then stage else 'Proposal' end,
       case when close_date is not null and close_date <= day then status else 'open' end,
       case when w > 0 and hash(deal_id || w) % 20 = 0 then round(amount * 1.1, 2) else amount end,
       coalesce(close_date, created_date + 60)
         + case when w > 0 and hash(deal_id || w) % 20 = 1 then 14 else 0 end,
       case when close_date <= day then close_date end,
       rep_id
from seen
where prev is null                                        -- the first sighting
   or created_date > prev                                 -- created this week
   or (close_date > prev and close_date <= day)           -- closed this week
   or ((close_date is null or close_date > day) and hash(deal_id || w) % 20 in (0, 1))
"""


def synthetic_history(con: Any, snapshots: int = 10, last: Any = None) -> int:
    """Add ``snapshots`` weekly exports (the last on ``last``, default 2025-10-10) of the
    synthetic deals to deal_history; returns its rows."""
    params = {"snapshots": snapshots, "last": last or date(2025, 10, 10)}
    with db.transaction(con) as cur:
        cur.execute(_HISTORY_SQL, sql.bind(_HISTORY_SQL, params))
    return int(sql.scalar(con, "select count(*) from deal_history"))

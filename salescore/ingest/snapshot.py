"""Each import of deals is also a snapshot (DESIGN.md section 8): ``deal_history`` gets one row
per deal whose tracked values changed since its last history row. Undo of the batch removes
them (deal_history is one of db.DATA_TABLES).
"""
from __future__ import annotations

from datetime import date

import duckdb

# deal_history (DESIGN.md section 8): a deal of this batch (new or changed) whose tracked values
# differ from its last history row, and any deal that has no history row yet (the first import
# writes every deal once), get one row. One statement over the whole table.
_HISTORY_SQL = """
insert into deal_history (deal_id, seen_at, batch_id, stage, status, amount,
                          expected_close_date, close_date, rep_id, forecast_category)
with cand as (select * from deals where batch_id = $b),
last as (
    select * from (
        select h.*, row_number() over (partition by h.deal_id
                                       order by h.batch_id desc nulls last, h.seen_at desc) as rn
        from deal_history h where h.deal_id in (select deal_id from cand)) x
    where rn = 1)
select d.deal_id, $seen, $b, d.stage, d.status, d.amount, d.expected_close_date, d.close_date,
       d.rep_id, d.forecast_category
from cand d left join last l on l.deal_id = d.deal_id
where l.deal_id is null or d.stage is distinct from l.stage or d.status is distinct from l.status
   or d.amount is distinct from l.amount
   or d.expected_close_date is distinct from l.expected_close_date
   or d.close_date is distinct from l.close_date or d.rep_id is distinct from l.rep_id
   or d.forecast_category is distinct from l.forecast_category
union all
select d.deal_id, $seen, $b, d.stage, d.status, d.amount, d.expected_close_date, d.close_date,
       d.rep_id, d.forecast_category
from deals d
where d.batch_id is distinct from $b
  and not exists (select 1 from deal_history h where h.deal_id = d.deal_id)
"""


def write_history(cur: duckdb.DuckDBPyConnection, batch: int, seen: date) -> int:
    """Write this import's deal_history rows (see _HISTORY_SQL); returns how many."""
    n = cur.execute(_HISTORY_SQL, {"b": batch, "seen": seen}).fetchall()
    return int(n[0][0]) if n else 0

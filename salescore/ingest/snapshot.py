"""Each import of deals is also a snapshot (DESIGN.md section 8): ``deal_history`` gets one row
per deal of the file whose tracked values differ from its state on the export's day (its last
history row seen on or before that day). Undo of the batch removes them (deal_history is one of
db.DATA_TABLES).

An export older than what history holds for a deal (weekly exports imported out of order, or
one imported again) adds what it shows to the deal's history at its own date and leaves the
deal as the newer export shows it (:func:`set_aside_older` puts those deals in ``_older``).
"""
from __future__ import annotations

from datetime import date

import duckdb

#: The deal columns deal_history keeps, after deal_id, seen_at and batch_id.
TRACKED = ("stage", "status", "amount", "expected_close_date", "close_date", "rep_id",
           "forecast_category")
_COLS = ", ".join(TRACKED)
# amounts are compared as the files gave them (amount_local; salescore/fx.py converts amount)
_DIFFERS = " or ".join("coalesce(c.amount_local, c.amount) is distinct from coalesce(l.amount_local, l.amount)"
                       if c == "amount" else f"c.{c} is distinct from l.{c}" for c in TRACKED)

# One statement over the whole table: the deals this batch stored (new or changed) and the
# ones set aside as older, against their state on $seen; plus any deal without a history row
# yet (the first import writes every deal once).
_HISTORY_SQL = f"""
insert into deal_history (deal_id, seen_at, batch_id, {_COLS}, amount_local)
with cand as (
    select deal_id, {_COLS}, amount_local from deals where batch_id = $b
    union all
    select deal_id, {_COLS}, coalesce(amount_local, amount) from _older
),
last as (
    select * from (
        select h.*, row_number() over (partition by h.deal_id
                                       order by h.seen_at desc, h.batch_id desc nulls last) as rn
        from deal_history h
        where h.seen_at <= $seen and h.deal_id in (select deal_id from cand)) x
    where rn = 1)
select c.deal_id, $seen, $b, {", ".join(f"c.{c}" for c in TRACKED)}, c.amount_local
from cand c left join last l on l.deal_id = c.deal_id
where l.deal_id is null or {_DIFFERS}
union all
select d.deal_id, $seen, $b, {", ".join(f"d.{c}" for c in TRACKED)}, d.amount_local
from deals d
where d.batch_id is distinct from $b
  and d.deal_id not in (select deal_id from _older)
  and not exists (select 1 from deal_history h where h.deal_id = d.deal_id)
"""


def write_history(cur: duckdb.DuckDBPyConnection, batch: int, seen: date) -> tuple[int, int]:
    """Write this import's deal_history rows (see _HISTORY_SQL): (rows written, deals left
    as a newer export shows them)."""
    cur.execute(f"create temp table if not exists _older as select deal_id, {_COLS}, amount_local "
                f"from deals limit 0")
    kept = int(cur.execute("select count(*) from _older").fetchall()[0][0])
    n = cur.execute(_HISTORY_SQL, {"b": batch, "seen": seen}).fetchall()
    cur.execute("drop table _older")
    return (int(n[0][0]) if n else 0), kept


def set_aside_older(cur: duckdb.DuckDBPyConnection, stage: str, cols: dict[str, str], as_of: date) -> None:
    """The deals of this export (``stage``) that deal_history saw after ``as_of`` go to
    ``_older`` with their values as this export shows them (columns it lacks as stored, the
    amount as the file gave it in amount_local), and out of ``_chg`` (load._upsert's changed
    rows): the stored deal stays as the newer export shows it. Nothing to do (one lookup) when
    no history row is newer than ``as_of``, as for the weekly export."""
    newest = cur.execute("select max(seen_at) from deal_history").fetchall()[0][0]
    if newest is None or newest <= as_of:
        return
    tracked = ", ".join(f"s.{c}" if c in cols else f"t.{c}" for c in (*TRACKED, "amount_local"))
    cur.execute(f"create or replace temp table _older as select s.deal_id, {tracked} "
                f"from {stage} s join deals t on t.deal_id = s.deal_id "
                f"where exists (select 1 from deal_history h where h.deal_id = s.deal_id "
                f"and h.seen_at > $a)", {"a": as_of})
    cur.execute("delete from _chg where deal_id in (select deal_id from _older)")

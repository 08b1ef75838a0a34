"""Quota relief (DESIGN.md section 10): a rep's quota lowered for a window of days, with the
reason (leave, a territory change, a long illness).

An entry (rep, from, to, share, reason) takes ``share`` of the rep's quota away for the working
days it covers: a month's target counts x (1 - share x covered working days / the month's
working days). The engine applies it where it reads the targets
(salescore/incentives/lines.py ``RELIEVED``), so attainment, the base bonus, accelerator bands
and the manager's team quota all follow. The Overview's attainment (section 4) is against the
targets as set. Table ``quota_relief``; adding and removing are in the audit log.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from salescore import audit, db, sql
from salescore.errors import SalesCoreError

COLUMNS = ["relief_id", "rep_id", "rep", "team", "from_date", "to_date", "share", "reason",
           "created_at", "created_by"]
_MAX_REASON = 500


def _error(message: str, key: str, **params: Any) -> SalesCoreError:
    return SalesCoreError(message, key=f"relief.error.{key}", **params)


def add(con: Any, rep_id: str, from_date: date, to_date: date, share: float, reason: str,
        *, user: str | None = None) -> int:
    """Lower ``rep_id``'s quota by ``share`` (0 < share <= 1) from ``from_date`` to ``to_date``;
    returns the entry's number."""
    why = " ".join(str(reason or "").split())[:_MAX_REASON]
    if not why:
        raise _error("Say why the quota is relieved (leave, territory change ...).", "reason")
    if from_date is None or to_date is None or pd.Timestamp(to_date) < pd.Timestamp(from_date):
        raise _error("The relief ends on or after the day it starts.", "dates")
    try:
        value = float(share)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0 < value <= 1:
        raise _error("The relief is a share of the quota above 0% and up to 100%.", "share")
    if not sql.scalar(con, "select count(*) from reps where rep_id = $r", {"r": rep_id}):
        raise _error(f"There is no rep {rep_id}.", "rep", rep=rep_id)
    who = user or audit.actor()
    with db.transaction(con) as cur:
        number = int(cur.execute("select coalesce(max(relief_id), 0) + 1 from quota_relief").fetchall()[0][0])
        cur.execute("insert into quota_relief (relief_id, rep_id, from_date, to_date, share, reason, created_by) "
                    "values ($n, $r, $a, $b, $s, $w, $u)",
                    {"n": number, "r": rep_id, "a": pd.Timestamp(from_date).date(), "b": pd.Timestamp(to_date).date(),
                     "s": value, "w": why, "u": who})
        audit.record(cur, "quota_relief", {"relief_id": number, "rep_id": rep_id, "from": str(from_date),
                                           "to": str(to_date), "share": value, "reason": why}, user=who)
    return number


def remove(con: Any, relief_id: int, *, user: str | None = None) -> None:
    """Take an entry back (the audit log keeps it)."""
    rows = listing(con, relief_id=int(relief_id))
    if rows.empty:
        raise _error(f"There is no quota relief {relief_id}.", "unknown", number=int(relief_id))
    who = user or audit.actor()
    with db.transaction(con) as cur:
        cur.execute("delete from quota_relief where relief_id = $n", {"n": int(relief_id)})
        audit.record(cur, "quota_relief_removed", {"relief_id": int(relief_id),
                                                   "rep_id": str(rows["rep_id"].iloc[0])}, user=who)


def listing(con: Any, *, rep_id: str | None = None, relief_id: int | None = None) -> pd.DataFrame:
    """The entries (COLUMNS), the latest window first."""
    return sql.run(con, """
        select q.relief_id, q.rep_id, coalesce(r.name, q.rep_id) as rep, coalesce(r.team, '') as team,
               q.from_date, q.to_date, q.share, q.reason, q.created_at, q.created_by
        from quota_relief q left join reps r on r.rep_id = q.rep_id
        where ($r::VARCHAR is null or q.rep_id = $r) and ($n::BIGINT is null or q.relief_id = $n)
        order by q.from_date desc, q.relief_id desc""", {"r": rep_id, "n": relief_id})

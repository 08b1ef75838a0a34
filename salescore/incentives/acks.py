"""Plan acknowledgement (DESIGN.md section 10): a manager publishes a plan version to the reps
(every active rep, or those named); each rep acknowledges it on their own page, time stamped;
the manager sees who has not. Table ``plan_acks``; each step is in the audit log."""
from __future__ import annotations

from typing import Any

import pandas as pd

from salescore import audit, db, sql
from salescore.errors import SalesCoreError
from salescore.incentives.store import load_plan

COLUMNS = ["rep_id", "rep", "team", "published_at", "acknowledged_at", "acknowledged_by"]


def _latest(con: Any, plan_id: str) -> int:
    version = sql.scalar(con, "select max(version) from plans where plan_id = $p", {"p": plan_id})
    if version is None:
        load_plan(con, plan_id)          # the sentence for a plan that does not exist
    return int(version)


def publish(con: Any, plan_id: str, version: int | None = None, rep_ids: list[str] | None = None,
            user: str | None = None) -> int:
    """Publish ``plan_id`` (its latest version unless ``version``) to ``rep_ids`` (default: every
    active rep); a rep it was published to already keeps their row. Returns the reps added."""
    version = version or _latest(con, plan_id)
    load_plan(con, plan_id, version)
    who = user or audit.actor()
    with db.transaction(con) as cur:
        cur.execute("create or replace temp table _pub as select rep_id from reps "
                    "where coalesce(active, true) and ($ids::VARCHAR[] is null or list_contains($ids::VARCHAR[], rep_id))",
                    {"ids": rep_ids})
        added = int(cur.execute("""insert into plan_acks (plan_id, version, rep_id, published_by)
            select $p::VARCHAR, $v::INTEGER, rep_id, $u::VARCHAR from _pub
            where rep_id not in (select rep_id from plan_acks where plan_id = $p and version = $v)""",
                                {"p": plan_id, "v": version, "u": who}).fetchall()[0][0])
        cur.execute("drop table _pub")
        audit.record(cur, "plan_publish", {"plan_id": plan_id, "version": version, "reps": added}, user=who)
    return added


def acknowledge(con: Any, plan_id: str, version: int, rep_id: str, user: str | None = None) -> None:
    """``rep_id`` acknowledges the plan version published to them (once: the first time stays)."""
    rows = sql.rows(con, "select acknowledged_at from plan_acks where plan_id = $p and version = $v "
                    "and rep_id = $r", {"p": plan_id, "v": int(version), "r": rep_id})
    if not rows:
        raise SalesCoreError("This plan was not published to you.", key="acks.error.not_published")
    if rows[0][0] is not None:
        return
    who = user or audit.actor()
    with db.transaction(con) as cur:
        cur.execute("update plan_acks set acknowledged_at = current_timestamp, acknowledged_by = $u "
                    "where plan_id = $p and version = $v and rep_id = $r",
                    {"p": plan_id, "v": int(version), "r": rep_id, "u": who})
        audit.record(cur, "plan_ack", {"plan_id": plan_id, "version": int(version), "rep_id": rep_id},
                     user=who)


def status(con: Any, plan_id: str, version: int | None = None) -> pd.DataFrame:
    """Who the version was published to and when each acknowledged it (COLUMNS; acknowledged_at
    empty while pending), those still pending first, then by name."""
    version = version or _latest(con, plan_id)
    return sql.run(con, """
        select a.rep_id, coalesce(r.name, a.rep_id) as rep, coalesce(r.team, '') as team,
               a.published_at, a.acknowledged_at, a.acknowledged_by
        from plan_acks a left join reps r on r.rep_id = a.rep_id
        where a.plan_id = $p and a.version = $v
        order by a.acknowledged_at is not null, rep""", {"p": plan_id, "v": version})


def pending(con: Any, rep_id: str) -> list[dict[str, Any]]:
    """The plan versions published to ``rep_id`` and not acknowledged yet, newest first:
    plan_id, version, name, published_at."""
    return sql.run(con, """
        select a.plan_id, a.version, coalesce(p.name, a.plan_id) as name, a.published_at
        from plan_acks a left join plans p on p.plan_id = a.plan_id and p.version = a.version
        where a.rep_id = $r and a.acknowledged_at is null
        order by a.published_at desc""", {"r": rep_id}, frame=False)

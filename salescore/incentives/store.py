"""Stored plans (DESIGN.md section 2, table ``plans``): every edit adds a version, history is
never overwritten; each save is recorded in the audit log."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import date

import duckdb
import pandas as pd

from salescore import audit, db, sql
from salescore.incentives.plan import Plan, _fail

Con = duckdb.DuckDBPyConnection


def _plan_id(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:40] or "plan-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]


def save_plan(con: Con, plan: Plan, plan_id: str | None = None,
              effective_from: date | None = None, base_version: int | None = None) -> tuple[str, int]:
    """Store ``plan`` as a new version (history is never overwritten); returns (plan_id, version).

    Without ``plan_id`` the plan of the same name is continued, or a new id made from the name.
    ``base_version``: the version the editor started from; when someone saved a later one in
    between, the save is refused with a sentence (PlanError ``stale``), never overwritten.
    """
    with db.transaction(con) as cur:
        if plan_id is None:
            rows = cur.execute("select plan_id from plans where name = $n order by created_at desc, "
                               "version desc limit 1", {"n": plan.name}).fetchall()
            plan_id = rows[0][0] if rows else _plan_id(plan.name)
        latest = int(cur.execute("select coalesce(max(version), 0) from plans where plan_id = $p",
                                 {"p": plan_id}).fetchall()[0][0])
        if base_version is not None and latest > base_version:
            raise _fail("stale", f"{plan.name} was changed by someone else after you opened it "
                        f"(now version {latest}, you started from {base_version}): reload the plan "
                        "and make your change again.", name=plan.name, latest=latest, base=base_version)
        version = latest + 1
        cur.execute("insert into plans (plan_id, version, name, spec, effective_from) "
                    "values ($p, $v, $n, $s, $e)",
                    {"p": plan_id, "v": version, "n": plan.name,
                     "s": json.dumps(plan.to_dict(), ensure_ascii=False), "e": effective_from})
        audit.record(cur, "plan_edit", {"plan_id": plan_id, "version": int(version),
                                        "name": plan.name, "effective_from": effective_from})
    return plan_id, int(version)


def list_plans(con: Con, all_versions: bool = False) -> pd.DataFrame:
    """Stored plans: plan_id, version, name, effective_from, created_at, versions (count);
    the latest version of each plan unless ``all_versions``. Newest first."""
    frame = sql.run(con, """
    select plan_id, version, name, effective_from, created_at,
           count(*) over (partition by plan_id) as versions,
           version = max(version) over (partition by plan_id) as latest
    from plans
    """)
    if not all_versions:
        frame = frame[frame["latest"]]
    frame = frame.drop(columns="latest").sort_values(["created_at", "plan_id", "version"],
                                                     ascending=[False, True, False])
    return frame.reset_index(drop=True)


def load_plan(con: Con, plan_id: str, version: int | None = None) -> Plan:
    """A stored plan (the latest version unless ``version``); PlanError when there is none."""
    rows = sql.rows(con, "select spec from plans where plan_id = $p and ($v::INTEGER is null "
                    "or version = $v) order by version desc limit 1", {"p": plan_id, "v": version})
    if not rows:
        raise _fail("not_found", f"No saved plan {plan_id!r}" + (f" version {version}" if version else "") + ".",
                    plan_id=plan_id, version=version or "")
    spec = rows[0][0]
    return Plan.from_dict(json.loads(spec) if isinstance(spec, str) else spec)

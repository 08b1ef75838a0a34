"""The audit log (issue 10): who did what and when (imports, undo, plan edits, target saves,
backups, restores), in table ``audit_log``.

``record`` writes inside the caller's transaction cursor, so an event is stored exactly when
the change it describes commits, and vanishes with it on rollback. ``events`` reads the log,
``export_csv`` gives it as CSV with spreadsheet-formula cells escaped. Events a restore
brought in from a backup say so (``restored_from``).
"""
from __future__ import annotations

import contextvars
import getpass
import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from salescore import fmt
from salescore.xlsx import table_bytes

# Actions the code base records; any short lower-case code is accepted, these have labels.
ACTIONS = ("import", "undo", "plan_edit", "target_save", "backup", "restore", "reset",
           "demo_load", "settings", "period_close", "period_reopen",
           "forecast_adjust", "forecast_submit", "plan_publish", "plan_ack")
_ACTION = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
MAX_DETAIL_CHARS = 100_000
#: restored_from: NULL for this database's own events; for events a restore brought in, the
#: backup they came from (salescore.backup.backup_id): a backup cannot pass off its events as
#: this database's own.
COLUMNS = ["event_id", "event_at", "user_name", "action", "detail", "restored_from"]


# Who is acting, for events recorded without an explicit user: the signed-in user in the app
# (set per script run by salescore.ui), the operating-system user on the command line.
_ACTOR: contextvars.ContextVar[str | None] = contextvars.ContextVar("salescore_actor", default=None)


def set_actor(name: str | None) -> None:
    """Name the person acting in this thread/context (the app sets it on every run)."""
    _ACTOR.set(name)


def actor() -> str:
    """The person acting: set_actor's name, else the operating-system user."""
    name = _ACTOR.get()
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database (containers): still record the event
        return "unknown"


def _plain(value: Any) -> Any:
    """JSON fallback for values pandas/DuckDB hand back (dates, Decimals, numpy scalars)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def record(cur: duckdb.DuckDBPyConnection, action: str, detail: dict[str, Any] | None = None,
           user: str | None = None) -> int:
    """Add one event to the audit log through ``cur`` (a cursor inside ``db.transaction``);
    returns its event_id. ``action`` is a short code (``import``, ``plan_edit`` ...);
    ``detail`` any JSON-serialisable dict (dates and Decimals are written as text); ``user``
    defaults to :func:`actor`."""
    if not isinstance(action, str) or not _ACTION.match(action):
        raise ValueError(f"audit action must be a short lower-case code, not {action!r}")
    if detail is not None and not isinstance(detail, dict):
        raise ValueError("audit detail must be a dict")
    text = json.dumps(detail or {}, ensure_ascii=False, default=_plain, sort_keys=True)
    if len(text) > MAX_DETAIL_CHARS:
        text = json.dumps({"truncated": True, "chars": len(text)})
    rows = cur.execute(
        "insert into audit_log (user_name, action, detail) values ($u, $a, $d) "
        "returning event_id", {"u": user or actor(), "a": action, "d": text}).fetchall()
    return int(rows[0][0])


def events(con: duckdb.DuckDBPyConnection, limit: int | None = None,
           action: str | None = None) -> pd.DataFrame:
    """Events, newest first: event_id, event_at, user_name, action, detail (JSON text),
    restored_from (see :data:`COLUMNS`). ``limit`` keeps the newest n; ``action`` keeps one
    kind of event."""
    where = "where action = $a" if action is not None else ""
    tail = "limit $n" if limit is not None else ""
    params: dict[str, Any] = {}
    if action is not None:
        params["a"] = action
    if limit is not None:
        params["n"] = max(int(limit), 0)
    with con.cursor() as cur:
        frame = cur.execute(
            f"select event_id, event_at, user_name, action, cast(detail as varchar) as detail, "
            f"restored_from from audit_log {where} order by event_at desc, event_id desc {tail}",
            params).df()
    return frame[COLUMNS]


def safe_cell(value: Any) -> Any:
    """Formula-looking text gets a leading apostrophe (fmt.safe_cell)."""
    return fmt.safe_cell(value)


def export_csv(con: duckdb.DuckDBPyConnection) -> bytes:
    """The whole log, oldest first, as CSV (UTF-8 with BOM so Excel reads Chinese); columns
    as in :func:`events`, every text cell escaped with :func:`safe_cell` (xlsx.table_bytes)."""
    frame = events(con).iloc[::-1]
    when = ["" if pd.isna(v) else pd.Timestamp(v).isoformat(sep=" ") for v in frame["event_at"]]
    return table_bytes(frame.assign(event_at=when), "csv")

"""The one query runner and the SQL fragments every module shares.

Every ``salescore`` query goes through :func:`run`: it binds only the ``$names`` the text
uses (DuckDB rejects unused parameters, and a shared params dict is the normal case) and
returns a DataFrame or plain rows. Values are always bound, never pasted into the text;
what may be pasted is chosen from fixed whitelists in the calling module.

It also holds the one engine switch (DESIGN.md section 9): :func:`dialect` says whether a
connection is DuckDB or PostgreSQL (salescore/pg.py), and the few fragments the engines spell
differently live here; callers write the portable SQL both engines run.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

#: The bounds an open-ended date range is bound as (``between $start and $end`` stays simple).
MIN_DATE, MAX_DATE = date(1, 1, 1), date(9999, 12, 31)

_PARAM = re.compile(r"\$(\w+)")


def bind(sql: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The subset of ``params`` that ``sql`` names as ``$name``."""
    if not params:
        return {}
    used = set(_PARAM.findall(sql))
    return {k: v for k, v in params.items() if k in used}


def run(con: Any, sql: str, params: Mapping[str, Any] | None = None, *, frame: bool = True,
        prepare: Callable[[Any], None] | None = None) -> Any:
    """Run ``sql`` on a fresh cursor of ``con`` (connections are shared between threads:
    TECH_NOTES §2), binding only the parameters it uses.

    Returns a DataFrame, or with ``frame`` False a list of dicts of plain Python values (no
    pandas needed). ``prepare(cursor)`` runs first on the same cursor (e.g. to register a
    temporary table the query reads).
    """
    with con.cursor() as cur:
        if prepare is not None:
            prepare(cur)
        result = cur.execute(sql, bind(sql, params))
        if frame:
            return result.df()
        names = [d[0] for d in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]


def rows(con: Any, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
    """Run ``sql`` and return its rows as tuples (for one value or a short list)."""
    with con.cursor() as cur:
        return cur.execute(sql, bind(sql, params)).fetchall()


def scalar(con: Any, sql: str, params: Mapping[str, Any] | None = None) -> Any:
    """The first column of the first row (None when there is no row)."""
    found = rows(con, sql, params)
    return found[0][0] if found else None


def dialect(con: Any) -> str:
    """``"postgres"`` or ``"duckdb"``: the one engine switch (DESIGN.md section 9)."""
    return getattr(con, "dialect", "duckdb")


def arg_max(con: Any, arg: str, *keys: str) -> str:
    """SQL for DuckDB's ``arg_max(arg, key)`` (several ``keys``: the tuple ``(k1, k2, ...)``):
    ``arg`` of the row with the largest key, rows whose ``arg`` (or single key) is NULL left
    out; a NULL inside a tuple counts as the largest, as DuckDB compares them. PostgreSQL has
    no arg_max: there it is the first of an ordered array_agg. The expressions come from the
    calling module's own text."""
    if dialect(con) != "postgres":
        return f"arg_max({arg}, {keys[0] if len(keys) == 1 else '(' + ', '.join(keys) + ')'})"
    where = f"{arg} is not null" + (f" and {keys[0]} is not null" if len(keys) == 1 else "")
    order = ", ".join(f"{k} desc nulls first" for k in keys)
    return f"(array_agg({arg} order by {order}) filter (where {where}))[1]"


def insert_frame(cur: Any, table: str, frame: Any) -> None:
    """Append the rows of ``frame`` (a DataFrame or Arrow table whose columns are some of
    ``table``'s, by name) to ``table`` on the transaction cursor ``cur``. ``table`` comes
    from the calling module's own text."""
    if dialect(cur) == "postgres":
        cur.copy_in(table, frame)
        return
    cur.register("_incoming_rows", frame)
    try:
        cur.execute(f"insert into {table} by name select * from _incoming_rows")
    finally:
        cur.unregister("_incoming_rows")


def in_scope(team: str = "r.team", rep: str = "d.rep_id") -> str:
    """The scope filter (DESIGN.md section 1): true when the row's team column ``team`` and
    rep column ``rep`` fall in the scope bound as ``$team`` / ``$rep`` (NULL = no limit).
    Column expressions come from the calling module's own text, never from user input."""
    return (f"($team::VARCHAR is null or {team} = $team) "
            f"and ($rep::VARCHAR is null or {rep} = $rep)")


def in_team(team: str = "r.team") -> str:
    """The team half of :func:`in_scope`, for queries over teams."""
    return f"($team::VARCHAR is null or {team} = $team)"


def date_range(start: date | None, end: date | None) -> dict[str, date]:
    """``$start``/``$end`` for an inclusive range, ``None`` meaning unbounded."""
    return {"start": start or MIN_DATE, "end": end or MAX_DATE}

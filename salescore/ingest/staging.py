"""Where an import's SQL runs (DESIGN.md section 9; docs/dev/postgresql-port.md section 3,
option A). Everything that depends only on the file (ids, coercions, first rows, collapsed
keys) runs in DuckDB; on PostgreSQL that is the private in-memory work DuckDB prepare() uses,
and only the merge into the stored tables runs on the server. On DuckDB both are the
transaction's own cursor, and nothing is copied.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from salescore import sql
from salescore.ingest.values import connect_work


@contextlib.contextmanager
def work_cursor(cur: Any) -> Iterator[Any]:
    """Where the import's own rows are read (``inc_src``, ``inc``): on DuckDB the transaction
    cursor ``cur`` itself; on PostgreSQL a cursor of the private in-memory work DuckDB that
    prepare() uses (docs/dev/postgresql-port.md section 3, option A): every expression over the
    file (ids, coercions, first rows, collapsed keys) runs there, and only the merge runs on
    the server, so both backends get the same ids and values."""
    if sql.dialect(cur) != "postgres":
        yield cur
        return
    work = connect_work()
    try:
        yield work
    finally:
        work.close()


def stage(work: Any, cur: Any, name: str, select: str, params: dict | None = None,
          like: str | None = None) -> None:
    """Temp table ``name`` on the transaction cursor ``cur`` = the rows of ``select`` over
    the import (``work``). On DuckDB one statement; on PostgreSQL the rows are computed in the
    work DuckDB and copied over, into a table typed as table ``like``'s columns of the same
    names (else as the rows' own types)."""
    if work is cur:
        cur.execute(f"create or replace temp table {name} as {select}", params or {})
        return
    rows = work.sql(select, params=params or None).to_arrow_table()
    if like is None:
        cur.register(name, rows)
        return
    cur.execute(f"create or replace temp table {name} as select "
                f"{', '.join(rows.column_names)} from {like} limit 0")
    cur.copy_in(name, rows)

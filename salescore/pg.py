"""PostgreSQL as a second backend (DESIGN.md section 9): a pooled connection that behaves
like the DuckDB one the rest of salescore talks to.

Only :mod:`salescore.db` opens it. The calling code keeps its habits:
- ``con.cursor()`` checks one pooled connection out until the cursor closes, so a
  transaction and the temporary tables it makes belong to that cursor alone, as a DuckDB
  cursor's do; the pool drops those tables (``DISCARD TEMP``) when it takes the connection back;
- ``$name`` parameters are translated to psycopg's ``%(name)s`` (quoted text left alone);
- ``fetchall()`` after an insert/update/delete gives ``[(rows,)]``, ``df()`` gives the
  DataFrame DuckDB would (the rows pass through DuckDB's own conversion), and
  ``register(name, frame)`` copies a DataFrame or Arrow table into a temporary table;
- statements DuckDB has and PostgreSQL spells differently are rewritten in one place
  (:func:`translate`), the rest of the SQL is written to run on both.

The server-side helpers DuckDB has built in (``any_value`` before PostgreSQL 16, ``round`` of
a double, ``strftime``) are created by ``compat.sql`` at migrate time.
"""
from __future__ import annotations

import functools
import io
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from salescore.errors import SalesCoreError

#: When a list (bench/backends.py sets one), every statement appends (ms, sql, params) to it.
TRACE: list[tuple[float, str, Any]] | None = None

MIN_SERVER = 130000     # PostgreSQL 13: the oldest release still supported when this was written

# one private in-memory DuckDB turns fetched rows into the DataFrame DuckDB's .df() makes
_CONVERT = duckdb.connect()
_CONVERT_LOCK = threading.Lock()


def is_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


# -- SQL text ---------------------------------------------------------------------------------

_TOKENS = re.compile(r"""--[^\n]*|\$\$.*?\$\$|'(?:[^']|'')*'|"[^"]*"|\$(\w+)|(%)|(\?)""", re.S)
_REPLACE_TEMP = re.compile(
    r"^\s*create\s+or\s+replace\s+temp(?:orary)?\s+(table|view)\s+(\w+)", re.I)


@functools.lru_cache(maxsize=4096)
def translate(sql: str, positional: bool = False) -> tuple[str, bool]:
    """``sql`` as psycopg takes it, and whether it names parameters.

    ``$name`` becomes ``%(name)s`` and ``%`` becomes ``%%`` (psycopg reads every ``%``);
    with ``positional`` DuckDB's ``?`` becomes ``%s``. Text in quotes is left alone.
    ``create or replace temp table|view x`` becomes a drop and a create.
    """
    named = False

    def swap(match: re.Match[str]) -> str:
        nonlocal named
        if match.group(1):
            named = True
            return f"%({match.group(1)})s"
        if match.group(2):
            return "%%"
        if match.group(3):
            if positional:
                named = True
                return "%s"
            return "?"
        return match.group(0).replace("%", "%%")

    head = _REPLACE_TEMP.match(sql)
    if head:
        kind, name = head.group(1).lower(), head.group(2)
        sql = (f"drop {kind} if exists {name}; "
               f"create temp {kind} {name}" + sql[head.end():])
    text = _TOKENS.sub(swap, sql)
    if not named and not positional:
        return sql, False   # no parameters: sent as is (psycopg reads no %), several statements allowed
    return text, True


# -- results ----------------------------------------------------------------------------------

# type oids (pg_type) and the Arrow type DuckDB would have given the column
_ARROW = {16: pa.bool_(), 20: pa.int64(), 21: pa.int32(), 23: pa.int32(), 26: pa.int64(),
          700: pa.float64(), 701: pa.float64(), 1700: pa.float64(), 25: pa.string(),
          1043: pa.string(), 1042: pa.string(), 19: pa.string(), 114: pa.string(),
          3802: pa.string(), 1082: pa.date32(), 1114: pa.timestamp("us"),
          1184: pa.timestamp("us", tz="UTC"), 17: pa.binary(), 1083: pa.time64("us")}


def _plain(value: Any) -> Any:
    """A numeric PostgreSQL computed without a declared scale as DuckDB returns it: an integer
    sum as ``int``; a declared DECIMAL(18,2) stays a Decimal."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent >= 0:
            return int(value)
        if isinstance(exponent, int) and exponent < -4:
            return float(value)
    return value


class _Result:
    """The rows of one statement, fetched at once (results here are what a screen shows)."""

    def __init__(self, description: Any, rows: list[tuple], rowcount: int, status: str | None):
        self.description = description
        self._rows = rows
        self.rowcount = rowcount
        self.status = status or ""

    def fetchall(self) -> list[tuple]:
        if self.description is None:
            if self.status.split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE", "MERGE"):
                return [(self.rowcount,)]
            return []
        numeric = [i for i, d in enumerate(self.description) if d.type_code == 1700]
        rows, self._rows = self._rows, []
        if not numeric:
            return rows
        out = []
        for row in rows:
            row = list(row)
            for i in numeric:
                row[i] = _plain(row[i])
            out.append(tuple(row))
        return out

    def fetchone(self) -> tuple | None:
        found = self.fetchall()
        return found[0] if found else None

    def to_arrow_table(self) -> pa.Table:
        names = [d.name for d in self.description]
        columns = list(zip(*self._rows)) if self._rows else [() for _ in names]
        self._rows = []
        arrays = []
        for d, values in zip(self.description, columns):
            kind = _ARROW.get(d.type_code)
            if d.type_code == 1700:
                values = [None if v is None else float(v) for v in values]
            try:
                arrays.append(pa.array(values, type=kind) if kind is not None
                              else pa.array(list(values)))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                arrays.append(pa.array([None if v is None else str(v) for v in values],
                                       type=pa.string()))
        return pa.Table.from_arrays(arrays, names=_unique(names))

    def df(self) -> Any:
        table = self.to_arrow_table()
        with _CONVERT_LOCK, _CONVERT.cursor() as cur:
            return cur.from_arrow(table).df()

    fetchdf = df


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name}_{count}")
    return out


# -- cursors and the connection ---------------------------------------------------------------

class PgCursor:
    """One pooled connection, checked out for as long as the cursor is open."""

    dialect = "postgres"

    def __init__(self, owner: PgConnection):
        self._owner = owner
        self._con = owner.pool.getconn()
        self._result: _Result | None = None

    # DuckDB's cursor API, as far as salescore uses it
    def execute(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> PgCursor:
        positional = isinstance(params, Sequence) and not isinstance(params, str) and bool(params)
        text, named = translate(sql, positional)
        started = time.perf_counter() if TRACE is not None else 0.0
        with self._con.cursor() as cur:
            if named:
                if _REPLACE_TEMP.match(sql):   # psycopg binds parameters to one statement only
                    drop, text = text.split("; ", 1)
                    cur.execute(drop)
                cur.execute(text, params if positional else dict(params or {}))
            else:
                cur.execute(text)
            while cur.nextset():   # several statements: the last one's result counts
                pass
            rows = cur.fetchall() if cur.description is not None else []
            self._result = _Result(cur.description, rows, cur.rowcount, cur.statusmessage)
        if TRACE is not None:
            TRACE.append(((time.perf_counter() - started) * 1000, sql, params))
        return self

    def executemany(self, sql: str, seq: Iterable[Any]) -> PgCursor:
        seq = list(seq)
        if not seq:
            return self
        positional = not isinstance(seq[0], Mapping)
        text, _ = translate(sql, positional)
        with self._con.cursor() as cur:
            cur.executemany(text, seq)
        self._result = _Result(None, [], len(seq), "INSERT")
        return self

    def _last(self) -> _Result:
        if self._result is None:
            raise SalesCoreError("no statement has run on this cursor", key="error.internal")
        return self._result

    @property
    def description(self) -> Any:
        return self._last().description

    @property
    def rowcount(self) -> int:
        return self._last().rowcount

    def fetchall(self) -> list[tuple]:
        return self._last().fetchall()

    def fetchone(self) -> tuple | None:
        return self._last().fetchone()

    def df(self) -> Any:
        return self._last().df()

    fetchdf = df

    def to_arrow_table(self) -> pa.Table:
        return self._last().to_arrow_table()

    def sql(self, query: str, params: Mapping[str, Any] | None = None) -> _Result:
        return self.execute(query, params)._last()

    def register(self, name: str, data: Any) -> PgCursor:
        """A temporary table ``name`` holding ``data`` (a DataFrame or Arrow table) for as
        long as this cursor is open: DuckDB's ``register``, by COPY."""
        copy_into(self._con, name, data, temp=True)
        return self

    def copy_in(self, table: str, data: Any) -> int:
        """Append ``data`` (DataFrame or Arrow, columns named as the table's) to ``table``."""
        return copy_into(self._con, table, data, create=False)

    def unregister(self, name: str) -> PgCursor:
        with self._con.cursor() as cur:
            cur.execute(f'drop table if exists "{name}"')
        return self

    def cursor(self) -> PgCursor:
        return PgCursor(self._owner)

    def close(self) -> None:
        con, self._con = self._con, None
        if con is not None:
            self._owner.pool.putconn(con)

    def __enter__(self) -> PgCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:   # interpreter shutdown: the pool may be gone
            pass


class PgConnection:
    """The shared handle for one PostgreSQL database: a small pool (psycopg_pool)."""

    dialect = "postgres"

    def __init__(self, url: str, max_size: int = 8):
        from psycopg_pool import ConnectionPool
        self.url = url
        self.pool = ConnectionPool(url, min_size=1, max_size=max_size, open=False,
                                   kwargs={"autocommit": True, "options": _OPTIONS},
                                   configure=_configure,
                                   reset=_reset, timeout=30, name="salescore")
        self.pool.open(wait=True, timeout=10)

    def cursor(self) -> PgCursor:
        return PgCursor(self)

    def execute(self, sql: str, params: Any = None) -> _Result:
        with self.cursor() as cur:
            return cur.execute(sql, params)._last()

    def sql(self, query: str, params: Any = None) -> _Result:
        return self.execute(query, params)

    def close(self) -> None:
        self.pool.close()


def _configure(con: Any) -> None:
    from psycopg.types.string import TextLoader
    # json comes back as text, as DuckDB gives it (callers json.loads it)
    for name in ("json", "jsonb"):
        con.adapters.register_loader(name, TextLoader)


# session settings every pooled connection starts with (RESET ALL returns to them): dates
# and times as DuckDB shows them, UTC, no statement hanging a page for ever, and no JIT: at 1M
# deals JIT compiling took 10.4 s of the metrics query's 13.3 s (bench/RESULTS.md)
_OPTIONS = ("-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601 -c statement_timeout=600000 "
            "-c jit=off")


def _reset(con: Any) -> None:
    """Back in the pool: no temp table, search path or setting of the last cursor stays."""
    con.execute("reset all")
    con.execute("discard temp")


def open_connection(url: str) -> PgConnection:
    """Connect to ``url``; every failure a user can make is one sentence (SalesCoreError)."""
    import psycopg
    where = _safe(url)
    try:
        with psycopg.connect(url, connect_timeout=5) as probe:
            version = probe.info.server_version
    except psycopg.OperationalError as exc:
        key = _why(str(exc))
        raise SalesCoreError(_SENTENCES[key].format(url=where), key=f"error.{key}",
                             url=where) from None
    except psycopg.ProgrammingError:   # a malformed URL
        raise SalesCoreError(_SENTENCES["pg_url"].format(url=where), key="error.pg_url",
                             url=where) from None
    if version < MIN_SERVER:
        shown = f"{version // 10000}"
        raise SalesCoreError(_SENTENCES["pg_version"].format(url=where, version=shown),
                             key="error.pg_version", url=where, version=shown)
    return PgConnection(url)


# the English of the error.pg_* sentences (the catalogs hold both languages)
_SENTENCES = {
    "pg_unreachable": "Cannot reach a PostgreSQL server at {url}: is it running and is the "
                      "address right?",
    "pg_password": "PostgreSQL at {url} refused the user name or password.",
    "pg_no_database": "The database named in {url} does not exist on that server: create it first.",
    "pg_no_user": "The user named in {url} does not exist on that server.",
    "pg_version": "The PostgreSQL server at {url} is version {version}; salescore needs 13 or newer.",
    "pg_url": "{url} is not a valid PostgreSQL address: write postgresql://user@host:port/dbname.",
}


def _safe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _why(message: str) -> str:
    low = message.lower()
    if "password authentication failed" in low or "no password supplied" in low:
        return "pg_password"
    if "database" in low and "does not exist" in low:
        return "pg_no_database"
    if "role" in low and "does not exist" in low:
        return "pg_no_user"
    if "invalid" in low and ("uri" in low or "connection option" in low or "dsn" in low):
        return "pg_url"
    return "pg_unreachable"


# -- moving rows in ---------------------------------------------------------------------------

_PG_TYPE = [(pa.types.is_boolean, "boolean"), (pa.types.is_integer, "bigint"),
            (pa.types.is_floating, "double precision"), (pa.types.is_decimal, "numeric"),
            (pa.types.is_date, "date"), (pa.types.is_timestamp, "timestamp"),
            (pa.types.is_string, "varchar"), (pa.types.is_large_string, "varchar"),
            (pa.types.is_binary, "bytea"), (pa.types.is_null, "varchar")]


def _arrow(data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatchReader):
        return data.read_all()
    return pa.Table.from_pandas(data, preserve_index=False)


def _pg_type(kind: pa.DataType) -> str:
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _pg_type(kind.value_type) + "[]"
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        return "timestamptz"
    for test, name in _PG_TYPE:
        if test(kind):
            return name
    return "varchar"


def copy_into(con: Any, name: str, data: Any, *, temp: bool = False,
              create: bool = True) -> int:
    """Copy ``data`` (DataFrame or Arrow) into table ``name`` on the psycopg connection
    ``con`` (creating it from the Arrow schema when ``create``); returns the rows copied.
    Names come from salescore's own code, never from a file."""
    table = _arrow(data)
    table = table.rename_columns(_unique([str(c) for c in table.column_names]))
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    with con.cursor() as cur:
        if create:
            spec = ", ".join(f'"{f.name}" {_pg_type(f.type)}' for f in table.schema)
            cur.execute(f'drop table if exists "{name}"')
            cur.execute(f'create {"temp " if temp else ""}table "{name}" ({spec})')
        if table.num_rows == 0:
            return 0
        nested = any(pa.types.is_list(f.type) or pa.types.is_large_list(f.type)
                     or pa.types.is_struct(f.type) or pa.types.is_binary(f.type)
                     or pa.types.is_large_binary(f.type) for f in table.schema)
        with cur.copy(f'copy "{name}" ({cols}) from stdin'
                      + ("" if nested else " (format csv)")) as copy:
            if nested:
                for row in table.to_pylist():
                    copy.write_row(list(row.values()))
            else:
                for batch in table.to_batches(max_chunksize=50_000):
                    sink = io.BytesIO()
                    pacsv.write_csv(batch, sink, pacsv.WriteOptions(
                        include_header=False, quoting_style="needed"))
                    copy.write(sink.getvalue())
    return table.num_rows


def copy_tables(source: Any, cur: PgCursor, tables: Iterable[str]) -> dict[str, int]:
    """Replace each of ``tables`` on the PostgreSQL cursor ``cur`` (inside its transaction)
    by the rows of the same table in the DuckDB connection ``source``; returns rows per
    table. Table names come from salescore's own lists."""
    counts = {}
    for table in tables:
        with source.cursor() as src:
            data = src.sql(f"select * from {table}").to_arrow_table()
        cur.execute(f"delete from {table}")
        counts[table] = cur.copy_in(table, data)
    return counts

"""Open, create and migrate the salescore database; the only module that connects to it: a
DuckDB file (the default), or a PostgreSQL server named by a ``postgresql://`` URL (through
salescore/pg.py, DESIGN.md section 9).

One connection per process (the UI caches it), a cursor per call, and one process-wide write
lock: DuckDB 2 refuses overlapping calls on a shared connection and conflicts on concurrent
upserts (TECH_NOTES.md section 2).
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from salescore import files, pg, sql
from salescore.errors import DatabaseBusy, SalesCoreError, SchemaVersionError

SCHEMA_VERSION = 9
DEFAULT_DB = Path("data") / "salescore.duckdb"


def _rebuild(table: str) -> Callable[[duckdb.DuckDBPyConnection], None]:
    """A migration step re-creating ``table`` as schema.sql defines it now, rows kept (DuckDB
    cannot drop a primary key in place). Later migrations add their columns IF NOT EXISTS."""
    def step(cur: duckdb.DuckDBPyConnection) -> None:
        head = f"CREATE TABLE IF NOT EXISTS {table} ("
        ddl = next(s for s in _statements(_schema_sql()) if s.startswith(head))
        cur.execute(f"CREATE TABLE {table}_new (" + ddl[len(head):])  # names from this module
        # by name: columns later migrations add are in the DDL already and stay NULL here
        cur.execute(f"insert into {table}_new by name select * from {table}")
        cur.execute(f"drop table {table}")
        cur.execute(f"alter table {table}_new rename to {table}")
    return step


# Numbered migrations from version N-1 to N (SQL text or a function of a cursor). A new file
# gets schema.sql, which is always the newest version, and no migration.
MIGRATIONS: dict[int, str | Callable[[duckdb.DuckDBPyConnection], None]] = {
    2: _rebuild("deals"),   # deals without its primary-key index (issue "Import" speed)
    3: """
        ALTER TABLE deals ADD COLUMN IF NOT EXISTS order_id VARCHAR;
        ALTER TABLE deals ADD COLUMN IF NOT EXISTS currency VARCHAR;
        ALTER TABLE deals ADD COLUMN IF NOT EXISTS forecast_category VARCHAR;
        ALTER TABLE deals ADD COLUMN IF NOT EXISTS reached_stage VARCHAR;
        ALTER TABLE reps ADD COLUMN IF NOT EXISTS leave_date DATE;
        CREATE TABLE IF NOT EXISTS deal_history (
            deal_id VARCHAR NOT NULL, seen_at DATE NOT NULL, batch_id BIGINT, stage VARCHAR,
            status VARCHAR, amount DECIMAL(18,2), expected_close_date DATE, close_date DATE,
            rep_id VARCHAR, forecast_category VARCHAR);
        CREATE OR REPLACE VIEW data_dates AS
            SELECT least(min(created_date), min(close_date)) AS first_date,
                   greatest(max(created_date), max(close_date)) AS last_date
            FROM deals;
    """,   # orders, currencies, forecast categories, reached stage, leavers, deal history
    4: """
        ALTER TABLE users ADD COLUMN IF NOT EXISTS email VARCHAR;
        ALTER TABLE users ADD COLUMN IF NOT EXISTS sso BOOLEAN DEFAULT false;
        ALTER TABLE users ADD COLUMN IF NOT EXISTS session_epoch INTEGER DEFAULT 0;
        ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS restored_from VARCHAR;
    """,   # single sign-on by verified e-mail, sessions ended by a password change, restored audit rows
    5: """
        CREATE TABLE IF NOT EXISTS rep_photos (
            rep_id VARCHAR PRIMARY KEY, image BLOB NOT NULL, mime VARCHAR NOT NULL,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp);
    """,   # rep photos for the star board (salescore/photos.py)
    6: """
        ALTER TABLE imports ADD COLUMN IF NOT EXISTS as_of DATE;
    """,   # the export's date of an import (DESIGN.md section 8: deal_history.seen_at)
    7: """
        CREATE TABLE IF NOT EXISTS statements (
            period VARCHAR NOT NULL, plan_id VARCHAR NOT NULL, version INTEGER NOT NULL,
            rep_id VARCHAR NOT NULL, figures JSON NOT NULL, lines JSON NOT NULL,
            closed_at TIMESTAMP NOT NULL DEFAULT current_timestamp, closed_by VARCHAR,
            PRIMARY KEY (period, plan_id, rep_id));
        CREATE TABLE IF NOT EXISTS forecast_submissions (
            submission_id BIGINT NOT NULL, period VARCHAR NOT NULL, as_of DATE NOT NULL,
            submitted_at TIMESTAMP NOT NULL DEFAULT current_timestamp, submitted_by VARCHAR,
            submission_note VARCHAR, level VARCHAR NOT NULL, scope_id VARCHAR NOT NULL,
            name VARCHAR, team VARCHAR, won DOUBLE, "commit" DOUBLE, best_case DOUBLE,
            pipeline DOUBLE, omitted DOUBLE, commit_call DOUBLE, best_case_call DOUBLE,
            adjusted BOOLEAN, note VARCHAR,
            PRIMARY KEY (submission_id, level, scope_id));
        CREATE TABLE IF NOT EXISTS deal_credits (
            deal_id VARCHAR NOT NULL, rep_id VARCHAR NOT NULL, share DOUBLE NOT NULL,
            kind VARCHAR NOT NULL DEFAULT 'revenue', batch_id BIGINT,
            PRIMARY KEY (deal_id, rep_id, kind));
        CREATE TABLE IF NOT EXISTS plan_acks (
            plan_id VARCHAR NOT NULL, version INTEGER NOT NULL, rep_id VARCHAR NOT NULL,
            published_at TIMESTAMP NOT NULL DEFAULT current_timestamp, published_by VARCHAR,
            acknowledged_at TIMESTAMP, acknowledged_by VARCHAR,
            PRIMARY KEY (plan_id, version, rep_id));
    """,   # closed pay periods, forecast submissions (section 8), credit splits, plan acknowledgements (section 10)
    8: """
        CREATE TABLE IF NOT EXISTS disputes (
            dispute_id BIGINT PRIMARY KEY, period VARCHAR NOT NULL, plan_id VARCHAR NOT NULL,
            rep_id VARCHAR NOT NULL, component VARCHAR NOT NULL, deal_id VARCHAR,
            line_amount DOUBLE NOT NULL, claimed_amount DOUBLE NOT NULL, reason VARCHAR NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'open', amount DOUBLE, paid_in VARCHAR, reply VARCHAR,
            raised_at TIMESTAMP NOT NULL DEFAULT current_timestamp, raised_by VARCHAR,
            resolved_at TIMESTAMP, resolved_by VARCHAR);
        CREATE TABLE IF NOT EXISTS fx_rates (
            currency VARCHAR NOT NULL, month VARCHAR NOT NULL, rate_to_reporting DOUBLE NOT NULL,
            batch_id BIGINT, PRIMARY KEY (currency, month));
        ALTER TABLE deals ADD COLUMN IF NOT EXISTS amount_local DECIMAL(18,2);
        ALTER TABLE deal_history ADD COLUMN IF NOT EXISTS amount_local DECIMAL(18,2);
        UPDATE deals SET amount_local = amount WHERE amount_local IS NULL AND amount IS NOT NULL;
        UPDATE deal_history SET amount_local = amount WHERE amount_local IS NULL AND amount IS NOT NULL;
        CREATE TABLE IF NOT EXISTS quota_relief (
            relief_id BIGINT PRIMARY KEY, rep_id VARCHAR NOT NULL, from_date DATE NOT NULL,
            to_date DATE NOT NULL, share DOUBLE NOT NULL, reason VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR);
    """,   # disputes, exchange rates, amounts in their own currency, quota relief (section 10)
    9: """
        CREATE TABLE IF NOT EXISTS plan_assignments (
            assignment_id BIGINT PRIMARY KEY, rep_id VARCHAR NOT NULL, plan_id VARCHAR NOT NULL,
            from_date DATE NOT NULL, to_date DATE,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR);
        CREATE TABLE IF NOT EXISTS reps_history (
            move_id BIGINT PRIMARY KEY, rep_id VARCHAR NOT NULL, team VARCHAR, manager VARCHAR,
            from_date DATE, to_date DATE,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR);
        ALTER TABLE payments ADD COLUMN IF NOT EXISTS amount_local DECIMAL(18,2);
        UPDATE payments SET amount_local = amount WHERE amount_local IS NULL;
    """,   # effective-dated plan assignments and team moves (section 10), payments in their currency
}

# Tables holding imported business data, in dependency order (parents first).
DATA_TABLES = ("reps", "customers", "products", "deals", "deal_history", "deal_credits", "activities",
               "satisfaction", "trainings", "payments", "targets", "fx_rates")

WRITE_LOCK = threading.RLock()
_PG_WRITE_LOCK = 5_410_317   # the advisory lock every salescore write takes on PostgreSQL


def default_path() -> str:
    """The database: $SALESCORE_DB (a file, or a ``postgresql://`` URL), else
    data/salescore.duckdb."""
    return os.environ.get("SALESCORE_DB") or str(DEFAULT_DB)


def is_url(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL server rather than a DuckDB file."""
    return pg.is_url(str(target)) if target is not None else False


def exists(target: str | os.PathLike[str]) -> bool:
    """Whether the database holds salescore data already (a file exists; on a server, the
    schema has been created)."""
    if not is_url(target):
        return Path(target).exists()
    con = pg.open_connection(str(target))
    try:
        return bool(schema_version(con))
    finally:
        con.close()


def connect(path: str | os.PathLike[str] | None = None) -> Any:
    """Open (creating if needed) the database at ``path`` (a DuckDB file, or a PostgreSQL
    URL) and bring its schema up to date.

    Raises :class:`DatabaseBusy` when another process holds the file, SalesCoreError with one
    sentence when a server cannot be reached or refuses.
    """
    target = str(path) if path is not None else default_path()
    if is_url(target):
        return _migrated(pg.open_connection(target))
    new_file = target != ":memory:" and not Path(target).exists()
    if target != ":memory:":
        files.private_dir(Path(target).parent)
    try:
        con = duckdb.connect(target)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusy(
                "The database is open in another salescore window: close it or use --db.",
                path=target) from None
        raise SalesCoreError(f"Cannot open the database file {target}: {exc}",
                             key="error.db_open", path=target) from None
    if new_file and Path(target).exists():
        files.make_private(target)   # salaries and commissions: the owner's only (0600)
    return _migrated(con)


def _migrated(con: Any) -> Any:
    """``con`` with its schema brought up to date (closed again when that fails)."""
    try:
        migrate(con)
    except Exception:
        con.close()
        raise
    return con


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The version recorded in the file, 0 for a new file."""
    exists = sql.scalar(
        con, "select count(*) from information_schema.tables "
        "where table_name = 'schema_version' and table_schema = current_schema()")
    if not exists:
        return 0
    return int(sql.scalar(con, "select max(version) from schema_version") or 0)


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply schema.sql and numbered migrations in one transaction; returns the version."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"This database was written by a newer salescore (schema {current}, this one "
            f"knows {SCHEMA_VERSION}): update salescore or use another --db.",
            found=current, known=SCHEMA_VERSION)
    postgres = sql.dialect(con) == "postgres"
    if current == SCHEMA_VERSION and (not postgres or _compat_current(con)):
        return current
    with transaction(con) as cur:
        if postgres:   # the transaction holds the write lock: another process may have migrated
            current = int(cur.execute(
                "select count(*) from information_schema.tables "
                "where table_name = 'schema_version' and table_schema = current_schema()"
            ).fetchall()[0][0]) and int(cur.execute(
                "select coalesce(max(version), 0) from schema_version").fetchall()[0][0])
            if current == SCHEMA_VERSION:
                if not _compat_current(cur):   # a newer salescore's compat.sql
                    _apply_compat(cur)
                return current
        cur.execute("create table if not exists schema_version "
                    "(version integer not null, applied_at timestamp default current_timestamp)")
        if current == 0:
            for statement in _statements(_schema_sql()):
                cur.execute(statement)
            cur.execute("insert into schema_version (version) values ($v)",
                        {"v": SCHEMA_VERSION})
            current = SCHEMA_VERSION
        for version in range(current + 1, SCHEMA_VERSION + 1):
            step = MIGRATIONS[version]
            if callable(step):
                step(cur)
            else:
                for statement in _statements(step):
                    cur.execute(statement)
            cur.execute("insert into schema_version (version) values ($v)", {"v": version})
        if postgres:   # DuckDB's built-ins salescore uses, and views over the tables
            _apply_compat(cur)
    return SCHEMA_VERSION


def _compat_digest() -> str:
    import hashlib

    return hashlib.sha256(_compat_sql().encode("utf-8")).hexdigest()


def _compat_current(con: Any) -> bool:
    """Whether the PostgreSQL database holds this salescore's compat.sql (a digest in
    ``_sc_compat``): every release may add a function, and it is applied again when not."""
    found = sql.rows(con, "select digest from _sc_compat") if sql.scalar(
        con, "select count(*) from information_schema.tables "
             "where table_name = '_sc_compat' and table_schema = current_schema()") else []
    return bool(found) and found[0][0] == _compat_digest()


def _apply_compat(cur: Any) -> None:
    cur.execute(_compat_sql())
    cur.execute("create table if not exists _sc_compat (digest varchar not null)")
    cur.execute("delete from _sc_compat")
    cur.execute("insert into _sc_compat values ($d)", {"d": _compat_digest()})


def _schema_sql() -> str:
    return resources.files("salescore").joinpath("schema.sql").read_text(encoding="utf-8")


def _compat_sql() -> str:
    return resources.files("salescore").joinpath("compat.sql").read_text(encoding="utf-8")


def compat_statement(head: str) -> str:
    """The statement of compat.sql starting with ``head`` (PostgreSQL's views over the
    tables, made again in each role's schema by salescore.access)."""
    text = _compat_sql()
    start = text.index(head)
    return text[start:text.index(";", start)]


def _statements(sql: str) -> list[str]:
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def next_batch(cur: Any) -> int:
    """A new import batch id on the transaction cursor ``cur``. A DuckDB file stores its
    sequence at commit (a refused import's number is free again for the next process); a
    PostgreSQL sequence never gives a number back, so there the batch after the last one
    recorded is taken (writers hold the advisory lock) and the sequence follows it."""
    if sql.dialect(cur) == "postgres":
        return int(cur.execute(
            "select setval('seq_batch', coalesce((select max(batch_id) from imports), 0) + 1)"
        ).fetchall()[0][0])
    return int(cur.execute("select nextval('seq_batch')").fetchall()[0][0])


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor inside BEGIN ... COMMIT under the process-wide write lock; rolls back on error.

    Every write bumps the ``data_version`` setting, which keys the UI's query caches.
    """
    with WRITE_LOCK, con.cursor() as cur:
        cur.execute("begin transaction")
        if sql.dialect(con) == "postgres":   # one writer at a time across processes, as in a file
            cur.execute(f"select pg_advisory_xact_lock({_PG_WRITE_LOCK})")
        try:
            yield cur
            if _has_settings(cur):
                cur.execute(
                    "insert into settings (key, value) values ('data_version', '1') "
                    "on conflict (key) do update set value = "
                    "to_json(cast(cast(settings.value as varchar) as bigint) + 1)")
            cur.execute("commit")
        except BaseException:
            cur.execute("rollback")
            raise
        finally:
            global _COMMITS
            _COMMITS += 1


def _has_settings(cur: duckdb.DuckDBPyConnection) -> bool:
    return bool(cur.execute(
        "select count(*) from information_schema.tables "
        "where table_name = 'settings' and table_schema = current_schema()"
    ).fetchall()[0][0])


# Transactions this process has ended (committed or not), and per database file the data
# version read after the last of them. While this process holds the file no other process can
# write to it (DuckDB locks the file), so the version can only change through transaction().
_COMMITS = 0
_VERSIONS: dict[str, tuple[int, int]] = {}


def data_version(con: duckdb.DuckDBPyConnection, path: str | None = None) -> int:
    """A number that changes whenever any write commits: the cache key for query results.

    With ``path`` (the file ``con`` opened), the number is read from the database once and
    then only after this process ends a transaction: the pages ask for it before every
    cached query.
    """
    if path is not None and not is_url(path):   # a server has other writers: always read
        seen = _VERSIONS.get(path)
        if seen is not None and seen[0] == _COMMITS:
            return seen[1]
        commits = _COMMITS
        version = int(get_setting(con, "data_version", 0))
        _VERSIONS[path] = (commits, version)
        return version
    return int(get_setting(con, "data_version", 0))


def get_setting(con: duckdb.DuckDBPyConnection, key: str, default: Any = None) -> Any:
    """The JSON value stored under ``key`` in settings, or ``default``."""
    rows = sql.rows(con, "select value from settings where key = $k", {"k": key})
    if not rows or rows[0][0] is None:
        return default
    return json.loads(rows[0][0])


def set_setting(con: duckdb.DuckDBPyConnection, key: str, value: Any) -> None:
    """Store ``value`` (any JSON-serialisable object) under ``key``."""
    with transaction(con) as cur:
        cur.execute("insert into settings (key, value) values ($k, $v) "
                    "on conflict (key) do update set value = excluded.value",
                    {"k": key, "v": json.dumps(value, ensure_ascii=False)})


def reporting_currency(con: duckdb.DuckDBPyConnection) -> str | None:
    """The currency figures are reported in (ISO code): the ``reporting_currency`` setting,
    else the currency of most deals, else None (amounts then show without a symbol)."""
    chosen = get_setting(con, "reporting_currency")
    if chosen:
        return str(chosen)
    return sql.scalar(con, "select currency from deals where currency is not null "
                           "group by currency order by count(*) desc, currency limit 1")


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per data table, plus plans/actions/imports, in DATA_TABLES order."""
    # table names come from the fixed tuple above, never from user input
    return {table: int(sql.scalar(con, f"select count(*) from {table}"))
            for table in (*DATA_TABLES, "plans", "actions", "imports")}


def reset(con: duckdb.DuckDBPyConnection) -> None:
    """Empty every business table (keeps users, audit log and the schema)."""
    with transaction(con) as cur:
        for table in (*reversed(DATA_TABLES), "plans", "swot_notes", "actions", "imports", "rep_photos",
                      "quota_relief", "plan_assignments", "reps_history"):
            cur.execute(f"delete from {table}")
        cur.execute("delete from settings where key <> 'data_version'")


def last_import(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The most recent import batch still loaded: file_name, kind, rows_loaded, loaded_at."""
    frame = sql.run(
        con, "select file_name, kind, rows_loaded, loaded_at from imports where status = 'loaded' "
        "order by batch_id desc limit 1")
    return None if frame.empty else frame.iloc[0].to_dict()

"""The views a restricted role reads (DESIGN.md section 9, salescore.access): which rows of
each table a manager, rep or viewer may see, and the catalog (DuckDB) or schema (PostgreSQL)
of views built from those rules once per role and database. Every rule is fixed text; the
user's reps are a TEMP table of each cursor, filled with bound parameters by
salescore.access.RestrictedConnection."""
from __future__ import annotations

import hashlib
import threading
from typing import Any

import duckdb

from salescore import db
from salescore import sql as sqlkit

_R = "(select rep_id from temp.main._scope_reps)"   # the querying cursor's own TEMP table
_TEAM = f"(select team from {{c}}.main.reps where rep_id in {_R})"
_ALL = "true"
_NONE = "false"

# table -> row predicate, per restricted role. {c} is the quoted file catalog. Fixed text only.
_TEAM_ROWS: dict[str, str] = {
    "reps": f"rep_id in {_R}",
    "deals": f"rep_id in {_R}",
    "deal_history": f"deal_id in (select deal_id from {{c}}.main.deals where rep_id in {_R})",
    "deal_credits": f"rep_id in {_R} or deal_id in (select deal_id from {{c}}.main.deals where rep_id in {_R})",
    "activities": f"rep_id in {_R}",
    "trainings": f"rep_id in {_R}",
    "payments": f"rep_id in {_R} or (rep_id is null and deal_id in "
                f"(select deal_id from {{c}}.main.deals where rep_id in {_R}))",
    "customers": f"customer_id in (select customer_id from {{c}}.main.deals where rep_id in {_R}) "
                 f"or customer_id in (select customer_id from {{c}}.main.activities where rep_id in {_R})",
    "satisfaction": f"rep_id in {_R} or (rep_id is null and customer_id in "
                    f"(select customer_id from {{c}}.main.deals where rep_id in {_R}))",
    "products": _ALL,
    "fx_rates": _ALL,                         # exchange rates: nobody's secret
    # who is on which plan (section 10): the engine needs all of a plan's assignments to know
    # that a plan pays only its assigned reps (no pay in them)
    "plan_assignments": _ALL,
    "reps_history": f"rep_id in {_R}",       # their reps' team moves
    "settings": _ALL,
    "schema_version": _ALL,
}
RULES: dict[str, dict[str, str]] = {
    "manager": {
        **_TEAM_ROWS,
        "targets": f"(scope = 'rep' and scope_id in {_R}) or (scope = 'team' and scope_id in {_TEAM})",
        "swot_notes": f"(scope = 'rep' and scope_id in {_R}) or (scope = 'team' and scope_id in {_TEAM})",
        "plans": _ALL, "actions": _ALL, "imports": _ALL,
        "rep_photos": f"rep_id in {_R}",          # the faces of their own team
        "statements": f"rep_id in {_R}",          # closed pay periods: their team's statements
        "plan_acks": f"rep_id in {_R}",
        "disputes": f"rep_id in {_R}",            # their team's disputes
        "quota_relief": f"rep_id in {_R}",
        "forecast_submissions": f"(level = 'rep' and scope_id in {_R}) or (level = 'team' and scope_id in {_TEAM})",
    },
    "rep": {
        **_TEAM_ROWS,
        "targets": f"scope = 'rep' and scope_id in {_R}",
        "plans": _ALL,
        "rep_photos": f"rep_id in {_R}",          # their own photo only
        "statements": f"rep_id in {_R}",          # their own closed statements
        "plan_acks": f"rep_id in {_R}",           # the plans published to them
        "disputes": f"rep_id in {_R}",            # the lines they questioned
        "quota_relief": f"rep_id in {_R}",        # why their quota is lower
    },
    # a viewer (anyone shown the numbers, e.g. on a shared screen) sees initials, no face:
    # rep_photos is not listed, so it holds no row for them
    "viewer": {
        **{table: _ALL for table in _TEAM_ROWS},
        "targets": _ALL, "swot_notes": _ALL, "actions": _ALL, "imports": _ALL,
    },
}
# columns replaced by NULL, per role and table (salary is the sensitive one)
HIDDEN_COLUMNS: dict[str, dict[str, dict[str, str]]] = {
    "viewer": {"reps": {"base_salary": "DECIMAL(18,2)"}},
}


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _view_sql(catalog: str, scope_catalog: str, role: str, table: str) -> str:
    c = _quote(catalog)
    where = RULES[role].get(table, _NONE).format(c=c)
    hidden = HIDDEN_COLUMNS.get(role, {}).get(table)
    columns = "*"
    if hidden:
        columns = "* replace (" + ", ".join(f"cast(null as {kind}) as {col}"
                                             for col, kind in hidden.items()) + ")"
    return (f"create or replace view {_quote(scope_catalog)}.{_SCHEMA}.{_quote(table)} as select {columns} "
            f"from {c}.main.{_quote(table)} where {where}")


_SETUP_LOCK = threading.Lock()
# The views live in a schema not called 'main', so code that lists the file's tables through
# information_schema / duckdb_tables() with schema 'main' (backup, undo) never sees them.
_SCHEMA = "scoped"


def _scope_catalog(con: duckdb.DuckDBPyConnection, role: str) -> tuple[str, str]:
    """(file catalog, scope catalog): the in-memory catalog holding ``role``'s views over the
    file's tables, attached to this database instance on first use.

    The views read the allowed reps from ``temp.main._scope_reps``, which DuckDB resolves at
    query time in the *querying* cursor's TEMP catalog, so one set of views per role serves
    every user of that role. The name carries a hash of the view definitions: a new table or
    rule gets a fresh catalog instead of stale views.
    """
    with con.cursor() as cur:
        catalog = cur.execute("select current_database()").fetchall()[0][0]
        tables = [r[0] for r in cur.execute(
            "select table_name from duckdb_tables() where database_name = $c "
            "and schema_name = 'main' order by 1", {"c": catalog}).fetchall()]
        digest = hashlib.sha256(repr((catalog, tables, RULES[role], HIDDEN_COLUMNS.get(role)))
                                .encode()).hexdigest()[:12]
        name = f"salescore_{role}_{digest}"
        ready = ("select count(*) from duckdb_tables() where database_name = $n "
                 f"and schema_name = '{_SCHEMA}' and table_name = '_ready'")
        if cur.execute(ready, {"n": name}).fetchall()[0][0]:
            return catalog, name
        with _SETUP_LOCK:
            if cur.execute(ready, {"n": name}).fetchall()[0][0]:
                return catalog, name
            cur.execute(f"attach if not exists ':memory:' as {_quote(name)}")
            cur.execute(f"create schema if not exists {_quote(name)}.{_SCHEMA}")
            cur.execute("create temp table if not exists _scope_reps (rep_id varchar)")
            for table in tables:
                cur.execute(_view_sql(catalog, name, role, table))
            # two dates, the same for everyone: the data's "today" (schema.sql data_dates)
            cur.execute(f"create or replace view {_quote(name)}.{_SCHEMA}.data_dates as "
                        f"select * from {_quote(catalog)}.main.data_dates")
            cur.execute(f"create table {_quote(name)}.{_SCHEMA}._ready (ok boolean)")
    return catalog, name


# PostgreSQL (DESIGN.md section 9): the same design with a schema per role instead of an
# attached catalog. The views call _sc_scope_reps() (compat.sql), which reads the querying
# session's own TEMP table _scope_reps, so one set of views serves every user of the role
# (a view naming a TEMP table directly would itself be temporary). A cursor's search_path
# puts the role's schema first: every table of the database has a view there (an empty one
# without a rule), so no unqualified name reaches the tables themselves.
_PG_R = "(select rep_id from _sc_scope_reps())"


def _pg_view_sql(base: str, schema: str, role: str, table: str, columns: list[str]) -> str:
    where = (RULES[role].get(table, _NONE).format(c=_quote(base))
             .replace(f"{_quote(base)}.main.", f"{_quote(base)}.").replace(_R, _PG_R))
    hidden = HIDDEN_COLUMNS.get(role, {}).get(table, {})
    select = ", ".join(f"cast(null as {hidden[col]}) as {_quote(col)}" if col in hidden
                       else _quote(col) for col in columns)
    return (f"create or replace view {_quote(schema)}.{_quote(table)} as select {select} "
            f"from {_quote(base)}.{_quote(table)} where {where}")


def _pg_scope_schema(con: Any, role: str) -> tuple[str, str]:
    """(the tables' schema, ``role``'s schema of views), made on first use."""
    with con.cursor() as cur:
        base = cur.execute("select current_schema()").fetchall()[0][0]
        found = cur.execute(
            "select table_name, column_name from information_schema.columns c "
            "where table_schema = $s and table_name in (select table_name from "
            "information_schema.tables where table_schema = $s and table_type = 'BASE TABLE') "
            "order by table_name, ordinal_position", {"s": base}).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in found:
        tables.setdefault(table, []).append(column)
    digest = hashlib.sha256(repr((base, tables, RULES[role], HIDDEN_COLUMNS.get(role)))
                            .encode()).hexdigest()[:12]
    name = f"salescore_{role}_{digest}"
    ready = ("select count(*) from information_schema.tables where table_schema = $n "
             "and table_name = '_ready'")
    if sqlkit.scalar(con, ready, {"n": name}):
        return base, name
    with db.transaction(con) as cur:   # the write lock: one process makes them
        if cur.execute(ready, {"n": name}).fetchall()[0][0]:
            return base, name
        cur.execute(f"create schema if not exists {_quote(name)}")
        for table, columns in tables.items():
            cur.execute(_pg_view_sql(base, name, role, table, columns))
        cur.execute(f"create or replace view {_quote(name)}.data_dates as "
                    f"select * from {_quote(base)}.data_dates")
        cur.execute(f"set local search_path to {_quote(name)}, {_quote(base)}")
        cur.execute(db.compat_statement("CREATE OR REPLACE VIEW _first_won"))
        cur.execute(f"create table {_quote(name)}._ready (ok boolean)")
    return base, name

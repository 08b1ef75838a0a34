"""Users, roles and what each role may read (issue 10, "Shared use").

Roles:

- **admin**: everything, read and write (the connection itself).
- **manager** (``team`` required): the reps of their team and those reps' deals, activities,
  payments, trainings and satisfaction surveys; customers who have a deal or an activity with
  those reps; targets of those reps and of the team (not the company row: the company figure
  falls back to the sum of the team); plans, settings, products, actions, imports; SWOT
  notes of the team and its reps. A customer's history is the team's history: a customer who
  bought from another team first is new *to this team* (no other team's deal is visible).
- **rep**: their own reps row, deals, activities, payments, trainings, satisfaction,
  customers and rep targets; plans, settings and products. The rep is the reps row whose
  rep_id, else whose name (when exactly one has it), equals the user's name. The leaderboard
  and the rep's own statement come from ``salescore.me`` (``me.leaderboard``,
  ``me.statement``), which compute on the whole data and return only what a rep may see.
- **viewer**: every business row, but ``reps.base_salary`` is NULL and no plan is visible,
  so no payout or salary figure can be computed.

Every restricted role is read-only in this version: a write through a restricted connection
raises :class:`SalesCoreError` before it reaches DuckDB.

How it is enforced: :func:`restricted` returns a connection-like object whose cursors
``USE`` an in-memory catalog holding one view per table of the file (schema ``scoped``), each
selecting the allowed rows from ``"<file catalog>".main.<table>``; a table without a rule is
an empty view, and ``main.<table>`` does not resolve at all. Every salescore query therefore
runs unchanged, on the allowed rows only, and no module needs to know about roles. The views
are made once per role and database; the user's reps are a TEMP table of each cursor
(``temp.main._scope_reps``, filled by one statement with bound parameters: no user text is
ever pasted into SQL), so two users of one role never see each other's rows. A cursor costs
about 0.7 ms to set up. ``current_database()`` is the role's catalog, whose path is NULL, so
caches keyed by the database path (metrics.first_won) do not serve a restricted cursor.
"""
from __future__ import annotations

import hashlib
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from salescore import audit, db
from salescore.errors import SalesCoreError

ROLES = ("admin", "manager", "rep", "viewer")
MIN_PASSWORD = 8

# statement types a restricted cursor may run (duckdb.extract_statements)
_READ_TYPES = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN,
                         duckdb.StatementType.TRANSACTION})


@dataclass(frozen=True)
class User:
    """A signed-in user: name, role (admin/manager/rep/viewer), team (managers), rep_id (reps)."""

    name: str
    role: str
    team: str | None = None
    rep_id: str | None = None


# --- passwords ------------------------------------------------------------------------------

def _hasher() -> Any:
    from argon2 import PasswordHasher  # argon2-cffi: RFC 9106 low-memory defaults
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted; the text starts with ``$argon2id$``)."""
    if len(password or "") < MIN_PASSWORD:
        raise SalesCoreError(f"A password needs at least {MIN_PASSWORD} characters.",
                             key="access.error.short_password", n=MIN_PASSWORD)
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; False for any mismatch or bad hash."""
    from argon2.exceptions import Argon2Error, InvalidHashError

    if not password_hash:
        return False
    try:
        return _hasher().verify(password_hash, password or "")
    except (Argon2Error, InvalidHashError, ValueError):
        return False


_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    # an unknown name costs the same argon2 verification as a wrong password (no timing oracle)
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(_hasher().hash(uuid.uuid4().hex))
    return _DUMMY_HASH[0]


# --- users ----------------------------------------------------------------------------------

def _check_role(role: str, team: str | None) -> None:
    if role not in ROLES:
        raise SalesCoreError(f"{role!r} is not a role: use one of {', '.join(ROLES)}.",
                             key="access.error.role", role=role, roles=", ".join(ROLES))
    if role == "manager" and not (team or "").strip():
        raise SalesCoreError("A manager needs a team (--team).", key="access.error.team")


def add_user(con: Any, name: str, role: str, team: str | None = None,
             password: str | None = None) -> User:
    """Create a user. ``password`` None makes a single-sign-on-only user (no password).

    Raises SalesCoreError for an empty or taken name, an unknown role, a manager without a
    team, or a password shorter than MIN_PASSWORD.
    """
    name = (name or "").strip()
    if not name:
        raise SalesCoreError("A user needs a name.", key="access.error.name")
    team = (team or "").strip() or None
    _check_role(role, team)
    hashed = hash_password(password) if password is not None else None
    with db.transaction(con) as cur:
        taken = cur.execute("select count(*) from users where name = $n", {"n": name}).fetchall()[0][0]
        if taken:
            raise SalesCoreError(f"A user called {name} exists already.", key="access.error.exists",
                                 name=name)
        cur.execute("insert into users (user_id, name, role, team, password_hash) "
                    "values ($id, $n, $r, $t, $h)",
                    {"id": uuid.uuid4().hex, "n": name, "r": role, "t": team, "h": hashed})
        audit.record(cur, "user_add", {"name": name, "role": role, "team": team})
    return User(name, role, team, _rep_id(con, name) if role == "rep" else None)


def set_password(con: Any, name: str, password: str) -> None:
    """Replace a user's password (raises SalesCoreError for an unknown user)."""
    hashed = hash_password(password)
    with db.transaction(con) as cur:
        found = cur.execute("update users set password_hash = $h where name = $n returning 1",
                            {"h": hashed, "n": name}).fetchall()
        if not found:
            raise SalesCoreError(f"No user called {name}.", key="access.error.unknown", name=name)
        audit.record(cur, "user_password", {"name": name})


def remove_user(con: Any, name: str) -> None:
    """Delete a user (raises SalesCoreError for an unknown user)."""
    with db.transaction(con) as cur:
        found = cur.execute("delete from users where name = $n returning 1", {"n": name}).fetchall()
        if not found:
            raise SalesCoreError(f"No user called {name}.", key="access.error.unknown", name=name)
        audit.record(cur, "user_remove", {"name": name})


def list_users(con: Any) -> pd.DataFrame:
    """Every user: columns name, role, team, has_password (never the hash), by name."""
    with con.cursor() as cur:
        return cur.execute("select name, role, team, password_hash is not null as has_password "
                           "from users order by name").df()


def _rep_id(con: Any, name: str) -> str | None:
    """The rep a 'rep' user is: the rep_id equal to the name, else the only rep with that name."""
    with con.cursor() as cur:
        rows = cur.execute("select rep_id from reps where rep_id = $n union all "
                           "(select rep_id from reps where name = $n and "
                           " not exists (select 1 from reps where rep_id = $n))", {"n": name}).fetchall()
    return rows[0][0] if len(rows) == 1 else None


def _user(con: Any, name: str, role: str, team: str | None) -> User:
    return User(name, role, team, _rep_id(con, name) if role == "rep" else None)


MAX_FAILURES = 5          # wrong passwords in a row for one name ...
LOCKOUT_SECONDS = 60.0    # ... before that name must wait this long
_FAILURES: dict[str, tuple[int, float]] = {}
_FAILURES_LOCK = threading.Lock()


def authenticate(con: Any, name: str, password: str, *, now: float | None = None) -> User:
    """The user whose name and password match; otherwise SalesCoreError with one sentence,
    the same for an unknown name and a wrong password. After MAX_FAILURES failures in a row a
    name is refused for LOCKOUT_SECONDS (``now``: a time.monotonic() value, for tests)."""
    name = (name or "").strip()
    now = time.monotonic() if now is None else now
    with _FAILURES_LOCK:
        count, until = _FAILURES.get(name, (0, 0.0))
    if count >= MAX_FAILURES and now < until:
        raise SalesCoreError("Too many wrong passwords: wait a minute and try again.",
                             key="access.error.locked")
    with con.cursor() as cur:
        rows = cur.execute("select name, role, team, password_hash from users where name = $n",
                           {"n": name}).fetchall()
    stored = rows[0][3] if rows else None
    ok = verify_password(stored or _dummy_hash(), password)
    if not rows or not stored or not ok:
        with _FAILURES_LOCK:
            count = (count if count < MAX_FAILURES else 0) + 1
            _FAILURES[name] = (count, now + LOCKOUT_SECONDS)
        raise SalesCoreError("Wrong name or password.", key="access.error.sign_in")
    with _FAILURES_LOCK:
        _FAILURES.pop(name, None)
    return _user(con, rows[0][0], rows[0][1], rows[0][2])


def lookup(con: Any, name: str) -> User | None:
    """The user called ``name`` as the database has it now (role changes apply at once),
    or None when it was removed."""
    with con.cursor() as cur:
        rows = cur.execute("select name, role, team from users where name = $n", {"n": name}).fetchall()
    return _user(con, *rows[0]) if rows else None


def user_for_login(con: Any, *names: str | None) -> User:
    """The user for a single-sign-on identity: the first users row whose name equals one of
    ``names`` (the e-mail, then the display name, compared case-insensitively); SalesCoreError
    when none is registered."""
    wanted = [n.strip() for n in names if n and n.strip()]
    with con.cursor() as cur:
        for candidate in wanted:
            rows = cur.execute("select name, role, team from users where lower(name) = lower($n) "
                               "order by name limit 1", {"n": candidate}).fetchall()
            if rows:
                return _user(con, *rows[0])
    raise SalesCoreError("This account is not registered in salescore: ask an admin to add it.",
                         key="access.error.not_registered", name=wanted[0] if wanted else "")


def auth_required(con: Any) -> bool:
    """The 'auth_required' setting (sign-in even when the app listens only on this computer)."""
    return bool(db.get_setting(con, "auth_required", False))


def set_auth_required(con: Any, on: bool) -> None:
    """Turn the sign-in requirement on or off. Refuses to turn it on while no admin has a
    password (nobody could sign in to turn it off again)."""
    if on:
        with con.cursor() as cur:
            admins = cur.execute("select count(*) from users where role = 'admin' "
                                 "and password_hash is not null").fetchall()[0][0]
        if not admins:
            raise SalesCoreError("Add an admin with a password first (python -m salescore user add "
                                 "NAME --role admin).", key="access.error.no_admin")
    with db.transaction(con) as cur:
        cur.execute("insert into settings (key, value) values ('auth_required', $v) "
                    "on conflict (key) do update set value = excluded.value",
                    {"v": "true" if on else "false"})
        audit.record(cur, "settings", {"auth_required": bool(on)})


def has_users(con: Any) -> bool:
    with con.cursor() as cur:
        return bool(cur.execute("select count(*) from users").fetchall()[0][0])


# --- restricted connections -----------------------------------------------------------------

_R = "(select rep_id from temp.main._scope_reps)"   # the querying cursor's own TEMP table
_TEAM = f"(select team from {{c}}.main.reps where rep_id in {_R})"
_ALL = "true"
_NONE = "false"

# table -> row predicate, per restricted role. {c} is the quoted file catalog. Fixed text only.
_TEAM_ROWS: dict[str, str] = {
    "reps": f"rep_id in {_R}",
    "deals": f"rep_id in {_R}",
    "deal_history": f"deal_id in (select deal_id from {{c}}.main.deals where rep_id in {_R})",
    "activities": f"rep_id in {_R}",
    "trainings": f"rep_id in {_R}",
    "payments": f"rep_id in {_R} or (rep_id is null and deal_id in "
                f"(select deal_id from {{c}}.main.deals where rep_id in {_R}))",
    "customers": f"customer_id in (select customer_id from {{c}}.main.deals where rep_id in {_R}) "
                 f"or customer_id in (select customer_id from {{c}}.main.activities where rep_id in {_R})",
    "satisfaction": f"rep_id in {_R} or (rep_id is null and customer_id in "
                    f"(select customer_id from {{c}}.main.deals where rep_id in {_R}))",
    "products": _ALL,
    "settings": _ALL,
    "schema_version": _ALL,
}
RULES: dict[str, dict[str, str]] = {
    "manager": {
        **_TEAM_ROWS,
        "targets": f"(scope = 'rep' and scope_id in {_R}) or (scope = 'team' and scope_id in {_TEAM})",
        "swot_notes": f"(scope = 'rep' and scope_id in {_R}) or (scope = 'team' and scope_id in {_TEAM})",
        "plans": _ALL, "actions": _ALL, "imports": _ALL,
    },
    "rep": {
        **_TEAM_ROWS,
        "targets": f"scope = 'rep' and scope_id in {_R}",
        "plans": _ALL,
    },
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


class ReadOnlyError(SalesCoreError):
    """A write was attempted through a restricted (read-only) connection."""

    key = "access.error.read_only"


_KINDS: dict[str, bool] = {}
_KINDS_LOCK = threading.Lock()


def _is_read(query: str) -> bool:
    """True when every statement of ``query`` only reads (cached per query text)."""
    ok = _KINDS.get(query)
    if ok is None:
        ok = all(s.type in _READ_TYPES for s in duckdb.extract_statements(query))
        with _KINDS_LOCK:
            if len(_KINDS) > 4096:
                _KINDS.clear()
            _KINDS[query] = ok
    return ok


def _refuse(role: str) -> ReadOnlyError:
    return ReadOnlyError(f"Your role ({role}) can only read: ask an admin to change data.",
                         role=role)


class RestrictedCursor:
    """A DuckDB cursor whose table names show only the allowed rows, and which refuses writes.

    Reads (execute, sql, fetch*, df, register, ...) behave like the DuckDB cursor's.
    """

    def __init__(self, owner: RestrictedConnection, cur: duckdb.DuckDBPyConnection) -> None:
        self._owner = owner
        self._cur = cur

    def _check(self, query: Any) -> None:
        if isinstance(query, str) and not _is_read(query):
            raise _refuse(self._owner.user.role)

    def execute(self, query: Any, parameters: Any = None) -> RestrictedCursor:
        self._check(query)
        if parameters is None:
            self._cur.execute(query)
        else:
            self._cur.execute(query, parameters)
        return self

    def executemany(self, query: Any, parameters: Any = None) -> RestrictedCursor:
        self._check(query)
        self._cur.executemany(query, parameters if parameters is not None else [])
        return self

    def sql(self, query: Any, **kwargs: Any) -> Any:
        self._check(query)
        return self._cur.sql(query, **kwargs)

    query = sql
    from_query = sql

    def cursor(self) -> RestrictedCursor:
        return self._owner.cursor()

    def append(self, *_: Any, **__: Any) -> Any:
        raise _refuse(self._owner.user.role)

    install_extension = load_extension = append

    def close(self) -> None:
        self._cur.close()

    def __enter__(self) -> RestrictedCursor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._cur.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


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


class RestrictedConnection:
    """What :func:`restricted` returns: ``cursor()`` gives a :class:`RestrictedCursor`;
    ``execute``/``sql`` run on a fresh one. Closing it leaves the shared connection open."""

    def __init__(self, con: duckdb.DuckDBPyConnection, user: User) -> None:
        if user.role not in RULES:
            raise SalesCoreError(f"{user.role!r} is not a role.", key="access.error.role",
                                 role=user.role, roles=", ".join(ROLES))
        self._con = con
        self.user = user
        catalog, self._catalog = _scope_catalog(con, user.role)
        reps = f"select rep_id from {_quote(catalog)}.main.reps"
        if user.role == "manager":
            self._fill = (f"create temp table _scope_reps as {reps} where team = $team", {"team": user.team})
        elif user.role == "rep":
            self._fill = (f"create temp table _scope_reps as {reps} where rep_id = $rep", {"rep": user.rep_id})
        else:  # viewer: every row, no list needed (an empty one keeps the views bindable)
            self._fill = ("create temp table _scope_reps (rep_id varchar)", None)

    def cursor(self) -> RestrictedCursor:
        cur = self._con.cursor()
        try:
            cur.execute(f"use {_quote(self._catalog)}.{_SCHEMA}")
            sql, params = self._fill
            cur.execute(sql, params) if params is not None else cur.execute(sql)
        except BaseException:
            cur.close()
            raise
        return RestrictedCursor(self, cur)

    def execute(self, query: Any, parameters: Any = None) -> RestrictedCursor:
        return self.cursor().execute(query, parameters)

    def executemany(self, query: Any, parameters: Any = None) -> RestrictedCursor:
        return self.cursor().executemany(query, parameters)

    def sql(self, query: Any, **kwargs: Any) -> Any:
        return self.cursor().sql(query, **kwargs)

    query = sql

    def close(self) -> None:
        """Nothing to close: the underlying connection is shared."""

    def __enter__(self) -> RestrictedConnection:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


def restricted(con: duckdb.DuckDBPyConnection, user: User | None) -> Any:
    """``con`` itself for an admin (or no user: sign-in off); otherwise a read-only
    :class:`RestrictedConnection` showing only what ``user``'s role may see."""
    if user is None or user.role == "admin":
        return con
    return RestrictedConnection(con, user)


# url paths of app.py's pages each role may open (None: all). Reps get their own "me" page.
PAGES: dict[str, frozenset[str] | None] = {
    "admin": None,
    "manager": frozenset({"overview", "goals", "team", "incentives", "retention", "funnel",
                          "customers", "review", "meeting"}),
    "viewer": frozenset({"overview", "goals", "team", "funnel", "customers", "review", "meeting"}),
    "rep": frozenset({"me"}),
}


def may_open(user: User | None, url_path: str) -> bool:
    """Whether ``user`` may open the page at ``url_path`` (everyone may when sign-in is off).

    Managers and viewers cannot open Data (imports are writes); viewers not Incentives or
    Retention (pay figures); reps only their own page (leaderboard + statement)."""
    if user is None:
        return url_path != "me"
    allowed = PAGES.get(user.role, frozenset())
    return url_path != "me" if allowed is None else url_path in allowed


def can_write(user: User | None) -> bool:
    """Only admins write in this version (and everyone when sign-in is off)."""
    return user is None or user.role == "admin"

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

On PostgreSQL (DESIGN.md section 9) the same holds with a schema of views per role in the
database itself (salescore/scoped.py): a cursor sets its search_path to the role's schema
after filling its own TEMP ``_scope_reps``, which the views read through ``_sc_scope_reps()``.
"""
from __future__ import annotations

import functools
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from salescore import audit, db, lockout
from salescore import sql as sqlkit
from salescore.errors import SalesCoreError
from salescore.scoped import RULES, _SCHEMA, _pg_scope_schema, _quote, _scope_catalog

ROLES = ("admin", "manager", "rep", "viewer")
MIN_PASSWORD = 8

# statement types a restricted cursor may run (duckdb.extract_statements)
_READ_TYPES = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN,
                         duckdb.StatementType.TRANSACTION})


@dataclass(frozen=True)
class User:
    """A signed-in user: name, role (admin/manager/rep/viewer), team (managers), rep_id (reps),
    and epoch: the users.session_epoch at sign-in (a password change raises it, which ends
    every session signed in before)."""

    name: str
    role: str
    team: str | None = None
    rep_id: str | None = None
    epoch: int = 0


# --- passwords ------------------------------------------------------------------------------

# OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): about 0.03 s per verification on a
# 2-core laptop, against 0.2-0.6 s for argon2-cffi's RFC 9106 defaults (64 MiB, 3 passes,
# 4 lanes), which let every failed sign-in burn that much CPU. Hashes made with other
# parameters still verify, and are rehashed with these at their next successful sign-in.
ARGON2 = {"time_cost": 2, "memory_cost": 19_456, "parallelism": 1}


@functools.cache
def _hasher() -> Any:
    from argon2 import PasswordHasher  # argon2-cffi
    return PasswordHasher(**ARGON2)


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


@functools.cache
def _dummy_hash() -> str:
    # an unknown name costs the same argon2 verification as a wrong password (no timing oracle)
    return _hasher().hash(uuid.uuid4().hex)


# --- users ----------------------------------------------------------------------------------

def _check_role(role: str, team: str | None) -> None:
    if role not in ROLES:
        raise SalesCoreError(f"{role!r} is not a role: use one of {', '.join(ROLES)}.",
                             key="access.error.role", role=role, roles=", ".join(ROLES))
    if role == "manager" and not (team or "").strip():
        raise SalesCoreError("A manager needs a team (--team).", key="access.error.team")


def _check_email(email: str) -> str:
    email = email.strip()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in email) or len(email) > 254:
        raise SalesCoreError(f"{email} is not an e-mail address.", key="access.error.email",
                             email=email)
    return email


def add_user(con: Any, name: str, role: str, team: str | None = None,
             password: str | None = None, sso_email: str | None = None) -> User:
    """Create a user who signs in either with ``password`` or, with single sign-on, as the
    identity provider's verified ``sso_email`` (then there is no password).

    The first user must be an admin with a password: from then on everyone signs in
    (salescore.ui.auth), so the first one must be able to, with or without an identity
    provider. Raises SalesCoreError for that, for an empty or taken name, a taken e-mail, an
    unknown role, a manager without a team, both or neither of password and e-mail, or a
    password shorter than MIN_PASSWORD.
    """
    name = (name or "").strip()
    if not name:
        raise SalesCoreError("A user needs a name.", key="access.error.name")
    team = (team or "").strip() or None
    _check_role(role, team)
    email = _check_email(sso_email) if sso_email is not None else None
    if (password is None) == (email is None):
        raise SalesCoreError("A user signs in with a password or with single sign-on "
                             "(an e-mail address): give one of the two.", key="access.error.how")
    hashed = hash_password(password) if password is not None else None
    with db.transaction(con) as cur:
        if not _count(cur, "select count(*) from users") and (role != "admin" or hashed is None):
            raise SalesCoreError("The first user must be an admin with a password: once a user "
                                 "exists, everyone signs in.", key="access.error.first_admin")
        if _count(cur, "select count(*) from users where name = $n", {"n": name}):
            raise SalesCoreError(f"A user called {name} exists already.", key="access.error.exists",
                                 name=name)
        if email and _count(cur, "select count(*) from users where sso and lower(email) = lower($e)",
                            {"e": email}):
            raise SalesCoreError(f"A single-sign-on user with {email} exists already.",
                                 key="access.error.email_taken", email=email)
        cur.execute("insert into users (user_id, name, role, team, password_hash, email, sso) "
                    "values ($id, $n, $r, $t, $h, $e, $s)",
                    {"id": uuid.uuid4().hex, "n": name, "r": role, "t": team, "h": hashed,
                     "e": email, "s": email is not None})
        audit.record(cur, "user_add", {"name": name, "role": role, "team": team,
                                       **({"sso_email": email} if email else {})})
    return _user(con, name, role, team)


def _count(cur: Any, query: str, params: dict[str, Any] | None = None) -> int:
    return int(cur.execute(query, params or {}).fetchall()[0][0])


def _unknown(name: str) -> SalesCoreError:
    return SalesCoreError(f"No user called {name}.", key="access.error.unknown", name=name)


def set_password(con: Any, name: str, password: str) -> User:
    """Replace a user's password and end their other sessions (users.session_epoch + 1: the
    sign-in gate signs out every session of an older epoch). Returns the user with the new
    epoch, which the session that made the change keeps. SalesCoreError for an unknown user
    or a single-sign-on user (who has no password)."""
    hashed = hash_password(password)
    with db.transaction(con) as cur:
        rows = cur.execute("select coalesce(sso, false) from users where name = $n",
                           {"n": name}).fetchall()
        if not rows:
            raise _unknown(name)
        if rows[0][0]:
            raise SalesCoreError(f"{name} signs in with single sign-on and has no password.",
                                 key="access.error.sso_password", name=name)
        cur.execute("update users set password_hash = $h, "
                    "session_epoch = coalesce(session_epoch, 0) + 1 where name = $n",
                    {"h": hashed, "n": name})
        audit.record(cur, "user_password", {"name": name})
    found = lookup(con, name)
    assert found is not None  # updated just now, under the write lock
    return found


def remove_user(con: Any, name: str) -> None:
    """Delete a user. Refused (SalesCoreError) for an unknown user, and for the last admin
    with a password while other users remain: they would all have to sign in, and nobody
    could manage users in the app any more. Removing the very last user turns sign-in off."""
    with db.transaction(con) as cur:
        rows = cur.execute("select role = 'admin' and password_hash is not null from users "
                           "where name = $n", {"n": name}).fetchall()
        if not rows:
            raise _unknown(name)
        others = _count(cur, "select count(*) from users where name <> $n", {"n": name})
        admins = _count(cur, "select count(*) from users where name <> $n and role = 'admin' "
                             "and password_hash is not null", {"n": name})
        if rows[0][0] and others and not admins:
            raise SalesCoreError(f"{name} is the last admin with a password: add another admin "
                                 "first.", key="access.error.last_admin", name=name)
        cur.execute("delete from users where name = $n", {"n": name})
        audit.record(cur, "user_remove", {"name": name})


def list_users(con: Any) -> pd.DataFrame:
    """Every user: columns name, role, team, has_password (never the hash), sso and email
    (the single-sign-on e-mail, else None), by name."""
    with con.cursor() as cur:
        return cur.execute("select name, role, team, password_hash is not null as has_password, "
                           "coalesce(sso, false) as sso, case when sso then email end as email "
                           "from users order by name").df()


def _rep_id(con: Any, name: str) -> str | None:
    """The rep a 'rep' user is: the rep_id equal to the name, else the only rep with that name."""
    with con.cursor() as cur:
        rows = cur.execute("select rep_id from reps where rep_id = $n union all "
                           "(select rep_id from reps where name = $n and "
                           " not exists (select 1 from reps where rep_id = $n))", {"n": name}).fetchall()
    return rows[0][0] if len(rows) == 1 else None


def _user(con: Any, name: str, role: str, team: str | None, epoch: int | None = 0) -> User:
    return User(name, role, team, _rep_id(con, name) if role == "rep" else None, int(epoch or 0))


_COLUMNS = "name, role, team, session_epoch"


def authenticate(con: Any, name: str, password: str, *, address: str | None = None,
                 now: float | None = None) -> User:
    """The user whose name and password match; otherwise SalesCoreError with one sentence,
    the same for an unknown name, a wrong password and a single-sign-on user (no password
    sign-in for them). Too many failures for this name from ``address`` (the browser's IP;
    None: this computer), or from ``address`` for any names, are refused before the password
    is checked (salescore.lockout; ``now``: a time.monotonic() value, for tests). A hash made
    with older argon2 parameters is replaced on success."""
    name = (name or "").strip()
    address = address or "local"
    lockout.FAILURES.begin(name, address, now)
    with con.cursor() as cur:
        rows = cur.execute(f"select {_COLUMNS}, password_hash from users where name = $n "
                           "and not coalesce(sso, false)", {"n": name}).fetchall()
    stored = rows[0][4] if rows else None
    if not (verify_password(stored or _dummy_hash(), password) and stored):
        raise SalesCoreError("Wrong name or password.", key="access.error.sign_in")
    lockout.FAILURES.succeeded(name, address, now)
    if _hasher().check_needs_rehash(stored):
        with db.transaction(con) as cur:
            cur.execute("update users set password_hash = $h where name = $n and password_hash = $old",
                        {"h": _hasher().hash(password), "n": name, "old": stored})
            audit.record(cur, "user_rehash", {"name": name}, user=name)
    return _user(con, *rows[0][:4])


def lookup(con: Any, name: str) -> User | None:
    """The user called ``name`` as the database has it now (role and epoch changes apply at
    once), or None when it was removed."""
    with con.cursor() as cur:
        rows = cur.execute(f"select {_COLUMNS} from users where name = $n", {"n": name}).fetchall()
    return _user(con, *rows[0]) if rows else None


def user_for_login(con: Any, email: str | None, email_verified: Any) -> User:
    """The user for a single-sign-on identity: the user created for single sign-on whose
    e-mail equals ``email`` (case-insensitive), and only when the identity provider says it
    verified that e-mail (``email_verified`` true; some providers send the text "true").
    A display name is never matched: anyone can choose theirs. SalesCoreError otherwise."""
    email = (email or "").strip()
    if not email:
        raise SalesCoreError("Your identity provider did not give an e-mail address, which "
                             "salescore needs for single sign-on.", key="access.error.sso_no_email")
    if not (email_verified is True or str(email_verified).strip().lower() == "true"):
        raise SalesCoreError(f"Your identity provider has not verified {email}: verify it "
                             "there, then sign in again.", key="access.error.sso_unverified",
                             email=email)
    with con.cursor() as cur:
        rows = cur.execute(f"select {_COLUMNS} from users where sso and lower(email) = lower($e) "
                           "order by name limit 1", {"e": email}).fetchall()
    if not rows:
        raise SalesCoreError(f"{email} is not registered in salescore for single sign-on: ask an "
                             "admin to add it.", key="access.error.not_registered", email=email)
    return _user(con, *rows[0])


def has_users(con: Any) -> bool:
    """Whether any user exists: from the first one on, everyone signs in (salescore.ui.auth)."""
    with con.cursor() as cur:
        return bool(_count(cur, "select count(*) from users"))


# --- restricted connections -----------------------------------------------------------------

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


class RestrictedConnection:
    """What :func:`restricted` returns: ``cursor()`` gives a :class:`RestrictedCursor`;
    ``execute``/``sql`` run on a fresh one. Closing it leaves the shared connection open."""

    def __init__(self, con: duckdb.DuckDBPyConnection, user: User) -> None:
        if user.role not in RULES:
            raise SalesCoreError(f"{user.role!r} is not a role.", key="access.error.role",
                                 role=user.role, roles=", ".join(ROLES))
        self._con = con
        self.user = user
        self.dialect = sqlkit.dialect(con)
        if self.dialect == "postgres":
            catalog, self._catalog = _pg_scope_schema(con, user.role)
            self._use = f"set search_path to {_quote(self._catalog)}, {_quote(catalog)}"
            reps = f"select rep_id from {_quote(catalog)}.reps"
        else:
            catalog, self._catalog = _scope_catalog(con, user.role)
            self._use = f"use {_quote(self._catalog)}.{_SCHEMA}"
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
            if self.dialect == "postgres":   # the temp table before the names that hide it
                cur.execute("drop table if exists pg_temp._scope_reps")
            sql, params = self._fill
            if self.dialect == "postgres":
                cur.execute(sql, params) if params is not None else cur.execute(sql)
                cur.execute(self._use)
                return RestrictedCursor(self, cur)
            cur.execute(self._use)
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

"""A backup's users and sign-in settings against the database's (salescore/backup.py).

A restore keeps the database's users and sign-in settings unless the admin asks for the
backup's; either way the differences are shown first (:class:`Change`, never a password
hash). When the backup's users replace today's, each one whose sign-in differs gets a new
session epoch, so that the sessions opened before the restore end.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import duckdb

from salescore import i18n

#: The sign-in settings kept with the users (SQL over settings.key): auth_required and
#: whatever sign-in stores under an ``auth_`` key.
SIGN_IN_SETTING = "(key = 'auth' or key like 'auth\\_%' escape '\\')"


@dataclass(frozen=True)
class Change:
    """One way the backup's users or sign-in settings differ from the database's.

    ``kind``: added, removed, role, team, password, sso (the single sign-on e-mail) or setting;
    ``name``: the user, or the setting's key; ``before``/``after``: what is shown (a role, a
    team, an e-mail, a setting's JSON value; never a password hash)."""

    kind: str
    name: str
    before: str | None = None
    after: str | None = None

    def text(self, lang: str) -> str:
        """What differs, in ``lang`` (roles in the user's words), without the name."""
        def shown(value: str | None) -> str:
            if value is None:
                return i18n.t("backup.change.none", lang)
            if self.kind in ("added", "removed", "role") and i18n.has(f"access.role.{value}", lang):
                return i18n.t(f"access.role.{value}", lang)
            return value

        return i18n.t(f"backup.change.{self.kind}", lang, before=shown(self.before),
                      after=shown(self.after))



class UserRow(NamedTuple):
    """A users row as compared and carried over."""

    name: str
    role: str
    team: str | None
    password_hash: str | None
    email: str | None
    sso: bool | None
    session_epoch: int | None

    def sign_in(self) -> tuple[str | None, str | None]:
        """What the user signs in with: the password hash, and the e-mail when single sign-on."""
        return self.password_hash, self.email if self.sso else None


#: What a backup without a column means by it (schema 3 had no email, sso, session_epoch).
_DEFAULTS = {"team": "null", "password_hash": "null", "email": "null", "sso": "false",
             "session_epoch": "0"}


def read_users(cur: duckdb.DuckDBPyConnection, path: Path, names: list[str]
               ) -> tuple[dict[str, UserRow], dict[str, UserRow]]:
    """(the database's users, the backup's users in the Parquet file ``path`` whose columns
    are ``names``), by name."""
    def select(source: str, have: list[str]) -> str:
        return "select " + ", ".join(f'"{c}"' if c in have else f"{_DEFAULTS[c]} as {c}"
                                     for c in UserRow._fields) + f" from {source}"
    now = cur.execute(select("main.users", list(UserRow._fields))).fetchall()
    then = cur.execute(select("read_parquet($p)", names), {"p": str(path)}).fetchall()
    return {r[0]: UserRow(*r) for r in now}, {r[0]: UserRow(*r) for r in then}


def user_changes(now: dict[str, UserRow], then: dict[str, UserRow]) -> list[Change]:
    """Users the backup adds, removes, or gives another role, team, password or single
    sign-on e-mail, by name."""
    changes: list[Change] = []
    for name in sorted(now.keys() | then.keys(), key=str):
        old, new = now.get(name), then.get(name)
        if old is None or new is None:
            changes.append(Change("added", name, after=new.role) if new
                           else Change("removed", name, before=old.role if old else None))
            continue
        if old.role != new.role:
            changes.append(Change("role", name, old.role, new.role))
        if old.team != new.team:
            changes.append(Change("team", name, old.team, new.team))
        if old.password_hash != new.password_hash:
            changes.append(Change("password", name))
        if old.sign_in()[1] != new.sign_in()[1]:
            changes.append(Change("sso", name, old.sign_in()[1], new.sign_in()[1]))
    return changes


def epochs(now: dict[str, UserRow], then: dict[str, UserRow]) -> dict[str, int]:
    """The session epoch of every restored user: today's when they sign in as today (their
    sessions go on), else one above both today's and the backup's, so every session signed in
    before the restore ends (the sign-in gate compares the session's epoch with the user's)."""
    out = {}
    for name, new in then.items():
        old = now.get(name)
        if old is not None and old.sign_in() == new.sign_in():
            out[name] = int(old.session_epoch or 0)
        else:
            out[name] = max(int(new.session_epoch or 0),
                            int(old.session_epoch or 0) if old else 0) + 1
    return out


def setting_changes(cur: duckdb.DuckDBPyConnection, path: Path) -> list[Change]:
    """Sign-in settings whose value differs between the database and the backup's settings
    file ``path`` (JSON text; None where one side has none)."""
    query = f"select key, cast(value as varchar) from {{}} where {SIGN_IN_SETTING}"
    now = dict(cur.execute(query.format("main.settings")).fetchall())
    then = dict(cur.execute(query.format("read_parquet($p)"), {"p": str(path)}).fetchall())
    return [Change("setting", key, now.get(key), then.get(key))
            for key in sorted(now.keys() | then.keys(), key=str) if now.get(key) != then.get(key)]

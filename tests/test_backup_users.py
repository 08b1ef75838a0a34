"""A restore and the users (issue 17 item 7): today's users and sign-in settings are kept unless
the admin asks for the backup's; the differences are listed first (never a hash); replacing
them ends the sessions of users whose sign-in changed; a schema-3 backup restores by column
name (salescore/backup.py, salescore/backup_users.py)."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from salescore import access, audit, backup, db

ROOT = Path(__file__).resolve().parents[1]
HASHES: dict[str, str] = {}


def _hash(password: str) -> str:
    if password not in HASHES:   # argon2 is slow on purpose: once per password per session
        HASHES[password] = access.hash_password(password)
    return HASHES[password]


def _user(cur, name: str, role: str, team: str | None = None, password: str | None = None,
          email: str | None = None, epoch: int = 0) -> None:
    cur.execute("insert into users (user_id, name, role, team, password_hash, email, sso, "
                "session_epoch) values ($n, $n, $r, $t, $h, $e, $s, $ep)",
                {"n": name, "r": role, "t": team, "h": _hash(password) if password else None,
                 "e": email, "s": email is not None, "ep": epoch})


def _users(con) -> list[tuple]:
    return con.execute("select name, role, team, password_hash, email, sso, session_epoch "
                       "from users order by name").fetchall()


def _settings(con) -> dict[str, str]:
    return dict(con.execute("select key, cast(value as varchar) from settings "
                            "where key <> 'data_version' order by key").fetchall())


@pytest.fixture
def shared(tmp_path):
    """(database, backup): the backup was made when eve still worked here, ann had her old
    password, carl was a viewer, sso1 signed in as a@example.com and sign-in was off; today
    eve is gone, ann changed her password, carl is West's manager, sso1 is b@example.com, bob
    joined and sign-in is on."""
    path = tmp_path / "shared.duckdb"
    con = db.connect(path)
    try:
        with db.transaction(con) as cur:
            _user(cur, "ann", "admin", password="ann-old-pass")
            _user(cur, "eve", "rep", password="eve-pass-123")
            _user(cur, "carl", "viewer", password="carl-pass-12", epoch=2)
            _user(cur, "sso1", "viewer", email="a@example.com")
            audit.record(cur, "user_add", {"name": "eve", "role": "rep"}, user="ann")
        db.set_setting(con, "auth_required", False)
        db.set_setting(con, "stage_order", ["Lead", "Won"])
        backup.write(con, tmp_path / "then.zip")
        with db.transaction(con) as cur:
            cur.execute("delete from users where name = 'eve'")
            cur.execute("update users set password_hash = $h, session_epoch = 1 where name = 'ann'",
                        {"h": _hash("ann-new-pass")})
            cur.execute("update users set role = 'manager', team = 'West', session_epoch = 3 "
                        "where name = 'carl'")
            cur.execute("update users set email = 'b@example.com' where name = 'sso1'")
            _user(cur, "bob", "manager", team="East", password="bob-pass-123")
        db.set_setting(con, "auth_required", True)
        db.set_setting(con, "stage_order", ["Lead", "Proposal", "Won"])
    finally:
        con.close()
    return path, tmp_path / "then.zip"


def test_a_restore_keeps_todays_users_and_sign_in_settings(shared):
    """Restoring the old backup neither switches sign-in off nor brings eve back with her old
    password; everything else (here the stage order) is the backup's."""
    path, zipped = shared
    con = db.connect(path)
    try:
        users, settings = _users(con), _settings(con)
        backup.restore(con, zipped)
        assert _users(con) == users
        assert _settings(con) == {**settings, "stage_order": '["Lead", "Won"]'}
        assert _settings(con)["auth_required"] == "true"
        with pytest.raises(access.SalesCoreError):
            access.authenticate(con, "eve", "eve-pass-123")
        assert access.authenticate(con, "ann", "ann-new-pass").name == "ann"
        detail = json.loads(audit.events(con, action="restore")["detail"][0])
        assert detail["users"] == "kept" and detail["differences"] == 7
    finally:
        con.close()


EXPECTED = [  # (name, kind, English, Chinese): backup versus today, by name
    ("ann", "password", "another password", "密码不同"),
    ("bob", "removed", "not in the backup (today manager)", "备份中没有（当前为销售经理）"),
    ("carl", "role", "role manager → viewer", "角色 销售经理 → 只读用户"),
    ("carl", "team", "team West → —", "团队 West → —"),
    ("eve", "added", "only in the backup (sales rep)", "仅在备份中（销售）"),
    ("sso1", "sso", "single sign-on b@example.com → a@example.com",
     "单点登录 b@example.com → a@example.com"),
    ("auth_required", "setting", "true → false", "true → false"),
]


def test_preview_lists_every_difference_and_no_hash(shared):
    path, zipped = shared
    con = db.connect(path)
    try:
        changes = backup.preview(con, zipped).changes
        hashes = [row[3] for row in _users(con) if row[3]]
    finally:
        con.close()
    assert [(c.name, c.kind, c.text("en"), c.text("zh")) for c in changes] == EXPECTED
    shown = " ".join(f"{c.before} {c.after} {c.text('en')} {c.text('zh')}" for c in changes)
    assert "$argon2" not in shown and not any(h in shown for h in hashes)


def test_restore_with_users_brings_the_backups_and_ends_changed_sessions(shared):
    """With users: the backup's users and sign-in settings exactly. Whoever signs in as before
    (carl: same password, new role) keeps today's epoch, so his sessions go on; ann (another
    password), sso1 (another e-mail) and eve (not a user today) get an epoch above both, so
    any session opened before the restore ends."""
    path, zipped = shared
    con = db.connect(path)
    try:
        epochs = dict(con.execute("select name, session_epoch from users").fetchall())
        backup.restore(con, zipped, with_users=True)
        users = {row[0]: row for row in _users(con)}
        assert sorted(users) == ["ann", "carl", "eve", "sso1"]
        assert users["carl"][1:3] == ("viewer", None) and users["sso1"][4] == "a@example.com"
        assert access.authenticate(con, "eve", "eve-pass-123").name == "eve"
        assert access.authenticate(con, "ann", "ann-old-pass").name == "ann"
        assert {name: row[6] for name, row in users.items()} == {
            "ann": max(0, epochs["ann"]) + 1, "carl": epochs["carl"], "eve": 1,
            "sso1": epochs["sso1"] + 1}
        assert _settings(con)["auth_required"] == "false"
        detail = json.loads(audit.events(con, action="restore")["detail"][0])
        assert detail["users"] == "replaced"
        assert detail["changed"] == [f"{kind} {name}" for name, kind, *_ in EXPECTED]
        assert "$argon2" not in audit.events(con)["detail"].str.cat()
    finally:
        con.close()


def _schema3(zipped: Path, tmp: Path) -> bytes:
    """The backup as salescore wrote it at schema 3: users without email, sso and
    session_epoch; audit_log without restored_from."""
    with zipfile.ZipFile(zipped) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    for table, dropped in (("users", "email, sso, session_epoch"), ("audit_log", "restored_from")):
        src, dst = tmp / f"{table}-4.parquet", tmp / f"{table}-3.parquet"
        src.write_bytes(members[f"{table}.parquet"])
        with duckdb.connect() as c:
            c.execute(f"copy (select * exclude ({dropped}) from read_parquet('{src}')) "
                      f"to '{dst}' (format parquet)")
        members[f"{table}.parquet"] = dst.read_bytes()
    manifest = json.loads(members["manifest.json"])
    members["manifest.json"] = json.dumps({**manifest, "schema_version": 3}).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def test_a_schema_3_backup_restores_by_column_name(shared, tmp_path):
    path, zipped = shared
    data = _schema3(zipped, tmp_path)
    con = db.connect(path)
    try:
        with db.transaction(con) as cur:   # so that the backup's events are new here
            cur.execute("delete from audit_log")
        # schema 3 knew no single sign-on: sso1 has no e-mail there, so it is a change
        changes = {(c.name, c.kind) for c in backup.preview(con, data).changes}
        assert ("sso1", "sso") in changes and ("eve", "added") in changes
        backup.restore(con, data, with_users=True, name="old.zip")
        users = {row[0]: row for row in _users(con)}
        assert users["eve"][4:] == (None, False, 1)       # defaults, then a new epoch
        assert users["carl"][6] == 3                      # same password: sessions go on
        assert access.authenticate(con, "eve", "eve-pass-123").name == "eve"
        log = audit.events(con)
        assert log["action"].tolist() == ["restore", "user_add"]
        assert log["restored_from"].isna().tolist() == [True, False]
        assert log["restored_from"][1].startswith("old.zip · ")
    finally:
        con.close()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "salescore", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_keeps_users_and_prints_the_difference(shared):
    path, zipped = shared
    con = db.connect(path)
    users = _users(con)
    con.close()
    done = _cli("restore", str(zipped), "--db", str(path))
    assert done.returncode == 0 and done.stderr == "", done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"Restored {zipped}")
    assert lines[1:] == ["Users and sign-in settings kept as they were; the backup's differ "
                         "(restore --with-users replaces them):",
                         *(f"  {name}: {english}" for name, _, english, _ in EXPECTED)]
    assert "$argon2" not in done.stdout
    con = db.connect(path)
    try:
        assert _users(con) == users
    finally:
        con.close()

"""Backup and restore of the whole database (salescore/backup.py, issue 10).

Round trip on the demo data with every table compared in full; a restore that fails at the
last table leaves the database exactly as before; every malformed zip (not a zip, no
manifest, newer schema, missing or unexpected members, '..' paths, zip bombs, lying
headers, encrypted members, damaged Parquet) is refused with a sentence and changes nothing.
"""
from __future__ import annotations

import hashlib
import io
import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import audit, backup, db, i18n, incentives, ingest, photos

ROOT = Path(__file__).resolve().parents[1]
COMPARED = tuple(t for t in backup.RESTORE_TABLES)


def contents(con, tables=COMPARED) -> dict[str, pd.DataFrame]:
    """Every row of every table, sorted on all columns (settings without data_version)."""
    out = {}
    with con.cursor() as cur:
        for table in tables:
            where = " where key <> 'data_version'" if table == "settings" else ""
            frame = cur.execute(f"select * from {table}{where}").df()
            frame = frame.map(lambda v: bytes(v) if isinstance(v, bytearray) else v)  # BLOBs sort
            out[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def assert_same(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame],
                epochs: bool = True) -> None:
    """Same rows in every table; ``epochs=False``: users.session_epoch aside (a restore of
    users raises the epoch of those whose sign-in changed, see test_restore_with_users_*)."""
    assert before.keys() == after.keys()
    for table in before:
        left, right = before[table], after[table]
        if table == "users" and not epochs:
            left, right = left.drop(columns="session_epoch"), right.drop(columns="session_epoch")
        pd.testing.assert_frame_equal(left, right, check_dtype=False, obj=table)


DEALS_CSV = ("商机编号,销售员,客户名称,金额,阶段,创建日期,成交日期\n"
             "X-1,测试甲,上海某某,1000,赢单,2026-01-05,2026-02-01\n"
             "X-2,测试乙,北京某某,2500.5,方案报价,2026-01-09,\n").encode("utf-8")
REPS_CSV = "姓名,团队,底薪\n测试甲,华东,9000\n".encode("utf-8")


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def _rich(con) -> None:
    """On a copy of the Chinese demo (demo_copy): an import that overwrote a row (import_undo),
    a note, an action, a user, audit events: every table has rows."""
    ingest.load(con, ingest.prepare(DEALS_CSV, "deals.csv"))
    ingest.load(con, ingest.prepare(REPS_CSV, "reps.csv"))   # updates 测试甲: an undo row
    with db.transaction(con) as cur:
        cur.execute("insert into swot_notes (scope, scope_id, quadrant, text, origin) "
                    "values ('rep', 'R01', 'S', '=1+1 <b>x</b>', 'manual')")
        cur.execute("insert into actions (title, rule, owner) values ('周会复盘', 'data', 'Ann')")
        cur.execute("insert into users (user_id, name, role, team, password_hash) "
                    "values ('u1', 'ann', 'admin', null, '$argon2id$x')")
        audit.record(cur, "plan_edit", {"plan": "standard", "version": 2}, user="ann")
        image, mime = photos.prepare(_png(), "r01.png")   # rep_photos: a BLOB column round-trips
        cur.execute("insert into rep_photos (rep_id, image, mime) values ('R01', $i, $m)",
                    {"i": image, "m": mime})
    with db.transaction(con) as cur:   # a credit split (deal_credits)
        cur.execute("insert into deal_credits (deal_id, rep_id, share, kind) "
                    "select deal_id, rep_id, 0.5, 'overlay' from deals where status = 'won' limit 1")
    plan_id = con.execute("select min(plan_id) from plans").fetchall()[0][0]
    incentives.close_period(con, plan_id, None, "2026-Q3")   # statements: a closed period
    incentives.acks.publish(con, plan_id)                     # plan_acks: published to the reps
    incentives.disputes.raise_dispute(con, period="2026-Q3", plan_id=plan_id, rep_id="R01",   # disputes
                                      component="commission", deal_id=None, line_amount=100.0,
                                      claimed_amount=150.0, reason="合同金额更大")
    incentives.relief.add(con, "R01", "2026-08-01", "2026-08-31", 1.0, "产假")       # quota_relief
    with db.transaction(con) as cur:                                                    # fx_rates
        cur.execute("insert into fx_rates (currency, month, rate_to_reporting) values ('USD', '2026-07', 7.1)")
        cur.execute("insert into plan_assignments (assignment_id, rep_id, plan_id, from_date) "   # plan_assignments
                    "values (1, 'R01', $p, DATE '2026-01-01')", {"p": plan_id})
        cur.execute("insert into reps_history (move_id, rep_id, team, manager, from_date, to_date) "  # reps_history
                    "values (1, 'R01', '华东', null, null, DATE '2026-06-30'), "
                    "(2, 'R01', '华南', null, DATE '2026-07-01', null)")


@pytest.fixture(scope="module")
def rich_zip(tmp_path_factory, demo_copy) -> tuple[Path, dict[str, pd.DataFrame]]:
    """A backup of the rich demo database, with that database's full contents."""
    folder = tmp_path_factory.mktemp("rich")
    con = db.connect(demo_copy(folder / "rich.duckdb", "zh"))
    try:
        _rich(con)
        before = contents(con)
        backup.write(con, folder / "rich.zip")
    finally:
        con.close()
    return folder / "rich.zip", before


def test_round_trip_demo(tmp_path, rich_zip, demo_copy):
    path, _ = rich_zip
    con = db.connect(demo_copy(tmp_path / "x.duckdb", "zh"))
    try:
        _rich(con)
        before = contents(con)
        assert all(len(before[t]) > 0 for t in COMPARED), {t: len(f) for t, f in before.items()}
        out = tmp_path / "b.zip"
        manifest = backup.write(con, out)
        assert manifest["tables"]["deals"] == len(before["deals"]) == 15679 + 2
        db.reset(con)
        with db.transaction(con) as cur:   # and something the backup does not have
            cur.execute("delete from users")
            cur.execute("insert into reps (rep_id, name) values ('ZZ', 'after backup')")
        assert db.table_counts(con)["deals"] == 0
        version = db.data_version(con)
        backup.restore(con, out, with_users=True)       # users too: the whole database back
        assert_same(before, contents(con), epochs=False)
        assert db.data_version(con) > version          # the UI's caches see the change
        # sequences moved past the restored ids: the next import and note do not collide
        batch = ingest.load(con, ingest.prepare(REPS_CSV.replace(b"9000", b"9500"),
                                                "again.csv")).batch_id
        assert batch > int(before["imports"]["batch_id"].max())
        with db.transaction(con) as cur:
            note = cur.execute("insert into swot_notes (scope, scope_id, quadrant, text, origin) "
                               "values ('rep', 'R02', 'W', 'n', 'manual') returning note_id"
                               ).fetchall()[0][0]
        assert note > int(before["swot_notes"]["note_id"].max())
    finally:
        con.close()


def test_restore_keeps_undo_working(tmp_path, rich_zip):
    """import_undo is restored: undoing the roster import puts 测试甲 back as the deals file
    created him (no team, no salary)."""
    path, before = rich_zip
    con = db.connect(tmp_path / "fresh.duckdb")
    try:
        backup.restore(con, path)
        rep = "select team, base_salary from reps where name = '测试甲'"
        assert con.execute(rep).fetchall() == [("华东", 9000)]
        ingest.undo(con)
        assert con.execute(rep).fetchall() == [(None, None)]
    finally:
        con.close()


def test_restore_into_fresh_db_merges_audit_log(tmp_path, rich_zip):
    path, before = rich_zip
    con = db.connect(tmp_path / "fresh.duckdb")
    try:
        with db.transaction(con) as cur:
            audit.record(cur, "settings", {"lang": "en"}, user="bob")
        backup.restore(con, path)
        # everything but the users: this database had none, and keeps having none
        assert_same({t: f for t, f in before.items() if t != "users"},
                    contents(con, tuple(t for t in COMPARED if t != "users")))
        assert con.execute("select count(*) from users").fetchall() == [(0,)]
        log = audit.events(con)
        # bob's event is kept, the backup's events (the fixture's two imports, plan_edit, the
        # period closed, the plan published and a dispute, made when the fixture ran, so older) are
        # added, and the restore is recorded
        assert list(log["action"]) == ["restore", "settings", "quota_relief", "dispute_raise", "plan_publish",
                                       "period_close", "plan_edit", "import", "import"]
        assert log["user_name"].tolist()[1:] == ["bob", audit.actor(), audit.actor(), audit.actor(), audit.actor(),
                                                 "ann", audit.actor(), audit.actor()]
        # the backup's events say where they came from; this database's own events do not
        assert log["restored_from"].isna().tolist() == [True, True, False, False, False, False, False, False, False]
        origin = set(log["restored_from"][2:])
        made = json.loads(log["detail"][0])["created_at"].replace("T", " ")
        assert origin == {f"rich.zip · {made} · sha256:{_sha(path)[:16]}"}
        backup.restore(con, path)   # restoring twice adds no duplicate of the backup's events
        assert list(audit.events(con)["action"]) == ["restore", "restore", "settings", "quota_relief",
                                                     "dispute_raise", "plan_publish", "period_close", "plan_edit", "import", "import"]
    finally:
        con.close()


def test_backup_layout_and_plain_duckdb_can_import_it(tmp_path, rich_zip):
    path, before = rich_zip
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        archive.extractall(tmp_path / "x")
    assert names == {"manifest.json", "schema.sql", "load.sql",
                     *(f"{t}.parquet" for t in backup.ALL_TABLES)}
    assert manifest["schema_version"] == db.SCHEMA_VERSION and manifest["format"] == FORMAT
    assert {t: manifest["tables"][t] for t in COMPARED if t != "settings"} == {
        t: len(before[t]) for t in COMPARED if t != "settings"}
    plain = duckdb.connect()
    plain.execute(f"import database '{tmp_path / 'x'}'")
    assert plain.execute("select count(*) from deals").fetchall()[0][0] == 15681


FORMAT = backup.FORMAT


def test_failed_restore_changes_nothing(tmp_path, rich_zip, demo_copy):
    """users is the last table restored: by then every other table was replaced. A role the
    schema refuses makes the transaction roll back: all tables exactly as before."""
    path, _ = rich_zip
    bad = _rewrite_parquet(path, tmp_path, "users",
                           "select * replace ('god' as role) from read_parquet($p)")
    con = db.connect(demo_copy(tmp_path / "y.duckdb", "en"))
    try:
        before = contents(con)
        version = db.data_version(con)
        with pytest.raises(backup.BackupError) as err:
            backup.restore(con, bad, with_users=True)
        assert err.value.key == "backup.error.damaged" and err.value.params["name"] == "users.parquet"
        assert "unchanged" in str(err.value)
        assert_same(before, contents(con))
        assert db.data_version(con) == version
        assert audit.events(con).empty
    finally:
        con.close()


def _rewrite_parquet(path: Path, tmp: Path, table: str, select: str) -> bytes:
    """The backup at ``path`` with ``table``'s Parquet replaced by ``select`` over it."""
    src, dst = tmp / "src.parquet", tmp / "dst.parquet"
    with zipfile.ZipFile(path) as archive:
        src.write_bytes(archive.read(f"{table}.parquet"))
        members = {n: archive.read(n) for n in archive.namelist()}
    with duckdb.connect() as c:
        c.execute(f"copy ({select.replace('$p', repr(str(src)))}) to '{dst}' (format parquet)")
    members[f"{table}.parquet"] = dst.read_bytes()
    return _zip(members)


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def _with_manifest(members: dict[str, bytes], **changes) -> dict[str, bytes]:
    manifest = json.loads(members["manifest.json"])
    manifest.update(changes)
    return {**members, "manifest.json": json.dumps(manifest).encode()}


def _bad_zips(path: Path) -> dict[str, tuple[bytes, str]]:
    """name -> (zip bytes, expected error key suffix)."""
    good = _members(path)
    no_deals = {n: d for n, d in good.items() if n != "deals.parquet"}
    no_manifest = {n: d for n, d in good.items() if n != "manifest.json"}
    lying = _zip(good, zipfile.ZIP_DEFLATED)
    lying = _patch_declared_size(lying, "deals.parquet", 1000)
    encrypted = _set_encrypted_flag(_zip(good), "deals.parquet")
    counts = json.loads(good["manifest.json"])["tables"]
    return {
        "random bytes": (b"\x00\x01garbage" * 50, "not_zip"),
        "empty file": (b"", "not_zip"),
        "a csv renamed .zip": ("销售员,金额\n张三,100\n".encode(), "not_zip"),
        "no manifest": (_zip(no_manifest), "no_manifest"),
        "manifest not json": (_zip({**good, "manifest.json": b"{not json"}), "manifest"),
        "manifest is a list": (_zip({**good, "manifest.json": b"[1, 2]"}), "manifest"),
        "other format": (_zip(_with_manifest(good, format="something-else")), "manifest"),
        "newer schema": (_zip(_with_manifest(good, schema_version=db.SCHEMA_VERSION + 1)), "newer"),
        "schema as text": (_zip(_with_manifest(good, schema_version="1")), "manifest"),
        "table counts missing": (_zip(_with_manifest(good, tables={"deals": 1})), "manifest"),
        "negative count": (_zip(_with_manifest(good, tables={**counts, "deals": -1})), "manifest"),
        "huge sequence": (_zip(_with_manifest(good, sequences={"seq_batch": 2**63})), "manifest"),
        "member missing": (_zip(no_deals), "missing"),
        "unexpected member": (_zip({**good, "run_me.sh": b"rm -rf /"}), "unexpected"),
        "dot-dot path": (_zip({**good, "../../evil.parquet": b"x"}), "path"),
        "dot-dot inside": (_zip({**good, "a/../../deals.parquet": b"x"}), "path"),
        "absolute path": (_zip({**good, "/etc/cron.d/x": b"x"}), "path"),
        "backslash path": (_zip({**good, "..\\..\\x.parquet": b"x"}), "path"),
        "folder member": (_zip({**good, "sub/": b""}), "unexpected"),
        "duplicate member": (_duplicate(good, "deals.parquet"), "unexpected"),
        "too many members": (_zip({**good, **{f"f{i}": b"" for i in range(70)}}), "members"),
        "zip bomb (ratio)": (_zip({**good, "deals.parquet": b"\0" * (40 << 20)}), "bomb"),
        "lying size header": (lying, "damaged"),
        "encrypted member": (encrypted, "encrypted"),
        "row count differs": (_zip(_with_manifest(good, tables={**counts, "deals": 5})), "damaged"),
        "parquet is garbage": (_zip({**good, "reps.parquet": b"PAR1 not really"}), "damaged"),
    }


def _duplicate(members: dict[str, bytes], name: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for n, data in members.items():
            archive.writestr(n, data)
        with pytest.warns(UserWarning):
            archive.writestr(name, members[name])
    return buf.getvalue()


def _central_offsets(data: bytes, name: str) -> int:
    target = name.encode()
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        n_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + n_len] == target:
            return pos
        pos = data.find(b"PK\x01\x02", pos + 4)
    raise AssertionError(name)


def _patch_declared_size(data: bytes, name: str, size: int) -> bytes:
    """The member's uncompressed size in the central directory says ``size`` (a lie)."""
    pos = _central_offsets(data, name)
    out = bytearray(data)
    struct.pack_into("<I", out, pos + 24, size)
    return bytes(out)


def _set_encrypted_flag(data: bytes, name: str) -> bytes:
    pos = _central_offsets(data, name)
    out = bytearray(data)
    flags = struct.unpack_from("<H", out, pos + 8)[0]
    struct.pack_into("<H", out, pos + 8, flags | 0x1)
    return bytes(out)


BAD_NAMES = ["random bytes", "empty file", "a csv renamed .zip", "no manifest",
             "manifest not json", "manifest is a list", "other format", "newer schema",
             "schema as text", "table counts missing", "negative count", "huge sequence",
             "member missing", "unexpected member", "dot-dot path", "dot-dot inside",
             "absolute path", "backslash path", "folder member", "duplicate member",
             "too many members", "zip bomb (ratio)", "lying size header", "encrypted member",
             "row count differs", "parquet is garbage"]


@pytest.fixture(scope="module")
def bad_zips(rich_zip):
    return _bad_zips(rich_zip[0])


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    """A database with a little data whose contents the refused restores must keep."""
    path = tmp_path_factory.mktemp("small") / "small.duckdb"
    con = db.connect(path)
    ingest.load(con, ingest.prepare(DEALS_CSV, "deals.csv"))
    con.close()
    return path


@pytest.mark.parametrize("case", BAD_NAMES)
def test_bad_backup_refused_and_nothing_changes(case, bad_zips, small_db):
    data, reason = bad_zips[case]
    con = db.connect(small_db)
    try:
        before = contents(con, (*COMPARED, "audit_log"))
        version = db.data_version(con)
        with pytest.raises(backup.BackupError) as err:
            backup.restore(con, data)
        assert err.value.key == f"backup.error.{reason}", (case, str(err.value))
        assert str(err.value).startswith("Not restored, the database is unchanged: ")
        for lang in ("en", "zh"):   # a sentence in the user's language, placeholders filled
            text = i18n.error_text(err.value, lang)
            assert "{" not in text and text != err.value.key
        assert_same(before, contents(con, (*COMPARED, "audit_log")))
        assert db.data_version(con) == version
    finally:
        con.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _refused_unchanged(path: Path, data: bytes) -> backup.BackupError:
    """Restore ``data`` into the database at ``path``: refused, and the file (closed before
    and after) byte for byte as it was. Returns the refusal."""
    db.connect(path).close()
    before = _sha(path)
    con = db.connect(path)
    try:
        with pytest.raises(backup.BackupError) as err:
            backup.restore(con, data, with_users=True)
    finally:
        con.close()
    assert _sha(path) == before
    return err.value


def _with_rows(good: dict[str, bytes], tmp: Path, table: str, rows: int, claimed: int) -> bytes:
    """The backup with ``table`` holding ``rows`` copies of one row (Parquet compresses them to
    a few KB) and a manifest that claims ``claimed`` rows."""
    src, dst = tmp / "one.parquet", tmp / "many.parquet"
    src.write_bytes(good[f"{table}.parquet"])
    with duckdb.connect() as c:
        c.execute(f"copy (select b.* from (select * from read_parquet('{src}') limit 1) b, "
                  f"range({rows})) to '{dst}' (format parquet, compression zstd)")
    members = {**good, f"{table}.parquet": dst.read_bytes()}
    counts = json.loads(good["manifest.json"])["tables"]
    return _zip(_with_manifest(members, tables={**counts, table: claimed}))


def test_row_caps_name_table_and_cap():
    assert set(backup.MAX_ROWS) == set(backup.ALL_TABLES)
    # far above the scale target (1M+ deals), far below what takes the server's memory
    assert backup.MAX_ROWS["deals"] == 20_000_000 and backup.MAX_ROWS["audit_log"] == 1_000_000


def test_a_manifest_claiming_50_million_deals_is_refused_before_reading(rich_zip, tmp_path,
                                                                        small_db):
    good = _members(rich_zip[0])
    counts = json.loads(good["manifest.json"])["tables"]
    data = _zip(_with_manifest(good, tables={**counts, "deals": 50_000_000}))
    with pytest.raises(backup.BackupError) as err:
        backup.inspect(data)             # the Data page says so before the restore button
    assert str(err.value) == ("Not restored, the database is unchanged: the backup's deals table "
                              "holds 50,000,000 rows, more than salescore restores (20,000,000).")
    path = tmp_path / "s.duckdb"
    path.write_bytes(small_db.read_bytes())
    refusal = _refused_unchanged(path, data)
    assert refusal.key == "backup.error.too_many_rows"
    assert i18n.error_text(refusal, "zh") == ("备份中的 deals 表有 50,000,000 行，超过 salescore "
                                              "可恢复的上限（20,000,000 行），已拒绝。数据未做任何更改。")


@pytest.mark.parametrize("claimed", [1_000_001, 3])
def test_a_parquet_file_with_too_many_audit_rows_is_refused_before_loading(
        claimed, rich_zip, tmp_path, small_db):
    """One audit event repeated 1,000,001 times: a Parquet member of a few KB. With a manifest
    that agrees, and with one that lies (3 rows): the file's own metadata is read first."""
    data = _with_rows(_members(rich_zip[0]), tmp_path, "audit_log", 1_000_001, claimed)
    assert len(data) < 5_000_000
    path = tmp_path / "s.duckdb"
    path.write_bytes(small_db.read_bytes())
    refusal = _refused_unchanged(path, data)
    assert refusal.key == "backup.error.too_many_rows"
    assert refusal.params == {"table": "audit_log", "rows": "1,000,001", "cap": "1,000,000"}


def test_restored_audit_events_say_which_backup_they_came_from(tmp_path, rich_zip, small_db):
    """A backup can carry events nobody did here (a forged user_add by 'admin'): restored, they
    are marked with the backup's name, date and hash; this database's own events are not."""
    forged = _rewrite_parquet(rich_zip[0], tmp_path, "audit_log",
                              "select * replace ('user_add' as action, 'admin' as user_name) "
                              "from read_parquet($p) where action = 'plan_edit'")
    members = _members(rich_zip[0])
    members["audit_log.parquet"] = _members_of(forged)["audit_log.parquet"]
    counts = json.loads(members["manifest.json"])["tables"]
    data = _zip(_with_manifest(members, tables={**counts, "audit_log": 1}))
    path = tmp_path / "s.duckdb"
    path.write_bytes(small_db.read_bytes())
    con = db.connect(path)
    try:
        backup.restore(con, data, name="from-a-stranger.zip")
        log = audit.events(con)
    finally:
        con.close()
    made = json.loads(members["manifest.json"])["created_at"].replace("T", " ")
    event = log[log["action"] == "user_add"]
    assert event["user_name"].tolist() == ["admin"]
    assert event["restored_from"].tolist() == [
        f"from-a-stranger.zip · {made} · sha256:{hashlib.sha256(data).hexdigest()[:16]}"]
    own = log[log["action"] != "user_add"]      # the import of small_db and the restore
    assert set(own["action"]) == {"import", "restore"} and own["restored_from"].isna().all()


def _members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def test_unknown_column_refused(tmp_path, rich_zip, small_db):
    bad = _rewrite_parquet(rich_zip[0], tmp_path, "reps",
                           "select *, 'x' as password from read_parquet($p)")
    con = db.connect(small_db)
    try:
        with pytest.raises(backup.BackupError, match="columns this database does not know: password"):
            backup.restore(con, bad)
    finally:
        con.close()


def test_inspect_reads_the_manifest_only(rich_zip, bad_zips):
    manifest = backup.inspect(rich_zip[0])
    assert dict(backup.summary(manifest))["deals"] == 15681
    with pytest.raises(backup.BackupError):
        backup.inspect(bad_zips["dot-dot path"][0])


def test_failed_backup_leaves_no_half_file(tmp_path, con):
    target = tmp_path / "missing-folder" / "b.zip"
    with pytest.raises(backup.SalesCoreError) as err:
        backup.write(con, target)
    assert err.value.key == "backup.error.write"
    assert not target.exists() and not target.with_name("b.zip.partial").exists()


# --- command line ----------------------------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "salescore", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_backup_and_restore(tmp_path, rich_zip):
    path, before = rich_zip
    restored = tmp_path / "r.duckdb"
    done = _cli("restore", str(path), "--db", str(restored), "--with-users")
    assert done.returncode == 0, done.stderr
    assert "15681 deals" in done.stdout
    # the difference is printed before the restore line: ann comes with the backup
    assert done.stdout.splitlines()[:2] == ["Users and sign-in settings replaced by the backup's:",
                                            "  ann: only in the backup (admin)"]
    out = tmp_path / "again.zip"
    done = _cli("backup", "--out", str(out), "--db", str(restored))
    assert done.returncode == 0, done.stderr
    assert "Backup written to" in done.stdout and out.exists()
    con = db.connect(restored)
    try:
        assert_same(before, contents(con), epochs=False)
    finally:
        con.close()


def test_cli_refuses_bad_file_with_exit_2(tmp_path, small_db, bad_zips):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bad_zips["dot-dot path"][0])
    done = _cli("restore", str(bad), "--db", str(small_db))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "unsafe path" in done.stderr
    assert "Traceback" not in done.stderr
    done = _cli("restore", str(tmp_path / "nope.zip"), "--db", str(small_db))
    assert done.returncode == 2 and "no such file" in done.stderr


# --- the Data page component -----------------------------------------------------------------

def _component_app(path: str) -> None:
    import streamlit as st  # noqa: F811 - runs inside AppTest

    from salescore import db as sdb
    from salescore import ui as sui
    from salescore.ui import backup as component

    con = sdb.connect(path) if "con" not in st.session_state else st.session_state["con"]
    st.session_state["con"] = con
    st.session_state["lang"] = "en"   # what the sidebar's language choice sets
    sui.show_flash()
    component.render(con, "en")


@pytest.fixture
def component(tmp_path):
    path = tmp_path / "ui.duckdb"
    con = db.connect(path)
    ingest.load(con, ingest.prepare(DEALS_CSV, "deals.csv"))
    con.close()
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_function(_component_app, args=(str(path),), default_timeout=60)
    yield at, path
    if "con" in at.session_state:
        at.session_state["con"].close()


def test_component_restores_after_the_typed_word(component, rich_zip):
    at, path = component
    at.run()
    assert not at.exception
    assert at.get("download_button")[0].proto.label == "Download a backup"
    at.file_uploader(key="data_restore_upload").set_value(
        ("b.zip", rich_zip[0].read_bytes(), "application/zip")).run()
    assert "15,681 deals" in at.info[0].value
    assert at.button(key="data_restore_button").disabled
    assert at.text_input(key="data_restore_confirm").label == \
        "Type RESTORE to replace ALL current data with this backup"
    # the backup has a user this database lacks: listed, and kept out unless ticked
    assert at.dataframe[0].value.values.tolist() == [["ann", "only in the backup (admin)"]]
    assert at.checkbox(key="data_restore_users").value is False
    at.text_input(key="data_restore_confirm").set_value("RESTOR").run()
    assert at.button(key="data_restore_button").disabled
    at.text_input(key="data_restore_confirm").set_value(" restore ").run()   # case, spaces
    assert not at.button(key="data_restore_button").disabled
    at.checkbox(key="data_restore_users").check().run()
    assert at.warning[0].value.startswith("The backup's users and sign-in settings will replace")
    at.button(key="data_restore_button").click().run()
    assert not at.exception
    assert at.success[0].value == "Backup restored: 15,681 deals, 26 sales reps."  # 24 demo + 测试甲, 测试乙
    assert at.text_input(key="data_restore_confirm").value == ""   # typed again next time
    con = at.session_state["con"]
    assert_same(rich_zip[1], contents(con), epochs=False)
    # ann was not a user here: any session that claims to be her from before is ended
    assert con.execute("select session_epoch from users where name = 'ann'").fetchall() == [(1,)]


def test_component_refuses_a_click_without_the_word(component, rich_zip):
    """The button's callback checks the word itself: the word typed right, then changed and
    the button clicked in the same run (the button still looked enabled) changes nothing."""
    at, _ = component
    at.run()
    at.file_uploader(key="data_restore_upload").set_value(
        ("b.zip", rich_zip[0].read_bytes(), "application/zip")).run()
    at.text_input(key="data_restore_confirm").set_value("RESTORE").run()
    assert not at.button(key="data_restore_button").disabled
    con = at.session_state["con"]
    before = contents(con, (*COMPARED, "audit_log"))
    at.text_input(key="data_restore_confirm").set_value("RESET")
    at.button(key="data_restore_button").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Type RESTORE exactly to confirm: nothing was changed."]
    assert_same(before, contents(con, (*COMPARED, "audit_log")))


def test_component_shows_a_sentence_for_a_bad_file(component, bad_zips):
    at, _ = component
    at.run()
    at.file_uploader(key="data_restore_upload").set_value(
        ("b.zip", bad_zips["newer schema"][0], "application/zip")).run()
    assert not at.exception
    assert at.error[0].value.startswith("This backup was made by a newer salescore")
    assert len(at.button) == 0

"""Backup and restore of the whole database as one zip file (issue 10, "Shared use").

A backup is DuckDB's ``EXPORT DATABASE`` (one Parquet file per table plus ``schema.sql`` and
``load.sql``, so plain DuckDB can ``IMPORT DATABASE`` it too) taken from one consistent
snapshot, zipped together with ``manifest.json``: the format marker, salescore's schema
version, the time it was made, the row count of every table and the sequence positions.

A restore validates the zip before touching anything (manifest present and readable, schema
not newer than this salescore, exactly the expected members, no ``..`` or absolute paths,
no encrypted or oversized members: a zip bomb is refused from its headers and again while
extracting), then replaces the contents of every table in ONE transaction: a restore that
fails leaves the database exactly as it was. Things deliberately not overwritten:

- the ``data_version`` setting (it keys the UI's caches and must only grow);
- the users and the sign-in settings (``auth...`` keys), unless the admin asks for them
  (``with_users``; the Data page's checkbox, ``restore --with-users``): a backup must not
  quietly bring back a removed user with her old password. :func:`preview` lists what would
  change (users added, removed, with another role, team, password or single sign-on; never a
  hash). A restored user whose credentials differ from today's gets a new session epoch, so
  the sessions signed in before the restore end (the sign-in gate compares epochs);
- the audit log, which is append-only: events of the backup that the current log lacks are
  added with ``restored_from`` naming the backup (a file cannot pass off events as this
  database's own), none is deleted, and the restore itself is recorded.

Every table has a row cap (:data:`MAX_ROWS`), checked on the manifest and on each Parquet
file's own metadata before a row is loaded: Parquet compresses repeated rows so well that a
member of a few hundred KB holds 50 million audit rows (2.4 GB of memory to load).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

import duckdb

from salescore import audit, db, files, pg
from salescore import sql as sqlkit
from salescore.backup_users import (SIGN_IN_SETTING, Change, epochs, read_users, setting_changes,
                                    user_changes)
from salescore.errors import SalesCoreError

from salescore.backup_tables import (  # noqa: F401  (re-exported: backup.MAX_ROWS ...)
    FORMAT, FORMAT_VERSION, MANIFEST, RESTORE_TABLES, MERGE_TABLES, INFO_TABLES, ALL_TABLES, SINCE,
    tables_of, listed, SEQUENCES, EXTRA_FILES, MAX_MEMBERS, MAX_MANIFEST_BYTES, MAX_TOTAL_BYTES,
    MAX_RATIO, MAX_SEQUENCE_STEPS, _CHUNK, MAX_ROWS, MAX_CREATED_AT, MAX_LABEL)


class BackupError(SalesCoreError):
    """The file is not a salescore backup this version can restore (nothing was changed)."""

    key = "backup.error.invalid"


def _refuse(reason: str, message: str, **params: Any) -> BackupError:
    return BackupError(f"Not restored, the database is unchanged: {message}",
                       key=f"backup.error.{reason}", **params)


# --- backup ----------------------------------------------------------------------------------

def file_name(now: datetime | None = None) -> str:
    """A file name for a backup made now: salescore-backup-YYYYMMDD-HHMMSS.zip."""
    return f"salescore-backup-{(now or datetime.now()):%Y%m%d-%H%M%S}.zip"


def _sequences(cur: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = cur.execute("select sequence_name, last_value from duckdb_sequences() "
                       "where schema_name = 'main'").fetchall()
    return {name: int(last or 0) for name, last in rows if name in SEQUENCES}


def write(con: duckdb.DuckDBPyConnection, out: str | os.PathLike[str] | IO[bytes],
          user: str | None = None) -> dict[str, Any]:
    """Write a backup of the whole database to ``out`` (a path or a binary file object);
    returns its manifest. The export reads one snapshot: writes committed meanwhile by other
    threads are not half in it. The backup is recorded in the audit log.

    On PostgreSQL the same file is made: the tables are read into a private in-memory DuckDB
    (under the write lock, so no other writer commits meanwhile) and exported from there, so a
    laptop's backup restores on a server and the other way round."""
    if sqlkit.dialect(con) == "postgres":
        with _on_server(con) as (scratch, _):
            manifest, counts = _export(scratch, out)
    else:
        manifest, counts = _export(con, out)
    with db.transaction(con) as cur:
        audit.record(cur, "backup", {"tables": {t: n for t, n in counts.items()
                                                if t in db.DATA_TABLES}}, user=user)
    return manifest


def _export(con: duckdb.DuckDBPyConnection, out: str | os.PathLike[str] | IO[bytes]
            ) -> tuple[dict[str, Any], dict[str, int]]:
    with tempfile.TemporaryDirectory(prefix="salescore-backup-") as tmp:
        folder = Path(tmp) / "export"
        with con.cursor() as cur:
            cur.execute("begin transaction")
            try:
                counts = {}
                for table in ALL_TABLES:  # fixed names
                    counts[table] = int(cur.execute(f"select count(*) from {table}").fetchall()[0][0])
                sequences = _sequences(cur)
                # the folder is ours (a fresh temp dir), not user text; EXPORT takes no parameters
                cur.execute(f"export database '{_sql_path(folder)}' "
                            f"(format parquet, compression zstd)")
            except duckdb.Error as exc:   # e.g. the temp disk is full
                raise SalesCoreError(f"Cannot write the backup: {str(exc).splitlines()[0]}",
                                     key="backup.error.write", file=tempfile.gettempdir()) from None
            finally:
                cur.execute("rollback")
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                    "schema_version": db.SCHEMA_VERSION,
                    "created_at": datetime.now().isoformat(timespec="seconds"),
                    "tables": counts, "sequences": sequences}
        if isinstance(out, (str, os.PathLike)):
            # write next to the target, then rename: a failed backup never leaves half a zip
            target = Path(out)
            partial = target.with_name(target.name + ".partial")
            try:
                _zip(folder, manifest, partial)
                files.make_private(partial)   # every salary and password hash is in it
                os.replace(partial, target)
            except OSError as exc:
                partial.unlink(missing_ok=True)
                raise SalesCoreError(f"Cannot write the backup to {target}: {exc.strerror}.",
                                     key="backup.error.write", file=str(target)) from None
        else:
            _zip(folder, manifest, out)
    return manifest, counts


@contextmanager
def _on_server(con: Any, write_back: bool = False) -> Iterator[tuple[Any, Any]]:
    """(scratch, cursor): a private in-memory DuckDB holding a copy of every table of the
    PostgreSQL database ``con``, made inside one of its write transactions (the advisory
    lock: no other salescore writer commits until it ends). The backup rules then run on the
    copy exactly as on a file. With ``write_back`` the restored tables (and the merged audit
    log) replace the server's in the same transaction; data_version is the server's own."""
    scratch = db.connect(":memory:")
    try:
        with db.transaction(con) as cur:
            with db.transaction(scratch) as into:
                for table in ALL_TABLES:   # fixed names
                    if table == "schema_version":
                        continue
                    into.execute(f"delete from {table}")
                    sqlkit.insert_frame(into, table, cur.execute(
                        f"select * from {table}").to_arrow_table())
                for seq in SEQUENCES:
                    last, called = cur.execute(
                        f"select last_value, is_called from {seq}").fetchall()[0]
                    if called and int(last) > 0:
                        into.execute(f"select max(nextval('{seq}')) from range($n)",
                                     {"n": int(last)}).fetchall()
            yield scratch, cur
            if write_back:
                pg.copy_tables(scratch, cur, [t for t in (*RESTORE_TABLES, *MERGE_TABLES)
                                              if t != "settings"])
                cur.execute("delete from settings where key <> 'data_version'")
                cur.copy_in("settings", scratch.sql(
                    "select key, value from settings where key <> 'data_version'").to_arrow_table())
                for seq, last in _sequences(scratch).items():
                    if last > 0:
                        cur.execute(f"select setval('{seq}', $v)", {"v": last})
    finally:
        scratch.close()


def _zip(folder: Path, manifest: dict[str, Any], out: Path | IO[bytes]) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        for name in EXTRA_FILES:
            archive.write(folder / name, name)
        for table in ALL_TABLES:   # already zstd-compressed: stored as is
            archive.write(folder / f"{table}.parquet", f"{table}.parquet",
                          compress_type=zipfile.ZIP_STORED)


def backup_bytes(con: duckdb.DuckDBPyConnection, user: str | None = None) -> bytes:
    """The backup as bytes (for a download button)."""
    buf = io.BytesIO()
    write(con, buf, user=user)
    return buf.getvalue()


def _sql_path(path: Path) -> str:
    text = str(path)
    if "'" in text:  # temp dirs never hold quotes; refuse rather than escape
        raise SalesCoreError(f"Unusable temporary folder {text}.", key="error.generic")
    return text


# --- validation ------------------------------------------------------------------------------

def _open_zip(source: str | os.PathLike[str] | bytes | IO[bytes]) -> zipfile.ZipFile:
    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            return zipfile.ZipFile(io.BytesIO(bytes(source)))
        return zipfile.ZipFile(source)
    except FileNotFoundError:
        raise _refuse("not_found", f"{source}: no such file.", file=str(source)) from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _refuse("not_zip", "the file is not a zip file.") from None


def _check_members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refuse("members", f"the zip holds {len(infos)} files, more than a backup has.",
                      name=f"{len(infos)} files")
    expected = {MANIFEST, *EXTRA_FILES, *(f"{t}.parquet" for t in ALL_TABLES)}
    seen: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if (name.startswith(("/", "\\")) or "\\" in name or ".." in parts
                or re.match(r"^[A-Za-z]:", name) or "\x00" in name):
            raise _refuse("path", f"the zip holds a file with an unsafe path: {name!r}.", name=name)
        mode = info.external_attr >> 16
        if info.is_dir() or stat.S_ISLNK(mode):
            raise _refuse("unexpected", f"the zip holds {name!r}, which is not part of a backup.",
                          name=name)
        if name not in expected:
            raise _refuse("unexpected", f"the zip holds {name!r}, which is not part of a backup.",
                          name=name)
        if name in seen:
            raise _refuse("unexpected", f"the zip holds {name!r} twice.", name=name)
        if info.flag_bits & 0x1:
            raise _refuse("encrypted", "the zip is password-protected.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse("damaged", f"{name} uses an unsupported compression.", name=name)
        if info.file_size > (1 << 20) and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse("bomb", f"{name} would expand {info.file_size // max(info.compress_size, 1)}"
                          f" times: refused as a zip bomb.", name=name)
        total += info.file_size
        seen[name] = info
    if total > MAX_TOTAL_BYTES:
        raise _refuse("bomb", f"the zip would expand to {total / (1 << 30):.1f} GiB: refused.",
                      name=f"{total / (1 << 30):.1f} GiB")
    if MANIFEST not in seen:
        raise _refuse("no_manifest", "manifest.json is missing: this is not a salescore backup.")
    return seen


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, sink: IO[bytes],
                 limit: int) -> int:
    """Copy one member to ``sink``, stopping at its declared size (headers can lie)."""
    written = 0
    try:
        with archive.open(info) as src:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > min(info.file_size, limit):
                    raise _refuse("bomb", f"{info.filename} expands beyond its declared size: "
                                  f"refused as a zip bomb.", name=info.filename)
                sink.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise _refuse("damaged", f"{info.filename} cannot be read ({exc}).",
                      name=info.filename) from None
    return written


def _manifest(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> dict[str, Any]:
    buf = io.BytesIO()
    _read_member(archive, members[MANIFEST], buf, MAX_MANIFEST_BYTES)
    try:
        manifest = json.loads(buf.getvalue().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _refuse("manifest", "manifest.json is not readable.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse("manifest", "manifest.json does not describe a salescore backup.")
    version = manifest.get("schema_version")
    fmt_version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1 \
            or not isinstance(fmt_version, int) or isinstance(fmt_version, bool):
        raise _refuse("manifest", "manifest.json has no valid schema version.")
    if version > db.SCHEMA_VERSION or fmt_version > FORMAT_VERSION:
        raise _refuse("newer", f"the backup was made by a newer salescore (schema {version}, "
                      f"this one knows {db.SCHEMA_VERSION}): update salescore first.",
                      found=version, known=db.SCHEMA_VERSION)
    tables = manifest.get("tables")
    # every table of its schema version; a table added later only with its member
    if not isinstance(tables, dict) or not set(tables_of(version)) <= set(tables) <= set(ALL_TABLES) \
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                       for n in tables.values()):
        raise _refuse("manifest", "manifest.json does not list the row count of every table.")
    expected = listed(manifest)
    for table in expected:
        _check_rows(table, tables[table])
    created = manifest.get("created_at")
    if created is not None and (not isinstance(created, str) or len(created) > MAX_CREATED_AT):
        raise _refuse("manifest", "manifest.json has an unreadable creation time.")
    sequences = manifest.get("sequences", {})
    if not isinstance(sequences, dict) or not set(sequences) <= set(SEQUENCES) or not all(
            isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**62
            for n in sequences.values()):
        raise _refuse("manifest", "manifest.json has unreadable sequence positions.")
    missing = [f"{t}.parquet" for t in expected if f"{t}.parquet" not in members]
    if missing:
        raise _refuse("missing", f"the backup lacks {', '.join(missing)}.", name=", ".join(missing))
    return manifest


def _check_rows(table: str, rows: int) -> None:
    """Refuse a table longer than :data:`MAX_ROWS` allows (the sentence names table and cap)."""
    cap = MAX_ROWS[table]
    if rows > cap:
        raise _refuse("too_many_rows", f"the backup's {table} table holds {rows:,} rows, more "
                      f"than salescore restores ({cap:,}).",
                      table=table, rows=f"{rows:,}", cap=f"{cap:,}")


def inspect(source: str | os.PathLike[str] | bytes | IO[bytes]) -> dict[str, Any]:
    """Check a backup's zip structure and manifest without extracting the tables; returns the
    manifest (format, schema_version, created_at, tables: rows per table, sequences).
    Raises :class:`BackupError` with a sentence saying what is wrong."""
    with _open_zip(source) as archive:
        return _manifest(archive, _check_members(archive))


# --- restore ---------------------------------------------------------------------------------

Source = str | os.PathLike[str] | bytes | IO[bytes]


@dataclass(frozen=True)
class Preview:
    """What a restore would bring: the manifest, and how the backup's users and sign-in
    settings differ from the database's (what ``with_users`` would change)."""

    manifest: dict[str, Any]
    changes: tuple[Change, ...]


@contextmanager
def _opened(source: Source) -> Iterator[tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo],
                                              dict[str, Any], Path]]:
    """The checked zip, its members, its manifest and a private temporary folder."""
    with _open_zip(source) as archive, \
            tempfile.TemporaryDirectory(prefix="salescore-restore-") as tmp:
        members = _check_members(archive)
        yield archive, members, _manifest(archive, members), Path(tmp)


def _extract(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo],
             tables: tuple[str, ...], folder: Path) -> dict[str, Path]:
    """Copy the tables' Parquet members into ``folder`` under names of ours (never the zip's),
    within the total size budget."""
    paths: dict[str, Path] = {}
    budget = MAX_TOTAL_BYTES
    for table in tables:
        path = folder / f"t{len(paths)}.parquet"
        with path.open("wb") as sink:
            budget -= _read_member(archive, members[f"{table}.parquet"], sink, budget)
        paths[table] = path
    return paths


def preview(con: duckdb.DuckDBPyConnection, source: Source) -> Preview:
    """Check a backup like :func:`restore` does (zip, manifest, the users and settings files)
    and compare its users and sign-in settings with the database's; writes nothing."""
    if sqlkit.dialect(con) == "postgres":
        with _on_server(con) as (scratch, _):
            return preview(scratch, source)
    with _opened(source) as (archive, members, manifest, tmp):
        paths = _extract(archive, members, ("users", "settings"), tmp)
        with con.cursor() as cur:
            names = _check_file(cur, "users", paths["users"], manifest["tables"]["users"])
            _check_file(cur, "settings", paths["settings"], manifest["tables"]["settings"])
            changes = (*user_changes(*read_users(cur, paths["users"], names)),
                       *setting_changes(cur, paths["settings"]))
    return Preview(manifest, changes)


def restore(con: duckdb.DuckDBPyConnection, source: Source, user: str | None = None, *,
            with_users: bool = False, name: str | None = None) -> dict[str, Any]:
    """Replace the database's contents with the backup in ``source`` (path, bytes or file
    object), in one transaction; returns the manifest. The users and sign-in settings are
    kept unless ``with_users``. ``name``: the file's name for the audit log (a path's own
    name by default). On any problem raises :class:`BackupError` and the database is
    exactly as before. On PostgreSQL the restore runs on a copy of the server's tables
    (:func:`_on_server`) and replaces them in one server transaction."""
    with _opened(source) as (archive, members, manifest, tmp):
        paths = _extract(archive, members, listed(manifest), tmp)
        origin = backup_id(manifest, name or _name(source), _sha256(source))
        if sqlkit.dialect(con) == "postgres":
            with _on_server(con, write_back=True) as (scratch, _):
                _load(scratch, manifest, paths, user, with_users, origin)
        else:
            _load(con, manifest, paths, user, with_users, origin)
    return manifest


def _name(source: Source) -> str | None:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    named = getattr(source, "name", None)
    return Path(named).name if isinstance(named, str) else None


def _sha256(source: Source) -> str:
    """The backup file's SHA-256 (the zip as a whole, as ``sha256sum`` prints it)."""
    digest = hashlib.sha256()
    if isinstance(source, (bytes, bytearray, memoryview)):
        digest.update(source)
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
    else:
        at = source.tell()
        source.seek(0)
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
        source.seek(at)
    return digest.hexdigest()


def backup_id(manifest: dict[str, Any], name: str | None, sha256: str) -> str:
    """How restored audit rows name their backup (audit_log.restored_from): the file's name,
    when the backup says it was made, and the start of the file's SHA-256."""
    label = re.sub(r"[\x00-\x1f\x7f]", "", name or "")[:MAX_LABEL]
    made = str(manifest.get("created_at") or "?").replace("T", " ")
    return " · ".join(part for part in (label, made, f"sha256:{sha256[:16]}") if part)


def _columns(cur: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = cur.execute("select column_name, data_type from information_schema.columns "
                       "where table_schema = 'main' and table_name = $t order by ordinal_position",
                       {"t": table}).fetchall()
    return dict(rows)


def _check_file(cur: duckdb.DuckDBPyConnection, table: str, path: Path, rows: int) -> list[str]:
    """The columns of one extracted table file, after checking its row count (the file's own
    metadata, before anything is read) against the cap and the manifest, and its columns
    against the schema."""
    try:
        found = int(cur.execute("select num_rows from parquet_file_metadata($p)",
                                {"p": str(path)}).fetchall()[0][0])
    except (duckdb.Error, IndexError, TypeError):
        raise _refuse("damaged", f"{table}.parquet is damaged.", name=f"{table}.parquet") from None
    _check_rows(table, found)
    try:
        described = cur.execute("describe select * from read_parquet($p)", {"p": str(path)}
                                ).fetchall()
    except duckdb.Error:
        raise _refuse("damaged", f"{table}.parquet is damaged.", name=f"{table}.parquet") from None
    names = [r[0] for r in described]
    unknown = sorted(set(names) - set(_columns(cur, table)))
    if unknown or len(set(names)) != len(names):
        raise _refuse("damaged", f"{table}.parquet has columns this database does not know: "
                      f"{', '.join(unknown) or 'repeated names'}.", name=f"{table}.parquet")
    if found != rows:
        raise _refuse("damaged", f"{table}.parquet holds {found} rows, the manifest says {rows}.",
                      name=f"{table}.parquet")
    return names


def _replace_users(cur: duckdb.DuckDBPyConnection, path: Path, names: list[str],
                   epoch_of: dict[str, int]) -> None:
    """The backup's users in place of today's (by column name: a schema-3 backup has no
    email, sso or session_epoch), each with its session epoch from :func:`epochs`."""
    _empty(cur, "users")
    cols = ", ".join(f'"{c}"' for c in names)  # checked against the schema
    cur.execute(f"insert into users ({cols}) select {cols} from read_parquet($p)", {"p": str(path)})
    if epoch_of:
        cur.execute("update users set session_epoch = e.epoch from "
                    "(select unnest($n) as name, unnest($e) as epoch) e where users.name = e.name",
                    {"n": list(epoch_of), "e": list(epoch_of.values())})


def _load(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any], paths: dict[str, Path],
          user: str | None, with_users: bool, origin: str) -> None:
    counts = manifest["tables"]
    # settings a restore replaces: not data_version (it must only grow), nor sign-in's own
    # unless the users are replaced too
    kept = "key <> 'data_version'" + ("" if with_users else f" and not {SIGN_IN_SETTING}")
    replaced = tuple(t for t in RESTORE_TABLES if t != "users")
    step = "manifest.json"
    try:
        with db.transaction(con) as cur:
            cols = {t: _check_file(cur, t, paths[t], counts[t])
                    for t in (*RESTORE_TABLES, *MERGE_TABLES) if t in paths}
            now, then = read_users(cur, paths["users"], cols["users"])
            changes = [*user_changes(now, then), *setting_changes(cur, paths["settings"])]
            for table in reversed(replaced):
                if table == "settings":
                    cur.execute(f"delete from settings where {kept}")
                else:
                    _empty(cur, table)
            for table in (t for t in replaced if t in paths):   # older backups lack newer tables
                step = f"{table}.parquet"
                names = ", ".join(f'"{c}"' for c in cols[table])  # checked against the schema
                where = f" where {kept}" if table == "settings" else ""
                cur.execute(f"insert into {table} ({names}) select {names} "
                            f"from read_parquet($p){where}", {"p": str(paths[table])})
            if with_users:
                step = "users.parquet"
                _replace_users(cur, paths["users"], cols["users"], epochs(now, then))
            step = "audit_log.parquet"
            _merge_audit(cur, paths["audit_log"], origin)
            step = "manifest.json"
            _advance_sequences(cur, manifest.get("sequences", {}))
            audit.record(cur, "restore", {
                "backup": origin, "created_at": str(manifest.get("created_at")),
                "schema_version": manifest["schema_version"],
                "tables": {t: counts[t] for t in db.DATA_TABLES},
                "users": "replaced" if with_users else "kept",
                "differences": len(changes),
                "changed": [f"{c.kind} {c.name}" for c in changes[:50]]}, user=user)
    except duckdb.Error as exc:
        raise _refuse("damaged", f"{step} does not fit the database "
                      f"({str(exc).splitlines()[0]}).", name=step) from None


def _empty(cur: duckdb.DuckDBPyConnection, table: str) -> None:
    """Empty ``table`` by dropping and re-creating it from its own DDL (and its indexes).

    Inside the transaction like any delete, but DuckDB 2.0.1 deletes rows from a checkpointed
    primary-key index slowly (70k rows: 2.5 s) while DROP + CREATE takes milliseconds.
    """
    ddl = cur.execute("select sql from duckdb_tables() where schema_name = 'main' "
                      "and table_name = $t", {"t": table}).fetchall()
    indexes = [r[0] for r in cur.execute(
        "select sql from duckdb_indexes() where schema_name = 'main' and table_name = $t "
        "and sql is not null", {"t": table}).fetchall()]
    if not ddl:
        raise SalesCoreError(f"The database has no table {table}.", key="error.generic")
    cur.execute(f"drop table {table}")  # name from RESTORE_TABLES
    cur.execute(ddl[0][0])
    for statement in indexes:
        cur.execute(statement)


def _merge_audit(cur: duckdb.DuckDBPyConnection, path: Path, origin: str) -> None:
    """Append the backup's audit events the current log lacks (same time, action, user and
    detail); nothing is deleted. Restored events get new ids, in their original order, and
    ``restored_from`` = ``origin`` (:func:`backup_id`): whatever the file says, they are shown
    as coming from that backup, never as this database's own."""
    cur.execute("""
        insert into audit_log (event_at, user_name, action, detail, restored_from)
        select b.event_at, b.user_name, b.action, b.detail, $origin
        from read_parquet($p) b
        where not exists (
            select 1 from audit_log a
            where a.event_at = b.event_at and a.action = b.action
              and a.user_name is not distinct from b.user_name
              and cast(a.detail as varchar) is not distinct from cast(b.detail as varchar))
        order by b.event_at, b.event_id""", {"p": str(path), "origin": origin})


def _advance_sequences(cur: duckdb.DuckDBPyConnection, saved: dict[str, int]) -> None:
    """Move each sequence past the largest restored id and the backup's own position."""
    current = _sequences(cur)
    for seq, columns in SEQUENCES.items():
        highest = max([int(saved.get(seq, 0))] + [
            int(cur.execute(f"select coalesce(max({col}), 0) from {table}").fetchall()[0][0])
            for table, col in columns])  # names from the fixed SEQUENCES table
        steps = highest - current.get(seq, 0)
        if steps > MAX_SEQUENCE_STEPS:
            raise _refuse("damaged", f"the backup's ids in {columns[0][0]} are implausibly large.",
                          name=f"{columns[0][0]}.parquet")
        if steps > 0:
            cur.execute(f"select max(nextval('{seq}')) from range($n)", {"n": steps}).fetchall()


def summary(manifest: dict[str, Any]) -> list[tuple[str, int]]:
    """(table, rows) of the business tables in a manifest, in DATA_TABLES order plus plans."""
    tables = manifest.get("tables", {})
    return [(t, int(tables.get(t, 0))) for t in (*db.DATA_TABLES, "plans", "imports")]


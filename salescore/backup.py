"""Backup and restore of the whole database as one zip file (issue 10, "Shared use").

A backup is DuckDB's ``EXPORT DATABASE`` (one Parquet file per table plus ``schema.sql`` and
``load.sql``, so plain DuckDB can ``IMPORT DATABASE`` it too) taken from one consistent
snapshot, zipped together with ``manifest.json``: the format marker, salescore's schema
version, the time it was made, the row count of every table and the sequence positions.

A restore validates the zip before touching anything (manifest present and readable, schema
not newer than this salescore, exactly the expected members, no ``..`` or absolute paths,
no encrypted or oversized members: a zip bomb is refused from its headers and again while
extracting), then replaces the contents of every table in ONE transaction: a restore that
fails leaves the database exactly as it was. Two things are deliberately not overwritten:
the ``data_version`` setting (it keys the UI's caches and must only grow) and the audit log,
which is append-only: events of the backup that the current log lacks are added, none is
deleted, and the restore itself is recorded.
"""
from __future__ import annotations

import io
import json
import os
import re
import stat
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

import duckdb

from salescore import audit, db, files
from salescore.errors import SalesCoreError

FORMAT = "salescore-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

# Tables whose contents a restore replaces, in dependency order (parents first). Names come
# from this fixed list only, never from the zip.
RESTORE_TABLES: tuple[str, ...] = (*db.DATA_TABLES, "plans", "swot_notes", "actions", "imports",
                                   "import_undo", "settings", "users")
# Backed up and merged (append-only), never replaced.
MERGE_TABLES: tuple[str, ...] = ("audit_log",)
# Backed up for the record (and for a plain IMPORT DATABASE), not restored: the file keeps its own.
INFO_TABLES: tuple[str, ...] = ("schema_version",)
ALL_TABLES: tuple[str, ...] = (*RESTORE_TABLES, *MERGE_TABLES, *INFO_TABLES)

# sequence -> the (table, column) pairs holding its values; a restore moves the sequence
# past every restored value so that new rows never collide with restored ones.
SEQUENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "seq_batch": (("imports", "batch_id"), *((t, "batch_id") for t in db.DATA_TABLES),
                  ("import_undo", "batch_id")),
    "seq_note": (("swot_notes", "note_id"),),
    "seq_action": (("actions", "action_id"),),
    "seq_event": (("audit_log", "event_id"),),
}

EXTRA_FILES = ("schema.sql", "load.sql")
MAX_MEMBERS = 64
MAX_MANIFEST_BYTES = 1 << 20                 # 1 MiB
MAX_TOTAL_BYTES = 8 << 30                    # 8 GiB uncompressed, all members together
MAX_RATIO = 200                              # uncompressed / compressed, for members > 1 MiB
MAX_SEQUENCE_STEPS = 50_000_000              # ~5 s of nextval; real ids are far below
_CHUNK = 1 << 20


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
    threads are not half in it. The backup is recorded in the audit log."""
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
    with db.transaction(con) as cur:
        audit.record(cur, "backup", {"tables": {t: n for t, n in counts.items()
                                                if t in db.DATA_TABLES}}, user=user)
    return manifest


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
    if not isinstance(tables, dict) or set(tables) != set(ALL_TABLES) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in tables.values()):
        raise _refuse("manifest", "manifest.json does not list the row count of every table.")
    sequences = manifest.get("sequences", {})
    if not isinstance(sequences, dict) or not set(sequences) <= set(SEQUENCES) or not all(
            isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**62
            for n in sequences.values()):
        raise _refuse("manifest", "manifest.json has unreadable sequence positions.")
    missing = [f"{t}.parquet" for t in ALL_TABLES if f"{t}.parquet" not in members]
    if missing:
        raise _refuse("missing", f"the backup lacks {', '.join(missing)}.", name=", ".join(missing))
    return manifest


def inspect(source: str | os.PathLike[str] | bytes | IO[bytes]) -> dict[str, Any]:
    """Check a backup's zip structure and manifest without extracting the tables; returns the
    manifest (format, schema_version, created_at, tables: rows per table, sequences).
    Raises :class:`BackupError` with a sentence saying what is wrong."""
    with _open_zip(source) as archive:
        return _manifest(archive, _check_members(archive))


# --- restore ---------------------------------------------------------------------------------

def restore(con: duckdb.DuckDBPyConnection, source: str | os.PathLike[str] | bytes | IO[bytes],
            user: str | None = None) -> dict[str, Any]:
    """Replace the whole database with the backup in ``source`` (path, bytes or file object),
    in one transaction; returns the manifest. On any problem raises :class:`BackupError`
    and the database is exactly as before."""
    with _open_zip(source) as archive, \
            tempfile.TemporaryDirectory(prefix="salescore-restore-") as tmp:
        members = _check_members(archive)
        manifest = _manifest(archive, members)
        files: dict[str, Path] = {}
        budget = MAX_TOTAL_BYTES
        for table in ALL_TABLES:
            # the extracted file's name is ours, never the zip's
            path = Path(tmp) / f"t{len(files)}.parquet"
            with path.open("wb") as sink:
                budget -= _read_member(archive, members[f"{table}.parquet"], sink, budget)
            files[table] = path
        _load(con, manifest, files, user)
    return manifest


def _columns(cur: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = cur.execute("select column_name, data_type from information_schema.columns "
                       "where table_schema = 'main' and table_name = $t order by ordinal_position",
                       {"t": table}).fetchall()
    return dict(rows)


def _check_file(cur: duckdb.DuckDBPyConnection, table: str, path: Path, rows: int) -> list[str]:
    """The columns of one extracted table file, after checking it against the schema and the
    manifest's row count."""
    try:
        described = cur.execute("describe select * from read_parquet($p)", {"p": str(path)}
                                ).fetchall()
        found = int(cur.execute("select count(*) from read_parquet($p)", {"p": str(path)}
                                ).fetchall()[0][0])
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


def _load(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any], files: dict[str, Path],
          user: str | None) -> None:
    counts = manifest["tables"]
    step = "manifest.json"
    try:
        with db.transaction(con) as cur:
            cols = {t: _check_file(cur, t, files[t], counts[t])
                    for t in (*RESTORE_TABLES, *MERGE_TABLES)}
            for table in reversed(RESTORE_TABLES):
                if table == "settings":
                    cur.execute("delete from settings where key <> 'data_version'")
                else:
                    _empty(cur, table)
            for table in RESTORE_TABLES:
                step = f"{table}.parquet"
                names = ", ".join(f'"{c}"' for c in cols[table])  # checked against the schema
                where = " where key <> 'data_version'" if table == "settings" else ""
                cur.execute(f"insert into {table} ({names}) select {names} "
                            f"from read_parquet($p){where}", {"p": str(files[table])})
            step = "audit_log.parquet"
            _merge_audit(cur, files["audit_log"])
            step = "manifest.json"
            _advance_sequences(cur, manifest.get("sequences", {}))
            audit.record(cur, "restore", {"created_at": str(manifest.get("created_at")),
                                          "schema_version": manifest["schema_version"],
                                          "tables": {t: counts[t] for t in db.DATA_TABLES}},
                         user=user)
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


def _merge_audit(cur: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Append the backup's audit events the current log lacks (same time, action, user and
    detail); nothing is deleted. Restored events get new ids, in their original order."""
    cur.execute("""
        insert into audit_log (event_at, user_name, action, detail)
        select b.event_at, b.user_name, b.action, b.detail
        from read_parquet($p) b
        where not exists (
            select 1 from audit_log a
            where a.event_at = b.event_at and a.action = b.action
              and a.user_name is not distinct from b.user_name
              and cast(a.detail as varchar) is not distinct from cast(b.detail as varchar))
        order by b.event_at, b.event_id""", {"p": str(path)})


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


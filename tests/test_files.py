"""Files salescore creates are private: 0600 files in 0700 folders (issue 17, item 11)."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from salescore import db, files

ROOT = Path(__file__).resolve().parents[1]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_new_folder_are_private(tmp_path):
    path = tmp_path / "fresh" / "deeper" / "s.duckdb"
    old = os.umask(0o022)            # the usual default: files 0644, folders 0755
    try:
        con = db.connect(path)
        con.close()
    finally:
        os.umask(old)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700


def test_an_existing_folder_keeps_its_mode(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    files.private_dir(folder / "sub")
    assert mode(folder) == 0o755 and mode(folder / "sub") == 0o700


def test_write_private_replaces_a_readable_file(tmp_path):
    out = tmp_path / "deck.pptx"
    out.write_bytes(b"old")
    os.chmod(out, 0o644)
    files.write_private(out, b"new")
    assert out.read_bytes() == b"new" and mode(out) == 0o600


def test_the_command_line_creates_private_database_backup_and_deck(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(*args):
        done = subprocess.run([sys.executable, "-m", "salescore", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    database = tmp_path / "data" / "s.duckdb"
    run("demo", "--db", str(database))
    run("backup", "--out", str(tmp_path / "b.zip"), "--db", str(database))
    run("deck", "--db", str(database), "--out", str(tmp_path / "d.pptx"))
    for made in (database, tmp_path / "b.zip", tmp_path / "d.pptx"):
        assert mode(made) == 0o600, made
    wal = database.with_name(database.name + ".wal")
    assert not wal.exists() or mode(wal) == 0o600
    assert mode(database.parent) == 0o700

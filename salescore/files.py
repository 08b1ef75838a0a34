"""Files salescore creates are private to the user running it (the database holds salaries
and commissions; backups and decks copy them): 0600 files in 0700 folders."""
from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
#: The process umask salescore's commands and server run with: nothing for group or others.
PRIVATE_UMASK = 0o077


def keep_private() -> None:
    """Make every file and folder this process creates from now on private (umask 077): the
    database and its WAL, backups, decks, DuckDB's temporary files. Called first by the
    command line and by app.py."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` as a folder, created (with its missing parents) as 0700 when it is new; an
    existing folder is left as its owner set it."""
    folder = Path(path)
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True)
    for created in missing:
        os.chmod(created, PRIVATE_DIR)
    return folder


def make_private(path: str | os.PathLike[str]) -> None:
    """Restrict an existing file to its owner (0600)."""
    os.chmod(path, PRIVATE_FILE)


def write_private(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` as a 0600 file (an existing file is made 0600 too)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    make_private(path)

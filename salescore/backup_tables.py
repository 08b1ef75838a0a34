"""What a salescore backup holds and the limits a restore checks it against (the format's
constants, shared by salescore.backup and its tests). Names come from these fixed lists only,
never from a zip."""
from __future__ import annotations

from typing import Any

from salescore import db

FORMAT = "salescore-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

# Tables whose contents a restore replaces, in dependency order (parents first). Names come
# from this fixed list only, never from the zip.
RESTORE_TABLES: tuple[str, ...] = (*db.DATA_TABLES, "plans", "swot_notes", "actions", "imports",
                                   "import_undo", "settings", "users", "rep_photos", "statements",
                                   "forecast_submissions", "plan_acks", "disputes", "quota_relief",
                                   "plan_assignments", "reps_history")
# Backed up and merged (append-only), never replaced.
MERGE_TABLES: tuple[str, ...] = ("audit_log",)
# Backed up for the record (and for a plain IMPORT DATABASE), not restored: the file keeps its own.
INFO_TABLES: tuple[str, ...] = ("schema_version",)
ALL_TABLES: tuple[str, ...] = (*RESTORE_TABLES, *MERGE_TABLES, *INFO_TABLES)
# The schema version that added a table: a backup made before it has no such member, and its
# restore leaves the table empty (as the backed-up database had it).
SINCE: dict[str, int] = {"rep_photos": 5, "statements": 7, "forecast_submissions": 7, "deal_credits": 7, "plan_acks": 7,
                        "disputes": 8, "fx_rates": 8,
                        "quota_relief": 8, "plan_assignments": 9, "reps_history": 9}


def tables_of(version: int) -> tuple[str, ...]:
    """The tables a backup made at schema ``version`` holds, in ALL_TABLES order."""
    return tuple(t for t in ALL_TABLES if SINCE.get(t, 1) <= version)


def listed(manifest: dict[str, Any]) -> tuple[str, ...]:
    """The tables a (checked) manifest lists, in ALL_TABLES order."""
    return tuple(t for t in ALL_TABLES if t in manifest["tables"])


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

#: Rows per table a restore accepts: far above what a real company reaches (the scale target
#: is 1M+ deals; an audit event is one import, edit or sign-in setting, so 1M of them is a
#: century of daily use), far below what takes the server's memory.
MAX_ROWS: dict[str, int] = {
    "reps": 1_000_000, "customers": 20_000_000, "products": 1_000_000, "deals": 20_000_000,
    "deal_history": 50_000_000, "activities": 50_000_000, "satisfaction": 20_000_000,
    "trainings": 10_000_000, "payments": 20_000_000, "targets": 10_000_000, "plans": 100_000,
    "swot_notes": 1_000_000, "actions": 1_000_000, "imports": 1_000_000,
    "import_undo": 20_000_000, "settings": 100_000, "users": 100_000, "audit_log": 1_000_000,
    "schema_version": 1_000, "rep_photos": 100_000,   # ~30 KB each (salescore/photos.py)
    "statements": 10_000_000,                         # a rep per closed period
    "deal_credits": 50_000_000, "plan_acks": 1_000_000, "disputes": 1_000_000,
    "fx_rates": 1_000_000,                            # a currency per month
    "quota_relief": 1_000_000,
    "plan_assignments": 1_000_000, "reps_history": 1_000_000,
    "forecast_submissions": 10_000_000,               # company, teams and reps per submission
}
MAX_CREATED_AT = 64                          # characters of the manifest's created_at
MAX_LABEL = 120                              # characters of a file name in restored_from

"""Opening, migrating and locking the database file."""
from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from salescore import db
from salescore.errors import DatabaseBusy, SchemaVersionError

TABLES = {"reps", "customers", "products", "deals", "activities", "satisfaction", "trainings",
          "payments", "targets", "plans", "swot_notes", "actions", "imports", "settings", "users",
          "audit_log", "schema_version"}


def test_new_file_gets_every_table_and_a_version(tmp_path):
    con = db.connect(tmp_path / "new.duckdb")
    names = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert TABLES <= names
    assert db.schema_version(con) == db.SCHEMA_VERSION
    con.close()
    again = db.connect(tmp_path / "new.duckdb")  # reopening does not re-apply
    assert again.execute("select count(*) from schema_version").fetchall()[0][0] == 1
    again.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.duckdb"
    db.connect(path).close()
    raw = duckdb.connect(str(path))
    raw.execute("insert into schema_version (version) values (99)")
    raw.close()
    with pytest.raises(SchemaVersionError, match="newer salescore"):
        db.connect(path)


def test_transaction_rolls_back_on_error(con):
    with pytest.raises(ZeroDivisionError):
        with db.transaction(con) as cur:
            cur.execute("insert into reps (rep_id, name) values ('R1', 'Ann')")
            raise ZeroDivisionError
    assert con.execute("select count(*) from reps").fetchall()[0][0] == 0


def test_data_version_moves_on_every_write(con):
    before = db.data_version(con)
    db.set_setting(con, "stage_order", ["a", "b"])
    assert db.data_version(con) == before + 1
    assert db.get_setting(con, "stage_order") == ["a", "b"]


def test_second_process_gets_a_sentence(tmp_path):
    path = tmp_path / "busy.duckdb"
    con = db.connect(path)
    try:
        code = ("import sys; from salescore import db, errors\n"
                "try:\n    db.connect(sys.argv[1])\n"
                "except errors.DatabaseBusy as e:\n    print(e); sys.exit(3)\n")
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 3, done.stderr
        assert "open in another salescore window" in done.stdout
    finally:
        con.close()


def test_reset_empties_business_tables(con):
    from tests.conftest import insert
    insert(con, "reps", [{"rep_id": "R1", "name": "Ann"}])
    db.reset(con)
    assert db.table_counts(con)["reps"] == 0


def test_busy_error_class():
    assert issubclass(DatabaseBusy, Exception)

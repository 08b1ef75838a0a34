"""Opening, migrating and locking the database file."""
from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

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


def test_schema_1_file_is_migrated_keeping_its_deals(tmp_path):
    """A file written by schema 1 (deals with a primary key) opens as schema 2: same rows and
    constraints, no key index on deals."""
    path = tmp_path / "v1.duckdb"
    raw = duckdb.connect(str(path))
    v1 = db._schema_sql().replace("deal_id             VARCHAR NOT NULL,",
                                  "deal_id             VARCHAR PRIMARY KEY,")
    assert v1 != db._schema_sql()
    for statement in db._statements(v1):
        raw.execute(statement)
    raw.execute("create table schema_version (version integer not null, applied_at timestamp)")
    raw.execute("insert into schema_version (version) values (1)")
    raw.execute("insert into deals (deal_id, rep_id, status, amount) values "
                "('D1', 'R1', 'won', 10.50), ('D2', 'R2', 'open', null)")
    assert raw.execute("select count(*) from duckdb_constraints() where table_name = 'deals' "
                       "and constraint_type = 'PRIMARY KEY'").fetchall()[0][0] == 1
    raw.close()
    con = db.connect(path)
    assert db.schema_version(con) == db.SCHEMA_VERSION
    assert con.execute("select deal_id, rep_id, status, amount from deals order by deal_id"
                       ).fetchall() == [("D1", "R1", "won", Decimal("10.50")),
                                        ("D2", "R2", "open", None)]
    kinds = {r[0] for r in con.execute("select constraint_type from duckdb_constraints() "
                                       "where table_name = 'deals'").fetchall()}
    assert "PRIMARY KEY" not in kinds and {"NOT NULL", "CHECK"} <= kinds
    with pytest.raises(duckdb.ConstraintException):
        con.execute("insert into deals (deal_id, rep_id, status) values ('D3', 'R1', 'maybe')")
    con.close()


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


def test_data_version_remembered_until_this_process_writes(tmp_path):
    path = tmp_path / "v.duckdb"
    con = db.connect(path)
    try:
        first = db.data_version(con, str(path))
        # a write outside transaction() is not a salescore write: the remembered number stays
        con.execute("update settings set value = to_json(999) where key = 'data_version'")
        assert db.data_version(con, str(path)) == first
        assert db.data_version(con) == 999              # without a path: always read
        db.set_setting(con, "stage_order", ["a"])        # any transaction: read again
        assert db.data_version(con, str(path)) == 1000
    finally:
        con.close()


def test_schema_2_file_is_migrated_to_the_newest(tmp_path):
    """A schema-2 file gains the order, currency, forecast-category and reached-stage columns,
    reps.leave_date and deal_history (3), the users' sign-on columns and audit_log.restored_from
    (4), rep_photos (5) and imports.as_of (6); its rows are kept and new columns are NULL or
    their default."""
    import subprocess

    old_sql = subprocess.run(["git", "show", "4d4a1e1:salescore/schema.sql"], capture_output=True,
                             text=True, cwd=Path(__file__).resolve().parents[1])
    if old_sql.returncode != 0:
        pytest.skip("no git history here")
    path = tmp_path / "v2.duckdb"
    raw = duckdb.connect(str(path))
    for statement in db._statements(old_sql.stdout):
        raw.execute(statement)
    raw.execute("create table schema_version (version integer not null, applied_at timestamp)")
    raw.execute("insert into schema_version (version) values (2)")
    raw.execute("insert into reps (rep_id, name) values ('R1', 'Ann')")
    raw.execute("insert into deals (deal_id, rep_id, status, amount) values ('D1', 'R1', 'won', 5)")
    raw.execute("insert into users (user_id, name, role) values ('U1', 'Ann', 'admin')")
    raw.execute("insert into imports (batch_id, file_name, kind) values (1, 'a.csv', 'deals')")
    raw.close()
    con = db.connect(path)
    assert db.schema_version(con) == db.SCHEMA_VERSION == 9
    assert con.execute("select count(*) from disputes").fetchall() == [(0,)]
    # schema 8: the amount as imported is the amount (no currency conversion yet)
    assert con.execute("select amount_local from deals").fetchall() == [(Decimal("5.00"),)]
    assert con.execute("select count(*) from statements").fetchall() == [(0,)]
    assert con.execute("select file_name, as_of from imports").fetchall() == [("a.csv", None)]
    assert con.execute("select count(*) from rep_photos").fetchall() == [(0,)]
    assert con.execute("select name, email, sso, session_epoch from users").fetchall() == [
        ("Ann", None, False, 0)]
    assert con.execute("select deal_id, amount, order_id, currency, forecast_category, "
                       "reached_stage from deals").fetchall() == [("D1", Decimal("5.00"), None, None, None, None)]
    assert con.execute("select leave_date from reps").fetchall() == [(None,)]
    assert con.execute("select count(*) from deal_history").fetchall() == [(0,)]
    fresh = db.connect(tmp_path / "new.duckdb")
    columns = "select table_name, column_name, data_type from information_schema.columns " \
              "where table_name in ('deals', 'reps', 'deal_history', 'users', 'audit_log', 'imports') order by table_name, ordinal_position"
    assert con.execute(columns).fetchall() == fresh.execute(columns).fetchall()
    con.close()
    fresh.close()


def test_reporting_currency(con):
    assert db.reporting_currency(con) is None
    con.execute("insert into deals (deal_id, rep_id, status, currency) values "
                "('a', 'R1', 'won', 'USD'), ('b', 'R1', 'won', 'USD'), ('c', 'R1', 'won', 'CNY')")
    assert db.reporting_currency(con) == "USD"
    db.set_setting(con, "reporting_currency", "CNY")
    assert db.reporting_currency(con) == "CNY"

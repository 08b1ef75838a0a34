"""The PostgreSQL backend (DESIGN.md section 9): the SQL translation (no server needed), and on a
real server (SALESCORE_TEST_PG, started by .ci/run): one sentence and exit 2 for every
connection mistake, the schema, the data version across processes, roles in the queries, and
the demo's figures identical to DuckDB's."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from salescore import access, db, pg, sql
from salescore.errors import SalesCoreError
from tests.conftest import PG_URL, _pg_admin, _pg_url, insert

needs_pg = pytest.mark.skipif(not PG_URL, reason="PostgreSQL tests need SALESCORE_TEST_PG")


# --- the text psycopg is sent ------------------------------------------------------------------

def test_named_parameters_become_psycopg_placeholders():
    text, named = pg.translate("select * from deals where rep_id = $rep and team = $team")
    assert named
    assert text == "select * from deals where rep_id = %(rep)s and team = %(team)s"


def test_percent_signs_are_doubled_and_quoted_text_left_alone():
    text, _ = pg.translate("select strftime(d, '%Y-%m'), '$not_a_param' from t where x = $x")
    assert text == "select strftime(d, '%%Y-%%m'), '$not_a_param' from t where x = %(x)s"


def test_text_without_parameters_is_sent_as_it_is():
    script = "create function f() returns int language sql as $$select 1 % 2$$; select 1"
    assert pg.translate(script) == (script, False)


def test_positional_question_marks_only_when_asked():
    assert pg.translate("insert into t values (?, ?)", positional=True)[0] == \
        "insert into t values (%s, %s)"
    assert pg.translate("select '?' as q, $a", positional=False)[0] == "select '?' as q, %(a)s"


def test_create_or_replace_temp_table_becomes_drop_and_create():
    text, _ = pg.translate("create or replace temp table _ids as select $a as x")
    assert text == "drop table if exists _ids; create temp table _ids as select %(a)s as x"


def test_password_never_shown():
    assert pg._safe("postgresql://ann:s3cret@db.example.com:5432/sales") == \
        "postgresql://ann:***@db.example.com:5432/sales"


def test_numbers_computed_without_a_scale_come_back_as_duckdb_gives_them():
    from decimal import Decimal

    assert pg._plain(Decimal("42")) == 42 and isinstance(pg._plain(Decimal("42")), int)
    assert pg._plain(Decimal("12.50")) == Decimal("12.50")          # money stays exact
    assert isinstance(pg._plain(Decimal("2.5000000000000000")), float)   # avg()


# --- connection mistakes: one sentence, exit 2 -------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "salescore", *args], capture_output=True,
                          text=True, timeout=60)


def _one_sentence(result: subprocess.CompletedProcess, expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert expected in result.stderr


def test_unreachable_server_is_one_sentence():
    # port 9 on loopback: nothing listens there
    _one_sentence(_cli("metrics", "--json", "--db", "postgresql://salescore@127.0.0.1:9/x"),
                  "Cannot reach a PostgreSQL server at postgresql://salescore@127.0.0.1:9/x")


def test_malformed_address_is_one_sentence():
    _one_sentence(_cli("metrics", "--db", "postgresql://ann:pw@127.0.0.1:5432/x?nonsense=1"),
                  "postgresql://ann:***@127.0.0.1:5432/x?nonsense=1 is not a valid PostgreSQL")


@needs_pg
def test_missing_database_and_user_are_one_sentence_each():
    missing = _pg_url("no_such_database_here")
    _one_sentence(_cli("metrics", "--json", "--db", missing),
                  f"The database named in {missing} does not exist")
    nobody = PG_URL.replace("://salescore@", "://no_such_role@")
    _one_sentence(_cli("metrics", "--db", nobody), "The user named in")


@needs_pg
def test_wrong_password_is_one_sentence_and_hides_the_password():
    with _pg_admin() as admin:   # the cluster asks this role for a password (scripts/pg-cluster.sh)
        admin.execute("drop role if exists salescore_pw")
        admin.execute("create role salescore_pw login password 'the-right-one'")
    wrong = PG_URL.replace("://salescore@", "://salescore_pw:not-it@")
    result = _cli("metrics", "--db", wrong)
    _one_sentence(result, "refused the user name or password")
    assert "not-it" not in result.stderr


@needs_pg
def test_server_older_than_the_oldest_supported_is_refused(monkeypatch):
    monkeypatch.setattr(pg, "MIN_SERVER", 990000)   # this real server counts as too old
    with pytest.raises(SalesCoreError, match="salescore needs 13 or newer") as err:
        db.connect(PG_URL)
    assert err.value.key == "error.pg_version"


# --- schema, versions, transactions -------------------------------------------------------

@needs_pg
def test_new_database_gets_every_table_and_a_second_connect_migrates_nothing(pg_database):
    url = pg_database()
    con = db.connect(url)
    try:
        names = {r[0] for r in sql.rows(
            con, "select table_name from information_schema.tables where table_schema = 'public'")}
        assert {"deals", "reps", "plans", "users", "audit_log", "plan_assignments"} <= names
        assert db.schema_version(con) == db.SCHEMA_VERSION
        assert db.migrate(con) == db.SCHEMA_VERSION
        assert sql.scalar(con, "select count(*) from schema_version") == 1
    finally:
        con.close()


@needs_pg
def test_two_processes_creating_the_schema_at_once_both_succeed(pg_database):
    url = pg_database()
    with _pg_admin() as admin:   # an empty database, not the migrated template
        name = url.rsplit("/", 1)[1]
        admin.execute(f"drop database {name} with (force)")
        admin.execute(f"create database {name}")
    code = f"from salescore import db; c = db.connect({url!r}); print(db.schema_version(c))"
    runs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [r.communicate(timeout=120) for r in runs]
    assert [r.returncode for r in runs] == [0, 0, 0], [o[1] for o in outs]
    assert {o[0].strip() for o in outs} == {str(db.SCHEMA_VERSION)}


@needs_pg
def test_data_version_sees_another_process_write(pg_database):
    url = pg_database()
    con = db.connect(url)
    try:
        before = db.data_version(con, url)
        subprocess.run([sys.executable, "-c", "from salescore import db; "
                        f"db.set_setting(db.connect({url!r}), 'stage_order', ['a'])"],
                       check=True, timeout=60)
        assert db.data_version(con, url) == before + 1
        assert db.get_setting(con, "stage_order") == ["a"]
    finally:
        con.close()


@needs_pg
def test_frames_have_the_types_duckdb_gives(tmp_path, pg_database):
    rows = [{"deal_id": "D1", "rep_id": "R1", "status": "won", "amount": 1250.5,
             "created_date": date(2026, 1, 5), "close_date": date(2026, 2, 1)},
            {"deal_id": "D2", "rep_id": "R1", "status": "open", "amount": None,
             "created_date": date(2026, 1, 7), "close_date": None}]
    query = ("select deal_id, amount, close_date, count(*) over () as n, "
             "amount::FLOAT8 / 2 as half, status = 'won' as won from deals order by deal_id")
    frames = []
    for target in (tmp_path / "t.duckdb", pg_database()):
        con = db.connect(target)
        try:
            insert(con, "deals", rows)
            frames.append(sql.run(con, query))
            assert sql.run(con, "select sum(amount) as s from deals", frame=False) == \
                [{"s": pytest.approx(1250.5)}]
        finally:
            con.close()
    duck, post = frames
    assert list(duck.dtypes.astype(str)) == list(post.dtypes.astype(str))
    assert duck.astype(str).equals(post.astype(str))


# --- roles are in the queries --------------------------------------------------------------

@pytest.fixture(scope="module")
def pg_demo(pg_database):
    """A copy of the Chinese demo on the test server (module scope: tests only read it)."""
    con = db.connect(pg_database("demo-zh"))
    yield con
    con.close()


@needs_pg
def test_a_rep_sees_only_their_own_rows_and_cannot_write(pg_demo):
    rep = access.User("r", "rep", rep_id="R01")
    mine = access.restricted(pg_demo, rep)
    assert sql.rows(mine, "select count(distinct rep_id), min(rep_id) from deals") == [(1, "R01")]
    assert sql.scalar(mine, "select count(*) from users") == 0
    assert sql.scalar(mine, "select count(*) from payments where rep_id <> 'R01'") == 0
    total = sql.scalar(pg_demo, "select count(*) from deals")
    with pytest.raises(access.ReadOnlyError):
        sql.rows(mine, "delete from deals")
    assert sql.scalar(pg_demo, "select count(*) from deals") == total


@needs_pg
def test_a_manager_sees_their_team_and_a_viewer_no_salary(pg_demo):
    team = sql.scalar(pg_demo, "select team from reps where rep_id = 'R01'")
    manager = access.restricted(pg_demo, access.User("m", "manager", team=team))
    expected = sql.scalar(pg_demo, "select count(*) from deals d join reps r using (rep_id) "
                                   "where r.team = $t", {"t": team})
    assert sql.scalar(manager, "select count(*) from deals") == expected
    # the first-won view of a restricted session counts its own deals only
    assert sql.scalar(manager, "select count(*) from _first_won") < \
        sql.scalar(pg_demo, "select count(*) from _first_won")
    viewer = access.restricted(pg_demo, access.User("v", "viewer"))
    assert sql.rows(viewer, "select count(*), max(base_salary) from reps") == [(24, None)]


@needs_pg
def test_two_users_of_one_role_on_one_pool_never_see_each_other(pg_demo):
    ann = access.restricted(pg_demo, access.User("a", "rep", rep_id="R01"))
    bob = access.restricted(pg_demo, access.User("b", "rep", rep_id="R02"))
    with ann.cursor() as a, bob.cursor() as b:   # two pooled connections at once
        assert a.execute("select distinct rep_id from deals").fetchall() == [("R01",)]
        assert b.execute("select distinct rep_id from deals").fetchall() == [("R02",)]
    with bob.cursor() as b:   # a connection back from the pool holds no earlier scope
        assert b.execute("select distinct rep_id from deals").fetchall() == [("R02",)]


# --- the same figures on both ------------------------------------------------------------

@needs_pg
@pytest.mark.parametrize("command", [["metrics", "--json"], ["payouts", "--json"]])
def test_demo_json_is_identical_on_both_backends(command, demo_template, pg_database, tmp_path):
    if command[0] == "payouts":
        from salescore import demo

        plan = tmp_path / "plan.json"
        plan.write_text(json.dumps(demo.PLAN_SPEC, ensure_ascii=False), encoding="utf-8")
        command = [*command, "--plan", str(plan), "--period", "2026-Q3"]
    duck = _cli(*command, "--db", str(demo_template("zh")))
    post = _cli(*command, "--db", pg_database("demo-zh"))
    assert duck.returncode == 0 and post.returncode == 0, post.stderr[-2000:]
    assert post.stdout == duck.stdout
    assert json.loads(post.stdout)   # and it is a real figure set, not an empty one


# --- several processes writing at once ---------------------------------------------------------

_WRITER = """
import sys
from salescore import db, incentives
from salescore.team import swot_notes
con = db.connect(sys.argv[1])
me = sys.argv[2]
for i in range(15):
    swot_notes.add_note(con, "team", "East", "S", f"{me} note {i}")
    with db.transaction(con) as cur:   # a read-modify-write: lost without the write lock
        n = cur.execute("select coalesce(max(cast(cast(value as varchar) as integer)), 0) "
                        "from settings where key = 'counter'").fetchall()[0][0]
        cur.execute("insert into settings (key, value) values ('counter', $v) "
                    "on conflict (key) do update set value = excluded.value", {"v": str(n + 1)})
incentives.save_plan(con, incentives.template("standard", name=f"Plan of {me}"))
con.close()
"""


@needs_pg
@pytest.mark.slow
def test_several_processes_writing_at_once_lose_nothing(pg_database):
    url = pg_database()
    before = db.data_version(db.connect(url))
    runs = [subprocess.Popen([sys.executable, "-c", _WRITER, url, f"w{k}"], stderr=subprocess.PIPE,
                             text=True) for k in range(3)]
    errors = [r.communicate(timeout=300)[1] for r in runs]
    assert [r.returncode for r in runs] == [0, 0, 0], errors
    con = db.connect(url)
    try:
        assert sql.scalar(con, "select count(*) from swot_notes") == 45
        assert sql.scalar(con, "select count(distinct note_id) from swot_notes") == 45
        assert db.get_setting(con, "counter") == 45
        assert sql.scalar(con, "select count(distinct name) from plans") == 3
        # every write committed once: 15 notes + 15 counters per process, and 3 plans
        assert db.data_version(con) - before == 3 * 30 + 3
    finally:
        con.close()

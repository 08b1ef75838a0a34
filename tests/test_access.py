"""Users, passwords and role restrictions (salescore.access) on real DuckDB files."""
from __future__ import annotations

import hashlib
import math
import threading
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from salescore import access, customers, db, demo, incentives, lockout, me, metrics, retention, team
from salescore.access import User
from salescore.errors import SalesCoreError
from salescore.metrics import Scope
from salescore.periods import parse

from tests.conftest import insert

Q1 = (date(2026, 1, 1), date(2026, 3, 31))
MANAGER_A = User("lead-a", "manager", "A")
VIEWER = User("look", "viewer")


# --- passwords and users ------------------------------------------------------------------

def test_password_hash_is_argon2id_and_salted():
    first, second = access.hash_password("correct horse"), access.hash_password("correct horse")
    assert first.startswith("$argon2id$") and first != second          # a fresh salt each time
    assert access.verify_password(first, "correct horse")
    assert not access.verify_password(first, "correct horsE")
    assert not access.verify_password("not a hash", "correct horse")
    assert not access.verify_password(None, "")
    with pytest.raises(SalesCoreError) as err:
        access.hash_password("short")
    assert err.value.key == "access.error.short_password"


def _file_hash(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _refused_leaves_file_unchanged(path, attempt) -> SalesCoreError:
    """Run ``attempt(con)`` on a fresh connection to ``path``; it must raise SalesCoreError and
    leave the closed file byte-for-byte as it was. Returns the error."""
    before = _file_hash(path)
    connection = db.connect(path)
    try:
        with pytest.raises(SalesCoreError) as err:
            attempt(connection)
    finally:
        connection.close()
    assert _file_hash(path) == before
    return err.value


def test_add_authenticate_list_remove(con):
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    access.add_user(con, "ann", "viewer", sso_email="Ann@Example.com")          # single sign-on
    assert access.authenticate(con, " boss ", "boss-pass-1") == User("boss", "admin")
    with pytest.raises(SalesCoreError) as wrong:
        access.authenticate(con, "boss", "boss-pass-2")
    with pytest.raises(SalesCoreError) as unknown:
        access.authenticate(con, "nobody", "boss-pass-1")
    with pytest.raises(SalesCoreError) as no_password:
        access.authenticate(con, "ann", "")
    # one sentence whatever was wrong: the form does not reveal which names exist
    assert str(wrong.value) == str(unknown.value) == str(no_password.value) == "Wrong name or password."
    frame = access.list_users(con)
    assert list(frame.columns) == ["name", "role", "team", "has_password", "sso", "email"]
    assert frame["has_password"].tolist() == [False, True] and frame["sso"].tolist() == [True, False]
    assert frame["email"].tolist()[0] == "Ann@Example.com" and pd.isna(frame["email"].tolist()[1])
    with con.cursor() as cur:
        stored = cur.execute("select password_hash from users where name = 'boss'").fetchall()[0][0]
    assert stored.startswith("$argon2id$") and "boss-pass-1" not in stored
    assert access.set_password(con, "boss", "new-pass-22") == User("boss", "admin", epoch=1)
    assert access.authenticate(con, "boss", "new-pass-22").role == "admin"
    access.remove_user(con, "ann")
    access.remove_user(con, "boss")                 # the very last user: sign-in is off again
    assert access.list_users(con).empty and not access.has_users(con)
    assert access.lookup(con, "boss") is None
    with pytest.raises(SalesCoreError):
        access.remove_user(con, "boss")
    actions = [a for (a,) in con.execute("select action from audit_log order by event_id").fetchall()]
    assert actions == ["user_add", "user_add", "user_password", "user_remove", "user_remove"]


@pytest.mark.parametrize("kwargs, key", [
    ({"name": "x", "role": "owner", "password": "long-enough"}, "access.error.role"),
    ({"name": "x", "role": "manager", "password": "long-enough"}, "access.error.team"),
    ({"name": "  ", "role": "admin", "password": "long-enough"}, "access.error.name"),
    ({"name": "x", "role": "admin", "password": "short"}, "access.error.short_password"),
    ({"name": "x", "role": "admin"}, "access.error.how"),
    ({"name": "x", "role": "admin", "password": "long-enough", "sso_email": "x@example.com"},
     "access.error.how"),
    ({"name": "x", "role": "admin", "sso_email": "not an address"}, "access.error.email"),
    # the first user must be able to sign in, without an identity provider, and manage users
    ({"name": "x", "role": "viewer", "password": "long-enough"}, "access.error.first_admin"),
    ({"name": "x", "role": "admin", "sso_email": "x@example.com"}, "access.error.first_admin"),
])
def test_add_user_refuses_bad_input(tmp_path, kwargs, key):
    path = tmp_path / "users.duckdb"
    db.connect(path).close()
    err = _refused_leaves_file_unchanged(path, lambda c: access.add_user(c, **kwargs))
    assert err.key == key


def test_add_user_twice_is_refused(con):
    access.add_user(con, "boss", "admin", password="long-enough")
    access.add_user(con, "ann", "viewer", password="long-enough")
    with pytest.raises(SalesCoreError) as err:
        access.add_user(con, "ann", "admin", password="long-enough")
    assert err.value.key == "access.error.exists"
    access.add_user(con, "sso-ann", "viewer", sso_email="ann@example.com")
    with pytest.raises(SalesCoreError) as err:
        access.add_user(con, "other-ann", "admin", sso_email="ANN@example.com")
    assert err.value.key == "access.error.email_taken"
    assert access.lookup(con, "ann").role == "viewer" and access.lookup(con, "other-ann") is None


def test_the_last_admin_with_a_password_stays(tmp_path):
    path = tmp_path / "admins.duckdb"
    con = db.connect(path)
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    access.add_user(con, "sso-boss", "admin", sso_email="boss@example.com")
    access.add_user(con, "look", "viewer", password="look-pass-1")
    con.close()
    err = _refused_leaves_file_unchanged(path, lambda c: access.remove_user(c, "boss"))
    assert err.key == "access.error.last_admin"
    assert str(err) == "boss is the last admin with a password: add another admin first."
    con = db.connect(path)
    try:
        access.remove_user(con, "sso-boss")         # another admin, but not the last with a password
        access.add_user(con, "boss2", "admin", password="boss-pass-2")
        access.remove_user(con, "boss")             # now another admin with a password remains
        assert access.list_users(con)["name"].tolist() == ["boss2", "look"]
    finally:
        con.close()


# --- lockout (salescore.lockout): per name and address, bounded --------------------------

@pytest.fixture(autouse=True)
def fresh_lockout():
    """Each test starts with no failed sign-ins (the table is process-wide)."""
    lockout.FAILURES.clear()
    yield lockout.FAILURES
    lockout.FAILURES.clear()


def _fail(con, name, address, now, times=1):
    for _ in range(times):
        with pytest.raises(SalesCoreError) as err:
            access.authenticate(con, name, "wrong-password", address=address, now=now)
        assert err.value.key == "access.error.sign_in"


def test_lockout_after_five_wrong_passwords(con, fresh_lockout):
    access.add_user(con, "lock", "admin", password="right-pass-1")
    _fail(con, "lock", "10.0.0.1", 1000.0, lockout.MAX_FAILURES)
    with pytest.raises(SalesCoreError) as err:                       # even the right password
        access.authenticate(con, "lock", "right-pass-1", address="10.0.0.1", now=1010.0)
    assert err.value.key == "access.error.locked"
    # a minute after the last failure the right password works again
    assert access.authenticate(con, "lock", "right-pass-1", address="10.0.0.1",
                               now=1000.0 + lockout.LOCKOUT_SECONDS + 1).name == "lock"


def test_locking_the_admin_from_one_address_leaves_other_addresses_free(con, fresh_lockout):
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    _fail(con, "boss", "203.0.113.9", 1000.0, lockout.MAX_FAILURES)     # the attacker's address
    with pytest.raises(SalesCoreError) as err:
        access.authenticate(con, "boss", "boss-pass-1", address="203.0.113.9", now=1001.0)
    assert err.value.key == "access.error.locked"
    # the admin herself, from her own address, signs in at once
    assert access.authenticate(con, "boss", "boss-pass-1", address="192.168.1.20", now=1001.0).name == "boss"
    # retrying while locked does not extend the lock: nothing is verified, nothing counted
    for _ in range(50):
        with pytest.raises(SalesCoreError):
            access.authenticate(con, "boss", "guess", address="203.0.113.9", now=1030.0)
    assert access.authenticate(con, "boss", "boss-pass-1", address="203.0.113.9",
                               now=1000.0 + lockout.LOCKOUT_SECONDS + 1).name == "boss"


def test_one_address_cannot_burn_cpu_with_endless_names(con, fresh_lockout, monkeypatch):
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    verified = []
    real = access.verify_password
    monkeypatch.setattr(access, "verify_password", lambda h, p: verified.append(p) or real(h, p))
    for i in range(200):                 # invented names: each would cost one argon2 verification
        with pytest.raises(SalesCoreError):
            access.authenticate(con, f"name-{i}", "guess", address="198.51.100.7", now=2000.0)
    assert len(verified) == lockout.MAX_ADDRESS_FAILURES                # then refused unverified
    with pytest.raises(SalesCoreError) as err:
        access.authenticate(con, "boss", "boss-pass-1", address="198.51.100.7", now=2001.0)
    assert err.value.key == "access.error.locked"
    assert access.authenticate(con, "boss", "boss-pass-1", address="198.51.100.8", now=2001.0).name == "boss"


def test_the_failure_table_stays_bounded_after_50000_names():
    table = lockout.Lockout()
    for i in range(50_000):                       # attacker-chosen names from many addresses
        table.begin(f"invented-{i}", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", now=float(i) / 1000)
    assert len(table) <= lockout.MAX_KEYS
    # the least recently touched entries went first; the newest are kept
    assert ("user", "invented-49999", "10.0.195.79") in table._rows
    assert ("user", "invented-0", "10.0.0.0") not in table._rows


def test_a_weaker_old_hash_is_rehashed_on_sign_in(con, fresh_lockout):
    from argon2 import PasswordHasher

    old = PasswordHasher().hash("boss-pass-1")                     # argon2-cffi's defaults
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    con.execute("update users set password_hash = $h where name = 'boss'", {"h": old})
    assert "m=65536,t=3,p=4" in old
    assert access.authenticate(con, "boss", "boss-pass-1").name == "boss"
    stored = con.execute("select password_hash from users where name = 'boss'").fetchall()[0][0]
    assert stored != old and "m=19456,t=2,p=1" in stored
    assert access.verify_password(stored, "boss-pass-1")


def test_a_password_change_raises_the_session_epoch(con):
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    access.add_user(con, "ann", "viewer", sso_email="ann@example.com")
    assert access.lookup(con, "boss").epoch == 0
    assert access.set_password(con, "boss", "boss-pass-2").epoch == 1
    assert access.set_password(con, "boss", "boss-pass-3").epoch == 2
    assert access.lookup(con, "boss") == User("boss", "admin", epoch=2)
    with pytest.raises(SalesCoreError) as err:                      # single sign-on: no password
        access.set_password(con, "ann", "ann-pass-01")
    assert err.value.key == "access.error.sso_password"


# --- single sign-on -----------------------------------------------------------------------

def test_single_sign_on_matches_the_verified_email_of_sso_users_only(con):
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    access.add_user(con, "Ann", "viewer", sso_email="ann@example.com")
    access.add_user(con, "eve@example.com", "admin", password="eve-pass-01")  # named like an e-mail
    assert access.user_for_login(con, "ANN@Example.com", True) == User("Ann", "viewer")
    assert access.user_for_login(con, "ann@example.com", "true").name == "Ann"   # a text claim
    refused = {
        "display name": ("boss", True),              # an identity provider's display name
        "unverified": ("ann@example.com", False),
        "no claim": ("ann@example.com", None),
        "not an sso user": ("eve@example.com", True),  # a password user's name is never matched
        "no e-mail": (None, True),
    }
    keys = {}
    for what, (email, verified) in refused.items():
        with pytest.raises(SalesCoreError) as err:
            access.user_for_login(con, email, verified)
        keys[what] = err.value.key
    assert keys == {"display name": "access.error.not_registered",
                    "unverified": "access.error.sso_unverified",
                    "no claim": "access.error.sso_unverified",
                    "not an sso user": "access.error.not_registered",
                    "no e-mail": "access.error.sso_no_email"}


def test_rep_user_is_linked_by_rep_id_or_unique_name(small):
    con = small
    access.add_user(con, "boss", "admin", password="long-enough")
    insert(con, "reps", [{"rep_id": "R4", "name": "Bob", "team": "B"}])   # a second Bob
    assert access.add_user(con, "Ann", "rep", password="long-enough").rep_id == "R1"
    assert access.add_user(con, "R3", "rep", password="long-enough").rep_id == "R3"
    assert access.add_user(con, "Bob", "rep", password="long-enough").rep_id is None   # ambiguous
    assert access.authenticate(con, "Ann", "long-enough") == User("Ann", "rep", None, "R1")


def test_pages_per_role():
    assert access.may_open(None, "data") and not access.may_open(None, "me")
    assert access.may_open(User("a", "admin"), "data")
    assert not access.may_open(MANAGER_A, "data") and access.may_open(MANAGER_A, "incentives")
    assert not access.may_open(VIEWER, "incentives") and not access.may_open(VIEWER, "retention")
    assert access.may_open(VIEWER, "team")
    rep = User("Ann", "rep", None, "R1")
    assert access.may_open(rep, "me") and not access.may_open(rep, "overview")


# --- restricted reads on the hand-built history (tests/conftest.py small) ----------------

def _count(connection, sql: str) -> int:
    with connection.cursor() as cur:
        return cur.execute(sql).fetchall()[0][0]


def test_admin_and_no_user_get_the_connection_itself(small):
    assert access.restricted(small, None) is small
    assert access.restricted(small, User("boss", "admin")) is small


def test_manager_sees_only_their_team(small):
    r = access.restricted(small, MANAGER_A)
    # team A = R1 (D1 D2 D3 D8) + R2 (D4 D5 D9) = 7 of the 10 deals; R3 (team B) is invisible
    assert _count(r, "select count(*) from deals") == 7
    assert _count(r, "select count(*) from deals where rep_id = 'R3'") == 0
    assert _count(r, "select count(*) from reps") == 2
    with pytest.raises(duckdb.CatalogException):                         # fails closed
        _count(r, "select count(*) from main.deals")
    # Q1 2026 revenue won by team A: D1 100 + D2 300 + D4 200 = 600; target 3 months x (100 + 200)
    mine = metrics.kpis(r, *Q1)
    assert mine["revenue_won"] == 600 and mine["target"] == 900
    assert mine == metrics.kpis(small, *Q1, Scope(team="A"))
    everyone = metrics.by_group(small, *Q1, "rep", Scope(team="A")).reset_index(drop=True)
    pd.testing.assert_frame_equal(metrics.by_group(r, *Q1, "rep").reset_index(drop=True), everyone)
    with pytest.raises(SalesCoreError):                                  # Cai is in team B
        metrics.rep_id_by_name(r, "Cai")


def test_targets_of_the_team_not_the_company(small):
    insert(small, "targets", [
        {"scenario": "base", "period": "2026-01", "scope": "team", "scope_id": "A", "metric": "revenue", "value": 500},
        {"scenario": "base", "period": "2026-01", "scope": "team", "scope_id": "B", "metric": "revenue", "value": 900},
        {"scenario": "base", "period": "2026-01", "scope": "company", "scope_id": "", "metric": "revenue", "value": 1400},
    ])
    r = access.restricted(small, MANAGER_A)
    rows = sorted(r.execute("select scope, scope_id from targets where period = '2026-01'").fetchall())
    assert rows == [("rep", "R1"), ("rep", "R2"), ("team", "A")]
    # the company target a manager sees is their team's: 500 (team A's own January target)
    assert metrics.target(r, ["2026-01"]) == 500


def test_a_customer_history_is_the_team_history(small):
    # C2 first bought from R3 (team B) in 2025: for the company C2 is not new in Q1 2026,
    # for team A's manager, who cannot see team B's deal, it is new to the team
    insert(small, "deals", [{"deal_id": "D11", "rep_id": "R3", "customer_id": "C2", "amount": 10,
                             "status": "won", "created_date": date(2025, 5, 1), "close_date": date(2025, 5, 2)}])
    assert metrics.kpis(small, *Q1, Scope(team="A"))["new_customers"] == 0
    assert metrics.kpis(access.restricted(small, MANAGER_A), *Q1)["new_customers"] == 1


def test_rep_sees_only_their_own_rows(small):
    ann = User("Ann", "rep", None, "R1")
    r = access.restricted(small, ann)
    assert r.execute("select rep_id from reps").fetchall() == [("R1",)]
    assert _count(r, "select count(*) from deals") == 4                    # D1 D2 D3 D8
    assert {x[0] for x in r.execute("select distinct scope_id from targets").fetchall()} == {"R1"}
    assert metrics.kpis(r, *Q1) == metrics.kpis(small, *Q1, Scope(rep_id="R1"))
    nobody = access.restricted(small, User("Zed", "rep", None, None))     # not linked to a rep
    assert _count(nobody, "select count(*) from deals") == 0


def test_viewer_reads_everything_but_salary_and_plans(small):
    incentives.save_plan(small, incentives.template("standard"))
    r = access.restricted(small, VIEWER)
    assert _count(r, "select count(*) from deals") == 10
    assert r.execute("select count(*), count(base_salary) from reps").fetchall() == [(3, 0)]
    assert _count(r, "select count(*) from plans") == 0
    assert incentives.list_plans(r).empty and retention.active_plan(r) is None
    assert _count(small, "select count(base_salary) from reps") == 3        # the data is untouched


def test_users_and_undo_rows_are_never_visible(small):
    access.add_user(small, "boss", "admin", password="boss-pass-1")
    for user in (MANAGER_A, VIEWER, User("Ann", "rep", None, "R1")):
        r = access.restricted(small, user)
        assert _count(r, "select count(*) from users") == 0
        assert _count(r, "select count(*) from import_undo") == 0
        assert _count(r, "select count(*) from audit_log") == 0


def test_team_name_is_a_parameter_not_sql(small):
    sly = User("sly", "manager", "A' or true or team = '")
    r = access.restricted(small, sly)
    assert _count(r, "select count(*) from deals") == 0


@pytest.mark.parametrize("user", [MANAGER_A, VIEWER, User("Ann", "rep", None, "R1")], ids=lambda u: u.role)
def test_restricted_roles_cannot_write(small, user):
    r = access.restricted(small, user)
    version = db.data_version(small)
    before = metrics.stage_order(small)
    with pytest.raises(access.ReadOnlyError) as err:
        metrics.save_stage_order(r, ["A", "B"])
    assert isinstance(err.value, SalesCoreError) and err.value.params == {"role": user.role}
    with pytest.raises(SalesCoreError):
        db.set_setting(r, "auth_required", False)
    with pytest.raises(SalesCoreError):
        incentives.save_plan(r, incentives.template("standard"))
    with r.cursor() as cur:
        for sql in ("delete from deals", "update reps set base_salary = 1",
                    "insert into users (user_id, name, role) values ('x', 'x', 'admin')",
                    "create table x (a int)", "copy deals to '/tmp/x.csv'",
                    "select 1; delete from deals", "attach ':memory:' as other", "use other"):
            with pytest.raises(SalesCoreError):
                cur.execute(sql)
        with pytest.raises(SalesCoreError):
            cur.sql("drop table deals")
        with pytest.raises(SalesCoreError):
            cur.append("deals", pd.DataFrame())
    assert db.data_version(small) == version and metrics.stage_order(small) == before
    assert _count(small, "select count(*) from deals") == 10
    assert _count(small, "select count(*) from users") == 0


def test_admin_catalog_listing_is_unchanged(small):
    # backup and undo list the file's tables through information_schema (schema 'main'):
    # the restricted views must not appear there as extra columns
    columns = _count(small, "select count(*) from information_schema.columns "
                            "where table_schema = 'main' and table_name = 'reps'")
    access.restricted(small, MANAGER_A).execute("select count(*) from reps").fetchall()
    access.restricted(small, VIEWER).execute("select count(*) from reps").fetchall()
    assert _count(small, "select count(*) from information_schema.columns "
                         "where table_schema = 'main' and table_name = 'reps'") == columns


def test_users_in_threads_never_see_each_other(small):
    users = {MANAGER_A: 7, User("lead-b", "manager", "B"): 3, VIEWER: 10, User("Ann", "rep", None, "R1"): 4}
    wrong: list = []

    def work(user: User, expected: int) -> None:
        r = access.restricted(small, user)
        for _ in range(40):
            with r.cursor() as cur:
                got = cur.execute("select count(*) from deals").fetchall()[0][0]
            if got != expected:
                wrong.append((user.name, got))

    threads = [threading.Thread(target=work, args=item) for item in users.items() for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert wrong == []   # 8 threads x 40 queries, each saw exactly its own rows


# --- the real functions on demo data -------------------------------------------------------

@pytest.fixture(scope="module")
def demo_con(tmp_path_factory, demo_copy):
    connection = db.connect(demo_copy(tmp_path_factory.mktemp("access") / "demo.duckdb", "en"))
    access.add_user(connection, "boss", "admin", password="boss-pass-1")   # the first user
    yield connection
    connection.close()


def _same(a: pd.DataFrame, b: pd.DataFrame, key: list[str]) -> None:
    a = a.sort_values(key).reset_index(drop=True)
    b = b.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


@pytest.mark.parametrize("team_name", ["East", "North", "South"])
def test_manager_figures_equal_admin_figures_of_the_team(demo_con, team_name):
    con = demo_con
    r = access.restricted(con, User(f"lead-{team_name}", "manager", team_name))
    scope = Scope(team=team_name)
    start, end = date(2026, 7, 1), date(2026, 9, 30)
    assert metrics.kpis(r, start, end) == metrics.kpis(con, start, end, scope)
    _same(metrics.by_group(r, start, end, "rep"), metrics.by_group(con, start, end, "rep", scope), ["rep_id"])
    _same(metrics.funnel(r, start, end), metrics.funnel(con, start, end, scope), ["stage"])
    follow = customers.follow_up(r, demo.AS_OF)
    assert set(follow["team"]) == {team_name}
    _same(follow, customers.follow_up(con, demo.AS_OF, scope=scope), ["rep_id", "customer_id", "reason"])
    _same(team.profiles(r, start, end), team.profiles(con, start, end, scope), ["rep_id"])
    plan = incentives.template("standard")
    mine = incentives.payouts(r, plan, parse("2026-Q3"))
    assert set(mine["team"]) == {team_name} and len(mine) >= 7   # South: R23 left in 2025
    _same(mine, incentives.payouts(con, plan, parse("2026-Q3"), scope), ["rep_id"])


def test_viewer_on_demo_has_no_salary(demo_con):
    r = access.restricted(demo_con, VIEWER)
    start, end = date(2026, 7, 1), date(2026, 9, 30)
    assert metrics.kpis(r, start, end) == metrics.kpis(demo_con, start, end)
    assert r.execute("select count(base_salary) from reps").fetchall() == [(0,)]
    assert retention.active_plan(r) is None


def test_rep_leaderboard_and_own_statement(demo_con):
    ava = access.add_user(demo_con, "Ava Collins", "rep", password="rep-pass-01")
    assert ava.rep_id == "R05"
    board = me.leaderboard(demo_con, date(2026, 7, 1), date(2026, 9, 30))
    assert list(board.columns) == ["rank", "rep_id", *me.LEADERBOARD_COLUMNS[1:]]
    assert len(board) == 10 and not {"base_salary", "total", "commission"} & set(board.columns)
    mine = me.statement(demo_con, ava, parse("2026-08"))
    assert mine is not None and mine.period.label == "2026-Q3"      # the standard plan pays quarterly
    active = retention.active_plan(demo_con, date(2026, 8, 31))
    everyone = incentives.payouts(demo_con, active.plan, parse("2026-Q3"))
    row = everyone[everyone["rep_id"] == "R05"].iloc[0]
    assert mine.row["total"] == row["total"] and mine.row["rep_id"] == "R05"
    # every §5 output is on the rep's statement, and its lines add up to the total
    assert set(me.STATEMENT_PARTS) | {"carried_forward", "total"} <= set(mine.row)
    assert math.fsum(mine.lines["amount"]) == pytest.approx(mine.row["total"], abs=1e-6)
    assert set(mine.lines["deal_id"].dropna()) <= {
        d for (d,) in demo_con.execute("select deal_id from deals where rep_id = 'R05'").fetchall()}
    assert me.statement(demo_con, User("x", "rep", None, None), parse("2026-08")) is None


# --- the command line ------------------------------------------------------------------------

def test_cli_user_add_list_passwd_remove(tmp_path, monkeypatch, capsys):
    import io
    import json

    from salescore import cli

    path = str(tmp_path / "cli.duckdb")

    def run(*argv: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return cli.main(list(argv))

    assert run("user", "add", "look", "--role", "viewer", "--db", path, stdin="look-pass-1\n") == 2
    assert "The first user must be an admin with a password" in capsys.readouterr().err
    assert run("user", "add", "boss", "--role", "admin", "--db", path, stdin="boss-pass-1\n") == 0
    out = capsys.readouterr().out
    assert "User boss added as admin." in out and "Sign-in is now required" in out   # the first user
    assert run("user", "add", "lead", "--role", "manager", "--db", path, stdin="lead-pass-1\n") == 2
    assert "A manager needs a team" in capsys.readouterr().err
    assert run("user", "add", "lead", "--role", "manager", "--team", "East", "--db", path,
               stdin="lead-pass-1\n") == 0
    assert "Sign-in is now required" not in capsys.readouterr().out          # only for the first
    assert run("user", "add", "ann", "--role", "viewer", "--sso-email", "Ann@example.com",
               "--db", path) == 0                                           # no password read
    assert "single sign-on as Ann@example.com" in capsys.readouterr().out
    assert run("user", "add", "boss", "--role", "viewer", "--db", path, stdin="other-pass-1\n") == 2
    assert run("user", "add", "short", "--role", "viewer", "--db", path, stdin="abc\n") == 2
    capsys.readouterr()
    assert run("user", "list", "--json", "--db", path) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"name": "ann", "role": "viewer", "team": None, "has_password": False, "sso": True,
         "email": "Ann@example.com"},
        {"name": "boss", "role": "admin", "team": None, "has_password": True, "sso": False, "email": None},
        {"name": "lead", "role": "manager", "team": "East", "has_password": True, "sso": False,
         "email": None}]
    assert run("user", "list", "--db", path) == 0
    assert "single sign-on: Ann@example.com" in capsys.readouterr().out
    assert run("user", "passwd", "lead", "--db", path, stdin="new-lead-pass\n") == 0
    assert run("user", "passwd", "ann", "--db", path, stdin="new-ann-pass\n") == 2
    assert run("user", "remove", "boss", "--db", path) == 2                  # the last admin
    assert "boss is the last admin with a password" in capsys.readouterr().err
    assert run("user", "remove", "ann", "--db", path) == 0
    assert run("user", "remove", "ann", "--db", path) == 2
    con = db.connect(path)
    try:
        assert access.authenticate(con, "lead", "new-lead-pass") == User("lead", "manager", "East", epoch=1)
        assert access.list_users(con)["name"].tolist() == ["boss", "lead"]
    finally:
        con.close()


def test_first_won_is_never_shared_between_users_of_a_role(con):
    # two teams with the same number of deals (2 each): a cache keyed by role, catalog or deal
    # count would hand one manager the other's customer history
    insert(con, "reps", [{"rep_id": "X1", "name": "Xu", "team": "X"}, {"rep_id": "Y1", "name": "Yi", "team": "Y"}])
    d = date
    insert(con, "deals", [
        {"deal_id": "X-a", "rep_id": "X1", "customer_id": "C1", "amount": 10, "status": "won",
         "created_date": d(2026, 1, 1), "close_date": d(2026, 2, 1)},      # C1 new in Q1
        {"deal_id": "X-b", "rep_id": "X1", "customer_id": "C1", "status": "open", "created_date": d(2026, 2, 1)},
        {"deal_id": "Y-a", "rep_id": "Y1", "customer_id": "C2", "amount": 10, "status": "won",
         "created_date": d(2025, 1, 1), "close_date": d(2025, 2, 1)},      # C2 bought in 2025 ...
        {"deal_id": "Y-b", "rep_id": "Y1", "customer_id": "C2", "amount": 10, "status": "won",
         "created_date": d(2026, 1, 1), "close_date": d(2026, 2, 1)},      # ... so not new in Q1
    ])
    x = access.restricted(con, User("lead-x", "manager", "X"))
    y = access.restricted(con, User("lead-y", "manager", "Y"))
    for _ in range(2):
        assert metrics.kpis(x, *Q1)["new_customers"] == 1
        assert metrics.kpis(y, *Q1)["new_customers"] == 0
        assert metrics.kpis(con, *Q1)["new_customers"] == 1

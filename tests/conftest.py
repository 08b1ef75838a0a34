"""Shared fixtures: a real DuckDB file per test, a tiny hand-built sales history, the demo
company (one read-only template per language, copied per module or test), AppTest helpers,
and the Hypothesis profiles."""
from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from salescore import db, sql

# Every chart a page test draws is checked against the Vega-Lite schema (the app skips it)
os.environ.setdefault("SALESCORE_VALIDATE_CHARTS", "1")

# Hypothesis: on CI (CI=true) the same examples every run (derandomized, no example
# database), so a red build is reproducible; locally the usual random exploration. A test's
# own @settings (tests/test_fuzz.py: max_examples per strategy, deadline off) wins over both.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=100,
                          print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev"))


# --- the two backends (DESIGN.md section 9) ----------------------------------------------------
# PostgreSQL tests run when SALESCORE_TEST_PG names a server URL whose role may create
# databases (.ci/run starts a throw-away cluster and sets it); each test gets a fresh database
# copied from a migrated template. A test module marked ``pytest.mark.backends`` runs every
# test that uses ``con`` on DuckDB and on PostgreSQL.
PG_URL = os.environ.get("SALESCORE_TEST_PG")
_PG_DATABASES = iter(range(1, 10**9))
# database names per test process (xdist worker or not, and several sessions at once)
_PG_PREFIX = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("backends"):
        metafunc.parametrize("backend", ["duckdb", "postgres"], indirect=True)


@pytest.fixture
def backend(request):
    """"duckdb" (the default) or "postgres" (test modules marked ``backends``)."""
    return getattr(request, "param", "duckdb")


def _pg_admin():
    import psycopg

    return psycopg.connect(PG_URL, autocommit=True)


def _pg_url(name: str) -> str:
    return PG_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_template():
    """``pg_template(kind)``: the name of a read-only template database on the test server,
    made once per worker: "empty" (the schema) or "demo-zh"/"demo-en" (the demo loaded)."""
    if not PG_URL:
        pytest.skip("PostgreSQL tests need SALESCORE_TEST_PG (.ci/run sets it)")
    made: dict[str, str] = {}

    def template(kind: str = "empty") -> str:
        if kind not in made:
            name = f"sc_tpl_{kind.replace('-', '_')}_{_PG_PREFIX}"
            with _pg_admin() as admin:
                admin.execute(f"drop database if exists {name} with (force)")
                admin.execute(f"create database {name}")
            connection = db.connect(_pg_url(name))
            try:
                if kind.startswith("demo-"):
                    from salescore import demo

                    demo.load(connection, lang=kind.split("-", 1)[1])
            finally:
                connection.close()
            made[kind] = name
        return made[kind]

    yield template
    with _pg_admin() as admin:
        for name in made.values():
            admin.execute(f"drop database if exists {name} with (force)")


@pytest.fixture(scope="session")
def pg_database(pg_template):
    """``pg_database(kind="empty")``: the URL of a new database copied from a template; the
    session drops them at the end."""
    made: list[str] = []

    def database(kind: str = "empty") -> str:
        name = f"sc_t_{_PG_PREFIX}_{next(_PG_DATABASES)}"
        with _pg_admin() as admin:
            admin.execute(f"create database {name} template {pg_template(kind)}")
        made.append(name)
        return _pg_url(name)

    yield database
    with _pg_admin() as admin:
        for name in made:
            admin.execute(f"drop database if exists {name} with (force)")


@pytest.fixture
def target(tmp_path, backend, request):
    """Where this test's database lives: a DuckDB file, or (``backend`` "postgres") a fresh
    PostgreSQL database's URL."""
    if backend == "postgres":
        return request.getfixturevalue("pg_database")()
    return tmp_path / "test.duckdb"


@pytest.fixture
def con(target):
    """A new, empty salescore database at :func:`target`."""
    connection = db.connect(target)
    yield connection
    connection.close()


def insert(con, table: str, rows: list[dict]) -> None:
    """Insert plain dict rows into ``table`` (test helper; table names are literals in tests)."""
    frame = pd.DataFrame(rows)
    with db.transaction(con) as cur:
        sql.insert_frame(cur, table, frame)


@pytest.fixture
def small(con):
    """Ten deals whose Q1-2026 figures are worked out by hand in tests/test_metrics.py."""
    insert(con, "reps", [
        {"rep_id": "R1", "name": "Ann", "team": "A", "base_salary": 10000},
        {"rep_id": "R2", "name": "Bob", "team": "A", "base_salary": 8000},
        {"rep_id": "R3", "name": "Cai", "team": "B", "base_salary": 9000},
    ])
    insert(con, "customers", [{"customer_id": f"C{i}", "name": f"Cust {i}"} for i in range(1, 5)])
    d = date
    deals = [
        ("D1", "R1", "C1", 100, "Won", "won", d(2025, 12, 1), d(2026, 1, 10)),
        ("D2", "R1", "C2", 300, "Won", "won", d(2026, 1, 5), d(2026, 2, 4)),
        ("D3", "R1", "C3", None, "Proposal", "lost", d(2026, 1, 10), d(2026, 2, 10)),
        ("D4", "R2", "C1", 200, "Won", "won", d(2026, 2, 1), d(2026, 3, 3)),
        ("D5", "R2", "C4", None, "Lead", "lost", d(2026, 2, 1), d(2026, 3, 1)),
        ("D6", "R3", "C2", 500, "Qualified", "open", d(2026, 3, 1), None),
        ("D7", "R3", "C3", 50, "Won", "won", d(2025, 11, 1), d(2025, 11, 15)),
        ("D8", "R1", "C1", 400, "Won", "won", d(2025, 6, 1), d(2025, 7, 1)),
        ("D9", "R2", "C4", 1000, "Proposal", "open", d(2025, 12, 15), None),
        ("D10", "R3", "C4", 700, "Won", "won", d(2026, 3, 20), d(2026, 4, 5)),
    ]
    insert(con, "deals", [
        {"deal_id": i, "rep_id": r, "customer_id": c, "amount": a, "stage": s, "status": st,
         "created_date": cd, "close_date": cl} for i, r, c, a, s, st, cd, cl in deals])
    insert(con, "targets", [
        {"scenario": "base", "period": m, "scope": "rep", "scope_id": rep, "metric": "revenue",
         "value": value}
        for m in ("2026-01", "2026-02", "2026-03") for rep, value in (("R1", 100), ("R2", 200))])
    db.set_setting(con, "stage_order", ["Lead", "Qualified", "Proposal", "Negotiation"])
    return con


@pytest.fixture(autouse=True)
def _navigation_not_pages_folder(monkeypatch):
    """AppTest re-creates its PagesManager on every run(), which re-detects the ``pages/``
    folder and takes Streamlit's old folder-discovery path (MPA v1) before app.py's
    st.navigation can switch it off, so the sidebar vanishes after the first rerun. The real
    server decides once per process; here we decide the same way, for every run."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


# --- AppTest on the demo company ----------------------------------------------------------

APP = "../app.py"   # AppTest paths are relative to the test file


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """``demo_template(lang)``: the path of the demo company in ``lang`` ("zh" or "en"),
    generated once per test session when a test first asks for that language. A read-only
    template: tests use copies (:func:`demo_copy`, :func:`demo_db`, :func:`demo_db_en`)."""
    built: dict[str, Path] = {}

    def template(lang: str = "zh") -> Path:
        from salescore import demo   # only sessions that use the demo import it

        if lang not in built:
            path = tmp_path_factory.mktemp(f"demo-template-{lang}") / "demo.duckdb"
            connection = db.connect(path)
            try:
                demo.load(connection, lang=lang)
            finally:
                connection.close()
            built[lang] = path
        return built[lang]

    return template


@pytest.fixture(scope="session")
def demo_copy(demo_template):
    """``demo_copy(path, lang="zh")``: a fresh copy of the demo database at ``path`` (the
    test may write to it; what ``demo.load`` on an empty file gives); returns ``path``."""
    def copy(path: str | Path, lang: str = "zh") -> Path:
        shutil.copy(demo_template(lang), path)
        return Path(path)

    return copy


@pytest.fixture(scope="session")
def _demo_template(demo_template):
    """The Chinese template's path (older name)."""
    return demo_template("zh")


@pytest.fixture(scope="session")
def demo_server(demo_template, tmp_path_factory):
    """``demo_server(lang)``: the base URL of a served copy of the demo in ``lang``, started
    when a test first asks for it and shared by the read-only browser checks of the whole
    session (layout, meeting slides, running periods: all browser tests run on one worker).
    A test that writes serves its own copy."""
    from contextlib import ExitStack

    from tests.test_browser import served

    urls: dict[str, str] = {}
    with ExitStack() as stack:
        def url(lang: str) -> str:
            if lang not in urls:
                path = tmp_path_factory.mktemp(f"served-{lang}") / "demo.duckdb"
                shutil.copy(demo_template(lang), path)
                urls[lang] = stack.enter_context(served(path))
            return urls[lang]

        yield url


@pytest.fixture(scope="module")
def demo_db(demo_copy, tmp_path_factory):
    """A copy of the Chinese demo database for one test module (its tests may write to it)."""
    return demo_copy(tmp_path_factory.mktemp("demo") / "demo.duckdb", "zh")


@pytest.fixture(scope="module")
def demo_db_en(demo_copy, tmp_path_factory):
    """A copy of the English demo database for one test module (its tests may write to it)."""
    return demo_copy(tmp_path_factory.mktemp("demo-en") / "demo.duckdb", "en")


def app_test(path, monkeypatch, timeout: int = 90):
    """An AppTest of app.py on the database at ``path``, with empty Streamlit caches."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SALESCORE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    return AppTest.from_file(APP, default_timeout=timeout)


def open_page(path, monkeypatch, page: str, timeout: int = 120):
    """An AppTest of app.py on the database at ``path``, already switched to ``page``."""
    app = app_test(path, monkeypatch, timeout)
    app.run()
    app.switch_page(page).run()
    return app


@pytest.fixture
def at(demo_db, monkeypatch):
    """AppTest on this module's demo copy; releases the database file afterwards."""
    import streamlit as st

    yield app_test(demo_db, monkeypatch)
    st.cache_resource.clear()


@pytest.fixture
def writable(demo_db, tmp_path, monkeypatch):
    """(AppTest, path) on a private copy of the demo database the test may write to."""
    import streamlit as st

    path = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, path)
    yield app_test(path, monkeypatch), path
    st.cache_resource.clear()


def with_db(path, fn):
    """``fn(con)`` on the database at ``path``, after the app released the file."""
    import streamlit as st

    st.cache_resource.clear()
    connection = db.connect(path)
    try:
        return fn(connection)
    finally:
        connection.close()


def pytest_collection_modifyitems(config, items):
    """Under `make test`'s two workers (pytest-xdist, ``--dist loadgroup``): a test file is
    one group (its module fixtures, such as a served app or a demo copy, are built once) and
    every browser test is in one group, so two Chromiums and their servers never share the
    machine's two cores (their waits then ran out) while the other worker runs the rest."""
    for item in items:
        group = "browser" if item.get_closest_marker("browser") else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))

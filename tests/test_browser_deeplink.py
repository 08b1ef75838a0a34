"""A bare `streamlit run app.py` (what many users type, without `python -m salescore serve`):
the process's first visit is a deep link, and it still goes through app.py's router (app.py
switches Streamlit's legacy pages/ folder mode off itself): the sign-in form with no page in the
sidebar, then the page asked for (or, for a page the role may not open, a sentence saying so),
still there after a reload (the signed session cookie, issue 18).
Playwright drives Debian's Chromium (harness as in tests/test_browser.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from salescore import access, db
from tests.test_browser import ARGS, CHROMIUM, ROOT, _free_port, _idle, _pages
from tests.test_browser_signin import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                 reason="Debian chromium is not installed (.ci/run installs it)")]


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory, demo_copy) -> Path:
    path = tmp_path_factory.mktemp("deeplink") / "shared.duckdb"
    demo_copy(path, "en")
    con = db.connect(path)
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    access.add_user(con, "east", "manager", team="East", password="east-pass-1")
    access.add_user(con, "look", "viewer", password="look-pass-1")
    con.close()
    return path


@contextmanager
def streamlit_run(path: Path, log: Path):
    """``streamlit run app.py`` in the checkout, nothing else but a free port (the checkout's
    .streamlit/config.toml keeps it on loopback and headless); yields the base URL."""
    port = _free_port()
    env = dict(os.environ, SALESCORE_DB=str(path))
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(url + "_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"streamlit did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.3)
    try:
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.parametrize(("deep_link", "name", "password", "heading", "hidden"), [
    ("data", "east", "east-pass-1", None, ("Data",)),
    ("goals", "look", "look-pass-1", "Goals", ("Data", "Incentives", "Retention")),
])
def test_a_first_deep_link_goes_through_the_router(shared_db, tmp_path, deep_link, name, password,
                                                    heading, hidden):
    from playwright.sync_api import expect, sync_playwright

    log = tmp_path / "server.log"
    with streamlit_run(shared_db, log) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="en-US")
        page.goto(url + deep_link)            # the first script run of this server process
        expect(page.get_by_role("heading", name="Sign in to salescore")).to_be_visible(timeout=60_000)
        _idle(page)
        # before sign-in the sidebar lists no page
        assert page.get_by_test_id("stSidebarNav").count() == 0
        assert page.get_by_test_id("stSidebar").get_by_role("link").count() == 0
        _sign_in(page, name, password)

        def check() -> None:
            # the page asked for, under the router: its menu without the role's refused pages;
            # a page the role may not open says so and shows nothing of it
            if heading is None:
                expect(page.get_by_text("Your role cannot open this page.")).to_be_visible(timeout=60_000)
            else:
                expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=60_000)
            _idle(page)
            assert page.url == url + deep_link
            nav = page.get_by_test_id("stSidebarNav")
            expect(nav.get_by_role("link", name="Overview")).to_be_visible()
            assert nav.get_by_role("link").count() == len(_pages()) - len(hidden)
            for title in hidden:
                assert nav.get_by_role("link", name=title, exact=True).count() == 0
            assert page.get_by_test_id("stFileUploader").count() == 0
            assert page.get_by_role("heading", name="Sign in to salescore").count() == 0
            assert page.get_by_test_id("stException").count() == 0

        check()
        page.reload()     # the signed cookie works under a bare `streamlit run app.py` too
        check()
        browser.close()
    assert "Traceback" not in log.read_text(errors="replace")

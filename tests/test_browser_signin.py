"""Sign-in in a real browser: `python -m salescore serve` on a database that requires sign-in,
Playwright driving Debian's Chromium (harness as in tests/test_browser.py)."""
from __future__ import annotations

import os

import pytest

from salescore import access, db, demo
from tests.test_browser import ARGS, CHROMIUM, _idle, _pages, served

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                 reason="Debian chromium is not installed (.ci/run installs it)")]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("signin") / "shared.duckdb"
    con = db.connect(path)
    demo.load(con, lang="en")
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    access.add_user(con, "east", "manager", team="East", password="east-pass-1")
    access.set_auth_required(con, True)
    con.close()
    with served(path) as url:
        yield url


def _sign_in(page, name: str, password: str) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_sign_in_then_overview(server_url):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="en-US")
        # a deep link to the Data page before signing in gets the sign-in form, nothing else
        page.goto(server_url + "data")
        expect(page.get_by_role("heading", name="Sign in to salescore")).to_be_visible(timeout=60_000)
        _idle(page)
        assert page.get_by_test_id("stMetric").count() == 0
        assert page.get_by_role("heading", name="Data", exact=True).count() == 0

        _sign_in(page, "east", "wrong-password")
        expect(page.get_by_text("Wrong name or password.")).to_be_visible(timeout=30_000)
        _idle(page)

        _sign_in(page, "east", "east-pass-1")
        # signed in, the manager lands on the Overview; the menu has no Data page for them
        expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=30_000)
        _idle(page)
        nav = page.get_by_test_id("stSidebarNav")
        assert nav.get_by_role("link").count() == len(_pages()) - 1
        assert nav.get_by_role("link", name="Data", exact=True).count() == 0
        nav.get_by_role("link", name="Funnel").click()
        expect(page.get_by_role("heading", name="Funnel", exact=False).first).to_be_visible(timeout=60_000)
        _idle(page)
        nav.get_by_role("link", name="Overview").click()
        expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=60_000)
        _idle(page)
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("Signed in as east (manager) · East")).to_be_visible()
        expect(page.get_by_text("Leaderboard (top 10)")).to_be_visible()
        assert page.get_by_test_id("stException").count() == 0

        sidebar.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in to salescore")).to_be_visible(timeout=30_000)
        browser.close()

"""Sign-in in a real browser: `python -m salescore serve` (on 127.0.0.1, as make run does) on a
database with users, which therefore requires sign-in, and on a fresh one where the first user
is added on the Data page; Playwright driving Debian's Chromium (harness as in
tests/test_browser.py)."""
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


@pytest.fixture(scope="module")
def fresh_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("first") / "fresh.duckdb"
    con = db.connect(path)
    demo.load(con, lang="en")          # data, but no users yet: this laptop is open
    con.close()
    with served(path) as url:
        yield url


def test_adding_the_first_user_turns_sign_in_on(fresh_url):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="en-US")
        page.goto(fresh_url + "data")
        expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=60_000)
        _idle(page)
        expect(page.get_by_text("Nobody signs in yet")).to_be_visible()
        # the warning comes before anything happens, and the button waits for a confirmation
        expect(page.get_by_text("Adding the first user turns sign-in on for everyone")).to_be_visible()
        add = page.get_by_role("button", name="Add the admin and turn sign-in on")
        page.get_by_label("Name", exact=True).fill("boss")
        page.get_by_label("Password", exact=True).fill("boss-pass-1")
        page.get_by_label("Password", exact=True).press("Tab")        # to the show-password eye
        add.click()                                                    # without the confirmation
        expect(page.get_by_text("Tick the box first")).to_be_visible(timeout=30_000)
        _idle(page)
        expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible()
        page.get_by_label("Password", exact=True).fill("boss-pass-1")
        page.get_by_text("I understand: turn sign-in on and sign this browser out").click()
        add.click()
        # this browser is signed out to the sign-in form, which says why
        expect(page.get_by_role("heading", name="Sign in to salescore")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Sign-in is now on for everyone. Sign in as boss")).to_be_visible()
        _idle(page)
        assert page.get_by_test_id("stMetric").count() == 0

        # another browser on this computer (the server still listens on 127.0.0.1) signs in too
        other = browser.new_context(locale="en-US").new_page()
        other.goto(fresh_url)
        expect(other.get_by_role("heading", name="Sign in to salescore")).to_be_visible(timeout=60_000)
        _idle(other)
        assert other.get_by_test_id("stMetric").count() == 0

        _sign_in(page, "boss", "boss-pass-1")
        # signed in, back on the Data page, which now lists the admin
        expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=60_000)
        _idle(page)
        expect(page.get_by_test_id("stSidebar").get_by_text("Signed in as boss (admin)")).to_be_visible()
        expect(page.get_by_text("Sign-in is on for everyone. Users: 1.")).to_be_visible()
        assert page.get_by_test_id("stException").count() == 0
        assert other.get_by_test_id("stException").count() == 0
        browser.close()

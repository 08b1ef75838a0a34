"""Sign-in in a real browser: `python -m salescore serve` (on 127.0.0.1, as make run does) on a
database with users, which therefore requires sign-in, and on a fresh one where the first user
is added on the Data page; a signed session surviving a reload, a deep link, and the cookie's
end (tampered, expired, signed out, password changed; issue 18). Playwright driving Debian's
Chromium (harness as in tests/test_browser.py)."""
from __future__ import annotations

import json
import os
import time

import pytest

from salescore import access, db, session_cookie
from tests.test_browser import ARGS, CHROMIUM, _idle, _pages, served

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                 reason="Debian chromium is not installed (.ci/run installs it)")]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory, demo_copy):
    path = tmp_path_factory.mktemp("signin") / "shared.duckdb"
    demo_copy(path, "en")
    con = db.connect(path)
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
        # signed in, the manager stays on the page asked for, which their role may not open;
        # the menu has no Data page for them
        expect(page.get_by_text("Your role cannot open this page.")).to_be_visible(timeout=60_000)
        _idle(page)
        assert page.url == server_url + "data"
        assert page.get_by_test_id("stFileUploader").count() == 0
        nav = page.get_by_test_id("stSidebarNav")
        assert nav.get_by_role("link").count() == len(_pages()) - 1
        assert nav.get_by_role("link", name="Data", exact=True).count() == 0
        nav.get_by_role("link", name="Overview").click()
        expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=30_000)
        _idle(page)
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
def fresh_url(tmp_path_factory, demo_copy):
    path = tmp_path_factory.mktemp("first") / "fresh.duckdb"
    demo_copy(path, "en")          # data, but no users yet: this laptop is open
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


def _session_cookie(context, timeout: float = 30.0) -> dict:
    """The browser's salescore_session cookie, once the page's post set it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [c for c in context.cookies() if c["name"] == session_cookie.COOKIE]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError("no salescore_session cookie")


def _with_cookie(browser, url: str, value: str):
    """A new browser context (nothing signed in) holding the session cookie ``value``."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US")
    context.add_cookies([{"name": session_cookie.COOKIE, "value": value, "url": url,
                          "httpOnly": True, "sameSite": "Strict"}])
    return context


def _form_shown(page, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_role("heading", name="Sign in to salescore")).to_be_visible(timeout=60_000)
    _idle(page)
    sidebar = page.get_by_test_id("stSidebar")
    assert page.get_by_test_id("stSidebarNav").count() == 0 and sidebar.get_by_role("link").count() == 0
    assert page.get_by_test_id("stMetric").count() == 0


def _signed_in_on(page, heading: str, name: str) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=60_000)
    _idle(page)
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Signed in as {name}")).to_be_visible()
    assert page.get_by_role("heading", name="Sign in to salescore").count() == 0
    assert page.get_by_test_id("stException").count() == 0


def test_a_signed_session_survives_a_reload_and_ends_with_sign_out_or_a_new_password(tmp_path, demo_copy):
    from playwright.sync_api import expect, sync_playwright

    path = tmp_path / "cookie.duckdb"
    demo_copy(path, "en")
    con = db.connect(path)
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    access.add_user(con, "east", "manager", team="East", password="east-pass-1")
    con.close()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        with served(path) as url:
            # a deep link in a fresh browser: the sign-in form, no page in the sidebar
            boss = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US")
            page = boss.new_page()
            _form_shown(page, url + "goals")
            assert page.url == url + "goals"
            _sign_in(page, "boss", "boss-pass-1")
            _signed_in_on(page, "Goals", "boss")                 # the page asked for, not Overview
            assert page.url == url + "goals"
            cookie = _session_cookie(boss)
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
            assert cookie["path"] == "/"
            assert cookie["expires"] - time.time() == pytest.approx(session_cookie.LIFETIME, abs=120)
            assert session_cookie.COOKIE not in page.evaluate("document.cookie")   # HttpOnly
            # a reload (a new Streamlit session) stays signed in, on the same page
            page.reload()
            _signed_in_on(page, "Goals", "boss")
            assert page.url == url + "goals"
            # so does another tab of this browser
            tab = boss.new_page()
            tab.goto(url + "team")
            _signed_in_on(tab, "Team", "boss")
            tab.close()

            # a tampered cookie (a payload naming someone else, the old signature) signs nobody in
            head, body, mac = cookie["value"].split(".")
            claims = json.loads(session_cookie._unb64(body))
            forged_body = session_cookie._b64(json.dumps({**claims, "u": "east"}).encode())
            for value in (f"{head}.{forged_body}.{mac}", cookie["value"][:-2] + "xx"):
                other = _with_cookie(browser, url, value)
                _form_shown(other.new_page(), url + "goals")
                other.close()
            # an expired cookie, correctly signed with this database's secret, signs nobody in;
            # the same cookie unexpired does (the refusal above is the signature, here the time)
            secret = bytes.fromhex(json.loads(session_cookie.key_path(path).read_text())["secret"])
            stale = session_cookie.Claims("boss", 0, int(time.time()) - 1, "expired-1")
            other = _with_cookie(browser, url, session_cookie.sign(secret, stale))
            _form_shown(other.new_page(), url + "goals")
            other.close()
            fresh = session_cookie.Claims("boss", 0, int(time.time()) + 3600, "made-here-1")
            kept = _with_cookie(browser, url, session_cookie.sign(secret, fresh))
            kept_page = kept.new_page()
            kept_page.goto(url + "goals")
            _signed_in_on(kept_page, "Goals", "boss")

            # east signs in in a browser of their own
            east = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US")
            east_page = east.new_page()
            _form_shown(east_page, url)
            _sign_in(east_page, "east", "east-pass-1")
            _signed_in_on(east_page, "Overview", "east")
            _session_cookie(east)

            # signing out: the browser forgets the cookie, and a copy of it no longer signs in
            page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("heading", name="Sign in to salescore")).to_be_visible(timeout=30_000)
            _idle(page)
            deadline = time.monotonic() + 30
            while any(c["name"] == session_cookie.COOKIE for c in boss.cookies()):
                assert time.monotonic() < deadline, "the cookie was not deleted"
                time.sleep(0.2)
            page.reload()
            _form_shown(page, url + "goals")
            copy = _with_cookie(browser, url, cookie["value"])
            _form_shown(copy.new_page(), url + "goals")
            copy.close()

        # the server stops; an admin sets east a new password from the command line
        con = db.connect(path)
        access.set_password(con, "east", "east-pass-2")
        con.close()
        with served(path) as url:                # another port: cookies do not depend on it
            # east's cookie names the old password's epoch: the form, saying why
            east_page.goto(url)
            expect(east_page.get_by_role("heading", name="Sign in to salescore")).to_be_visible(
                timeout=60_000)
            expect(east_page.get_by_text("Your password was changed in another session")).to_be_visible()
            _idle(east_page)
            # the boss's other cookie still signs in after the restart (the secret is kept), and
            # the signed-out one stays revoked
            kept_page.goto(url + "team")
            _signed_in_on(kept_page, "Team", "boss")
            copy = _with_cookie(browser, url, cookie["value"])
            _form_shown(copy.new_page(), url + "team")
            # east signs in with the new password and gets a new cookie
            _sign_in(east_page, "east", "east-pass-2")
            _signed_in_on(east_page, "Overview", "east")
            east_page.reload()
            _signed_in_on(east_page, "Overview", "east")
        browser.close()

"""A rep's statement in a real browser at 1280x720 (issue 18): the rep signs in, lands on My
results, downloads the XLSX and the printable HTML by clicking, and opens the print preview;
both files add up to the total the card shows, deductions negative, days as dates (harness as
in tests/test_browser.py)."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from salescore import access, db
from salescore import incentives as inc
from tests.test_browser import ARGS, CHROMIUM, _idle, served
from tests.test_statements import _amount, _html, _sums_to, _xlsx

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                 reason="Debian chromium is not installed (.ci/run installs it)")]

REP, PASSWORD = "Ava Collins", "ava-pass-01"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory, demo_copy):
    path = tmp_path_factory.mktemp("statement") / "shared.duckdb"
    demo_copy(path, "en")
    con = db.connect(path)
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    access.add_user(con, REP, "rep", password=PASSWORD)
    con.close()
    with served(path) as url:
        yield url


def _download(page, name: str) -> bytes:
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=name, exact=True).click()
    return Path(info.value.path()).read_bytes()


def test_a_rep_downloads_and_previews_their_statement(server_url):
    from playwright.sync_api import expect, sync_playwright

    labels = inc.statement_labels("en")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="en-US", accept_downloads=True)
        page.goto(server_url)
        page.get_by_label("Name").fill(REP)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("heading", name=f"My results · {REP}")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("My statement · ", exact=False)).to_be_visible(timeout=60_000)
        _idle(page)
        card = page.get_by_test_id("stMetric").filter(has_text="Total payout")
        total = _amount(card.get_by_test_id("stMetricValue").inner_text().strip())
        cut = card.get_by_test_id("stMetricValue").evaluate("e => e.scrollWidth > e.clientWidth")
        assert not cut, "the total payout card is cut at 1280x720"

        summary, xlsx_total, lines = _xlsx(_download(page, "Download this statement (XLSX)"), labels)
        assert xlsx_total == total and _sums_to(summary, total)
        assert all(summary[labels[k]] <= 0 for k in ("decelerator_cut", "clawback"))   # deductions
        assert lines and all(isinstance(r[2], date) for r in lines if r[0] != "Rounding to the cent")

        printable = _download(page, "Printable view (HTML)").decode("utf-8")
        parts, html_total = _html(printable, labels)
        assert parts == summary and html_total == total and REP in printable

        page.get_by_text("Preview the printable statement").click()
        expect(page.get_by_text("Sales rep signature")).to_be_visible(timeout=30_000)
        assert page.get_by_test_id("stException").count() == 0
        browser.close()

"""Data › Currencies and exchange rates in a real browser: a rate typed into the rate table and
saved converts every amount again (issue 20). The typing is done in Glide's grid as a user does
(tests/test_browser_goals.py); the converted figure is read back from the currency table."""
from __future__ import annotations

import os

import pytest

from salescore import db, ingest
from tests.test_browser import ARGS, CHROMIUM, _idle, served
from tests.test_browser_goals import RECORD_STATES, _rows, _settle
from tests.test_fx import EXPORT

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                 reason="Debian chromium is not installed (.ci/run installs it)")]


def _type_rate(page, grid, value: str) -> float:
    """Double-click the first row's rate (the last column; the first is the row checkbox of a
    table rows can be added to), type ``value``, Enter; the page's clock at the Enter."""
    from playwright.sync_api import expect

    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.dblclick(box["x"] + box["width"] - 60, box["y"] + 35 * 1.5)
    editor = page.locator("#portal textarea, #portal input").first
    expect(editor).to_be_focused(timeout=10_000)
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    expect(editor).to_have_value(value, timeout=5_000)
    at = page.evaluate("performance.now()")
    page.keyboard.press("Enter")
    return at


def test_a_rate_typed_into_the_table_converts_the_usd_deals(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    path = tmp_path / "fx.duckdb"
    con = db.connect(path)
    for text, name in ((EXPORT, "deals.csv"), ("Currency,Month,Exchange Rate\nUSD,2026-07,7.1\n", "rates.csv")):
        ingest.load(con, ingest.prepare(text.encode(), name, con=con), file_name=name)
    con.close()
    with served(path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="en-US")
        page.add_init_script(RECORD_STATES)
        page.goto(url + "data")
        expect(page.get_by_role("heading", name="Currencies and exchange rates")).to_be_visible(timeout=60_000)
        _idle(page)
        grids = page.get_by_test_id("stDataFrame").filter(visible=True)
        rates = grids.filter(has=page.locator("th", has_text="Month")).first
        usd = grids.filter(has=page.locator("th", has_text="Amount (own currency)")).first
        assert [r[:2] for r in _rows(rates)] == [["USD", "2026-07"]]
        before = {r[0]: r for r in _rows(usd)}
        assert before["USD"][3].replace(",", "").startswith("21300")    # 3,000 USD x 7.1
        since = _type_rate(page, rates, "7.5")
        _settle(page, since)
        page.get_by_role("button", name="Save the exchange rates").click()
        expect(page.get_by_text("1 exchange rate saved")).to_be_visible(timeout=30_000)
        _idle(page)
        after = {r[0]: r for r in _rows(usd)}
        assert after["USD"][3].replace(",", "").startswith("22500"), after   # 3,000 USD x 7.5
        page.reload()
        expect(page.get_by_role("heading", name="Currencies and exchange rates")).to_be_visible(timeout=60_000)
        _idle(page)
        rates = page.get_by_test_id("stDataFrame").filter(visible=True).filter(
            has=page.locator("th", has_text="Month")).first
        assert [r[2] for r in _rows(rates)] == ["7.5"]
        browser.close()

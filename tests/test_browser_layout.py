"""Projector check (issue 18) in real Chromium at 1280x720, in Chinese and English, on the demo
company: the Overview, Team, Funnel, Customers and Retention pages, every tab of each, show
no "None" / "NaN" / "NaT" / "00:00:00", no raw key (new_customer_deal, period_champion,
batch_id ...), no error, and no cut text in a metric card (an element whose scrollWidth
exceeds its clientWidth: "Average deal s…", "¥12…").

One server and one browser for the whole module. Tables are drawn on a canvas (their cells are
not in the DOM): what they are given is checked in tests/test_page_tables.py.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from salescore import db, demo

from tests.test_browser import ARGS, CHROMIUM, served

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason="Debian chromium is not installed (.ci/run installs it)")]

PAGES = ["", "team", "funnel", "customers", "retention"]    # "" = the Overview (the default page)
VIEWPORT = {"width": 1280, "height": 720}
LOCALES = {"zh": "zh-CN", "en": "en-US"}

#: What a manager must never see on the projector.
BAD = re.compile(r"\b(?:None|NaN|NaT)\b|00:00:00|\b[a-z]+(?:_[a-z0-9]+)+\b")

#: The visible text of the page's main area: every text node whose element is shown, material
#: icons left out (their names, such as upload_file, are ligatures, not text a user reads).
VISIBLE_TEXT = """() => {
  const out = [];
  const main = document.querySelector('[data-testid="stMain"]');
  const walk = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('[data-testid="stIconMaterial"], style, script')) continue;
    if (getComputedStyle(el).fontFamily.includes('Material')) continue;   // an icon ligature
    if (!el.checkVisibility()) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  return out;
}"""

#: Elements of a shown metric card whose text is wider than their box (cut with an ellipsis).
CUT_IN_CARDS = """() => Array.from(document.querySelectorAll('[data-testid="stMetric"] *'))
  .filter(e => e.checkVisibility() && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent.trim())"""

ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("layout") / "demo.duckdb"
    con = db.connect(path)
    demo.load(con, lang="zh")
    con.close()
    with served(path) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _idle(page) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)


def _problems(page, where: str) -> list[str]:
    """What is wrong with the view on screen now, each as 'where: what'."""
    found = [f"{where}: shows {m.group(0)!r} in {text[:80]!r}"
             for text in page.evaluate(VISIBLE_TEXT) for m in BAD.finditer(text)]
    found += [f"{where}: cut in a card: {text[:60]!r}" for text in page.evaluate(CUT_IN_CARDS)]
    found += [f"{where}: error {e.inner_text()[:120]!r}" for e in page.locator(ERRORS).all()]
    return found


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_fit_a_1280_screen(server_url, browser, lang):
    context = browser.new_context(viewport=VIEWPORT, locale=LOCALES[lang])
    page = context.new_page()
    problems: list[str] = []
    try:
        for path in PAGES:
            page.goto(server_url + path)
            page.wait_for_selector('[data-testid="stMetric"], [data-testid="stTab"]', timeout=60_000)
            _idle(page)
            tabs = page.get_by_role("tab")
            for i in range(max(1, tabs.count())):
                if tabs.count():
                    tabs.nth(i).click()
                    _idle(page)
                page.wait_for_timeout(400)          # charts of a tab draw once it is shown
                problems += _problems(page, f"{lang} /{path or 'overview'} tab {i}")
    finally:
        context.close()
    assert problems == []

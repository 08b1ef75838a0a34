"""Projector check (issue 18) in real Chromium, on the demo company: every page of the menu in
English (en demo) at 1280x720 as it opens, and every tab of every page in Chinese (zh demo) at
1920x1080 (see PAIRS).
A view fails on

- "None" / "NaN" / "NaT" / "00:00:00" or a raw key (new_customer_deal, batch_id ...);
- a word of the other language: English words on a Chinese screen (beyond the short list
  of names that stay English in Chinese too, such as KPI, SMART, SWOT, CSV), Chinese on an
  English screen;
- cut text in a metric card (an element whose scrollWidth exceeds its clientWidth:
  "Average deal s…", "¥12…");
- an error box;
- on the Meeting page, a slide taller than the screen (the page scrolls).

One server per language and one browser for the module. Tables are drawn on a canvas (their
cells are not in the DOM): what they are given is checked in tests/test_page_tables.py.

With SALESCORE_SCREENSHOTS=1 (``make screenshots``) each page's first tab at 1280x720 in
English is saved to docs/screens/ (the README links them).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.test_browser import ARGS, CHROMIUM, ROOT, _pages, settled

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason="Debian chromium is not installed (.ci/run installs it)")]

#: url paths of the menu's pages, in menu order ("" = the Overview, the default page)
PAGES = ["" if p.elts[3].value == "overview" else p.elts[3].value for p in _pages()]
VIEWPORTS = {"1280x720": {"width": 1280, "height": 720}, "1920x1080": {"width": 1920, "height": 1080}}
LOCALES = {"zh": "zh-CN", "en": "en-US"}
SHOTS = ROOT / "docs" / "screens"

#: What a manager must never see on the projector.
BAD = re.compile(r"\b(?:None|NaN|NaT|nan)\b|00:00:00|\b[a-z]+(?:_[a-z0-9]+)+\b")
#: English on a Chinese screen: a word of 3+ letters, except names that stay English in
#: Chinese business writing and Streamlit's own uploader text ("Upload", "200MB per file":
#: Streamlit 1.67 offers no way to translate them).
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
ZH_KEEPS = {"KPI", "KPIs", "SMART", "SWOT", "CSV", "XLSX", "xlsx", "csv", "PPTX", "pptx", "PNG",
            "HTML", "CRM", "ROI", "PDF", "RMB", "CNY", "USD", "EUR", "Excel", "DuckDB", "Parquet",
            "SSO", "zip", "ZIP", "Top", "Drag", "and", "drop", "file", "files", "here", "Limit",
            "per", "Browse", "salescore", "JPG", "JPEG", "WebP", "jpg", "png", "jpeg", "webp",
            "parquet", "json", "JSON", "MB", "GB", "app", "Maven", "Superstore", "Tmall", "CSAT",
            "NPS", "TSV", "TXT", "XLS", "XLSM", "ODS", "WEBP", "Upload"}
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e]")

#: The visible text of the page's main area: every text node whose element is shown, material
#: icons left out (their names, such as upload_file, are ligatures, not text a user reads).
VISIBLE_TEXT = """() => {
  const out = [];
  const main = document.querySelector('[data-testid="stMain"]');
  const walk = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('[data-testid="stIconMaterial"], style, script, code, pre')) continue;
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

#: How far the main area scrolls beyond the screen (px).
OVERFLOW = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return Math.max(main.scrollHeight - main.clientHeight,
                  document.scrollingElement.scrollHeight - window.innerHeight);
}"""

ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


@pytest.fixture(scope="module")
def servers(demo_server):
    """A served demo per language (the zh demo has Chinese names, the en one English), shared
    with the other read-only browser checks (tests/conftest.py ``demo_server``)."""
    return {lang: demo_server(lang) for lang in LOCALES}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _idle(page) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=60_000)


def _other_language(text: str, lang: str) -> list[str]:
    if lang == "en":
        return [text] if CJK.search(text) and text != "中文" else []
    return [w for w in LATIN_WORD.findall(text) if w not in ZH_KEEPS]


def _problems(page, lang: str, where: str, slides: bool) -> list[str]:
    """What is wrong with the view on screen now, each as 'where: what'."""
    texts = page.evaluate(VISIBLE_TEXT)
    found = [f"{where}: shows {m.group(0)!r} in {text[:80]!r}"
             for text in texts for m in BAD.finditer(text)]
    found += [f"{where}: {'Chinese' if lang == 'en' else 'English'} {w!r} in {text[:80]!r}"
              for text in texts for w in _other_language(text, lang)]
    found += [f"{where}: cut in a card: {text[:60]!r}" for text in page.evaluate(CUT_IN_CARDS)]
    found += [f"{where}: error {e.inner_text()[:120]!r}" for e in page.locator(ERRORS).all()]
    if slides and page.evaluate(OVERFLOW) > 2:
        page.wait_for_timeout(700)              # a late chart resize or status line: look again
        settled(page)
        if (over := page.evaluate(OVERFLOW)) > 2:
            found.append(f"{where}: the slide is {over} px taller than the screen")
    return found


#: Each language once and each projector size once (the four pairs took 4.5 of CI's 20 minutes;
#: what one language's text does to a layout shows at either size). The Chinese walk opens
#: every tab of every page (English left on a Chinese screen is the mistake a hard-coded string
#: makes); the English one each page as it opens, the view the README's screenshots show
#: (the metric cards of the other tabs are checked in English by test_browser_incentives).
PAIRS = [("en", "1280x720"), ("zh", "1920x1080")]
EVERY_TAB = {"zh"}


@pytest.mark.parametrize(("lang", "size"), PAIRS)
def test_every_page_fits_the_screen(servers, browser, lang, size):
    context = browser.new_context(viewport=VIEWPORTS[size], locale=LOCALES[lang])
    page = context.new_page()
    shoot = os.environ.get("SALESCORE_SCREENSHOTS") == "1" and lang == "en" and size == "1280x720"
    problems: list[str] = []
    try:
        for path in PAGES:
            page.goto(servers[lang] + path)
            page.wait_for_selector('[data-testid="stHeading"]', timeout=60_000)
            settled(page)                           # charts draw after the script ends
            if shoot:
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / f"{path or 'overview'}.png"))
            tabs = page.locator('[data-testid="stMain"] [role="tab"]')
            for i in range(max(1, tabs.count()) if lang in EVERY_TAB else 1):
                if tabs.count() and i:
                    tabs.nth(i).click()
                    settled(page)
                problems += _problems(page, lang, f"{lang} {size} /{path or 'overview'} tab {i}",
                                      slides=path == "meeting")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)

"""The Meeting page on the projector (issue 18), in real Chromium on the demo company: at
1280x720 (English, sidebar open) and 1920x1080 (Chinese, sidebar collapsed), every
slide (walked by clicking Next) fits the screen without scrolling, no metric card is cut
("¥12…", "100…": an element whose scrollWidth exceeds its clientWidth) and none of the strings
a manager must never see shows (tests/test_browser_layout.py's check).

A served demo per language (the zh demo has Chinese names, the en one English) and one
browser for the module (harness of tests/test_browser.py and tests/test_browser_layout.py).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from salescore import report
from salescore.i18n import t

from tests.test_browser import ARGS, CHROMIUM, _idle, served, settled
from tests.test_browser_layout import LOCALES, _problems, servers  # noqa: F401 (a demo per language)

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason="Debian chromium is not installed (.ci/run installs it)")]

@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _walk(page, lang: str, where: str) -> tuple[list[str], list[str]]:
    """Every slide from the first, by clicking Next: (the slides' titles, what is wrong)."""
    problems, titles = [], []
    following = page.get_by_role("button", name=t("meeting.next", lang))
    for n in range(1, len(report.SLIDE_KEYS) + 1):
        page.get_by_text(t("meeting.counter", lang, n=n, total=len(report.SLIDE_KEYS))).wait_for(timeout=60_000)
        settled(page)                                    # the chart draws after the script run
        titles.append(page.locator("h2").first.inner_text().split("\n")[0].strip())
        # cut cards, a slide taller than the screen, bad strings, the other language
        problems += _problems(page, lang, f"{where} slide {n}", slides=True)
        if n < len(report.SLIDE_KEYS):
            following.click()
    return titles, problems


@pytest.mark.parametrize(("lang", "size", "sidebars"),
                         [("en", (1280, 720), ("open",)), ("zh", (1920, 1080), ("collapsed",))],
                         ids=["en-1280x720", "zh-1920x1080"])
def test_every_slide_fits_the_screen(servers, browser, lang, size, sidebars):
    # each language, size and sidebar state once (every pair took 77 s of the CI's 20 minutes);
    # the longer English strings on the narrowest screen, with the sidebar open
    problems: list[str] = []
    for sidebar in sidebars:
        context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=LOCALES[lang])
        page = context.new_page()
        try:
            page.goto(servers[lang] + "meeting")
            page.get_by_test_id("stMetric").first.wait_for(timeout=60_000)
            _idle(page)
            if sidebar == "collapsed":
                page.get_by_test_id("stSidebar").hover()  # the collapse button shows on hover
                page.get_by_test_id("stSidebarCollapseButton").get_by_role("button").click()
                page.wait_for_function("""() => { const r = document.querySelector(
                    '[data-testid="stSidebar"]').getBoundingClientRect(); return r.right < 60 || r.width < 60; }""",
                                       timeout=10_000)
            titles, found = _walk(page, lang, f"{lang} {size[0]}x{size[1]} sidebar {sidebar}")
            problems += found
            assert titles[0] == t("meeting.slide.kpis", lang)
            assert len(titles) == len(report.SLIDE_KEYS)
        finally:
            context.close()
    assert problems == []

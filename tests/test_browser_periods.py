"""A running period in real Chromium (issue 18), at 1280x720 in both languages: choosing the
running quarter 2026-Q4 in the sidebar (the demo's data ends 2026-11-20) makes the Overview
say "to date" and compare with the same first 51 days of 2026-Q3, with whole card texts; the
Retention page, following the sidebar, opens on the last complete pay period and says why,
and marks the running one provisional when it is chosen."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_browser import CHROMIUM
from tests.test_browser_layout import LOCALES, _idle, _problems, browser, servers  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason="Debian chromium is not installed (.ci/run installs it)")]

WORDS = {
    "zh": {"quarter": "季度", "showing": "查看", "to_date": "2026-Q4 截至 11-20",
           "previous": "2026-Q3 同期（前 51 天，截至 08-20）", "delta": "环比同期",
           "settled": "侧边栏为 2026-Q4 截至 11-20", "provisional": "暂估", "pay_period": "发放周期", "nav": "留才"},
    "en": {"quarter": "Quarter", "showing": "Showing", "to_date": "2026-Q4 to date (through 2026-11-20)",
           "previous": "2026-Q3 through 2026-08-20 (the same first 51 days)", "delta": "vs same days before",
           "settled": "The sidebar shows 2026-Q4 to date (through 2026-11-20)", "provisional": "Provisional",
           "pay_period": "Pay period", "nav": "Retention"},
}


def _shown_wrong(page, lang: str, where: str) -> list[str]:
    """None/NaN/raw keys, cut card texts and error boxes on screen (test_browser_layout's
    checks; its other-language check runs there, over every page)."""
    return [p for p in _problems(page, lang, where, slides=False)
            if not p.startswith(f"{where}: English") and not p.startswith(f"{where}: Chinese")]


def _choose(page, root, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` inside ``root``, as a user does."""
    root.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    _idle(page)
    page.wait_for_timeout(400)


@pytest.mark.parametrize("lang", list(LOCALES))
def test_running_quarter_says_to_date_on_overview_and_retention(servers, browser, lang):
    from playwright.sync_api import expect

    words = WORDS[lang]
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale=LOCALES[lang])
    page = context.new_page()
    try:
        page.goto(servers[lang])
        page.wait_for_selector('[data-testid="stHeading"]', timeout=60_000)
        _idle(page)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_role("radio", name=words["quarter"], exact=True).click()
        _idle(page)
        _choose(page, sidebar, words["showing"], "2026-Q4")
        main = page.get_by_test_id("stMain")
        text = main.inner_text()
        assert words["to_date"] in text and words["previous"] in text
        revenue = main.get_by_test_id("stMetric").first
        assert words["delta"] in revenue.inner_text()
        assert _shown_wrong(page, lang, f"{lang} overview 2026-Q4") == []

        page.get_by_test_id("stSidebarNav").get_by_role("link", name=words["nav"]).click()  # same session
        page.wait_for_selector('[data-testid="stHeading"]', timeout=60_000)
        _idle(page)
        page.wait_for_timeout(400)
        main = page.get_by_test_id("stMain")
        assert words["settled"] in main.inner_text()          # opens on 2026-Q3, says why
        _choose(page, main, words["pay_period"], "2026-Q4")
        # the rerun the choice starts may still be drawing: wait for its words (a loaded CI)
        expect(main).to_contain_text(words["provisional"], timeout=60_000)
        text = main.inner_text()
        assert words["provisional"] in text and words["to_date"] in text
        assert _shown_wrong(page, lang, f"{lang} retention 2026-Q4") == []
    finally:
        context.close()

"""Goals › Set & decompose in a real browser at 1280x720: a total typed into the rep grid or
the team grid stays, with the rest rebalanced, after every rerun it causes (issue 18).

The grid is Glide's canvas: a cell is found by selecting it with the keyboard (the open
editor's box is the cell's box), then double-clicked, typed into and committed with Enter,
as a user does. Its values are read from the grid's accessibility table (raw numbers)."""
from __future__ import annotations

import os

import pytest

from tests.test_browser import ARGS, CHROMIUM, _idle, served

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                 reason="Debian chromium is not installed (.ci/run installs it)")]

TYPED = 3_000_000
#: Every change of the app's run state, in the page's own clock (TECH_NOTES §6).
RECORD_STATES = """
window.__states = [];
new MutationObserver(() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (app) window.__states.push([app.getAttribute('data-test-script-state'), performance.now()]);
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
"""


@pytest.fixture(scope="module")
def server_url(tmp_path_factory, demo_copy):
    path = tmp_path_factory.mktemp("goals-browser") / "demo.duckdb"
    demo_copy(path, "en")
    with served(path) as url:
        yield url


@pytest.fixture
def goals_page(server_url):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="en-US")
        page.add_init_script(RECORD_STATES)
        page.goto(server_url + "goals")
        expect(page.get_by_role("heading", name="Goals", exact=True)).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Manual changes")).to_be_visible(timeout=60_000)
        _idle(page)
        yield page
        browser.close()


def _grids(page):
    return page.get_by_test_id("stDataFrame").filter(visible=True)


def _rep_grid(page):
    """The editor of the reps (columns Team, Sales rep, Total, months)."""
    return _grids(page).filter(has=page.locator("th", has_text="Sales rep")).first


def _team_grid(page):
    """The editor of the teams (columns Team, Total)."""
    return (_grids(page).filter(has=page.locator("th", has_text="Team"))
            .filter(has_not=page.locator("th", has_text="Sales rep")).first)


def _rows(grid) -> list[list[str]]:
    """The cells of every row the grid's accessibility table holds, as raw text (the grid
    draws it once it is on screen)."""
    grid.scroll_into_view_if_needed()
    grid.locator("table[role=grid] tbody tr").first.wait_for(state="attached", timeout=30_000)
    return [r.locator("td").all_inner_texts() for r in grid.locator("table[role=grid] tbody tr").all()]


def _headers(grid) -> list[str]:
    return [h.strip() for h in grid.locator("table[role=grid] th").all_inner_texts()]


def _changes(page) -> str:
    card = page.get_by_test_id("stMetric").filter(has_text="Manual changes")
    return card.get_by_test_id("stMetricValue").inner_text()


def _type_into(page, grid, row: int, col: int, value: int) -> float:
    """Double-click the cell (row, col), type ``value`` and Enter; returns the page's clock
    at the Enter. Column 0 (the team) is read-only in both grids: clicking it only selects,
    and the arrow keys walk from there to the cell."""
    from playwright.sync_api import expect

    from tests.test_browser import _idle

    editor = page.locator("#portal textarea, #portal input").first
    for _attempt in range(3):
        _idle(page)
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        header = 35                               # Glide's header and row height in Streamlit
        page.mouse.click(box["x"] + 8, box["y"] + header * (row + 1) + header / 2)
        page.wait_for_timeout(200)                # the selection lands before the arrows (loaded CI)
        for _ in range(col):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")              # opens the cell's editor where the cell is
        editor.wait_for(state="visible", timeout=30_000)
        if not editor.is_disabled():
            break
        page.keyboard.press("Escape")             # a read-only cell's viewer: walk again
        editor.wait_for(state="hidden", timeout=30_000)
    box = editor.bounding_box()                   # it starts at the cell (and may be wider)
    page.keyboard.press("Escape")
    editor.wait_for(state="hidden", timeout=30_000)
    page.mouse.dblclick(box["x"] + 12, box["y"] + box["height"] / 2)
    expect(editor).to_be_focused(timeout=30_000)
    for _attempt in range(3):   # under load the first keys can land before the editor takes them
        page.keyboard.press("Control+A")
        page.keyboard.type(str(value))
        try:
            expect(editor).to_have_value(str(value), timeout=5_000)
            break
        except AssertionError:
            if _attempt == 2:
                raise
    at = page.evaluate("performance.now()")
    page.keyboard.press("Enter")
    return at


def _settle(page, since: float, quiet_ms: int = 1500) -> None:
    """Wait until a rerun started after ``since`` has finished and the app then stayed idle
    for ``quiet_ms`` (the grid sends its emptied edits back a moment after new data)."""
    page.wait_for_function(
        """([since, quiet]) => {
             const s = window.__states, i = s.findIndex(([state, t]) => state === 'running' && t > since);
             if (i < 0) return false;
             const last = s[s.length - 1];
             return last[0] === 'notRunning' && performance.now() - last[1] > quiet;
           }""", arg=[since, quiet_ms], timeout=60_000)


def _totals(rows, col: int) -> list[int]:
    return [int(r[col]) for r in rows]


def test_a_reps_total_typed_in_stays_and_the_team_rebalances(goals_page):
    page = goals_page
    reps, teams = _rep_grid(page), _team_grid(page)
    before, team_before = _rows(reps), _rows(teams)
    headers = _headers(reps)
    total = headers.index("Total")
    months = [i for i, h in enumerate(headers) if h[:4].isdigit()]
    east = before[0][0]
    in_east = [i for i, r in enumerate(before) if r[0] == east]
    assert len(in_east) >= 3 and int(before[0][total]) != TYPED
    assert _changes(page) == "0"

    since = _type_into(page, reps, 0, total, TYPED)    # the first rep's Total
    _settle(page, since)
    for look in range(2):                              # right after the reruns, and 3 s later
        after = _rows(reps)
        assert _changes(page) == "1"
        assert int(after[0][total]) == TYPED
        # the rest of the team shares the difference; the team and the other reps stay
        others = [i for i in in_east if i]
        assert sum(int(after[i][total]) for i in in_east) == sum(int(before[i][total]) for i in in_east)
        assert [int(after[i][total]) for i in others] != [int(before[i][total]) for i in others]
        assert [r for i, r in enumerate(after) if i not in in_east] == \
               [r for i, r in enumerate(before) if i not in in_east]
        assert all(int(r[total]) == sum(int(r[m]) for m in months) for r in after)   # months add up
        assert _rows(teams) == team_before
        if not look:
            page.wait_for_timeout(3000)
    assert page.get_by_test_id("stException").count() == 0


def test_a_teams_total_typed_in_stays_and_the_other_teams_rebalance(goals_page):
    page = goals_page
    teams, reps = _team_grid(page), _rep_grid(page)
    before = _rows(teams)
    total, rep_total = _headers(teams).index("Total"), _headers(reps).index("Total")
    company = sum(_totals(before, total))
    assert len(before) >= 2 and int(before[0][total]) != TYPED

    since = _type_into(page, teams, 0, total, TYPED)   # the first team's Total
    _settle(page, since)
    for look in range(2):
        after = _rows(teams)
        assert _changes(page) == "1"
        assert int(after[0][total]) == TYPED
        assert sum(_totals(after, total)) == company                        # the company stays
        assert _totals(after, total)[1:] != _totals(before, total)[1:]      # the others share it
        first = [r for r in _rows(reps) if r[0] == after[0][0]]
        assert sum(int(r[rep_total]) for r in first) == TYPED               # its reps follow
        if not look:
            page.wait_for_timeout(3000)
    assert page.get_by_test_id("stException").count() == 0

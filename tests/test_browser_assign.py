"""Incentives › Plan › "Who this plan pays" in a real browser, in Chinese (issue 20): choosing a
rep, typing the start day into the date box (its year, month and day segments) and assigning makes the saved plan pay that rep
alone. The date is typed as a user types it; the stored assignment and the payouts are read
back from the database after the server stops."""
from __future__ import annotations

import os
import re
from datetime import date

import pytest

from salescore import db, ingest
from salescore import incentives as inc
from salescore.periods import parse
from tests.test_assignments import DEALS, FIELD, REPS, TARGETS
from tests.test_browser import ARGS, CHROMIUM, _idle, served

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                 reason="Debian chromium is not installed (.ci/run installs it)")]


def test_a_rep_assigned_in_the_browser_is_the_only_one_the_plan_pays(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    path = tmp_path / "assign.duckdb"
    con = db.connect(path)
    for text, name in ((DEALS, "deals.csv"), (REPS, "reps.csv"), (TARGETS, "targets.csv")):
        ingest.load(con, ingest.prepare(text.encode(), name, con=con), file_name=name)
    plan_id, _ = inc.save_plan(con, inc.Plan.from_dict(FIELD))
    con.close()
    with served(path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.goto(url + "incentives")
        panel = page.get_by_text("本方案适用的销售（已分配 0 人）")
        expect(panel).to_be_visible(timeout=60_000)
        _idle(page)
        panel.click()
        box = page.get_by_test_id("stExpander").filter(has_text="本方案适用的销售")
        expect(box.get_by_text("尚未分配给任何销售")).to_be_visible(timeout=10_000)
        rep = box.get_by_test_id("stSelectbox").first
        rep.locator("input").click()
        page.keyboard.type("Bob")
        page.get_by_role("option", name="Bob", exact=True).click()
        expect(rep.get_by_role("combobox")).to_have_value("Bob")
        # Streamlit 1.67's date box is a field of year / month / day segments: typing the
        # digits moves from one to the next, as a user types them; Tab leaves the box
        box.get_by_role("spinbutton", name="year, 开始").click()
        page.keyboard.type("20260701")
        page.keyboard.press("Tab")
        expect(box.get_by_role("spinbutton", name="day, 开始")).to_have_attribute("aria-valuetext", re.compile("1"))
        _idle(page)
        box.get_by_role("button", name="分配到本方案").click()
        expect(page.get_by_text("已为 Bob 添加方案分配 1")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("本方案适用的销售（已分配 1 人）")).to_be_visible(timeout=30_000)
        browser.close()
    con = db.connect(path)
    try:
        rows = inc.assignments.assignments(con)
        assert rows[["rep", "plan_id"]].values.tolist() == [["Bob", plan_id]]
        assert rows["from_date"].iloc[0].date() == date(2026, 7, 1)
        pay = inc.payouts(con, inc.load_plan(con, plan_id), parse("2026-Q3"))
        assert pay["rep"].tolist() == ["Bob"]
    finally:
        con.close()

"""The main path in a real browser: Playwright drives Debian's Chromium against `streamlit run`.

Saves docs/overview.png, the screenshot the README shows.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason="Debian chromium is not installed (.ci/run installs it)")]


# true once every chart on screen has drawn (Vega puts a canvas or svg in its container)
CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .filter(e => e.checkVisibility()).every(e => e.querySelector('canvas, svg'))"""


def settled(page) -> None:
    """Wait until the script run is over and the charts on screen have drawn, then two
    animation frames for the layout (instead of a fixed pause per view)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=60_000)
    page.wait_for_function(CHARTS_DRAWN, timeout=15_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(path: Path):
    """``python -m salescore serve`` (what make run does) on the database at ``path``, on a
    free loopback port; yields the base URL and stops the server afterwards."""
    port = _free_port()
    env = dict(os.environ, SALESCORE_DB=str(path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "salescore", "serve", "--address", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(url + "_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            proc.kill()
            pytest.fail(f"streamlit did not start: {out[-2000:]}")
        time.sleep(0.3)
    try:
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def server_url(tmp_path_factory, demo_copy):
    path = tmp_path_factory.mktemp("browser") / "demo.duckdb"
    demo_copy(path, "zh")
    with served(path) as url:
        yield url


def _pages() -> list:
    import ast
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES":
            return node.value.elts
    raise AssertionError("app.py has no PAGES list")


def _idle(page) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=60_000)


def test_main_path(server_url):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        # the very first visit of the server process is a deep link: it must still get
        # app.py's navigation (see salescore/ui/serve.py)
        page.goto(server_url + "data")
        expect(page.get_by_role("heading", name="数据", exact=True)).to_be_visible(timeout=60_000)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_role("link", name="总览")).to_be_visible()
        assert nav.get_by_role("link").count() == len(_pages())
        _idle(page)
        nav.get_by_role("link", name="总览").click()
        expect(page.get_by_role("heading", name="总览", exact=True)).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=30_000)
        _idle(page)
        expect(page.get_by_text("销售明星榜（前 10 名）")).to_be_visible()
        page.wait_for_timeout(1500)  # let the charts finish drawing
        page.screenshot(path=str(ROOT / "docs" / "overview.png"), full_page=True)

        page.get_by_test_id("stSidebar").get_by_text("English").click()
        expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=30_000)
        _idle(page)
        page.get_by_test_id("stSidebar").get_by_text("中文").click()
        expect(page.get_by_role("heading", name="总览", exact=True)).to_be_visible(timeout=30_000)
        _idle(page)

        page.get_by_test_id("stSidebarNav").get_by_role("link", name="数据").click()
        expect(page.get_by_role("heading", name="数据", exact=True)).to_be_visible(timeout=30_000)
        expect(page.get_by_text("示例数据").first).to_be_visible()
        _idle(page)
        assert page.get_by_test_id("stException").count() == 0

        # the meeting: click through two slides, the second by keyboard
        nav.get_by_role("link", name="例会").click()
        expect(page.get_by_text("第 1 / ").first).to_be_visible(timeout=60_000)
        _idle(page)
        page.get_by_role("button", name="下一页").click()
        expect(page.get_by_text("销售明星榜与表彰").first).to_be_visible(timeout=60_000)
        expect(page.get_by_text("第 2 / ").first).to_be_visible()
        _idle(page)
        page.keyboard.press("ArrowRight")
        expect(page.get_by_text("各团队目标进度").first).to_be_visible(timeout=60_000)
        expect(page.get_by_text("第 3 / ").first).to_be_visible()
        assert page.get_by_test_id("stException").count() == 0
        browser.close()

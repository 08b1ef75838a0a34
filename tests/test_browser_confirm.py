"""Typed confirmations in a real browser (issue 17 item 10): "Reset to empty" and a restore
need the word shown on screen typed in the user's language (清空, RESTORE); a wrong word keeps
the button disabled and the database file byte for byte as it was. Harness as in
tests/test_browser.py (`python -m salescore serve`, Playwright driving Debian's Chromium)."""
from __future__ import annotations

import hashlib
import os
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from salescore import backup, db
from tests.test_browser import ARGS, CHROMIUM, _idle, served

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                 reason="Debian chromium is not installed (.ci/run installs it)")]


def _digest(path: Path) -> str:
    """The database file and its write-ahead log: any committed write changes one of them."""
    wal = path.with_name(path.name + ".wal")
    return hashlib.sha256(path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")).hexdigest()


@pytest.fixture(scope="module")
def demo_served(tmp_path_factory, demo_template):
    folder = tmp_path_factory.mktemp("confirm")
    path = folder / "demo.duckdb"
    path.write_bytes(Path(demo_template("zh")).read_bytes())
    con = db.connect(path)
    try:
        backup.write(con, folder / "demo.zip")
    finally:
        con.close()
    with served(path) as url:
        yield url, path, folder / "demo.zip"


def _type(page, label: str, word: str) -> None:
    box = page.get_by_label(label)
    box.fill(word)
    box.press("Enter")
    _idle(page)


def test_reset_and_restore_need_the_typed_word(demo_served):
    from playwright.sync_api import expect, sync_playwright

    url, path, zipped = demo_served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1200}, locale="zh-CN")
        page.goto(url + "data")
        expect(page.get_by_role("heading", name="数据", exact=True)).to_be_visible(timeout=60_000)
        _idle(page)

        # Reset to empty, in Chinese: the word is 清空
        reset = page.get_by_role("button", name="清空数据", exact=True)
        expect(reset).to_be_disabled()
        before = _digest(path)
        _type(page, "输入“清空”以删除全部销售数据（用户和审计日志保留）", "清除")   # a wrong word
        expect(reset).to_be_disabled()
        assert _digest(path) == before
        _type(page, "输入“清空”以删除全部销售数据（用户和审计日志保留）", "清空")
        expect(reset).to_be_enabled()
        reset.click()
        expect(page.get_by_text("全部销售数据已删除。")).to_be_visible(timeout=30_000)
        _idle(page)
        assert _digest(path) != before
        expect(page.get_by_test_id("stMetricValue").first).to_have_text("0")   # deals

        # restore, in English: the word is RESTORE
        page.get_by_test_id("stSidebar").get_by_text("English").click()
        expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=30_000)
        _idle(page)
        uploader = page.get_by_test_id("stFileUploader").filter(has_text="Restore from a backup file")
        uploader.locator('input[type="file"]').set_input_files(str(zipped))
        expect(page.get_by_text("Backup made ")).to_be_visible(timeout=30_000)
        _idle(page)
        restore = page.get_by_role("button", name="Restore", exact=True)
        expect(restore).to_be_disabled()
        label = "Type RESTORE to replace ALL current data with this backup"
        before = _digest(path)
        _type(page, label, "RESET")                 # the other action's word is wrong here
        expect(restore).to_be_disabled()
        assert _digest(path) == before
        _type(page, label, "RESTORE")
        expect(restore).to_be_enabled()
        restore.click()
        expect(page.get_by_text("Backup restored: 15,679 deals, 24 sales reps.")).to_be_visible(
            timeout=60_000)
        _idle(page)
        assert _digest(path) != before
        expect(page.get_by_test_id("stMetricValue").first).to_have_text("15,679")
        assert page.get_by_test_id("stException").count() == 0
        browser.close()


@contextmanager
def _decoy(html: str):
    """A page at another local origin (this computer, another port), served from a thread;
    yields its URL."""
    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server hook
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/decoy.html"
    finally:
        server.shutdown()
        server.server_close()


def test_another_origin_cannot_frame_the_app(demo_served):
    """A page of another local origin (the clickjacking set-up: the app in an invisible frame
    over a decoy button) gets a blocked frame, not the Data page."""
    from playwright.sync_api import sync_playwright

    url, _, _ = demo_served
    frame = f'<iframe id="app" src="{url}data" width="800" height="600"></iframe>'
    with sync_playwright() as p, _decoy(frame) as decoy:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(decoy)
        page.wait_for_timeout(5000)   # time enough for the app to draw, were it allowed to
        framed = [f for f in page.frames if f is not page.main_frame]
        assert len(framed) == 1
        assert not framed[0].url.startswith(url)          # Chromium's error page instead
        assert framed[0].locator('[data-testid="stApp"]').count() == 0
        browser.close()

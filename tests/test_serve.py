"""``python -m salescore serve`` (issue 17 items 10 and 15): Streamlit's own options pass
through (``serve --server.headless true``, the help's own example, used to fail in argparse),
and every HTTP response of the server, under ``serve`` and under a bare ``streamlit run
app.py``, forbids framing by other origins (salescore/framing.py)."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from salescore import cli, framing

ROOT = Path(__file__).resolve().parents[1]
FRAME = {"content-security-policy": "frame-ancestors 'self'", "x-frame-options": "SAMEORIGIN"}


def test_serve_passes_streamlit_options_on(monkeypatch):
    from salescore.ui import serve

    seen: list[list[str]] = []
    monkeypatch.setattr(serve, "main", lambda args: seen.append(args) or 0)
    assert cli.main(["serve", "--server.headless", "true", "--port", "8600",
                     "--theme.base=dark"]) == 0
    assert cli.main(["serve", "--", "--server.headless", "true"]) == 0
    assert seen == [
        ["--server.address", "127.0.0.1", "--server.port", "8600", "--server.headless", "true",
         "--theme.base=dark"],
        ["--server.address", "127.0.0.1", "--server.port", "8501", "--server.headless", "true"]]


def test_other_commands_still_refuse_unknown_options(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["metrics", "--server.headless", "true"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err == ("error: unrecognized arguments: --server.headless true "
                   "(see python -m salescore --help)\n")


def _run(guard: framing.FrameGuard, scope_type: str, headers: list) -> list[dict]:
    sent: list[dict] = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    guard.app = app
    asyncio.run(guard({"type": scope_type}, receive, send))
    return sent


def test_frame_guard_adds_the_headers_and_replaces_a_weaker_x_frame_options():
    guard = framing.FrameGuard(None)
    own = [(b"content-type", b"text/html"), (b"X-Frame-Options", b"ALLOWALL"),
           (b"content-security-policy", b"default-src 'self'")]
    start = _run(guard, "http", own)[0]
    assert start["headers"] == [(b"content-type", b"text/html"),
                                (b"content-security-policy", b"default-src 'self'"),
                                *framing.FRAME_HEADERS]
    # not twice when the app already sent them
    assert _run(guard, "http", list(framing.FRAME_HEADERS))[0]["headers"] == list(framing.FRAME_HEADERS)
    # a websocket is not a page: passed through untouched
    assert _run(guard, "websocket", own)[0]["headers"] == own


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as err:   # a 404 is a response too
        return err.code, {k.lower(): v for k, v in err.headers.items()}


def _start(command: list[str], db: Path) -> tuple[subprocess.Popen, str]:
    """``command`` plus ``{port}`` filled with a free port, on the database ``db``; returns
    the process once /_stcore/health answers, and the base URL."""
    port = _free_port()
    proc = subprocess.Popen([arg.format(port=port) for arg in command],
                            cwd=ROOT, env=dict(os.environ, SALESCORE_DB=str(db)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(url + "_stcore/health", timeout=1).read() == b"ok":
                return proc, url
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out = proc.communicate()[0].decode(errors="replace")
            pytest.fail(f"the server did not start: {out[-2000:]}")
        time.sleep(0.3)


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        out = proc.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        out = proc.communicate()[0]
    return out.decode(errors="replace")


SERVE = [sys.executable, "-m", "salescore", "serve", "--server.headless", "true", "--port", "{port}"]
BARE = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--server.port", "{port}"]


@pytest.mark.slow
@pytest.mark.parametrize("command", [SERVE, BARE], ids=["serve --server.headless true",
                                                         "streamlit run app.py"])
def test_served_app_forbids_framing_on_every_response(command, tmp_path):
    proc, url = _start(command, tmp_path / "served.duckdb")
    try:
        # the very first request of the process is a page: the headers are there from the start
        for path in ("data", "", "_stcore/health", "_stcore/host-config", "static/no-such.js",
                     "no/such/page"):
            status, headers = _get(url + path)
            assert status in (200, 404), (path, status)
            assert {k: headers.get(k) for k in FRAME} == FRAME, path
    finally:
        out = _stop(proc)
    assert "Traceback" not in out and "Error" not in out, out[-3000:]
    # stopped cleanly: uvicorn shuts down, then re-raises the SIGTERM it caught
    assert proc.returncode in (0, -signal.SIGTERM), out[-3000:]

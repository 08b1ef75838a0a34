"""Who may show salescore in a frame: salescore itself only (issue 17 item 10).

Another page the browser has open (another local app, a file, a web page) could show
salescore in an invisible frame and trick a click onto "Reset to empty". Every HTTP response
of the server therefore says it may only be framed by its own origin:
``Content-Security-Policy: frame-ancestors 'self'``, and ``X-Frame-Options: SAMEORIGIN`` for
browsers without CSP level 2.

Streamlit 1.67 has no option for custom headers. Its server is Starlette, and app.py serves
through ``st.App``, whose public ``middleware`` argument takes :data:`MIDDLEWARE`; both
``python -m salescore serve`` and a bare ``streamlit run app.py`` import app.py before the
server starts, so the headers are there from the first request on. Streamlit's own component
frames come from the same origin (or are srcdoc frames), which 'self' allows.

A plain ASGI middleware with no import of streamlit or salescore.ui: app.py imports it while
Streamlit's runtime does not exist yet (importing salescore.ui then would create its caches
without a runtime).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.middleware import Middleware

#: (name, value) of the headers added to every HTTP response, lower-case names as ASGI has them.
FRAME_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"frame-ancestors 'self'"),
    (b"x-frame-options", b"SAMEORIGIN"),
)

_Message = MutableMapping[str, Any]
_App = Callable[[_Message, Callable[[], Awaitable[_Message]], Callable[[_Message], Awaitable[None]]],
                Awaitable[None]]


class FrameGuard:
    """ASGI middleware: :data:`FRAME_HEADERS` on every HTTP response (pages, static files,
    the health check, uploads, media, errors). A response's own X-Frame-Options is replaced;
    a Content-Security-Policy of its own is kept next to ours (browsers enforce both)."""

    def __init__(self, app: _App) -> None:
        self.app = app

    async def __call__(self, scope: _Message, receive: Callable[[], Awaitable[_Message]],
                       send: Callable[[_Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":   # the websocket and lifespan carry no page to frame
            await self.app(scope, receive, send)
            return

        async def send_framed(message: _Message) -> None:
            if message["type"] == "http.response.start":
                own = [(k, v) for k, v in message.get("headers", [])
                       if k.lower() != b"x-frame-options" and (k.lower(), v) not in FRAME_HEADERS]
                message = {**message, "headers": [*own, *FRAME_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_framed)


#: What app.py passes to ``st.App(middleware=...)``.
MIDDLEWARE: list[Middleware] = [Middleware(FrameGuard)]

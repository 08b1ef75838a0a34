"""A signed session that survives a reload (issue 18): an expiring, HMAC-signed cookie.

Streamlit keeps a signed-in user in the session state of one browser tab's websocket; a
reload opens a new session, which used to start at the sign-in form. After a password
sign-in the browser therefore gets a cookie ``salescore_session`` saying who signed in, when
it expires (:data:`LIFETIME`) and with which ``users.session_epoch``, signed with a secret of
this database. The sign-in gate (salescore.ui.auth) takes a valid cookie as signed in, so
another tab or a reload of the same page stays signed in.

What makes a cookie worthless:

- a wrong signature (any edit of its text) or a format this module did not write;
- its expiry (12 hours after sign-in);
- a password change: the user's session_epoch went up, the cookie names the old one;
- removing the user (the gate looks the name up again on every run);
- signing out: its id goes on the database's revoked list (kept until it would have expired
  anyway), and the browser is told to forget it;
- another database (each has its own secret).

The secret is 32 random bytes in a 0600 file next to the database (``<db>.session-key``,
JSON with the revoked ids): not in the settings table, which every role may read, nor in
backups, so a restored copy on another computer signs everybody in again. An in-memory
database gets a secret for the life of the process.

Setting the cookie: Streamlit 1.67 reads cookies (``st.context.cookies``) but cannot set one,
and the script runs over a websocket, whose messages cannot carry a Set-Cookie header. The
script hands the signed value to this process under a one-time token (:func:`handoff`: 32
random bytes, single use, valid :data:`TOKEN_SECONDS`) and the page posts that token to
:data:`START`, an HTTP route of app.py's ``st.App`` (:data:`ROUTES`), whose answer sets the
cookie: HttpOnly (page scripts cannot read it), SameSite=Strict (other sites' requests do not
carry it) and Secure when the page came over https. :data:`END` forgets it. Both routes
refuse requests from another origin, so another site cannot sign a browser in as someone
else (its own token) or out.

No import of streamlit or salescore.ui: app.py imports this before Streamlit's runtime exists.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from salescore import files

COOKIE = "salescore_session"
LIFETIME = 12 * 3600          # seconds a signed session lasts after sign-in
TOKEN_SECONDS = 60.0          # a hand-off token is redeemed within this long, or never
MAX_PENDING = 1_000           # hand-off tokens kept at most (the oldest go first)
MAX_REVOKED = 10_000          # revoked ids kept at most (the soonest to expire go first)
START = "/_salescore/session"        # POST a hand-off token: sets the cookie
END = "/_salescore/session/end"      # POST: the browser forgets the cookie
_VERSION = "v1"
_MEMORY = ":memory:"


@dataclass(frozen=True)
class Claims:
    """What a cookie says: the user's name, the users.session_epoch at sign-in, when it
    expires (Unix seconds) and its id (what signing out revokes)."""

    name: str
    epoch: int
    expires: int
    sid: str


# --- signing ---------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, f"{_VERSION}.{body}".encode("ascii"), hashlib.sha256).digest())


def sign(secret: bytes, claims: Claims) -> str:
    """The cookie text for ``claims``: ``v1.<payload>.<HMAC-SHA256 of it>``, base64url."""
    payload = json.dumps({"u": claims.name, "e": claims.epoch, "x": claims.expires, "i": claims.sid},
                         ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    body = _b64(payload.encode("utf-8"))
    return f"{_VERSION}.{body}.{_mac(secret, body)}"


def verify(secret: bytes, value: str | None, now: float | None = None) -> Claims | None:
    """The claims of a cookie text signed with ``secret`` that has not expired; None for
    anything else (no cookie, another format, a wrong signature, expired)."""
    if not value or len(value) > 4096:
        return None
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != _VERSION:
        return None
    body, mac = parts[1], parts[2]
    try:
        if not hmac.compare_digest(_mac(secret, body), mac):
            return None
        data = json.loads(_unb64(body).decode("utf-8"))
        claims = Claims(str(data["u"]), int(data["e"]), int(data["x"]), str(data["i"]))
    except (ValueError, KeyError, TypeError, UnicodeError):
        return None
    now = time.time() if now is None else now
    return claims if now < claims.expires else None


# --- the database's secret and revoked ids ----------------------------------------------------

_LOCK = threading.Lock()
_STORES: dict[str, dict[str, Any]] = {}   # database path -> {"secret": bytes, "revoked": {sid: expires}}


def key_path(db_path: str | os.PathLike[str]) -> Path | None:
    """The 0600 file holding the secret of the database at ``db_path`` (None: in memory)."""
    text = str(db_path)
    if text == _MEMORY or not text:
        return None
    if text.startswith(("postgresql://", "postgres://")):
        # a server has no folder of ours: $SALESCORE_SESSION_KEY (shared by every app host of
        # one deployment), else a file per server address beside the default database
        chosen = os.environ.get("SALESCORE_SESSION_KEY")
        if chosen:
            return Path(chosen)
        digest = hashlib.sha256(re.sub(r"(://[^:/@]+):[^@]*@", r"\1@", text).encode()).hexdigest()
        return Path("data") / f"server-{digest[:16]}.session-key"
    path = Path(text)
    return path.with_name(path.name + ".session-key")


def _write(path: Path, store: dict[str, Any]) -> None:
    data = json.dumps({"secret": store["secret"].hex(), "revoked": store["revoked"]}).encode("ascii")
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    files.write_private(temporary, data)
    os.replace(temporary, path)   # a reader never sees half a file


def _store(db_path: str | os.PathLike[str]) -> dict[str, Any]:
    """The secret and revoked ids of the database (read once per process; caller holds _LOCK)."""
    key = str(db_path)
    found = _STORES.get(key)
    if found is not None:
        return found
    path = key_path(db_path)
    store: dict[str, Any] | None = None
    if path is not None and path.exists():
        try:
            data = json.loads(path.read_text(encoding="ascii"))
            store = {"secret": bytes.fromhex(data["secret"]),
                     "revoked": {str(k): int(v) for k, v in dict(data.get("revoked", {})).items()}}
            if len(store["secret"]) < 32:
                store = None
        except (OSError, ValueError, KeyError, TypeError, UnicodeError):
            store = None          # unreadable: a new secret (every cookie signs in again)
    if store is None:
        store = {"secret": secrets.token_bytes(32), "revoked": {}}
        if path is not None:
            files.private_dir(path.parent)
            _write(path, store)
    _STORES[key] = store
    return store


def forget_stores() -> None:
    """Drop what this process read from the key files (tests; a file replaced on disk)."""
    with _LOCK:
        _STORES.clear()


def issue(db_path: str | os.PathLike[str], name: str, epoch: int,
          now: float | None = None) -> tuple[str, Claims]:
    """A new signed cookie text for ``name`` at ``epoch``, valid LIFETIME seconds from ``now``."""
    now = time.time() if now is None else now
    claims = Claims(str(name), int(epoch or 0), int(now) + LIFETIME, secrets.token_urlsafe(16))
    with _LOCK:
        secret = _store(db_path)["secret"]
    return sign(secret, claims), claims


def read(db_path: str | os.PathLike[str], value: str | None, now: float | None = None) -> Claims | None:
    """The claims of a cookie of this database that is signed, unexpired and not revoked."""
    if not value:
        return None
    with _LOCK:
        store = _store(db_path)
        claims = verify(store["secret"], value, now)
        if claims is None or claims.sid in store["revoked"]:
            return None
    return claims


def peek(db_path: str | os.PathLike[str], value: str | None) -> Claims | None:
    """The claims of a cookie of this database whose signature holds, expired or revoked
    (for revoking it); None when the signature does not hold."""
    if not value:
        return None
    with _LOCK:
        secret = _store(db_path)["secret"]
    return verify(secret, value, now=float("-inf"))


def revoke(db_path: str | os.PathLike[str], claims: Claims, now: float | None = None) -> None:
    """End the session of ``claims`` (signing out): its cookie no longer signs in, also after
    a restart. Ids whose cookies expired anyway are dropped from the list."""
    now = time.time() if now is None else now
    with _LOCK:
        store = _store(db_path)
        revoked = {sid: until for sid, until in store["revoked"].items() if until > now}
        if claims.expires > now:
            revoked[claims.sid] = claims.expires
        while len(revoked) > MAX_REVOKED:
            revoked.pop(min(revoked, key=revoked.__getitem__))
        store["revoked"] = revoked
        path = key_path(db_path)
        if path is not None:
            _write(path, store)


# --- hand-off from the script to the HTTP route -----------------------------------------------

_PENDING: dict[str, tuple[str, int, float]] = {}   # token -> (cookie text, expires, deadline)


def handoff(value: str, expires: int, now: float | None = None) -> str:
    """A one-time token under which :data:`START` gives the browser the cookie ``value``."""
    now = time.monotonic() if now is None else now
    token = secrets.token_urlsafe(32)
    with _LOCK:
        for old in [t for t, (_, _, deadline) in _PENDING.items() if deadline <= now]:
            del _PENDING[old]
        while len(_PENDING) >= MAX_PENDING:
            del _PENDING[next(iter(_PENDING))]
        _PENDING[token] = (value, int(expires), now + TOKEN_SECONDS)
    return token


def pending(token: str, now: float | None = None) -> bool:
    """Whether ``token`` is still waiting to be redeemed."""
    now = time.monotonic() if now is None else now
    with _LOCK:
        found = _PENDING.get(token)
    return found is not None and found[2] > now


def redeem(token: str, now: float | None = None) -> tuple[str, int] | None:
    """The cookie text and expiry handed off under ``token``, once; None when unknown,
    used already or older than TOKEN_SECONDS."""
    now = time.monotonic() if now is None else now
    with _LOCK:
        found = _PENDING.pop(token, None)
    if found is None or found[2] <= now:
        return None
    return found[0], found[1]


# --- the HTTP routes ----------------------------------------------------------------------

def same_origin(headers: Any) -> bool:
    """Whether a browser request comes from a page of this server: Sec-Fetch-Site says
    same-origin when the browser sends it, and the Origin header names the Host asked."""
    site = headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return False
    origin, host = headers.get("origin"), headers.get("host")
    if not origin or not host:
        return False
    return urlsplit(origin).netloc.lower() == host.lower()


def _https(request: Any) -> bool:
    forwarded = (request.headers.get("x-forwarded-proto") or "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _answer(status: int) -> Any:
    from starlette.responses import Response

    return Response(status_code=status, headers={"cache-control": "no-store"})


async def start(request: Any) -> Any:
    """POST :data:`START` with a hand-off token as the body: 204 and the cookie, else 403."""
    if not same_origin(request.headers):
        return _answer(403)
    body = await request.body()
    found = redeem(body[:200].decode("ascii", errors="replace").strip()) if len(body) <= 200 else None
    if found is None:
        return _answer(403)
    value, expires = found
    response = _answer(204)
    response.set_cookie(COOKIE, value, max_age=max(int(expires - time.time()), 0), path="/",
                        secure=_https(request), httponly=True, samesite="strict")
    return response


async def end(request: Any) -> Any:
    """POST :data:`END`: 204 and the cookie deleted (the script revoked its id already)."""
    if not same_origin(request.headers):
        return _answer(403)
    response = _answer(204)
    response.delete_cookie(COOKIE, path="/", secure=_https(request), httponly=True, samesite="strict")
    return response


def under(base: str | None, path: str) -> str:
    """``path`` below Streamlit's ``server.baseUrlPath`` ``base`` (``"x/y"`` -> ``/x/y/...``)."""
    base = (base or "").strip("/")
    return f"/{base}{path}" if base else path


def routes(base: str | None = "") -> list[Any]:
    """What app.py passes to ``st.App(routes=...)``: :data:`START` and :data:`END` below
    ``base`` (server.baseUrlPath)."""
    from starlette.routing import Route

    return [Route(under(base, START), start, methods=["POST"]),
            Route(under(base, END), end, methods=["POST"])]

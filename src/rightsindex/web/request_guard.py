"""What a request must pass before any route reads it: a pure ASGI middleware in front of the app.

- **Sign-in first**: a request that may change state (POST, PUT, PATCH, DELETE) from a visitor who is
  not signed in is answered before its body is read — 401 for the API, a redirect to the sign-in
  page otherwise; only ``POST /login`` is taken from anonymous visitors. In ``--public`` mode no
  such request is taken at all (405).
- **Bounded bodies**: a body larger than ``corpus.limits.MAX_REQUEST_BYTES`` is answered 413
  (Payload Too Large): at once when ``Content-Length`` says so, else as soon as the bytes received
  pass the limit (chunked uploads are counted as they stream in, never gathered first).
- **Ids that exist**: a path or query string holding a NUL or another control character is answered
  422 (no company, document or element id holds one; PostgreSQL refuses NUL in text, which made
  ``?company=%00`` a 500), as is one longer than ``MAX_QUERY_CHARS``.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

from starlette.exceptions import HTTPException

from ..corpus.limits import MAX_REQUEST_BYTES

__all__ = ["MAX_QUERY_CHARS", "BodyTooLarge", "RequestGuard"]

#: characters of a decoded path or query string (ids are at most a few hundred)
MAX_QUERY_CHARS = 8_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit: an HTTP 413, which the routes'
    body parsing passes on as it is (any other error there would become a 400)."""

    def __init__(self, max_bytes: int):
        super().__init__(413, f"request body larger than {max_bytes / 2**20:g} MiB")


async def _answer(send, status: int, body: bytes, content_type: bytes, headers: list | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _detail(scope, status: int, message: str) -> tuple[bytes, bytes]:
    if scope["path"].startswith("/api/"):
        return json.dumps({"detail": message}).encode(), b"application/json"
    from markupsafe import escape

    html = (f"<!doctype html><html lang=en><meta charset=utf-8><title>{status}</title>"
            f"<h1>{status}</h1><p>{escape(message)}</p></html>")
    return html.encode(), b"text/html; charset=utf-8"


class RequestGuard:
    """See the module's notes. ``auth``: the app's :class:`~rightsindex.web.security.Auth` (who is
    signed in is read from the session cookie, without the body)."""

    def __init__(self, app, *, auth, public: bool, max_bytes: int = MAX_REQUEST_BYTES):
        self.app = app
        self.auth = auth
        self.public = public
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        # -- ids: no control character, no huge query --------------------------------------------
        raw_query = scope.get("query_string", b"").decode("latin-1")
        decoded = unquote(raw_query.replace("+", " "), errors="replace") + scope.get("path", "")
        if _CONTROL.search(decoded) or len(decoded) > MAX_QUERY_CHARS:
            body, ctype = _detail(scope, 422, "the address holds a control character or is too long: no such id")
            return await _answer(send, 422, body, ctype)
        method = scope["method"]
        if method not in _BODY_METHODS:
            return await self.app(scope, receive, send)
        # -- sign-in before the body ------------------------------------------------------------------
        if self.public:
            body, ctype = _detail(scope, 405, "read-only public mode")
            return await _answer(send, 405, body, ctype, [(b"allow", b"GET, HEAD")])
        if scope["path"] != "/login":
            from starlette.requests import Request

            if not self.auth.principal(Request(scope)).authenticated:  # cached in scope["state"] for the route
                return await self._login_required(scope, send)
        # -- bounded body ----------------------------------------------------------------------------
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0 or declared > self.max_bytes:
                return await self._too_large(scope, send)
        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await self._too_large(scope, send)

    async def _too_large(self, scope, send):
        mib = self.max_bytes / 2**20
        body, ctype = _detail(scope, 413, f"request body larger than {mib:g} MiB")
        await _answer(send, 413, body, ctype, [(b"connection", b"close")])

    async def _login_required(self, scope, send):
        headers = dict(scope.get("headers") or [])
        if scope["path"].startswith("/api/"):
            return await _answer(send, 401, b'{"detail":"sign in first"}', b"application/json")
        if headers.get(b"hx-request"):
            return await _answer(send, 401, b"", b"text/html; charset=utf-8", [(b"hx-redirect", b"/login")])
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", b"/login"), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

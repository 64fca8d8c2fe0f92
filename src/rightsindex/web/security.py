"""Sessions, CSRF and security headers.

- Sessions live in the database (``app_session``); the browser holds a random token signed with
  the app secret (``RIGHTSINDEX_SECRET`` or a random per-database one), only its SHA-256 is stored,
  so logging out really ends a session. Cookie: HttpOnly, SameSite=Lax, Secure over https.
- CSRF: a synchronizer token per session (per browser before login, in a signed cookie), checked
  on every POST/PUT/PATCH/DELETE — from the ``csrf_token`` form field or the ``X-CSRF-Token``
  header (htmx sends it on every request). A foreign ``Origin`` is refused as well.
- Headers on every response, errors and 500s included: a strict Content-Security-Policy
  (``script-src 'self'``, nothing external, no inline script or style), ``frame-ancestors 'none'``,
  ``nosniff``, no referrer leaks.
- Ids in URLs are database integers (``DbInt``): a number beyond 64 bits is a 422, not a crash.
- Login throttling is in ``review.login_throttle`` (in the database, shared by workers); a browser
  that signed in to an account gets a signed device cookie for it (``ri_device``, sent to ``/login``
  only), whose attempts pass the limits an attack on the account sets off.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

import annotated_types
from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select

from ..review.accounts import role_at_least, same, secret
from ..store import Store
from ..store.models import User, UserSession, utcnow

# An integer a database column can hold: route parameters that are ids use it, so that a number
# beyond 64 bits is refused by validation (422) instead of overflowing the SQLite driver (500).
DbInt = Annotated[int, annotated_types.Interval(ge=-(2**63), le=2**63 - 1)]

SESSION_COOKIE = "ri_session"
CSRF_COOKIE = "ri_csrf"
DEVICE_COOKIE = "ri_device"  # "this browser signed in to this account before" (login throttling)
DEVICE_DAYS = 180
SESSION_HOURS = 12
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


_ERROR_HTML = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Internal error</title>"
    b"<h1>Internal error</h1><p>Something went wrong on our side; it has been logged. Try again later.</p></html>"
)


class SecurityHeaders:
    """Pure ASGI middleware: adds the security headers to every HTTP response (errors and static
    too). An unhandled exception is answered here with a plain 500 that carries them as well (and
    re-raised, so the server still logs it): Starlette's own 500 is sent outside every middleware."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                if b"cache-control" not in names and not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not started:
                api = scope["path"].startswith("/api/")
                body = b'{"detail":"internal error"}' if api else _ERROR_HTML
                ctype = b"application/json" if api else b"text/html; charset=utf-8"
                await send_with_headers({"type": "http.response.start", "status": 500,
                                         "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]})
                await send_with_headers({"type": "http.response.body", "body": body, "more_body": False})
            raise


class HeadAsGet:
    """Pure ASGI middleware: answers HEAD like GET without the body (FastAPI routes declare GET
    only, so uptime monitors and ``curl -I`` would otherwise get 405)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)

        async def send_headers_only(message):
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(dict(scope, method="GET"), receive, send_headers_only)


@dataclass
class Principal:
    """Who is asking: a signed-in user, an anonymous visitor, or the public (read-only mode)."""

    username: str | None = None
    role: str | None = None
    csrf: str | None = None
    session_id: str | None = None
    public: bool = False

    @property
    def authenticated(self) -> bool:
        return self.username is not None

    def can(self, role: str) -> bool:
        return not self.public and role_at_least(self.role, role)

    @property
    def can_review(self) -> bool:
        return self.can("analyst")


class LoginRequired(Exception):
    pass


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Auth:
    def __init__(self, store: Store, *, public: bool):
        self.store = store
        self.public = public
        # the public, read-only edition signs nothing (and may run on a read-only database)
        key = "public-mode-signs-nothing-" + secrets.token_urlsafe(32) if public else secret(store)
        self._session_signer = URLSafeSerializer(key, salt="rightsindex.session")
        self._csrf_signer = URLSafeSerializer(key, salt="rightsindex.csrf")
        self._device_signer = URLSafeSerializer(key, salt="rightsindex.device")

    # -- who is asking -----------------------------------------------------------------------------
    def principal(self, request: Request) -> Principal:
        cached = getattr(request.state, "principal", None)
        if cached is not None:
            return cached
        p = Principal(public=True) if self.public else self._from_cookie(request)
        request.state.principal = p
        return p

    def _from_cookie(self, request: Request) -> Principal:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return Principal()
        try:
            token = self._session_signer.loads(raw)
        except BadSignature:
            return Principal()
        if not isinstance(token, str):
            return Principal()
        with self.store.session() as s:
            row = s.execute(
                select(UserSession, User).join(User, User.id == UserSession.user_id).where(UserSession.id == _hash(token))
            ).first()
            if row is None:
                return Principal()
            sess, user = row
            expires = sess.expires_at if sess.expires_at.tzinfo else sess.expires_at.replace(tzinfo=utcnow().tzinfo)
            if expires < utcnow() or not user.active:
                return Principal()
            return Principal(username=user.username, role=user.role, csrf=sess.csrf_token, session_id=sess.id)

    # -- sign in and out ---------------------------------------------------------------------------
    def start_session(self, user_id: int) -> tuple[str, str]:
        """A new session for a user: (cookie value, csrf token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = utcnow()
        with self.store.session() as s:
            s.execute(delete(UserSession).where(UserSession.expires_at < now))
            s.add(UserSession(id=_hash(token), user_id=user_id, csrf_token=csrf, created_at=now, expires_at=now + timedelta(hours=SESSION_HOURS)))
        return self._session_signer.dumps(token), csrf

    def end_session(self, principal: Principal) -> None:
        if principal.session_id:
            with self.store.session() as s:
                s.execute(delete(UserSession).where(UserSession.id == principal.session_id))

    def set_session_cookie(self, response, request: Request, value: str) -> None:
        response.set_cookie(
            SESSION_COOKIE, value, max_age=SESSION_HOURS * 3600, path="/", httponly=True, samesite="lax",
            secure=request.url.scheme == "https",
        )

    def clear_session_cookie(self, response, request: Request) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")

    # -- device tokens (login throttling: a browser that signed in to an account before) ----------------
    def device_for(self, request: Request, username: str) -> str | None:
        """The id of this browser's device token for ``username``, if it holds a valid one."""
        raw = request.cookies.get(DEVICE_COOKIE)
        if not raw:
            return None
        try:
            data = self._device_signer.loads(raw)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("d"), str) or not isinstance(data.get("u"), str):
            return None
        return _hash(data["d"])[:40] if data["u"] == (username or "").strip().lower()[:100] else None

    def set_device_cookie(self, response, request: Request, username: str) -> None:
        """Give this browser a device token for ``username`` (after a successful sign-in)."""
        value = self._device_signer.dumps({"u": (username or "").strip().lower()[:100], "d": secrets.token_urlsafe(24)})
        response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_DAYS * 86400, path="/login", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")

    # -- CSRF --------------------------------------------------------------------------------------
    def anonymous_csrf(self, request: Request) -> tuple[str, str | None]:
        """The pre-login CSRF token of this browser, and a cookie value to set when it is new."""
        raw = request.cookies.get(CSRF_COOKIE)
        if raw:
            try:
                token = self._csrf_signer.loads(raw)
                if isinstance(token, str) and token:
                    return token, None
            except BadSignature:
                pass
        token = secrets.token_urlsafe(32)
        return token, self._csrf_signer.dumps(token)

    def set_csrf_cookie(self, response, request: Request, value: str) -> None:
        response.set_cookie(CSRF_COOKIE, value, max_age=3600, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")

    def expected_csrf(self, request: Request) -> str | None:
        p = self.principal(request)
        if p.authenticated:
            return p.csrf
        raw = request.cookies.get(CSRF_COOKIE)
        if not raw:
            return None
        try:
            token = self._csrf_signer.loads(raw)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    async def check_csrf(self, request: Request) -> None:
        if request.method not in UNSAFE_METHODS:
            return
        if self.public:  # no state-changing route exists in public mode; refuse anything that gets here
            raise HTTPException(405, "read-only public mode")
        origin = request.headers.get("origin")
        if origin and origin != "null":
            o = urlsplit(origin)
            if o.netloc != request.headers.get("host", request.url.netloc):
                raise HTTPException(403, "cross-origin request refused")
        elif origin == "null":
            raise HTTPException(403, "cross-origin request refused")
        if not self.principal(request).authenticated and request.url.path != "/login":
            raise LoginRequired()  # e.g. an expired session: sign in again (nothing was changed)
        supplied = request.headers.get("x-csrf-token")
        if not supplied:
            ctype = request.headers.get("content-type", "")
            if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                form = await request.form()
                value = form.get("csrf_token")
                supplied = value if isinstance(value, str) else None
        if not same(self.expected_csrf(request) or "", supplied or ""):
            raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target or "\r" in target:
        return "/"
    return target

"""The FastAPI app: routes, error pages, security middleware, static files; ``serve`` runs it with
uvicorn (see the package's notes)."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..store import Store
from .data import Data, NotFound
from .request_guard import RequestGuard
from .security import Auth, HeadAsGet, LoginRequired, SecurityHeaders

__all__ = ["create_app", "create_app_from_env", "serve", "uvicorn_options"]

STATIC = Path(str(resources.files("rightsindex.web").joinpath("static")))


@dataclass
class Ctx:
    store: Store
    data: Data
    auth: Auth
    public: bool
    # the app's public address (``RIGHTSINDEX_BASE_URL`` / ``serve --base-url``) for absolute links
    # (the Atom feed); None: links are relative. Never taken from the request's Host header.
    base_url: str | None = None


def create_app(db_url: str | None = None, *, public: bool = False, base_url: str | None = None) -> FastAPI:
    """The FastAPI app over the store at ``db_url`` (default: ``RIGHTSINDEX_DB`` or ./rightsindex.sqlite).

    ``public=True``: read-only edition for the public — no sign-in, no review panel, no audit
    trail, and no state-changing route at all. ``base_url`` (default ``RIGHTSINDEX_BASE_URL``):
    the address the app is reached at, for absolute links in the Atom feed.
    """
    from . import api, frameworks, pages, review_queue
    from . import render as rendering

    store = Store.open(db_url)
    auth = Auth(store, public=public)
    base = (base_url or os.environ.get("RIGHTSINDEX_BASE_URL") or "").strip()
    if base and not base.lower().startswith(("http://", "https://")):
        raise ValueError(f"base URL {base!r}: give an http(s) address such as https://index.example.org")
    ctx = Ctx(store=store, data=Data(store), auth=auth, public=public, base_url=base.rstrip("/") or None)

    async def csrf_protect(request: Request) -> None:
        await auth.check_csrf(request)

    @asynccontextmanager
    async def lifespan(_app):
        # pages are CPU-bound Python: a few threads per process keep latency even (requests queue
        # in the event loop instead of thrashing the GIL)
        from anyio import to_thread

        to_thread.current_default_thread_limiter().total_tokens = int(os.environ.get("RIGHTSINDEX_WEB_THREADS", "8"))
        if os.environ.get("RIGHTSINDEX_WEB_WARM", "1") not in ("0", "false", "no"):
            # score the latest assessment before taking requests: a cold worker would otherwise make
            # its first visitors wait for the whole computation under load
            def warm() -> None:
                with store.session() as s:
                    latest = ctx.data.resolve(s).id
                ctx.data.scored(latest)

            try:
                await to_thread.run_sync(warm)
            except NotFound:
                pass
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="rightsindex",
        summary="Ranking Digital Rights grades of technology companies, with cited evidence.",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.ctx = ctx

    app.add_middleware(RequestGuard, auth=auth, public=public)  # inside SecurityHeaders: its answers carry them
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router(ctx))
    app.include_router(review_queue.page_router(ctx))
    app.include_router(frameworks.page_router(ctx))
    app.include_router(api.router(ctx), prefix="/api")
    app.include_router(review_queue.api_router(ctx), prefix="/api")
    app.include_router(frameworks.api_router(ctx), prefix="/api")

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        if request.headers.get("hx-request"):
            return HTMLResponse("", status_code=401, headers={"HX-Redirect": "/login"})
        from urllib.parse import quote

        if request.method != "GET":  # after signing in, come back to a page, not to a form's target
            return RedirectResponse("/login", status_code=303)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return rendering.error_page(ctx, request, 404, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/api/") or request.url.path.startswith("/static/") or request.headers.get("hx-request"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))
        return rendering.error_page(ctx, request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        return rendering.error_page(ctx, request, 422, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(request: Request):
        rendering.require_viewer(ctx, request)
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs(request: Request):
        rendering.require_viewer(ctx, request)
        return rendering.api_docs(ctx, request, app.openapi())

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"ok": True}

    if public:
        bad = [r for r in app.routes if set(getattr(r, "methods", None) or ()) - {"GET", "HEAD"}]
        if bad:  # pragma: no cover - a guard against a route added without thinking of public mode
            raise RuntimeError(f"public mode must not expose state-changing routes: {bad}")
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (several workers): reads ``RIGHTSINDEX_DB`` and ``RIGHTSINDEX_PUBLIC``."""
    return create_app(os.environ.get("RIGHTSINDEX_DB"), public=os.environ.get("RIGHTSINDEX_PUBLIC", "") in ("1", "true", "yes"))


def uvicorn_options(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, forwarded_allow_ips: str | None = None) -> dict:
    """How ``serve`` runs uvicorn. ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are believed only from
    the proxies named in ``forwarded_allow_ips`` (``serve --forwarded-allow-ips``, default
    ``RIGHTSINDEX_FORWARDED_ALLOW_IPS``; comma-separated addresses or networks): otherwise the client
    address is the connection's own, so a visitor cannot choose the address sign-in throttling counts
    (uvicorn alone trusts loopback)."""
    import inspect

    import uvicorn

    trusted = (forwarded_allow_ips if forwarded_allow_ips is not None else os.environ.get("RIGHTSINDEX_FORWARDED_ALLOW_IPS", "")).strip()
    options = dict(factory=True, host=host, port=port, workers=workers, server_header=False, log_level="info",
                   proxy_headers=bool(trusted))
    if trusted:
        options["forwarded_allow_ips"] = trusted
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        # a busy worker answers the supervisor's ping late (the GIL is shared with request threads);
        # uvicorn's 5 s default would kill it mid-request under load
        options["timeout_worker_healthcheck"] = 60
    return options


def serve(db_url: str | None = None, host: str = "127.0.0.1", port: int = 8000, public: bool = False, workers: int = 1,
          base_url: str | None = None, forwarded_allow_ips: str | None = None) -> None:
    """Run the app with uvicorn (``rightsindex serve``)."""
    import uvicorn

    store = Store.open(db_url)  # migrate once, before workers start
    url = store.engine.url.render_as_string(hide_password=False)
    store.close()
    os.environ["RIGHTSINDEX_DB"] = url
    os.environ["RIGHTSINDEX_PUBLIC"] = "1" if public else ""
    if base_url is not None:
        os.environ["RIGHTSINDEX_BASE_URL"] = base_url
    uvicorn.run("rightsindex.web:create_app_from_env", **uvicorn_options(host, port, workers, forwarded_allow_ips))

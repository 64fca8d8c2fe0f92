"""Rendering pages: the Jinja2 environment (autoescaped), formatting filters, sanitised highlight
and diff markup, error pages, and who may see a page (viewer, analyst)."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlsplit

import nh3
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .. import review
from ..formats.visible import revealed
from ..publish.scores import display_score, display_value
from ..publish.text import display  # policy text for reading: one function for web, report and site
from ..scoring import RESULTS
from .charts import CATEGORY_NAMES
from .queue_data import nav_count
from .security import LoginRequired, Principal
from .urls import u_company, u_document, u_element, u_framework, u_framework_item, u_indicator, u_queue, u_ranking, u_review, u_version

__all__ = [
    "ENV",
    "RESULT_CLASSES",
    "RESULT_LABELS",
    "api_docs",
    "error_page",
    "fmt_delta",
    "fmt_score",
    "fmt_when",
    "highlight",
    "inline_diff",
    "render",
    "require_analyst",
    "require_viewer",
    "safe_href",
    "score_class",
]


RESULT_LABELS = {"yes": "Yes", "partial": "Partial", "no": "No", "no disclosure found": "No disclosure found", "NA": "N/A",
                 "disclosed": "Disclosed", "partly disclosed": "Partly disclosed", "not found": "Not found"}
RESULT_CLASSES = {"yes": "r-yes", "partial": "r-partial", "no": "r-no", "no disclosure found": "r-ndf", "NA": "r-na",
                  # notice duties (frameworks): the same colours
                  "disclosed": "r-yes", "partly disclosed": "r-partial", "not found": "r-ndf"}


def fmt_score(v) -> str:
    return display_score(v)  # one rounding rule for every output (publish.scores)


def score_class(v) -> str:
    v = display_value(v)
    if v is None:
        return "sc-na"
    return f"sc-{min(9, max(0, int(v // 10)))}"


def fmt_delta(v) -> str:
    v = display_value(v)
    if v is None:
        return ""
    if v == 0:
        return "±0"
    return f"+{v:.1f}" if v > 0 else f"−{abs(v):.1f}"


def fmt_when(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _clean(html: str) -> Markup:
    """Markup built here from escaped pieces, sanitised once more: only <mark>, <ins>, <del> survive."""
    return Markup(nh3.clean(html, tags={"mark", "ins", "del"}, attributes={}, link_rel=None, strip_comments=True))


def highlight(text: str, start: int, end: int) -> Markup:
    parts = [escape(display(text[:start])), Markup("<mark>"), escape(display(text[start:end])), Markup("</mark>"), escape(display(text[end:]))]
    return _clean(str(Markup("").join(parts)))


def inline_diff(ops: list[tuple[int, str]], side: str) -> Markup:
    parts = []
    for op, text in ops:
        if op == 0:
            parts.append(escape(display(text)))
        elif op == -1 and side == "old":
            parts.append(Markup("<del>") + escape(display(text)) + Markup("</del>"))
        elif op == 1 and side == "new":
            parts.append(Markup("<ins>") + escape(display(text)) + Markup("</ins>"))
    return _clean(str(Markup("").join(parts)))


def safe_href(url: str | None) -> str | None:
    """Only http(s) URLs become links."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("rightsindex.web", "templates"),
        autoescape=select_autoescape(["html", "svg", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=revealed,  # control, bidirectional and zero-width characters shown as [U+XXXX]
    )
    env.filters.update(score=fmt_score, scls=score_class, delta=fmt_delta, when=fmt_when, display=display)
    env.globals.update(
        u_ranking=u_ranking, u_company=u_company, u_indicator=u_indicator, u_element=u_element, u_review=u_review,
        u_document=u_document, u_version=u_version, u_queue=u_queue, u_framework=u_framework, u_framework_item=u_framework_item, RESULT_LABELS=RESULT_LABELS, RESULT_CLASSES=RESULT_CLASSES,
        CATEGORY_NAMES=CATEGORY_NAMES, RESULTS=RESULTS, STEPS=review.STEPS, STEP_LABELS=review.STEP_LABELS,
        highlight=highlight, inline_diff=inline_diff, safe_href=safe_href, describe=review.describe,
    )
    return env


ENV = _env()


def render(ctx, request: Request, template: str, status_code: int = 200, **values) -> HTMLResponse:
    p: Principal = ctx.auth.principal(request)
    csrf, new_cookie = (p.csrf, None) if p.authenticated else (None, None)
    if not p.authenticated and not ctx.public and template == "login.html":
        csrf, new_cookie = ctx.auth.anonymous_csrf(request)
    if p.can_review and not ctx.public and template not in ("error.html", "login.html", "empty.html"):
        values.setdefault("queue_count", nav_count(ctx.data, ctx.store, request))  # next to "Review queue"
    shown = values.get("assessment")
    if isinstance(shown, dict) and shown.get("id") is not None and "shows" not in values:
        values["shows"] = ctx.data.shows(shown["id"])  # every page says which policies it shows
    html = ENV.get_template(template).render(request=request, principal=p, public=ctx.public, csrf_token=csrf, **values)
    resp = HTMLResponse(html, status_code=status_code)
    if new_cookie:
        ctx.auth.set_csrf_cookie(resp, request, new_cookie)
    return resp


def error_page(ctx, request: Request, status: int, message: str) -> HTMLResponse:
    titles = {401: "Sign in needed", 403: "Not allowed", 404: "Not found", 405: "Not allowed here", 422: "Invalid request", 429: "Too many attempts"}
    return render(ctx, request, "error.html", status_code=status, status=status, title=titles.get(status, "Error"), message=message)


def require_viewer(ctx, request: Request) -> Principal:
    p = ctx.auth.principal(request)
    if not ctx.public and not p.authenticated:
        raise LoginRequired()
    return p


def require_analyst(ctx, request: Request) -> Principal:
    p = require_viewer(ctx, request)
    if not p.can_review:
        raise HTTPException(403, "reviewing needs the analyst or admin role")
    return p


def api_docs(ctx, request: Request, spec: dict) -> HTMLResponse:
    ops = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                {"name": prm["name"], "in": prm["in"], "required": prm.get("required", False), "description": prm.get("description", ""),
                 "type": (prm.get("schema") or {}).get("type") or "/".join(x.get("type", "") for x in (prm.get("schema") or {}).get("anyOf", []))}
                for prm in op.get("parameters", [])
            ]
            body = None
            if "requestBody" in op:
                content = op["requestBody"].get("content", {})
                schema = next(iter(content.values()), {}).get("schema", {})
                ref = schema.get("$ref", "")
                body = ref.rsplit("/", 1)[-1] if ref else schema.get("title", "")
            ops.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""), "description": op.get("description", ""),
                        "params": params, "body": body, "tag": (op.get("tags") or ["api"])[0]})
    schemas = spec.get("components", {}).get("schemas", {})
    return render(ctx, request, "docs.html", ops=ops, schemas=schemas, title=spec.get("info", {}).get("title", "API"))

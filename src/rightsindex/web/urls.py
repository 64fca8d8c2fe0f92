"""The web app's URLs, built in one place (pages, templates, the review queue, the feed)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

__all__ = ["u_company", "u_document", "u_element", "u_framework", "u_framework_item", "u_indicator", "u_queue", "u_ranking", "u_review", "u_version"]


def _q(**params) -> str:
    items = {k: v for k, v in params.items() if v is not None and v != ""}
    return ("?" + urlencode(items)) if items else ""


def u_ranking(assessment=None, **kw) -> str:
    return "/ranking" + _q(assessment=assessment, **kw)


def u_company(company: str, assessment=None) -> str:
    return f"/companies/{quote(company, safe='')}" + _q(assessment=assessment)


def u_indicator(company: str, indicator: str, assessment=None, sort=None) -> str:
    return f"/companies/{quote(company, safe='')}/indicators/{quote(indicator, safe='')}" + _q(assessment=assessment, sort=sort)


def u_element(company: str, element: str, level: str, assessment=None, step=None) -> str:
    return f"/companies/{quote(company, safe='')}/elements/{quote(element, safe='')}" + _q(level=level, assessment=assessment, step=step)


def u_review(company: str, element: str, level: str, assessment) -> str:
    return f"/review/{quote(company, safe='')}/{quote(element, safe='')}" + _q(level=level, assessment=assessment)


def u_queue(assessment=None, page=None, **filters) -> str:
    return "/review" + _q(assessment=assessment, **filters, page=page if page and page > 1 else None)


def u_document(doc_id: int, **kw) -> str:
    return f"/documents/{doc_id}" + _q(**kw)


def u_version(doc_id: int, seq: int, hl=None) -> str:
    return f"/documents/{doc_id}/versions/{seq}" + _q(hl=hl) + (f"#p{hl}" if hl is not None else "")


def u_framework(framework: str, assessment=None) -> str:
    return f"/frameworks/{quote(framework, safe='')}" + _q(assessment=assessment)


def u_framework_item(framework: str, item: str, assessment=None, company=None) -> str:
    return f"/frameworks/{quote(framework, safe='')}/items/{quote(item, safe='')}" + _q(assessment=assessment, company=company)

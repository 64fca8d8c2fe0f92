"""What the review queue shows, apart from its routes: filters checked, the queue of an assessment
(``review.queue`` decides what needs review), counts, items with their first cited passage, a
company's least confident grades, and the count next to "Review queue" in the navigation."""

from __future__ import annotations

from fastapi import Request

from ..publish.text import excerpt
from ..review import queue as rq
from .data import NotFound, Scored
from .urls import u_element, u_queue

__all__ = [
    "CATEGORIES",
    "SNIPPET",
    "check_filters",
    "company_summary",
    "counts",
    "element_note",
    "full_queue",
    "graded",
    "level_order",
    "nav_count",
    "queue_item",
    "uncertainty_order",
]


SNIPPET = 240
CATEGORIES = ("G", "F", "P")


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def check_filters(sc: Scored, company: str | None, category: str | None, level: str | None, status: str | None) -> dict[str, str | None]:
    """Filters normalised; an unknown company is a ``NotFound``, a category other than G/F/P a ``ValueError``."""
    company, category, level, status = map(_clean, (company, category, level, status))
    if company is not None and company not in sc.levels:
        raise NotFound(f"assessment {sc.assessment_id} has no company {company!r}")
    if category is not None:
        category = category.upper()
        if category not in CATEGORIES:
            raise ValueError(f"category {category!r} is not one of G, F, P")
    return {"company": company, "category": category, "level": level, "status": status}


def counts(items: list[rq.QueueItem]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {"company": {}, "category": {}, "level": {}, "reason": {}}
    for it in items:
        for facet, value in (("company", it.company), ("category", it.category), ("level", it.level), ("reason", it.reason)):
            out[facet][value] = out[facet].get(value, 0) + 1
    return out


def full_queue(sc: Scored) -> list[rq.QueueItem]:
    """The whole queue of a scored assessment, computed once per ``Scored`` (a review change
    makes a new one)."""
    items = sc.memo.get("queue")
    if items is None:
        items = sc.memo["queue"] = rq.queue(sc.rows, sc.statuses)
    return items


def graded(sc: Scored, company: str | None = None) -> int:
    """Elements graded (N/A excluded), of one company or of all."""
    per = sc.memo.get("graded")
    if per is None:
        per = {}
        for r in sc.rows:
            if r["Result"] != "NA":
                per[r["Company"]] = per.get(r["Company"], 0) + 1
        sc.memo["graded"] = per
    return per.get(company, 0) if company is not None else sum(per.values())


def nav_count(data, store, request: Request) -> int | None:
    """Grades needing review in the assessment the page shows (``?assessment=``), else the latest."""
    raw = request.query_params.get("assessment")
    assessment = int(raw) if raw and raw.isdigit() and len(raw) < 19 else None
    try:
        with store.session() as s:
            a_id = data.resolve(s, assessment).id
    except NotFound:
        return None
    return len(full_queue(data.scored(a_id)))


def company_summary(sc: Scored, company: str, top: int = 5) -> dict:
    """For the scorecard: how many of a company's grades need review, and the least confident few."""
    items = rq.select_items(full_queue(sc), company=company)
    return {"count": len(items), "graded": graded(sc, company), "items": [queue_item(sc, it, i) for i, it in enumerate(items[:top], 1)]}


def queue_item(sc: Scored, it: rq.QueueItem, position: int) -> dict:
    from urllib.parse import quote


    el = sc.methodology.elements[it.element]
    ev = None
    if it.evidence is not None:
        ev = {"path": it.evidence.get("path"), "version": it.evidence.get("version"),
              "snippet": excerpt(" ".join(str(it.evidence.get("text") or "").split()), SNIPPET)}
    return {
        "position": position, "company": it.company, "company_label": it.company_label, "level": it.level,
        "element": it.element, "element_label": el.label, "question": el.question, "indicator": it.indicator,
        "indicator_short": sc.methodology.indicators[it.indicator].short if it.indicator in sc.methodology.indicators else it.indicator,
        "category": it.category, "result": it.result, "confidence": it.confidence, "status": it.status, "reason": it.reason,
        "reviewed": it.reviewed, "evidence": ev,
        "url": u_element(it.company, it.element, it.level, sc.assessment_id),
        "api": f"/api/assessments/{sc.assessment_id}/companies/{quote(it.company, safe='')}/elements/{quote(it.element, safe='')}"
               f"?level={quote(it.level, safe='')}",
    }


def level_order(level: str) -> tuple:
    return ({"Group": 0, "OpCom": 1}.get(level, 2), level)


def uncertainty_order(sc: Scored, elements: list[dict]) -> list[dict]:
    """An indicator page's element rows ({"el", "cells": {level: row}}), the element whose most
    doubtful level is the most doubtful first (``review.queue.sort_key``); stable otherwise."""

    def key(item: dict) -> tuple:
        keys = [rq.row_sort_key(row, sc.statuses.get((row["Company"], row["Service"], row["Element"])))
                for row in item["cells"].values() if row is not None]
        return min(keys, default=(9,))

    return sorted(elements, key=key)


def element_note(sc: Scored, company: str, level: str, element: str) -> dict | None:
    """For the element page: whether this grade is in the review queue and why, and the next grade
    of the company's queue after it (the one that follows where it stands, or stood, in the queue)."""

    row = sc.by_key.get((company, level, element))
    if row is None or row["Result"] == "NA":
        return None
    status = sc.statuses.get((company, level, element))
    needs = row.get("NeedsReview") == "yes"
    reviewed = row.get("Reviewed") == "yes"
    if not needs and not reviewed:
        return None
    confidence = rq.row_confidence(row)
    items = rq.select_items(full_queue(sc), company=company)

    def place(it: rq.QueueItem) -> tuple:
        return (-rq.uncertainty(it.confidence), 0 if it.status else 1, sc.index_of[(it.company, it.level, it.element)])

    here = (-rq.uncertainty(confidence), 0 if status else 1, sc.index_of[(company, level, element)])
    if reviewed and not needs:
        here = None  # decided: its automated place is gone from the row; follow on from the queue's start
    following = [it for it in items if (it.level, it.element) != (level, element) and (here is None or place(it) > here)]
    nxt = queue_item(sc, following[0], 0) if following else None
    return {
        "needs": needs, "reviewed": reviewed, "status": status, "confidence": confidence,
        "reason": rq.reason(status, confidence), "review_below": rq.REVIEW_BELOW, "remaining": len(items),
        "queue_url": u_queue(sc.assessment_id, company=company), "next": nxt,
    }

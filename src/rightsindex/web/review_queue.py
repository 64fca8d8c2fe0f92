"""The review queue in the web app and the API: the grades that need an analyst, least confident
first (``review.queue`` decides what needs review; this module only lists, filters and pages).

- ``GET /review``: the queue page, filtered by company, category, level and status, 50 a page;
- ``GET /api/assessments/{id}/review-queue``: the same as JSON (``limit`` / ``offset``);
- ``nav_count``: the number shown next to "Review queue" in the navigation for analysts.

The queue reads the cached scored rows (``Data.scored``: the ``NeedsReview`` column of
``pipeline.element_rows``), so an analyst's final decision takes an element out of it at once.
In ``--public`` mode the queue is shown read-only: which automated grades are doubtful and not
yet checked by a person is part of the evidence a reader should see (confidences are public on
every element page and in the published CSV already).
"""

from __future__ import annotations

import math
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from ..publish.text import excerpt
from ..review import queue as rq
from .data import NotFound, Scored
from .security import DbInt

PAGE_SIZE = 50
SNIPPET = 240
CATEGORIES = ("G", "F", "P")


class QueueEvidenceOut(BaseModel):
    """The first passage the grade cites."""

    path: str | None = None
    version: int | None = None
    snippet: str = Field("", description=f"the passage as displayed, cut after about {SNIPPET} characters")


class QueueItemOut(BaseModel):
    """One grade awaiting review."""

    position: int = Field(description="1-based place in the queue (least confident first)")
    company: str
    company_label: str
    level: str = Field(description="Group, OpCom or a service")
    element: str
    element_label: str = Field(description="the element as RDR writes it, e.g. P1a.1")
    question: str
    indicator: str
    category: Literal["G", "F", "P"] | str
    result: str = Field(description="the grade as it stands: yes, partial, no, no disclosure found")
    confidence: float | None = Field(description="the automated grade's confidence, 0–1; null when there is none")
    status: str | None = Field(description="a status stored with the grade (e.g. 'no readable document'), or 'needs re-review'")
    reason: str = Field(description="why it is in the queue: its status, 'low confidence' or 'no confidence'")
    evidence: QueueEvidenceOut | None
    url: str = Field(description="the element page")
    api: str = Field(description="the element in the API")


class ReviewQueueOut(BaseModel):
    """The grades of an assessment that need review, least confident first."""

    assessment: int
    review_below: float = Field(description="grades with a confidence below this need review (review.queue.REVIEW_BELOW)")
    total: int = Field(description="items matching the filters")
    offset: int
    limit: int
    filters: dict[str, str | None]
    counts: dict[str, dict[str, int]] = Field(description="the whole queue of the assessment by company, category, level and reason")
    items: list[QueueItemOut]


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
    return {"count": len(items), "graded": graded(sc, company), "items": [_item(sc, it, i) for i, it in enumerate(items[:top], 1)]}


def _item(sc: Scored, it: rq.QueueItem, position: int) -> dict:
    from urllib.parse import quote

    from .pages import u_element

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


def page_router(ctx) -> APIRouter:
    from .pages import error_page, render, require_viewer

    r = APIRouter()
    data, store = ctx.data, ctx.store

    @r.get("/review", response_class=HTMLResponse, include_in_schema=False)
    def review_queue_page(
        request: Request, assessment: DbInt | None = None, company: str | None = None, category: str | None = None,
        level: str | None = None, status: str | None = None, page: int = Query(1, ge=1, le=10**9),
    ):
        require_viewer(ctx, request)
        with store.session() as s:
            try:
                a = data.resolve(s, assessment)
            except NotFound as exc:
                return render(ctx, request, "empty.html", message=str(exc), status_code=404 if assessment else 200)
            a_id, a_index = a.id, a.index
            assessments = data.assessments(s)
        sc = data.scored(a_id)
        try:
            filters = check_filters(sc, company, category, level, status)
        except ValueError as exc:
            return error_page(ctx, request, 422, str(exc))
        everything = full_queue(sc)
        items = rq.select_items(everything, **filters)
        pages = max(1, math.ceil(len(items) / PAGE_SIZE))
        page = min(page, pages)
        start = (page - 1) * PAGE_SIZE
        shown = [_item(sc, it, start + i) for i, it in enumerate(items[start : start + PAGE_SIZE], 1)]
        return render(
            ctx, request, "review_queue.html", items=shown, total=len(items), whole=len(everything), graded=graded(sc, filters["company"]),
            page=page, pages=pages, start=start, filters=filters, facets=counts(everything), labels=sc.labels,
            levels=sorted({it.level for it in everything if filters["company"] in (None, it.company)}, key=_level_order),
            assessment={"id": a_id, "index": a_index}, assessments=assessments, review_below=rq.REVIEW_BELOW,
        )

    return r


def _level_order(level: str) -> tuple:
    return ({"Group": 0, "OpCom": 1}.get(level, 2), level)


def api_router(ctx) -> APIRouter:
    from fastapi import HTTPException

    from .pages import require_viewer

    r = APIRouter(tags=["api"])
    data = ctx.data

    @r.get("/assessments/{assessment_id}/review-queue", response_model=ReviewQueueOut,
           summary="Grades that need review, least confident first")
    def review_queue_api(
        request: Request, assessment_id: DbInt,
        company: str | None = Query(None, description="a company id"),
        category: str | None = Query(None, description="G, F or P"),
        level: str | None = Query(None, description="Group, OpCom or a service"),
        status: str | None = Query(None, description="a status (e.g. 'no readable document', 'needs re-review') or 'low confidence' / 'no confidence'"),
        limit: int = Query(PAGE_SIZE, ge=1, le=1000, description="items per page"),
        offset: int = Query(0, ge=0, le=10**9, description="items to skip"),
    ):
        """A grade needs review when it is not N/A, no analyst has made a final decision on it (or
        that decision is flagged 'needs re-review'), and it carries a status, has no confidence, or
        its confidence is below `review_below`. The same rule fills the `NeedsReview` column of
        `element-scores.csv`. A final decision takes the element out of the queue."""
        require_viewer(ctx, request)
        sc = data.scored(assessment_id)
        try:
            filters = check_filters(sc, company, category, level, status)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        everything = full_queue(sc)
        items = rq.select_items(everything, **filters)
        return {
            "assessment": assessment_id, "review_below": rq.REVIEW_BELOW, "total": len(items), "offset": offset, "limit": limit,
            "filters": filters, "counts": counts(everything),
            "items": [_item(sc, it, offset + i) for i, it in enumerate(items[offset : offset + limit], 1)],
        }

    return r


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
    from .pages import u_queue

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
    nxt = _item(sc, following[0], 0) if following else None
    return {
        "needs": needs, "reviewed": reviewed, "status": status, "confidence": confidence,
        "reason": rq.reason(status, confidence), "review_below": rq.REVIEW_BELOW, "remaining": len(items),
        "queue_url": u_queue(sc.assessment_id, company=company), "next": nxt,
    }

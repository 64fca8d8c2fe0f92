"""The review queue in the web app and the API: the grades that need an analyst, least confident
first (``review.queue`` decides what needs review; this module only lists, filters and pages).

- ``GET /review``: the queue page, filtered by company, category, level and status, 50 a page;
- ``GET /api/assessments/{id}/review-queue``: the same as JSON (``limit`` / ``offset``);
- ``queue_data.nav_count``: the number shown next to "Review queue" in the navigation for analysts.

The queue reads the cached scored rows (``Data.scored``: the ``NeedsReview`` column of
``review.results.element_rows``), so an analyst's final decision takes an element out of it at once.
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

from ..review import queue as rq
from .data import NotFound
from .queue_data import SNIPPET, check_filters, counts, full_queue, graded, level_order, queue_item
from .render import error_page, render, require_viewer
from .security import DbInt

PAGE_SIZE = 50

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


def page_router(ctx) -> APIRouter:

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
        shown = [queue_item(sc, it, start + i) for i, it in enumerate(items[start : start + PAGE_SIZE], 1)]
        return render(
            ctx, request, "review_queue.html", items=shown, total=len(items), whole=len(everything), graded=graded(sc, filters["company"]),
            page=page, pages=pages, start=start, filters=filters, facets=counts(everything), labels=sc.labels,
            levels=sorted({it.level for it in everything if filters["company"] in (None, it.company)}, key=level_order),
            assessment={"id": a_id, "index": a_index}, assessments=assessments, review_below=rq.REVIEW_BELOW,
        )

    return r


def api_router(ctx) -> APIRouter:
    from fastapi import HTTPException


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
            "items": [queue_item(sc, it, offset + i) for i, it in enumerate(items[offset : offset + limit], 1)],
        }

    return r



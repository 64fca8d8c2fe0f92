"""Notice duties in the web app: a page per framework (every company and service, every item,
the passage that earns it or the closest one), a page per item (its questions, criteria, the RDR
elements it crosswalks to and how each company answers both), and the same as JSON.

- ``GET /frameworks/{framework}``: the framework page (``?assessment=``: default, the latest
  assessment that graded it);
- ``GET /frameworks/{framework}/items/{item}``: the item page (``?company=`` narrows it);
- ``GET /api/assessments/{id}/frameworks``: ``framework-scores.json`` of the assessment.

Pages only read: what is graded and how is ``evidence.frameworks``; the rows are ``review.items``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from ..methodology import MethodologyError
from ..methodology import frameworks as frameworks_mod
from ..publish.frameworks import completeness, disagreement, frameworks_json
from ..review.items import item_rows
from ..store.models import Assessment, CompanyRun
from .data import NotFound
from .render import render, require_viewer
from .security import DbInt

__all__ = ["api_router", "page_router", "framework_assessment"]


def framework_assessment(s, framework: str, assessment_id: int | None) -> Assessment:
    """The assessment asked for, else the latest one that graded ``framework``."""
    if assessment_id is not None:
        a = s.get(Assessment, assessment_id)
        if a is None:
            raise NotFound(f"no assessment {assessment_id}")
        return a
    q = select(Assessment).where(Assessment.id.in_(select(CompanyRun.assessment_id))).order_by(Assessment.id.desc())
    for a in s.scalars(q):
        if framework in ((a.meta or {}).get("frameworks") or []):
            return a
    raise NotFound(f"no assessment graded {framework}: run `rightsindex assess MANIFEST --framework {framework}`")


def _framework(fid: str):
    try:
        return frameworks_mod.load(fid)
    except MethodologyError as exc:
        raise NotFound(str(exc)) from None


def page_router(ctx) -> APIRouter:
    r = APIRouter()
    store = ctx.store

    @r.get("/frameworks/{framework}", response_class=HTMLResponse, include_in_schema=False)
    def framework_page(request: Request, framework: str, assessment: DbInt | None = None):
        require_viewer(ctx, request)
        fw = _framework(framework)
        with store.session() as s:
            a = framework_assessment(s, fw.id, assessment)
            a_info = {"id": a.id, "index": a.index, "as_of": a.as_of}
        rows = item_rows(store, a_info["id"], frameworks=[fw.id])
        table: dict = {}
        for row in rows:
            table.setdefault((row["Company"], row["CompanyLabel"], row["Service"]), {})[row["Item"]] = row
        services = [
            {"company": c, "label": lab, "service": svc, "cells": cells, "completeness": completeness([x["Result"] for x in cells.values()]),
             "missing": [x for x in cells.values() if x["Result"] == "not found"]}
            for (c, lab, svc), cells in table.items()
        ]
        return render(ctx, request, "framework.html", fw=fw, services=services, assessment=a_info)

    @r.get("/frameworks/{framework}/items/{item}", response_class=HTMLResponse, include_in_schema=False)
    def item_page(request: Request, framework: str, item: str, assessment: DbInt | None = None, company: str | None = None):
        require_viewer(ctx, request)
        fw = _framework(framework)
        try:
            it = fw.item(item)
        except MethodologyError as exc:
            raise NotFound(str(exc)) from None
        with store.session() as s:
            a = framework_assessment(s, fw.id, assessment)
            a_info = {"id": a.id, "index": a.index, "as_of": a.as_of, "methodology": a.methodology}
        rows = [x for x in item_rows(store, a_info["id"], companies=[company] if company else None, frameworks=[fw.id]) if x["Item"] == it.id]
        elements = _rdr_answers(ctx, a_info, it, rows)
        return render(ctx, request, "framework_item.html", fw=fw, it=it, rows=rows, elements=elements, assessment=a_info, company=company)

    return r


def _rdr_answers(ctx, a_info: dict, item, rows: list[dict]) -> list[dict]:
    """The RDR elements an item crosswalks to, with each company's answers (every level) and, at a
    level that is a service graded on the item, the duty's answer there and whether they disagree."""
    sc = ctx.data.scored(a_info["id"])
    meth = sc.methodology
    duty = {(x["Company"], x["Service"]): x["Result"] for x in rows}
    out = []
    for e in item.rdr_elements(a_info["methodology"]) or item.rdr_elements():
        if e not in meth.elements:
            continue
        el = meth.elements[e]
        answers = []
        for c in sorted({x["Company"] for x in rows}):
            for lvl in sc.levels.get(c, []):
                result = sc.by_key.get((c, lvl, e), {}).get("Result")
                if result in (None, "NA"):
                    continue
                d = duty.get((c, lvl))
                answers.append({"company": c, "level": lvl, "result": result, "duty": d,
                                "disagree": disagreement(d, result, reversed_element=el.reversed)})
        out.append({"element": el, "answers": answers})
    return out


def api_router(ctx) -> APIRouter:
    r = APIRouter()

    @r.get("/assessments/{assessment_id}/frameworks", tags=["frameworks"])
    def frameworks_of(request: Request, assessment_id: DbInt) -> dict:
        """Notice duties of an assessment graded with ``--framework``: per company, service and
        framework, completeness, each item's answer with the passage that earns it, and the missing
        duties with the closest passage and why (``framework-scores.json``)."""
        require_viewer(ctx, request)
        with ctx.store.session() as s:
            if s.get(Assessment, assessment_id) is None:
                raise NotFound(f"no assessment {assessment_id}")
        return frameworks_json(item_rows(ctx.store, assessment_id), {"id": assessment_id})

    return r

"""The JSON API (``/api``): assessments, scores, elements with evidence, documents, diffs, review.

Reading needs a signed-in user (any role), or nothing in public mode. Review actions need the
analyst role and the session's CSRF token in the ``X-CSRF-Token`` header; they do not exist in
public mode.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import select

from .. import review
from ..methodology import MethodologyError, normalise_element_id
from ..corpus.diff import DiffTooLarge
from ..corpus.versions import current_versions
from ..publish.scores import scores_json
from ..review import queue as review_queue
from ..store.models import Version
from .data import NotFound, row_evidence, version_date
from .diffs import busy_as_503
from .render import require_analyst, require_viewer
from .security import DbInt


class AssessmentOut(BaseModel):
    id: int
    index: str
    methodology: str
    status: str
    created_at: str | None
    finished_at: str | None
    model_version: str
    companies: list[str]
    as_of: str | None = Field(None, description="the date whose policies an as-of assessment graded; null: the versions current when it ran")
    shows: str = Field("", description="which policies it shows, in words")


class ReviewActionIn(BaseModel):
    """One review action on an element at a level."""

    action: Literal["accept", "change", "attach", "detach", "comment"]
    step: Literal["primary", "review", "final"] = "final"
    result: Literal["yes", "partial", "no", "no disclosure found", "NA"] | None = Field(None, description="for `change`")
    comment: str | None = Field(None, description="rationale (accept/change) or the comment text (comment)", max_length=20000)
    passage_id: DbInt | None = Field(None, description="for `attach` / `detach`")


def _iso(v) -> str | None:
    return v.isoformat() if v is not None else None


def _shown(data, assessment_id: int) -> dict:
    """``as_of`` and ``shows``: which policies an assessment shows (``timeline.assessments.shown``)."""
    sh = data.shows(assessment_id) or {}
    return {"as_of": sh.get("as_of"), "shows": sh.get("text", "")}


def _evidence_out(items: list[dict]) -> list[dict]:
    keys = ("path", "version", "version_id", "passage_id", "passage_ids", "start", "end", "heading", "text", "score", "support")
    return [{k: e.get(k) for k in keys if k in e} for e in items]


def router(ctx) -> APIRouter:
    r = APIRouter(tags=["api"])
    data, store = ctx.data, ctx.store

    @r.get("/assessments", response_model=list[AssessmentOut], summary="Assessments, newest first")
    def assessments(request: Request):
        require_viewer(ctx, request)
        with store.session() as s:
            return [{**{k: v for k, v in a.items() if k != "policies"}, "created_at": _iso(a["created_at"]),
                     "finished_at": _iso(a["finished_at"]), "as_of": _iso(a["as_of"])}
                    for a in data.assessments(s)]

    @r.get("/assessments/{assessment_id}/scores", summary="Scores of an assessment (scores.json shape), analysts' decisions applied")
    def scores(request: Request, assessment_id: DbInt):
        """Totals, G/F/P categories, indicators and per-level scores per company, rounded to 2
        decimals (null where everything is N/A), with rank — as `assess` writes scores.json."""
        require_viewer(ctx, request)
        sc = data.scored(assessment_id)
        out = scores_json(sc.scores, sc.methodology, index=sc.index)
        out["assessment"] = {"id": assessment_id, **_shown(data, assessment_id)}
        return out

    @r.get("/changes", summary="Grades that moved because a policy changed (the watch feed), newest first")
    def changes(request: Request, company: str | None = None, limit: int = Query(100, ge=1, le=1000)):
        """Each: company, level, element, before → after, direction, the document whose change moved
        it, versions on both sides, the passage-level diff and a generated comment — as
        `rightsindex watch` writes changes.json."""
        require_viewer(ctx, request)
        from ..timeline.feed import change_dict, recent_changes

        with store.session() as s:
            return {"changes": [change_dict(c) for c in recent_changes(s, limit=limit, company=company or None)]}

    @r.get("/ranking", summary="Ranking of the latest assessment of the current policies, or of the one chosen (as-of ones only so)")
    def ranking(request: Request, assessment: DbInt | None = None, edition: str | None = None):
        require_viewer(ctx, request)
        with store.session() as s:
            a = data.resolve(s, assessment, edition)
            a_id = a.id
        sc = data.scored(a_id)
        return {
            "assessment": a_id, "index": sc.index, "methodology": sc.methodology.id, **_shown(data, a_id),
            "companies": [
                {"rank": sc.positions.get(c.company), "company": c.company, "label": c.label, "type": c.company_type,
                 "total": None if c.total is None else round(c.total, 2),
                 "categories": {k: None if v is None else round(v, 2) for k, v in c.categories.items()}}
                for c in sc.ranking
            ],
        }

    @r.get("/assessments/{assessment_id}/companies/{company}/elements/{element}", summary="One element at one level: grade, confidence, evidence, decision")
    def element_detail(request: Request, assessment_id: DbInt, company: str, element: str, level: str = Query(..., description="Group, OpCom or a service")):
        require_viewer(ctx, request)
        sc = data.scored(assessment_id)
        try:
            el = sc.methodology.element(normalise_element_id(element))
        except MethodologyError as exc:
            raise NotFound(str(exc)) from None
        row = sc.by_key.get((company, level, el.id))
        if row is None:
            raise NotFound(f"no judgment for {company} / {level} / {el.id} in assessment {assessment_id}")
        with store.session() as s:
            j = data.judgment(s, assessment_id, company, level, el.id)
            decisions = review.decisions_for(s, sc.methodology.id, company, level, el.id)
            final = decisions.get("final")
            out = {
                "assessment": assessment_id, "company": company, "level": level, "element": el.id, "label": el.label,
                "question": el.question, "indicator": el.indicator, "result": row["Result"],
                "score": None if row["Score"] == "NA" else row["Score"], "reviewed": row["Reviewed"] == "yes",
                "needs_review": row.get("NeedsReview") == "yes", "status": sc.statuses.get((company, level, el.id)),
                "evidence": _evidence_out(list(final.evidence) if final else list(j.evidence or [])),
                "automated": {"result": j.result, "confidence": j.confidence, "probabilities": j.probabilities,
                              "evidence": _evidence_out(list(j.evidence or [])), "prior_result": j.prior_result, "prior_relation": j.prior_relation},
            }
            if not ctx.public:
                out["decisions"] = {
                    st: {"result": d.result, "comment": d.comment, "evidence": _evidence_out(d.evidence or []), "by": d.updated_by,
                         "at": _iso(d.updated_at), "assessment_id": d.assessment_id, "needs_rereview": d.needs_rereview,
                         "rereview_reason": d.rereview_reason}
                    for st, d in decisions.items()
                }
            else:
                out["decision"] = {"step": "final", "needs_rereview": final.needs_rereview} if final else None
        return out

    @r.get("/assessments/{assessment_id}/companies/{company}/elements", summary="A company's element results (RDR CSV columns)")
    def elements(
        request: Request, assessment_id: DbInt, company: str,
        sort: Literal["methodology", "uncertainty"] = Query("methodology", description="`uncertainty`: the grades that need review first, least confident first; then the other automated grades, analysts' decisions, N/A"),
        needs_review: bool | None = Query(None, description="`true`: only the grades that need review (the `NeedsReview` column); `false`: only the others"),
    ):
        """Each row has the columns of `element-scores.csv` (`Evidence` parsed) and `confidence`
        (a number or null), `needs_review` (see `/review-queue`) and `status` (a status stored with
        the grade, e.g. 'no readable document', or 'needs re-review'; null when none)."""
        require_viewer(ctx, request)
        sc = data.scored(assessment_id)
        rows = [r_ for r_ in sc.rows if r_["Company"] == company]
        if not rows:
            raise NotFound(f"assessment {assessment_id} has no company {company!r}")
        status = {i: sc.statuses.get((r_["Company"], r_["Service"], r_["Element"])) for i, r_ in enumerate(rows)}
        order = list(range(len(rows)))
        if sort == "uncertainty":
            order.sort(key=lambda i: (review_queue.row_sort_key(rows[i], status[i]), i))
        if needs_review is not None:
            order = [i for i in order if (rows[i].get("NeedsReview") == "yes") == needs_review]
        day = (data.shows(assessment_id) or {}).get("day")
        return [
            {**{k: v for k, v in rows[i].items() if k != "Evidence"}, "Evidence": row_evidence(rows[i]), "AsOf": day,
             "confidence": review_queue.row_confidence(rows[i]), "needs_review": rows[i].get("NeedsReview") == "yes", "status": status[i]}
            for i in order
        ]

    @r.get("/documents", summary="Documents, with their number of versions")
    def documents(request: Request, company: str | None = None):
        require_viewer(ctx, request)
        with store.session() as s:
            return [{**d, "latest_date": _iso(d["latest_date"])} for d in data.documents(s, company)]

    @r.get("/documents/{doc_id}", summary="A document and its versions")
    def document(request: Request, doc_id: DbInt):
        require_viewer(ctx, request)
        with store.session() as s:
            d = data.document(s, doc_id)
            versions = s.scalars(select(Version).where(Version.document_id == d.id).order_by(Version.seq))
            return {
                "id": d.id, "key": d.key, "title": d.title, "url": d.url, "type": d.type, "company": d.company.key, "levels": d.levels,
                "versions": [{"seq": v.seq, "version_date": _iso(v.version_date), "recorded_at": _iso(v.recorded_at), "format": v.format,
                              "language": v.language, "text_sha256": v.text_sha256, "chars": len(v.text), "source": v.source} for v in versions],
            }

    @r.get("/documents/{doc_id}/versions/{seq}", summary="One version's text and passages")
    def version(request: Request, doc_id: DbInt, seq: DbInt):
        require_viewer(ctx, request)
        with store.session() as s:
            d = data.document(s, doc_id)
            v = data.version(s, d, seq)
            return {
                "document": d.id, "seq": v.seq, "version_date": _iso(version_date(v)), "language": v.language, "text": v.text,
                "passages": [{"id": p.id, "seq": p.seq, "start": p.start, "end": p.end, "kind": p.kind, "heading": p.heading, "text": p.text} for p in v.passages],
            }

    @r.get("/documents/{doc_id}/diff", summary="Passage-level diff of two versions, with character-level changes")
    async def diff(request: Request, doc_id: DbInt, from_: DbInt = Query(..., alias="from"), to: DbInt | None = None):
        def start():
            require_viewer(ctx, request)
            with store.session() as s:
                d = data.document(s, doc_id)
                old = data.version(s, d, from_)
                new = data.version(s, d, to) if to is not None else current_versions(s, [d.id]).get(d.id)
                return data.diffs.start(old, new), d.id, old.seq, new.seq

        # the database on a request thread; the diff in its own pool, waited for by the event loop
        job, document, old_seq, new_seq = await run_in_threadpool(start)
        try:
            entries, counts = await busy_as_503(data.diffs.wait)(job)
        except DiffTooLarge as exc:
            raise HTTPException(422, str(exc)) from None
        return {
            "document": document, "from": old_seq, "to": new_seq, "counts": counts,
            "changes": [
                {"status": e["status"], "heading": e["heading"], "old": e["old"], "new": e["new"], "inline": [[op, t] for op, t in e["inline"]]}
                for e in entries if e["status"] != "unchanged"
            ],
        }

    if not ctx.public:

        @r.get("/me", summary="The signed-in user")
        def me(request: Request):
            p = require_viewer(ctx, request)
            return {"username": p.username, "role": p.role, "csrf_token": p.csrf}

        @r.get("/review/stale", summary="Decisions flagged 'needs re-review'")
        def stale(request: Request, company: str | None = None):
            require_viewer(ctx, request)
            with store.session() as s:
                return [
                    {"company": d.company_key, "level": d.level, "element": d.element, "step": d.step, "result": d.result, "reason": d.rereview_reason}
                    for d in review.stale_decisions(s, [company] if company else None)
                ]

        @r.get("/assessments/{assessment_id}/companies/{company}/elements/{element}/audit", summary="Audit trail of one element at one level")
        def audit(request: Request, assessment_id: DbInt, company: str, element: str, level: str):
            require_viewer(ctx, request)
            with store.session() as s:
                a = data.resolve(s, assessment_id)
                return [review.as_dict(e) for e in review.audit_trail(s, a.methodology, company, level, normalise_element_id(element))]

        @r.post("/assessments/{assessment_id}/companies/{company}/elements/{element}/review", summary="Accept, change, attach, detach or comment (analysts)")
        def review_action(request: Request, assessment_id: DbInt, company: str, element: str, body: ReviewActionIn, level: str = Query(...)):
            """Needs the analyst or admin role and the ``X-CSRF-Token`` header (``GET /api/me``)."""
            p = require_analyst(ctx, request)
            el = normalise_element_id(element)
            try:
                with store.session() as s:
                    review.apply_action(s, p.username, body.action, assessment_id=assessment_id, company_key=company, level=level,
                                        element=el, step=body.step, result=body.result, comment=body.comment, passage_id=body.passage_id)
            except review.ReviewError as exc:
                raise HTTPException(422, str(exc)) from None
            return element_detail(request, assessment_id, company, el, level)

    return r

"""Analysts' decisions at RDR's research steps, comments, the append-only audit log and
re-review flags (see the package's notes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..scoring import RESULTS, ScoringError, normalise_result
from ..store.models import (
    Assessment,
    AuditEntry,
    CompanyRun,
    Document,
    Judgment,
    Passage,
    ReviewComment,
    ReviewDecision,
    Version,
    utcnow,
)

__all__ = [
    "ACTIONS",
    "ElementContext",
    "RESULTS",
    "ReviewError",
    "STEPS",
    "STEP_LABELS",
    "SYSTEM",
    "accept",
    "add_comment",
    "apply_action",
    "as_dict",
    "attach_evidence",
    "audit_trail",
    "change_grade",
    "comments",
    "decisions_for",
    "describe",
    "detach_evidence",
    "element_context",
    "evidence_at",
    "evidence_item",
    "final_decisions",
    "flag_stale_decisions",
    "review_stamp",
    "review_state",
    "stale_decisions",
]

STEPS = ("primary", "review", "final")  # RDR: primary research → review and reconciliation → final
STEP_LABELS = {"primary": "Primary research", "review": "Review", "final": "Final"}
ACTIONS = ("accept", "change", "attach", "detach", "comment")
SYSTEM = "system"


class ReviewError(ValueError):
    """A review action that cannot be applied (unknown element, passage, step or grade)."""


@dataclass(frozen=True)
class ElementContext:
    """Where a review action applies: one element at one level of one company, seen in an assessment."""

    assessment_id: int
    methodology: str
    company_key: str
    level: str
    element: str
    judgment: Judgment

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.company_key, self.level, self.element)


# -- reading ----------------------------------------------------------------------------------------


def _decision_comment(d: ReviewDecision) -> str:
    if d.comment:
        return d.comment
    return f"Analyst decision ({d.step}) by {d.updated_by}, {d.updated_at:%Y-%m-%d}: {d.result}."


def final_decisions(session: Session, assessment_id: int) -> dict[tuple[str, str, str], dict]:
    """The final-step decisions that apply to an assessment's companies (its methodology):
    ``{(company_key, level, element): {"result", "comment", "evidence", "step", "needs_rereview", …}}``."""
    a = session.get(Assessment, assessment_id)
    if a is None:
        return {}
    companies = list(session.scalars(select(CompanyRun.company_key).where(CompanyRun.assessment_id == assessment_id)))
    if not companies:
        return {}
    out: dict[tuple[str, str, str], dict] = {}
    q = select(ReviewDecision).where(
        ReviewDecision.methodology == a.methodology,
        ReviewDecision.step == "final",
        ReviewDecision.company_key.in_(companies),
    )
    for d in session.scalars(q):
        out[(d.company_key, d.level, d.element)] = {
            "result": d.result,
            "comment": _decision_comment(d),
            "evidence": list(d.evidence or []),
            "step": d.step,
            "needs_rereview": bool(d.needs_rereview),
            "rereview_reason": d.rereview_reason,
            "decided_by": d.updated_by,
            "decided_at": d.updated_at.isoformat() if d.updated_at else None,
            "assessment_id": d.assessment_id,
        }
    return out


def decisions_for(session: Session, methodology: str, company_key: str, level: str, element: str) -> dict[str, ReviewDecision]:
    """The decisions of one element at one level, by step."""
    q = select(ReviewDecision).where(
        ReviewDecision.methodology == methodology,
        ReviewDecision.company_key == company_key,
        ReviewDecision.level == level,
        ReviewDecision.element == element,
    )
    found = {d.step: d for d in session.scalars(q)}
    return {s: found[s] for s in STEPS if s in found}


def audit_trail(session: Session, methodology: str | None, company_key: str, level: str, element: str) -> list[AuditEntry]:
    """Audit entries of one element at one level, oldest first."""
    q = select(AuditEntry).where(
        AuditEntry.company_key == company_key, AuditEntry.level == level, AuditEntry.element == element
    )
    if methodology is not None:
        q = q.where(AuditEntry.methodology == methodology)
    return list(session.scalars(q.order_by(AuditEntry.id)))


def comments(session: Session, methodology: str, company_key: str, level: str, element: str) -> list[ReviewComment]:
    q = select(ReviewComment).where(
        ReviewComment.methodology == methodology,
        ReviewComment.company_key == company_key,
        ReviewComment.level == level,
        ReviewComment.element == element,
    )
    return list(session.scalars(q.order_by(ReviewComment.id)))


def review_stamp(session: Session) -> int:
    """A number that grows with every review change (the last audit entry): a cache key."""
    return session.scalar(select(func.max(AuditEntry.id))) or 0


def stale_decisions(session: Session, company_keys: list[str] | None = None) -> list[ReviewDecision]:
    """Decisions flagged "needs re-review"."""
    q = select(ReviewDecision).where(ReviewDecision.needs_rereview.is_(True))
    if company_keys is not None:
        q = q.where(ReviewDecision.company_key.in_(company_keys))
    return list(session.scalars(q.order_by(ReviewDecision.company_key, ReviewDecision.element, ReviewDecision.level)))


def review_state(session: Session, ctx: ElementContext) -> dict:
    """Everything the review panel shows for one element at one level."""
    decisions = decisions_for(session, ctx.methodology, ctx.company_key, ctx.level, ctx.element)
    return {
        "decisions": decisions,
        "final": decisions.get("final"),
        "comments": comments(session, ctx.methodology, ctx.company_key, ctx.level, ctx.element),
        "audit": audit_trail(session, ctx.methodology, ctx.company_key, ctx.level, ctx.element),
    }


# -- context ----------------------------------------------------------------------------------------


def element_context(session: Session, assessment_id: int, company_key: str, level: str, element: str) -> ElementContext:
    """Resolve and validate where an action applies: the assessment must hold a judgment for it."""
    a = session.get(Assessment, assessment_id)
    if a is None:
        raise ReviewError(f"no assessment {assessment_id}")
    run = session.scalars(
        select(CompanyRun).where(CompanyRun.assessment_id == assessment_id, CompanyRun.company_key == company_key)
    ).first()
    if run is None:
        raise ReviewError(f"assessment {assessment_id} has no company {company_key!r}")
    j = session.scalars(select(Judgment).where(Judgment.run_id == run.id, Judgment.level == level, Judgment.element == element)).first()
    if j is None:
        raise ReviewError(f"assessment {assessment_id} has no judgment for {company_key} / {level} / {element}")
    return ElementContext(assessment_id, a.methodology, company_key, level, element, j)


# -- writing ----------------------------------------------------------------------------------------


def _snapshot(d: ReviewDecision | None) -> dict | None:
    if d is None:
        return None
    return {
        "step": d.step,
        "result": d.result,
        "comment": d.comment,
        "evidence": [dict(e) for e in (d.evidence or [])],
        "needs_rereview": bool(d.needs_rereview),
    }


def _audit(session: Session, actor: str, action: str, ctx_or_decision, before: Any, after: Any, step: str | None, decision_id: int | None) -> AuditEntry:
    if isinstance(ctx_or_decision, ElementContext):
        meth, comp, level, element, aid = (
            ctx_or_decision.methodology, ctx_or_decision.company_key, ctx_or_decision.level,
            ctx_or_decision.element, ctx_or_decision.assessment_id,
        )
    else:
        d = ctx_or_decision
        meth, comp, level, element, aid = d.methodology, d.company_key, d.level, d.element, d.assessment_id
    entry = AuditEntry(
        at=utcnow(), actor=actor, action=action, methodology=meth, company_key=comp, level=level, element=element,
        step=step, decision_id=decision_id, assessment_id=aid, before=before, after=after,
    )
    session.add(entry)
    session.flush()
    return entry


def _check_step(step: str) -> str:
    s = (step or "").strip().lower()
    if s not in STEPS:
        raise ReviewError(f"step {step!r} is not one of: {', '.join(STEPS)}")
    return s


def _check_actor(actor: str) -> str:
    if not actor or not actor.strip():
        raise ReviewError("every review action needs an actor (the analyst's user name)")
    return actor.strip()


_NOISE = re.compile(r"[\s*_#>`|~]+")


def _norm(text: str) -> str:
    return _NOISE.sub("", text or "")


def _latest_versions(session: Session, document_ids: set[int]) -> dict[int, Version]:
    """The current version of each document (by date, then recording order)."""
    from ..corpus.versions import current_versions

    return current_versions(session, document_ids)


def _document_ids(session: Session, evidence: list[dict]) -> dict[int, int]:
    """version id -> document id for the versions the evidence cites."""
    ids = {int(e["version_id"]) for e in evidence if e.get("version_id") is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Version.id, Version.document_id).where(Version.id.in_(ids))).all())


def _basis(session: Session, evidence: list[dict]) -> dict[str, int]:
    docs = _document_ids(session, evidence)
    latest = _latest_versions(session, set(docs.values()))
    return {str(doc): latest[doc].id for doc in sorted(set(docs.values())) if doc in latest}


def _start(session: Session, ctx: ElementContext, step: str) -> tuple[str, list[dict], str, str]:
    """Result, evidence and comment a new decision at ``step`` begins from, and where they come from
    (the decision of an earlier step, or ``automated``)."""
    decisions = decisions_for(session, ctx.methodology, ctx.company_key, ctx.level, ctx.element)
    for earlier in reversed(STEPS[: STEPS.index(step)]):
        if earlier in decisions:
            d = decisions[earlier]
            return d.result, [dict(e) for e in d.evidence or []], d.comment, earlier
    j = ctx.judgment
    return j.result, [dict(e) for e in j.evidence or []], "", "automated"


def evidence_at(session: Session, ctx: ElementContext, step: str) -> tuple[list[dict], str]:
    """The evidence an analyst works on at ``step``: that step's decision's, or what a new decision
    there would start from (an earlier step's, else the automated judgment's); and where it is from."""
    d = decisions_for(session, ctx.methodology, ctx.company_key, ctx.level, ctx.element).get(_check_step(step))
    if d is not None:
        return [dict(e) for e in d.evidence or []], step
    _result, evidence, _comment, source = _start(session, ctx, step)
    return evidence, source


def _decide(
    session: Session,
    actor: str,
    ctx: ElementContext,
    step: str,
    action: str,
    *,
    result: str | None = None,
    comment: str | None = None,
    evidence: list[dict] | None = None,
    mutate=None,
) -> ReviewDecision:
    actor, step = _check_actor(actor), _check_step(step)
    d = decisions_for(session, ctx.methodology, ctx.company_key, ctx.level, ctx.element).get(step)
    before = _snapshot(d)
    if d is None:
        start_result, start_evidence, start_comment, source = _start(session, ctx, step)
        before = {"step": None, "source": source, "result": start_result, "comment": start_comment,
                  "evidence": start_evidence, "needs_rereview": False}
        d = ReviewDecision(
            methodology=ctx.methodology, company_key=ctx.company_key, level=ctx.level, element=ctx.element, step=step,
            result=start_result, comment=start_comment, evidence=start_evidence, created_by=actor, created_at=utcnow(),
            needs_rereview=False, rereview_reason="", basis={},
        )
        session.add(d)
    if result is not None:
        d.result = result
    if comment is not None:
        d.comment = comment.strip()
    if evidence is not None:
        d.evidence = evidence
    if mutate is not None:
        d.evidence = mutate([dict(e) for e in d.evidence or []])
    d.auto_result = ctx.judgment.result
    d.assessment_id = ctx.assessment_id
    d.updated_by, d.updated_at = actor, utcnow()
    # an analyst looked at it now: confirmed against the latest versions
    d.basis = _basis(session, d.evidence or [])
    d.needs_rereview, d.rereview_reason = False, ""
    session.flush()
    _audit(session, actor, action, ctx, before, _snapshot(d), step, d.id)
    return d


def accept(session: Session, actor: str, *, assessment_id: int, company_key: str, level: str, element: str,
           step: str = "final", comment: str | None = None) -> ReviewDecision:
    """Accept the grade as it stands at this step (the earlier step's, or the automated one)."""
    ctx = element_context(session, assessment_id, company_key, level, element)
    return _decide(session, actor, ctx, step, "accept", comment=comment)


def change_grade(session: Session, actor: str, *, assessment_id: int, company_key: str, level: str, element: str,
                 result: str, step: str = "final", comment: str | None = None) -> ReviewDecision:
    """Set the grade: yes, partial, no, no disclosure found or NA."""
    try:
        canonical = normalise_result(result)
    except ScoringError as exc:
        raise ReviewError(str(exc)) from None
    if not (result or "").strip():
        raise ReviewError(f"a grade is needed: one of {', '.join(RESULTS)}")
    ctx = element_context(session, assessment_id, company_key, level, element)
    return _decide(session, actor, ctx, step, "change", result=canonical, comment=comment)


def evidence_item(session: Session, passage_id: int, company_key: str) -> dict:
    """A passage as an evidence item (the shape of ``Judgment.evidence``), checked to belong to the company."""
    p = session.get(Passage, int(passage_id))
    if p is None:
        raise ReviewError(f"no passage {passage_id}")
    v = session.get(Version, p.version_id)
    doc = session.get(Document, v.document_id)
    if doc.company.key != company_key:
        raise ReviewError(f"passage {passage_id} belongs to {doc.company.key}, not {company_key}")
    return {
        "path": doc.key, "version": v.seq, "version_id": v.id, "passage_id": p.id, "start": p.start, "end": p.end,
        "heading": p.heading, "text": p.text, "score": None,
    }


def attach_evidence(session: Session, actor: str, *, assessment_id: int, company_key: str, level: str, element: str,
                    passage_id: int, step: str = "final") -> ReviewDecision:
    """Add a passage to the evidence the decision rests on."""
    ctx = element_context(session, assessment_id, company_key, level, element)
    item = evidence_item(session, passage_id, company_key)

    def add(evidence: list[dict]) -> list[dict]:
        if any(e.get("passage_id") == item["passage_id"] for e in evidence):
            raise ReviewError(f"passage {passage_id} is already attached")
        return [*evidence, item]

    return _decide(session, actor, ctx, step, "attach", mutate=add)


def detach_evidence(session: Session, actor: str, *, assessment_id: int, company_key: str, level: str, element: str,
                    passage_id: int, step: str = "final") -> ReviewDecision:
    """Remove a passage from the evidence the decision rests on."""
    ctx = element_context(session, assessment_id, company_key, level, element)

    def remove(evidence: list[dict]) -> list[dict]:
        kept = [e for e in evidence if e.get("passage_id") != int(passage_id)]
        if len(kept) == len(evidence):
            raise ReviewError(f"passage {passage_id} is not attached")
        return kept

    return _decide(session, actor, ctx, step, "detach", mutate=remove)


def add_comment(session: Session, actor: str, *, assessment_id: int, company_key: str, level: str, element: str,
                text: str, step: str | None = None) -> ReviewComment:
    """A note in the element's discussion (append-only); it does not change the grade."""
    actor = _check_actor(actor)
    text = (text or "").strip()
    if not text:
        raise ReviewError("a comment needs some text")
    if len(text) > 20000:
        raise ReviewError("a comment is limited to 20,000 characters")
    step = _check_step(step) if step else None
    ctx = element_context(session, assessment_id, company_key, level, element)
    c = ReviewComment(
        methodology=ctx.methodology, company_key=company_key, level=level, element=element, step=step,
        assessment_id=assessment_id, author=actor, created_at=utcnow(), text=text,
    )
    session.add(c)
    session.flush()
    _audit(session, actor, "comment", ctx, None, {"comment_id": c.id, "text": text}, step, None)
    return c


def apply_action(session: Session, actor: str, action: str, *, assessment_id: int, company_key: str, level: str,
                 element: str, step: str = "final", result: str | None = None, comment: str | None = None,
                 passage_id: int | None = None) -> ReviewDecision | ReviewComment:
    """One entry point for the web and the API: ``action`` is one of ``ACTIONS``."""
    where = dict(assessment_id=assessment_id, company_key=company_key, level=level, element=element)
    if action == "accept":
        return accept(session, actor, step=step, comment=comment or None, **where)
    if action == "change":
        return change_grade(session, actor, step=step, result=result or "", comment=comment or None, **where)
    if action in ("attach", "detach"):
        if passage_id is None:
            raise ReviewError("a passage id is needed")
        fn = attach_evidence if action == "attach" else detach_evidence
        return fn(session, actor, step=step, passage_id=int(passage_id), **where)
    if action == "comment":
        return add_comment(session, actor, text=comment or "", step=step or None, **where)
    raise ReviewError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")


# -- re-review --------------------------------------------------------------------------------------


def flag_stale_decisions(session: Session) -> int:
    """Flag "needs re-review" on each decision whose evidence passage text is no longer present in
    the latest version of its document (a version newer than the one the decision was confirmed
    against). Returns how many decisions were newly flagged; each flag is an audit entry."""
    decisions = [d for d in session.scalars(select(ReviewDecision).where(ReviewDecision.needs_rereview.is_(False))) if d.evidence]
    if not decisions:
        return 0
    all_evidence = [e for d in decisions for e in d.evidence]
    doc_of = _document_ids(session, all_evidence)
    latest = _latest_versions(session, set(doc_of.values()))
    norm_cache: dict[int, str] = {}
    doc_keys: dict[int, str] = {}
    flagged = 0
    for d in decisions:
        reasons = []
        basis = d.basis or {}
        for e in d.evidence:
            vid = e.get("version_id")
            if vid is None or int(vid) not in doc_of:
                continue
            doc = doc_of[int(vid)]
            new = latest.get(doc)
            if new is None or new.id == int(vid) or basis.get(str(doc)) == new.id:
                continue
            if new.id not in norm_cache:
                norm_cache[new.id] = _norm(new.text)
            if _norm(e.get("text", "")) in norm_cache[new.id]:
                continue
            if doc not in doc_keys:
                doc_keys[doc] = session.get(Document, doc).key
            when = f", {new.version_date:%Y-%m-%d}" if new.version_date else ""
            reasons.append(f"{doc_keys[doc]}: passage {e.get('passage_id')} is no longer in version {new.seq}{when}")
        if reasons:
            before = _snapshot(d)
            d.needs_rereview, d.rereview_reason = True, "; ".join(reasons)
            session.flush()
            _audit(session, SYSTEM, "flag-rereview", d, before, {**_snapshot(d), "reason": d.rereview_reason}, d.step, d.id)
            flagged += 1
    return flagged


def describe(entry: AuditEntry) -> str:
    """One line for an audit entry, e.g. ``change (final): no disclosure found → partial``."""
    b, a = entry.before or {}, entry.after or {}
    step = f" ({entry.step})" if entry.step else ""
    if entry.action == "comment":
        return f"comment{step}"
    if entry.action == "flag-rereview":
        return f"flagged for re-review{step}: {a.get('reason', '')}"
    parts = []
    if b.get("result") != a.get("result"):
        source = f" ({b['source']})" if b.get("source") else ""
        parts.append(f"{b.get('result', '—')}{source} → {a.get('result')}")
    elif a.get("result"):
        parts.append(a["result"])
    bp = {e.get("passage_id") for e in b.get("evidence", [])} if b else set()
    ap = {e.get("passage_id") for e in a.get("evidence", [])}
    if ap - bp:
        parts.append("attached passage " + ", ".join(str(p) for p in sorted(ap - bp, key=str)))
    if bp - ap:
        parts.append("detached passage " + ", ".join(str(p) for p in sorted(bp - ap, key=str)))
    return f"{entry.action}{step}: " + "; ".join(parts)


def as_dict(entry: AuditEntry) -> dict:
    return {
        "id": entry.id,
        "at": entry.at.isoformat() if isinstance(entry.at, datetime) else entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "step": entry.step,
        "company": entry.company_key,
        "level": entry.level,
        "element": entry.element,
        "assessment_id": entry.assessment_id,
        "before": entry.before,
        "after": entry.after,
        "summary": describe(entry),
    }

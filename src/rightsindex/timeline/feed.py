"""The feed of grade-affecting changes, as data: one ``grade_change`` row per element whose answer
moved between two passes of ``watch`` (company, level, element, before → after, the document whose
change moved it, a diff excerpt, an RDR-style comment), newest first. ``publish.feed`` renders it
as Atom and JSON; the web app serves it at ``/changes``.

    entries = recent_changes(session, limit=100)
    change_dict(entries[0])          # plain data for JSON, the API and the pages
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from ..store.models import GradeChange

__all__ = ["change_dict", "recent_changes", "utc"]


def utc(at: datetime) -> datetime:
    """A stored time as UTC (SQLite hands back naive times)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def recent_changes(session, *, limit: int = 200, manifest_path: str | None = None, company: str | None = None) -> list[GradeChange]:
    q = select(GradeChange)
    if manifest_path is not None:
        q = q.where(GradeChange.manifest_path == manifest_path)
    if company is not None:
        q = q.where(GradeChange.company_key == company)
    return list(session.scalars(q.order_by(GradeChange.at.desc(), GradeChange.id.desc()).limit(limit)))


def change_dict(c: GradeChange) -> dict:
    """One change as plain data (the JSON list, the API, the web page)."""
    detail = dict(c.detail or {})
    return {
        "id": c.id,
        "at": utc(c.at).isoformat(),
        "assessment": c.assessment_id,
        "previous_assessment": c.previous_assessment_id,
        "company": c.company_key,
        "level": c.level,
        "element": c.element,
        "label": detail.get("label", c.element),
        "before": c.before,
        "after": c.after,
        "direction": c.direction,
        "document": c.document,
        "comment": c.comment,
        "excerpt": c.excerpt,
        "before_versions": detail.get("before_versions", []),
        "after_versions": detail.get("after_versions", []),
        "diff": detail.get("diff", []),
        "because": detail.get("because", {}),
    }

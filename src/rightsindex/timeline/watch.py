"""What a ``watch`` pass records (the pass itself is ``run.watch.watch_once``): the previous pass
of a manifest, and every element whose answer moved since, compared passage by passage
(``timeline.compare``) and appended to the store's feed (``grade_change``, read by
``timeline.feed``). Also the ``--every`` interval.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..store import Store
from ..store.models import Assessment, CompanyRun, GradeChange, utcnow

__all__ = ["WatchError", "parse_interval", "previous_pass", "record_moves"]


class WatchError(ValueError):
    pass



def parse_interval(text: str) -> timedelta:
    """``30m``, ``6h``, ``1d``, ``90s`` (or a number of seconds) → a timedelta of at least a minute."""
    t = (text or "").strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        seconds = float(t[:-1]) * units[t[-1]] if t and t[-1] in units else float(t)
    except (ValueError, KeyError):
        raise WatchError(f"--every {text!r}: give a duration such as 30m, 6h or 1d") from None
    if seconds < 60:
        raise WatchError(f"--every {text!r}: at least one minute between passes")
    return timedelta(seconds=seconds)


def previous_pass(session, manifest_path: str) -> int | None:
    """The assessment of the manifest's latest finished complete pass (current versions, not
    ``--as-of``): one that read every document of the manifest. A pass whose fetch failed graded a
    partial corpus (``meta["incomplete"]``, see ``run.assessment``); comparing with it would report
    every answer the missing document holds as a move."""
    q = (
        select(Assessment)
        .where(Assessment.manifest_path == manifest_path, Assessment.as_of.is_(None), Assessment.status == "done",
               Assessment.id.in_(select(CompanyRun.assessment_id)))
        .order_by(Assessment.finished_at.desc(), Assessment.id.desc())
    )
    for a in session.scalars(q):
        if not (a.meta or {}).get("incomplete"):
            return a.id
    return None


def record_moves(store: Store, previous_id: int, assessment_id: int, manifest_path: str) -> list[dict]:
    """Append the elements that moved between two assessments to the feed (once per assessment and
    element); returns the entries recorded now."""
    from .compare import compare, excerpt
    from .feed import change_dict

    cmp = compare(store, previous_id, assessment_id)
    recorded = []
    with store.session() as s:
        known = {
            (c, lv, el)
            for c, lv, el in s.execute(
                select(GradeChange.company_key, GradeChange.level, GradeChange.element).where(GradeChange.assessment_id == assessment_id)
            )
        }
        now = utcnow()
        for m in cmp.moved:
            if (m.company, m.level, m.element) in known:
                continue
            doc = next((d["document"] for d in m.diff), "")
            g = GradeChange(
                at=now, assessment_id=assessment_id, previous_assessment_id=previous_id, manifest_path=manifest_path,
                company_key=m.company, level=m.level, element=m.element, before=m.before or "NA", after=m.after or "NA",
                direction=m.direction, document=doc, comment=m.comment, excerpt="\n".join(excerpt(d) for d in m.diff),
                detail={"label": m.element_label, "indicator": m.indicator, "before_versions": m.before_versions,
                        "after_versions": m.after_versions, "diff": m.diff, "because": m.because, "from": cmp.a, "to": cmp.b},
            )
            s.add(g)
            s.flush()
            recorded.append(change_dict(g))
    return recorded





def record_duty_moves(store: Store, previous_id: int, assessment_id: int, manifest_path: str) -> list[dict]:
    """Append the notice duties that moved between two passes to the feed (element
    ``framework:item``, level the service), with the passage that earns the later answer."""
    from .compare import CompareError
    from .duties import compare_duties
    from .feed import change_dict

    try:
        cmp = compare_duties(store, previous_id, assessment_id)
    except CompareError:
        return []
    recorded = []
    with store.session() as s:
        known = {(c, lv, el) for c, lv, el in s.execute(
            select(GradeChange.company_key, GradeChange.level, GradeChange.element).where(GradeChange.assessment_id == assessment_id))}
        now = utcnow()
        for m in cmp["duties"]:
            key = f"{m.framework}:{m.item}"
            if not m.moved or (m.company, m.service, key) in known:
                continue
            p = m.passage or {}
            verb = {"improved": "is now", "declined": "is now"}.get(m.direction, "is now")
            comment = f"{m.short} {verb} {m.after} (was {m.before}) since {cmp['b']['label']}" + (
                f", passage “{' '.join(str(p.get('text') or '').split())[:200]}”" if p.get("text") else "") + "."
            g = GradeChange(
                at=now, assessment_id=assessment_id, previous_assessment_id=previous_id, manifest_path=manifest_path,
                company_key=m.company, level=m.service, element=key, before=m.before, after=m.after, direction=m.direction,
                document=p.get("path") or "", comment=comment, excerpt=str(p.get("text") or "")[:1000],
                detail={"label": m.short, "kind": "duty", "framework": m.framework, "item": m.item, "passage": p, "from": cmp["a"], "to": cmp["b"]},
            )
            s.add(g)
            s.flush()
            recorded.append(change_dict(g))
    return recorded

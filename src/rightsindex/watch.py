"""``watch``: follow a manifest's policies and report the grades their changes move.

One pass (for cron, or repeated with ``--every``):

1. ``pipeline.assess`` the manifest into the store: URL documents are fetched again with
   conditional requests (``If-None-Match`` / ``If-Modified-Since``), files re-read; a new text is
   recorded as a new version; companies whose documents did not change reuse their judgments,
   the others are re-graded change-aware (``regrade``).
2. The pass is compared with the previous pass of the same manifest (``changes.compare``); every
   element whose answer moved is appended to the store's feed (``grade_change``).
3. The feed is written: an Atom feed (``feed.atom``) and a JSON list (``changes.json``) of the
   latest grade-affecting changes of this manifest — company, element, before → after, the
   document whose change moved it, a diff excerpt.

The first pass over a manifest only sets the baseline: nothing "moved" yet.

Exit status of ``rightsindex watch`` (see ``cli.watch_cmd``): 0 no grade moved, 1 at least one
grade moved, 2 the pass failed (bad manifest, database unreachable).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from .store import Store
from .store.models import Assessment, CompanyRun, GradeChange, utcnow

__all__ = ["WatchResult", "parse_interval", "watch_once"]


class WatchError(ValueError):
    pass


@dataclass
class WatchResult:
    assessment_id: int
    previous_id: int | None
    new_versions: list[dict] = field(default_factory=list)  # {"company", "document", "version"}
    errors: list[dict] = field(default_factory=list)
    moved: list[dict] = field(default_factory=list)  # feed entries recorded by this pass
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def grades_moved(self) -> bool:
        return bool(self.moved)


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


def _previous_pass(session, manifest_path: str) -> int | None:
    """The assessment of the manifest's latest finished pass (current versions, not ``--as-of``)."""
    q = (
        select(Assessment)
        .where(Assessment.manifest_path == manifest_path, Assessment.as_of.is_(None), Assessment.status == "done",
               Assessment.id.in_(select(CompanyRun.assessment_id)))
        .order_by(Assessment.finished_at.desc(), Assessment.id.desc())
    )
    a = session.scalars(q).first()
    return a.id if a is not None else None


def record_moves(store: Store, previous_id: int, assessment_id: int, manifest_path: str) -> list[dict]:
    """Append the elements that moved between two assessments to the feed (once per assessment and
    element); returns the entries recorded now."""
    from .changes import compare, excerpt
    from .publish.feed import change_dict

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
                        "after_versions": m.after_versions, "diff": m.diff, "from": cmp.a, "to": cmp.b},
            )
            s.add(g)
            s.flush()
            recorded.append(change_dict(g))
    return recorded


def write_feed(store: Store, out: Path, manifest_path: str, *, feed_path: Path | None = None, base_url: str | None = None,
               limit: int = 200, title: str | None = None) -> dict[str, Path]:
    from .elementcsv import atomic_write_text
    from .publish.feed import atom_feed, changes_json, feed_id_for, recent_changes

    files = {"feed.atom": feed_path or out / "feed.atom", "changes.json": out / "changes.json"}
    with store.session() as s:
        entries = recent_changes(s, limit=limit, manifest_path=manifest_path)
        atom = atom_feed(entries, title=title or f"rightsindex: grade changes ({Path(manifest_path).name})",
                         feed_id=feed_id_for(manifest_path), base_url=base_url)
        js = changes_json(entries)
    atomic_write_text(files["feed.atom"], atom)
    atomic_write_text(files["changes.json"], js)
    return files


def watch_once(
    manifest_path: str | Path,
    *,
    db: str,
    out: str | Path,
    feed_path: str | Path | None = None,
    base_url: str | None = None,
    allow_private: bool = False,
    prior: list[Path] | None = None,
    on_event: Callable[[str, dict], None] | None = None,
    allow_roots: list[Path] | None = None,
) -> WatchResult:
    """One pass (see the module's notes)."""
    from .pipeline import assess

    t0 = time.perf_counter()
    manifest_path = Path(manifest_path).resolve()
    out = Path(out)
    store = Store.open(db)
    try:
        with store.session() as s:
            previous = _previous_pass(s, str(manifest_path))
        r = assess(manifest_path, out, db=db, allow_private=allow_private, prior=prior, on_event=on_event, allow_roots=allow_roots)
        result = WatchResult(assessment_id=r.assessment_id, previous_id=previous)
        result.new_versions = [{"company": o.company, "document": o.key, "version": o.version} for o in r.ingest.outcomes if o.status == "new"]
        result.errors = [{"company": o.company, "document": o.key, "message": o.message} for o in r.ingest.errors]
        if previous is not None and previous != r.assessment_id:
            result.moved = record_moves(store, previous, r.assessment_id, str(manifest_path))
        result.files = {**r.files, **write_feed(store, out, str(manifest_path), feed_path=Path(feed_path) if feed_path else None, base_url=base_url)}
    finally:
        store.close()
    result.seconds = time.perf_counter() - t0
    return result

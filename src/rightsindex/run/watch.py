"""``watch``: follow a manifest's policies and report the grades their changes move.

One pass (for cron, or repeated with ``--every``):

1. ``run.assessment.assess`` the manifest into the store: URL documents are fetched again with
   conditional requests (``If-None-Match`` / ``If-Modified-Since``), files re-read; a new text is
   recorded as a new version; companies whose documents did not change reuse their judgments,
   the others are re-graded change-aware (``timeline.regrade``).
2. The pass is compared with the previous pass of the same manifest (``timeline.compare``; ``timeline.watch.record_moves``); every
   element whose answer moved is appended to the store's feed (``grade_change``).
3. The feed is written: an Atom feed (``feed.atom``) and a JSON list (``changes.json``) of the
   latest grade-affecting changes of this manifest — company, element, before → after, the
   document whose change moved it, a diff excerpt.

The first complete pass over a manifest only sets the baseline: nothing "moved" yet. A pass in
which a document could not be fetched or read is an error: it records no move and is never the
baseline of a later pass (its corpus was partial).

Exit status of ``rightsindex watch`` (see ``cli.time``): 0 no grade moved, 1 at least one
grade moved, 2 the pass failed (a document could not be fetched or read, bad manifest, database
unreachable); never 1 for an error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..store import Store
from ..timeline.watch import previous_pass, record_duty_moves, record_moves

__all__ = ["WatchResult", "watch_once", "write_feed"]


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

    @property
    def failed(self) -> bool:
        """A document could not be fetched or read: the pass is an error (exit status 2)."""
        return bool(self.errors)


def write_feed(store: Store, out: Path, manifest_path: str, *, feed_path: Path | None = None, base_url: str | None = None,
               limit: int = 200, title: str | None = None) -> dict[str, Path]:
    from ..formats.files import atomic_write_text
    from ..publish.feed import atom_feed, changes_json, feed_id_for
    from ..timeline.feed import recent_changes

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
    frameworks: list[str] | None = None,
) -> WatchResult:
    """One pass (see the module's notes). ``frameworks``: notice frameworks graded too; their
    duties that moved join the feed ("PIPL 39 cross-border is now disclosed …")."""
    from .assessment import assess

    t0 = time.perf_counter()
    manifest_path = Path(manifest_path).resolve()
    out = Path(out)
    store = Store.open(db)
    try:
        with store.session() as s:
            previous = previous_pass(s, str(manifest_path))
        r = assess(manifest_path, out, db=db, allow_private=allow_private, prior=prior, on_event=on_event, allow_roots=allow_roots,
                   frameworks=frameworks)
        result = WatchResult(assessment_id=r.assessment_id, previous_id=previous)
        result.new_versions = [{"company": o.company, "document": o.key, "version": o.version} for o in r.ingest.outcomes if o.status == "new"]
        result.errors = [{"company": o.company, "document": o.key, "message": o.message} for o in r.ingest.errors]
        # a pass that could not fetch or read a document is an error and moves nothing: what it
        # graded is a partial corpus (and it is no baseline for the next pass, see previous_pass)
        if previous is not None and previous != r.assessment_id and not result.errors:
            result.moved = record_moves(store, previous, r.assessment_id, str(manifest_path))
            if frameworks:
                result.moved += record_duty_moves(store, previous, r.assessment_id, str(manifest_path))
        result.files = {**r.files, **write_feed(store, out, str(manifest_path), feed_path=Path(feed_path) if feed_path else None, base_url=base_url)}
    finally:
        store.close()
    result.seconds = time.perf_counter() - t0
    return result

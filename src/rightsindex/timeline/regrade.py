"""Change-aware re-grading: a new document version moves only the answers whose text changed.

A company is graded again when one of its documents gains a version (or when ``assess --as-of``
picks other versions). Every element is graded afresh (``evidence.grade_company``), then each
fresh judgment is set against the company's *base*: its judgment of the same element in the
closest earlier run with the same model, methodology, services and prior (``find_base``: the
most documents with the same text, so a text that comes back after a revert has the run that
graded it as its base).

- **Kept.** Nothing the base answer rested on has gone (its first ``RESTS_ON`` evidence units
  are all still in the new versions), and nothing new leads the fresh evidence (its first
  ``RESTS_ON`` units were all in the base's versions): the base answer stands exactly as it was
  (result, confidence, comment), its evidence pointed at the same text in the new versions
  with what was read in it (relevance, the judge's support).
- **Re-graded.** Otherwise the fresh judgment stands, and says why: which passage the previous
  answer cited was removed or changed, or which new passage now leads the evidence, in which
  document version (the one that made the change). When the answer moved, the reason is the
  move's (``explain``): the passage it rests on and the version that changed it, or that the
  move is the grader's reading; it opens the comment.

Extraction-only versions are transparent: a version that only re-reads the same raw bytes (a
changed extractor) or that its source marks as an extraction change (OTA's "Refilter" commits,
recorded with ``meta["event"] == "extraction"``) holds, for re-grading, the text of the version
before it. "Still there" otherwise compares *substance*: the words of a text, case-folded, with whitespace, markup
(Markdown emphasis, link targets, table pipes, HTML tags) and punctuation left out, and a passage
counts as present when its substance occurs anywhere in the new version's substance. So
whitespace, markup, reflow (a paragraph split in two, lines re-wrapped) and extraction-only
changes (Open Terms Archive's "Refilter" commits) move nothing, while a removed, added or
re-worded sentence is seen.

A judgment is thereby a deterministic function of its inputs: the element, the level, the model
and the text of the passages it reads. Each stored judgment carries a ``fingerprint`` of those
inputs and a ``change`` record (``{"status": "kept" | "regraded", "base": id, "reason", "removed",
"added"}``, and for a moved answer ``because``: ``explain.summary``). Analysts' decisions are never touched here; ``review.flag_stale_decisions`` flags
them "needs re-review" when their passages change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import CompanyRun, Document, Judgment, Version
from ..corpus.versions import in_force_date
from .text import plain, quote, substance

__all__ = [
    "RESTS_ON",
    "Side",
    "find_base",
    "fingerprint",
    "plain",
    "regrade",
    "substance",
]

RESTS_ON = 3  # an answer rests on its first three evidence units (the passages it cites first)

def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def fingerprint(model: str, level: str, element: str, evidence: Sequence[dict]) -> str:
    """SHA-256 of a judgment's inputs: model, level, element and the substance of the passages it
    read (order aside)."""
    texts = sorted({_digest(substance(e.get("text", ""))) for e in evidence or []})
    return _digest(model, level, element, *texts)


# -- one side of a change: the versions a run graded -------------------------------------------------


@dataclass
class DocVersion:
    key: str
    title: str
    version_id: int
    seq: int
    when: date


def same_document_text(session: Session, a: int, b: int) -> bool:
    """Whether two versions of a document hold the same text: the same normalised text (a revert
    brings an earlier text back), or every version from the earlier to the later (by date) is an
    extraction-only change of the one before it."""
    from ..corpus.versions import extraction_only, order_key

    if a == b:
        return True
    va, vb = session.get(Version, a), session.get(Version, b)
    if va is None or vb is None or va.document_id != vb.document_id:
        return False
    if va.text_sha256 == vb.text_sha256:
        return True
    from sqlalchemy.orm import load_only

    chain = sorted(
        session.scalars(
            select(Version).where(Version.document_id == va.document_id)
            .options(load_only(Version.id, Version.seq, Version.version_date, Version.recorded_at, Version.raw_sha256, Version.meta))
        ),
        key=order_key,
    )
    ids = [v.id for v in chain]
    i, j = sorted((ids.index(a), ids.index(b)))
    return all(extraction_only(chain[k], chain[k - 1]) for k in range(i + 1, j + 1))


@dataclass
class Side:
    """The document versions one run graded (document key → version), with their texts' substance."""

    docs: dict[str, DocVersion] = field(default_factory=dict)
    _texts: dict[int, str] = field(default_factory=dict, repr=False)
    _session: Session | None = field(default=None, repr=False)
    _cache: dict[tuple[int, str], bool] = field(default_factory=dict, repr=False)
    _same: dict[tuple[int, int], bool] = field(default_factory=dict, repr=False)

    def same_text(self, key: str, other: "Side") -> bool:
        """Whether both sides hold the same text of document ``key`` (the same version, a version
        with the same text, or versions that differ only by extraction)."""
        a, b = self.version_id(key), other.version_id(key)
        if a is None or b is None:
            return False
        if a == b:
            return True
        if self._session is None:
            return False
        k = (min(a, b), max(a, b))
        if k not in self._same:
            self._same[k] = same_document_text(self._session, a, b)
        return self._same[k]

    @classmethod
    def load(cls, session: Session, version_ids: dict[str, int]) -> "Side":
        side = cls(_session=session)
        if not version_ids:
            return side
        rows = session.execute(
            select(Version.id, Version.seq, Version.version_date, Version.recorded_at, Document.key, Document.title)
            .join(Document, Document.id == Version.document_id)
            .where(Version.id.in_(set(version_ids.values())))
        ).all()
        by_id = {r[0]: r for r in rows}
        for key, vid in version_ids.items():
            r = by_id.get(vid)
            if r is None:
                continue
            when = r[2] or (r[3].date() if hasattr(r[3], "date") else date.fromisoformat(str(r[3])[:10]))
            side.docs[key] = DocVersion(key, r[5] or key, vid, r[1], when)
        return side

    def version_id(self, key: str) -> int | None:
        d = self.docs.get(key)
        return d.version_id if d else None

    def text_sha(self, key: str) -> str | None:
        vid = self.version_id(key)
        if vid is None or self._session is None:
            return None
        return self._session.scalar(select(Version.text_sha256).where(Version.id == vid))

    def _substance_of(self, vid: int) -> str:
        if vid not in self._texts:
            text = self._session.scalar(select(Version.text).where(Version.id == vid)) if self._session is not None else ""
            self._texts[vid] = substance(text or "")
        return self._texts[vid]

    def holds(self, key: str, text: str, *, same_as: "Side | None" = None) -> bool:
        """Whether this side's version of document ``key`` contains ``text`` (in substance).
        ``same_as``: the other side; a document at the same version on both holds all it held."""
        d = self.docs.get(key)
        if d is None:
            return False
        if same_as is not None and self.same_text(key, same_as):
            return True
        needle = substance(text)
        if not needle:
            return True
        cache_key = (d.version_id, needle)
        if cache_key not in self._cache:
            self._cache[cache_key] = needle in self._substance_of(d.version_id)
        return self._cache[cache_key]


# -- the base run -------------------------------------------------------------------------------------


def lineage(*parts: str) -> str:
    """What a run must share with its base: model, methodology, company and services, prior, exclusions."""
    return _digest(*parts)


def find_base(session: Session, company_key: str, line: str, versions: dict[str, int], *, limit: int = 200) -> CompanyRun | None:
    """The earlier run of the company with the same lineage whose document texts are closest to
    ``versions`` (most documents with the same text — the same version, or another version with
    the same text, as after a revert — then the most recent); None if there is none."""
    runs = [
        (run, {k: int(v) for k, v in ((run.meta or {}).get("versions") or {}).items()})
        for run in session.scalars(
            select(CompanyRun).where(CompanyRun.company_key == company_key).order_by(CompanyRun.id.desc()).limit(limit)
        )
        if (run.meta or {}).get("lineage") == line
    ]
    ids = set(versions.values()) | {v for _, used in runs for v in used.values()}
    text_of = dict(session.execute(select(Version.id, Version.text_sha256).where(Version.id.in_(ids))).all()) if ids else {}

    def same_text(a: int, b: int) -> bool:
        return a == b or (text_of.get(a) is not None and text_of.get(a) == text_of.get(b))

    best, best_key = None, None
    for run, used in runs:
        same = sum(1 for k, v in versions.items() if k in used and same_text(used[k], v))
        differ = len(set(used) ^ set(versions)) + sum(1 for k, v in versions.items() if k in used and not same_text(used[k], v))
        key = (same - differ, run.id)
        if best_key is None or key > best_key:
            best, best_key = run, key
    return best


# -- re-grading ------------------------------------------------------------------------------------------

_FIELDS = ("level", "service_kind", "element", "result", "confidence", "probabilities", "evidence", "prior_result", "prior_relation", "comment")


def _fields(j: Any) -> dict:
    return {f: getattr(j, f) for f in _FIELDS}


def describe_doc(d: DocVersion | None, fallback: str) -> str:
    if d is None:
        return fallback
    return f"{d.title} (version {d.seq}, {d.when.isoformat()})"


def reason(removed: list[dict], added: list[dict], old: Side, new: Side, texts=None) -> str:
    """Why an element was re-graded, in words, naming documents, passages and the version that
    changed each (``explain.Texts.turning``: the one from which it is gone or there, not merely the
    newest)."""
    parts = []

    def where(e: dict, appeared: bool) -> str:
        key = e.get("path", "")
        o, n = old.docs.get(key), new.docs.get(key)
        if texts is None or o is None or n is None:
            return describe_doc(n, key)
        v = texts.turning(o.version_id, n.version_id, e.get("text", ""), appeared=appeared)
        return describe_doc(DocVersion(key, n.title, v.id, v.seq, in_force_date(v)) if v is not None else n, key)

    if removed:
        e = removed[0]
        verb = "no longer contains" if e.get("path") in new.docs else "is no longer among the documents, and with it"
        parts.append(f"{where(e, False)} {verb} the passage the previous answer cited: {quote(e.get('text', ''))}")
    if added:
        e = added[0]
        parts.append(f"{where(e, True)} adds: {quote(e.get('text', ''))}")
    more = len(removed) + len(added) - len(parts)
    return "; ".join(parts) + (f" (and {more} more passage{'s' if more != 1 else ''})" if more > 0 else "") + "."


class _Remap:
    """Point evidence items at the same text in the new versions (passage ids, offsets)."""

    def __init__(self, cp, new: Side):
        self.cp, self.new = cp, new
        self._index: dict[tuple[str, str], dict] | None = None
        self._rows: dict[str, tuple[list, list[str]]] = {}

    def _build(self) -> dict[tuple[str, str], dict]:
        out: dict[tuple[str, str], dict] = {}
        cp = self.cp
        unit_of, members = cp.units()
        for u, ms in enumerate(members):
            first = cp.rows[ms[0]]
            start, end, text = cp.unit_span(u)
            item = {
                "path": first.path, "version": first.version_seq, "version_id": first.version_id, "passage_id": first.passage_id,
                "start": start, "end": end, "heading": first.heading, "text": text,
            }
            if len(ms) > 1:
                item["passage_ids"] = [cp.rows[m].passage_id for m in ms]
            out.setdefault((first.path, substance(text)), item)
            for m in ms:  # a passage cited on its own
                r = cp.rows[m]
                out.setdefault((r.path, substance(r.text)), {
                    "path": r.path, "version": r.version_seq, "version_id": r.version_id, "passage_id": r.passage_id,
                    "start": r.start, "end": r.end, "heading": r.heading, "text": r.text,
                })
        return out

    def _span(self, path: str, needle: str) -> dict | None:
        """The run of consecutive passages of the new version whose text is the cited text (re-flowed:
        a paragraph split in two, a list re-cut)."""
        cp = self.cp
        if path not in self._rows:
            rows = [r for r in cp.rows if r.path == path]
            self._rows[path] = (rows, [substance(r.text) for r in rows])
        rows, subs = self._rows[path]
        for i, sub in enumerate(subs):
            if not sub or not (needle.startswith(sub) or sub.startswith(needle)):
                continue
            joined, j = "", i
            while j < len(rows) and len(joined) < len(needle):
                joined += subs[j]
                j += 1
            if needle in joined:
                first, last = rows[i], rows[j - 1]
                text = cp.texts.get(first.version_id)
                item = {
                    "path": path, "version": first.version_seq, "version_id": first.version_id, "passage_id": first.passage_id,
                    "start": first.start, "end": last.end, "heading": first.heading,
                    "text": text[first.start:last.end] if text is not None else "\n".join(r.text for r in rows[i:j]),
                }
                if j - i > 1:
                    item["passage_ids"] = [r.passage_id for r in rows[i:j]]
                return item
        return None

    def __call__(self, evidence: list[dict]) -> list[dict]:
        out = []
        for e in evidence or []:
            vid = self.new.version_id(e.get("path", ""))
            if vid is None or e.get("version_id") == vid or self.cp is None:
                out.append(e)
                continue
            if self._index is None:
                self._index = self._build()
            needle = substance(e.get("text", ""))
            hit = self._index.get((e.get("path", ""), needle)) or (self._span(e.get("path", ""), needle) if needle else None)
            out.append(_kept_reading(e, hit) if hit else e)
        return out


_READING = ("score", "support", "judged", "basis")  # what the ranker and the judge said of a cited unit


def _kept_reading(old: dict, new: dict) -> dict:
    """A kept evidence item pointed at the new version: where it is now (``new``), what was read in
    it before (relevance, support, the judge's classes; the window only where the text is the same)."""
    item = {**new, **{k: old[k] for k in _READING if k in old}}
    if "window" in old and new.get("text") == old.get("text"):
        item["window"] = old["window"]
    return item


def regrade(
    base: Iterable[Judgment],
    fresh: Iterable[Any],
    old: Side,
    new: Side,
    *,
    model: str,
    cp=None,
    rests_on: int = RESTS_ON,
    reversed_elements: frozenset[str] | set[str] = frozenset(),
) -> list[dict]:
    """The judgments to store for the new versions: per element the base judgment kept or the fresh
    one with its reason (see the module's notes). ``fresh``: ``evidence.Judgment``s of the new
    versions; ``base``: stored judgments of the base run; ``cp``: the new versions' passages, to
    point kept evidence at them; ``reversed_elements``: the methodology's reversed elements (which
    way a move goes). A moved answer says why (``explain``): the version and passage that moved
    it, or that the move is the grader's reading. Returns dicts of ``store.models.Judgment`` fields."""
    from .explain import Texts, because, direction, summary
    from .explain import reason as why_moved

    by_key = {(b.level, b.element): b for b in base}
    remap = _Remap(cp, new)
    texts = Texts(new._session) if getattr(new, "_session", None) is not None else None
    out: list[dict] = []
    for f in fresh:
        row = _fields(f)
        b = by_key.get((f.level, f.element))
        if b is None:
            row["fingerprint"] = fingerprint(model, f.level, f.element, f.evidence)
            row["change"] = None
            out.append(row)
            continue
        if "NA" in (f.result, b.result):
            row["fingerprint"] = fingerprint(model, f.level, f.element, f.evidence)
            if f.result == b.result:
                row["change"] = {"status": "kept", "base": b.id}
            else:
                row["change"] = {"status": "regraded", "base": b.id, "reason": "The element's applicability changed.", "removed": [], "added": []}
            out.append(row)
            continue
        removed = [e for e in (b.evidence or [])[:rests_on] if not new.holds(e.get("path", ""), e.get("text", ""), same_as=old)]
        added = [e for e in (f.evidence or [])[:rests_on] if not old.holds(e.get("path", ""), e.get("text", ""), same_as=new)]
        if not removed and not added:
            kept = _fields(b)
            kept["evidence"] = remap(list(b.evidence or []))
            kept["fingerprint"] = b.fingerprint or fingerprint(model, b.level, b.element, b.evidence or [])
            kept["change"] = {"status": "kept", "base": b.id}
            if b.id is None:  # an earlier edition's answer (--prior): as apply_priors labels it
                kept["service_kind"] = f.service_kind
                kept["probabilities"] = f.probabilities if f.result == b.result else {}
                kept["prior_result"] = b.result
                kept["prior_relation"] = "confirmed" if f.result == b.result else "carried"
                kept["change"] = {"status": "kept", "base": None, "prior": True}
            out.append(kept)
            continue
        moved = None
        if f.result != b.result and texts is not None:
            moved = because(texts, before=b.result, after=f.result, direction=direction(b.result, f.result, f.element in reversed_elements),
                            old_items=list(b.evidence or []), new_items=list(f.evidence or []), old=old, new=new,
                            reversed_scoring=f.element in reversed_elements, depth=rests_on)
        why = why_moved(moved) if moved is not None else reason(removed, added, old, new, texts)
        row["fingerprint"] = fingerprint(model, f.level, f.element, f.evidence)
        row["change"] = {
            "status": "regraded", "base": b.id, "reason": why, "before": b.result,
            "removed": [_slim(e) for e in removed], "added": [_slim(e) for e in added],
        }
        if moved is not None:
            row["change"]["because"] = summary(moved)
        if f.result != b.result:
            row["comment"] = f"Re-graded ({b.result} → {f.result}): {why}" + (f" {f.comment}" if f.comment else "")
        out.append(row)
    return out


def _slim(e: dict) -> dict:
    return {k: e[k] for k in ("path", "version", "version_id", "passage_id", "start", "end", "text") if k in e}

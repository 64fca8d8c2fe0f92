"""What the pages and the API read: assessments, scores with analysts' decisions applied, element
details with evidence in context, documents and diffs. Holds no grading or scoring rule: scores
come from ``review.results.element_rows`` (which applies ``review.final_decisions``) and
``scoring.score_all``, exactly as ``assess`` computes them.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import methodology as methodology_mod
from .. import review
from ..methodology import Methodology
from ..review import queue as review_queue
from ..scoring import CompanyScores, element_score, rank, score_all
from ..store import Store
from ..store.models import Assessment, Company, CompanyRun, Document, Judgment, Passage, Version
from .diffs import Diffs


class NotFound(LookupError):
    pass


@dataclass
class Scored:
    """One assessment, scored with analysts' final decisions applied."""

    assessment_id: int
    index: str
    methodology: Methodology
    rows: list[dict]
    scores: dict[str, CompanyScores]
    ranking: list[CompanyScores]
    positions: dict[str, int]
    by_key: dict[tuple[str, str, str], dict] = field(default_factory=dict)  # (company, level, element) -> row
    levels: dict[str, list[str]] = field(default_factory=dict)  # company -> levels in order
    labels: dict[str, str] = field(default_factory=dict)
    results: list = field(default_factory=list)  # scoring inputs, aligned with rows
    index_of: dict[tuple[str, str, str], int] = field(default_factory=dict)
    statuses: dict[tuple[str, str, str], str] = field(default_factory=dict)  # review.queue.statuses
    memo: dict = field(default_factory=dict)  # views derived from the rows (the review queue), computed once


def assessment_info(a: Assessment, companies: list[str]) -> dict:
    from ..timeline.assessments import shown

    return {
        "id": a.id,
        "index": a.index,
        "as_of": a.as_of,
        "shows": shown(a)["text"],
        "policies": shown(a)["short"],
        "methodology": a.methodology,
        "status": a.status,
        "created_at": a.created_at,
        "finished_at": a.finished_at,
        "model_version": a.model_version,
        "companies": companies,
    }


class Data:
    def __init__(self, store: Store, cache_size: int = 6):
        self.store = store
        self._cache: OrderedDict[tuple, Scored] = OrderedDict()
        self._lock = threading.Lock()  # the small caches
        self._score_lock = threading.Lock()  # one scoring at a time per process
        self._cache_size = cache_size
        self._contexts: OrderedDict[tuple[int, int], dict] = OrderedDict()
        self.diffs = Diffs()  # document diffs: their own bounded pool, cached per version pair
        self._extra: OrderedDict[tuple, object] = OrderedDict()  # changes since, series over time
        self._graded_statuses: dict[tuple, dict] = {}

    # -- assessments -------------------------------------------------------------------------------
    def assessments(self, s: Session) -> list[dict]:
        runs: dict[int, list[str]] = {}
        for aid, key in s.execute(select(CompanyRun.assessment_id, CompanyRun.company_key).order_by(CompanyRun.id)):
            runs.setdefault(aid, []).append(key)
        return [
            assessment_info(a, runs.get(a.id, []))
            for a in s.scalars(select(Assessment).order_by(Assessment.id.desc()))
            if runs.get(a.id)
        ]

    def resolve(self, s: Session, assessment_id: int | None = None, edition: str | None = None) -> Assessment:
        """The assessment asked for, else the one shown by default (``timeline.assessments``): the
        latest finished assessment of the current versions (of the edition), else the latest one
        running. An as-of assessment is shown only when asked for by id."""
        from ..timeline.assessments import as_of_list, default_assessment

        if assessment_id is not None:
            a = s.get(Assessment, assessment_id)
            if a is None:
                raise NotFound(f"no assessment {assessment_id}")
            return a
        a = default_assessment(s, edition=edition, finished=False)
        if a is not None:
            return a
        as_of = as_of_list(s)
        if edition:
            raise NotFound(f"no assessment of the current policies of edition {edition!r}")
        raise NotFound("no assessment of the current policies yet: run `rightsindex assess MANIFEST --out DIR` first"
                       + (f" (as-of assessments, shown when chosen with ?assessment=ID: {as_of})" if as_of else ""))

    def shows(self, assessment_id: int) -> dict | None:
        """Which policies an assessment shows (``timeline.assessments.shown``), for every page."""
        from ..timeline.assessments import shown

        key = ("shows", assessment_id)
        with self._lock:
            if key in self._extra:
                return self._extra[key]  # type: ignore[return-value]
        with self.store.session() as s:
            a = s.get(Assessment, assessment_id)
            out = shown(a) if a is not None else None
        with self._lock:
            self._extra[key] = out
            while len(self._extra) > 64:
                self._extra.popitem(last=False)
        return out

    def previous(self, s: Session, a: Assessment, company_key: str) -> Assessment | None:
        """The assessment (same methodology) that graded this company last before this one: by the
        day each speaks for (its as-of date, else the day it was made), then by id."""
        from ..timeline.assessments import previous_assessment

        return previous_assessment(s, a, company_key)

    # -- over time ---------------------------------------------------------------------------------
    def changes_since(self, previous_id: int, assessment_id: int, company: str) -> list:
        """The elements of ``company`` that moved from one assessment to the other, with their
        versions, diff and comment (``timeline.compare``), cached until the next review change."""
        from ..timeline.compare import compare

        a, b = self.scored(previous_id), self.scored(assessment_id)
        with self.store.session() as s:
            key = ("changes", previous_id, assessment_id, company, review.review_stamp(s))
        with self._lock:
            hit = self._extra.get(key)
        if hit is not None:
            return hit
        rows = ([r for r in a.rows if r["Company"] == company], [r for r in b.rows if r["Company"] == company])
        moved = compare(self.store, previous_id, assessment_id, companies=[company], rows=rows).moved
        with self._lock:
            self._extra[key] = moved
            while len(self._extra) > 64:
                self._extra.popitem(last=False)
        return moved

    def series(self, company: str, methodology: str) -> list:
        """The company's scores over time (``timeline.history.company_series``), cached until the next
        assessment or review change."""
        from ..timeline.history import company_series

        with self.store.session() as s:
            key = ("series", company, methodology, s.scalar(select(func.max(CompanyRun.id))), review.review_stamp(s))
        with self._lock:
            hit = self._extra.get(key)
        if hit is not None:
            return hit
        points = company_series(self.store, company, methodology)
        with self._lock:
            self._extra[key] = points
            while len(self._extra) > 64:
                self._extra.popitem(last=False)
        return points

    # -- scores ------------------------------------------------------------------------------------
    def _stamp(self, assessment_id: int) -> tuple:
        with self.store.session() as s:
            runs = s.scalar(select(func.count(CompanyRun.id)).where(CompanyRun.assessment_id == assessment_id))
            status = s.scalar(select(Assessment.status).where(Assessment.id == assessment_id))
            return (assessment_id, review.review_stamp(s), runs, status)

    def scored(self, assessment_id: int) -> Scored:
        """Scores of an assessment with the analysts' final decisions applied (cached until the next
        review change, which every worker sees through the audit log).

        A full computation is ``review.results.element_rows`` + ``scoring.score_all`` (about 0.15 ms per
        row: seconds for a large index). After review changes, the cached result is brought up to
        date for the elements whose final decision changed and their companies are re-scored; a
        test holds this equal to a full computation.
        """
        stamp = self._stamp(assessment_id)
        with self._lock:
            hit = self._cache.get(stamp)
            if hit is not None:
                self._cache.move_to_end(stamp)
                return hit
        with self._score_lock:
            with self._lock:
                hit = self._cache.get(stamp)
                base = max(
                    (k for k in self._cache if k[0] == stamp[0] and k[2:] == stamp[2:] and k[1] < stamp[1]),
                    key=lambda k: k[1], default=None,
                )
                base_sc = self._cache.get(base) if base else None
            sc = None
            if base_sc is not None:
                sc = self._patched(base_sc, base[1], stamp[1])
            if sc is None:
                sc = self._full(assessment_id)
            with self.store.session() as s:
                sc.statuses = review_queue.statuses(s, assessment_id, self._judgment_statuses(s, stamp))
            with self._lock:
                self._cache[stamp] = sc
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            return sc

    def _judgment_statuses(self, s: Session, stamp: tuple) -> dict:
        """The graders' statuses of an assessment, kept while its runs are the same (they never
        change once stored; review changes only add or clear "needs re-review")."""
        key = (stamp[0], *stamp[2:])
        with self._lock:
            hit = self._graded_statuses.get(key)
        if hit is None:
            hit = review_queue.judgment_statuses(s, stamp[0])
            with self._lock:
                self._graded_statuses[key] = hit
                while len(self._graded_statuses) > self._cache_size:
                    self._graded_statuses.pop(next(iter(self._graded_statuses)))
        return hit

    def _full(self, assessment_id: int) -> Scored:
        from ..review.results import element_rows

        with self.store.session() as s:
            a = s.get(Assessment, assessment_id)
            if a is None:
                raise NotFound(f"no assessment {assessment_id}")
            meth, index = methodology_mod.load(a.methodology), a.index
        rows, results = element_rows(self.store, assessment_id)
        return self._assemble(assessment_id, index, meth, rows, results, score_all(meth, results) if results else {})

    @staticmethod
    def _assemble(assessment_id: int, index: str, meth: Methodology, rows: list[dict], results: list, scores: dict) -> Scored:
        ranked = rank(scores)
        positions = {c.company: i for i, c in enumerate(ranked, 1) if c.total is not None}
        sc = Scored(assessment_id, index, meth, rows, scores, ranked, positions)
        sc.results = results
        for i, r in enumerate(rows):
            sc.by_key[(r["Company"], r["Service"], r["Element"])] = r
            sc.index_of[(r["Company"], r["Service"], r["Element"])] = i
            lv = sc.levels.setdefault(r["Company"], [])
            if r["Service"] not in lv:
                lv.append(r["Service"])
            sc.labels[r["Company"]] = r["CompanyLabel"]
        return sc

    def _patched(self, base: Scored, since: int, until: int) -> Scored | None:
        """``base`` with the final decisions recorded in audit entries ``since`` < id <= ``until``
        applied as ``review.results.element_rows`` applies them; ``None`` when too much changed."""
        from dataclasses import replace

        from ..scoring import ElementResult, score_company
        from ..store.models import AuditEntry

        with self.store.session() as s:
            keys = {
                (c, lv, el)
                for c, lv, el in s.execute(
                    select(AuditEntry.company_key, AuditEntry.level, AuditEntry.element).where(
                        AuditEntry.id > since, AuditEntry.id <= until, AuditEntry.decision_id.is_not(None), AuditEntry.step == "final",
                        AuditEntry.methodology == base.methodology.id,
                    )
                )
            }
            if len(keys) > 200:
                return None
            keys = {k for k in keys if k in base.index_of}
            decisions = review.final_decisions(s, base.assessment_id) if keys else {}
        if any(k not in decisions for k in keys):
            return None  # a final decision vanished: never expected, recompute
        rows, results = list(base.rows), list(base.results)
        for k in keys:
            i = base.index_of[k]
            ov, old = decisions[k], rows[i]
            el = base.methodology.elements[k[2]]
            points = element_score(ov["result"], el.reversed)
            rows[i] = {
                **old,
                "Result": ov["result"],
                "Comment": ov["comment"] or old["Comment"],
                "Score": "NA" if points is None else int(points),
                "Confidence": "NA",
                "Evidence": json.dumps(
                    [{f: e[f] for f in ("path", "version", "start", "end", "text", "score", "support") if f in e} for e in ov.get("evidence") or []],
                    ensure_ascii=False,
                ) if ov["result"] != "NA" else "[]",
                "Reviewed": "yes",
                # a decided row's status comes from the decision alone (see review.queue.row_review)
                "NeedsReview": "yes" if review_queue.row_review(ov["result"], None, None, ov)[1] else "no",
            }
            results[i] = replace(results[i], result=ov["result"]) if isinstance(results[i], ElementResult) else results[i]
        scores = dict(base.scores)
        for company in {k[0] for k in keys}:
            scores[company] = score_company(base.methodology, [r for r in results if r.company == company])
        # keep the companies' order as score_all gives it
        scores = {c: scores[c] for c in base.scores}
        return self._assemble(base.assessment_id, base.index, base.methodology, rows, results, scores)

    # -- one element -------------------------------------------------------------------------------
    def judgment(self, s: Session, assessment_id: int, company_key: str, level: str, element: str) -> Judgment:
        run = s.scalars(select(CompanyRun).where(CompanyRun.assessment_id == assessment_id, CompanyRun.company_key == company_key)).first()
        if run is None:
            raise NotFound(f"assessment {assessment_id} has no company {company_key!r}")
        j = s.scalars(select(Judgment).where(Judgment.run_id == run.id, Judgment.level == level, Judgment.element == element)).first()
        if j is None:
            raise NotFound(f"no judgment for {company_key} / {level} / {element}")
        return j

    def _passage_context(self, s: Session, passage_id: int, around: int, members: tuple[int, ...] = ()) -> dict | None:
        """A passage (with the other ``members`` of its evidence unit, which follow it), where it
        lives and its neighbours: immutable (versions never change), cached."""
        key = (passage_id, around, members)
        with self._lock:
            hit = self._contexts.get(key)
        if hit is not None:
            return hit
        p = s.get(Passage, passage_id)
        if p is None:
            return None
        v = s.get(Version, p.version_id)
        doc = s.get(Document, v.document_id)
        cited = {p.id, *members}
        last = max([p.seq, *(m.seq for m in (s.get(Passage, i) for i in members) if m is not None and m.version_id == v.id)])
        neighbours = s.scalars(
            select(Passage).where(Passage.version_id == v.id, Passage.seq >= p.seq - around, Passage.seq <= last + around).order_by(Passage.seq)
        )
        ctx = {
            "pid": p.id, "pseq": p.seq, "p_start": p.start, "p_len": len(p.text), "heading": p.heading,
            "version_id": v.id, "seq": v.seq, "vdate": version_date(v),
            "doc_id": doc.id, "doc_title": doc.title or doc.key, "doc_key": doc.key,
            "neighbours": [{"seq": n.seq, "text": n.text, "kind": n.kind, "is_evidence": n.id in cited, "start": n.start} for n in neighbours],
        }
        with self._lock:
            self._contexts[key] = ctx
            if len(self._contexts) > 4096:
                self._contexts.popitem(last=False)
        return ctx

    def evidence_in_context(self, s: Session, evidence: list[dict], around: int = 2) -> list[dict]:
        """Each evidence passage with the passages around it in its version (the first with ``around``
        on each side, the others with one), where it lives, and the document's latest version."""
        out = []
        for i, e in enumerate(evidence):
            ids = [int(x) for x in (e.get("passage_ids") or [])]
            pid = ids[0] if ids else e.get("passage_id")  # a list: its context starts at its first passage
            ctx = self._passage_context(s, int(pid), around if i == 0 else 1, tuple(ids[1:])) if pid is not None else None
            if ctx is None:
                out.append({"item": e, "missing": True})
                continue
            # each cited passage highlighted where the evidence span covers it
            e_start, e_end = int(e.get("start", ctx["p_start"])), int(e.get("end", ctx["p_start"] + ctx["p_len"]))
            neighbours = []
            for n in ctx["neighbours"]:
                a, b = max(0, e_start - n["start"]), min(len(n["text"]), e_end - n["start"])
                neighbours.append({**n, "span": (a, b) if b > a else (0, len(n["text"]))})
            out.append({**ctx, "neighbours": neighbours, "item": e, "missing": False, "score": e.get("score"), "support": e.get("support")})
        docs = {c["doc_id"] for c in out if not c["missing"]}
        from ..corpus.versions import current_versions

        latest = {d: v.seq for d, v in current_versions(s, docs).items()}
        for c in out:
            if not c["missing"]:
                c["latest_seq"] = latest.get(c["doc_id"])
        return out

    # -- documents ---------------------------------------------------------------------------------
    def diff(self, old: Version, new: Version) -> tuple[list[dict], dict[str, int]]:
        """``corpus.diff`` of two versions as plain entries and counts, computed off the request
        thread and cached per pair (``web.diffs``); raises ``DiffTooLarge`` or ``DiffBusy``.
        Pages that can close their session first use ``diffs.start`` and ``diffs.result``."""
        return self.diffs.result(self.diffs.start(old, new))

    def document(self, s: Session, doc_id: int) -> Document:
        d = s.get(Document, doc_id)
        if d is None:
            raise NotFound(f"no document {doc_id}")
        return d

    def version(self, s: Session, doc: Document, seq: int) -> Version:
        v = s.scalars(select(Version).where(Version.document_id == doc.id, Version.seq == seq)).first()
        if v is None:
            raise NotFound(f"document {doc.id} has no version {seq}")
        return v

    def documents(self, s: Session, company_key: str | None = None) -> list[dict]:
        q = select(Document, Company).join(Company, Company.id == Document.company_id)
        if company_key:
            q = q.where(Company.key == company_key)
        counts = dict(s.execute(select(Version.document_id, func.count(Version.id)).group_by(Version.document_id)).all())
        latest = dict(s.execute(select(Version.document_id, func.max(Version.version_date)).group_by(Version.document_id)).all())
        return [
            {
                "id": d.id, "key": d.key, "title": d.title or d.key, "type": d.type, "company": c.key, "company_name": c.name,
                "versions": counts.get(d.id, 0), "latest_date": latest.get(d.id), "levels": d.levels,
            }
            for d, c in s.execute(q.order_by(Company.key, Document.id))
        ]


def version_date(v: Version) -> date:
    return v.version_date or v.recorded_at.date()


def row_evidence(row: dict) -> list[dict]:
    raw = row.get("Evidence") or "[]"
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return []


def result_score(meth: Methodology, element: str, result: str) -> float | None:
    return element_score(result, meth.elements[element].reversed)

"""The notice duties of an assessment as they stand: stored item judgments (GDPR, PIPL) as rows,
one per company × service × item, with ``NeedsReview`` by the review queue's one rule. What the
framework exports, pages, comparisons and the feed read.

    rows = item_rows(store, assessment_id)
"""

from __future__ import annotations

from sqlalchemy import select

from ..store.database import Store
from ..store.models import Assessment, Company
from .queue import needs_review
from .results import _manifest_of, _ordered_runs

__all__ = ["EVIDENCE_KEYS", "assessment_frameworks", "item_rows"]

# what a row's evidence keeps of each cited passage (as element-scores.csv's Evidence does)
EVIDENCE_KEYS = ("path", "version", "start", "end", "text", "score", "support", "window", "language")


def assessment_frameworks(store: Store, assessment_id: int) -> list[str]:
    """The notice frameworks an assessment graded (``assess --framework``)."""
    with store.session() as s:
        a = s.get(Assessment, assessment_id)
        return list(((a.meta or {}) if a else {}).get("frameworks") or [])


def item_rows(store: Store, assessment_id: int, companies: list[str] | None = None, frameworks: list[str] | None = None) -> list[dict]:
    """Rows: ``Company, Service, Framework, Item, Article, Result, Evidence`` (cited passages, first
    first), ``Confidence``, ``NeedsReview`` and, for pages, ``Why``, ``Status``, ``Probability``,
    ``CompanyLabel``. Companies in manifest order, services in the company's order, frameworks and
    items in their files' order."""
    from ..methodology import frameworks as frameworks_mod

    out: list[dict] = []
    with store.session() as s:
        a = s.get(Assessment, assessment_id)
        fids = frameworks or list((a.meta or {}).get("frameworks") or [])
        order = {fid: {iid: i for i, iid in enumerate(frameworks_mod.load(fid).items)} for fid in fids if frameworks_mod.is_framework(fid)}
        manifest = _manifest_of(a.manifest_path)
        for run in _ordered_runs(a, companies):
            spec = manifest.company(run.company_key) if manifest else None
            comp = s.scalars(select(Company).where(Company.key == run.company_key)).one()
            levels = {lvl: i for i, lvl in enumerate(["Group", *[x.key for x in comp.services]])}
            js = [j for j in run.items if j.framework in order]
            js.sort(key=lambda j: (levels.get(j.level, 99), fids.index(j.framework), order[j.framework].get(j.item, 99)))
            for j in js:
                out.append({
                    "Company": run.company_key,
                    "CompanyLabel": spec.name if spec else comp.name,
                    "Service": j.level,
                    "Framework": j.framework,
                    "Item": j.item,
                    "Article": j.article,
                    "Result": j.result,
                    "Evidence": [{k: e[k] for k in EVIDENCE_KEYS if k in e} for e in (j.evidence or [])],
                    "Confidence": j.confidence,
                    "NeedsReview": needs_review(j.result, j.confidence, j.status),
                    "Why": list(j.why or []),
                    "Status": j.status,
                    "Probability": j.probability,
                })
    return out

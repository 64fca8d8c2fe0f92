"""The answers of an assessment as they stand: stored judgments with analysts' final decisions
winning, as rows of RDR's element-results CSV (plus ``formats.elementcsv.EXTRA_COLUMNS``) and as
scoring inputs. What every export, page, comparison and series reads.

    rows, results = element_rows(store, assessment_id)
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

from sqlalchemy import select

from .. import methodology as methodology_mod
from ..corpus.manifest import Manifest, load_manifest
from ..store.database import Store
from ..store.models import Assessment, Company, CompanyRun
from ..store.tasks import task_store

__all__ = ["assessment_rows", "company_rows", "element_rows"]


def element_rows(store: Store, assessment_id: int, companies: list[str] | None = None) -> tuple[list[dict], list]:
    """Rows in RDR's element-results format (plus ``EXTRA_COLUMNS`` but ``AsOf``, which the files
    add: ``timeline.assessments.shown``), and the scoring inputs. Analysts' final decisions, when the review tables exist, win; ``NeedsReview`` follows
    ``review.queue.needs_review``. Companies in manifest order (``companies``: only these)."""
    from .queue import row_review
    from ..scoring import ElementResult, element_score

    with store.session() as s:
        a = s.get(Assessment, assessment_id)
        meth = methodology_mod.load(a.methodology)
        manifest = _manifest_of(a.manifest_path)
        overrides = _overrides(s, assessment_id)
        rows: list[dict] = []
        results: list[ElementResult] = []
        for run in _ordered_runs(a, companies):
            spec = manifest.company(run.company_key) if manifest else None
            comp = s.scalars(select(Company).where(Company.key == run.company_key)).one()
            label = spec.name if spec else comp.name
            ctype = spec.type if spec else comp.type
            order = {lvl: i for i, lvl in enumerate(["Group", "OpCom", *[x.key for x in comp.services]])}
            js = sorted(run.judgments, key=lambda j: (list(meth.elements).index(j.element), order.get(j.level, 99)))
            for j in js:
                el = meth.elements[j.element]
                ind = meth.indicators[el.indicator]
                result, comment, evidence, confidence = j.result, j.comment, j.evidence, j.confidence
                ov = overrides.get((run.company_key, j.level, j.element))
                if ov is not None:
                    result, comment = ov["result"], ov["comment"] or comment
                    evidence, confidence = ov.get("evidence", evidence), None
                company_level = j.service_kind is None
                score = element_score(result, el.reversed)
                rows.append(
                    {
                        "Index": a.index,
                        "CompanyType": ctype,
                        "Company": run.company_key,
                        "CompanyLabel": label,
                        "Category": ind.category,
                        "Indicator": ind.id,
                        "IndicatorNr": ind.number,
                        "IndicatorSuffix": ind.suffix or "NA",
                        "Element": el.id,
                        "ElemNr": el.number,
                        "Branch": "Company" if company_level else "Services",
                        "Composite": j.level if company_level else ("Mobile Services" if j.service_kind == "mobile" else "Services"),
                        "Class": j.level if company_level else j.service_kind,
                        "Service": j.level,
                        "Result": result,
                        "Comment": comment or _auto_comment(result, confidence, evidence),
                        "Score": "NA" if score is None else int(score),
                        "Confidence": "NA" if confidence is None else f"{confidence:.3f}",
                        "Evidence": json.dumps(
                            [
                                {k: e[k] for k in ("path", "version", "start", "end", "text", "score", "support", "basis") if k in e}
                                for e in (evidence or [])
                            ],
                            ensure_ascii=False,
                        )
                        if result != "NA"
                        else "[]",
                        "PriorResult": j.prior_result or "NA",
                        "PriorRelation": j.prior_relation or "NA",
                        "Reviewed": "yes" if ov is not None else "no",
                        "NeedsReview": "yes" if row_review(result, confidence, j.probabilities, ov)[1] else "no",
                    }
                )
                results.append(
                    ElementResult(
                        company=run.company_key, element=el.id, level=j.level, result=result,
                        service_kind=j.service_kind, company_type=ctype, company_label=label,
                    )
                )
    return rows, results


def _manifest_of(path: str) -> Manifest | None:
    """The assessment's manifest, read once per process while the file is unchanged (publishing
    tasks ask for it per company); None when it cannot be read here (moved, or on another
    machine): the store has the names."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return _read_manifest(path, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=8)
def _read_manifest(path: str, _mtime_ns: int, _size: int) -> Manifest | None:
    try:
        return load_manifest(path, check_files=False)
    except Exception:  # noqa: BLE001 - the manifest may have moved; fall back to the store
        return None


def _ordered_runs(a: Assessment, companies: list[str] | None = None) -> list[CompanyRun]:
    """The assessment's company runs in manifest order, whatever order they finished in."""
    order = {c: i for i, c in enumerate((a.meta or {}).get("companies") or [])}
    runs = [r for r in a.runs if companies is None or r.company_key in companies]
    return sorted(runs, key=lambda r: (order.get(r.company_key, len(order)), r.id))


def _overrides(session, assessment_id: int) -> dict:
    """Analysts' final decisions for this assessment's companies (review room)."""
    from .decisions import final_decisions

    return final_decisions(session, assessment_id)


def _auto_comment(result: str, confidence: float | None, evidence: list | None) -> str:
    if result == "NA":
        return "Not applicable under the methodology."
    conf = f" (confidence {confidence:.2f})" if confidence is not None else ""
    if result == "no disclosure found":
        return f"Automated: no disclosure found in the documents for this level{conf}."
    if evidence:
        e = evidence[0]
        snippet = " ".join(e["text"].split())
        snippet = snippet if len(snippet) <= 240 else snippet[:237] + "…"
        return f'Automated: {result}{conf}. {e["path"]}: "{snippet}"'
    return f"Automated: {result}{conf}."


def assessment_rows(store: Store, assessment_id: int, *, runner=None, store_url: str | None = None) -> tuple[list[dict], list]:
    """:func:`element_rows` of the whole assessment; with a ``runner``, one task per company."""
    if runner is None:
        return element_rows(store, assessment_id)
    with store.session() as s:
        keys = [r.company_key for r in _ordered_runs(s.get(Assessment, assessment_id))]
    parts = {key: (r, res) for key, r, res in runner.map(company_rows, [(store_url, assessment_id, k) for k in keys], name="publish")}
    return [row for k in keys for row in parts[k][0]], [x for k in keys for x in parts[k][1]]


def company_rows(store_url: str, assessment_id: int, company_key: str) -> tuple[str, list[dict], list]:
    """A company's rows of the element-results CSV and its scoring inputs (a task)."""
    rows, results = element_rows(task_store(store_url), assessment_id, companies=[company_key])
    return company_key, rows, results

"""``assess``: the one orchestration, used by the CLI, the web app and the distributed workers.

manifest → corpus (ingest, versions) → evidence (retrieve, grade, cite) → store (judgments) →
scoring (RDR aggregation) → publish (element-scores.csv, scores.json, report/index.html).

Resumable: an assessment is identified by its inputs (manifest, document texts, methodology,
model, prior); running the same inputs again continues that assessment, skipping companies
already graded. A company whose inputs equal those of a company graded in any earlier assessment
reuses those judgments instead of grading again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from . import methodology as methodology_mod
from .corpus.ingest import IngestReport, ingest_manifest
from .corpus.manifest import CompanySpec, Manifest, load_manifest
from .store import Store
from .store.models import Assessment, Company, CompanyRun, Document, Judgment, utcnow

DEFAULT_DB_NAME = "rightsindex.sqlite"


class AssessError(RuntimeError):
    pass


@dataclass
class AssessResult:
    assessment_id: int
    out: Path
    ingest: IngestReport
    companies: dict[str, dict] = field(default_factory=dict)  # company -> {"seconds", "reused", "judgments"}
    scores: dict = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


def _sha(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


# How evidence is chosen and cut, apart from the models: part of the model version, so stored
# judgments of an earlier way are graded again rather than reused (2: lists cited whole).
EVIDENCE_VERSION = 2


def model_version(grader=None) -> str:
    from .evidence.embed import model_fingerprint
    from .evidence.grader import Grader

    g = grader or Grader.load()
    return f"{g.version}+emb.{model_fingerprint()}+ev.{EVIDENCE_VERSION}"


# -- priors --------------------------------------------------------------------------------------


def read_prior(paths: list[Path], methodology) -> dict[str, dict]:
    """Previous edition's results (RDR CSV format, ours or RDR's): company -> {(level, element): Prior}.

    Our own ``element-scores.csv`` carries an ``Evidence`` column; its passages let the grader tell
    whether what the previous answer rested on has changed. RDR's files carry none, but their
    ``Comment`` quotes the policies ("It states, “…”"): those quotes lead the evidence when the
    previous answer stands (they never decide the answer: a comment may quote a page we lack).
    """
    from . import elementcsv
    from .csvsafe import restore_row
    from .evidence.judge import Prior
    from .evidence.knowledge import quotes_in

    data = elementcsv.read(paths, methodology)  # validates; raises ElementCSVError
    evidence: dict[tuple[str, str, str], tuple[tuple[str, str], ...]] = {}
    quoted: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for p in paths:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            for row in map(restore_row, csv.DictReader(fh)):
                level = row["Composite"] if row["Branch"] == "Company" else row["Service"]
                raw = (row.get("Evidence") or "").strip()
                if not raw or raw == "NA":
                    # RDR's own files: the researchers' comment quotes the passages they relied on
                    found = quotes_in(row.get("Comment") or "")
                    if found:
                        quoted[(row["Company"], level, methodology_mod.normalise_element_id(row["Element"]))] = tuple(found)
                    continue
                try:
                    items = json.loads(raw)
                except json.JSONDecodeError:
                    continue
                evidence[(row["Company"], level, methodology_mod.normalise_element_id(row["Element"]))] = tuple(
                    (str(e.get("path", "")), str(e.get("text", ""))) for e in items[:1] if e.get("text")
                )
    out: dict[str, dict] = {}
    for r in data.results:
        key = (r.company, r.level, r.element)
        out.setdefault(r.company, {})[(r.level, r.element)] = Prior(r.result, evidence.get(key), quoted.get(key, ()))
    return out


# -- one company ---------------------------------------------------------------------------------


def _company_cache_key(company: CompanySpec, versions: dict[str, tuple[int, str, tuple | None]], model: str, methodology: str, prior: dict | None, exclude: tuple[str, ...]) -> str:
    doc_part = json.dumps(sorted((k, v[1], v[2]) for k, v in versions.items()))
    svc = json.dumps([(s.id, s.kind) for s in company.services])
    prior_part = json.dumps(sorted((k[0], k[1], p.result, p.evidence_texts, p.quotes) for k, p in (prior or {}).items()), default=list)
    return _sha(model, methodology, company.id, company.type, svc, doc_part, prior_part, ",".join(exclude))


def assess_company(
    store_url: str,
    assessment_id: int,
    manifest_path: str,
    company_id: str,
    *,
    grader_path: str | None = None,
    exclude: tuple[str, ...] = (),
    prior: dict | None = None,
) -> dict:
    """Grade one company and store its judgments in one transaction. Safe to run in a worker."""
    from .evidence import knowledge as knowledge_mod
    from .evidence.grader import Grader
    from .evidence.judge import grade_company
    from .evidence.passages import embed_company, load_company_passages

    t0 = time.perf_counter()
    store = Store.open(store_url)
    manifest = load_manifest(manifest_path, check_files=False)
    company = manifest.company(company_id)
    meth = methodology_mod.load(manifest.methodology)
    grader = Grader.load(Path(grader_path)) if grader_path else Grader.load()
    model = model_version(grader)
    with store.session() as s:
        comp = s.scalars(select(Company).where(Company.key == company_id)).one()
        keys = {d.key for d in company.documents}
        versions: dict[str, tuple[int, str, tuple | None]] = {}
        for d in s.scalars(select(Document).where(Document.company_id == comp.id)):
            if d.key in keys and d.versions:
                v = d.versions[-1]
                versions[d.key] = (v.id, v.text_sha256, tuple(d.levels) if d.levels is not None else None)
        cache_key = _company_cache_key(company, versions, model, meth.id, prior, exclude)
        existing = s.scalars(
            select(CompanyRun).where(CompanyRun.assessment_id == assessment_id, CompanyRun.company_key == company_id)
        ).first()
        if existing is not None:
            return {"company": company_id, "seconds": 0.0, "reused": "resumed", "judgments": len(existing.judgments)}
        earlier = s.scalars(
            select(CompanyRun).where(CompanyRun.cache_key == cache_key, CompanyRun.company_key == company_id).order_by(CompanyRun.id.desc())
        ).first()
        if earlier is not None:
            run = CompanyRun(
                assessment_id=assessment_id, company_key=company_id, cache_key=cache_key, reused_from=earlier.id,
                meta=dict(earlier.meta),
            )
            s.add(run)
            s.flush()
            for j in earlier.judgments:
                s.add(
                    Judgment(
                        run_id=run.id, level=j.level, service_kind=j.service_kind, element=j.element, result=j.result,
                        confidence=j.confidence, probabilities=j.probabilities, evidence=j.evidence,
                        prior_result=j.prior_result, prior_relation=j.prior_relation, comment=j.comment,
                    )
                )
            run.seconds = time.perf_counter() - t0
            return {"company": company_id, "seconds": run.seconds, "reused": f"run {earlier.id}", "judgments": len(earlier.judgments)}

    kn = knowledge_mod.load().for_methodology(meth.id)
    with store.session() as s:
        cp = load_company_passages(s, company_id, {k: v[0] for k, v in versions.items()})
        embed_company(s, cp)
    t_embed = time.perf_counter() - t0
    judgments = grade_company(meth, kn, grader, company, cp, exclude=exclude, priors=prior)
    with store.session() as s:
        run = CompanyRun(
            assessment_id=assessment_id,
            company_key=company_id,
            cache_key=cache_key,
            meta={
                "versions": {k: v[0] for k, v in versions.items()},
                "passages": len(cp.rows),
                "embed_seconds": round(t_embed, 2),
                "model": model,
            },
        )
        s.add(run)
        s.flush()
        s.add_all(
            Judgment(
                run_id=run.id,
                level=j.level,
                service_kind=j.service_kind,
                element=j.element,
                result=j.result,
                confidence=j.confidence,
                probabilities=j.probabilities,
                evidence=j.evidence,
                prior_result=j.prior_result,
                prior_relation=j.prior_relation,
                comment=j.comment,
            )
            for j in judgments
        )
        run.seconds = time.perf_counter() - t0
    return {"company": company_id, "seconds": round(time.perf_counter() - t0, 2), "reused": None, "judgments": len(judgments), "passages": len(cp.rows)}


# -- the whole manifest --------------------------------------------------------------------------


def assess(
    manifest_path: str | Path,
    out: str | Path,
    *,
    db: str | None = None,
    workers: int = 1,
    prior: list[Path] | None = None,
    allow_private: bool = False,
    grader_path: str | Path | None = None,
    exclude: dict[str, tuple[str, ...]] | None = None,
    companies: list[str] | None = None,
    on_event: Callable[[str, dict], None] | None = None,
    allow_roots: list[Path] | None = None,
) -> AssessResult:
    """Assess every company of a manifest and write the outputs into ``out``.

    ``on_event(kind, data)`` reports progress: ``warning`` per manifest warning, ``ingest`` per
    document, ``start`` (number of companies), ``company`` per graded company. ``allow_roots``:
    folders besides the manifest's own that its document paths may point into. ``exclude`` (company -> company ids whose quotes
    and priors the grader must not use) and ``grader_path`` serve company-split evaluation.
    """
    from .corpus.fetch import Fetcher

    emit = on_event or (lambda kind, data: None)
    manifest_path = Path(manifest_path).resolve()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(manifest_path, allow_roots=allow_roots or ())
    for warning in manifest.warnings:
        emit("warning", {"message": warning})
    meth = methodology_mod.load(manifest.methodology)
    store_url = db or f"sqlite:///{(out / DEFAULT_DB_NAME).resolve()}"
    store = Store.open(store_url)

    with Fetcher(allow_private=allow_private) as fetcher:
        ingest = ingest_manifest(store, manifest, fetcher=fetcher, on_document=lambda o: emit("ingest", o.__dict__))
    from .review import flag_stale_decisions

    with store.session() as s:
        stale = flag_stale_decisions(s)
    if stale:
        emit("stale", {"decisions": stale})

    prior_map = read_prior(list(prior), meth) if prior else {}
    prior_sha = _sha(*(Path(p).read_bytes() for p in prior)) if prior else None
    from .evidence.grader import Grader

    grader = Grader.load(Path(grader_path)) if grader_path else Grader.load()
    model = model_version(grader)
    selected = [c for c in manifest.companies if companies is None or c.id in companies]
    with store.session() as s:
        texts = []
        for c in selected:
            comp = s.scalars(select(Company).where(Company.key == c.id)).first()
            for d in (s.scalars(select(Document).where(Document.company_id == comp.id)) if comp else []):
                if d.versions:
                    texts.append(f"{c.id}|{d.key}|{d.versions[-1].text_sha256}|{d.levels}")
        key = _sha(manifest_path.read_bytes(), *sorted(texts), meth.id, model, prior_sha or "", json.dumps(exclude or {}, sort_keys=True), ",".join(c.id for c in selected))
        assessment = s.scalars(select(Assessment).where(Assessment.key == key).order_by(Assessment.id.desc())).first()
        if assessment is None:
            assessment = Assessment(
                key=key,
                index=manifest.index,
                methodology=meth.id,
                manifest_path=str(manifest_path),
                manifest_sha256=_sha(manifest_path.read_bytes()),
                model_version=model,
                prior_sha256=prior_sha,
                meta={"companies": [c.id for c in selected], "out": str(out.resolve())},
            )
            s.add(assessment)
            s.flush()
        assessment_id = assessment.id

    result = AssessResult(assessment_id=assessment_id, out=out, ingest=ingest)
    emit("start", {"companies": len(selected), "assessment": assessment_id})
    kwargs = lambda c: dict(  # noqa: E731
        grader_path=str(grader_path) if grader_path else None,
        exclude=tuple((exclude or {}).get(c.id, ())),
        prior=prior_map.get(c.id),
    )
    if workers > 1 and len(selected) > 1:
        from dask.distributed import Client, LocalCluster, as_completed

        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          env={"RIGHTSINDEX_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}) as cluster, Client(cluster) as client:
            futures = [
                client.submit(assess_company, store_url, assessment_id, str(manifest_path), c.id, pure=False, **kwargs(c))
                for c in selected
            ]
            for fut in as_completed(futures):
                info = fut.result()
                result.companies[info["company"]] = info
                emit("company", info)
    else:
        for c in selected:
            info = assess_company(store_url, assessment_id, str(manifest_path), c.id, **kwargs(c))
            result.companies[info["company"]] = info
            emit("company", info)

    result.files, result.scores = write_outputs(store, assessment_id, out)
    with store.session() as s:
        a = s.get(Assessment, assessment_id)
        a.status, a.finished_at = "done", utcnow()
    store.close()
    return result


# -- outputs -------------------------------------------------------------------------------------


def element_rows(store: Store, assessment_id: int) -> tuple[list[dict], list]:
    """Rows in RDR's element-results format (plus ``EXTRA_COLUMNS``), and the scoring inputs.
    Analysts' final decisions, when the review tables exist, win; ``NeedsReview`` follows
    ``review.queue.needs_review``."""
    from .review.queue import row_review
    from .scoring import ElementResult, element_score

    with store.session() as s:
        a = s.get(Assessment, assessment_id)
        meth = methodology_mod.load(a.methodology)
        manifest = None
        try:
            manifest = load_manifest(a.manifest_path, check_files=False)
        except Exception:  # noqa: BLE001 - the manifest may have moved; fall back to the store
            manifest = None
        overrides = _overrides(s, assessment_id)
        rows: list[dict] = []
        results: list[ElementResult] = []
        for run in a.runs:
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
                                {k: e[k] for k in ("path", "version", "start", "end", "text", "score") if k in e}
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


def _overrides(session, assessment_id: int) -> dict:
    """Analysts' final decisions for this assessment's companies (review room)."""
    from .review import final_decisions

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


EXTRA_COLUMNS = ("Confidence", "Evidence", "PriorResult", "PriorRelation", "Reviewed", "NeedsReview")


def write_outputs(store: Store, assessment_id: int, out: Path) -> tuple[dict[str, Path], dict]:
    from .elementcsv import atomic_write_text, format_rows
    from .publish.report import write_report
    from .publish.scores import scores_json
    from .scoring import score_all

    rows, results = element_rows(store, assessment_id)
    with store.session() as s:
        a = s.get(Assessment, assessment_id)
        meth = methodology_mod.load(a.methodology)
        index = a.index
    scores = score_all(meth, results)
    sj = scores_json(scores, meth, index=index)
    sj["assessment"] = {"id": assessment_id, "model": model_version_of(store, assessment_id)}
    files = {
        "element-scores.csv": out / "element-scores.csv",
        "scores.json": out / "scores.json",
        "report": out / "report" / "index.html",
    }
    atomic_write_text(files["element-scores.csv"], format_rows(rows, EXTRA_COLUMNS))
    atomic_write_text(files["scores.json"], json.dumps(sj, indent=2, ensure_ascii=False) + "\n")
    write_report(files["report"], meth, sj, rows)
    return files, sj


def model_version_of(store: Store, assessment_id: int) -> str:
    with store.session() as s:
        return s.get(Assessment, assessment_id).model_version

"""``assess``: the one orchestration, used by the CLI, the web app and the distributed workers.

manifest → corpus (ingest, versions) → evidence (retrieve, grade, cite) → store (judgments) →
scoring (RDR aggregation) → publish (element-scores.csv, scores.json, report/index.html).

Resumable: an assessment is identified by its inputs (manifest, document texts, methodology,
model, prior); running the same inputs again continues that assessment, skipping companies
already graded. A company whose inputs equal those of a company graded in any earlier assessment
reuses those judgments instead of grading again.
"""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from .. import methodology as methodology_mod
from ..evidence.versioning import model_version
from . import stages
from .outputs import write_outputs
from ..corpus.ingest import IngestReport, ingest_manifest
from ..corpus.manifest import CompanySpec, Manifest, load_manifest
from ..store import Store, absolute_url
from ..store.models import Assessment, CompanyRun, ItemJudgment, Judgment, utcnow

DEFAULT_DB_NAME = "rightsindex.sqlite"


class AssessError(RuntimeError):
    pass


@dataclass
class AssessResult:
    assessment_id: int
    out: Path
    ingest: IngestReport
    companies: dict[str, dict] = field(default_factory=dict)  # company -> {"seconds", "reused", "judgments", "readable"}
    scores: dict = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def unreadable(self) -> list[str]:
        """Companies none of whose documents could be read: graded "no readable document", not zero."""
        return [c for c, info in self.companies.items() if not info.get("readable", True)]


def _sha(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()



# -- priors --------------------------------------------------------------------------------------



# -- one company ---------------------------------------------------------------------------------


def _company_cache_key(company: CompanySpec, versions: dict[str, tuple[int, str, tuple | None]], model: str, methodology: str, prior: dict | None, exclude: tuple[str, ...]) -> str:
    """What a company's run depends on: its lineage and its documents' versions (the versions
    themselves, not only their texts: a text that came back after a revert is another version,
    graded — change-aware — as such, its evidence citing it)."""
    doc_part = json.dumps(sorted((k, v[0], v[1], v[2]) for k, v in versions.items()))
    return _sha(_company_lineage(company, model, methodology, prior, exclude), doc_part)


def _graded_key(methodology: str, frameworks: tuple[str, ...]) -> str:
    """What a company run grades: the methodology and, with ``--framework``, the notice frameworks
    and the version of their item readers (a run is reused only for the same)."""
    if not frameworks:
        return methodology
    from ..evidence.frameworks import readers_version

    return f"{methodology}+{','.join(frameworks)}:{readers_version(frameworks)}"


def _company_lineage(company: CompanySpec, model: str, methodology: str, prior: dict | None, exclude: tuple[str, ...]) -> str:
    """Everything a company's grading depends on except its documents' versions (``regrade``: a run
    is re-graded from an earlier run of the same lineage)."""
    svc = json.dumps([(s.id, s.kind) for s in company.services])
    prior_part = json.dumps(sorted((k[0], k[1], p.result, p.evidence_texts, p.quotes) for k, p in (prior or {}).items()), default=list)
    return _sha(model, methodology, company.id, company.type, svc, prior_part, ",".join(exclude))


def notice_frameworks(requested, methodology_id: str) -> tuple[str, ...]:
    """The notice frameworks to grade besides the methodology: ``--framework`` ids, checked (the
    manifest's own methodology may be listed and is graded anyway; another methodology is refused)."""
    from ..methodology import frameworks as frameworks_mod

    out: list[str] = []
    for fid in requested or ():
        if fid == methodology_id:
            continue
        if fid in methodology_mod.available():
            raise AssessError(f"--framework {fid}: the manifest is graded on {methodology_id}; another methodology needs its own manifest")
        if not frameworks_mod.is_framework(fid):
            raise AssessError(f"unknown framework {fid!r}; shipped: {', '.join([methodology_id, *frameworks_mod.available()])}")
        if fid not in out:
            out.append(fid)
    return tuple(out)


def graded_versions(document, as_of: date | None):
    """The version of a document that an assessment grades: the one in force on ``as_of``, else the
    current one (both by the document's dates, see ``corpus.versions``)."""
    from ..corpus.versions import current_version, version_in_force

    return version_in_force(document.versions, as_of) if as_of is not None else current_version(document.versions)


@lru_cache(maxsize=4)
def _load_grader(grader_path: str | None):
    from ..evidence.grader import Grader

    return Grader.load(Path(grader_path)) if grader_path else Grader.load()


def _judgment_rows(run_id: int, judgments) -> list[Judgment]:
    return [
        Judgment(
            run_id=run_id, level=j.level, service_kind=j.service_kind, element=j.element, result=j.result,
            confidence=j.confidence, probabilities=j.probabilities, evidence=j.evidence,
            prior_result=j.prior_result, prior_relation=j.prior_relation, comment=j.comment,
            fingerprint=j.fingerprint, change=j.change,
        )
        for j in judgments
    ]


def _item_rows(run_id: int, items) -> list[ItemJudgment]:
    return [
        ItemJudgment(run_id=run_id, framework=j.framework, item=j.item, article=j.article, level=j.level, result=j.result,
                     confidence=j.confidence, probability=j.probability, evidence=j.evidence, why=j.why, status=j.status)
        for j in items
    ]


def _stored_run(s, assessment_id: int, company_id: str, cache_key: str, t0: float) -> dict | None:
    """A run of this company already in the assessment (resumed), or a copy of an earlier run with
    the same inputs (reused); None when the company must be graded."""
    existing = s.scalars(
        select(CompanyRun).where(CompanyRun.assessment_id == assessment_id, CompanyRun.company_key == company_id)
    ).first()
    if existing is not None:
        return {"company": company_id, "seconds": 0.0, "reused": "resumed", "judgments": len(existing.judgments),
                "readable": (existing.meta or {}).get("readable", True)}
    earlier = s.scalars(
        select(CompanyRun).where(CompanyRun.cache_key == cache_key, CompanyRun.company_key == company_id).order_by(CompanyRun.id.desc())
    ).first()
    if earlier is None:
        return None
    run = CompanyRun(assessment_id=assessment_id, company_key=company_id, cache_key=cache_key, reused_from=earlier.id, meta=dict(earlier.meta))
    s.add(run)
    s.flush()
    s.add_all(_judgment_rows(run.id, earlier.judgments))
    s.add_all(_item_rows(run.id, earlier.items))
    run.seconds = time.perf_counter() - t0
    return {"company": company_id, "seconds": run.seconds, "reused": f"run {earlier.id}", "judgments": len(earlier.judgments),
            "readable": (earlier.meta or {}).get("readable", True)}


def assess_company(
    store_url: str,
    assessment_id: int,
    company: CompanySpec,
    methodology_id: str,
    versions: dict[str, tuple[int, str, tuple | None]],
    grader_path: str | None = None,
    exclude: tuple[str, ...] = (),
    prior: dict | None = None,
    model: str | None = None,
    prior_answers: dict | None = None,
    prior_store: str | None = None,
    frameworks: tuple[str, ...] = (),
) -> dict:
    """Grade one company on the given document versions (the current ones, or those in force on
    the assessment's ``as_of``) and store its judgments in one transaction. A task: safe to run
    on any worker, and to run twice (a company already stored in the assessment is "resumed",
    never stored again). ``model``: the assessment's model version, which this process must have.

    A company graded before under the same lineage is re-graded change-aware (``regrade``):
    answers whose passages did not change are kept as they were. Failing that, ``prior_answers``
    (an earlier edition's answers from our own CSV, ``timeline.earlier_edition.read_prior_answers``) is the base;
    ``prior_store``: the SQLite store that CSV was graded in, for its texts. ``frameworks``: notice
    frameworks (``gdpr-notice``, ``pipl-notice``) whose items are graded from the same passages
    (``evidence.frameworks``), stored with the run."""
    from ..evidence import knowledge as knowledge_mod
    from ..evidence.judge import grade_company
    from ..evidence.passages import embed_company, load_company_passages
    from ..evidence.support import StoreCache, SupportJudge
    from ..store.tasks import task_store

    t0 = time.perf_counter()
    store = task_store(store_url)
    meth = methodology_mod.load(methodology_id)
    grader = _load_grader(grader_path)
    here = model_version(grader)
    if model is not None and here != model:
        raise AssessError(f"this process grades with model {here}, assessment #{assessment_id} with {model}: install the same rightsindex everywhere")
    cache_key = _company_cache_key(company, versions, here, _graded_key(meth.id, frameworks), prior, exclude)
    line = _company_lineage(company, here, meth.id, prior, exclude)
    stored = store.write(lambda s: _stored_run(s, assessment_id, company.id, cache_key, t0), conflicts=True, what=f"reusing {company.id}")
    if stored is not None:
        return stored

    kn = knowledge_mod.load().for_methodology(meth.id)
    with store.session() as s:
        cp = load_company_passages(s, company.id, {k: v[0] for k, v in versions.items()})
    store.write(lambda s: embed_company(s, cp), what=f"embedding {company.id}")  # cached by the embedding stage: reads
    t_embed = time.perf_counter() - t0
    listed = {lvl: sum(d.speaks_for(lvl) for d in company.documents) for lvl in company.levels}
    judge = SupportJudge.default(cache=StoreCache(store, SupportJudge.default().version))
    judgments = grade_company(meth, kn, grader, company, cp, exclude=exclude, priors=prior, judge=judge, listed=listed)
    t_items = time.perf_counter()
    items = _grade_items(store, frameworks, company, cp, judge) if frameworks else []
    t_items = time.perf_counter() - t_items
    from ..timeline.regrade import Side, find_base, regrade

    version_ids = {k: v[0] for k, v in versions.items()}
    rev = frozenset(e.id for e in meth.elements.values() if e.reversed)
    with store.session() as s:  # reads: the base of a change-aware re-grade and the texts on both sides
        base = find_base(s, company.id, line, version_ids)
        base_id = base.id if base is not None else None
        if base is not None:
            old_side = Side.load(s, {k: int(v) for k, v in (base.meta.get("versions") or {}).items()})
            rows = regrade(base.judgments, judgments, old_side, Side.load(s, version_ids), model=here, cp=cp, reversed_elements=rev)
        elif prior_answers:
            from ..timeline.earlier_edition import prior_base

            new_side = Side.load(s, version_ids)
            prior_judgments, old_side = prior_base(s, prior_answers, other_store=prior_store, new=new_side)
            rows = regrade(prior_judgments, judgments, old_side, new_side, model=here, cp=cp, reversed_elements=rev)
        else:
            rows = regrade((), judgments, Side(), Side(), model=here)
    kept = sum(1 for r in rows if (r["change"] or {}).get("status") == "kept")

    def save(s) -> dict:
        existing = s.scalars(
            select(CompanyRun).where(CompanyRun.assessment_id == assessment_id, CompanyRun.company_key == company.id)
        ).first()
        if existing is not None:  # another attempt of this task finished first
            return {"company": company.id, "seconds": 0.0, "reused": "resumed", "judgments": len(existing.judgments),
                    "readable": (existing.meta or {}).get("readable", True)}
        run = CompanyRun(
            assessment_id=assessment_id,
            company_key=company.id,
            cache_key=cache_key,
            meta={
                "versions": version_ids,
                "passages": len(cp.rows),
                "embed_seconds": round(t_embed, 2),
                "model": here,
                "readable": bool(cp.rows),
                "lineage": line,
                "base_run": base_id,
                "kept": kept,
            },
        )
        s.add(run)
        s.flush()
        s.add_all(Judgment(run_id=run.id, **r) for r in rows)
        s.add_all(_item_rows(run.id, items))
        run.seconds = time.perf_counter() - t0
        info = {"company": company.id, "seconds": round(run.seconds, 2), "reused": None, "judgments": len(judgments), "passages": len(cp.rows),
                "readable": bool(cp.rows), "duties": len(items), "duties_seconds": round(t_items, 2)}
        if base_id is not None:
            info["regraded_from"] = base_id
            info["kept"] = kept
            info["moved"] = sum(1 for r in rows if (r["change"] or {}).get("status") == "regraded" and r["change"].get("before") not in (None, r["result"]))
        return info

    return store.write(save, conflicts=True, what=f"storing {company.id}")


def _grade_items(store, frameworks: tuple[str, ...], company: CompanySpec, cp, judge) -> list:
    """The company's notice duties, read from the passages RDR grading read (Chinese windows'
    vectors through the store's embedding cache; the judge's readings through its cache)."""
    from ..evidence.frameworks import ItemReader, grade_items
    from ..evidence.passages import embed_texts
    from ..methodology import frameworks as frameworks_mod

    def embed(model: str, texts: list[str]):
        return store.write(lambda s: embed_texts(s, model, texts), what=f"embedding {company.id}'s windows")

    return grade_items([frameworks_mod.load(f) for f in frameworks], company, cp, ItemReader(judge), embed=embed)


# -- the whole manifest --------------------------------------------------------------------------


def assess(
    manifest_path: str | Path,
    out: str | Path,
    *,
    db: str | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    wait: bool = True,
    prior: list[Path] | None = None,
    allow_private: bool = False,
    grader_path: str | Path | None = None,
    exclude: dict[str, tuple[str, ...]] | None = None,
    companies: list[str] | None = None,
    on_event: Callable[[str, dict], None] | None = None,
    as_of: date | None = None,
    allow_roots: list[Path] | None = None,
    runner=None,
    frameworks: list[str] | tuple[str, ...] | None = None,
) -> AssessResult:
    """Assess every company of a manifest and write the outputs into ``out``.

    The work runs as tasks on a runner (:mod:`rightsindex.run.runner`): in this process (default),
    on ``workers`` local processes, or on the Dask cluster at ``scheduler`` (or
    ``$DASK_SCHEDULER_ADDRESS``), or on a ``runner`` the caller opened and keeps; the result is
    the same. ``as_of``: grade the versions in force on that day (dated by ``version_date``, by an
    Open Terms Archive history on import, or by recording time); companies with no document in
    force then are left out. Default: the current versions.

    Stages: ingest (a task per document), embed (a task per document version to grade),
    grade (a task per company), publish (a task per company's rows; the files are written here).
    One ``assess`` at a time works on a database: another one waits for it (``wait``) or raises
    :class:`AssessError` naming it.

    ``on_event(kind, data)`` reports progress: ``warning`` per manifest warning, ``wait`` (another
    run holds the database), ``runner``, ``ingest`` per document, ``start`` (number of
    companies), ``embed_start`` and ``embed`` per embedding task (a version, or part of a long
    one), ``company`` per graded company, ``skip`` per company left out.
    ``allow_roots``: folders besides the manifest's own that its document paths may point into.
    ``exclude`` (company -> company ids whose quotes and priors the grader must not use) and
    ``grader_path`` serve company-split evaluation. ``frameworks``: notice frameworks graded besides
    the manifest's methodology (``gdpr-notice``, ``pipl-notice``; the methodology's own id is
    accepted and changes nothing): ``framework-scores.csv`` and ``framework-scores.json``.
    """
    from .runner import RunnerError, open_runner
    from ..store.locks import DatabaseBusyError, exclusive_run

    emit = on_event or (lambda kind, data: None)
    manifest_path = Path(manifest_path).resolve()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(manifest_path, allow_roots=allow_roots or ())
    for warning in manifest.warnings:
        emit("warning", {"message": warning})
    store_url = absolute_url(db or f"sqlite:///{(out / DEFAULT_DB_NAME).resolve()}")
    store = Store.open(store_url)
    try:
        with exclusive_run(
            store.engine, "assess", label=f"rightsindex assess {manifest_path.name}", wait=wait,
            on_wait=lambda message: emit("wait", {"message": message}),
        ), (nullcontext(runner) if runner is not None else open_runner(workers, scheduler, store_url=store_url)) as runner:
            emit("runner", {"runner": runner.description, "workers": runner.workers})
            return _assess(
                store, store_url, runner, manifest, manifest_path, out, emit, prior=prior, allow_private=allow_private,
                grader_path=grader_path, exclude=exclude, companies=companies, as_of=as_of, frameworks=frameworks,
            )
    except (DatabaseBusyError, RunnerError) as exc:
        raise AssessError(str(exc)) from None
    finally:
        store.close()


def _assess(store, store_url, runner, manifest: Manifest, manifest_path: Path, out: Path, emit, *, prior, allow_private, grader_path, exclude, companies, as_of, frameworks=None) -> AssessResult:
    meth = methodology_mod.load(manifest.methodology)
    fws = notice_frameworks(frameworks, meth.id)
    ingest = ingest_manifest(
        store, manifest, runner=runner, store_url=store_url, allow_private=allow_private,
        on_document=lambda o: emit("ingest", o.__dict__),
    )
    from ..review import flag_stale_decisions

    stale = store.write(flag_stale_decisions, what="flagging stale decisions")
    if stale:
        emit("stale", {"decisions": stale})

    from ..evidence.previous_answers import read_prior

    prior_map = read_prior(list(prior), meth) if prior else {}
    from ..timeline.earlier_edition import prior_stores, read_prior_answers

    prior_answers = read_prior_answers(list(prior)) if prior else {}
    prior_store = next(iter(prior_stores(list(prior))), None) if prior_answers else None
    prior_sha = _sha(*(Path(p).read_bytes() for p in prior)) if prior else None
    grader_str = str(grader_path) if grader_path else None
    model = model_version(_load_grader(grader_str))
    selected = [c for c in manifest.companies if companies is None or c.id in companies]
    with store.session() as s:
        graded = stages.graded_versions(s, [c.id for c in selected], as_of)
    plans = {c.id: stages.company_versions(c, graded[c.id]) for c in selected}
    texts = [f"{c.id}|{dkey}|{plans[c.id][dkey][0]}|{plans[c.id][dkey][1]}|{levels}" for c in selected for dkey, _, _, levels in graded[c.id] if dkey in plans[c.id]]
    if as_of is not None:
        for c in selected:
            if not plans[c.id]:
                emit("skip", {"company": c.id, "reason": f"no document in force on {as_of.isoformat()}"})
        selected = [c for c in selected if plans[c.id]]
    key = _sha(manifest_path.read_bytes(), *sorted(texts), _graded_key(meth.id, fws), model, prior_sha or "", json.dumps(exclude or {}, sort_keys=True), ",".join(c.id for c in selected), as_of.isoformat() if as_of else "")

    # a pass over the current versions that could not read every document grades a partial corpus:
    # it says so, and ``watch`` never takes it as the baseline of the next pass
    incomplete = {}
    if as_of is None:
        unread = sorted({o.key for o in ingest.errors if companies is None or o.company in companies})
        missing = sorted(d.key for c in selected for d in c.documents if d.key not in plans[c.id])
        incomplete = {k: v for k, v in (("unread", unread), ("missing", missing)) if v}

    def find_or_create(s) -> int:
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
                as_of=as_of,
                meta={"companies": [c.id for c in selected], "out": str(out.resolve()), "frameworks": list(fws),
                      **({"incomplete": incomplete} if incomplete else {})},
            )
            s.add(assessment)
            s.flush()
        return assessment.id

    assessment_id = store.write(find_or_create, what="creating the assessment")
    result = AssessResult(assessment_id=assessment_id, out=out, ingest=ingest)
    emit("start", {"companies": len(selected), "assessment": assessment_id})

    def exclude_of(c: CompanySpec) -> tuple[str, ...]:
        return tuple((exclude or {}).get(c.id, ()))

    # embed: every version that a company still to grade reads, one task each
    with store.session() as s:
        to_embed = {
            v[0]: (c.id, k, v[0])
            for c in selected
            if not stages.stored_run_exists(s, assessment_id, c.id, _company_cache_key(c, plans[c.id], model, _graded_key(meth.id, fws), prior_map.get(c.id), exclude_of(c)))
            for k, v in plans[c.id].items()
        }
    # the longest tasks first, so that no worker is left with a long one at the end of a stage
    with store.session() as s:
        size = stages.text_lengths(s, [v[0] for c in selected for v in plans[c.id].values()])
    embed_tasks = [
        (store_url, *t, part, stages.embed_parts(size.get(t[2], 0)))
        for t in sorted(to_embed.values(), key=lambda t: -size.get(t[2], 0))
        for part in range(stages.embed_parts(size.get(t[2], 0)))
    ]
    emit("embed_start", {"versions": len(to_embed), "tasks": len(embed_tasks)})
    for info in runner.map(stages.embed_version, embed_tasks, name="embed"):
        emit("embed", info)

    # grade: one task per company
    tasks = [
        (store_url, assessment_id, c, meth.id, plans[c.id], grader_str, exclude_of(c), prior_map.get(c.id), model, prior_answers.get(c.id), prior_store, fws)
        for c in sorted(selected, key=lambda c: -sum(size.get(v[0], 0) for v in plans[c.id].values()))
    ]
    for info in runner.map(assess_company, tasks, name="grade"):
        result.companies[info["company"]] = info
        emit("company", info)

    result.files, result.scores = write_outputs(store, assessment_id, out, runner=runner, store_url=store_url)

    def finish(s) -> None:
        a = s.get(Assessment, assessment_id)
        a.status, a.finished_at = "done", utcnow()

    store.write(finish, what="finishing the assessment")
    return result


# -- outputs -------------------------------------------------------------------------------------





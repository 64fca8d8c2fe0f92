"""The parts of an ``assess`` run around grading (``run.assessment.assess`` runs them): which document
versions each company grades, how big each piece of work is, and the embedding and publishing
tasks (see :mod:`rightsindex.run.runner`).
"""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import func, select

from ..corpus.manifest import CompanySpec
from ..store.models import Company, CompanyRun, Document, Version

__all__ = ["company_versions", "embed_parts", "embed_version", "graded_versions", "stored_run_exists", "text_lengths"]


def graded_versions(session, company_keys: list[str], as_of: date | None = None) -> dict[str, list[tuple[str, int, str, list | None]]]:
    """The version each document of these companies is graded on — its current version, or the
    one in force on ``as_of`` (``corpus.versions``: by the document's dates) — read without the
    texts: ``{company key: [(document key, version id, text sha256, levels), …]}`` (documents in
    id order; a document with no version in force is left out)."""
    from ..corpus.versions import current_version, version_in_force

    out: dict[str, list] = {k: [] for k in company_keys}
    for start in range(0, len(company_keys), 500):
        q = (
            select(
                Company.key.label("company"), Document.id.label("document_id"), Document.key.label("document"), Document.levels,
                Version.id, Version.seq, Version.version_date, Version.recorded_at, Version.text_sha256,
            )
            .join(Document, Document.company_id == Company.id)
            .join(Version, Version.document_id == Document.id)
            .where(Company.key.in_(company_keys[start : start + 500]))
            .order_by(Document.id, Version.seq)
        )
        by_doc: dict[int, list] = {}
        for row in session.execute(q):
            by_doc.setdefault(row.document_id, []).append(row)
        for rows in by_doc.values():
            v = version_in_force(rows, as_of) if as_of is not None else current_version(rows)
            if v is not None:
                out[v.company].append((v.document, v.id, v.text_sha256, v.levels))
    return out


def company_versions(company: CompanySpec, latest: list) -> dict[str, tuple[int, str, tuple | None]]:
    """The version of each of the company's manifest documents that its grading reads:
    ``{document key: (version id, text sha256, levels)}`` in manifest order, from the company's
    entry of :func:`graded_versions`."""
    stored = {dkey: (vid, sha, tuple(levels) if levels is not None else None) for dkey, vid, sha, levels in latest}
    # in manifest order: passages are read in this order, and it breaks ties between equal passages
    return {d.key: stored[d.key] for d in company.documents if d.key in stored}


#: A version longer than this (characters) is embedded by several tasks, each taking every
#: n-th passage: one long document must not keep one worker busy while the others wait.
EMBED_CHUNK_CHARS = 60_000


def embed_parts(length: int) -> int:
    """How many tasks embed a version of ``length`` characters."""
    return max(1, -(-length // EMBED_CHUNK_CHARS))


def embed_version(store_url: str, company_key: str, doc_key: str, version_id: int, part: int = 0, parts: int = 1) -> dict:
    """Embed the candidate passages of one document version (those of ``part`` of ``parts``:
    every ``parts``-th passage from the ``part``-th) into the store's cache (a task).

    One short write per model: vectors are computed before the transaction that stores them.
    Texts already cached are not embedded again, so running it twice costs two reads. A vector
    depends on its text alone, so how a version is split does not change any vector.
    """
    from ..evidence.embed import model_for
    from ..evidence.passages import CompanyPassages, embed_company, load_company_passages
    from ..store.tasks import task_store

    t0 = time.perf_counter()
    store = task_store(store_url)
    with store.session() as s:
        cp = load_company_passages(s, company_key, {doc_key: version_id})
    mine = cp.rows[part::parts]
    for model in ("minilm", "use"):
        rows = [r for r in mine if model_for(r.language) == model]
        if rows:
            store.write(lambda s, rows=rows: embed_company(s, CompanyPassages(company_key, rows)), what=f"embedding {doc_key}")
    return {"company": company_key, "document": doc_key, "version": version_id, "part": part, "passages": len(mine), "seconds": round(time.perf_counter() - t0, 2)}



def text_lengths(s, version_ids: list[int]) -> dict[int, int]:
    """Characters of each version's text (the size of the work on it), read in the database."""
    out: dict[int, int] = {}
    for start in range(0, len(version_ids), 500):
        chunk = version_ids[start : start + 500]
        out.update((vid, n or 0) for vid, n in s.execute(select(Version.id, func.length(Version.text)).where(Version.id.in_(chunk))))
    return out


def stored_run_exists(s, assessment_id: int, company_id: str, cache_key: str) -> bool:
    """Whether the company's judgments are in the assessment or can be copied from an earlier run."""
    return (
        s.scalars(
            select(CompanyRun.id).where(
                ((CompanyRun.assessment_id == assessment_id) | (CompanyRun.cache_key == cache_key)), CompanyRun.company_key == company_id
            ).limit(1)
        ).first()
        is not None
    )

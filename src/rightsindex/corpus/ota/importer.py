"""Record Open Terms Archive histories (see ``repository`` and ``collection``) as document versions.

One document (``import_history``) or a whole collection (``import_collection``: one task per
document on a runner, see :mod:`rightsindex.run.runner`). Texts are normalised and segmented
outside any transaction; versions are written in short transactions of at most ``BATCH``
versions, each version once (a commit already stored is skipped), so an interrupted or repeated
import continues where it stopped and never records a version twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Sequence

from sqlalchemy import select

from ...store import Store
from ...store.models import Company, Document, Version
from .. import limits
from ..extract import ExtractError, normalise_text
from ..extract.budget import document_budget
from ..ingest import upsert_company, upsert_document
from ..manifest import CompanySpec, DocumentSpec, ServiceSpec
from ..names import shown
from .repository import OTAVersion
from ..segment import detect_language, segment
from ..versions import record_version

__all__ = ["BATCH", "ImportResult", "document_key", "import_collection", "import_history", "import_task", "record_history"]

#: Versions written per transaction.
BATCH = 25


@dataclass
class ImportResult:
    key: str
    added: int
    existing: int
    company: str = ""
    read: int = 0  # versions read from the repository
    skipped: int = 0  # commits that gave no version (see ota.history)
    refused: list[str] = field(default_factory=list)  # versions over a document's limits: "<commit> <date>: why"
    problem: str | None = None  # why the whole document was left out (a limit, a name that is no id)


def document_key(service: str, terms_type: str) -> str:
    return f"ota:{service}/{terms_type}"


def _ensure_company(session, spec: CompanySpec, *, extra_service: str | None = None, keep_known: bool = True) -> Company:
    """Upsert the company, keeping services it already has (an import adds, never removes);
    ``keep_known``: a company already stored keeps its name and type (else ``spec``'s win)."""
    known = session.scalars(select(Company).where(Company.key == spec.id)).first()
    services = {s.id: s for s in spec.services}
    if known is not None:
        for x in known.services:
            if x.key not in services or (keep_known and x.kind):
                services[x.key] = ServiceSpec(x.key, x.kind)
    if extra_service and extra_service not in services:
        services[extra_service] = ServiceSpec(extra_service, "")
    name, ctype = (known.name, known.type) if known is not None and keep_known else (spec.name, spec.type)
    return upsert_company(session, CompanySpec(spec.id, name, ctype, tuple(services.values()), ()))


def record_history(
    store: Store, company_key: str, spec: DocumentSpec, versions: Sequence[OTAVersion], *, batch: int = BATCH,
    keep_document: bool = False, refused: list[str] | None = None,
) -> tuple[int, int]:
    """Append each version (oldest first) whose commit is not stored yet; returns (added, existing).

    The document is upserted first (``keep_document``: a document already stored keeps its title,
    type and levels and only gains the OTA names in its metadata); then versions are prepared
    (normalised, language, passages) outside any transaction and written ``batch`` at a time.
    A version over a document's limits (characters, passages, time: the same as ``corpus add``)
    is not recorded: ``refused`` gets a line for it ("<commit> <date>: why") and the rest go on."""

    def upsert(s) -> set[str]:
        company = s.scalars(select(Company).where(Company.key == company_key)).one()
        doc = s.scalars(select(Document).where(Document.company_id == company.id, Document.key == spec.key)).first() if keep_document else None
        if doc is not None:  # a manifest's document: keep what the manifest says of it
            doc.meta = {**(doc.meta or {}), **{k: v for k, v in spec.meta.items() if k.startswith("ota_")}}
        else:
            doc = upsert_document(s, company, spec)
        return set(s.scalars(select(Version.source).where(Version.document_id == doc.id)))

    stored = store.write(upsert, conflicts=True, what=f"document {spec.key}")
    # a version whose normalised text equals the one before it in the history is no version: it
    # was not recorded the first time, and must not be recorded on a later import either
    texts: dict[str, str] = {}
    previous = None
    for v in versions:
        text = normalise_text(v.text)
        if text != previous and f"ota:{v.commit}" not in stored:
            texts[v.commit] = text
        previous = text
    todo = [v for v in versions if v.commit in texts]
    existing = len(versions) - len(todo)
    added = 0
    for start in range(0, len(todo), batch):
        prepared = []
        for v in todo[start : start + batch]:
            text = texts.pop(v.commit)
            try:
                prepared.append((v, text, *_prepare(text)))
            except ExtractError as exc:
                if refused is not None:
                    refused.append(f"{v.commit[:10]} {v.date:%Y-%m-%d}: {exc}")

        def write(s) -> tuple[int, int]:
            doc = s.scalars(select(Document).join(Company).where(Company.key == company_key, Document.key == spec.key)).one()
            have = set(s.scalars(select(Version.source).where(Version.document_id == doc.id)))
            a = e = 0
            for v, text, language, passages in prepared:
                source = f"ota:{v.commit}"
                if source in have:  # another attempt stored it meanwhile
                    e += 1
                    continue
                new = record_version(
                    s,
                    doc,
                    text=text,
                    raw=v.text.encode("utf-8"),
                    format="markdown",
                    charset="utf-8",
                    language=language,
                    version_date=v.date.date(),
                    recorded_at=v.date,
                    source=source,
                    meta={"commit": v.commit, "subject": v.subject, "event": v.event, "path": v.path},
                    passages=passages,
                )
                if new is None:
                    e += 1
                else:
                    a += 1
            return a, e

        a, e = store.write(write, conflicts=True, what=f"versions of {spec.key}")
        added, existing = added + a, existing + e
    return added, existing


def _prepare(text: str) -> tuple[str | None, list]:
    """(language, passages) of a version's text, under the limits of any document."""
    if len(text) > limits.MAX_DOCUMENT_CHARS:
        raise ExtractError(f"document too large: {len(text):,} characters (the limit is {limits.MAX_DOCUMENT_CHARS:,})")
    with document_budget():  # BudgetExceeded, TooManyPassages: ExtractErrors
        language = detect_language(text)
        return language, segment(text, language=language)


def import_history(
    store: Store,
    versions: Sequence[OTAVersion],
    *,
    service: str,
    terms_type: str,
    company: str,
    company_type: str = "Digital Platform",
    document: str | None = None,
) -> ImportResult:
    """Append each OTA version (oldest first) of one document whose commit is not stored yet.

    ``document``: file the versions under this document key — a manifest's document (its path
    or URL as the manifest gives it), so that ``assess`` grades its history — instead of
    ``ota:<service>/<terms type>``; what the manifest says of it is kept. A version whose text
    the document already holds is not recorded again (``versions.record_version``)."""
    key = document or document_key(service, terms_type)
    store.write(
        lambda s: _ensure_company(s, CompanySpec(company, company, company_type, (), ()), extra_service=service),
        conflicts=True, what=f"company {company}",
    )
    spec = DocumentSpec(
        key=key,
        title=f"{service} {terms_type}",
        type="-".join(terms_type.lower().split()),
        meta={"source": "Open Terms Archive", "ota_service": service, "ota_type": terms_type},
    )
    refused: list[str] = []
    added, existing = record_history(store, company, spec, versions, keep_document=document is not None, refused=refused)
    return ImportResult(key=key, added=added, existing=existing, company=company, read=len(versions), refused=refused)


def import_task(
    store_url: str, company_key: str, spec: DocumentSpec, versions: list[OTAVersion], skipped: int = 0, problem: str | None = None,
) -> ImportResult:
    """One OTA document's history, on a worker (``problem``: the document is left out, and why)."""
    from ...store.tasks import task_store

    if problem is not None:
        return ImportResult(key=spec.key, added=0, existing=0, company=company_key, skipped=skipped, problem=problem)
    refused: list[str] = []
    added, existing = record_history(task_store(store_url), company_key, spec, versions, refused=refused)
    return ImportResult(key=spec.key, added=added, existing=existing, company=company_key, read=len(versions), skipped=skipped,
                        refused=refused)


def import_collection(
    store: Store,
    repo: str | Path,
    *,
    runner,
    store_url: str,
    mapping=None,
    services: list[str] | None = None,
    types: list[str] | None = None,
    documents: list[tuple[str, str]] | None = None,
    since: date | None = None,
    min_chars: int = 500,
    company_type: str = "Digital Platform",
    on_document: Callable[[ImportResult], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> list[ImportResult]:
    """Import every document of an OTA collection (or those of ``services`` / ``types``, or the
    ``(service, terms type)`` pairs of ``documents``).

    Without a ``mapping`` each OTA service is a company of its own (id = service name) and a
    document's key is ``ota:<Service>/<Terms type>``; with one (:mod:`mapping`), documents go
    to the mapped companies and levels, keyed by their manifest path, and unmapped services
    follow the mapping's ``unmapped`` rule. The history is read here in one pass; each document
    is recorded by a task of its own on ``runner``.
    """
    from .repository import list_documents, name_problem, open_repo
    from .collection import collection_histories, select_documents
    from .mapping import document_spec

    root = open_repo(repo)
    at_head = list_documents(root)
    if documents is not None:
        missing = sorted(set(map(tuple, documents)) - set(at_head))
        if missing:
            from .repository import OTAError

            raise OTAError(f"not in {repo} at HEAD: " + ", ".join(f"{s}/{t}.md" for s, t in missing[:10]))
        at_head = sorted(set(map(tuple, documents)))
    wanted = select_documents(at_head, services=services, types=types)
    placed: dict[tuple[str, str], tuple[CompanySpec, DocumentSpec]] = {}
    left_out: list[ImportResult] = []  # names that cannot be ids: refused before anything is stored
    for service, terms_type in wanted:
        problem = name_problem(service, terms_type)
        if problem is not None:
            left_out.append(ImportResult(key=f"{shown(service)}/{shown(terms_type)}.md", added=0, existing=0, problem=problem))
            continue
        if mapping is None:
            company = CompanySpec(service, service, company_type, (ServiceSpec(service, ""),), ())
            doc = DocumentSpec(
                key=document_key(service, terms_type),
                title=f"{service} {terms_type}",
                type="-".join(terms_type.lower().split()),
                meta={"source": "Open Terms Archive", "ota_service": service, "ota_type": terms_type},
            )
        else:
            placement = mapping.place(service, terms_type)
            if placement is None:
                continue
            company, doc = placement.company, document_spec(placement, service, terms_type, mapping.collection)
        placed[(service, terms_type)] = (company, doc)
    companies = {c.id: c for c, _ in placed.values()}
    for c in companies.values():
        store.write(lambda s, c=c: _ensure_company(s, c, keep_known=mapping is None), conflicts=True, what=f"company {c.id}")
    if on_start:
        on_start(len(placed) + len(left_out))

    def tasks():
        for h in collection_histories(root, list(placed), since=since, min_chars=min_chars):
            company, doc = placed[(h.service, h.terms_type)]
            yield (store_url, company.id, doc, h.versions, len(h.skipped), h.problem)

    results = []
    for r in left_out:
        results.append(r)
        if on_document:
            on_document(r)
    for r in runner.map(import_task, tasks(), name="import"):
        results.append(r)
        if on_document:
            on_document(r)
    order = {doc.key: i for i, (_, doc) in enumerate(placed.values())}
    results.sort(key=lambda r: order.get(r.key, len(order)))
    return results

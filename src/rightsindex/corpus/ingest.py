"""Ingest a manifest into the store: one transaction per document, failures reported and skipped.

A document is read (local file or URL), extracted to normalised text and segmented *outside* any
transaction, then recorded in one short transaction as a new version only when that text differs
from its latest version. Re-running the same manifest adds nothing; recording the same document
twice at once (two workers, a retried task) records it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store import Store
from ..store.models import Company, Document, Service, Version, utcnow
from .extract.budget import document_budget
from .extract import ExtractError
from .extract.sandbox import extract_bounded
from .limits import MAX_DOCUMENT_BYTES
from .manifest import CompanySpec, DocumentSpec, Manifest, ManifestError
from .segment import detect_language, segment
from .versions import latest_version, record_version, sha256, version_with_text

__all__ = [
    "DocumentOutcome",
    "IngestReport",
    "PreparedDocument",
    "ingest_document",
    "ingest_manifest",
    "prepare_document",
    "record_document",
    "upsert_company",
    "upsert_document",
]


@dataclass
class DocumentOutcome:
    company: str
    key: str
    status: str  # "new" (version added) | "current" (unchanged) | "error"
    version: int | None = None
    passages: int = 0
    message: str = ""


@dataclass
class IngestReport:
    outcomes: list[DocumentOutcome] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return sum(1 for o in self.outcomes if o.status != "error")

    @property
    def new_versions(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "new")

    @property
    def errors(self) -> list[DocumentOutcome]:
        return [o for o in self.outcomes if o.status == "error"]

    def summary(self) -> str:
        return f"documents: {self.documents}  new versions: {self.new_versions}  errors: {len(self.errors)}"


def upsert_company(session: Session, spec: CompanySpec) -> Company:
    company = session.scalars(select(Company).where(Company.key == spec.id)).first()
    if company is None:
        company = Company(key=spec.id, name=spec.name, type=spec.type)
        session.add(company)
        session.flush()
    else:
        company.name, company.type, company.updated_at = spec.name, spec.type, utcnow()
    existing = {s.key: s for s in company.services}
    for s in spec.services:
        if s.id in existing:
            existing[s.id].kind = s.kind
        else:
            session.add(Service(company_id=company.id, key=s.id, kind=s.kind))
    session.flush()
    return company


def upsert_document(session: Session, company: Company, spec: DocumentSpec) -> Document:
    doc = session.scalars(
        select(Document).where(Document.company_id == company.id, Document.key == spec.key)
    ).first()
    meta = {**spec.meta}
    for k in ("language", "version_date", "accessed"):
        v = getattr(spec, k)
        if v is not None:
            meta[k] = v.isoformat() if isinstance(v, date) else v
    if doc is None:
        doc = Document(company_id=company.id, key=spec.key)
        session.add(doc)
    doc.title, doc.url, doc.type = spec.title, spec.url, spec.type
    doc.levels = list(spec.levels) if spec.levels is not None else None
    doc.meta = meta
    session.flush()
    return doc


MAX_BYTES = MAX_DOCUMENT_BYTES  # same cap as the fetcher's default


def read_local(spec: DocumentSpec, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a manifest's local file (size-capped)."""
    assert spec.path is not None
    try:
        size = spec.path.stat().st_size
        if size > max_bytes:
            raise ExtractError(f"file larger than the {max_bytes // 2**20} MiB cap ({size / 2**20:.0f} MiB)")
        return spec.path.read_bytes()
    except OSError as exc:
        raise ExtractError(f"cannot read {spec.path}: {exc.strerror or exc}") from None


@dataclass
class PreparedDocument:
    """A document read, extracted and segmented, ready to be recorded (no database involved)."""

    raw: bytes
    text: str
    format: str
    charset: str | None
    language: str | None
    title: str | None
    pages: int | None
    passages: list = field(default_factory=list)  # segment(text)
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None


def prepare_document(
    spec: DocumentSpec,
    *,
    raw: bytes | None = None,
    fetcher=None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> PreparedDocument | None:
    """Read (``raw``, the local file, or a fetch), extract and segment one document.

    Returns ``None`` when a conditional request says the document is unchanged. Raises
    :class:`ExtractError` (``BudgetExceeded`` past the document's time budget), ``FetchError`` or
    ``ManifestError`` (a field the manifest check refused). Touches no database: the slow part of ingestion runs
    outside any transaction, so it never holds the database's write lock.
    """
    if spec.problem:  # a field the manifest check refused: this document alone is left out
        raise ManifestError(spec.problem)
    info: dict = {}
    final_url = None
    if raw is None and spec.path is not None:
        raw = read_local(spec)
    if raw is not None:
        info["filename"] = spec.path.name if spec.path is not None else (spec.url or "").rsplit("/", 1)[-1] or None
    else:
        if fetcher is None:
            raise ExtractError("URL documents need fetching; no fetcher configured")
        result = fetcher.fetch(spec.url, etag=etag, last_modified=last_modified)
        if result.status == 304:
            return None
        raw, etag, last_modified, final_url = result.content, result.etag, result.last_modified, result.url
        info = {
            "filename": spec.url.rsplit("/", 1)[-1] or None,
            "content_type": result.content_type,
            "declared_charset": result.charset,
        }
    with document_budget():  # extraction and segmentation: BudgetExceeded (an ExtractError) when over
        ex = extract_bounded(raw, **info)  # PDF and HTML: in a child process limited in memory and time
        language = spec.language or detect_language(ex.text)
        passages = segment(ex.text, language=language)
    return PreparedDocument(
        raw=raw, text=ex.text, format=ex.format, charset=ex.charset, language=language, title=ex.title, pages=ex.pages,
        passages=passages, final_url=final_url, etag=etag, last_modified=last_modified,
    )


def record_document(session: Session, company_key: str, spec: DocumentSpec, prepared: PreparedDocument | None) -> DocumentOutcome:
    """Record a prepared document in the caller's (short) transaction."""
    company = session.scalars(select(Company).where(Company.key == company_key)).one()
    doc = upsert_document(session, company, spec)
    if prepared is None:
        latest = latest_version(session, doc)
        return DocumentOutcome(company.key, spec.key, "current", latest.seq if latest else None)
    if spec.path is None:
        doc.etag, doc.last_modified = prepared.etag, prepared.last_modified
    first = latest_version(session, doc) is None
    version = record_version(
        session,
        doc,
        text=prepared.text,
        raw=prepared.raw,
        format=prepared.format,
        charset=prepared.charset,
        language=prepared.language,
        # a URL's later texts are not the one the manifest's dates describe: they date from their recording
        version_date=(spec.version_date or spec.accessed) if spec.path is not None or first else None,
        source=prepared.final_url or spec.url if spec.path is None else spec.key,
        meta={k: v for k, v in {"title": prepared.title, "pages": prepared.pages, "accessed": spec.accessed and spec.accessed.isoformat()}.items() if v},
        passages=prepared.passages,
    )
    if version is None:  # a text recorded before (perhaps an older one: it does not become current)
        known = version_with_text(session, doc, sha256(prepared.text))
        return DocumentOutcome(company.key, spec.key, "current", known.seq if known else None)
    return DocumentOutcome(company.key, spec.key, "new", version.seq, len(version.passages))


def ingest_document(store: Store, company_key: str, spec: DocumentSpec, *, raw: bytes | None = None, fetcher=None) -> DocumentOutcome:
    """Ingest one document: prepare it outside any transaction, record it in one short transaction
    (retried while the database is busy, and safe to run twice: a text already recorded is
    "current"). A document that cannot be read is reported, not raised."""
    from .fetch import FetchError

    try:
        etag = last_modified = None
        if raw is None and spec.path is None:
            with store.session() as s:  # a read: the validators of the last fetch
                doc = s.scalars(
                    select(Document).join(Company).where(Company.key == company_key, Document.key == spec.key)
                ).first()
                if doc is not None:
                    etag, last_modified = doc.etag, doc.last_modified
        prepared = prepare_document(spec, raw=raw, fetcher=fetcher, etag=etag, last_modified=last_modified)
    except (ExtractError, FetchError, ManifestError) as exc:
        return DocumentOutcome(company_key, spec.key, "error", message=str(exc))
    return store.write(lambda s: record_document(s, company_key, spec, prepared), conflicts=True, what=f"recording {spec.key}")


def ingest_task(store_url: str, company_key: str, spec: DocumentSpec, raw: bytes | None, allow_private: bool = False) -> DocumentOutcome:
    """One document, on a worker: the store and (for URLs) a fetcher are the worker's own."""
    from .fetch import task_fetcher
    from ..store.tasks import task_store

    fetcher = task_fetcher(allow_private) if raw is None and spec.path is None else None
    return ingest_document(task_store(store_url), company_key, spec, raw=raw, fetcher=fetcher)


def ingest_manifest(
    store: Store,
    manifest: Manifest,
    *,
    fetcher=None,
    runner=None,
    store_url: str | None = None,
    allow_private: bool = False,
    on_document: Callable[[DocumentOutcome], None] | None = None,
) -> IngestReport:
    """Ingest every document, each in its own short transaction, so that one failure loses nothing
    else. With a ``runner`` (see :mod:`rightsindex.run.runner`), documents are read and extracted as
    one task each, on the runner's workers (local files are read here and sent with the task;
    URLs are fetched by the worker, with the same guards, ``allow_private`` included); the report
    lists outcomes in manifest order either way.
    """
    report = IngestReport()
    for cspec in manifest.companies:
        store.write(lambda s, c=cspec: upsert_company(s, c), conflicts=True, what=f"company {cspec.id}")

    def done(outcome: DocumentOutcome) -> None:
        report.outcomes.append(outcome)
        if on_document:
            on_document(outcome)

    if runner is None:
        for cspec in manifest.companies:
            for dspec in cspec.documents:
                done(ingest_document(store, cspec.id, dspec, fetcher=fetcher))
    else:
        if store_url is None:
            raise ValueError("ingest_manifest with a runner needs store_url (workers open the store by URL)")

        def size(d: DocumentSpec) -> int:
            try:
                return d.path.stat().st_size if d.path is not None else 0
            except OSError:
                return 0

        # the largest documents first, so that no worker is left with a long one at the end
        docs = sorted(((c, d) for c in manifest.companies for d in c.documents), key=lambda cd: -size(cd[1]))

        def tasks():
            for cspec, dspec in docs:
                raw = None
                if dspec.problem:  # refused by the manifest check: nothing of it is read
                    done(DocumentOutcome(cspec.id, dspec.key, "error", message=dspec.problem))
                    continue
                if dspec.path is not None:
                    try:
                        raw = read_local(dspec)
                    except ExtractError as exc:
                        done(DocumentOutcome(cspec.id, dspec.key, "error", message=str(exc)))
                        continue
                yield (store_url, cspec.id, dspec, raw, allow_private)

        for outcome in runner.map(ingest_task, tasks(), name="ingest"):
            done(outcome)
    order = {}
    for cspec in manifest.companies:
        for dspec in cspec.documents:
            order.setdefault((cspec.id, dspec.key), len(order))
    report.outcomes.sort(key=lambda o: order.get((o.company, o.key), len(order)))
    return report


def version_in_force(session: Session | None, document: Document, when: date) -> Version | None:
    """The version in force on ``when`` (see ``versions.version_in_force``)."""
    from .versions import version_in_force as in_force

    return in_force(document.versions, when)

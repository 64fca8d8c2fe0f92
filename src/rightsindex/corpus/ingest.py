"""Ingest a manifest into the store: one transaction per document, failures reported and skipped.

A document is read (local file or URL), extracted to normalised text, and recorded as a new version
only when that text differs from its latest version. Re-running the same manifest adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store import Store
from ..store.models import Company, Document, Service, Version, utcnow
from .budget import document_budget
from .extract import ExtractError, extract
from .manifest import CompanySpec, DocumentSpec, Manifest, ManifestError
from .segment import detect_language
from .versions import latest_version, record_version, sha256, version_with_text

__all__ = ["DocumentOutcome", "IngestReport", "ingest_manifest", "upsert_company", "upsert_document"]


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


MAX_BYTES = 20 * 2**20  # same cap as the fetcher's default


def _read(spec: DocumentSpec, fetcher, doc: Document, max_bytes: int = MAX_BYTES) -> tuple[bytes | None, dict]:
    """Raw bytes of a document (None when a conditional request says it is unchanged)."""
    if spec.path is not None:
        try:
            size = spec.path.stat().st_size
            if size > max_bytes:
                raise ExtractError(f"file larger than the {max_bytes // 2**20} MiB cap ({size / 2**20:.0f} MiB)")
            return spec.path.read_bytes(), {"filename": spec.path.name}
        except OSError as exc:
            raise ExtractError(f"cannot read {spec.path}: {exc.strerror or exc}") from None
    if fetcher is None:
        raise ExtractError("URL documents need fetching; no fetcher configured")
    result = fetcher.fetch(spec.url, etag=doc.etag, last_modified=doc.last_modified)
    if result.status == 304:
        return None, {}
    doc.etag, doc.last_modified = result.etag, result.last_modified
    return result.content, {
        "filename": spec.url.rsplit("/", 1)[-1] or None,
        "content_type": result.content_type,
        "declared_charset": result.charset,
        "final_url": result.url,
    }


def ingest_document(session: Session, company: Company, spec: DocumentSpec, fetcher=None) -> DocumentOutcome:
    if spec.problem:  # a field the manifest check refused: this document alone is left out
        raise ManifestError(spec.problem)
    doc = upsert_document(session, company, spec)
    raw, info = _read(spec, fetcher, doc)
    if raw is None:
        latest = latest_version(session, doc)
        return DocumentOutcome(company.key, spec.key, "current", latest.seq if latest else None)
    final_url = info.pop("final_url", None)
    first = latest_version(session, doc) is None
    with document_budget():  # extraction and segmentation: BudgetExceeded (an ExtractError) when over
        ex = extract(raw, **info)
        language = spec.language or detect_language(ex.text)
        version = record_version(
            session,
            doc,
            text=ex.text,
            raw=raw,
            format=ex.format,
            charset=ex.charset,
            language=language,
            # a URL's later texts are not the one the manifest's dates describe: they date from their recording
            version_date=(spec.version_date or spec.accessed) if spec.path is not None or first else None,
            source=final_url or spec.url if spec.path is None else spec.key,
            meta={k: v for k, v in {"title": ex.title, "pages": ex.pages, "accessed": spec.accessed and spec.accessed.isoformat()}.items() if v},
        )
    if version is None:  # a text recorded before (perhaps an older one: it does not become current)
        known = version_with_text(session, doc, sha256(ex.text))
        return DocumentOutcome(company.key, spec.key, "current", known.seq if known else None)
    return DocumentOutcome(company.key, spec.key, "new", version.seq, len(version.passages))


def ingest_manifest(
    store: Store,
    manifest: Manifest,
    *,
    fetcher=None,
    on_document: Callable[[DocumentOutcome], None] | None = None,
) -> IngestReport:
    """Ingest every document; each in its own transaction so that one failure loses nothing else."""
    from .fetch import FetchError

    report = IngestReport()
    for cspec in manifest.companies:
        with store.session() as s:
            upsert_company(s, cspec)
        for dspec in cspec.documents:
            try:
                with store.session() as s:
                    company = s.scalars(select(Company).where(Company.key == cspec.id)).one()
                    outcome = ingest_document(s, company, dspec, fetcher)
            except (ExtractError, FetchError, ManifestError) as exc:
                outcome = DocumentOutcome(cspec.id, dspec.key, "error", message=str(exc))
            report.outcomes.append(outcome)
            if on_document:
                on_document(outcome)
    return report


def version_in_force(session: Session | None, document: Document, when: date) -> Version | None:
    """The version in force on ``when`` (see ``versions.version_in_force``)."""
    from .versions import version_in_force as in_force

    return in_force(document.versions, when)

"""Record an Open Terms Archive history (see ``ota``) as document versions in the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import select

from ..store import Store
from ..store.models import Document, Version
from .extract import normalise_text
from .ingest import upsert_company, upsert_document
from .manifest import CompanySpec, DocumentSpec, ServiceSpec
from .ota import OTAVersion
from .segment import detect_language
from .versions import record_version


@dataclass
class ImportResult:
    key: str
    added: int
    existing: int


def document_key(service: str, terms_type: str) -> str:
    return f"ota:{service}/{terms_type}"


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
    """Append each OTA version (oldest first) whose commit is not stored yet; one transaction.

    ``document``: file the versions under this document key — a manifest's document (its path
    or URL as the manifest gives it), so that ``assess`` grades its history — instead of
    ``ota:<service>/<terms type>``. A version whose text the document already holds is not
    recorded again (``versions.record_version``)."""
    key = document or document_key(service, terms_type)
    added = existing = 0
    with store.session() as s:
        from ..store.models import Company

        known = s.scalars(select(Company).where(Company.key == company)).first()
        services = tuple(ServiceSpec(x.key, x.kind) for x in known.services) if known else ()
        if not any(x.id == service for x in services):
            services = (*services, ServiceSpec(service, ""))
        comp = upsert_company(
            s, CompanySpec(id=company, name=known.name if known else company, type=known.type if known else company_type, services=services, documents=())
        )
        existing_doc = s.scalars(select(Document).where(Document.company_id == comp.id, Document.key == key)).first() if document else None
        if existing_doc is not None:  # a manifest's document: keep what the manifest says of it
            doc = existing_doc
            doc.meta = {**(doc.meta or {}), "ota_service": service, "ota_type": terms_type}
        else:
            doc = upsert_document(
                s,
                comp,
                DocumentSpec(
                    key=key,
                    title=f"{service} {terms_type}",
                    type="-".join(terms_type.lower().split()),
                    meta={"source": "Open Terms Archive", "ota_service": service, "ota_type": terms_type},
                ),
            )
        stored = set(s.scalars(select(Version.source).where(Version.document_id == doc.id)))
        for v in versions:
            source = f"ota:{v.commit}"
            if source in stored:
                existing += 1
                continue
            text = normalise_text(v.text)
            new = record_version(
                s,
                doc,
                text=text,
                raw=v.text.encode("utf-8"),
                format="markdown",
                charset="utf-8",
                language=detect_language(text),
                version_date=v.date.date(),
                recorded_at=v.date,
                source=source,
                meta={"commit": v.commit, "subject": v.subject, "event": v.event, "path": v.path},
            )
            if new is None:
                existing += 1
            else:
                added += 1
    return ImportResult(key=key, added=added, existing=existing)

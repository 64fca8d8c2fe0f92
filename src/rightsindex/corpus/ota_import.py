"""Record an Open Terms Archive history (see ``ota``) as document versions in the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import select

from ..store import Store
from ..store.models import Version
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
) -> ImportResult:
    """Append each OTA version (oldest first) whose commit is not stored yet; one transaction."""
    key = document_key(service, terms_type)
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

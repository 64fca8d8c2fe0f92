"""Versions: append a document's text when (and only when) it is a text not recorded before; order
versions by the document's own date; diff two versions passage by passage, with a character-level
diff inside changed passages.

Order. A version is in force from its *date*: the document's own date where one is known
(``version_date``: the manifest's, or an Open Terms Archive commit date), else the day it was
recorded. Versions are ordered by that date, then by recording order (``seq``); the *current*
version is the last in that order, and the version in force on a day is the last one dated on or
before it. ``seq`` only counts recordings: a text first seen late (an older manifest run again,
a back-filled history) is appended with the next ``seq`` but takes its place by date.

Diffs live in ``diff`` (imported here for the callers that know them from here).

Never twice, except a revert. The current text read again adds nothing, and neither does an older
copy of a policy with its own date earlier than the current version's (an older manifest run
again). A text of an earlier version that *comes back* is a new version, since from then on the
document reads it again (``A → B → A``):

- with a date after the current version's (a dated history; within one day, recorded later when
  the source gives the time, as Open Terms Archive commits do);
- without a date (a page fetched again, a file without ``version_date``): it is what the document
  says now, in force from its recording. Unless every version after the earlier one with this
  text only re-read it differently (``extraction_only``: the same raw bytes, or a change its
  source marks as extraction-only): then the text is the same document content, not a revert.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..store.models import Blob, Document, Passage, Version, utcnow
from .diff import DiffEntry, DiffTooLarge, VersionDiff, diff_passages, diff_versions
from .segment import segment

__all__ = [
    "DiffEntry",
    "DiffTooLarge",
    "VersionDiff",
    "current_version",
    "current_versions",
    "day_of",
    "diff_passages",
    "diff_versions",
    "extraction_only",
    "in_force_date",
    "latest_version",
    "order_key",
    "record_version",
    "sha256",
    "version_in_force",
    "version_with_text",
]


def sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def day_of(at: datetime | str) -> date:
    """The day of a stored time (SQLite may hand back text: its first ten characters)."""
    return at.date() if isinstance(at, datetime) else date.fromisoformat(str(at)[:10])


def in_force_date(version: Version) -> date:
    """The day a version is in force from: its own date, else the day it was recorded."""
    return version.version_date if version.version_date is not None else day_of(version.recorded_at)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def order_key(version: Version) -> tuple[date, int]:
    """Versions sort by the day they are in force from, then by recording order."""
    return (in_force_date(version), version.seq)


def current_version(versions: Sequence[Version]) -> Version | None:
    """The version in force now: the last by date (then recording order)."""
    return max(versions, key=order_key) if versions else None


def version_in_force(versions: Sequence[Version], when: date) -> Version | None:
    """The version in force on ``when``: the last one dated on or before that day (None: none yet)."""
    return current_version([v for v in versions if in_force_date(v) <= when])


def latest_version(session: Session, document: Document) -> Version | None:
    """The document's current version (by date, then recording order; see the module's notes)."""
    return current_version(list(session.scalars(select(Version).where(Version.document_id == document.id))))


def current_versions(session: Session, document_ids: set[int] | Sequence[int]) -> dict[int, Version]:
    """The current version of each document, by document id."""
    ids = set(document_ids)
    if not ids:
        return {}
    found: dict[int, list[Version]] = {}
    for v in session.scalars(select(Version).where(Version.document_id.in_(ids))):
        found.setdefault(v.document_id, []).append(v)
    return {doc: current_version(vs) for doc, vs in found.items()}


def version_with_text(session: Session, document: Document, digest: str) -> Version | None:
    """The latest-recorded version of the document whose normalised text has this SHA-256."""
    return session.scalars(
        select(Version).where(Version.document_id == document.id, Version.text_sha256 == digest).order_by(Version.seq.desc()).limit(1)
    ).first()


def extraction_only(version: Version, before: Version) -> bool:
    """Whether ``version`` differs from the one before it only by extraction: the same raw bytes
    read again (a changed extractor), or a version its source marks as an extraction change
    (Open Terms Archive's "Refilter" / "Apply technical or declaration upgrade")."""
    if version.raw_sha256 and version.raw_sha256 == before.raw_sha256:
        return True
    return (version.meta or {}).get("event") == "extraction"


def _comes_back(versions: Sequence[Version], digest: str, version_date: date | None, recorded_at: datetime | None) -> bool:
    """Whether a text recorded before, read again, is a revert to record (see the module's notes)."""
    chain = sorted(versions, key=order_key)
    current = chain[-1]
    if current.text_sha256 == digest:
        return False
    if version_date is not None:  # dated: only when later than the current version
        return version_date > in_force_date(current) or (
            version_date == in_force_date(current) and recorded_at is not None and _utc(recorded_at) > _utc(current.recorded_at)
        )
    last = max(i for i, v in enumerate(chain) if v.text_sha256 == digest)
    return not all(extraction_only(chain[k], chain[k - 1]) for k in range(last + 1, len(chain)))


def store_blob(session: Session, data: bytes) -> str:
    digest = sha256(data)
    if session.get(Blob, digest) is None:
        session.add(Blob(sha256=digest, size=len(data), data=data))
    return digest


def record_version(
    session: Session,
    document: Document,
    *,
    text: str,
    format: str,
    raw: bytes | None = None,
    charset: str | None = None,
    language: str | None = None,
    version_date: date | None = None,
    recorded_at: datetime | None = None,
    source: str | None = None,
    meta: dict | None = None,
    passages: Sequence | None = None,
) -> Version | None:
    """Append ``text`` as a version of the document unless that text is recorded already.

    Returns the new version, or ``None`` when the text is known (see the module's notes: a text
    recorded before is a new version only when it comes back after another). The version takes its
    place among the others by ``version_date`` (else ``recorded_at``). The caller owns the
    transaction (one per document), so a failure leaves nothing half-written. ``passages``: the
    text's ``segment()`` when the caller computed it before the transaction (so that no write
    lock is held while segmenting).
    """
    digest = sha256(text)
    if version_with_text(session, document, digest) is not None:
        known = list(session.scalars(select(Version).where(Version.document_id == document.id)))
        if not _comes_back(known, digest, version_date, recorded_at):
            return None
    seq = (session.scalar(select(func.max(Version.seq)).where(Version.document_id == document.id)) or 0) + 1
    version = Version(
        document_id=document.id,
        seq=seq,
        text_sha256=digest,
        text=text,
        raw_sha256=store_blob(session, raw) if raw is not None else None,
        format=format,
        charset=charset,
        language=language,
        version_date=version_date,
        recorded_at=recorded_at or utcnow(),
        source=source,
        meta=meta or {},
    )
    session.add(version)
    session.flush()
    for p in passages if passages is not None else segment(text, language=language):
        session.add(
            Passage(
                version_id=version.id,
                seq=p.seq,
                start=p.start,
                end=p.end,
                kind=p.kind,
                heading=p.heading,
                language=p.language,
                text=p.text,
                text_sha256=sha256(p.text),
                sentences=[list(s) for s in p.sentences],
            )
        )
    session.flush()
    return version


# -- diff: see ``diff`` (linear in the passages, within a size and time budget) ---------------------

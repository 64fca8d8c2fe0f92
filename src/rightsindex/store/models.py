"""SQLAlchemy 2 models. Schema changes go through Alembic migrations (``store/migrations``).

History is appended, never overwritten: a document gains versions; a version's text and passages
never change once written.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    Float,
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON}


class Company(Base):
    __tablename__ = "company"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # the manifest's stable id
    name: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(100))  # "Digital Platform" | "Telecommunication"
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    services: Mapped[list[Service]] = relationship(back_populates="company", order_by="Service.id")
    documents: Mapped[list[Document]] = relationship(back_populates="company", order_by="Document.id")


class Service(Base):
    __tablename__ = "service"
    __table_args__ = (UniqueConstraint("company_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(100), default="")

    company: Mapped[Company] = relationship(back_populates="services")


class Document(Base):
    """A policy document of a company, identified by its manifest path, URL or OTA source."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("company_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(1000))  # manifest path (or url / ota:…): stable identity
    title: Mapped[str] = mapped_column(String(1000), default="")
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    levels: Mapped[list | None] = mapped_column(JSON, nullable=True)  # None = all levels
    meta: Mapped[dict] = mapped_column(JSON, default=dict)  # other manifest keys, kept verbatim
    # validators of the last successful fetch (conditional requests)
    etag: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    company: Mapped[Company] = relationship(back_populates="documents")
    versions: Mapped[list[Version]] = relationship(back_populates="document", order_by="Version.seq")


class Blob(Base):
    """Raw bytes as received, content-addressed by SHA-256."""

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Version(Base):
    """One text of a document. Recorded only when the normalised text changes."""

    __tablename__ = "version"
    __table_args__ = (UniqueConstraint("document_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, … per document
    text_sha256: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    raw_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"), nullable=True)
    format: Mapped[str] = mapped_column(String(20))  # html | pdf | markdown | text
    charset: Mapped[str | None] = mapped_column(String(50), nullable=True)
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    version_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # in force from (per source)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    source: Mapped[str | None] = mapped_column(String(2000), nullable=True)  # path, URL or ota:commit
    meta: Mapped[dict] = mapped_column(JSON, default=dict)

    document: Mapped[Document] = relationship(back_populates="versions")
    passages: Mapped[list[Passage]] = relationship(back_populates="version", order_by="Passage.seq")


class Passage(Base):
    """A paragraph, list item, table row or heading of a version, with offsets into its text."""

    __tablename__ = "passage"
    __table_args__ = (UniqueConstraint("version_id", "seq"), Index("ix_passage_text_sha256", "text_sha256"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)  # code-point offsets into version.text
    end: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # paragraph | item | table | heading
    heading: Mapped[str] = mapped_column(Text, default="")  # heading path, " > "-joined
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    sentences: Mapped[list] = mapped_column(JSON, default=list)  # [[start, end], …] relative to passage

    version: Mapped[Version] = relationship(back_populates="passages")





# -- evidence and assessments ---------------------------------------------------------------------


class Embedding(Base):
    """Cached sentence vector of a text under one model (float16 bytes)."""

    __tablename__ = "embedding"

    model: Mapped[str] = mapped_column(String(40), primary_key=True)
    text_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class Assessment(Base):
    """One run of ``assess`` over one manifest. Never updated after it finishes, only appended."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)  # resume key: manifest+models+prior
    index: Mapped[str] = mapped_column(String(100), default="")
    methodology: Mapped[str] = mapped_column(String(50))
    manifest_path: Mapped[str] = mapped_column(String(2000), default="")
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(100))
    prior_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # graded the document versions in force on this day (None: the current versions)
    as_of: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | done
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)

    runs: Mapped[list[CompanyRun]] = relationship(back_populates="assessment", order_by="CompanyRun.id")


class CompanyRun(Base):
    """The judgments of one company in one assessment, committed together."""

    __tablename__ = "company_run"
    __table_args__ = (UniqueConstraint("assessment_id", "company_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    company_key: Mapped[str] = mapped_column(String(200))
    cache_key: Mapped[str] = mapped_column(String(64), index=True)  # inputs fingerprint: reuse when equal
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    reused_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)  # versions used, counts

    assessment: Mapped[Assessment] = relationship(back_populates="runs")
    judgments: Mapped[list[Judgment]] = relationship(back_populates="run", order_by="Judgment.id")
    items: Mapped[list[ItemJudgment]] = relationship(back_populates="run", order_by="ItemJudgment.id")


class Judgment(Base):
    """A grade for one element at one level, with its evidence (automated; analysts' decisions live
    in the review tables and win in scoring)."""

    __tablename__ = "judgment"
    __table_args__ = (UniqueConstraint("run_id", "level", "element"), Index("ix_judgment_element", "element"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("company_run.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(200))
    service_kind: Mapped[str | None] = mapped_column(String(50), nullable=True)  # RDR type; None = company level
    element: Mapped[str] = mapped_column(String(20))
    result: Mapped[str] = mapped_column(String(30))  # yes | partial | no | no disclosure found | NA
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    probabilities: Mapped[dict] = mapped_column(JSON, default=dict)
    # [{"passage_id", "version_id", "path", "version", "start", "end", "text", "score"}, …]
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    prior_result: Mapped[str | None] = mapped_column(String(30), nullable=True)
    prior_relation: Mapped[str | None] = mapped_column(String(20), nullable=True)  # confirmed | changed | carried
    comment: Mapped[str] = mapped_column(Text, default="")
    # what the judgment read: SHA-256 over the model and the substance of its evidence passages
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # how it relates to the same element in the run it was re-graded from (``regrade``):
    # {"status": "kept" | "regraded", "base": judgment id, "reason": …, "removed": […], "added": […]}
    change: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    run: Mapped[CompanyRun] = relationship(back_populates="judgments")


class ItemJudgment(Base):
    """A notice duty (an item of a framework such as ``gdpr-notice``) at one service of one
    company: disclosed, partly disclosed or not found, with the passages cited (the first earns it,
    or is the closest) and why."""

    __tablename__ = "item_judgment"
    __table_args__ = (UniqueConstraint("run_id", "framework", "level", "item"), Index("ix_item_judgment_item", "framework", "item"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("company_run.id", ondelete="CASCADE"), index=True)
    framework: Mapped[str] = mapped_column(String(50))
    item: Mapped[str] = mapped_column(String(60))
    article: Mapped[str] = mapped_column(String(60), default="")
    level: Mapped[str] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(String(30))  # disclosed | partly disclosed | not found
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    probability: Mapped[float | None] = mapped_column(Float, nullable=True)  # the first cited passage carries it
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    why: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str | None] = mapped_column(String(40), nullable=True)

    run: Mapped[CompanyRun] = relationship(back_populates="items")


class GradeChange(Base):
    """A grade that moved between two assessments of one manifest, as ``watch`` found it: the feed.
    Append-only history (never updated)."""

    __tablename__ = "grade_change"
    __table_args__ = (
        UniqueConstraint("assessment_id", "company_key", "level", "element"),
        Index("ix_grade_change_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    previous_assessment_id: Mapped[int] = mapped_column(Integer)
    manifest_path: Mapped[str] = mapped_column(String(2000), default="")
    company_key: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(200))
    element: Mapped[str] = mapped_column(String(80))  # an element id, or "framework:item" for a notice duty
    before: Mapped[str] = mapped_column(String(30))
    after: Mapped[str] = mapped_column(String(30))
    direction: Mapped[str] = mapped_column(String(20))  # improved | declined | changed
    document: Mapped[str] = mapped_column(String(1000), default="")  # the document key whose change moved it
    comment: Mapped[str] = mapped_column(Text, default="")  # generated, RDR's year-on-year style
    excerpt: Mapped[str] = mapped_column(Text, default="")  # the passage-level diff, as text
    detail: Mapped[dict] = mapped_column(JSON, default=dict)  # versions on both sides, passages


# -- review room and accounts -----------------------------------------------------------------------
# Analysts' decisions live apart from the automated judgments: keyed by (methodology, company key,
# level, element, research step), never by assessment, so they carry over to later assessments and a
# re-run of ``assess`` cannot overwrite them. Every change is written to an append-only audit log.

from sqlalchemy import Boolean, event  # noqa: E402
from sqlalchemy.orm import Session as _Session  # noqa: E402


class ReviewDecision(Base):
    """An analyst's answer for one element at one level, at one research step."""

    __tablename__ = "review_decision"
    __table_args__ = (
        UniqueConstraint("methodology", "company_key", "level", "element", "step"),
        Index("ix_review_decision_company", "company_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    methodology: Mapped[str] = mapped_column(String(50))
    company_key: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(200))
    element: Mapped[str] = mapped_column(String(20))
    step: Mapped[str] = mapped_column(String(20))  # primary | review | final
    result: Mapped[str] = mapped_column(String(30))  # yes | partial | no | no disclosure found | NA
    comment: Mapped[str] = mapped_column(Text, default="")
    # passages the decision rests on, in the shape of Judgment.evidence
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    auto_result: Mapped[str | None] = mapped_column(String(30), nullable=True)  # the automated grade seen
    assessment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # made on this assessment
    # {document id: latest version id} of the evidence documents when the decision was last confirmed
    basis: Mapped[dict] = mapped_column(JSON, default=dict)
    needs_rereview: Mapped[bool] = mapped_column(Boolean, default=False)
    rereview_reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewComment(Base):
    """A note in the discussion of one element at one level (append-only)."""

    __tablename__ = "review_comment"
    __table_args__ = (Index("ix_review_comment_key", "company_key", "level", "element"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    methodology: Mapped[str] = mapped_column(String(50))
    company_key: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(200))
    element: Mapped[str] = mapped_column(String(20))
    step: Mapped[str | None] = mapped_column(String(20), nullable=True)
    assessment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    text: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """Who changed what, when: before and after. Append-only (see ``APPEND_ONLY``)."""

    __tablename__ = "review_audit"
    __table_args__ = (Index("ix_review_audit_key", "company_key", "level", "element"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(30))
    methodology: Mapped[str | None] = mapped_column(String(50), nullable=True)
    company_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    level: Mapped[str | None] = mapped_column(String(200), nullable=True)
    element: Mapped[str | None] = mapped_column(String(20), nullable=True)
    step: Mapped[str | None] = mapped_column(String(20), nullable=True)
    decision_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    assessment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class User(Base):
    """A local account. Passwords are stored as argon2 hashes only."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))  # viewer | analyst | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LoginFailure(Base):
    """A failed sign-in: when, for which user name, from which client address (login throttling,
    shared by every web worker; rows older than the throttling window are pruned)."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_at", "at"), Index("ix_login_failure_address", "address", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    username: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))


class UserSession(Base):
    """A signed-in browser. The cookie carries a signed random token; only its SHA-256 is stored."""

    __tablename__ = "app_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(token)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AppSetting(Base):
    """Per-database settings, e.g. the session-signing secret when RIGHTSINDEX_SECRET is not set."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AppendOnlyError(RuntimeError):
    """An attempt to change or delete a row of an append-only table."""


APPEND_ONLY = (AuditEntry, ReviewComment)
_APPEND_ONLY_TABLES = frozenset(m.__tablename__ for m in APPEND_ONLY)


def _refuse(mapper, connection, target) -> None:
    raise AppendOnlyError(f"{mapper.local_table.name} is append-only: rows are never updated or deleted")


for _model in APPEND_ONLY:
    event.listen(_model, "before_update", _refuse)
    event.listen(_model, "before_delete", _refuse)


@event.listens_for(_Session, "do_orm_execute")
def _refuse_bulk(state) -> None:
    """Bulk ``update()`` / ``delete()`` statements on append-only tables are refused too."""
    if (state.is_update or state.is_delete) and any(m.local_table.name in _APPEND_ONLY_TABLES for m in state.all_mappers):
        raise AppendOnlyError("review_audit and review_comment are append-only: rows are never updated or deleted")


import re as _re  # noqa: E402

from sqlalchemy.engine import Engine as _Engine  # noqa: E402

_RAW_CHANGE = _re.compile(
    r"^\s*(?:UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?(?:\s+ONLY)?|REPLACE\s+INTO|INSERT\s+OR\s+REPLACE\s+INTO)"
    r"\s+[\"`]?(?:review_audit|review_comment)\b",
    _re.IGNORECASE,
)


@event.listens_for(_Engine, "before_cursor_execute")
def _refuse_raw(conn, cursor, statement, parameters, context, executemany) -> None:
    """Hand-written SQL through SQLAlchemy is refused as well, REPLACE and TRUNCATE included (the
    database triggers of migrations 0003 and 0004 refuse it from any other client)."""
    if _RAW_CHANGE.match(statement):
        raise AppendOnlyError("review_audit and review_comment are append-only: rows are never updated or deleted")

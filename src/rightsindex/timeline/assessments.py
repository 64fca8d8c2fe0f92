"""Which assessment speaks for what: the day an assessment shows, the one shown by default, the one
that speaks for a date, and the one before it for a company.

- **The day it shows.** An ``--as-of`` assessment grades the versions in force on its as-of date;
  any other grades the versions current when it ran, so it shows the policies of the day it was
  made. ``shown`` says so in words, for every page, CSV and PDF.
- **The default.** What ``serve``, ``publish`` and the API show when no assessment is named: the
  latest finished full assessment of the current versions (not ``--as-of``, at least one company
  graded, no document left unread unless every one left one). As-of assessments (``assess --as-of``, ``history``) are shown only when named
  (``--assessment ID``, ``?assessment=ID``).
- **A date.** ``resolve_assessment("2025-12-31")`` is the as-of assessment of that date, else the
  assessment whose graded versions were all in force that day (of several, the latest), by the
  versions themselves and not by the day a run was made; an error names the date when no
  assessment speaks for it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..corpus.versions import day_of
from ..store.models import Assessment, Company, CompanyRun, Document, Version

__all__ = [
    "AssessmentError",
    "assessment_day",
    "default_assessment",
    "graded_between",
    "label",
    "previous_assessment",
    "resolve_assessment",
    "shown",
    "speaks_for",
]


class AssessmentError(ValueError):
    """No assessment answers the name or date given; the message says which and what to run."""


def assessment_day(a: Assessment) -> date:
    """The day an assessment speaks for: its as-of date, else the day it was made."""
    return a.as_of if a.as_of is not None else day_of(a.created_at)


def shown(a: Assessment) -> dict:
    """Which policies an assessment shows, as data and in words: ``{"as_of", "day", "short",
    "text"}`` (``as_of`` null unless it is an ``--as-of`` assessment; ``short`` without the id)."""
    day = assessment_day(a).isoformat()
    if a.as_of is not None:
        return {"as_of": day, "day": day, "short": f"policies in force on {day}", "text": f"policies in force on {day} (as-of assessment #{a.id})"}
    return {"as_of": None, "day": day, "short": f"policies current on {day}",
            "text": f"policies current on {day} (assessment #{a.id} of the latest versions)"}


def label(a: Assessment) -> str:
    """How an assessment is named in RDR's Index / PrevIndex columns: its as-of date, else its edition."""
    return a.as_of.isoformat() if a.as_of is not None else (a.index or f"#{a.id}")


def default_assessment(session, *, edition: str | None = None, finished: bool = True) -> Assessment | None:
    """The latest full assessment of the current versions: not ``--as-of``, at least one company
    graded, every document of its manifest read (a pass whose fetch failed is
    ``meta["incomplete"]``; when every one is, the latest of them). Finished ones only, unless
    ``finished`` is false (then a running one when none is finished)."""
    q = select(Assessment).where(Assessment.as_of.is_(None), Assessment.id.in_(select(CompanyRun.assessment_id)))
    if edition:
        q = q.where(Assessment.index == edition)

    def full(rows) -> Assessment | None:
        rows = list(rows)
        return next((a for a in rows if not (a.meta or {}).get("incomplete")), rows[0] if rows else None)

    done = full(session.scalars(q.where(Assessment.status == "done").order_by(Assessment.finished_at.desc(), Assessment.id.desc())))
    if done is not None or finished:
        return done
    return full(session.scalars(q.order_by(Assessment.id.desc())))


def as_of_list(session, limit: int = 5) -> str:
    """The latest as-of assessments, for an error message: ``#3 (2025-12-31), #2 (2021-11-01)``."""
    rows = session.scalars(
        select(Assessment).where(Assessment.as_of.is_not(None)).order_by(Assessment.id.desc()).limit(limit)
    ).all()
    return ", ".join(f"#{a.id} ({a.as_of.isoformat()})" for a in rows)


# -- a date --------------------------------------------------------------------------------------------


def _in_force(session, when: date):
    """A function (company key, document key) → id of the version in force on ``when`` (None: none)."""
    from ..corpus.versions import version_in_force

    cache: dict[tuple[str, str], int | None] = {}

    def version(company: str, key: str) -> int | None:
        if (company, key) not in cache:
            doc = session.scalars(
                select(Document).join(Company, Company.id == Document.company_id).where(Company.key == company, Document.key == key)
            ).first()
            v = version_in_force(doc.versions, when) if doc is not None else None
            cache[(company, key)] = v.id if v is not None else None
        return cache[(company, key)]

    return version


def _same_text(session, a: int, b: int) -> bool:
    if a == b:
        return True
    shas = dict(session.execute(select(Version.id, Version.text_sha256).where(Version.id.in_((a, b)))).all())
    return shas.get(a) is not None and shas.get(a) == shas.get(b)


def _documents_of(session, a: Assessment) -> set[tuple[str, str]]:
    """(company, document) pairs of the assessment's manifest: every document any assessment of the
    same manifest graded (an as-of one leaves out what was not in force yet)."""
    q = select(CompanyRun.company_key, CompanyRun.meta)
    q = q.join(Assessment, Assessment.id == CompanyRun.assessment_id).where(Assessment.manifest_path == a.manifest_path) if a.manifest_path else q.where(CompanyRun.assessment_id == a.id)
    return {(company, key) for company, meta in session.execute(q) for key in ((meta or {}).get("versions") or {})}


def speaks_for(session, a: Assessment, when: date, in_force=None, documents: set[tuple[str, str]] | None = None) -> bool:
    """Whether the assessment graded exactly the policies in force on ``when``: every document of
    its manifest in force that day at that day's version (or one with the same text), and none
    that was not in force yet."""
    in_force = in_force or _in_force(session, when)
    graded = {(run.company_key, key): int(vid) for run in a.runs for key, vid in ((run.meta or {}).get("versions") or {}).items()}
    if not graded:
        return False
    for company, key in (documents if documents is not None else _documents_of(session, a)) | set(graded):
        v, g = in_force(company, key), graded.get((company, key))
        if v is None and g is None:
            continue
        if v is None or g is None or not _same_text(session, g, v):
            return False
    return True


def resolve_assessment(session, ref: str | int) -> Assessment:
    """An assessment by id, or by date (see the module's notes)."""
    text = str(ref).strip()
    if text.isdigit():
        a = session.get(Assessment, int(text))
        if a is None:
            raise AssessmentError(f"no assessment {text}")
        return a
    try:
        when = date.fromisoformat(text)
    except ValueError:
        raise AssessmentError(f"{text!r}: give an assessment id or a date (YYYY-MM-DD)") from None
    graded = select(CompanyRun.assessment_id)
    a = session.scalars(
        select(Assessment).where(Assessment.as_of == when, Assessment.id.in_(graded)).order_by(Assessment.id.desc())
    ).first()
    if a is not None:
        return a
    in_force = _in_force(session, when)
    documents: dict[str, set[tuple[str, str]]] = {}
    for a in session.scalars(select(Assessment).where(Assessment.status == "done", Assessment.id.in_(graded)).order_by(Assessment.id.desc())):
        if a.manifest_path not in documents:
            documents[a.manifest_path] = _documents_of(session, a)
        if speaks_for(session, a, when, in_force, documents[a.manifest_path] if a.manifest_path else None):
            return a
    raise AssessmentError(
        f"no assessment graded the policies in force on {when.isoformat()} "
        f"(run `rightsindex assess MANIFEST --out DIR --as-of {when.isoformat()}`)"
    )


def graded_between(session, a: Assessment, b: Assessment, company_key: str) -> list[CompanyRun]:
    """The company's runs in the finished assessments that speak for a day between those of ``a``
    and ``b`` (``a`` the earlier), graded with ``b``'s methodology, model and lineage, in order:
    what grades say about when an answer moved between the two."""
    lo, hi = (assessment_day(a), a.id), (assessment_day(b), b.id)
    if lo >= hi:
        return []
    mine = next((r for r in b.runs if r.company_key == company_key), None)
    line = (mine.meta or {}).get("lineage") if mine is not None else None
    rows = session.execute(
        select(Assessment, CompanyRun).join(CompanyRun, CompanyRun.assessment_id == Assessment.id)
        .where(CompanyRun.company_key == company_key, Assessment.status == "done", Assessment.methodology == b.methodology,
               Assessment.model_version == b.model_version, Assessment.id.not_in((a.id, b.id)))
    ).all()
    runs = [((assessment_day(x), x.id), run) for x, run in rows if lo < (assessment_day(x), x.id) < hi and (run.meta or {}).get("lineage") == line]
    return [run for _, run in sorted(runs, key=lambda t: t[0])]


def previous_assessment(session, a: Assessment, company_key: str) -> Assessment | None:
    """The assessment (same methodology) that graded this company last before ``a``: by the day
    each speaks for (its as-of date, else the day it was made), then by id."""
    q = (
        select(Assessment)
        .join(CompanyRun, CompanyRun.assessment_id == Assessment.id)
        .where(CompanyRun.company_key == company_key, Assessment.id != a.id, Assessment.methodology == a.methodology)
    )
    here = (assessment_day(a), a.id)
    earlier = [x for x in session.scalars(q) if (assessment_day(x), x.id) < here]
    return max(earlier, key=lambda x: (assessment_day(x), x.id), default=None)

"""Grades over time, read back from the store: the dates on which versions came into force, and
score series per company over several assessments (analysts' decisions applied).

    series(store, {date(2020, 9, 15): 3, date(2021, 11, 1): 4})   # the shape of history.json
    company_series(store, "Tencent", "rdr-2022")                  # one company, every assessment

Grading as of several dates is ``run.dates.assess_dates``; writing the series is
``publish.series.write_series``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Iterable

from .. import methodology as methodology_mod

__all__ = ["HistoryError", "Point", "company_series", "parse_dates", "series", "version_dates"]


class HistoryError(ValueError):
    pass


def parse_dates(text: str) -> list[date]:
    """``2020-09-15,2021-11-01`` → dates, sorted, duplicates dropped; a clear error otherwise."""
    out: list[date] = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        try:
            d = date.fromisoformat(part)
        except ValueError:
            raise HistoryError(f"{part!r} is not a date (YYYY-MM-DD); give one or several, comma-separated") from None
        if d not in out:
            out.append(d)
    if not out:
        raise HistoryError("no date given (YYYY-MM-DD, comma-separated)")
    return sorted(out)


def version_dates(store, manifest) -> list[date]:
    """Every day on which a version of one of the manifest's documents came into force."""
    from sqlalchemy import select

    from ..corpus.versions import in_force_date
    from ..store.models import Company, Document

    days: set[date] = set()
    with store.session() as s:
        for c in manifest.companies:
            keys = {d.key for d in c.documents}
            comp = s.scalars(select(Company).where(Company.key == c.id)).first()
            if comp is None:
                continue
            for d in s.scalars(select(Document).where(Document.company_id == comp.id)):
                if d.key in keys:
                    days.update(in_force_date(v) for v in d.versions)
    return sorted(days)



def _round(v):
    return None if v is None else round(v, 2)


def series(store, assessments: dict[date, int] | Iterable[int]) -> dict:
    """Scores per company over the given assessments (analysts' decisions applied), in the shape of
    ``history.json``. ``assessments``: {date: id}, or ids (dated by ``timeline.assessments.assessment_day``)."""
    from .assessments import assessment_day
    from ..review.results import element_rows
    from ..scoring import score_all
    from ..store.models import Assessment

    if not isinstance(assessments, dict):
        with store.session() as s:
            assessments = {assessment_day(s.get(Assessment, i)): i for i in assessments}
    days = sorted(assessments)
    out: dict = {"dates": [d.isoformat() for d in days], "assessments": {d.isoformat(): assessments[d] for d in days}, "companies": {}}
    n = len(days)
    for k, d in enumerate(days):
        aid = assessments[d]
        with store.session() as s:
            meth = methodology_mod.load(s.get(Assessment, aid).methodology)
        rows, results = element_rows(store, aid)
        scores = score_all(meth, results)
        for company, cs in scores.items():
            c = out["companies"].setdefault(company, {
                "label": cs.label, "total": [None] * n, "categories": {}, "indicators": {}, "elements": {},
            })
            c["total"][k] = _round(cs.total)
            for cat, v in cs.categories.items():
                c["categories"].setdefault(cat, [None] * n)[k] = _round(v)
            for ind, v in cs.indicators.items():
                c["indicators"].setdefault(ind, [None] * n)[k] = _round(v)
        for r in rows:
            c = out["companies"].get(r["Company"])
            if c is not None:
                c["elements"].setdefault(f"{r['Service']}|{r['Element']}", [None] * n)[k] = r["Result"]
    return out



@dataclass
class Point:
    day: date  # the day the assessment speaks for
    assessment_id: int
    scores: object  # scoring.CompanyScores
    when: datetime | None = None  # its as-of date at midnight UTC, else the moment it was made


def company_series(store, company: str, methodology: str, *, limit: int = 60) -> list[Point]:
    """One company's scores in every assessment that graded it under ``methodology`` (analysts'
    final decisions applied), oldest first: one point per as-of date (the latest assessment of that
    date) and one per assessment of the current versions (``assess``, ``watch`` passes).

    Scores straight from the stored results (no evidence or rows built), so that a scorecard can
    draw the company's score over time at page speed."""
    from sqlalchemy import select

    from .assessments import assessment_day
    from ..review import final_decisions
    from ..scoring import ElementResult, score_company
    from ..store.models import Assessment, Company, CompanyRun, Judgment

    meth = methodology_mod.load(methodology)
    with store.session() as s:
        comp = s.scalars(select(Company).where(Company.key == company)).first()
        label, ctype = (comp.name, comp.type) if comp else (company, "")
        runs = s.execute(
            select(Assessment, CompanyRun.id)
            .join(CompanyRun, CompanyRun.assessment_id == Assessment.id)
            .where(CompanyRun.company_key == company, Assessment.methodology == methodology)
        ).all()
        by_time: dict[datetime, tuple[int, int, date]] = {}
        for a, run_id in runs:
            d = assessment_day(a)
            created = a.created_at if a.created_at.tzinfo else a.created_at.replace(tzinfo=timezone.utc)
            when = datetime(d.year, d.month, d.day, tzinfo=timezone.utc) if a.as_of is not None else created
            if when not in by_time or a.id > by_time[when][0]:
                by_time[when] = (a.id, run_id, d)
        points = []
        for when in sorted(by_time)[-limit:]:
            aid, run_id, d = by_time[when]
            decisions = {k[1:]: v for k, v in final_decisions(s, aid).items() if k[0] == company}
            results = []
            for level, kind, element, result in s.execute(
                select(Judgment.level, Judgment.service_kind, Judgment.element, Judgment.result).where(Judgment.run_id == run_id)
            ):
                if element not in meth.elements:
                    continue
                ov = decisions.get((level, element))
                results.append(ElementResult(company=company, element=element, level=level, result=ov["result"] if ov else result,
                                             service_kind=kind, company_type=ctype, company_label=label))
            if results:
                points.append(Point(d, aid, score_company(meth, results), when))
    return points

"""Grades over time: assess a manifest as of several dates and read the score series back.

    result = assess_dates("manifest.yaml", "out", [date(2020, 9, 15), date(2021, 11, 1)])
    result.files["history.csv"]      # company × date × total / category / indicator score

Each date is one ``pipeline.assess(…, as_of=date)`` (the one orchestration) into ``OUT/<date>/``,
all in one store (``OUT/rightsindex.sqlite`` by default), so each date after the first is
re-graded change-aware from the closest date graded before (``regrade``): an element moves only
where its passages changed between the versions in force on the two dates.

``dates="versions"`` grades every date on which a version of one of the manifest's documents came
into force (from the earliest to the latest), so each version gets its scores.

Outputs (besides each date's own ``element-scores.csv``, ``scores.json`` and report):

- ``history.csv`` — ``Company, AsOf, Assessment, Scope, Id, Score`` (scope ``total``,
  ``category`` or ``indicator``), one row per company, date and score;
- ``history-elements.csv`` — ``Company, AsOf, Assessment, Level, Element, Result``;
- ``history.json`` — ``{"dates": […], "assessments": {date: id}, "companies": {company: {"total":
  [per date], "categories": {G: […]}, "indicators": {P03a: […]}, "elements": {"level|element":
  […]}}}}``, scores rounded to 2 decimals, null where N/A or not assessed;
- ``history-<company>.svg`` — total and category scores over time.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence

from . import methodology as methodology_mod

__all__ = ["HistoryResult", "assess_dates", "parse_dates", "series", "version_dates", "write_series"]


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

    from .corpus.versions import in_force_date
    from .store.models import Company, Document

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


@dataclass
class HistoryResult:
    dates: list[date]
    assessments: dict[date, int]
    out: Path
    series: dict = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    runs: dict[date, object] = field(default_factory=dict)  # date -> pipeline.AssessResult


def assess_dates(
    manifest_path: str | Path,
    out: str | Path,
    dates: Sequence[date] | str,
    *,
    db: str | None = None,
    on_event: Callable[[str, dict], None] | None = None,
    **assess_kwargs,
) -> HistoryResult:
    """Assess the manifest as of each date (see the module's notes) and write the series."""
    from .corpus.manifest import load_manifest
    from .pipeline import DEFAULT_DB_NAME, assess
    from .store import Store

    emit = on_event or (lambda kind, data: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    db = db or f"sqlite:///{(out / DEFAULT_DB_NAME).resolve()}"
    if dates == "versions":
        from .corpus.fetch import Fetcher
        from .corpus.ingest import ingest_manifest

        manifest = load_manifest(manifest_path)
        store = Store.open(db)
        with Fetcher(allow_private=bool(assess_kwargs.get("allow_private"))) as fetcher:
            ingest_manifest(store, manifest, fetcher=fetcher)
        dates = version_dates(store, manifest)
        store.close()
        if not dates:
            raise HistoryError("no document of the manifest has a version yet")
    elif isinstance(dates, str):
        dates = parse_dates(dates)
    result = HistoryResult(dates=list(dates), assessments={}, out=out)
    for i, d in enumerate(result.dates):
        emit("date", {"date": d.isoformat(), "n": i + 1, "of": len(result.dates)})
        r = assess(manifest_path, out / d.isoformat(), db=db, as_of=d, on_event=on_event, **assess_kwargs)
        result.assessments[d] = r.assessment_id
        result.runs[d] = r
    store = Store.open(db)
    try:
        result.series = series(store, result.assessments)
        result.files = write_series(result.series, out, store=store)
    finally:
        store.close()
    return result


def _round(v):
    return None if v is None else round(v, 2)


def series(store, assessments: dict[date, int] | Iterable[int]) -> dict:
    """Scores per company over the given assessments (analysts' decisions applied), in the shape of
    ``history.json``. ``assessments``: {date: id}, or ids (dated by ``changes.assessment_day``)."""
    from .changes import assessment_day
    from .pipeline import element_rows
    from .scoring import score_all
    from .store.models import Assessment

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


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def write_series(data: dict, out: Path, *, store=None) -> dict[str, Path]:
    """``history.csv``, ``history-elements.csv``, ``history.json`` and a chart per company."""
    from .elementcsv import atomic_write_text
    from .publish.charts import over_time

    files = {"history.csv": out / "history.csv", "history-elements.csv": out / "history-elements.csv", "history.json": out / "history.json"}
    dates = data["dates"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Company", "AsOf", "Assessment", "Scope", "Id", "Score"])
    for company, c in data["companies"].items():
        for k, d in enumerate(dates):
            aid = data["assessments"][d]
            w.writerow([_cell(company), d, aid, "total", "total", _num(c["total"][k])])
            for cat, vs in c["categories"].items():
                w.writerow([_cell(company), d, aid, "category", cat, _num(vs[k])])
            for ind, vs in c["indicators"].items():
                w.writerow([_cell(company), d, aid, "indicator", ind, _num(vs[k])])
    atomic_write_text(files["history.csv"], buf.getvalue())
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Company", "AsOf", "Assessment", "Level", "Element", "Result"])
    for company, c in data["companies"].items():
        for key, results in c["elements"].items():
            level, element = key.rsplit("|", 1)
            for k, d in enumerate(dates):
                if results[k] is not None:
                    w.writerow([_cell(company), d, data["assessments"][d], _cell(level), element, results[k]])
    atomic_write_text(files["history-elements.csv"], buf.getvalue())
    atomic_write_text(files["history.json"], json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    for company, c in data["companies"].items():
        path = out / f"history-{_UNSAFE.sub('_', company)}.svg"
        svg = over_time(
            dates, [("total", c["total"]), *((cat, c["categories"].get(cat, [None] * len(dates))) for cat in ("G", "F", "P"))],
            title=f"{c.get('label') or company}: total and category scores over time", salt=f"history-{company}",
        )
        atomic_write_text(path, svg)
        files[path.name] = path
    return files


def _num(v) -> str:
    return "NA" if v is None else f"{v:.2f}"


def _cell(text: str) -> str:
    from .csvsafe import neutralise

    return neutralise(text)


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

    from .changes import assessment_day
    from .review import final_decisions
    from .scoring import ElementResult, score_company
    from .store.models import Assessment, Company, CompanyRun, Judgment

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

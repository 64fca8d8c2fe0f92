"""Grades over time: assess a manifest as of several dates and read the score series back.

    result = assess_dates("manifest.yaml", "out", [date(2020, 9, 15), date(2021, 11, 1)])
    result.files["history.csv"]      # company × date × total / category / indicator score

Each date is one ``run.assess(…, as_of=date)`` (the one orchestration) into ``OUT/<date>/``,
all in one store (``OUT/rightsindex.sqlite`` by default), so each date after the first is
re-graded change-aware from the closest date graded before (``timeline.regrade``): an element moves only
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

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Sequence

from ..publish.series import write_series
from ..timeline.history import HistoryError, parse_dates, series, version_dates

__all__ = ["HistoryResult", "assess_dates"]


@dataclass
class HistoryResult:
    dates: list[date]
    assessments: dict[date, int]
    out: Path
    series: dict = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    runs: dict[date, object] = field(default_factory=dict)  # date -> run.AssessResult


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
    from ..corpus.manifest import load_manifest
    from .assessment import DEFAULT_DB_NAME, assess
    from ..store import Store

    emit = on_event or (lambda kind, data: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    db = db or f"sqlite:///{(out / DEFAULT_DB_NAME).resolve()}"
    if dates == "versions":
        from ..corpus.fetch import Fetcher
        from ..corpus.ingest import ingest_manifest

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
        if assess_kwargs.get("frameworks"):
            result.files.update(write_duty_history(store, list(result.assessments.values()), out))
    finally:
        store.close()
    return result


def write_duty_history(store, assessment_ids: list[int], out: Path) -> dict[str, Path]:
    """``history-duties.json`` and ``history-duties.txt``: since when each notice duty has had its
    answer, with the passage behind it (``timeline.duties``)."""
    import json
    from dataclasses import asdict

    from ..formats.files import atomic_write_text
    from ..timeline.duties import duty_history, since_lines

    history = duty_history(store, assessment_ids)
    files = {"history-duties.json": out / "history-duties.json", "history-duties.txt": out / "history-duties.txt"}
    atomic_write_text(files["history-duties.json"], json.dumps([asdict(h) for h in history], indent=1, ensure_ascii=False) + "\n")
    atomic_write_text(files["history-duties.txt"], "\n".join(since_lines(history)) + "\n")
    return files

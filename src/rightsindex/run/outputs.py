"""What ``assess`` writes into its ``--out`` folder: ``element-scores.csv`` (RDR's format plus our
columns), ``scores.json`` and ``report/index.html``; with ``--framework``, ``framework-scores.csv``
and ``framework-scores.json``."""

from __future__ import annotations

import json
from pathlib import Path

from .. import methodology as methodology_mod
from ..review.results import assessment_rows
from ..store.database import Store
from ..store.models import Assessment

__all__ = ["model_version_of", "write_framework_outputs", "write_outputs"]


def write_outputs(store: Store, assessment_id: int, out: Path, *, runner=None, store_url: str | None = None) -> tuple[dict[str, Path], dict]:
    """Write element-scores.csv, scores.json and report/index.html. With a ``runner``, each
    company's rows are built by a task of their own; the files are written here."""
    from ..formats.files import atomic_write_text
    from ..formats.elementcsv import EXTRA_COLUMNS, format_rows
    from ..publish.report import write_report
    from ..publish.scores import scores_json
    from ..scoring import score_all

    from ..timeline.assessments import shown

    rows, results = assessment_rows(store, assessment_id, runner=runner, store_url=store_url)
    with store.session() as s:
        a = s.get(Assessment, assessment_id)
        meth = methodology_mod.load(a.methodology)
        index = a.index
        shows = shown(a)
    rows = [{**r, "AsOf": shows["day"]} for r in rows]
    scores = score_all(meth, results)
    sj = scores_json(scores, meth, index=index)
    sj["assessment"] = {"id": assessment_id, "model": model_version_of(store, assessment_id), "as_of": shows["as_of"], "day": shows["day"],
                        "shows": shows["text"]}
    files = {
        "element-scores.csv": out / "element-scores.csv",
        "scores.json": out / "scores.json",
        "report": out / "report" / "index.html",
    }
    atomic_write_text(files["element-scores.csv"], format_rows(rows, EXTRA_COLUMNS))
    atomic_write_text(files["scores.json"], json.dumps(sj, indent=2, ensure_ascii=False) + "\n")
    write_report(files["report"], meth, sj, rows)
    files.update(write_framework_outputs(store, assessment_id, out))
    return files, sj


def write_framework_outputs(store: Store, assessment_id: int, out: Path) -> dict[str, Path]:
    """``framework-scores.csv`` and ``.json`` when the assessment graded notice frameworks."""
    from ..formats.files import atomic_write_text
    from ..formats.frameworkcsv import format_framework_rows
    from ..publish.frameworks import frameworks_json
    from ..review.items import assessment_frameworks, item_rows

    if not assessment_frameworks(store, assessment_id):
        return {}
    rows = item_rows(store, assessment_id)
    files = {"framework-scores.csv": out / "framework-scores.csv", "framework-scores.json": out / "framework-scores.json"}
    atomic_write_text(files["framework-scores.csv"], format_framework_rows(rows))
    doc = frameworks_json(rows, {"id": assessment_id, "model": model_version_of(store, assessment_id)})
    atomic_write_text(files["framework-scores.json"], json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return files


def model_version_of(store: Store, assessment_id: int) -> str:
    with store.session() as s:
        return s.get(Assessment, assessment_id).model_version

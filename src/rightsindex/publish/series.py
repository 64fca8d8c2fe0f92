"""Score series written as files: ``history.csv``, ``history-elements.csv``, ``history.json`` and a
chart per company (the shape of ``timeline.history.series``)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

__all__ = ["write_series"]


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def write_series(data: dict, out: Path, *, store=None) -> dict[str, Path]:
    """``history.csv``, ``history-elements.csv``, ``history.json`` and a chart per company."""
    from ..formats.files import atomic_write_text
    from .charts import over_time

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
    from ..formats.csvsafe import neutralise

    return neutralise(text)

"""``framework-scores.csv``: one row per company × service × notice item (``assess --framework``).

Columns (a contract): ``Company, Service, Framework, Item, Article, Result, Evidence, Confidence,
NeedsReview``. ``Result`` is ``disclosed``, ``partly disclosed`` or ``not found``; ``Evidence`` is
a JSON list of the cited passages as in ``element-scores.csv`` (``path, version, start, end, text,
score, support``, plus the ``window`` read and its ``language``), the passage that earns the item
(or the closest one) first; ``Confidence`` has 3 decimals (``NA`` when none); ``NeedsReview`` is
``yes`` / ``no``. Cells a spreadsheet would run as a formula are neutralised, as in every CSV we
write; ``read`` restores them.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Iterable

from .csvsafe import neutralise_row, restore_row

FRAMEWORK_COLUMNS = ("Company", "Service", "Framework", "Item", "Article", "Result", "Evidence", "Confidence", "NeedsReview")
RESULTS = ("disclosed", "partly disclosed", "not found")

__all__ = ["FRAMEWORK_COLUMNS", "RESULTS", "format_framework_rows", "read_framework_rows"]


def format_framework_rows(rows: Iterable[dict]) -> str:
    """Render item rows (``review.items.item_rows``) as the CSV."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(FRAMEWORK_COLUMNS), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        conf = r.get("Confidence")
        cells = {
            **{k: r.get(k, "") for k in FRAMEWORK_COLUMNS},
            "Evidence": r["Evidence"] if isinstance(r.get("Evidence"), str) else json.dumps(r.get("Evidence") or [], ensure_ascii=False),
            "Confidence": "NA" if conf is None else (conf if isinstance(conf, str) else f"{conf:.3f}"),
            "NeedsReview": r["NeedsReview"] if isinstance(r.get("NeedsReview"), str) else ("yes" if r.get("NeedsReview") else "no"),
        }
        writer.writerow(neutralise_row(cells))
    return buf.getvalue()


def read_framework_rows(path: str | Path) -> list[dict]:
    """Read a ``framework-scores.csv`` back: cells restored, ``Evidence`` parsed, ``Confidence`` a
    number or None, ``NeedsReview`` a bool. Raises ValueError on a file of another shape."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != FRAMEWORK_COLUMNS:
            raise ValueError(f"{path}: not a framework-scores.csv (columns {reader.fieldnames})")
        out = []
        for n, row in enumerate(reader, start=2):
            r = restore_row(row)
            if r["Result"] not in RESULTS:
                raise ValueError(f"{path}, line {n}: Result {r['Result']!r} is not one of {', '.join(RESULTS)}")
            r["Evidence"] = json.loads(r["Evidence"] or "[]")
            r["Confidence"] = None if r["Confidence"] in ("", "NA") else float(r["Confidence"])
            r["NeedsReview"] = r["NeedsReview"] == "yes"
            out.append(r)
    return out

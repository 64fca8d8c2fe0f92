"""A first, plain, self-contained HTML report of an assessment (no scripts, opens from disk).

Policy text is untrusted: Jinja2 autoescaping is on, so passages are shown as text, never markup.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..elementcsv import atomic_write_text
from ..methodology import Methodology


def _env() -> Environment:
    env = Environment(loader=PackageLoader("rightsindex.publish", "templates"), autoescape=select_autoescape(["html", "j2"]))
    env.filters["score"] = lambda v: "N/A" if v is None else f"{v:.1f}"
    return env


def write_report(path: Path, methodology: Methodology, scores: dict, rows: list[dict]) -> None:
    by_company: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r["Result"] == "NA":
            continue
        ev = json.loads(r["Evidence"]) if r["Evidence"] else []
        by_company[r["Company"]].append({**r, "evidence": ev[:3]})
    indicators = [i for i in methodology.indicators.values()]
    html = _env().get_template("report.html.j2").render(
        scores=scores,
        methodology=methodology,
        indicators=indicators,
        judgments=by_company,
    )
    atomic_write_text(path, html)

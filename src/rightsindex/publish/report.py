"""A first, plain, self-contained HTML report of an assessment (no scripts, opens from disk).

Policy text is untrusted: Jinja2 autoescaping is on, so passages are shown as text, never markup.
Passages are shown as people read them (Markdown marks dropped, ``publish.text``), at most
``EXCERPT`` characters cut between words; "no disclosure found" answers show their closest passages
under the caption the web app uses; scores follow the one rounding rule (``publish.scores``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..formats.files import atomic_write_text
from ..methodology import Methodology
from .scores import display_score
from .text import excerpt


EXCERPT = 600  # characters of a cited passage shown in the report (the full text is in the store)


def _env() -> Environment:
    from ..formats.visible import revealed

    env = Environment(loader=PackageLoader("rightsindex.publish", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      finalize=revealed)  # control, bidirectional and zero-width characters shown as [U+XXXX]
    env.filters["score"] = display_score
    env.filters["excerpt"] = lambda text: excerpt(text or "", EXCERPT)
    return env


def write_report(path: Path, methodology: Methodology, scores: dict, rows: list[dict]) -> None:
    by_company: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r["Result"] == "NA":
            continue
        try:
            ev = json.loads(r["Evidence"]) if r["Evidence"] else []
        except ValueError:
            ev = []
        by_company[r["Company"]].append({**r, "evidence": ev[:3], "more": max(len(ev) - 3, 0)})
    indicators = [i for i in methodology.indicators.values()]
    html = _env().get_template("report.html.j2").render(
        scores=scores,
        methodology=methodology,
        indicators=indicators,
        judgments=by_company,
    )
    atomic_write_text(path, html)

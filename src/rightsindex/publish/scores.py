"""The ``scores.json`` / scores CSV shapes (DESIGN.md contract), and the one rule for showing a
score to people.

Scores are stored and exported with 2 decimals (``round(v, 2)``). Wherever a person reads one — the
web app, the report, the static site, the PDF scorecards, the charts — it is that 2-decimal value
rounded half up to 1 decimal (:func:`display_score`): 20.55 shows as 20.6 everywhere, never 20.5 in
one place and 20.6 in another.
"""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

from ..formats.csvsafe import neutralise_row
from ..methodology import Methodology
from ..scoring import CompanyScores, rank


def _r(v: float | None) -> float | None:
    return None if v is None else round(v + 0.0, 2)


def display_value(v: float | None) -> float | None:
    """The number people see: the stored 2-decimal score rounded half up to 1 decimal."""
    if v is None:
        return None
    shown = float(Decimal(repr(_r(v))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return shown + 0.0  # no negative zero


def display_score(v: float | None, na: str = "N/A") -> str:
    """A score as people read it, e.g. ``20.6`` (see :func:`display_value`); ``na`` for N/A."""
    shown = display_value(v)
    return na if shown is None else f"{shown:.1f}"


def scores_json(scores: dict[str, CompanyScores], methodology: Methodology, index: str = "") -> dict:
    """``{"companies": {"<Company>": {"total", "categories", "indicators", "levels", ...}}}``.

    Scores are rounded to 2 decimals; ``null`` where everything is N/A. Besides the contract keys,
    each company carries ``label``, ``type``, ``rank`` and ``level_totals`` (total and G/F/P per
    level: Group, OpCom, each service, and ``Mobile`` for a telco's merged mobile services).
    """
    ranked = rank(scores)
    positions = {s.company: i for i, s in enumerate(ranked, 1) if s.total is not None}
    return {
        "index": index,
        "methodology": methodology.id,
        "companies": {
            s.company: {**s.as_dict(), "rank": positions.get(s.company)} for s in ranked
        },
    }


class _SafeWriter:
    """A csv writer whose cells never run as spreadsheet formulas (see ``csvsafe``)."""

    def __init__(self, writer):
        self._w = writer

    def writerow(self, row) -> None:
        self._w.writerow(neutralise_row(row))


def scores_csv(scores: dict[str, CompanyScores], methodology: Methodology, index: str = "", as_of: str | None = None) -> str:
    """Long format, one row per company × scope: ``Index, Company, CompanyLabel, Level, Kind, Id, Score``.

    ``Kind`` is ``total``, ``category``, ``indicator`` (company-level indicator and family scores)
    or ``level`` (an indicator at one level, ``Level`` naming it). ``as_of``: the day whose
    policies the scores grade, written in a last column ``AsOf`` (the published file has it).
    """
    buf = io.StringIO()
    w = _SafeWriter(csv.writer(buf, lineterminator="\n"))
    day = [] if as_of is None else [as_of]
    w.writerow(["Index", "Company", "CompanyLabel", "Level", "Kind", "Id", "Score", *(["AsOf"] if day else [])])

    def fmt(v: float | None) -> str:
        return "NA" if v is None else f"{_r(v):.2f}"

    for s in rank(scores):
        w.writerow([index, s.company, s.label, "", "total", "total", fmt(s.total), *day])
        for cat, v in s.categories.items():
            w.writerow([index, s.company, s.label, "", "category", cat, fmt(v), *day])
        for ind, v in s.indicators.items():
            w.writerow([index, s.company, s.label, "", "indicator", ind, fmt(v), *day])
        for level, values in s.levels.items():
            for ind, v in values.items():
                w.writerow([index, s.company, s.label, level, "level", ind, fmt(v), *day])
    return buf.getvalue()

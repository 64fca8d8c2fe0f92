"""RDR aggregation (see the package's notes): results and their scores, then level, service,
indicator, category and total scores."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import fmean
from typing import Iterable

from ..methodology import Methodology

__all__ = [
    "CompanyScores",
    "ElementResult",
    "MOBILE",
    "NA",
    "NDF",
    "NO",
    "PARTIAL",
    "RESULTS",
    "ScoringError",
    "YES",
    "element_score",
    "mean",
    "normalise_result",
    "rank",
    "score_all",
    "score_company",
]

# Canonical results, and the spellings accepted for them.
YES, PARTIAL, NO, NDF, NA = "yes", "partial", "no", "no disclosure found", "NA"
RESULTS = (YES, PARTIAL, NO, NDF, NA)
_RESULT_SPELLINGS = {
    "yes": YES,
    "full": YES,
    "partial": PARTIAL,
    "no": NO,
    "no disclosure found": NDF,
    "no disclosure": NDF,
    "ndf": NDF,
    "na": NA,
    "n/a": NA,
    "not applicable": NA,
    "": NA,
}
MOBILE = "mobile"  # RDR's service type for prepaid and postpaid mobile


class ScoringError(ValueError):
    pass


def normalise_result(value: str | None) -> str:
    """Return the canonical result for a spelling, or raise ScoringError."""
    key = " ".join((value or "").strip().lower().split())
    try:
        return _RESULT_SPELLINGS[key]
    except KeyError:
        raise ScoringError(
            f"result {value!r} is not one of: yes, partial, no, no disclosure found, NA"
        ) from None


def element_score(result: str, reversed_scoring: bool = False) -> float | None:
    """Points for one element answer; ``None`` for N/A."""
    result = normalise_result(result)
    if result == NA:
        return None
    if result == PARTIAL:
        return 50.0
    if result == NDF:
        return 0.0
    full = result == YES
    if reversed_scoring:
        full = not full
    return 100.0 if full else 0.0


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


@dataclass(frozen=True)
class ElementResult:
    """One element answered at one level (a row of RDR's element-scores CSV)."""

    company: str
    element: str  # canonical id, e.g. "G04a.03"
    level: str  # "Group", "OpCom" or the service name
    result: str  # canonical result
    service_kind: str | None = None  # RDR service type for service levels, None for Group/OpCom
    company_type: str = ""
    company_label: str = ""

    @property
    def is_service(self) -> bool:
        return self.service_kind is not None


@dataclass
class CompanyScores:
    company: str
    label: str = ""
    company_type: str = ""
    total: float | None = None
    categories: dict[str, float | None] = field(default_factory=dict)
    indicators: dict[str, float | None] = field(default_factory=dict)
    levels: dict[str, dict[str, float | None]] = field(default_factory=dict)
    # per level (Group, OpCom, each service and the merged telco mobile service): total and categories
    level_totals: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def as_dict(self, digits: int = 2) -> dict:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v + 0.0, digits)

        return {
            "label": self.label,
            "type": self.company_type,
            "total": r(self.total),
            "categories": {k: r(v) for k, v in self.categories.items()},
            "indicators": {k: r(v) for k, v in self.indicators.items()},
            "levels": {lvl: {k: r(v) for k, v in ind.items()} for lvl, ind in self.levels.items()},
            "level_totals": {
                lvl: {k: r(v) for k, v in vals.items()} for lvl, vals in self.level_totals.items()
            },
        }


def _level_scores(
    methodology: Methodology, results: list[ElementResult]
) -> tuple[dict[str, dict[str, float | None]], dict[str, str | None]]:
    """Indicator score at each level: mean of the element scores there."""
    points: dict[tuple[str, str], list[float | None]] = defaultdict(list)
    kinds: dict[str, str | None] = {}
    for r in results:
        el = methodology.elements[r.element]
        kinds.setdefault(r.level, r.service_kind)
        points[(r.level, el.indicator)].append(element_score(r.result, el.reversed))
    levels: dict[str, dict[str, float | None]] = defaultdict(dict)
    for (level, indicator), values in points.items():
        levels[level][indicator] = mean(values)
    return dict(levels), kinds


def _service_groups(kinds: dict[str, str | None]) -> list[list[str]]:
    """Service levels grouped for the services mean: a telco's mobile services count once."""
    mobile = [lvl for lvl, kind in kinds.items() if kind == MOBILE]
    others = [[lvl] for lvl, kind in kinds.items() if kind is not None and kind != MOBILE]
    return ([mobile] if mobile else []) + others


def score_company(methodology: Methodology, results: list[ElementResult]) -> CompanyScores:
    """Aggregate one company's element results exactly as RDR does."""
    if not results:
        raise ScoringError("no element results to score")
    first = results[0]
    levels, kinds = _level_scores(methodology, results)
    groups = _service_groups(kinds)
    company_levels = [lvl for lvl, kind in kinds.items() if kind is None]

    def level(lvl: str, indicator: str) -> float | None:
        return levels.get(lvl, {}).get(indicator)

    def services(indicator: str) -> float | None:
        return mean(mean(level(lvl, indicator) for lvl in group) for group in groups)

    indicators: dict[str, float | None] = {}
    for ind in methodology.indicators.values():
        if ind.is_family:
            continue
        company_part = [level(lvl, ind.id) for lvl in company_levels]
        if ind.scoring_scope == "company":
            indicators[ind.id] = mean(company_part)
        elif ind.scoring_scope == "services":
            indicators[ind.id] = services(ind.id)
        else:  # full
            indicators[ind.id] = mean([*company_part, services(ind.id)])
    for ind in methodology.indicators.values():
        if ind.is_family:
            indicators[ind.id] = mean(indicators.get(c) for c in ind.children)

    ordered = {i: indicators[i] for i in methodology.indicators if i in indicators}
    top = [i for i in methodology.indicators.values() if i.top_level]
    categories = {
        c.id: mean(ordered[i.id] for i in top if i.category == c.id) for c in methodology.categories
    }
    total = mean(ordered[i.id] for i in top)

    # Per-service view, as in RDR's summary file: every indicator scored as if the company offered
    # only that service (scope rules unchanged), then category and total means as above. A telco's
    # prepaid and postpaid mobile services also get their merged view, "Mobile".
    views: dict[str, list[list[str]]] = {lvl: [[lvl]] for grp in groups for lvl in grp}
    if groups and kinds.get(groups[0][0]) == MOBILE and len(groups[0]) > 1:
        views["Mobile"] = [groups[0]]
    level_totals: dict[str, dict[str, float | None]] = {}
    for name, only in views.items():
        view: dict[str, float | None] = {}
        for ind in methodology.indicators.values():
            if ind.is_family:
                continue
            svc = mean(mean(level(lvl, ind.id) for lvl in grp) for grp in only)
            company_part = [level(lvl, ind.id) for lvl in company_levels]
            view[ind.id] = (
                mean(company_part)
                if ind.scoring_scope == "company"
                else svc
                if ind.scoring_scope == "services"
                else mean([*company_part, svc])
            )
        for ind in methodology.indicators.values():
            if ind.is_family:
                view[ind.id] = mean(view.get(c) for c in ind.children)
        level_totals[name] = {
            "total": mean(view[i.id] for i in top),
            **{c.id: mean(view[i.id] for i in top if i.category == c.id) for c in methodology.categories},
        }
    level_out = {lvl: {k: levels[lvl][k] for k in methodology.indicators if k in levels[lvl]} for lvl in levels}

    return CompanyScores(
        company=first.company,
        label=first.company_label or first.company,
        company_type=first.company_type,
        total=total,
        categories=categories,
        indicators=ordered,
        levels=level_out,
        level_totals=level_totals,
    )


def score_all(methodology: Methodology, results: Iterable[ElementResult]) -> dict[str, CompanyScores]:
    """Score every company in ``results``; companies keep their first-seen order."""
    by_company: dict[str, list[ElementResult]] = defaultdict(list)
    for r in results:
        by_company[r.company].append(r)
    return {company: score_company(methodology, rows) for company, rows in by_company.items()}


def rank(scores: dict[str, CompanyScores]) -> list[CompanyScores]:
    """Companies by total, best first (companies without a total last)."""
    return sorted(scores.values(), key=lambda s: (s.total is None, -(s.total or 0.0), s.company))

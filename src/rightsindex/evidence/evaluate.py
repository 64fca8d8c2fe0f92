"""Agreement with RDR's researchers: credit-class agreement and Cohen's κ, confusion matrices,
evidence recall@5, indicator-score error and company rank correlation."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from ..methodology import Methodology
from ..scoring import ElementResult, score_company
from .judgment import credit_class

CREDIT_CLASSES = ("full", "partial", "none")


def cohen_kappa(pairs: list[tuple[str, str]], labels=CREDIT_CLASSES) -> float:
    if not pairs:
        return float("nan")
    n = len(pairs)
    agree = sum(a == b for a, b in pairs) / n
    ca, cb = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(ca[l] * cb[l] for l in labels) / (n * n)
    return (agree - expected) / (1 - expected) if expected < 1 else 1.0


@dataclass
class Agreement:
    n: int
    agreement: float
    kappa: float
    confusion: dict[str, dict[str, int]]  # gold -> predicted -> count

    def line(self) -> str:
        return f"{self.agreement:.3f} (κ {self.kappa:.3f}, n={self.n})"


def agreement(pairs: list[tuple[str, str]]) -> Agreement:
    """``pairs`` of (gold credit class, predicted credit class)."""
    conf: dict[str, dict[str, int]] = {g: {p: 0 for p in CREDIT_CLASSES} for g in CREDIT_CLASSES}
    for g, p in pairs:
        conf[g][p] += 1
    n = len(pairs)
    return Agreement(n, sum(g == p for g, p in pairs) / n if n else float("nan"), cohen_kappa(pairs), conf)


def credit_pairs(methodology: Methodology, gold: list, predicted: dict) -> list[tuple[str, str, str]]:
    """(category, gold class, predicted class) for every gold row with a prediction."""
    out = []
    for g in gold:
        p = predicted.get((g.company, g.level, g.element))
        if p is None or p == "NA":
            continue
        rev = methodology.elements[g.element].reversed
        out.append((methodology.indicators[methodology.elements[g.element].indicator].category, credit_class(g.result, rev), credit_class(p, rev)))
    return out


def agreement_report(methodology: Methodology, gold: list, predicted: dict) -> dict[str, Agreement]:
    triples = credit_pairs(methodology, gold, predicted)
    report = {"all": agreement([(g, p) for _, g, p in triples])}
    for cat in ("G", "F", "P"):
        report[cat] = agreement([(g, p) for c, g, p in triples if c == cat])
    return report


def indicator_errors(methodology: Methodology, gold: list, predicted: dict, company_types: dict[str, str], service_kinds: dict[tuple[str, str], str | None]):
    """Mean absolute error of indicator scores and Spearman correlation of company totals, both
    computed on the gold rows only (predicted results vs RDR's)."""
    by_company: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for g in gold:
        p = predicted.get((g.company, g.level, g.element))
        if p is None or p == "NA":
            continue
        kind = service_kinds.get((g.company, g.level))
        ctype = company_types.get(g.company, "Digital Platform")
        by_company[g.company][0].append(ElementResult(g.company, g.element, g.level, g.result, kind, ctype))
        by_company[g.company][1].append(ElementResult(g.company, g.element, g.level, p, kind, ctype))
    errors, totals = [], []
    for company, (gr, pr) in by_company.items():
        gs, ps = score_company(methodology, gr), score_company(methodology, pr)
        for ind, v in gs.indicators.items():
            w = ps.indicators.get(ind)
            if v is not None and w is not None:
                errors.append(abs(v - w))
        totals.append((gs.total or 0.0, ps.total or 0.0))
    mae = float(np.mean(errors)) if errors else float("nan")
    rho = float("nan")
    if len(totals) > 2:
        from scipy.stats import spearmanr

        rho = float(spearmanr([a for a, _ in totals], [b for _, b in totals]).statistic)
    return mae, rho, {c: (score_company(methodology, v[0]).total, score_company(methodology, v[1]).total) for c, v in by_company.items()}

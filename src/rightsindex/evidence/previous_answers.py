"""Last edition's answers as the starting point (``--prior``), as RDR starts each edition.

A previous answer stands unless the documents say otherwise: when the passages it rested on are
gone or changed it is graded again; otherwise only a confident grader overrules it. Where it
stands, what it rested on is cited first (its own evidence, or the passages its researchers'
comment quotes). A service with no previous answer — new to the index — starts from the
company's answers for the same question at its other services.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

import numpy as np

from .. import methodology as methodology_mod
from ..methodology import Methodology
from .passages import CompanyPassages

from .judgment import CREDIT, NA, NDF, Judgment, credit_class  # noqa: F401  (CREDIT, NA: the answer classes)

if TYPE_CHECKING:
    from .grader import Grader

__all__ = ["Prior", "apply_priors", "borrowed_priors", "credit_class", "read_prior"]


@dataclass
class Prior:
    result: str
    evidence_texts: tuple[tuple[str, str], ...] | None = None  # ((path, text), …) when the prior cited passages
    quotes: tuple[str, ...] = ()  # texts the previous edition's comment quoted (RDR's files have no spans)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _prior_passages(prior: Prior, cp: CompanyPassages, level_idx: np.ndarray, squashed: dict[int, str] | None = None) -> tuple[bool | None, list[int]]:
    """Whether the passages the prior cited are still there verbatim (None: the prior cited
    nothing), and the indices of the current passages that hold them.

    A cited text must still occur in the document's current version (whitespace aside) — a list
    cited whole is changed when any of its items is — and some current passage must hold it or
    lie within it."""
    if not prior.evidence_texts:
        return None, []
    squashed = {} if squashed is None else squashed
    found: list[int] = []
    for path, text in prior.evidence_texts:
        hits = [int(i) for i in level_idx if cp.rows[int(i)].path == path and (text in cp.rows[int(i)].text or cp.rows[int(i)].text in text)]
        if not hits:
            return False, []
        vid = cp.versions.get(path)
        if vid is not None and vid in cp.texts:
            if vid not in squashed:
                squashed[vid] = _squash(cp.texts[vid])
            if _squash(text) not in squashed[vid]:
                return False, []
        found.extend(h for h in hits if h not in found)
    return True, found


class _QuoteFinder:
    """Current passages that hold a text quoted in a previous edition's comment (whitespace and
    case aside; a long quote by its first 80 characters, a quote spanning passages by each passage
    it contains)."""

    def __init__(self, cp: CompanyPassages):
        self.cp = cp
        self.texts: list[str] | None = None
        self.cache: dict[str, list[int]] = {}

    def find(self, quote: str, level_idx: np.ndarray) -> list[int]:
        if quote not in self.cache:
            if self.texts is None:
                self.texts = [_squash(r.text).lower() for r in self.cp.rows]
            q = _squash(quote).lower()
            head = q[:80]
            self.cache[quote] = [i for i, t in enumerate(self.texts) if head in t or (len(t) >= 40 and t in q)]
        allowed = set(int(i) for i in level_idx)
        return [i for i in self.cache[quote] if i in allowed]


def borrowed_priors(
    priors: Mapping[tuple[str, str], Prior], services: list[str],
) -> dict[tuple[str, str], tuple[Prior, list[str]]]:
    """Priors for services that had none: per element, the company's most common previous answer at
    its other services (ties: the first service's), with the quotes of those answers."""
    out: dict[tuple[str, str], tuple[Prior, list[str]]] = {}
    have = {lvl for lvl, _ in priors}
    new = [s for s in services if s not in have]
    if not new:
        return out
    by_element: dict[str, list[tuple[str, Prior]]] = {}
    for (lvl, element), p in priors.items():
        if lvl in services and p.result != NA:
            by_element.setdefault(element, []).append((lvl, p))
    for element, found in by_element.items():
        counts = Counter(p.result for _, p in found)
        best = max(counts, key=lambda r: (counts[r], -[p.result for _, p in found].index(r)))
        quotes = tuple(dict.fromkeys(q for _, p in found for q in p.quotes))
        sources = [lvl for lvl, p in found if p.result == best]
        for s in new:
            out[(s, element)] = (Prior(best, None, quotes), sources)
    return out


def apply_priors(
    methodology: Methodology,
    grader: Grader,
    judgments: list[Judgment],
    priors: Mapping[tuple[str, str], Prior],
    cp: CompanyPassages,
    services: list[str] | None = None,
) -> None:
    """Start from last edition's answer, as RDR does: keep it unless the documents say otherwise.

    - the grader agrees (same credit class): the prior answer stands — *confirmed*;
    - the prior's cited passages are gone or changed: the grader's answer — *changed*;
    - otherwise the grader must be confident (``grader.override_threshold``) to overrule the
      prior — *changed* — else the prior is kept — *carried*;
    - a credit answer is kept only where it can cite a passage of this level that holds what it
      rested on (its evidence or its researchers' quotes) or that the passage judge reads as
      answering the question (``grader.prior_support``); otherwise the grader's answer stands.

    A service without a previous answer (``services`` lists the company's services) starts from
    the company's answers at its other services (``borrowed_priors``).
    """
    from .citing import evidence_items

    squashed: dict[int, str] = {}
    quotes = _QuoteFinder(cp)
    # a comment that quotes nothing ("see iOS") borrows what the same question quoted at other levels
    quoted_elsewhere: dict[str, list[str]] = {}
    for (_, element), p in priors.items():
        for q in p.quotes:
            if q not in quoted_elsewhere.setdefault(element, []):
                quoted_elsewhere[element].append(q)
    borrowed = borrowed_priors(priors, services or [])
    for j in judgments:
        prior = priors.get((j.level, j.element))
        note = ""
        if prior is None and (j.level, j.element) in borrowed:
            prior, sources = borrowed[(j.level, j.element)]
            note = f"no previous answer for {j.level}: started from the company's answers at {', '.join(sources)}"
        if prior is None or j.result == NA or prior.result == NA:
            continue
        j.prior_result = prior.result
        rev = methodology.elements[j.element].reversed
        level_idx = np.flatnonzero(cp.level_mask(j.level)) if cp.rows else np.zeros(0, dtype=int)
        unchanged, held = _prior_passages(prior, cp, level_idx, squashed)
        graded = (j.result, j.evidence, j.confidence)
        if credit_class(j.result, rev) == credit_class(prior.result, rev):
            j.result, j.prior_relation = prior.result, "confirmed"
        elif unchanged is False or (j.confidence or 0.0) >= grader.override_threshold:
            j.prior_relation = "changed"
            if unchanged is False:
                j.comment = "passages cited for the previous answer changed or were removed"
        else:
            j.result, j.prior_relation = prior.result, "carried"
        if j.result == prior.result and not held:  # what last edition's comment quoted
            quoted = prior.quotes or tuple(quoted_elsewhere.get(j.element, ()))
            held = list(dict.fromkeys(i for q in quoted for i in quotes.find(q, level_idx)))
        if j.result == prior.result and held:  # cite what the previous answer rested on first
            first = evidence_items(cp, np.array(held), np.full(len(held), 5.0))
            for e in first:
                e["basis"] = "previous answer"
            spans = {(e["path"], e["start"], e["end"]) for e in first}
            j.evidence = (first + [e for e in j.evidence if (e["path"], e["start"], e["end"]) not in spans])[:5]
        elif j.result == prior.result and j.result in CREDIT and j.result != graded[0]:
            # kept without its passages: only on a passage the judge reads as answering the
            # question, which is then cited first
            best = max(range(len(j.evidence)), key=lambda i: j.evidence[i].get("support") or 0.0, default=None)
            if best is None or (j.evidence[best].get("support") or 0.0) < grader.prior_support:
                j.result, j.evidence, j.prior_relation = graded[0], graded[1], "changed"
                j.comment = "no passage at this level supports the previous answer"
            else:
                j.evidence = [j.evidence[best]] + [e for i, e in enumerate(j.evidence) if i != best]
        if j.result in CREDIT and not j.evidence:
            j.result, j.prior_relation = NDF, "changed"  # a credit answer needs a passage to cite
            j.comment = "no passage at this level to support the previous answer"
        if note:
            j.comment = f"{note}; {j.comment}" if j.comment else note


def read_prior(paths: list[Path], methodology) -> dict[str, dict]:
    """Previous edition's results (RDR CSV format, ours or RDR's): company -> {(level, element): Prior}.

    Our own ``element-scores.csv`` carries an ``Evidence`` column; its passages let the grader tell
    whether what the previous answer rested on has changed. RDR's files carry none, but their
    ``Comment`` quotes the policies ("It states, “…”"): those quotes lead the evidence when the
    previous answer stands (they never decide the answer: a comment may quote a page we lack).
    """
    from .knowledge import quotes_in
    from ..formats import elementcsv
    from ..formats.csvsafe import restore_row

    data = elementcsv.read(paths, methodology)  # validates; raises ElementCSVError
    evidence: dict[tuple[str, str, str], tuple[tuple[str, str], ...]] = {}
    quoted: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for p in paths:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            for row in map(restore_row, csv.DictReader(fh)):
                level = row["Composite"] if row["Branch"] == "Company" else row["Service"]
                raw = (row.get("Evidence") or "").strip()
                if not raw or raw == "NA":
                    # RDR's own files: the researchers' comment quotes the passages they relied on
                    found = quotes_in(row.get("Comment") or "")
                    if found:
                        quoted[(row["Company"], level, methodology_mod.normalise_element_id(row["Element"]))] = tuple(found)
                    continue
                try:
                    items = json.loads(raw)
                except json.JSONDecodeError:
                    continue
                evidence[(row["Company"], level, methodology_mod.normalise_element_id(row["Element"]))] = tuple(
                    (str(e.get("path", "")), str(e.get("text", ""))) for e in items[:1] if e.get("text")
                )
    out: dict[str, dict] = {}
    for r in data.results:
        key = (r.company, r.level, r.element)
        out.setdefault(r.company, {})[(r.level, r.element)] = Prior(r.result, evidence.get(key), quoted.get(key, ()))
    return out

"""The element decision: from what the judge read in the candidate passages to an answer.

Pure functions over a judgment's candidates (``Candidate``: a unit, how it ranked, what the
passage judge said of it). The decision model (``grader.classifier``, calibrated multinomial
logistic regression over ``DECISION_FEATURES``) weighs the support of the best passages, how many
support the element, refusals, hedging, and the element's prior — how often other companies got
credit for it, which calibrates a decision but never makes one: ``decide`` gives credit only when
a cited unit is read as answering the question, and a "no" only when one is read as answering it
in the negative. The unit that earns the grade is cited first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .knowledge import RESULT_CLASSES
from .passages import CompanyPassages

NDF = "no disclosure found"

_NEGATION = re.compile(
    r"\b(?:do(?:es)? not|don't|doesn't|will not|won't|never|cannot|can't|not (?:be |been )?(?:share|sell|disclose|notify|provide|collect|use|track|require|allow)|no longer)\b|不会|不得|不向|不提供|不收集|不共享|无法",
    re.I,
)
_HEDGE = re.compile(r"\b(?:may|might|could|from time to time|at (?:our|its) (?:sole )?discretion|some|certain)\b|可能|或许|必要时", re.I)

DECISION_FEATURES = (
    # the element's prior: log probability of full / partial / no credit at other companies
    "prior_full",
    "prior_partial",
    "prior_none",
    # what the judge read: support (partial or full) of the three best units, their fullness
    "support_1",
    "support_2",
    "support_3",
    "full_share_1",  # p(full) / p(support) of the best unit
    "refusal_max",
    "n_supported",  # log(1 + units read as supporting, p >= 0.5)
    "hedge_1",
    "negation_1",
    "multilingual_1",  # the best unit was read by the multilingual judge (per-language calibration)
    "support_1_multilingual",  # its support, for the multilingual judge's own slope
    "relevance_1",
    # how close the candidates come to what researchers quoted for this element at other
    # companies, and to its question (absolute, not company-relative): text resembling credited
    # disclosures; the support rule still decides whether a passage can earn credit
    "quote_sim_top",
    "quote_sim_best",
    "quote_centroid_top",
    "query_sim_top",
    "service_level",
    "cat_G",
    "cat_F",
    "cat_P",
)


@dataclass
class Candidate:
    passage: int  # index of the unit's best-ranked passage in ``CompanyPassages.rows``
    unit: int
    relevance: float  # ranker score (closeness to the question and to researchers' quotes)
    support: np.ndarray | None = None  # judge's probabilities: none, partial, full, refusal
    window: tuple[int, int] | None = None  # where in the unit the judge read it
    closeness: float | None = None  # English: best sentence's closeness to the element's quotes (None: not checked)
    in_scope: bool = True  # its document is of a kind that can answer the element (``access.Scope``)
    similarity: float | None = None  # closeness to the element's quotes elsewhere, any language (``reading``)
    multilingual: bool = False  # read by the multilingual judge
    judge_support: float | None = None  # the passage judge's own support, where ``reading`` re-read it
    quote_sim: float | None = None  # its best sentence's closeness to the element's quotes (``quote_sim_best``)

    @property
    def support_prob(self) -> float:
        return 0.0 if self.support is None else float(self.support[1] + self.support[2])

    @property
    def refusal_prob(self) -> float:
        return 0.0 if self.support is None else float(self.support[3])

    @property
    def full_share(self) -> float:
        s = self.support_prob
        return float(self.support[2]) / s if s > 1e-6 else 0.0


def _credit_prior(prior: np.ndarray, reversed_scoring: bool) -> np.ndarray:
    """(yes, partial, no, ndf) → (full, partial, none) credit."""
    yes, partial, no, ndf = (float(x) for x in prior)
    full, none = (no, yes + ndf) if reversed_scoring else (yes, no + ndf)
    return np.log(np.array([full, partial, none]) + 1e-3)


def by_support(cands: list[Candidate]) -> list[Candidate]:
    return sorted(cands, key=lambda c: (-c.support_prob, -c.relevance))


def can_earn(c: Candidate, grader) -> bool:
    """A unit can earn credit when it is read as answering the question (its support: the reader's,
    or the judge's own), the passage judge itself reads it as answering at least in part
    (``grader.judge_floor``: resembling what researchers credited elsewhere is not enough), for the
    English judge it is at all like what researchers quoted for that question
    (``grader.closeness_floor``), and its document is of a kind that can answer it (a cookie notice
    says nothing of governance)."""
    floor = getattr(grader, "judge_floor", 0.0)
    return (
        c.in_scope and c.support_prob >= grader.support_threshold and (c.closeness is None or c.closeness >= grader.closeness_floor)
        and (c.judge_support is None or c.judge_support >= floor)
    )


CLOSENESS = {"quote_sim_top": "sent_sim_quote_max", "quote_centroid_top": "sent_sim_quote_centroid", "query_sim_top": "sent_sim_query"}


def decision_features(
    cands: list[Candidate], cp: CompanyPassages, prior: np.ndarray, service_level: bool, category: str, reversed_scoring: bool,
    closeness: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """``closeness``: passage feature name → its values for this element over the company's
    passages (``CLOSENESS`` names the ones used)."""
    x = np.zeros(len(DECISION_FEATURES), dtype=np.float32)
    x[0:3] = _credit_prior(prior, reversed_scoring)
    x[DECISION_FEATURES.index("service_level")] = float(service_level)
    x[DECISION_FEATURES.index("cat_" + category)] = 1.0
    if not cands:
        return x
    ranked = by_support(cands)
    sup = [c.support_prob for c in ranked]
    x[3] = sup[0]
    x[4] = sup[1] if len(sup) > 1 else 0.0
    x[5] = sup[2] if len(sup) > 2 else 0.0
    x[6] = ranked[0].full_share
    x[7] = max(c.refusal_prob for c in cands)
    x[8] = float(np.log1p(sum(s >= 0.5 for s in sup)))
    best = cp.rows[ranked[0].passage].text
    x[9] = float(bool(_HEDGE.search(best)))
    x[10] = float(bool(_NEGATION.search(best)))
    x[11] = float(cp.rows[ranked[0].passage].reader == "use")
    x[12] = x[3] * x[11]
    x[13] = max(c.relevance for c in cands)
    if closeness:
        for name, source in CLOSENESS.items():
            if source in closeness:
                x[DECISION_FEATURES.index(name)] = max(float(closeness[source][c.passage]) for c in cands)
        if "sent_sim_quote_max" in closeness and ranked[0].quote_sim is None:
            x[DECISION_FEATURES.index("quote_sim_best")] = float(closeness["sent_sim_quote_max"][ranked[0].passage])
    if ranked[0].quote_sim is not None:
        x[DECISION_FEATURES.index("quote_sim_best")] = ranked[0].quote_sim
    return x


# the decision features that depend on what was read (the others: prior, level, category, closeness)
READING_DEPENDENT = (
    "support_1", "support_2", "support_3", "full_share_1", "refusal_max", "n_supported", "hedge_1", "negation_1",
    "multilingual_1", "support_1_multilingual", "quote_sim_best",
)


def with_reading(x: np.ndarray, cands: list[Candidate], cp: CompanyPassages) -> np.ndarray:
    """A judgment's decision features ``x`` with the reading-dependent ones recomputed from
    ``cands`` (re-read candidates: training, where each fold reads with its own reader)."""
    new = decision_features(cands, cp, np.full(4, 0.25), False, "G", False)
    out = np.array(x, dtype=np.float32).copy()
    for name in READING_DEPENDENT:
        k = DECISION_FEATURES.index(name)
        out[k] = new[k]
    return out


def decide(p: np.ndarray, cands: list[Candidate], grader, reversed_scoring: bool = False) -> tuple[str, float, np.ndarray, list[Candidate]]:
    """The answer, its confidence, the (gated) probabilities and the candidates to cite, in order.

    Credit (yes, partial) is possible only when the best unit's support reaches
    ``grader.support_threshold``; "no" only when a unit is read as a refusal
    (``grader.refusal_threshold``). The probabilities of answers the passages cannot carry are
    moved to "no disclosure found". The confidence stays the decision model's own: a "no
    disclosure found" that the rule imposed on an answer the model believed to earn credit is a
    doubtful one (low confidence, first in the review queue), not a confident zero."""
    p = np.asarray(p, dtype=np.float64).copy()
    model = p.copy()
    i_yes, i_partial, i_no, i_ndf = (RESULT_CLASSES.index(c) for c in ("yes", "partial", "no", NDF))
    earning = [c for c in by_support(cands) if can_earn(c, grader)]
    ranked = earning + [c for c in by_support(cands) if not can_earn(c, grader)]
    best_refusal = max((c.refusal_prob for c in cands if c.in_scope and (c.closeness is None or c.closeness >= grader.closeness_floor)), default=0.0)
    if not earning:
        p[i_ndf] += p[i_yes] + p[i_partial]
        p[i_yes] = p[i_partial] = 0.0
    if best_refusal < grader.refusal_threshold:
        p[i_ndf] += p[i_no]
        p[i_no] = 0.0
    k = int(p.argmax())
    result = RESULT_CLASSES[k]
    if result == "no":
        cited = sorted(cands, key=lambda c: (-c.refusal_prob, -c.relevance))
    elif result in ("yes", "partial"):
        cited = ranked
    else:  # the closest passages, for the record
        cited = sorted(cands, key=lambda c: -c.relevance)
    # "no disclosure found" and "no" are the same credit class unless the element is reversed
    confidence = float(model[i_ndf] + (0.0 if reversed_scoring else model[i_no])) if result == NDF else float(model[k])
    return result, round(min(confidence, float(p[k])), 4), p, cited[:5]


def explain(result: str, cited: list[Candidate], cp: CompanyPassages, element, methodology) -> list[str]:
    """What a researcher checks: which passage supports the grade and how strongly, and, for a
    partial answer, what is missing for full credit."""
    if not cited:
        return ["No passage at this level to read."]
    c = cited[0]
    row = cp.rows[c.passage]
    where = f"{row.path}" + (f" ({row.heading.rsplit(' > ', 1)[-1][:80]})" if row.heading else "")
    if result in ("yes", "partial"):
        judge = f"; passage judge {c.judge_support:.0%}" if c.judge_support is not None else ""
        out = [f"Earned by the first cited passage, {where}: read as answering the question "
               f"{'fully' if result == 'yes' else 'in part'} (support {c.support_prob:.0%}, full {c.full_share * c.support_prob:.0%}{judge})."]
        if result == "partial":
            missing = []
            text = cp.rows[c.passage].text
            hedge = _HEDGE.search(text)
            if hedge:
                missing.append(f"it is hedged (“{hedge.group(0)}”)")
            if c.full_share < 0.5:
                missing.append("it answers only part of what the question asks")
            others = sum(x.support_prob >= 0.5 for x in cited[1:])
            if not others:
                missing.append("no other passage at this level adds to it")
            out.append("For full credit: " + "; ".join(missing or ["a clearer, complete disclosure"]) + ".")
        else:
            n = sum(x.support_prob >= 0.5 for x in cited)
            if n > 1:
                out.append(f"{n - 1} more cited passage(s) also read as answering it.")
        return out
    if result == "no":
        return [f"The company says it does not, in {where} (read as a refusal: {c.refusal_prob:.0%})."]
    best = max(cited, key=lambda x: x.support_prob)
    return [f"No passage at this level was read as answering the question (the closest: {best.support_prob:.0%} support, "
            f"in {cp.rows[best.passage].path}). The passages cited are the closest, for the record."]


__all__ = ["CLOSENESS", "Candidate", "DECISION_FEATURES", "READING_DEPENDENT", "by_support", "decide", "decision_features", "explain", "with_reading"]

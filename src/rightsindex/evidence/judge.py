"""Grade every applicable element at every level of one company, citing passages.

``grade_company`` is the single grading path used by ``assess`` (CLI, web, workers) and by the
training and benchmark code. It never aggregates scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..corpus.manifest import CompanySpec
from ..methodology import Methodology
from .features import JUDGMENT_FEATURES, PassageScores, judgment_features, passage_scores
from .grader import Grader
from .knowledge import LEVEL_KINDS, RESULT_CLASSES, Knowledge
from .passages import CompanyPassages

NA = "NA"
NDF = "no disclosure found"
CREDIT = ("yes", "partial", "no")


def credit_class(result: str, reversed_scoring: bool = False) -> str:
    """full / partial / none, as RDR credits a result (reversed elements score ``no`` as full)."""
    if result == "partial":
        return "partial"
    if result == "yes":
        return "none" if reversed_scoring else "full"
    if result == "no":
        return "full" if reversed_scoring else "none"
    return "none"


@dataclass
class Prior:
    result: str
    evidence_texts: tuple[tuple[str, str], ...] | None = None  # ((path, text), …) when the prior cited passages
    quotes: tuple[str, ...] = ()  # texts the previous edition's comment quoted (RDR's files have no spans)


@dataclass
class Judgment:
    level: str
    service_kind: str | None
    element: str
    result: str
    confidence: float | None = None
    probabilities: dict = field(default_factory=dict)  # per result, and "why": top feature contributions
    evidence: list[dict] = field(default_factory=list)
    prior_result: str | None = None
    prior_relation: str | None = None  # confirmed | changed | carried
    features: np.ndarray | None = None
    comment: str = ""


def company_levels(company: CompanySpec, cp: CompanyPassages) -> list[tuple[str, str | None, bool]]:
    """(level, RDR service type or None, assessed?) — OpCom is assessed only when a document
    explicitly speaks for it."""
    opcom = any(r.levels is not None and "OpCom" in r.levels for r in cp.rows)
    out: list[tuple[str, str | None, bool]] = [("Group", None, True), ("OpCom", None, opcom)]
    out += [(s.id, s.rdr_type, True) for s in company.services]
    return out


def _evidence(cp: CompanyPassages, top: np.ndarray, rel: np.ndarray) -> list[dict]:
    """The evidence units of the given passages (best first; a unit once): where it is, its text,
    the passage that ranked (``passage_id``) and, for a list, every passage of it (``passage_ids``)."""
    unit_of, members = cp.units()
    out = []
    seen: set[int] = set()
    for i, r in zip(top, rel):
        u = int(unit_of[int(i)])
        if u in seen:
            continue
        seen.add(u)
        row = cp.rows[int(i)]
        start, end, text = cp.unit_span(u)
        item = {
            "path": row.path,
            "version": row.version_seq,
            "version_id": row.version_id,
            "passage_id": row.passage_id,
            "start": start,
            "end": end,
            "heading": row.heading,
            "text": text,
            "score": round(float(r), 2),  # ranker relevance: higher is closer to the question
        }
        if len(members[u]) > 1:
            item["passage_ids"] = [cp.rows[m].passage_id for m in members[u]]
        out.append(item)
    return out


def evidence_passages(relevance: np.ndarray, idx: np.ndarray, cp: CompanyPassages, n: int = 5) -> np.ndarray:
    """The best passage of each of the ``n`` best evidence units (best first): a list counts once,
    and so does a unit whose text another document repeats."""
    unit_of, members = cp.units()
    k = min(len(idx), 10 * n)
    while True:
        order = np.argpartition(-relevance, k - 1)[:k] if len(idx) > k else np.arange(len(idx))
        order = order[np.argsort(-relevance[order], kind="stable")]
        out: list[int] = []
        seen: set[tuple[str, ...]] = set()
        for t in order:
            i = int(idx[t])
            key = tuple(cp.rows[m].text_sha256 for m in members[unit_of[i]])
            if key not in seen:
                seen.add(key)
                out.append(i)
                if len(out) == n:
                    return np.array(out, dtype=int)
        if k >= len(idx):
            return np.array(out, dtype=int)
        k = min(len(idx), 4 * k)


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


def grade_company(
    methodology: Methodology,
    kn: Knowledge,
    grader: Grader,
    company: CompanySpec,
    cp: CompanyPassages,
    *,
    exclude: tuple[str, ...] = (),
    priors: Mapping[tuple[str, str], Prior] | None = None,
    scores: PassageScores | None = None,
) -> list[Judgment]:
    """Judgments for every element × level of ``company`` (N/A where the methodology excludes)."""
    kind = company.kind
    ps = scores if scores is not None else passage_scores(methodology, kn, cp, exclude=exclude)
    E, P = len(kn.elements), len(cp.rows)
    R = grader.relevance(ps.values) if P else np.zeros((E, 0), dtype=np.float32)
    prior_table = kn.priors(exclude=(*exclude, company.id))
    row_of = kn.row

    pending: list[Judgment] = []
    feats: list[np.ndarray] = []
    tops: list[tuple[np.ndarray, np.ndarray]] = []
    judgments: list[Judgment] = []
    for level, service_kind, assessed in company_levels(company, cp):
        mask = cp.level_mask(level) if P else np.zeros(0, dtype=bool)
        idx = np.flatnonzero(mask)
        for eid in methodology.elements:
            el = methodology.elements[eid]
            if not assessed or not methodology.element_applies(eid, kind, service_kind, level):
                judgments.append(Judgment(level, service_kind, eid, NA))
                continue
            e = row_of[eid]
            prior_vec = prior_table[e, LEVEL_KINDS.index("service" if service_kind else "company")]
            ind = methodology.indicators[el.indicator]
            x, top = judgment_features(R[e, idx], idx, ps, e, cp, prior_vec, service_kind is not None, ind.category)
            j = Judgment(level, service_kind, eid, NDF)
            judgments.append(j)
            pending.append(j)
            feats.append(x)
            cite = evidence_passages(R[e, idx], idx, cp) if len(top) else top
            tops.append((cite, R[e, cite] if len(cite) else np.zeros(0)))
    if pending:
        X = np.vstack(feats)
        proba = grader.classifier.predict_proba(X)
        for j, x, p, (top, rel) in zip(pending, X, proba, tops):
            result = RESULT_CLASSES[int(p.argmax())]
            if result in CREDIT and len(top) == 0:
                result = NDF  # nothing to cite: a credit result would be unsupported
            j.result = result
            j.confidence = round(float(p.max()), 4)
            j.probabilities = {c: round(float(v), 4) for c, v in zip(RESULT_CLASSES, p)}
            j.evidence = _evidence(cp, top, rel)
            j.features = x
            j.probabilities["why"] = grader.explain(x, result, top=3)
    if priors:
        apply_priors(methodology, grader, judgments, priors, cp)
    return judgments


def apply_priors(
    methodology: Methodology,
    grader: Grader,
    judgments: list[Judgment],
    priors: Mapping[tuple[str, str], Prior],
    cp: CompanyPassages,
) -> None:
    """Start from last edition's answer, as RDR does: keep it unless the documents say otherwise.

    - the grader agrees (same credit class): the prior answer stands — *confirmed*;
    - the prior's cited passages are gone or changed: the grader's answer — *changed*;
    - otherwise the grader must be confident (``grader.override_threshold``) to overrule the
      prior — *changed* — else the prior is kept — *carried*.
    """
    squashed: dict[int, str] = {}
    quotes = _QuoteFinder(cp)
    # a comment that quotes nothing ("see iOS") borrows what the same question quoted at other levels
    quoted_elsewhere: dict[str, list[str]] = {}
    for (_, element), p in priors.items():
        for q in p.quotes:
            if q not in quoted_elsewhere.setdefault(element, []):
                quoted_elsewhere[element].append(q)
    for j in judgments:
        prior = priors.get((j.level, j.element))
        if prior is None or j.result == NA or prior.result == NA:
            continue
        j.prior_result = prior.result
        rev = methodology.elements[j.element].reversed
        level_idx = np.flatnonzero(cp.level_mask(j.level)) if cp.rows else np.zeros(0, dtype=int)
        unchanged, held = _prior_passages(prior, cp, level_idx, squashed)
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
            first = _evidence(cp, np.array(held), np.full(len(held), 5.0))
            spans = {(e["path"], e["start"], e["end"]) for e in first}
            j.evidence = (first + [e for e in j.evidence if (e["path"], e["start"], e["end"]) not in spans])[:5]
        if j.result in CREDIT and not j.evidence:
            j.result, j.prior_relation = NDF, "changed"  # a credit answer needs a passage to cite
            j.comment = "no passage at this level to support the previous answer"


__all__ = ["Judgment", "Prior", "credit_class", "grade_company", "apply_priors", "JUDGMENT_FEATURES"]

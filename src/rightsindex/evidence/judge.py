"""Grade every applicable element at every level of one company, citing passages.

``grade_company`` is the single grading path used by ``assess`` (CLI, web, workers) and by the
training and benchmark code. It never aggregates scores. For each company × level × element:

1. **candidates**: the level's evidence units that rank best for the element (``grader.relevance``:
   lexical and embedding closeness to the question and to what RDR's researchers quoted);
2. **support**: the passage judge (``support``) reads each candidate and says whether it discloses
   what the element asks — fully, partly, not at all, or in the negative; the reader (``reading``,
   ``grader.reader``) weighs that reading with how much the passage resembles what researchers
   credited for the element elsewhere, into the support the rule uses;
3. **decision**: a calibrated model over that support (how strongly the best passages answer the
   question, how many do, hedging) and the element's prior (how often other companies got credit,
   which calibrates but never decides): yes / partial / no / no disclosure found;
4. **the rule**: a credit answer (and a "no") needs a cited unit that the judge reads as answering
   the question (``grader.support_threshold``); that unit is cited first and earns the grade.
   Otherwise the answer is "no disclosure found", citing the closest passages for the record.

Access elements (is a policy easy to find, in the home language, understandable?) are answered
from the documents themselves (``access``). A level with no readable document gets the status
"no readable document" and no confidence.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping

import numpy as np

from ..corpus.manifest import CompanySpec
from ..methodology import Methodology
from . import access as access_mod
from .citing import evidence_items, evidence_passages
from .decision import CLOSENESS, Candidate, decide, decision_features, explain
from .features import PassageScores, passage_scores
from .grader import Grader
from .judgment import Judgment
from .knowledge import LEVEL_KINDS, RESULT_CLASSES, Knowledge
from .passages import CompanyPassages
from .judgment import NA, NDF
from .previous_answers import Prior, apply_priors
from .reading import reread
from .support import SUPPORT_CLASSES, SupportJudge

NO_READABLE = "no readable document"



def company_levels(company: CompanySpec, cp: CompanyPassages) -> list[tuple[str, str | None, bool]]:
    """(level, RDR service type or None, assessed?) — OpCom is assessed only when a document
    explicitly speaks for it."""
    opcom = any(r.levels is not None and "OpCom" in r.levels for r in cp.rows)
    out: list[tuple[str, str | None, bool]] = [("Group", None, True), ("OpCom", None, opcom)]
    out += [(s.id, s.rdr_type, True) for s in company.services]
    return out


def _no_document(j: Judgment, listed: int) -> None:
    """A level whose documents could not be read (or that no document speaks for) is no confident zero."""
    j.result, j.confidence, j.evidence = NDF, None, []
    j.probabilities = {"status": NO_READABLE if listed else "no document"}
    j.comment = (
        f"No readable document: {listed} document(s) listed for this level could not be read, so nothing was graded."
        if listed else "No document speaks for this level: nothing was graded."
    )


def _closeness(cp, quote_sim, centroid_sim, e: int, i: int) -> float | None:
    """How close an English unit's passage comes to the element's quotes (None: not read by the
    cross-encoder, whose outputs this guards)."""
    if quote_sim is None or cp.rows[i].reader != "minilm":
        return None
    return float(max(quote_sim[e, i], centroid_sim[e, i]))


def _similarity(quote_sim, centroid_sim, e: int, i: int) -> float | None:
    """How close a passage comes to the element's quotes (MiniLM for English, USE otherwise)."""
    return None if quote_sim is None else float(max(quote_sim[e, i], centroid_sim[e, i]))


def _in_scope(cp, scope, i: int, indicator: str, family: str | None) -> bool:
    doc = cp.docs.get(cp.rows[i].path) if cp.docs else None
    return True if doc is None else scope.answers(doc, indicator, family)


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
    judge: SupportJudge | None = None,
    listed: Mapping[str, int] | None = None,
    trace: list | None = None,
) -> list[Judgment]:
    """Judgments for every element × level of ``company`` (N/A where the methodology excludes).

    ``judge`` reads the candidates (default: the shipped judge, without a store cache);
    ``listed`` counts the documents the manifest lists for each level (read or not), so that a
    level whose documents could not be read is told apart from one no document speaks for;
    ``trace`` (benchmarks) receives ``(judgment, candidates read)`` for every decided element."""
    kind = company.kind
    judge = judge or SupportJudge.default()
    P = len(cp.rows)
    ps = scores if scores is not None else passage_scores(methodology, kn, cp, exclude=exclude)
    R = grader.relevance(ps.values) if P else np.zeros((len(kn.elements), 0), dtype=np.float32)
    prior_table = kn.priors(exclude=(*exclude, company.id))
    row_of = kn.row
    rules = access_mod.load()
    listed = listed or {}

    # 1. candidates per level × element
    judgments: list[Judgment] = []
    todo: list[tuple[Judgment, int, np.ndarray]] = []  # judgment, element row, candidate passages
    access_js: list[Judgment] = []
    reads: dict[str, bytes] = {}  # level -> the passages it reads
    for level, service_kind, assessed in company_levels(company, cp):
        mask = cp.level_mask(level) if P else np.zeros(0, dtype=bool)
        idx = np.flatnonzero(mask)
        reads[level] = idx.tobytes()
        for eid in methodology.elements:
            if not assessed or not methodology.element_applies(eid, kind, service_kind, level):
                judgments.append(Judgment(level, service_kind, eid, NA))
                continue
            j = Judgment(level, service_kind, eid, NDF)
            judgments.append(j)
            if len(idx) == 0:
                _no_document(j, listed.get(level, 0))
                continue
            if rules.aspect(eid):
                access_js.append(j)
                continue
            e = row_of[eid]
            todo.append((j, e, evidence_passages(R[e, idx], idx, cp, n=grader.candidates)))

    # 2. the judge reads every candidate unit once per element
    unit_of, _ = cp.units()
    pairs = sorted({(j.element, int(unit_of[int(i)])) for j, _, cand in todo for i in cand})
    support = judge.judge(methodology, kn, cp, ps, pairs, exclude=exclude)

    # 3. decisions
    quote_sim, centroid_sim = (ps.feature("sent_sim_quote_max"), ps.feature("sent_sim_quote_centroid")) if P else (None, None)
    scope = access_mod.load_scope()
    content_docs: dict[str, set[str]] = defaultdict(set)  # indicator -> documents shown to hold it
    if todo:
        X = []
        cands_of: list[list[Candidate]] = []
        for j, e, cand in todo:
            el = methodology.elements[j.element]
            cands = [
                Candidate(int(i), int(unit_of[int(i)]), float(R[e, int(i)]), *support[(j.element, int(unit_of[int(i)]))],
                          closeness=_closeness(cp, quote_sim, centroid_sim, e, int(i)),
                          in_scope=_in_scope(cp, scope, int(i), el.indicator, methodology.indicators[el.indicator].family),
                          similarity=_similarity(quote_sim, centroid_sim, e, int(i)), multilingual=cp.rows[int(i)].reader == "use",
                          quote_sim=None if quote_sim is None else float(quote_sim[e, int(i)]))
                for i in cand
            ]
            cands = reread(cands, grader.reader)
            cands_of.append(cands)
            prior_vec = prior_table[e, LEVEL_KINDS.index("service" if j.service_kind else "company")]
            closeness = {name: ps.feature(name)[e] for name in CLOSENESS.values()}
            X.append(decision_features(cands, cp, prior_vec, j.service_kind is not None, methodology.indicators[el.indicator].category, el.reversed, closeness))
        X = np.vstack(X)
        proba = same_reading_same_answer(grader.predict_proba(X), [(j.element, reads[j.level]) for j, _, _ in todo])
        for (j, e, cand), cands, x, p in zip(todo, cands_of, X, proba):
            el = methodology.elements[j.element]
            result, confidence, probs, cited = decide(p, cands, grader, reversed_scoring=el.reversed)
            j.result, j.confidence, j.features = result, confidence, x
            j.probabilities = {c: round(float(v), 4) for c, v in zip(RESULT_CLASSES, probs)}
            j.evidence = _cite(cp, cited)
            j.probabilities["why"] = explain(result, cited, cp, el, methodology)
            if trace is not None:
                trace.append((j, cands))
            if result in ("yes", "partial") and cited:
                content_docs[el.indicator].add(cp.rows[cited[0].passage].path)
                content_docs[methodology.indicators[el.indicator].family or el.indicator].add(cp.rows[cited[0].passage].path)

    # 4. access elements, from the documents that showed their kind
    for j in access_js:
        ans = rules.answer(j.element, j.level, cp, content_docs)
        j.result = ans.result
        j.comment = ans.comment
        if ans.doc is not None and ans.doc.first_row is not None:
            ev = evidence_items(cp, np.array([ans.doc.first_row]), np.array([0.0]))
            for item in ev:
                item["basis"] = "document"
            j.evidence = ev
        j.confidence = grader.access_confidence.get(ans.result, 0.8)
        j.probabilities = {"why": [ans.comment], "basis": "document"}

    if priors:
        apply_priors(methodology, grader, judgments, priors, cp, services=[s.id for s in company.services])
    return judgments


def same_reading_same_answer(proba: np.ndarray, keys: list[tuple[str, bytes]]) -> np.ndarray:
    """Levels that read the same documents get the same answer for the same element (issue 20,
    item 21): the decision model's features differ by level kind only through the element's prior
    and ``service_level``, which calibrate and must not split one reading into "yes" at the Group
    and "no disclosure found" at a service. Judgments with the same key (element, the passages the
    level reads) share the mean of their probabilities; an element asked at one level kind only
    has nothing to share."""
    groups: dict[tuple[str, bytes], list[int]] = defaultdict(list)
    for k, key in enumerate(keys):
        groups[key].append(k)
    out = np.array(proba, dtype=np.float64)
    for members in groups.values():
        if len(members) > 1:
            out[members] = out[members].mean(axis=0)
    return out


def _cite(cp: CompanyPassages, cited: list[Candidate]) -> list[dict]:
    """Evidence items for the cited candidates (one per unit, in order), with what the judge read."""
    if not cited:
        return []
    items = evidence_items(cp, np.array([c.passage for c in cited]), np.array([c.relevance for c in cited]))
    for item, c in zip(items, cited):
        if c.support is not None:
            item["support"] = round(c.support_prob, 3)
            item["judged"] = {k: round(float(v), 3) for k, v in zip(SUPPORT_CLASSES, c.support)}
        if c.judge_support is not None:
            item["judge_support"] = round(c.judge_support, 3)
        if c.window is not None:
            item["window"] = [int(c.window[0]), int(c.window[1])]
    return items


__all__ = ["NO_READABLE", "company_levels", "grade_company", "same_reading_same_answer"]

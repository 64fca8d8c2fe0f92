"""The reading: does a candidate passage answer the element, all things read considered?

The passage judge (``support``) reads a window with the element's question and says how well it
answers; on its own it accepts passages that are *about* the question (measured on the RDR 2020
pack, company-split: ROC AUC 0.85 between the passages RDR quoted for a credit answer and the
best-ranked passages at levels where RDR found no disclosure). What researchers credited
elsewhere for the same element says more: a passage that reads like the disclosures RDR credited
for that question at *other* companies, and that the judge reads as answering it, is an answer
(AUC 0.95 on the same pairs). The reader is a small calibrated logistic model over what was read
of one candidate unit (``READER_FEATURES``), trained in ``train.cross_validate`` on the pack's
units, company-split (``train.fit_reader``):

- positives: units holding a passage RDR's researchers quoted for a credit answer;
- negatives: every candidate unit read at a level where RDR answered "no disclosure found" (RDR
  read the company's documents and found none: a sure negative, on the element's topic);
- the units RDR did not quote at a credit answer are unlabelled (a policy often answers a question
  in several places and RDR quotes one), not negatives.

Its probability replaces the judge's support (``reread``), keeping the judge's split between
partial and full and its refusal; the rule is unchanged: a credit answer needs a cited unit whose
reading reaches ``grader.support_threshold`` (and the guards: closeness floor, document scope).
The judge's own support stays on the candidate (``judge_support``) and in the evidence.

It reads what the English judge read, and only that. Units read by the multilingual judge
(Chinese) keep that judge's support, in training and in grading: the pack holds few Chinese units
and their multilingual support was near zero (mean 0.04), so a reader that also took them learned
weights for the multilingual columns that, on a Chinese policy whose passages the multilingual
judge does read as answering (support up to 0.93), extrapolated to a reading of 1e-7 — Baidu's
two Chinese policies earned nothing at all (example corpus, before this rule).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

READER_FEATURES = (
    "support",  # the judge's p(partial) + p(full)
    "full",  # the judge's p(full)
    "refusal",  # the judge's p(refusal)
    "similarity",  # closeness to what researchers quoted for the element elsewhere (best sentence; USE for Chinese)
    "support_x_similarity",
    "relevance",  # the ranker's score (company-relative)
    "log_rank",  # log(1 + rank among the level's candidates)
)
READER_CLASSES = ("none", "answers")


def read_by_reader(c) -> bool:
    """Whether the reader reads this candidate: what the English judge read (not the multilingual
    judge's units, which keep their own support; see the module's docstring)."""
    return not c.multilingual


def reader_features(cands: Sequence) -> np.ndarray:
    """One row of ``READER_FEATURES`` per candidate (in the order given: by relevance; the rank is
    the candidate's place in that order)."""
    X = np.zeros((len(cands), len(READER_FEATURES)), dtype=np.float64)
    for k, c in enumerate(cands):
        s = c.support if c.support is not None else np.array([1.0, 0.0, 0.0, 0.0])
        sup = float(s[1] + s[2])
        sim = float(c.similarity if c.similarity is not None else 0.0)
        X[k] = (sup, float(s[2]), float(s[3]), sim, sup * sim, float(c.relevance), np.log1p(k))
    return X


def reread(cands: Sequence, reader) -> list:
    """The candidates with the reader's probability as their support (the judge's partial/full
    split and refusal kept; the judge's own support kept as ``judge_support``). ``reader``: a
    ``grader.LinearModel`` over ``READER_FEATURES`` (None: unchanged). Candidates the reader does
    not read (``read_by_reader``) are returned as they are."""
    if reader is None or not len(cands):
        return list(cands)
    p = reader.predict_proba(reader_features(cands))[:, list(reader.classes).index("answers")]
    out = []
    for c, q in zip(cands, p):
        if not read_by_reader(c):
            out.append(c)
            continue
        s = c.support if c.support is not None else np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)
        sup = float(s[1] + s[2])
        full = float(s[2]) / sup if sup > 1e-6 else 0.0
        q = float(q)
        new = np.array([1.0 - q, q * (1.0 - full), q * full, float(s[3])], dtype=np.float32)
        out.append(replace(c, support=new, judge_support=sup))
    return out


def unit_labels(cands: Sequence, gold_result: str | None, quoted: Sequence[bool]) -> list[int | None]:
    """Training labels of a judgment's candidates (see the module's docstring): 1 for a unit
    holding a quote of a credit answer, 0 for every unit at a "no disclosure found" answer, None
    (unlabelled) otherwise."""
    if gold_result in ("yes", "partial"):
        return [1 if q else None for q in quoted]
    if gold_result == "no disclosure found":
        return [0] * len(cands)
    return [None] * len(cands)


__all__ = ["READER_FEATURES", "READER_CLASSES", "read_by_reader", "reader_features", "reread", "unit_labels"]

"""Features: element × passage relevance signals (the ranker's inputs and the multilingual judge's).

Everything here is pure numpy over a company's passages (``passages.CompanyPassages``) and the
element knowledge (``knowledge.Knowledge``); ``exclude`` names companies whose quotes and priors
must not be used (company-split evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..corpus.segment import tokenize
from ..methodology import Methodology
from .knowledge import Knowledge, query_text
from .passages import CompanyPassages

PASSAGE_FEATURES = (
    "sim_query",
    "sim_quote_max",
    "sim_quote_centroid",
    "has_quotes",
    "sim_zh_expansion",
    "bm25",
    "log_len",
    "is_item",
    "is_table",
    "sim_indicator_quote_max",
    "bm25_quote_terms",
    # the same signals relative to the company's other passages (z-scores per element)
    "z_sim_query",
    "z_sim_quote_max",
    "z_sim_quote_centroid",
    "z_bm25",
    "z_sim_indicator_quote_max",
    "z_bm25_quote_terms",
    # best single sentence of the passage (English); the passage's own value for Chinese
    "sent_sim_query",
    "sent_sim_quote_max",
    "sent_sim_quote_centroid",
    "z_sent_sim_query",
    "z_sent_sim_quote_max",
    "z_sent_sim_quote_centroid",
)
_Z_OF = {
    "z_sent_sim_query": "sent_sim_query",
    "z_sent_sim_quote_max": "sent_sim_quote_max",
    "z_sent_sim_quote_centroid": "sent_sim_quote_centroid",
    "z_sim_query": "sim_query",
    "z_sim_quote_max": "sim_quote_max",
    "z_sim_quote_centroid": "sim_quote_centroid",
    "z_bm25": "bm25",
    "z_sim_indicator_quote_max": "sim_indicator_quote_max",
    "z_bm25_quote_terms": "bm25_quote_terms",
}

def _group_max(sim: np.ndarray, groups: np.ndarray, n_groups: int, fill: np.ndarray) -> np.ndarray:
    """Max of ``sim`` rows per group (rows sorted or not); rows of empty groups take ``fill``."""
    out = fill.copy()
    if len(groups) == 0:
        return out
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    out[g[starts]] = np.maximum.reduceat(sim[order], starts, axis=0)
    return out


def _centroids(vectors: np.ndarray, groups: np.ndarray, n_groups: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    sums = np.zeros((n_groups, dim), dtype=np.float32)
    np.add.at(sums, groups, vectors)
    has = np.zeros(n_groups, dtype=bool)
    has[groups] = True
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.clip(norms, 1e-9, None), has


@dataclass
class PassageScores:
    """Feature tensors of shape (features, E, P)."""

    elements: list[str]
    values: np.ndarray

    def feature(self, name: str) -> np.ndarray:
        return self.values[PASSAGE_FEATURES.index(name)]


_STOP: set[str] | None = None


def _stopwords() -> set[str]:
    global _STOP
    if _STOP is None:
        from bm25s.stopwords import STOPWORDS_EN

        _STOP = set(STOPWORDS_EN) | {"company", "clearly", "disclose", "discloses", "does", "users", "user", "whether", "s"}
    return _STOP


def quote_terms(kn: Knowledge, exclude: tuple[str, ...] = (), per_element: int = 25) -> list[list[str]]:
    """The words that characterise each element's quotes (tf-idf against all quotes)."""
    stop = _stopwords()
    keep = kn.quote_mask(exclude)
    tf: list[dict[str, int]] = [dict() for _ in kn.elements]
    df: dict[str, int] = {}
    for e, text, k in zip(kn.quote_element, kn.quote_text, keep):
        if not k:
            continue
        toks = [t for t in tokenize(text) if t not in stop and len(t) > 2]
        for t in toks:
            tf[e][t] = tf[e].get(t, 0) + 1
        for t in set(toks):
            df[t] = df.get(t, 0) + 1
    n = max(1, int(keep.sum()))
    out = []
    for counts in tf:
        scored = sorted(counts, key=lambda t: -counts[t] * np.log(n / df[t]))
        out.append(scored[:per_element])
    return out


def _reduce_to_passages(M: np.ndarray, owner: np.ndarray, out: np.ndarray) -> None:
    """out[:, p] = max(out[:, p], max of M's columns whose sentence belongs to passage p)."""
    order = np.argsort(owner, kind="stable")
    o = owner[order]
    starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
    red = np.maximum.reduceat(M[:, order], starts, axis=1)
    cols = o[starts]
    out[:, cols] = np.maximum(out[:, cols], red)


def _sentence_features(F, kn: Knowledge, cp: CompanyPassages, zh: np.ndarray, keep: np.ndarray, cent_minilm, block: int) -> None:
    i_q, i_qm, i_qc = (PASSAGE_FEATURES.index(n) for n in ("sent_sim_query", "sent_sim_quote_max", "sent_sim_quote_centroid"))
    # defaults: the passage-level values (Chinese passages, or passages without sentence vectors)
    F[i_q], F[i_qm], F[i_qc] = F[0], F[1], F[2]
    S, owner = cp.sent_minilm, cp.sent_owner
    if S is None or owner is None or len(owner) == 0:
        return
    en_sent = ~zh[owner]
    if not en_sent.any():
        return
    S, owner = S[en_sent], owner[en_sent]
    E = len(kn.elements)
    cent, has = cent_minilm
    q_el = kn.quote_element[keep]
    QU = kn.quote_minilm[keep]
    P = F.shape[2]
    best = {k: np.full((E, P), -np.inf, dtype=np.float32) for k in (i_q, i_qm, i_qc)}
    for b in range(0, len(owner), block):
        V = S[b : b + block]
        ow = owner[b : b + block]
        sq = kn.query_minilm @ V.T
        _reduce_to_passages(sq, ow, best[i_q])
        qm = _group_max(QU @ V.T, q_el, E, sq) if len(q_el) else sq
        _reduce_to_passages(qm, ow, best[i_qm])
        _reduce_to_passages(np.where(has[:, None], cent @ V.T, sq), ow, best[i_qc])
    for k, arr in best.items():
        F[k] = np.where(np.isfinite(arr), arr, F[k])


def _bm25(methodology: Methodology, elements: list[str], cp: CompanyPassages, expansions: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    import bm25s

    stop = _stopwords()
    docs = [[t for t in tokenize(r.text, r.language) if t not in stop] or ["∅"] for r in cp.rows]
    retriever = bm25s.BM25()
    retriever.index(docs, show_progress=False)
    out = np.zeros((2, len(elements), len(cp.rows)), dtype=np.float32)
    for i, e in enumerate(elements):
        q = [t for t in tokenize(query_text(methodology, e)) if t not in stop]
        if q:
            out[0, i] = retriever.get_scores(q)
        if expansions[i]:
            out[1, i] = retriever.get_scores(expansions[i])
    top = out.max(axis=2, keepdims=True)
    return out[0] / np.clip(top[0], 1e-6, None), out[1] / np.clip(top[1], 1e-6, None)


def passage_scores(
    methodology: Methodology,
    kn: Knowledge,
    cp: CompanyPassages,
    exclude: tuple[str, ...] = (),
    block: int = 2048,
    force: str | None = None,
) -> PassageScores:
    """All relevance features for every element × passage of a company.

    Each passage is compared in the space of its language's model; ``force`` ("minilm" or "use")
    uses one model for every passage (training the per-model rankers).
    """
    elements = kn.elements
    E, P = len(elements), len(cp.rows)
    F = np.zeros((len(PASSAGE_FEATURES), E, P), dtype=np.float32)
    if P == 0:
        return PassageScores(elements, F)
    zh = cp.multilingual if force is None else np.full(P, force == "use")
    keep = kn.quote_mask(exclude)
    q_el = kn.quote_element[keep]
    # each element also borrows the quotes of its indicator's other elements
    ind_ids = {ind.id: k for k, ind in enumerate(methodology.scored_indicators())}
    ind_of = np.array([ind_ids[methodology.elements[e].indicator] for e in elements])
    n_ind = int(ind_of.max()) + 1
    q_ind = ind_of[q_el]
    for model, Q, QU, vecs, cols in (
        ("minilm", kn.query_minilm, kn.quote_minilm[keep], cp.minilm, np.flatnonzero(~zh)),
        ("use", kn.query_use, kn.quote_use[keep], cp.use, np.flatnonzero(zh)),
    ):
        if len(cols) == 0:
            continue
        cent, has = _centroids(QU, q_el, E, QU.shape[1])
        zh_cent, zh_has = (None, None)
        if model == "use" and len(kn.zh_element):
            zh_cent, zh_has = _centroids(kn.zh_use, kn.zh_element, E, kn.zh_use.shape[1])
        for b in range(0, len(cols), block):
            c = cols[b : b + block]
            V = vecs[c]
            sq = Q @ V.T
            F[0][:, c] = sq
            F[1][:, c] = _group_max(QU @ V.T, q_el, E, sq) if len(q_el) else sq
            F[2][:, c] = np.where(has[:, None], cent @ V.T, sq)
            F[3][:, c] = has[:, None].astype(np.float32)
            if len(q_el):
                ind_max = _group_max(QU @ V.T, q_ind, n_ind, np.full((n_ind, len(c)), np.nan, dtype=np.float32))
                F[9][:, c] = np.where(np.isnan(ind_max[ind_of]), sq, ind_max[ind_of])
            else:
                F[9][:, c] = sq
            if zh_cent is not None:
                F[4][:, c] = np.where(zh_has[:, None], zh_cent @ V.T, 0.0)
    _sentence_features(F, kn, cp, zh, keep, cent_minilm=_centroids(kn.quote_minilm[keep], q_el, E, 384), block=block)
    F[5], F[10] = _bm25(methodology, elements, cp, quote_terms(kn, exclude))
    for zname, base in _Z_OF.items():
        src = F[PASSAGE_FEATURES.index(base)]
        dst = F[PASSAGE_FEATURES.index(zname)]
        for cols in (np.flatnonzero(~zh), np.flatnonzero(zh)):
            if len(cols) > 1:
                block_ = src[:, cols]
                dst[:, cols] = (block_ - block_.mean(axis=1, keepdims=True)) / (block_.std(axis=1, keepdims=True) + 1e-6)
    lengths = np.array([len(r.text) for r in cp.rows], dtype=np.float32)
    F[6] = np.log1p(lengths)[None, :]
    F[7] = np.array([r.kind == "item" for r in cp.rows], dtype=np.float32)[None, :]
    F[8] = np.array([r.kind == "table" for r in cp.rows], dtype=np.float32)[None, :]
    return PassageScores(elements, F)

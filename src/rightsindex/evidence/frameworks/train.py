"""Fitting item heads: the windows' corpus, one logistic reader per item, out-of-fold readings.

Training data are *documents*: windows in order with the items each carries (``sources``). A
head is fitted per item (logistic regression over the window's words and embedding, classes
balanced). Windows are also read *out of fold* (documents grouped by company or app, so a company
never reads its own policy): on those readings ``evaluate.fold_thresholds`` chooses each item's
thresholds for the presence question grading answers (``tools/train_frameworks.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .heads import ItemHeads, TextFeatures

TEXT = {"zh": dict(analyzer="char", ngram=(1, 3), max_features=40000), "en": dict(analyzer="word", ngram=(1, 2), max_features=40000)}


@dataclass
class Corpus:
    """Windows of labelled documents: text, embedding, items carried (bool per item), document."""

    texts: list[str]
    vectors: np.ndarray  # (n, D)
    carries: np.ndarray  # (n, I) bool
    doc: np.ndarray  # (n,) document index
    group: np.ndarray  # (n,) group (company/app) of the window's document
    weight: np.ndarray | None = None  # (n,) sample weights (e.g. quotes outside documents)
    in_document: np.ndarray | None = None  # (n,) False for windows with no document (quotes): not in presence sets
    names: list | None = None  # per document index: (company, document path)

    def subset(self, mask: np.ndarray) -> "Corpus":
        return Corpus([t for t, m in zip(self.texts, mask) if m], self.vectors[mask], self.carries[mask], self.doc[mask], self.group[mask],
                      None if self.weight is None else self.weight[mask], None if self.in_document is None else self.in_document[mask], self.names)


def fit(framework: str, language: str, items: Sequence[str], corpus: Corpus, *, C: float = 1.0, log: Callable = lambda s: None) -> ItemHeads:
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    tf = TextFeatures.fit(corpus.texts, **TEXT[language])
    X = sp.hstack([tf.transform(corpus.texts), sp.csr_matrix(corpus.vectors.astype(np.float32))]).tocsr()
    V, D = len(tf.vocabulary), corpus.vectors.shape[1]
    w_text = np.zeros((V, len(items)), dtype=np.float32)
    w_vec = np.zeros((D, len(items)), dtype=np.float32)
    bias = np.full(len(items), -10.0, dtype=np.float32)
    for j, item in enumerate(items):
        y = corpus.carries[:, j]
        if y.sum() < 3 or (~y).sum() < 3:
            log(f"  {framework} {language} {item}: {int(y.sum())} positive windows, no head")
            continue
        m = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(X, y, sample_weight=corpus.weight)
        w_text[:, j] = m.coef_[0, :V]
        w_vec[:, j] = m.coef_[0, V:]
        bias[j] = m.intercept_[0]
    return ItemHeads(framework, language, list(items), tf, w_text, w_vec, bias)


def folds_of(groups: np.ndarray, k: int, seed: int = 0) -> list[np.ndarray]:
    """Group k-fold: each fold a set of whole groups (company, app)."""
    uniq = np.array(sorted(set(groups.tolist())))
    order = uniq[np.random.default_rng(seed).permutation(len(uniq))]
    return [np.isin(groups, order[f::k]) for f in range(k)]


def out_of_fold(framework: str, language: str, items: Sequence[str], corpus: Corpus, k: int = 5, seed: int = 0, **kw) -> np.ndarray:
    """(n, I) logits, each window read by heads fitted without its group."""
    out = np.zeros(corpus.carries.shape, dtype=np.float32)
    for test in folds_of(corpus.group, k, seed):
        heads = fit(framework, language, items, corpus.subset(~test), **kw)
        idx = np.flatnonzero(test)
        out[idx] = heads.logits([corpus.texts[i] for i in idx], corpus.vectors[idx])
    return out


__all__ = ["Corpus", "fit", "folds_of", "out_of_fold", "TEXT"]

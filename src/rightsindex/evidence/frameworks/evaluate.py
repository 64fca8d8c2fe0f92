"""Cross-validated reading of labelled documents, and what the benchmark reports per item.

Documents are split by group (app for CAPP-130, company for English policies): every window is
read by heads fitted without its group (``train.out_of_fold``), an item's threshold is chosen on
the *other* folds' documents, and each held-out document is graded as grading does — its best
window (judged, where a judge reads) must reach the threshold — twice: as it is, and with every
window that carries the item removed (the same policy without its cross-border section, without
its retention period). Reported per item:

- ``first``: of the documents that carry the item, the share whose first cited window (the best
  one, whatever the result) carries it; ``first_earned``: the same among those graded disclosed;
- presence recall (documents that carry it, graded disclosed), specificity (the same documents
  without it, and documents that never carried it, graded not found), and balanced accuracy;
- ``false_disclosed``: documents without the item graded disclosed (the number that must be 0).

The presence rule (grading's, ``grade``): a document carries an item when its best window reaches
the item's window threshold *and* the mean of its two best windows reaches its presence threshold
(a stray sentence that reads like the duty does not make a duty; a duty is rarely said once). Both
thresholds are chosen together on the other folds (``choose_pair``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .train import Corpus, folds_of


@dataclass
class ItemReport:
    item: str
    present: int = 0  # documents carrying the item
    absent: int = 0  # documents never carrying it
    first: list = field(default_factory=list)  # per present document: first window carries it?
    first_earned: list = field(default_factory=list)
    with_: list = field(default_factory=list)  # present documents graded disclosed?
    without: list = field(default_factory=list)  # ablated or absent documents graded disclosed?
    unjudged: int = 0  # first windows nobody labelled (counted as not carrying it)

    def row(self) -> dict:
        rec = float(np.mean(self.with_)) if self.with_ else float("nan")
        spec = 1.0 - float(np.mean(self.without)) if self.without else float("nan")
        return {
            "item": self.item, "present": self.present, "absent": self.absent,
            "first": round(float(np.mean(self.first)), 3) if self.first else None,
            "first_earned": round(float(np.mean(self.first_earned)), 3) if self.first_earned else None,
            "recall": round(rec, 3), "specificity": round(spec, 3),
            "balanced": round((rec + spec) / 2, 3) if self.with_ and self.without else None,
            "false_disclosed": int(np.sum(self.without)), "without_cases": len(self.without), "unjudged": self.unjudged,
        }


def doc_pair(scores: np.ndarray, eligible: np.ndarray, drop: np.ndarray | None = None) -> tuple[float, float, int | None]:
    """(best window's score, mean of the best two, index of the best) over eligible windows."""
    keep = eligible.copy()
    if drop is not None:
        keep &= ~drop
    if not keep.any():
        return -np.inf, -np.inf, None
    s = np.where(keep, scores, -np.inf)
    order = np.argsort(-s, kind="stable")
    top = s[order[0]]
    two = (top + s[order[1]]) / 2 if keep.sum() > 1 else -np.inf
    return float(top), float(two), int(order[0])


def present(pair: tuple, thresholds: tuple) -> bool:
    return pair[0] >= thresholds[0] and pair[1] >= thresholds[1]


def choose_pair(with_: np.ndarray, without: np.ndarray, specificity_weight: float = 1.0, grid: int = 41) -> tuple[float, float]:
    """The (window, presence) thresholds that maximise recall + weight × specificity on these sets:
    ``with_`` and ``without`` are (n, 2) arrays of (best, mean of best two)."""
    if len(with_) == 0:
        return float("inf"), float("inf")
    def cands(col):
        v = np.concatenate([with_[:, col], without[:, col]]) if len(without) else with_[:, col]
        v = v[np.isfinite(v)]
        return np.unique(np.quantile(v, np.linspace(0, 1, grid))) if len(v) else np.array([np.inf])
    best, pair = -1.0, (float("inf"), float("inf"))
    for a in np.concatenate([cands(0), [np.inf]]):
        for b in np.concatenate([[-np.inf], cands(1)]):
            rec = ((with_[:, 0] >= a) & (with_[:, 1] >= b)).mean()
            spec = (~((without[:, 0] >= a) & (without[:, 1] >= b))).mean() if len(without) else 1.0
            score = rec + specificity_weight * spec
            if score > best + 1e-12:
                best, pair = score, (float(a), float(b))
    return pair


def grade_documents(corpus: Corpus, scores: np.ndarray, eligible: np.ndarray, thresholds: dict, items: Sequence[str], docs: Sequence[int],
                    reports: dict, known: np.ndarray | None = None) -> None:
    """Grade each of ``docs`` (and its ablated twin) on every item; add to ``reports``.
    ``scores`` (n, I): what grading compares with the thresholds; ``eligible`` (n, I): windows that
    may earn (read by the judge where one reads); ``known`` (n, I): the window's label is known."""
    for d in docs:
        rows = np.flatnonzero(corpus.doc == d)
        for j, item in enumerate(items):
            t = thresholds.get(item, (np.inf, np.inf))
            y = corpus.carries[rows, j]
            s, el = scores[rows, j], eligible[rows, j].astype(bool)
            rep = reports.setdefault(item, ItemReport(item))
            pair = doc_pair(s, el)
            if y.any():
                rep.present += 1
                top = pair[2] if pair[2] is not None else int(np.argmax(s))
                rep.first.append(bool(y[top]))
                if known is not None and not y[top] and not known[rows[top], j]:
                    rep.unjudged += 1
                disclosed = pair[2] is not None and present(pair, t)
                rep.with_.append(disclosed)
                if disclosed:
                    rep.first_earned.append(bool(y[pair[2]]))
                rep.without.append(present(doc_pair(s, el, drop=y), t))
            else:
                rep.absent += 1
                rep.without.append(pair[2] is not None and present(pair, t))


def fold_thresholds(corpus: Corpus, scores: np.ndarray, eligible: np.ndarray, items: Sequence[str], docs: Sequence[int], specificity_weight: float) -> dict:
    """Per item, the (window, presence) thresholds that best grade ``docs`` (present as they are,
    absent once ablated and where they never carried it)."""
    out = {}
    for j, item in enumerate(items):
        w, wo = [], []
        for d in docs:
            rows = np.flatnonzero(corpus.doc == d)
            y = corpus.carries[rows, j]
            s, el = scores[rows, j], eligible[rows, j].astype(bool)
            if y.any():
                w.append(doc_pair(s, el)[:2])
                wo.append(doc_pair(s, el, drop=y)[:2])
            else:
                wo.append(doc_pair(s, el)[:2])
        if w:
            out[item] = choose_pair(np.array(w), np.array(wo).reshape(-1, 2), specificity_weight)
    return out


def cross_validated_report(corpus: Corpus, scores: np.ndarray, eligible: np.ndarray, items: Sequence[str], *, k: int = 5, seed: int = 0,
                           specificity_weight: float = 1.0, known: np.ndarray | None = None) -> tuple[list[dict], dict]:
    """Each fold's documents graded with thresholds chosen on the other folds' documents."""
    in_doc = corpus.in_document if corpus.in_document is not None else np.ones(len(corpus.doc), bool)
    reports: dict = {}
    for test in folds_of(corpus.group[in_doc], k, seed):
        test_docs = sorted(set(corpus.doc[in_doc][test].tolist()))
        train_docs = sorted(set(corpus.doc[in_doc][~test].tolist()))
        th = fold_thresholds(corpus, scores, eligible, items, train_docs, specificity_weight)
        grade_documents(corpus, scores, eligible, th, items, test_docs, reports, known)
    return [reports[i].row() for i in items if i in reports], reports


def markdown_table(rows: list[dict], title: str) -> str:
    head = "| item | documents with / without | first cited carries it | … when disclosed | presence recall | specificity | balanced | false disclosed |"
    lines = [f"**{title}**", "", head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    fmt = lambda v: "–" if v is None or (isinstance(v, float) and np.isnan(v)) else (f"{v:.3f}" if isinstance(v, float) else str(v))  # noqa: E731
    for r in rows:
        lines.append(f"| {r['item']} | {r['present']} / {r['without_cases']} | {fmt(r['first'])} | {fmt(r['first_earned'])} | {fmt(r['recall'])} | "
                     f"{fmt(r['specificity'])} | {fmt(r['balanced'])} | {r['false_disclosed']} |")
    return "\n".join(lines)


__all__ = ["ItemReport", "choose_pair", "cross_validated_report", "doc_pair", "fold_thresholds", "grade_documents", "markdown_table", "present"]

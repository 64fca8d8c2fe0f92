"""The item reader: heads plus the passage judge, calibrated per framework and language.

``ItemReader.read`` gives, per window and item, the probability that the window carries the
item's disclosure, and whether it carries only part of it:

- every window is read by the item's head (``heads``); where no head is shipped for a language
  (a new framework, before ``tools/train_frameworks.py``), windows are ranked by closeness to the
  item's question and English ones are read by the passage judge on the question alone; Chinese
  ones then cannot earn the item (the multilingual judge reads RDR's elements, not new questions);
- per document, the ``per_document`` best windows of each item are also read by the passage judge
  (``support.CrossEncoder``: the item's English question, and the questions of the RDR elements it
  crosswalks to, which RDR grading has often read already: same cache keys). Only those windows can
  earn an item ("a cited passage read as disclosing it");
- a logistic combiner, fitted on labelled documents with out-of-fold head readings
  (``tools/train_frameworks.py``), turns head logit and judge support into a probability, and
  each item has two thresholds, chosen together for presence (``evaluate.choose_pair``): the
  best window's, and the mean of the two best windows' (a duty is rarely said once, and a stray
  sentence that reads like it does not make it).

The judge may be retrained (another team's work): the combiner weighs its support as one feature
among others, records the judge version it was fitted with, and keeps working with another one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .heads import ItemHeads, shipped
from .windows import CompanyWindows

PER_DOCUMENT = 3  # windows per document, item and language read by the judge
DEFAULT_THRESHOLD = 0.5


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


@dataclass
class Scores:
    prob: np.ndarray  # (W, I) probability the window carries the item
    judged: np.ndarray  # (W, I) bool: the judge read it (only those can earn)
    partial: np.ndarray  # (W, I) bool: read as carrying only part of it
    logit: np.ndarray  # (W, I) head logits


class ItemReader:
    def __init__(self, judge=None, heads: dict | None = None, cache=None, per_document: int = PER_DOCUMENT):
        """``judge``: a ``support.SupportJudge`` (its cross-encoder reads English windows; None: heads
        only); ``heads``: {(framework, language): ItemHeads} (default: the shipped ones);
        ``cache``: the judge's output cache (``StoreCache`` / ``MemoryCache``)."""
        self.judge = judge
        self._heads = heads
        self.cache = cache if cache is not None else getattr(judge, "cache", None)
        self.per_document = per_document
        self._qvec: dict = {}

    # -- what the reader knows ------------------------------------------------------------------

    def heads(self, framework_id: str, language: str) -> ItemHeads | None:
        if self._heads is not None:
            return self._heads.get((framework_id, language))
        return shipped(framework_id, language)

    @property
    def version(self) -> str:
        import hashlib

        parts = [getattr(self.judge, "version", "no-judge")]
        for fid in sorted({k[0] for k in (self._heads or {})}) or []:
            for lang in ("en", "zh"):
                h = self.heads(fid, lang)
                parts.append(h.version if h else f"{fid}:{lang}:none")
        return "items:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]

    def threshold(self, fw, item, language: str) -> float:
        """What the best window must reach. Without heads for the language: the zero-shot judge's
        ``DEFAULT_THRESHOLD``; with heads that learnt nothing for the item (no labelled passage in
        that language): never (``inf``), rather than a guess."""
        h = self.heads(fw.id, str(language))
        if h is None:
            return DEFAULT_THRESHOLD
        return float(h.thresholds.get(item.id, float("inf")))

    def presence(self, fw, item, language: str) -> float | None:
        """What the mean of the item's two best windows must reach for it to be present (None: the
        best window alone decides)."""
        h = self.heads(fw.id, str(language))
        v = (h.presence if h else {}).get(item.id)
        return None if v is None else float(v)

    def kind_of(self, cp, windows: CompanyWindows, w: int) -> str | None:
        from ..access import load_scope

        _, members = cp.units()
        row = cp.rows[members[int(windows.unit[w])][0]]
        doc = cp.docs.get(row.path) if cp.docs else None
        return load_scope().kind_of(doc) if doc is not None else None

    def in_scope(self, fw, item, cp, windows: CompanyWindows, w: int) -> bool:
        kind = self.kind_of(cp, windows, w)
        return kind is None or item.id in (fw.scope.get(kind) or ())

    # -- reading ------------------------------------------------------------------------------

    def read(self, fw, cp, windows: CompanyWindows) -> Scores:
        W, items = len(windows), list(fw.items.values())
        I = len(items)
        logit = np.full((W, I), -10.0, dtype=np.float32)
        prob = np.zeros((W, I), dtype=np.float32)
        judged = np.zeros((W, I), dtype=bool)
        partial = np.zeros((W, I), dtype=bool)
        if W == 0:
            return Scores(prob, judged, partial, logit)
        _, members = cp.units()
        doc_of = np.array([cp.rows[members[int(u)][0]].path for u in windows.unit], dtype=object)
        for lang in ("en", "zh"):
            rows = windows.rows[lang]
            if len(rows) == 0:
                continue
            heads = self.heads(fw.id, lang)
            vecs = windows.vectors[lang]
            if heads is not None:
                logit[rows] = heads.logits([windows.text[i] for i in rows], vecs)
            else:
                logit[rows] = self._closeness(fw, lang, vecs)
            # the judge reads each document's best windows per item
            picks: list[tuple[int, int]] = []
            for d in sorted(set(doc_of[rows])):
                in_doc = rows[doc_of[rows] == d]
                for j in range(I):
                    top = in_doc[np.argsort(-logit[in_doc, j], kind="stable")[: self.per_document]]
                    picks.extend((int(w), j) for w in top)
            feats = self._judge_features(fw, items, windows, picks, lang)
            comb = (heads.trained_on.get("combiner") if heads is not None else None) or {}
            for (w, j), f in zip(picks, feats):
                if heads is None and "judge_item" not in f:
                    continue  # no reader for this language: its windows cannot earn the item
                judged[w, j] = True
                prob[w, j] = f["judge_item"] if heads is None else self._combine(comb, logit[w, j], f)
                partial[w, j] = bool(f.get("partial", False))
            # windows below each document's best few stay at 0: they are neither cited nor earn
        return Scores(prob, judged, partial, logit)

    @staticmethod
    def _combine(comb: dict, logit: float, f: dict) -> float:
        if not comb:
            return float(_sigmoid(logit))
        x = [logit] + [float(f.get(n, 0.0)) for n in comb["features"][1:]]
        return float(_sigmoid(np.dot(comb["coef"], x) + comb["intercept"]))

    def _closeness(self, fw, lang: str, vecs: np.ndarray) -> np.ndarray:
        """Without a head: scaled cosine to the item's question (a weak reader, for a new framework)."""
        from ..embed import encoder

        key = (fw.id, lang)
        if key not in self._qvec:
            model = "use" if lang == "zh" else "minilm"
            self._qvec[key] = encoder(model).encode([it.question_in(lang) for it in fw.items.values()])
        return ((vecs @ self._qvec[key].T) - 0.5) * 10.0

    def _judge_features(self, fw, items, windows: CompanyWindows, picks: Sequence[tuple[int, int]], lang: str) -> list[dict]:
        """Per (window, item): the judge's support on the item's question and on its crosswalked
        RDR elements' questions (English windows; Chinese windows are read by the heads alone)."""
        out = [dict() for _ in picks]
        cross = getattr(self.judge, "cross", None)
        if lang != "en" or cross is None or not picks:
            return out
        from ..support import cache_key, supports
        from ..knowledge import query_text
        from ...methodology import load as load_methodology

        rdr = load_methodology("rdr-2022")
        jobs: list[tuple[str, str, str]] = []  # cache key element, question, text
        for w, j in picks:
            it = items[j]
            text = windows.text[w]
            jobs.append((f"{fw.id}:{it.id}", it.question["en"], text))
            for e in it.rdr_elements():
                if e in rdr.elements:
                    jobs.append((e, query_text(rdr, e), text))
        keys = [cache_key(e, t) for e, _, t in jobs]
        known = self.cache.get(set(keys)) if self.cache is not None else {}
        todo = {}
        for (e, q, t), k in zip(jobs, keys):
            if k not in known and k not in todo:
                todo[k] = (q, t)
        if todo:
            ks = list(todo)
            probs = cross.predict_proba([todo[k][0] for k in ks], [todo[k][1] for k in ks])
            fresh = {k: p.astype(np.float16).astype(np.float32) for k, p in zip(ks, probs)}
            known.update(fresh)
            if self.cache is not None:
                self.cache.put(fresh)
        for n, (w, j) in enumerate(picks):
            it = items[j]
            text = windows.text[w]
            p_item = np.asarray(known[cache_key(f"{fw.id}:{it.id}", text)], dtype=np.float32)
            cross_p = [np.asarray(known[cache_key(e, text)], dtype=np.float32) for e in it.rdr_elements() if e in rdr.elements]
            out[n]["judge_item"] = float(supports(p_item))
            out[n]["judge_cross"] = float(max((supports(p) for p in cross_p), default=0.0))
            best = max([p_item, *cross_p], key=lambda p: float(supports(p)))
            out[n]["partial"] = bool(best[1] > best[2])
        return out


__all__ = ["ItemReader", "Scores", "PER_DOCUMENT"]

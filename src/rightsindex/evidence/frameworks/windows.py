"""A company's windows: what the item readers read, in both languages.

English units are cut into the passage judge's windows (``support.unit_windows``: sentences in
groups of at most 360 characters, a list's items with the sentence that introduces them), each
with the mean of its sentences' MiniLM vectors. Chinese units are read sentence by sentence (as
CAPP-130 labels them), a list item with its lead (a short paragraph ending in a colon), each window embedded with USE (through
``embed``, which keeps vectors in the store's cache when grading).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..passages import CompanyPassages
from ..support import Window, sentence_vector_rows, unit_windows

ZH_CHARS = 400  # a Chinese window: one sentence (with a list's lead), cut here
LEAD_ENDS = ("：", ":")  # a paragraph that introduces a list
LEAD_CHARS = 80


@dataclass
class CompanyWindows:
    unit: np.ndarray  # (W,) evidence unit of each window
    span: np.ndarray  # (W, 2) window offsets in its unit's text
    text: list[str]
    language: np.ndarray  # (W,) "en" | "zh"
    vectors: dict  # language -> (W_lang, D) rows in the order of ``rows[language]``
    rows: dict  # language -> (W_lang,) window indices

    def __len__(self) -> int:
        return len(self.text)

    def vector_of(self, language: str, idx: np.ndarray) -> np.ndarray:
        pos = {int(w): k for k, w in enumerate(self.rows[language])}
        return self.vectors[language][[pos[int(i)] for i in idx]]


def _zh_windows(cp: CompanyPassages, u: int):
    _, members = cp.units()
    mem = members[u]
    start, _, text = cp.unit_span(u)
    sents = []
    for i in mem:
        r = cp.rows[i]
        for a, b in r.sentences or [(0, len(r.text))]:
            sents.append((r.start - start + a, r.start - start + b))
    first = " ".join(cp.rows[mem[0]].text.split())
    # a list's lead ("重大变更包括但不限于：") goes with each of its items; a unit's first paragraph
    # otherwise is a sentence like the others (CAPP-130 labels sentences, the heads read them so)
    lead = (0, cp.rows[mem[0]].end - start) if len(mem) > 1 and first.endswith(LEAD_ENDS) and len(first) <= LEAD_CHARS else None
    out = []
    for k, (a, b) in enumerate(sents):
        body = " ".join(text[a:b].split())
        if not body:
            continue
        if lead and not (a < lead[1]):
            body = " ".join(text[lead[0] : lead[1]].split()) + " … " + body
        out.append(Window(a, b, body[:ZH_CHARS], (k,)))
    return out


def company_windows(cp: CompanyPassages, embed: Callable[[str, list[str]], np.ndarray] | None = None, units: list[int] | None = None) -> CompanyWindows:
    """Every window of the company's units (or of ``units``). ``embed(model, texts)`` gives USE
    vectors for Chinese windows (default: the encoder, uncached)."""
    if embed is None:
        from ..embed import encoder

        def embed(model, texts):
            return encoder(model).encode(texts)

    _, members = cp.units()
    rows_of = sentence_vector_rows(cp)
    unit, span, text, lang = [], [], [], []
    en_vecs: list[np.ndarray] = []
    dim_en = cp.sent_minilm.shape[1] if cp.sent_minilm is not None and cp.sent_minilm.ndim == 2 else 384
    for u in units if units is not None else range(len(members)):
        first = cp.rows[members[u][0]]
        if first.reader == "use":
            for w in _zh_windows(cp, u):
                unit.append(u), span.append((w.start, w.end)), text.append(w.text), lang.append("zh")
            continue
        wins, vec = unit_windows(cp, u, rows_of)
        for w in wins:
            r = [vec[i] for i in w.sentences if 0 <= i < len(vec) and vec[i] >= 0]
            v = cp.sent_minilm[r].mean(axis=0) if r else np.zeros(dim_en, dtype=np.float32)
            n = float(np.linalg.norm(v))
            en_vecs.append((v / n if n > 0 else v).astype(np.float32))
            unit.append(u), span.append((w.start, w.end)), text.append(w.text), lang.append("en")
    lang_arr = np.array(lang, dtype=object)
    rows = {lg: np.flatnonzero(lang_arr == lg) for lg in ("en", "zh")}
    vectors = {
        "en": np.vstack(en_vecs) if en_vecs else np.zeros((0, dim_en), dtype=np.float32),
        "zh": np.asarray(embed("use", [text[i] for i in rows["zh"]]), dtype=np.float32) if len(rows["zh"]) else np.zeros((0, 512), dtype=np.float32),
    }
    return CompanyWindows(np.array(unit, dtype=np.int64), np.array(span, dtype=np.int64).reshape(-1, 2), text, lang_arr, vectors, rows)


__all__ = ["CompanyWindows", "company_windows"]

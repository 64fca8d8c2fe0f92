"""Training and benchmark corpora for the item heads: windows with the items they carry.

- Chinese: CAPP-130's labelled sentences (reserved apps left out), one document per app;
- English: windows of real policies labelled per item (``data/frameworks/labels-en.csv``), read
  from the documents exactly as grading reads them (ingested, segmented, windowed), one document
  per policy; and quotes (ToS;DR points, RDR researchers' quotes) as windows without a document.

An item borrows another framework's labels where its ``learn`` says ``same_as`` (PIPL's
``retention`` read in English learns from GDPR's ``retention`` labels).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Callable

import numpy as np

from .sources import capp_policies, clean_quote, rdr_quote_examples, tosdr_examples
from .train import Corpus


def label_source(framework, item_id: str, language: str) -> tuple[str, str]:
    """The (framework, item) whose labels serve ``item_id`` in ``language`` (following ``same_as``)."""
    from ...methodology import frameworks as fw_mod

    fid, iid = framework.id, item_id
    seen = set()
    while (fid, iid) not in seen:
        seen.add((fid, iid))
        ref = (fw_mod.load(fid).item(iid).learn.get(language) or {}).get("same_as")
        if not ref:
            break
        fid, _, iid = ref.partition(":")
    return fid, iid


def capp_corpus(framework, capp_dir: Path, cache_dir: Path | None = None) -> Corpus:
    from ..capp import read_capp, sentence_vectors

    policies = read_capp(Path(capp_dir))
    vectors = dict(zip((p.file for p in policies), sentence_vectors(policies, cache_dir)))
    labelled = capp_policies(policies, framework)
    items = list(framework.items)
    texts, vecs, carries, doc, group = [], [], [], [], []
    for d, p in enumerate(labelled):
        texts.extend(p.sentences)
        vecs.append(vectors[p.key])
        carries.extend([[it in s for it in items] for s in p.items])
        doc.extend([d] * len(p.sentences))
        group.extend([p.group] * len(p.sentences))
    return Corpus(texts, np.vstack(vecs).astype(np.float32), np.array(carries, dtype=bool).reshape(-1, len(items)),
                  np.array(doc), np.array(group, dtype=object), names=[(p.group, p.key) for p in labelled])


def read_labels(path: Path) -> dict:
    """{(framework, item): {(company, document, text): label}} from ``labels-en.csv``."""
    out: dict = defaultdict(dict)
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(row for row in fh if not row.startswith("#")):
            out[(r["framework"], r["item"])][(r["company"], r["document"], " ".join(r["text"].split()))] = r["label"]
    return out


def labelled_corpus(framework, documents: list[tuple[str, str, object]], labels: dict, unknown_weight: float = 0.3) -> Corpus:
    """Windows of labelled documents: ``documents`` is [(company, document path, CompanyWindows of
    that document)], ``labels`` from ``read_labels``. A window labelled none, or never labelled
    for the item, is a negative (the latter weighted ``unknown_weight``)."""
    items = list(framework.items)
    src = {it: label_source(framework, it, "en") for it in items}
    texts, vecs, carries, doc, group, weight = [], [], [], [], [], []
    for d, (company, path, win) in enumerate(documents):
        rows = win.rows["en"]
        for k, w in enumerate(rows):
            key = (company, path, " ".join(win.text[w].split()))
            labs = [labels.get(src[it], {}).get(key) for it in items]
            texts.append(win.text[w])
            vecs.append(win.vectors["en"][k])
            carries.append([lab in ("full", "partial") for lab in labs])
            weight.append(1.0 if any(lab is not None for lab in labs) else unknown_weight)
            doc.append(d)
            group.append(company)
    dim = vecs[0].shape[0] if vecs else 384
    return Corpus(texts, np.vstack(vecs) if vecs else np.zeros((0, dim), np.float32), np.array(carries, dtype=bool).reshape(-1, len(items)),
                  np.array(doc), np.array(group, dtype=object), np.array(weight, dtype=np.float32), names=[(c, p) for c, p, _ in documents])


def quote_corpus(framework, tosdr_csv: Path | None, kn, embed: Callable, weight: float = 0.5) -> Corpus:
    """ToS;DR and RDR quotes as windows without a document (positives for the items whose
    ``learn`` names their case or element, negatives for the others)."""
    items = list(framework.items)
    examples = []
    if tosdr_csv is not None and Path(tosdr_csv).is_file():
        examples += tosdr_examples(Path(tosdr_csv), framework)
    if kn is not None:
        examples += rdr_quote_examples(kn, framework)
    examples = [e for e in examples if len(e.text) >= 30]
    texts = [clean_quote(e.text)[:600] for e in examples]
    vecs = np.asarray(embed("minilm", texts), dtype=np.float32) if texts else np.zeros((0, 384), np.float32)
    carries = np.array([[it in e.items for it in items] for e in examples], dtype=bool).reshape(-1, len(items))
    n = len(examples)
    return Corpus(texts, vecs, carries, np.full(n, -1), np.array([e.group for e in examples], dtype=object),
                  np.full(n, weight, dtype=np.float32), np.zeros(n, dtype=bool))


def concat(a: Corpus, b: Corpus) -> Corpus:
    off = (a.doc.max() + 1) if len(a.doc) else 0
    bdoc = np.where(b.doc >= 0, b.doc + off, -1)
    wa = a.weight if a.weight is not None else np.ones(len(a.texts), np.float32)
    wb = b.weight if b.weight is not None else np.ones(len(b.texts), np.float32)
    ia = a.in_document if a.in_document is not None else np.ones(len(a.texts), bool)
    ib = b.in_document if b.in_document is not None else np.ones(len(b.texts), bool)
    return Corpus(a.texts + b.texts, np.vstack([a.vectors, b.vectors]), np.vstack([a.carries, b.carries]), np.concatenate([a.doc, bdoc]),
                  np.concatenate([a.group, b.group]), np.concatenate([wa, wb]), np.concatenate([ia, ib]), a.names)


__all__ = ["capp_corpus", "labelled_corpus", "quote_corpus", "read_labels", "label_source", "concat"]

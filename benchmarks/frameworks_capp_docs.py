"""PIPL items on whole Chinese documents, read as ``assess`` reads them (app-split).

    python benchmarks/frameworks_capp_docs.py [--out build/frameworks-bench] [--shared ../shared/data] [--framework pipl-notice]

``benchmarks/frameworks.py`` measures the readers on CAPP-130's own sentences. Grading reads
something else: a document, ingested, cut into passages and into windows by grading's code
(``evidence/frameworks/windows.py``). This check rebuilds each of the 107 non-reserved CAPP-130
policies as a document (its records in order, one paragraph each; the 23 reserved apps — ``rw_N``
with N ending in 3 or 7, except rw_17, rw_23, rw_53 — are never read), ingests and windows it
as ``assess`` does, and gives each window the items of the labelled CAPP sentences it holds.
Per fold of apps (the folds of ``benchmarks/frameworks.py``): heads fitted on the other folds'
sentences, thresholds chosen on the other folds' out-of-fold sentence readings (as the shipped
thresholds are), then each held-out document graded by grading's rule on its windows, as it is
and with every window that carries the item removed. Writes ``OUT/frameworks-capp-docs.md`` and
``.json``; reuses ``OUT/zh-oof.npz`` (written by ``benchmarks/frameworks.py``) when it fits.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from train_frameworks import SPECIFICITY_WEIGHT  # noqa: E402


def _norm(s: str) -> str:
    return "".join((s or "").split())


def rebuild(capp_dir: Path, labelled, folder: Path) -> Path:
    """One manifest, one company per app, its policy rebuilt from its records (one paragraph each)."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    companies = []
    for p in labelled:
        stem = Path(p.key).stem
        recs = [json.loads(line) for line in (capp_dir / p.key).read_text("utf-8").splitlines() if line.strip()]
        (folder / f"{stem}.md").write_text("\n\n".join((r.get("text") or "").strip() for r in recs if (r.get("text") or "").strip()) + "\n", "utf-8")
        companies.append({"id": stem, "name": stem, "type": "Digital Platform", "services": [{"id": stem, "kind": "other"}],
                          "documents": [{"path": f"{stem}.md", "type": "privacy-policy", "language": "zh", "title": p.group}]})
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump({"index": "capp-docs", "methodology": "rdr-2022", "companies": companies}, allow_unicode=True), "utf-8")
    return path


def document_windows(folder: Path, labelled, items, log):
    """Per app: grading's windows of its rebuilt document, their USE vectors, the items each carries."""
    from rightsindex.corpus.ingest import ingest_manifest
    from rightsindex.corpus.manifest import load_manifest
    from rightsindex.embed import encoder
    from rightsindex.evidence.frameworks.windows import company_windows
    from rightsindex.evidence.passages import load_company_passages
    from rightsindex.store import Store

    manifest = load_manifest(folder / "manifest.yaml")
    db = folder / "store.sqlite"
    fresh = not db.is_file()
    store = Store.open(f"sqlite:///{db}")
    if fresh:
        ingest_manifest(store, manifest)
    out = []
    texts_all: list[str] = []
    with store.session() as s:
        for p in labelled:
            cp = load_company_passages(s, Path(p.key).stem)
            w = company_windows(cp, embed=lambda model, texts: np.zeros((len(texts), 512), np.float32))
            zh = w.rows["zh"]
            texts = [w.text[i] for i in zh]
            lab = [(_norm(t), its) for t, its in zip(p.sentences, p.items) if its]
            def holds(window: str, sentence: str) -> bool:  # the window holds the labelled sentence, or is a piece of it
                body = _norm(window.split(" … ")[-1])
                return sentence in _norm(window) or (len(body) >= 8 and body in sentence)

            carries = np.array([[any(holds(t, a) for a, its in lab if it in its) for it in items] for t in texts], dtype=bool).reshape(-1, len(items))
            out.append((p, texts, carries))
            texts_all.extend(texts)
    store.close()
    key = hashlib.sha256("\0".join(texts_all).encode()).hexdigest()[:16]
    cache = folder / f"use-{key}.npy"
    if cache.is_file():
        vecs = np.load(cache)
    else:
        t = time.perf_counter()
        vecs = encoder("use").encode(texts_all)
        np.save(cache, vecs)
        log(f"USE read {len(texts_all)} windows ({time.perf_counter() - t:.0f} s)")
    res, k = [], 0
    for p, texts, carries in out:
        res.append((p, texts, vecs[k : k + len(texts)], carries))
        k += len(texts)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "frameworks-bench")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--framework", default="pipl-notice")
    args = ap.parse_args()
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    from rightsindex.evidence.capp import read_capp
    from rightsindex.evidence.frameworks import corpora, evaluate, train
    from rightsindex.evidence.frameworks.sources import capp_policies, reserved_capp
    from rightsindex.methodology import frameworks as F

    fw = F.load(args.framework)
    items = list(fw.items)
    capp_dir = args.shared / "capp130" / "annotation"
    t0 = time.perf_counter()
    corpus = corpora.capp_corpus(fw, capp_dir, ROOT / "build" / "cache")
    labelled = capp_policies(read_capp(capp_dir), fw)
    assert not any(reserved_capp(p.key) for p in labelled)
    saved = args.out / ("zh-oof.npz" if fw.id == "pipl-notice" else f"{fw.id}-zh-oof.npz")
    oof = np.load(saved)["logits"] if saved.is_file() else None
    if oof is None or oof.shape != corpus.carries.shape:
        oof = train.out_of_fold(fw.id, "zh", items, corpus, k=5, seed=0)
    sent_probs = 1.0 / (1.0 + np.exp(-np.clip(oof, -30, 30)))
    folder = args.out / f"capp-docs-{fw.id}"
    if not (folder / "manifest.yaml").is_file():
        rebuild(capp_dir, labelled, folder)
    docs = document_windows(folder, labelled, items, log)
    log(f"{len(docs)} documents, {sum(len(t) for _, t, _, _ in docs)} windows ({time.perf_counter() - t0:.0f} s)")
    # the window corpus (one document per app, in ``labelled`` order, as the sentence corpus)
    wc = train.Corpus([t for _, ts, _, _ in docs for t in ts], np.vstack([v for _, _, v, _ in docs]).astype(np.float32),
                      np.vstack([c for _, _, _, c in docs]), np.concatenate([np.full(len(ts), d) for d, (_, ts, _, _) in enumerate(docs)]),
                      np.concatenate([np.full(len(ts), p.group, dtype=object) for p, ts, _, _ in docs]))
    probs = np.zeros(wc.carries.shape, dtype=np.float32)
    reports: dict = {}
    for f, test in enumerate(train.folds_of(corpus.group, 5, 0)):
        heads = train.fit(fw.id, "zh", items, corpus.subset(~test))
        train_docs = sorted(set(corpus.doc[~test].tolist()))
        th = evaluate.fold_thresholds(corpus, sent_probs, np.ones_like(corpus.carries), items, train_docs, SPECIFICITY_WEIGHT)
        test_groups = set(corpus.group[test].tolist())
        wmask = np.isin(wc.group, list(test_groups))
        idx = np.flatnonzero(wmask)
        probs[idx] = 1.0 / (1.0 + np.exp(-np.clip(heads.logits([wc.texts[i] for i in idx], wc.vectors[idx]), -30, 30)))
        test_docs = sorted(set(wc.doc[wmask].tolist()))
        evaluate.grade_documents(wc, probs, np.ones_like(wc.carries), th, items, test_docs, reports)
        log(f"fold {f + 1}/5 ({time.perf_counter() - t0:.0f} s)")
    rows = [reports[i].row() for i in items if i in reports]
    meta = {"apps": len(docs), "windows": len(wc.texts), "windows carrying an item": int(wc.carries.any(1).sum()), "seconds": round(time.perf_counter() - t0)}
    title = f"{fw.name} on CAPP-130 policies rebuilt as documents and read as assess reads them, app-split ({meta['apps']} apps, {meta['windows']} windows)"
    md = evaluate.markdown_table(rows, title) + "\n"
    (args.out / f"frameworks-capp-docs-{fw.id}.json").write_text(json.dumps({"meta": meta, "items": rows}, indent=1) + "\n", "utf-8")
    (args.out / f"frameworks-capp-docs-{fw.id}.md").write_text(md, "utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Train the notice-framework item readers (heads, combiner, thresholds) and ship them.

    python tools/train_frameworks.py [--shared ../shared/data] [--framework gdpr-notice,pipl-notice] [--work build/frameworks]

Reads (offline, nothing downloaded):

- Chinese: CAPP-130's labelled sentences (``SHARED/capp130/annotation``), **the 23 reserved apps
  never read** (``rw_N`` with N ending in 3 or 7, except rw_17, rw_23, rw_53), mapped onto items by
  each item's ``learn.zh`` (``methodology/data/<framework>.json``);
- English: the policies labelled in ``data/frameworks/labels-en.csv`` (texts from
  ``SHARED/corpus-2026``, ingested and windowed as grading does), plus ToS;DR quotes
  (``SHARED/tosdr``) and RDR researchers' quotes (the grader knowledge) for the items whose
  ``learn.en`` names their cases or elements.

For each framework and language: heads are fitted on everything; windows are read out of fold
(5 folds by app or company) to choose each item's two thresholds together — the best window's,
and the mean of the two best windows' (``evaluate.choose_pair``: best presence, the policy as it
is against the same policy without the item, a false "disclosed" weighing ``SPECIFICITY_WEIGHT``
misses) — and, in English, to fit the combiner of head and
passage judge (the judge reads each document's three best windows per item). Writes
``src/rightsindex/evidence/data/frameworks/<framework>-<language>.npz`` (about 1–2 MB each).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
COMPANY_OF_GROUP = {"Facebook": "Meta", "VerizonMedia": "Yahoo", "Oath": "Yahoo"}
JUDGE_FEATURES = ("logit", "judge_item", "judge_cross")
# a false "disclosed" weighs 1.5 misses when thresholds are chosen: a duty marked disclosed on a
# text that does not carry it is the worse error (chosen on the English out-of-fold readings:
# balanced accuracy 0.835 → 0.841, false disclosures 47 → 26 of 266 cases)
SPECIFICITY_WEIGHT = 1.5


def _log(s: str) -> None:
    print(s, file=sys.stderr, flush=True)


def english_corpus(fw, shared: Path, labels_csv: Path, store_path: Path, log=_log):
    """The labelled English policies as a corpus (windows read as grading reads them) plus quotes;
    and which (window, item) labels are known."""
    import yaml

    from rightsindex.corpus.ingest import ingest_manifest
    from rightsindex.corpus.manifest import load_manifest
    from rightsindex.evidence import knowledge as K
    from rightsindex.evidence.frameworks import corpora
    from rightsindex.evidence.frameworks.windows import company_windows
    from rightsindex.evidence.passages import embed_company, embed_texts, load_company_passages
    from rightsindex.store import Store

    labels = corpora.read_labels(labels_csv)
    wanted = sorted({(c, d) for per in labels.values() for (c, d, _) in per})
    corpus_dir = shared / "corpus-2026"
    raw = yaml.safe_load((corpus_dir / "manifest.yaml").read_text("utf-8"))
    companies = []
    for c in raw["companies"]:
        docs = [d for d in c["documents"] if any(c["id"] == wc and wd in d["path"] for wc, wd in wanted)]
        if docs:
            companies.append({**c, "documents": docs})
    work = store_path.parent
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "docs").exists():
        (work / "docs").symlink_to((corpus_dir / "docs").resolve(), target_is_directory=True)
    man_path = work / "labelled-manifest.yaml"  # the corpus's own relative paths, so documents keep their keys
    man_path.write_text(yaml.safe_dump({**{k: v for k, v in raw.items() if k != "companies"}, "companies": companies}, allow_unicode=True), "utf-8")
    store = Store.open(f"sqlite:///{store_path}")
    t = time.perf_counter()
    ingest_manifest(store, load_manifest(man_path, allow_roots=[corpus_dir]))
    documents = []
    for c in companies:
        with store.session() as s:
            cp = load_company_passages(s, c["id"])
            embed_company(s, cp)
        win = company_windows(cp)
        _, members = cp.units()
        path_of = np.array([cp.rows[members[int(u)][0]].path for u in win.unit], dtype=object)
        for wc, wd in wanted:
            if wc != c["id"]:
                continue
            keep = np.array([wd in p for p in path_of], dtype=bool)
            documents.append((wc, wd, _restrict(win, keep)))
    log(f"en: {len(documents)} labelled policies ingested and windowed ({time.perf_counter() - t:.0f} s)")
    docs_corpus = corpora.labelled_corpus(fw, documents, labels)
    items = list(fw.items)
    src = {it: corpora.label_source(fw, it, "en") for it in items}
    known = np.zeros_like(docs_corpus.carries)
    k = 0
    for company, path, win in documents:
        for w in win.rows["en"]:
            key = (company, path, " ".join(win.text[w].split()))
            known[k] = [key in labels.get(src[it], {}) for it in items]
            k += 1
    with store.session() as s:
        quotes = corpora.quote_corpus(fw, shared / "tosdr" / "tosdr_points_quoted.csv", K.load(), lambda m, texts: embed_texts(s, m, texts))
    quotes.group = np.array([COMPANY_OF_GROUP.get(g, g) for g in quotes.group], dtype=object)
    tosdr_company = {svc: COMPANY_OF_GROUP.get(c, c) for c, svcs in json.loads((ROOT / "tools" / "tosdr_rdr_map.json").read_text("utf-8"))["company_services"].items() for svc in svcs}
    quotes.group = np.array([tosdr_company.get(g.split(":", 1)[1], g) if str(g).startswith("tosdr:") else g for g in quotes.group], dtype=object)
    corpus = corpora.concat(docs_corpus, quotes)
    known = np.vstack([known, np.ones_like(quotes.carries)])
    log(f"en: {len(docs_corpus.texts)} policy windows, {len(quotes.texts)} quotes; positives per item {corpus.carries.sum(0).tolist()}")
    return corpus, known


def _restrict(win, keep: np.ndarray):
    from rightsindex.evidence.frameworks.windows import CompanyWindows

    idx = np.flatnonzero(keep)
    lang = win.language[idx]
    rows = {lg: np.flatnonzero(lang == lg) for lg in ("en", "zh")}
    vectors = {lg: win.vector_of(lg, idx[rows[lg]]) if len(rows[lg]) else win.vectors[lg][:0] for lg in ("en", "zh")}
    return CompanyWindows(win.unit[idx], win.span[idx], [win.text[i] for i in idx], lang, vectors, rows)


def judge_picks(fw, corpus, logits: np.ndarray, *, per_document: int = 3, cache_path: Path | None = None, log=_log):
    """The passage judge's readings of each document's best windows per item (by head logit):
    features (n, I) per name, and which (window, item) it read."""
    from rightsindex.evidence.frameworks.reader import ItemReader
    from rightsindex.evidence.frameworks.windows import CompanyWindows
    from rightsindex.evidence.support import MemoryCache, SupportJudge

    cache = MemoryCache()
    if cache_path is not None and Path(cache_path).is_file():
        z = np.load(cache_path)
        cache.update({k: z[k] for k in z.files})
    reader = ItemReader(SupportJudge.default(), cache=cache)
    n, I = logits.shape
    eligible = np.zeros((n, I), dtype=bool)
    in_doc = corpus.in_document if corpus.in_document is not None else np.ones(n, bool)
    picks = []
    for d in sorted(set(corpus.doc[in_doc].tolist())):
        rows = np.flatnonzero(corpus.doc == d)
        for j in range(I):
            for w in rows[np.argsort(-logits[rows, j], kind="stable")[:per_document]]:
                picks.append((int(w), j))
                eligible[w, j] = True
    win = CompanyWindows(np.zeros(n, np.int64), np.zeros((n, 2), np.int64), corpus.texts, np.array(["en"] * n, dtype=object), {"en": corpus.vectors}, {"en": np.arange(n)})
    t = time.perf_counter()
    feats_list = reader._judge_features(fw, list(fw.items.values()), win, picks, "en")
    log(f"en: the judge read {len(picks)} (window, item) picks ({time.perf_counter() - t:.0f} s)")
    if cache_path is not None:
        np.savez_compressed(cache_path, **{k: np.asarray(v, dtype=np.float16) for k, v in cache.items()})
    feats = {name: np.zeros((n, I), dtype=np.float32) for name in JUDGE_FEATURES[1:]}
    partial = np.zeros((n, I), dtype=bool)
    for (w, j), f in zip(picks, feats_list):
        for name in feats:
            feats[name][w, j] = f.get(name, 0.0)
        partial[w, j] = f.get("partial", False)
    feats["partial"] = partial
    return feats, eligible


def fit_combiner(logits: np.ndarray, feats: dict, mask: np.ndarray, carries: np.ndarray) -> dict:
    """Logistic combination of head logit and judge support over the labelled judged windows."""
    from sklearn.linear_model import LogisticRegression

    X = np.stack([logits[mask]] + [feats[n][mask] for n in JUDGE_FEATURES[1:]], axis=1)
    y = carries[mask]
    m = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
    return {"features": list(JUDGE_FEATURES), "coef": [round(float(c), 4) for c in m.coef_[0]], "intercept": round(float(m.intercept_[0]), 4)}


def combined(comb: dict, logits: np.ndarray, feats: dict) -> np.ndarray:
    z = comb["coef"][0] * logits + comb["intercept"]
    for c, name in zip(comb["coef"][1:], comb["features"][1:]):
        z = z + c * feats[name]
    return (1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))).astype(np.float32)


def train_language(fw, language: str, corpus, *, known=None, shared: Path, work: Path, specificity_weight: float = SPECIFICITY_WEIGHT, log=_log, oof: Path | None = None):
    from rightsindex.evidence.frameworks import evaluate, train

    items = list(fw.items)
    t = time.perf_counter()
    logits = None
    if oof is not None and Path(oof).is_file():  # the benchmark's out-of-fold readings (same folds, same corpus)
        logits = np.load(oof)["logits"]
        if logits.shape != corpus.carries.shape:
            log(f"{oof}: shape {logits.shape} is not the corpus's {corpus.carries.shape}; reading out of fold again")
            logits = None
    if logits is None:
        logits = train.out_of_fold(fw.id, language, items, corpus, k=5, seed=0)
        np.savez_compressed(work / f"{fw.id}-{language}-oof.npz", logits=logits)
    in_doc = corpus.in_document if corpus.in_document is not None else np.ones(len(corpus.doc), bool)
    docs = sorted(set(corpus.doc[in_doc].tolist()))
    if language == "en":
        feats, eligible = judge_picks(fw, corpus, logits, cache_path=work / f"judge-cache-{fw.id}.npz", log=log)
        comb = fit_combiner(logits, feats, eligible & (known if known is not None else True), corpus.carries)
        scores = np.where(eligible, combined(comb, logits, feats), -np.inf)
    else:
        comb, eligible = {}, np.ones_like(corpus.carries)
        scores = 1.0 / (1.0 + np.exp(-logits))
    thresholds = evaluate.fold_thresholds(corpus, scores, eligible, items, docs, specificity_weight)
    heads = train.fit(fw.id, language, items, corpus)
    # scores are probabilities: a window threshold of +inf (the item could not be told apart) is
    # stored as 1.01 (never earned); a presence threshold of -inf (no need of a second window) as null
    heads.thresholds = {k: (round(float(a), 4) if np.isfinite(a) else 1.01) for k, (a, b) in thresholds.items()}
    heads.presence = {k: (round(float(b), 4) if np.isfinite(b) else None) for k, (a, b) in thresholds.items()}
    from rightsindex.evidence.support import SupportJudge

    heads.trained_on = {
        "combiner": comb, "documents": len(docs), "windows": len(corpus.texts), "positives": dict(zip(items, corpus.carries.sum(0).astype(int).tolist())),
        "judge": SupportJudge.default().version if language == "en" else None, "reserved_capp_read": False,
        "specificity_weight": specificity_weight,
    }
    path = heads.save()
    log(f"{fw.id} {language}: {path} ({time.perf_counter() - t:.0f} s); thresholds {heads.thresholds}; presence {heads.presence}")
    return heads


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--framework", default="gdpr-notice,pipl-notice")
    ap.add_argument("--language", default="zh,en")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "frameworks")
    ap.add_argument("--oof", type=Path, help="a folder with out-of-fold readings to reuse (benchmarks/frameworks.py's --out: zh-oof.npz for pipl-notice, en-oof.npz for gdpr-notice); "
                    "else WORK/<framework>-<language>-oof.npz of an earlier run is reused when its shape fits")
    args = ap.parse_args()
    from rightsindex.evidence.frameworks import corpora
    from rightsindex.methodology import frameworks as F

    args.work.mkdir(parents=True, exist_ok=True)
    for fid in args.framework.split(","):
        fw = F.load(fid)
        for lang in args.language.split(","):
            if lang == "zh":
                corpus = corpora.capp_corpus(fw, args.shared / "capp130" / "annotation", ROOT / "build" / "cache")
                oof = args.oof / "zh-oof.npz" if args.oof and fid == "pipl-notice" else args.work / f"{fid}-zh-oof.npz"
                train_language(fw, "zh", corpus, shared=args.shared, work=args.work, oof=oof)
            else:
                corpus, known = english_corpus(fw, args.shared, ROOT / "data" / "frameworks" / "labels-en.csv", args.work / "store.sqlite")
                oof = args.oof / "en-oof.npz" if args.oof and fid == "gdpr-notice" else args.work / f"{fid}-en-oof.npz"
                train_language(fw, "en", corpus, known=known, shared=args.shared, work=args.work, oof=oof)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Notice-duty items (PIPL, GDPR): does the first cited passage carry the duty, and is presence right?

    python benchmarks/frameworks.py [--part pipl-zh,gdpr-en,gdpr-zh,pipl-en] [--out build/frameworks-bench] [--shared ../shared/data] [--reuse]

Two corpora, split so that nothing is read by heads that saw it (each framework is also measured
on the other language's corpus: ``gdpr-zh``, ``pipl-en``, items the corpus labels):

- **PIPL on Chinese (app-split)**: CAPP-130's labelled sentences of the 107 apps that are not
  reserved (files ``rw_N`` whose N ends in 3 or 7, except rw_17, rw_23 and rw_53, are never read),
  mapped onto the PIPL items by ``methodology/data/pipl-notice.json`` (``learn.zh.capp``); 5 folds
  by app;
- **GDPR on English (company-split)**: the windows of 19 English privacy policies of 14 companies
  (``../shared/data/corpus-2026``, Open Terms Archive texts) labelled per item in
  ``data/frameworks/labels-en.csv``, plus ToS;DR and RDR quotes as extra training windows (their
  companies' quotes left out with them); 5 folds by company; the English passage judge reads each
  document's three best windows per item (the item's question and its crosswalked RDR elements'),
  and a combiner fitted on the other folds weighs it with the head.

Each held-out document is graded as `assess` grades (the best window that may earn must reach the
item's window threshold, and the mean of the two best its presence threshold, both chosen on the
other folds) as it is and with every window that carries the item removed. Per item: the share of documents carrying the item whose first cited window carries it
(whatever the result, and among those graded disclosed), presence recall, specificity and
balanced accuracy, and the count of documents without the item graded disclosed. Writes
``OUT/frameworks-bench.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tools"))
from train_frameworks import SPECIFICITY_WEIGHT  # noqa: E402  (the weight the shipped thresholds were chosen with)


PARTS = {  # part -> (framework, language, saved out-of-fold readings, saved judge readings)
    "pipl-zh": ("pipl-notice", "zh", "zh-oof.npz", None),
    "gdpr-en": ("gdpr-notice", "en", "en-oof.npz", "judge-cache.npz"),
    "gdpr-zh": ("gdpr-notice", "zh", "gdpr-notice-zh-oof.npz", None),
    "pipl-en": ("pipl-notice", "en", "pipl-notice-en-oof.npz", "judge-cache-pipl-notice.npz"),
}
TITLES = {
    "pipl-zh": "PIPL items on CAPP-130, app-split",
    "gdpr-en": "GDPR items on English privacy policies, company-split",
    "gdpr-zh": "GDPR items on CAPP-130 (Chinese), app-split",
    "pipl-en": "PIPL items on English privacy policies, company-split",
}


def out_of_fold_logits(framework: str, lang: str, items, corpus, saved: Path, reuse: bool) -> np.ndarray:
    """The items' out-of-fold logits over ``corpus`` (5 folds), kept in ``saved``; with ``reuse``,
    read back from there when they fit the corpus."""
    from rightsindex.evidence.frameworks import train

    if reuse and saved.is_file() and np.load(saved)["logits"].shape == corpus.carries.shape:
        return np.load(saved)["logits"]
    logits = train.out_of_fold(framework, lang, items, corpus, k=5, seed=0)
    np.savez_compressed(saved, logits=logits)
    return logits


def zh_part(shared: Path, log, out: Path, reuse: bool = False, part: str = "pipl-zh") -> tuple[list[dict], dict]:
    from rightsindex.evidence.frameworks import corpora, evaluate
    from rightsindex.methodology import frameworks as F

    fid, _, oof_name, _ = PARTS[part]
    fw = F.load(fid)
    items = list(fw.items)
    t = time.perf_counter()
    corpus = corpora.capp_corpus(fw, shared / "capp130" / "annotation", ROOT / "build" / "cache")
    log(f"zh: {len(set(corpus.doc.tolist()))} apps, {len(corpus.texts)} sentences ({time.perf_counter() - t:.0f} s)")
    logits = out_of_fold_logits(fw.id, "zh", items, corpus, out / oof_name, reuse)
    log(f"zh: out-of-fold heads read ({time.perf_counter() - t:.0f} s)")
    eligible = np.ones_like(corpus.carries)
    probs = 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))  # what grading compares (the mean of two is not scale-free)
    rows, _ = evaluate.cross_validated_report(corpus, probs, eligible, items, k=5, seed=0, specificity_weight=SPECIFICITY_WEIGHT)
    meta = {"apps": int(len(set(corpus.doc.tolist()))), "sentences": len(corpus.texts), "seconds": round(time.perf_counter() - t)}
    return rows, meta


def en_part(shared: Path, log, out: Path, reuse: bool = False, part: str = "gdpr-en") -> tuple[list[dict], dict]:
    from train_frameworks import english_corpus, judge_picks

    from rightsindex.evidence.frameworks import evaluate, train
    from rightsindex.evidence.frameworks.reader import ItemReader
    from rightsindex.methodology import frameworks as F

    fid, _, oof_name, judge_name = PARTS[part]
    fw = F.load(fid)
    items = list(fw.items)
    t = time.perf_counter()
    corpus, known = english_corpus(fw, shared, ROOT / "data" / "frameworks" / "labels-en.csv", out / "store.sqlite", log=log)
    logits = out_of_fold_logits(fw.id, "en", items, corpus, out / oof_name, reuse)
    log(f"en: out-of-fold heads read ({time.perf_counter() - t:.0f} s)")
    feats, eligible = judge_picks(fw, corpus, logits, cache_path=out / judge_name, log=log)
    # the combiner of each fold is fitted on the other folds' labelled picks
    scores = np.full(logits.shape, -np.inf, dtype=np.float32)
    from train_frameworks import fit_combiner, combined

    in_doc = corpus.in_document
    for test in train.folds_of(corpus.group[in_doc], 5, 0):
        test_docs = set(corpus.doc[in_doc][test].tolist())
        is_test = np.isin(corpus.doc, list(test_docs))
        comb = fit_combiner(logits, feats, eligible & known & ~is_test[:, None], corpus.carries)
        m = eligible & is_test[:, None]
        scores[m] = combined(comb, logits, feats)[m]
    rows, reports = evaluate.cross_validated_report(corpus, scores, eligible, items, k=5, seed=0, known=known, specificity_weight=SPECIFICITY_WEIGHT)
    np.savez_compressed(out / f"{part}-scores.npz", scores=scores, eligible=eligible, known=known)
    meta = {"documents": int(len(set(corpus.doc[in_doc].tolist()))), "companies": int(len(set(corpus.group[in_doc].tolist()))),
            "windows": int(in_doc.sum()), "seconds": round(time.perf_counter() - t), "reader": ItemReader.__name__}
    return rows, meta


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", default="all", help="comma-separated: pipl-zh, gdpr-en, gdpr-zh, pipl-en (zh = pipl-zh, en = gdpr-en; all: the four)")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "frameworks-bench")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--reuse", action="store_true", help="reuse the out-of-fold readings saved in OUT by an earlier run (same labels)")
    args = ap.parse_args()
    alias = {"zh": ["pipl-zh"], "en": ["gdpr-en"], "all": list(PARTS)}
    parts = [p for a in args.part.split(",") for p in alias.get(a.strip(), [a.strip()])]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        ap.error(f"unknown part(s): {', '.join(unknown)} (known: {', '.join(PARTS)})")
    args.out.mkdir(parents=True, exist_ok=True)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731

    saved = args.out / "frameworks-bench.json"
    result = json.loads(saved.read_text("utf-8")) if saved.is_file() else {}  # the other parts of an earlier run stay
    for part in parts:
        run = zh_part if PARTS[part][1] == "zh" else en_part
        rows, meta = run(args.shared, log, args.out, args.reuse, part)
        result[part] = {"meta": meta, "items": rows}
    saved.write_text(json.dumps(result, indent=1) + "\n", "utf-8")
    from rightsindex.evidence.frameworks.evaluate import markdown_table

    md = [markdown_table(v["items"], f"{TITLES.get(k, k)} ({', '.join(f'{a} {b}' for a, b in v['meta'].items() if a != 'reader')})")
          for k, v in sorted(result.items(), key=lambda kv: list(PARTS).index(kv[0]) if kv[0] in PARTS else 99)]
    text = "\n\n".join(md) + "\n"
    (args.out / "frameworks-bench.md").write_text(text, "utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

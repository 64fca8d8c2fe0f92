"""Notice-duty items (PIPL, GDPR): does the first cited passage carry the duty, and is presence right?

    python benchmarks/frameworks.py [--part zh|en|all] [--out build/frameworks-bench] [--shared ../shared/data]

Two corpora, split so that nothing is read by heads that saw it:

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
item's threshold, chosen on the other folds) as it is and with every window that carries the item
removed. Per item: the share of documents carrying the item whose first cited window carries it
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


def zh_part(shared: Path, log, out: Path, reuse: bool = False) -> tuple[list[dict], dict]:
    from rightsindex.evidence.frameworks import corpora, evaluate, train
    from rightsindex.methodology import frameworks as F

    fw = F.load("pipl-notice")
    items = list(fw.items)
    t = time.perf_counter()
    corpus = corpora.capp_corpus(fw, shared / "capp130" / "annotation", ROOT / "build" / "cache")
    log(f"zh: {len(set(corpus.doc.tolist()))} apps, {len(corpus.texts)} sentences ({time.perf_counter() - t:.0f} s)")
    saved = out / "zh-oof.npz"
    if reuse and saved.is_file():
        logits = np.load(saved)["logits"]
    else:
        logits = train.out_of_fold(fw.id, "zh", items, corpus, k=5, seed=0)
        np.savez_compressed(saved, logits=logits)
    log(f"zh: out-of-fold heads read ({time.perf_counter() - t:.0f} s)")
    eligible = np.ones_like(corpus.carries)
    rows, _ = evaluate.cross_validated_report(corpus, logits, eligible, items, k=5, seed=0)
    meta = {"apps": int(len(set(corpus.doc.tolist()))), "sentences": len(corpus.texts), "seconds": round(time.perf_counter() - t)}
    return rows, meta


def en_part(shared: Path, log, out: Path, reuse: bool = False) -> tuple[list[dict], dict]:
    from train_frameworks import english_corpus, judge_picks

    from rightsindex.evidence.frameworks import evaluate, train
    from rightsindex.evidence.frameworks.reader import ItemReader
    from rightsindex.methodology import frameworks as F

    fw = F.load("gdpr-notice")
    items = list(fw.items)
    t = time.perf_counter()
    corpus, known = english_corpus(fw, shared, ROOT / "data" / "frameworks" / "labels-en.csv", out / "store.sqlite", log=log)
    saved = out / "en-oof.npz"
    if reuse and saved.is_file():
        logits = np.load(saved)["logits"]
    else:
        logits = train.out_of_fold(fw.id, "en", items, corpus, k=5, seed=0)
        np.savez_compressed(saved, logits=logits)
    log(f"en: out-of-fold heads read ({time.perf_counter() - t:.0f} s)")
    feats, eligible = judge_picks(fw, corpus, logits, cache_path=out / "judge-cache.npz", log=log)
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
    rows, reports = evaluate.cross_validated_report(corpus, scores, eligible, items, k=5, seed=0, known=known)
    np.savez_compressed(out / "en-scores.npz", scores=scores, eligible=eligible, known=known)
    meta = {"documents": int(len(set(corpus.doc[in_doc].tolist()))), "companies": int(len(set(corpus.group[in_doc].tolist()))),
            "windows": int(in_doc.sum()), "seconds": round(time.perf_counter() - t), "reader": ItemReader.__name__}
    return rows, meta


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=["zh", "en", "all"], default="all")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "frameworks-bench")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--reuse", action="store_true", help="reuse the out-of-fold readings saved in OUT by an earlier run (same labels)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    from rightsindex.evidence.frameworks.evaluate import markdown_table

    saved = args.out / "frameworks-bench.json"
    result = json.loads(saved.read_text("utf-8")) if saved.is_file() else {}  # the other part of an earlier run stays
    md = []
    if args.part in ("zh", "all"):
        rows, meta = zh_part(args.shared, log, args.out, args.reuse)
        result["pipl-zh"] = {"meta": meta, "items": rows}
        md.append(markdown_table(rows, f"PIPL items on CAPP-130, app-split ({meta['apps']} apps, reserved apps never read)"))
    if args.part in ("en", "all"):
        rows, meta = en_part(args.shared, log, args.out, args.reuse)
        result["gdpr-en"] = {"meta": meta, "items": rows}
        md.append(markdown_table(rows, f"GDPR items on English privacy policies, company-split ({meta['documents']} policies, {meta['companies']} companies)"))
    saved.write_text(json.dumps(result, indent=1) + "\n", "utf-8")
    if args.part != "all":
        titles = {"pipl-zh": "PIPL items on CAPP-130, app-split", "gdpr-en": "GDPR items on English privacy policies, company-split"}
        md = [markdown_table(v["items"], f"{titles.get(k, k)} ({', '.join(f'{a} {b}' for a, b in v['meta'].items() if a != 'reader')})")
              for k, v in result.items()]
    text = "\n\n".join(md) + "\n"
    (args.out / "frameworks-bench.md").write_text(text, "utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

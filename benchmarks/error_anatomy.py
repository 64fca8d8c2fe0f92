"""Where grading goes wrong, row by row: the error anatomy on the RDR 2020 pack, company-split.

    python benchmarks/error_anatomy.py [--judge DIR] [--multi FILE] [--out DIR] [--subset a|all]

For every company of the pack (``../shared/data/packs/rdr-2020``) a grader is trained on the
*other* companies (``evidence.train.cross_validate``: ranker, decision model; the held-out
company's quotes and priors are never used) and grades the held-out company through the same
``grade_company`` path as ``assess``. The English passage judge (``--judge``, default
``benchmarks/models/support-en-heldout``) and the multilingual judge (trained here on CAPP-130
without the pack's companies and without the reserved CAPP-130 files, unless ``--multi``) never
saw the measured companies. Each benchmark row (company × level × element with RDR's answer) is
put in exactly one bucket:

- ``agree``: same credit class as RDR (full / partial / none);
- ``retrieval``: RDR gave credit, we did not, and the passage RDR quoted is not among the units the
  judge read (``candidates`` per element and level; a unit holds a quote by position or when it
  has at least 85 % of its words, ``train.holds_quote``: the same clause in another document);
- ``reading``: RDR gave credit, we did not, the quoted passage was read and not accepted (support
  below the threshold: ``reading: support``; or held out by a guard, closeness or document scope:
  ``reading: guard``);
- ``decision``: RDR gave credit, we did not, although a unit that holds the quote was accepted
  (could earn credit) — the decision model chose "no disclosure found";
- ``no located quote``: RDR gave credit, we did not, and no quote of that answer is located in
  the pack's texts (RDR read a document the pack lacks, or quoted nothing), so the miss cannot be
  placed: ``unplaced: none read accepted`` or ``unplaced: accepted, not credited``;
- ``full where partial`` / ``partial where full``: both credit, different amount;
- ``over-credit``: RDR gave none, we gave credit.

Tables: overall, per category, per language (the reader of the first candidate: ``en`` for the
English cross-encoder, ``zh`` for the multilingual judge), per indicator (worst first). Also: credit
recall (RDR credit → our credit) and precision, the full/partial confusion share, and the review
queue simulated — rows flagged by ``review.queue.needs_review`` replaced by RDR's answers — with the
share flagged, for the shipped ``REVIEW_BELOW`` and a grid. ``--out`` receives ``rows.jsonl`` (every
row with its candidates as read, its decision features and bucket: input of offline experiments),
``sample.md`` (rows of each bucket to read) and ``anatomy.json``. The judge's readings are cached in
``build/cache`` by judge version, so a second run reads nothing again.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "data"
HELD_OUT = ("Amazon", "Apple", "Facebook", "Google", "Orange", "Tencent", "Twitter", "Baidu", "Alibaba")
BUCKETS = (
    "agree", "retrieval", "reading: support", "reading: guard", "decision",
    "unplaced: none read accepted", "unplaced: accepted, not credited",
    "full where partial", "partial where full", "over-credit",
)


def train_multi(capp: Path, exclude: tuple[str, ...]) -> Path:
    """The multilingual judge trained on CAPP-130 without ``exclude``'s apps (and never on the
    reserved files); returns the path of its JSON file."""
    from rightsindex import methodology as m0
    from rightsindex.evidence import knowledge as k0
    from rightsindex.evidence.capp import train_multi_judge

    judge, rep = train_multi_judge(capp, m0.load("rdr-2022"), k0.load().for_methodology("rdr-2022"), exclude=exclude,
                                   log=lambda s: None, cache_dir=ROOT / "build" / "cache")
    path = Path(tempfile.mkdtemp()) / "support_multi.json"
    judge.save(path, trained_on=rep)
    print(f"multilingual judge trained without {', '.join(exclude)}: {rep}", flush=True)
    return path


def unit_item(cp, c) -> dict:
    start, end, text = cp.unit_span(c.unit)
    return {"path": cp.rows[c.passage].path, "start": start, "end": end, "text": text}


def classify(gold_cls: str, pred_cls: str, quoted: list[bool], earns: list[bool], has_quote: bool) -> str:
    """One bucket per row (see the module's docstring). ``quoted``/``earns``: per candidate read,
    whether its unit holds a located quote of the row and whether it could earn credit."""
    if gold_cls == pred_cls:
        return "agree"
    if gold_cls == "none":
        return "over-credit"
    if pred_cls != "none":
        return "full where partial" if gold_cls == "partial" else "partial where full"
    if not has_quote:
        return "unplaced: accepted, not credited" if any(earns) else "unplaced: none read accepted"
    if not any(quoted):
        return "retrieval"
    if any(q and e for q, e in zip(quoted, earns)):
        return "decision"
    return "reading: support"


def table(rows: list[dict], key, title: str, min_n: int = 1, sort_worst: bool = False) -> list[str]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    names = sorted(groups, key=lambda g: (sum(x["bucket"] == "agree" for x in groups[g]) / len(groups[g]), g) if sort_worst else g)
    head = f"| {title} | rows | agree | " + " | ".join(b for b in BUCKETS[1:]) + " |"
    out = [head, "|" + "---|" * (len(BUCKETS) + 2)]
    for g in names:
        rs = groups[g]
        if len(rs) < min_n:
            continue
        c = Counter(x["bucket"] for x in rs)
        out.append(f"| {g} | {len(rs)} | {c['agree'] / len(rs):.3f} | " + " | ".join(f"{100 * c[b] / len(rs):.1f} %" if c[b] else "·" for b in BUCKETS[1:]) + " |")
    return out


def summary(rows: list[dict]) -> dict:
    from rightsindex.evidence.evaluate import agreement

    a = agreement([(r["gold_cls"], r["pred_cls"]) for r in rows])
    gc = [r for r in rows if r["gold_cls"] != "none"]
    pc = [r for r in rows if r["pred_cls"] != "none"]
    fp = sum(r["bucket"] in ("full where partial", "partial where full") for r in rows)
    return {
        "n": a.n, "agreement": round(a.agreement, 4), "kappa": round(a.kappa, 4),
        "credit_recall": round(sum(r["pred_cls"] != "none" for r in gc) / max(len(gc), 1), 4),
        "credit_precision": round(sum(r["gold_cls"] != "none" for r in pc) / max(len(pc), 1), 4),
        "full_partial_confusion": round(fp / max(len(rows), 1), 4),
        "full_where_partial": round(sum(r["bucket"] == "full where partial" for r in rows) / max(len(rows), 1), 4),
        "confusion": a.confusion,
        "buckets": dict(Counter(r["bucket"] for r in rows)),
    }


def review_simulation(rows: list[dict], thresholds) -> list[dict]:
    """Rows ``needs_review`` flags replaced by RDR's answer: share flagged and agreement after."""
    from rightsindex.review import queue as q

    out = []
    saved = q.REVIEW_BELOW
    try:
        for t in thresholds:
            q.REVIEW_BELOW = t
            flagged = [q.needs_review(r["result"], r["confidence"], r.get("status")) for r in rows]
            ok = sum(f or r["gold_cls"] == r["pred_cls"] for f, r in zip(flagged, rows))
            out.append({"review_below": t, "flagged": round(sum(flagged) / max(len(rows), 1), 4), "after_review": round(ok / max(len(rows), 1), 4)})
    finally:
        q.REVIEW_BELOW = saved
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", type=Path, default=SHARED / "packs" / "rdr-2020")
    ap.add_argument("--judge", type=Path, default=HERE / "models" / "support-en-heldout")
    ap.add_argument("--multi", type=Path, help="multilingual judge trained without the pack's companies (default: trained here)")
    ap.add_argument("--capp", type=Path, default=SHARED / "capp130" / "annotation")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "anatomy")
    ap.add_argument("--per-bucket", type=int, default=6, help="rows of each bucket written to sample.md")
    ap.add_argument("--save-graders", type=Path, help="keep the company-split graders here (grader-<Company>.json)")
    ap.add_argument("--db", help="database for the pack's documents and their embeddings (default: a temporary one); "
                    "a file kept between runs (e.g. sqlite:///build/cache/anatomy-pack.sqlite) saves re-embedding the pack")
    ap.add_argument("--no-reader", action="store_true", help="grade with the passage judge's own support (no reading model), as before issue 18")
    args = ap.parse_args()
    os.environ["RIGHTSINDEX_SUPPORT_DIR"] = str(args.judge.resolve())
    if args.multi is None:
        args.multi = train_multi(args.capp, HELD_OUT)
    os.environ["RIGHTSINDEX_MULTI_FILE"] = str(args.multi.resolve())

    from rightsindex import methodology as m
    from rightsindex.evidence import knowledge
    from rightsindex.evidence import train as train_mod
    from rightsindex.evidence.decision import can_earn
    from rightsindex.evidence.judgment import credit_class
    from rightsindex.evidence.support import MemoryCache, SupportJudge
    from rightsindex.review.queue import REVIEW_BELOW
    from rightsindex.store import Store

    meth = m.load("rdr-2020")
    kn = knowledge.load().for_methodology("rdr-2020")
    judge = SupportJudge.default()
    # only the cross-encoder's readings are cached (by element and window text)
    cache = MemoryCache.for_judge(judge.cross, ROOT / "build" / "cache")
    print(f"judges: {judge.version}", flush=True)
    judge.cache = cache
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(args.db or f"sqlite:///{Path(tmp) / 'pack.sqlite'}")
        pack = train_mod.load_pack(args.pack, store, meth, kn, log=lambda s: None)
        cv = train_mod.cross_validate(pack, meth, kn, log=lambda s: None, judge=judge, reader=not args.no_reader)
        cache.save()
        print(f"pack loaded, {len(cv.fold_graders)} company-split graders trained in {time.perf_counter() - t0:.0f} s", flush=True)
        gold = {(g.company, g.level, g.element): g for g in pack.labels}
        quotes = defaultdict(list)
        for q in pack.quotes:
            quotes[(q.company, q.level, q.element)].append(q)
        rows: list[dict] = []
        for c in pack.companies:
            g = cv.fold_graders[c]
            if args.save_graders:
                args.save_graders.mkdir(parents=True, exist_ok=True)
                g.save(args.save_graders / f"grader-{c}.json")
            cp = pack.passages[c]
            trace: list = []
            js = train_mod.company_judgments(pack, meth, kn, g, c, judge=judge, trace=trace)
            cands_of = {id(j): cands for j, cands in trace}
            for j in js:
                key = (c, j.level, j.element)
                gr = gold.get(key)
                if gr is None or j.result == "NA":
                    continue
                el = meth.elements[j.element]
                cands = cands_of.get(id(j), [])
                qs = quotes.get(key, [])
                qtexts = [cp.texts.get(cp.versions.get(q.path), "")[q.start:q.end] for q in qs]
                quoted, earns = [], []
                for cand in cands:
                    item = unit_item(cp, cand)
                    quoted.append(any(train_mod.holds_quote(item, q, t) for q, t in zip(qs, qtexts)))
                    ok = can_earn(cand, g)
                    earns.append(True if ok else ("guard" if cand.support_prob >= g.support_threshold else False))
                gcls, pcls = credit_class(gr.result, el.reversed), credit_class(j.result, el.reversed)
                bucket = classify(gcls, pcls, quoted, [e is True for e in earns], bool(qs))
                if bucket == "reading: support" and any(q and e == "guard" for q, e in zip(quoted, earns)):
                    bucket = "reading: guard"
                reader = cp.rows[cands[0].passage].reader if cands else "none"
                rows.append({
                    "company": c, "level": j.level, "element": j.element, "indicator": el.indicator,
                    "category": meth.indicators[el.indicator].category, "reversed": el.reversed,
                    "service": j.service_kind is not None, "subset_a": gr.all_cited_available,
                    "gold": gr.result, "result": j.result, "gold_cls": gcls, "pred_cls": pcls,
                    "confidence": j.confidence, "status": (j.probabilities or {}).get("status"),
                    "language": {"minilm": "en", "use": "zh"}.get(reader, reader), "bucket": bucket,
                    "has_quote": bool(qs),
                    "features": [float(x) for x in j.features] if j.features is not None else None,
                    "candidates": [
                        {"unit": int(x.unit), "passage": int(x.passage), "relevance": round(float(x.relevance), 4),
                         "support": [round(float(v), 4) for v in (x.support if x.support is not None else [1, 0, 0, 0])],
                         "judge_support": None if x.judge_support is None else round(float(x.judge_support), 4),
                         "closeness": None if x.closeness is None else round(float(x.closeness), 4), "in_scope": x.in_scope,
                         "quoted": qd, "earns": e is True, "reader": cp.rows[x.passage].reader,
                         "doc": cp.rows[x.passage].path, "text": unit_item(cp, x)["text"][:1500],
                         "window": None if x.window is None else [int(x.window[0]), int(x.window[1])]}
                        for x, qd, e in zip(cands, quoted, earns)
                    ],
                    "quotes": [t[:600] for t in qtexts],
                })
            print(f"  {c}: {sum(r['company'] == c for r in rows)} rows", flush=True)
        cache.save()
        store.close()

    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "rows.jsonl").open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    report: dict = {"judge": str(args.judge), "review_below": REVIEW_BELOW}
    lines: list[str] = []
    for name, subset in (("a", [r for r in rows if r["subset_a"]]), ("all", rows)):
        s = summary(subset)
        report[name] = s
        report[name]["review"] = review_simulation(subset, [REVIEW_BELOW, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9])
        title = "(a) rows whose cited documents are all in the pack" if name == "a" else "(b) all rows"
        lines += [f"\n## {title}", "",
                  f"agreement {s['agreement']:.3f} (κ {s['kappa']:.3f}, n={s['n']}); credit recall {s['credit_recall']:.3f}, "
                  f"precision {s['credit_precision']:.3f}; full/partial confusion {100 * s['full_partial_confusion']:.1f} % of rows "
                  f"(full where RDR partial {100 * s['full_where_partial']:.1f} %)", ""]
        lines += table(subset, lambda r: "all", "rows") + [""]
        lines += table(subset, lambda r: r["category"], "category") + [""]
        lines += table(subset, lambda r: r["language"], "language") + [""]
        if name == "a":
            lines += table(subset, lambda r: r["indicator"], "indicator (worst first)", min_n=10, sort_worst=True) + [""]
        lines += ["review queue (flagged rows replaced by RDR's answers): " + "; ".join(
            f"below {x['review_below']}: {100 * x['flagged']:.0f} % flagged → {x['after_review']:.3f}" for x in report[name]["review"])]
    text = "\n".join(lines)
    print(text)
    (args.out / "anatomy.md").write_text(text + "\n", "utf-8")
    (args.out / "anatomy.json").write_text(json.dumps(report, indent=1), "utf-8")
    # rows to read: a few of each bucket (subset a first)
    rnd = random.Random(18)
    sample = []
    for b in BUCKETS[1:]:
        pool = [r for r in rows if r["bucket"] == b and r["subset_a"]] or [r for r in rows if r["bucket"] == b]
        for r in rnd.sample(pool, min(args.per_bucket, len(pool))):
            el = meth.elements[r["element"]]
            first = r["candidates"][0] if r["candidates"] else None
            sample.append(f"### [{b}] {r['company']} / {r['level']} / {r['element']} — ours {r['result']} ({r['confidence']}), RDR {r['gold']}\n"
                          f"Q: {el.question}\n"
                          + (f"RDR quoted: {r['quotes'][0][:400]}\n" if r["quotes"] else "")
                          + (f"first candidate (support {sum(first['support'][1:3]):.2f}, quoted {first['quoted']}): {' '.join(first['text'].split())[:500]}\n" if first else ""))
    (args.out / "sample.md").write_text("\n".join(sample), "utf-8")
    print(f"\nwrote {args.out / 'rows.jsonl'} ({len(rows)} rows), anatomy.md, anatomy.json, sample.md; {time.perf_counter() - t0:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())

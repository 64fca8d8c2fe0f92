"""Agreement with RDR's researchers on an evaluation pack, company-split.

    python benchmarks/rdr_agreement.py --judge DIR [--pack ../shared/data/packs/rdr-2020] [--no-prior]

The passage judges must not have seen the pack's companies: ``--judge`` is an English judge built
by ``tools/train_support.py pairs --exclude Amazon,Apple,Facebook,Google,Orange,Tencent,Twitter,Baidu,Alibaba``
then ``fit`` (default ``benchmarks/models/support-en-heldout``); the multilingual judge is trained
here on CAPP-130 without those companies' apps (``--multi`` to give one).
For every company of the pack, a grader is trained on the *other* companies (ranker weights,
decision model; the held-out company's quotes and priors are never used), then the real `assess`
pipeline grades the held-out company from its documents — once without and once with `--prior`
(RDR 2019 answers carried into the 2020 element ids, see `evidence.train.previous_edition`). Its
`element-scores.csv` is compared with `gold/`:

- credit-class agreement (full / partial / none; reversed elements accordingly) and Cohen's κ, with
  confusion matrices, overall and per category, for (a) rows whose cited documents are all in the
  pack and (b) all rows;
- evidence recall@5: located gold quotes held by one of the judgment's first five evidence units
  (a passage, or a list cited whole with the passage that introduces it), without and with
  `--prior` (whose 2019 comments' quotes lead the evidence where the 2019 answer stands);
- indicator-score mean absolute error and company-total rank correlation (Spearman);
- the most confident half of subset (a): agreement where the grader is surest;
- support: on credit answers of subset (a) with located quotes, the share whose first cited unit
  holds a quote; and a sample of credit answers with their first unit (``--sample``) to read;
- wall time per company (fresh database: extraction, embedding and grading) and peak memory;
- baselines: the majority result per element learned from the other companies, and carrying
  the previous edition's answer forward (on the rows that have one, and as a complete grader
  with the majority where there is none);
- where `--prior` loses to carrying: rows at levels the pack holds no document for (a credit
  answer needs a passage to cite), and how many real changes had their documents in the pack.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
HELD_OUT = ("Amazon", "Apple", "Facebook", "Google", "Orange", "Tencent", "Twitter", "Baidu", "Alibaba")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", type=Path, default=SHARED / "packs" / "rdr-2020")
    ap.add_argument("--rdr", type=Path, default=SHARED / "rdr")
    ap.add_argument("--no-prior", action="store_true", help="skip the --prior runs")
    ap.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    ap.add_argument("--judge", type=Path, default=HERE / "models" / "support-en-heldout", help="English passage judge trained without the pack's companies")
    ap.add_argument("--multi", type=Path, help="multilingual judge trained without the pack's companies (default: trained here)")
    ap.add_argument("--capp", type=Path, default=SHARED / "capp130" / "annotation")
    ap.add_argument("--save-graders", type=Path, help="keep the company-split graders here (grader-<Company>.json)")
    ap.add_argument("--sample", type=Path, help="write 20 random credit answers of subset (a) with their first cited unit here")
    args = ap.parse_args()
    if not (args.judge / "config.json").is_file():
        sys.exit(f"{args.judge}: no English passage judge there; build one without the pack's companies:\n"
                 f"  tools/train_support.py pairs --exclude {','.join(HELD_OUT)} --out build/support/heldout.jsonl\n"
                 f"  tools/train_support.py fit build/support/heldout.jsonl --out {args.judge}")
    os.environ["RIGHTSINDEX_SUPPORT_DIR"] = str(args.judge.resolve())
    tmp_multi = None
    if args.multi is None:
        from rightsindex import methodology as m0
        from rightsindex.evidence import knowledge as k0
        from rightsindex.evidence.capp import train_multi_judge

        t = time.perf_counter()
        judge, rep = train_multi_judge(args.capp, m0.load("rdr-2022"), k0.load().for_methodology("rdr-2022"), exclude=HELD_OUT, log=lambda s: None, cache_dir=HERE.parent / "build" / "cache")
        tmp_multi = Path(tempfile.mkdtemp()) / "support_multi.json"
        judge.save(tmp_multi, trained_on=rep)
        args.multi = tmp_multi
        print(f"multilingual judge trained without {', '.join(HELD_OUT)} in {time.perf_counter() - t:.0f} s: {rep}")
    os.environ["RIGHTSINDEX_MULTI_FILE"] = str(args.multi.resolve())

    from rightsindex import methodology as m
    from rightsindex.evidence import knowledge
    from rightsindex.evidence import train as train_mod
    from rightsindex.evidence.evaluate import agreement_report, indicator_errors
    from rightsindex.evidence.judgment import credit_class
    from rightsindex.run import assess
    from rightsindex.store import Store

    meth = m.load("rdr-2020")
    kn = knowledge.load().for_methodology("rdr-2020")
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        store = Store.open(f"sqlite:///{tmp / 'train.sqlite'}")
        pack = train_mod.load_pack(args.pack, store, meth, kn, log=lambda s: None)
        from rightsindex.evidence.support import MemoryCache, SupportJudge

        cv = train_mod.cross_validate(pack, meth, kn, log=lambda s: None, judge=SupportJudge.default(cache=MemoryCache()))
        store.close()
        print(f"trained {len(cv.fold_graders)} company-split graders in {time.perf_counter() - t0:.0f} s")
        prior_csv, prior_stats = (None, {})
        if not args.no_prior:
            prior_csv, prior_stats = train_mod.previous_edition(args.rdr, set(pack.companies), tmp / "prior-2019.csv")
            print(f"prior (RDR 2019 answers in 2020 ids): {prior_stats}")
            with prior_csv.open(encoding="utf-8", newline="") as fh:
                priors = {
                    (r["Company"], r["Composite"] if r["Branch"] == "Company" else r["Service"], r["Element"]): r["Result"]
                    for r in csv.DictReader(fh)
                }
        graders = {}
        for c, g in cv.fold_graders.items():
            if not args.no_prior:  # the override threshold, like everything else, chosen without c
                g.override_threshold, _ = train_mod.tune_override(meth, cv, [x for x in pack.labels if x.company != c], priors)
            graders[c] = tmp / f"grader-{c}.json"
            g.save(graders[c])
            if args.save_graders:
                args.save_graders.mkdir(parents=True, exist_ok=True)
                g.save(args.save_graders / f"grader-{c}.json")

        runs = {"assess": None, "assess --prior": prior_csv} if prior_csv else {"assess": None}
        predicted: dict[str, dict] = {}
        evidence: dict[str, dict] = {}
        confidence: dict[str, dict] = {}
        prior_of: dict = {}
        seconds: dict[str, dict[str, float]] = defaultdict(dict)
        for name, prior in runs.items():
            db = f"sqlite:///{tmp / (name.replace(' ', '').replace('-', '') + '.sqlite')}"
            predicted[name], evidence[name], confidence[name] = {}, {}, {}
            for c in pack.companies:
                t = time.perf_counter()
                res = assess(
                    args.pack / "manifest.yaml", tmp / name.replace(" ", "") / c, db=db, grader_path=graders[c],
                    exclude={c: (c,)}, companies=[c], prior=[prior] if prior else None,
                )
                seconds[name][c] = round(time.perf_counter() - t, 1)
                with open(res.files["element-scores.csv"], encoding="utf-8", newline="") as fh:
                    for r in csv.DictReader(fh):
                        key = (r["Company"], r["Service"], r["Element"])
                        predicted[name][key] = r["Result"]
                        evidence[name][key] = json.loads(r["Evidence"]) if r["Evidence"] else []
                        confidence[name][key] = float(r["Confidence"]) if r["Confidence"] not in ("", "NA") else 0.0
                        if r["PriorResult"] != "NA":
                            prior_of[key] = r["PriorResult"]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        # documents' normalised texts, to test whether a cited passage holds a gold quote
        store = Store.open(db)
        from sqlalchemy import select

        from rightsindex.store.models import Company, Document

        with store.session() as s:
            texts = {(d.company.key, d.key): d.versions[-1].text for d in s.scalars(select(Document).join(Company)) if d.versions}

    gold_a = [g for g in pack.labels if g.all_cited_available]
    subsets = {"(a) all cited documents available": gold_a, "(b) all rows": pack.labels}

    def majority(g) -> str:
        p = kn.priors(exclude=(g.company,))[kn.row[g.element], 0 if g.level in ("Group", "OpCom") else 1]
        return knowledge.RESULT_CLASSES[int(p.argmax())]

    baseline_majority = {(g.company, g.level, g.element): majority(g) for g in pack.labels}
    types = {c.id: c.type for c in pack.manifest.companies}
    kinds = {(c.id, s.id): s.rdr_type for c in pack.manifest.companies for s in c.services}

    def show(title: str, pred: dict) -> None:
        print(f"\n== {title}")
        figures[title] = {}
        for sname, rows in subsets.items():
            rep = agreement_report(meth, rows, pred)
            figures[title][sname] = {k: {"agreement": v.agreement, "kappa": v.kappa, "n": v.n, "confusion": v.confusion} for k, v in rep.items()}
            per_cat = "  ".join(f"{k} {v.agreement:.3f}" for k, v in rep.items() if k != "all")
            print(f"{sname}: agreement {rep['all'].line()}   per category: {per_cat}")
            conf = rep["all"].confusion
            print("   gold \\ predicted   full  partial  none")
            for gcls in ("full", "partial", "none"):
                print(f"   {gcls:<18}{conf[gcls]['full']:>5}{conf[gcls]['partial']:>9}{conf[gcls]['none']:>6}")
        mae, rho, totals = indicator_errors(meth, pack.labels, pred, types, kinds)
        figures[title]["indicator_mae"], figures[title]["total_rank_spearman"] = mae, rho
        print(f"indicator-score MAE {mae:.2f} points; company-total rank correlation (Spearman) {rho:.3f}")

    show("baseline: per-element majority (other companies)", baseline_majority)
    for name in runs:
        show(f"rightsindex {name} (company-split)", predicted[name])
    if prior_csv:
        carry = {k: v for k, v in prior_of.items()}
        # the carry baseline as a complete grader: last edition's answer, the per-element
        # majority where there is none (elements new in this edition)
        show("baseline: carry the prior forward (per-element majority where none)", {**baseline_majority, **carry})
        covered = [g for g in pack.labels if (g.company, g.level, g.element) in carry]
        cov_a = [g for g in gold_a if (g.company, g.level, g.element) in carry]
        print(f"\n== rows with a prior: {len(covered)} of {len(pack.labels)} (subset a: {len(cov_a)} of {len(gold_a)})")
        for title, pred in (("baseline: carry the prior forward", carry), ("rightsindex assess --prior", predicted["assess --prior"]), ("rightsindex assess (no prior)", predicted["assess"])):
            line = []
            for sname, rows in (("a", cov_a), ("b", covered)):
                rep = agreement_report(meth, rows, pred)
                line.append(f"({sname}) {rep['all'].line()}")
                figures.setdefault("with prior rows", {}).setdefault(title, {})[sname] = rep["all"].agreement
            print(f"{title}: " + "   ".join(line))
        # did --prior catch real changes?
        changed = [g for g in covered if credit_class(g.result, meth.elements[g.element].reversed) != credit_class(carry[(g.company, g.level, g.element)], meth.elements[g.element].reversed)]
        caught = sum(
            credit_class(predicted["assess --prior"][(g.company, g.level, g.element)], meth.elements[g.element].reversed)
            == credit_class(g.result, meth.elements[g.element].reversed)
            for g in changed
        )
        print(f"real changes 2019→2020 among them: {len(changed)}; caught by assess --prior: {caught}; "
              f"of them with all cited documents in the pack: {sum(g.all_cited_available for g in changed)}")
        figures["prior_changes"] = {"changed": len(changed), "caught": caught, "cited_available": sum(g.all_cited_available for g in changed)}
        # where --prior loses to carrying: at levels the pack has no document for, nothing can be
        # cited, and a credit answer without a passage is not given
        has_docs = {(c.id, lv): any(d.speaks_for(lv) for d in c.documents) for c in pack.manifest.companies for lv in c.levels}
        lost = [g for g in covered
                if credit_class(carry[(g.company, g.level, g.element)], meth.elements[g.element].reversed) == credit_class(g.result, meth.elements[g.element].reversed)
                and credit_class(predicted["assess --prior"][(g.company, g.level, g.element)], meth.elements[g.element].reversed) != credit_class(g.result, meth.elements[g.element].reversed)]
        no_docs = defaultdict(int)
        for g in lost:
            if not has_docs.get((g.company, g.level), True):
                no_docs[f"{g.company}/{g.level}"] += 1
        print(f"rows carrying gets right and assess --prior does not: {len(lost)}; at levels without any document in the pack: "
              f"{sum(no_docs.values())} ({', '.join(f'{k} {v}' for k, v in sorted(no_docs.items())) or 'none'})")
        figures["prior_lost"] = {"rows": len(lost), "level_without_documents": dict(no_docs)}

    # where the grader is surest: the most confident half of subset (a)
    a_keys = [(g.company, g.level, g.element) for g in gold_a if predicted["assess"].get((g.company, g.level, g.element), "NA") != "NA"]
    ranked = sorted(a_keys, key=lambda k: -confidence["assess"].get(k, 0.0))
    top = set(ranked[: len(ranked) // 2])
    rep = agreement_report(meth, [g for g in gold_a if (g.company, g.level, g.element) in top], predicted["assess"])
    print(f"\nmost confident half of subset (a): agreement {rep['all'].line()} (confidence ≥ {confidence['assess'][ranked[len(ranked) // 2 - 1]]:.2f})")
    figures["confident_half_a"] = {"agreement": rep["all"].agreement, "kappa": rep["all"].kappa, "n": rep["all"].n}

    # calibration: does a confidence of 0.8 mean right 8 times in 10? (expected calibration error)
    for sname, rows in subsets.items():
        pairs = []
        for g in rows:
            k = (g.company, g.level, g.element)
            res = predicted["assess"].get(k)
            if res in (None, "NA") or k not in confidence["assess"]:
                continue
            rev = meth.elements[g.element].reversed
            pairs.append((confidence["assess"][k], credit_class(res, rev) == credit_class(g.result, rev)))
        bins = defaultdict(list)
        for c, ok in pairs:
            bins[min(int(c * 10), 9)].append((c, ok))
        ece = sum(len(b) * abs(sum(c for c, _ in b) / len(b) - sum(ok for _, ok in b) / len(b)) for b in bins.values()) / max(len(pairs), 1)
        print(f"calibration {sname}: expected calibration error {ece:.3f} over {len(pairs)} answers")
        figures.setdefault("calibration_ece", {})[sname] = ece

    # support: does the first cited unit of a credit answer hold what the researchers quoted?
    by_row = defaultdict(list)
    for q in pack.quotes:
        by_row[(q.company, q.level, q.element)].append(q)
    held = total = 0
    credit_a = []
    for g in gold_a:
        k = (g.company, g.level, g.element)
        res = predicted["assess"].get(k)
        if res not in ("yes", "partial"):
            continue
        credit_a.append(k)
        ev = evidence["assess"].get(k) or []
        if not by_row.get(k) or not ev or ev[0].get("basis") == "document":
            continue
        total += 1
        held += any(train_mod.contains_quote(ev[0], q, texts.get((q.company, q.path), "")[q.start : q.end]) for q in by_row[k])
    print(f"support: first cited unit holds a located quote in {held} of {total} credit answers of subset (a) with located quotes ({held / max(total, 1):.3f})")
    figures["first_unit_holds_quote"] = {"held": held, "of": total}
    if args.sample:
        rnd = random.Random(20)
        lines = []
        for k in rnd.sample(credit_a, min(20, len(credit_a))):
            ev = evidence["assess"][k][0]
            el = meth.elements[k[2]]
            gold_result = next(g.result for g in gold_a if (g.company, g.level, g.element) == k)
            lines.append(f"## {k[0]} / {k[1]} / {el.label} — ours: {predicted['assess'][k]}, RDR: {gold_result}\n"
                         f"Q: {el.question}\nfirst unit ({ev['path']}, support {ev.get('support', 'n/a')}): {' '.join(ev['text'].split())[:900]}\n")
        args.sample.write_text("\n".join(lines), "utf-8")
        print(f"wrote {len(lines)} credit answers with their first cited unit to {args.sample}")

    # evidence recall@5: without a prior, and with it (the 2019 comments' quotes lead the evidence)
    for name in evidence:
        hit = total = 0
        per_company = defaultdict(lambda: [0, 0])
        for q in pack.quotes:
            total += 1
            per_company[q.company][1] += 1
            ev = evidence[name].get((q.company, q.level, q.element), [])[:5]
            qtext = texts.get((q.company, q.path), "")[q.start : q.end]
            if any(train_mod.contains_quote(e, q, qtext) for e in ev):
                hit += 1
                per_company[q.company][0] += 1
        print(f"\nevidence recall@5, {name}: {hit / total:.3f} ({hit} of {total} located quotes)   per company: "
              + ", ".join(f"{c} {h}/{n}" for c, (h, n) in per_company.items()))
        figures["evidence_recall_at_5" if name == "assess" else f"evidence_recall_at_5 ({name})"] = hit / total
    print("wall time per company (s, fresh database): " + json.dumps(seconds))
    print(f"peak memory of this process: {peak:.0f} MiB")
    figures["seconds"], figures["peak_mib"] = seconds, peak
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    if tmp_multi is not None:
        tmp_multi.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

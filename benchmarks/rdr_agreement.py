"""Agreement with RDR's researchers on an evaluation pack, company-split.

    python benchmarks/rdr_agreement.py [--pack ../shared/data/packs/rdr-2020] [--no-prior]

For every company of the pack, a grader is trained on the *other* companies (ranker weights,
classifier; the held-out company's quotes and priors are never used), then the real `assess`
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
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", type=Path, default=SHARED / "packs" / "rdr-2020")
    ap.add_argument("--rdr", type=Path, default=SHARED / "rdr")
    ap.add_argument("--no-prior", action="store_true", help="skip the --prior runs")
    ap.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    args = ap.parse_args()

    from rightsindex import methodology as m
    from rightsindex.evidence import knowledge
    from rightsindex.evidence import train as train_mod
    from rightsindex.evidence.evaluate import agreement_report, indicator_errors
    from rightsindex.evidence.judge import credit_class
    from rightsindex.pipeline import assess
    from rightsindex.store import Store

    meth = m.load("rdr-2020")
    kn = knowledge.load().for_methodology("rdr-2020")
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        store = Store.open(f"sqlite:///{tmp / 'train.sqlite'}")
        pack = train_mod.load_pack(args.pack, store, meth, kn, log=lambda s: None)
        cv = train_mod.cross_validate(pack, meth, kn, log=lambda s: None)
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

        runs = {"assess": None, "assess --prior": prior_csv} if prior_csv else {"assess": None}
        predicted: dict[str, dict] = {}
        evidence: dict[str, dict] = {}
        prior_of: dict = {}
        seconds: dict[str, dict[str, float]] = defaultdict(dict)
        for name, prior in runs.items():
            db = f"sqlite:///{tmp / (name.replace(' ', '').replace('-', '') + '.sqlite')}"
            predicted[name], evidence[name] = {}, {}
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
    return 0


if __name__ == "__main__":
    sys.exit(main())

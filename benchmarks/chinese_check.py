"""Rough check on Chinese policies: P-indicator agreement with RDR 2020 for Baidu, Tencent, Alibaba.

    python benchmarks/chinese_check.py [--judge DIR] [--grader FILE] [--corpus ../shared/data/corpus-2026] [--rdr ../shared/data/rdr/2020]

Runs `assess` on the 2026 corpus's Baidu, Tencent and Alibaba (their Chinese privacy policies from
CAPP-130, plus English documents where the corpus has them) and compares the privacy (P) element
results at the services RDR also ranked in 2020 with RDR's 2020 answers. The policies are six
years apart, so this is a rough plausibility check, not an accuracy figure; the per-element
majority of RDR 2020 (other companies) is printed beside it.

Company-split: nothing the grader uses has seen Baidu, Tencent or Alibaba — their RDR quotes and
priors are left out of the knowledge, the English passage judge (``--judge``, default
``benchmarks/models/support-en-heldout``) was built without them, the multilingual judge is trained
here on CAPP-130 without their apps, and ``--grader`` should be a decision model trained without
Tencent's pack rows (``rdr_agreement.py --save-graders DIR`` writes ``DIR/grader-Tencent.json``).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
# 2026 level -> RDR 2020 level of the same company
LEVELS = {
    "Baidu": {"Group": "Group", "Baidu App": "Baidu Search", "Baidu Netdisk": "Baidu Cloud"},
    "Tencent": {"Group": "Group", "WeChat": "WeChat", "QQ": "QQ"},
    "Alibaba": {"Group": "Group", "Taobao": "Taobao.com"},
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus-2026")
    ap.add_argument("--rdr", type=Path, default=SHARED / "rdr" / "2020")
    ap.add_argument("--out", type=Path, help="keep the assessment here (default: a temporary folder)")
    ap.add_argument("--judge", type=Path, default=HERE / "models" / "support-en-heldout", help="English passage judge trained without these companies")
    ap.add_argument("--grader", type=Path, help="decision model trained without Tencent (default: the shipped one)")
    ap.add_argument("--capp", type=Path, default=SHARED / "capp130" / "annotation")
    args = ap.parse_args()
    if not (args.judge / "config.json").is_file():
        sys.exit(f"{args.judge}: no English passage judge there (see benchmarks/rdr_agreement.py for how to build one)")
    os.environ["RIGHTSINDEX_SUPPORT_DIR"] = str(args.judge.resolve())
    from rightsindex import methodology as m0
    from rightsindex.evidence import knowledge as k0
    from rightsindex.evidence.capp import train_multi_judge

    t = time.perf_counter()
    judge, rep = train_multi_judge(args.capp, m0.load("rdr-2022"), k0.load().for_methodology("rdr-2022"), exclude=tuple(LEVELS), log=lambda s: None, cache_dir=HERE.parent / "build" / "cache")
    multi = Path(tempfile.mkdtemp()) / "support_multi.json"
    judge.save(multi, trained_on=rep)
    os.environ["RIGHTSINDEX_MULTI_FILE"] = str(multi)
    print(f"multilingual judge trained without {', '.join(LEVELS)}'s apps in {time.perf_counter() - t:.0f} s: {rep}")

    from rightsindex import methodology as m
    from rightsindex.evidence import knowledge
    from rightsindex.evidence.evaluate import agreement
    from rightsindex.evidence.judgment import credit_class
    from rightsindex.run import assess

    raw = yaml.safe_load((args.corpus / "manifest.yaml").read_text("utf-8"))
    raw["companies"] = [c for c in raw["companies"] if c["id"] in LEVELS]
    meth = m.load("rdr-2022")
    kn = knowledge.load().for_methodology("rdr-2022")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        mpath = base / "manifest.yaml"
        for c in raw["companies"]:
            for d in c["documents"]:
                d["path"] = str((args.corpus / d["path"]).resolve())
        mpath.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
        out = args.out or base / "out"
        held = tuple(LEVELS)
        res = assess(mpath, out, allow_roots=[args.corpus],  # the manifest lies in a temporary folder
                     exclude={c: held for c in LEVELS}, grader_path=args.grader)
        with open(res.files["element-scores.csv"], encoding="utf-8", newline="") as fh:
            ours = {(r["Company"], r["Service"], r["Element"]): r for r in csv.DictReader(fh)}
        gold = {}
        for company in LEVELS:
            with open(args.rdr / "element-scores" / f"2020-rdr-index-06-element-scores-{company}.csv", encoding="utf-8", newline="") as fh:
                for r in csv.DictReader(fh):
                    level = r["Composite"] if r["Branch"] == "Company" else r["Service"]
                    gold[(company, level, r["Element"])] = r["Result"]
        pairs, base_pairs, zh_pairs = [], [], []
        for (company, level, element), row in ours.items():
            if not element.startswith("P") or row["Result"] == "NA":
                continue
            old = LEVELS[company].get(level)
            g = gold.get((company, old, element)) if old else None
            if g is None or g == "NA":
                continue
            rev = meth.elements[element].reversed
            pairs.append((credit_class(g, rev), credit_class(row["Result"], rev)))
            prior = kn.priors(exclude=(company,))[kn.row[element], 0 if level == "Group" else 1]
            base_pairs.append((credit_class(g, rev), credit_class(knowledge.RESULT_CLASSES[int(prior.argmax())], rev)))
            ev = row["Evidence"]
            if any("\u4e00" <= ch <= "\u9fff" for ch in ev[:400]):
                zh_pairs.append(pairs[-1])
    a, b, z = agreement(pairs), agreement(base_pairs), agreement(zh_pairs)
    print(f"P elements compared: {a.n} (levels: {LEVELS})")
    print(f"rightsindex 2026 vs RDR 2020: credit-class agreement {a.line()}")
    print(f"  of which judgments citing Chinese passages: {z.line()}")
    print(f"per-element majority of RDR 2020 (other companies): {b.line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""20 random credit answers of an assessment with the passage that earned each, to read by hand.

    python benchmarks/credit_sample.py OUT/element-scores.csv [--n 20] [--seed 18] [--company C ...]

Prints, for each sampled yes/partial answer graded from a passage (access elements, answered from
the document itself, are left out), the element's question, our answer and its first cited
passage (the one that earned it) with the reader's and the passage judge's support. Run it on an
assessment of texts no model was tuned on (the example corpus, ``examples/corpus-2026``), and
write the verdicts (defensible to an RDR researcher or not) next to the figures in the README.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv", type=Path)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--company", action="append")
    args = ap.parse_args()
    from rightsindex import methodology as m

    rows = []
    with args.csv.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["Result"] not in ("yes", "partial") or not r["Evidence"] or (args.company and r["Company"] not in args.company):
                continue
            ev = json.loads(r["Evidence"])
            if not ev or ev[0].get("basis") == "document":
                continue
            rows.append((r, ev[0]))
    meth = m.load(next(iter(rows))[0]["Index"] == "2020" and "rdr-2020" or "rdr-2022") if rows else None
    print(f"{len(rows)} credit answers graded from a passage; {min(args.n, len(rows))} drawn (seed {args.seed})\n")
    for k, (r, ev) in enumerate(random.Random(args.seed).sample(rows, min(args.n, len(rows))), 1):
        el = meth.elements.get(r["Element"]) if meth else None
        text = ev["text"]
        if ev.get("window"):
            a, b = ev["window"]
            text = text[a:b] if 0 <= a < b <= len(text) else text
        print(f"{k}. {r['Company']} / {r['Service']} / {r['Element']} — {r['Result']} (confidence {r['Confidence']})\n"
              f"   Q: {el.question if el else ''}\n"
              f"   passage ({ev['path']}; support {ev.get('support')}, judge {ev.get('judge_support')}): {' '.join(text.split())[:420]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

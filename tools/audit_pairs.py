#!/usr/bin/env python3
"""Print a fixed random sample of training pairs of each kind, to read and count mislabelled ones.

    python tools/audit_pairs.py build/support/pairs.jsonl [--per-kind 50] [--kind neg_semihard] [--seed 18]

Each line: kind, label (0 none, 1 partial, 2 full, 3 refusal), the element's question and the
text. The counts of pairs read as wrongly labelled are recorded by hand in the README ("Labels").
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pairs", type=Path)
    ap.add_argument("--per-kind", type=int, default=50)
    ap.add_argument("--kind", action="append")
    ap.add_argument("--seed", type=int, default=18)
    args = ap.parse_args()
    by = defaultdict(list)
    for line in args.pairs.open(encoding="utf-8"):
        x = json.loads(line)
        by[x["kind"]].append(x)
    rnd = random.Random(args.seed)
    for kind in sorted(by):
        if args.kind and kind not in args.kind:
            continue
        print(f"\n=== {kind}: {len(by[kind])} pairs")
        for n, x in enumerate(rnd.sample(by[kind], min(args.per_kind, len(by[kind]))), 1):
            q = x["query"].split(". ", 1)[-1]
            print(f"{n:>2}. [{x['label']}] {x['element']} Q: {q[:170]}\n    T: {' '.join(x['text'].split())[:330]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

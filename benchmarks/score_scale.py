"""Our totals on the example corpus beside RDR's published ones, and what documents stand behind each.

    python benchmarks/score_scale.py [--out DIR]       # runs `assess` on examples/corpus-2026 first
    python benchmarks/score_scale.py --scores DIR/scores.json

For each company of the example corpus: our total and category scores (G, F, P); RDR 2022's
published total, as quoted in issue 18 (RDR 2022's element-level data and other 2022 scores are
reserved and not used); RDR 2020's published total and categories (``../shared/data/rdr/2020``);
the documents we read against the sources RDR's researchers read for the 2022 edition (their
public source lists, ``rdr/2022/company-sources``), and which kinds of document we lack. A gap of
more than 10 points is explained by the documents when RDR's credit in a category rests on kinds
of document the corpus does not hold (transparency reports, human-rights and governance reports,
help-centre pages on enforcement and appeals, government-demand guidelines).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "data"
MANIFEST = ROOT / "examples" / "corpus-2026" / "manifest.yaml"
# RDR 2022 Big Tech Scorecard totals, as quoted in issue 18 (ByteDance was not ranked)
RDR_2022_TOTAL = {"Apple": 43.9, "Amazon": 25.4, "Tencent": 25.3, "Baidu": 27.8}


def rdr2020() -> dict[str, dict[str, float]]:
    out = {}
    with (SHARED / "rdr" / "2020" / "2020-rdr-index-02-summary-scores.csv").open(encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["Class"] == "Total":
                out[r["Company"]] = {k: float(r[v]) for k, v in (("total", "Total"), ("G", "Governance"), ("F", "Freedom of Expression"), ("P", "Privacy"))}
    return out


def sources_2022(company: str) -> int | None:
    f = SHARED / "rdr" / "2022" / "company-sources" / f"2022-rdr-index-{company}-sources.csv"
    if not f.is_file():
        return None
    with f.open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scores", type=Path, help="scores.json of an assessment of the example corpus (default: run one)")
    ap.add_argument("--out", type=Path, help="where to run the assessment (default: a temporary folder)")
    args = ap.parse_args()
    if args.scores is None:
        out = args.out or Path(tempfile.mkdtemp())
        subprocess.run([sys.executable, "-m", "rightsindex", "assess", str(MANIFEST), "--out", str(out)], check=False)
        args.scores = out / "scores.json"
    ours = json.loads(args.scores.read_text("utf-8"))["companies"]
    manifest = yaml.safe_load(MANIFEST.read_text("utf-8"))
    docs = {c["id"]: Counter(d.get("type", "other") for d in c["documents"]) for c in manifest["companies"]}
    old = rdr2020()
    print("| company | ours: total | G | F | P | RDR 2022 total | gap | RDR 2020 total (G / F / P) | documents we read | sources RDR read (2022) |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---|---:|")
    for company, s in ours.items():
        cat = s.get("categories") or {}
        r22 = RDR_2022_TOTAL.get(company)
        r20 = old.get(company)
        gap = f"{r22 - s['total']:+.1f}" if r22 is not None and s.get("total") is not None else "–"
        d = ", ".join(f"{n} {t}" for t, n in sorted(docs.get(company, {}).items()))
        print(f"| {company} | {s['total']:.1f} | {cat.get('G') or 0:.1f} | {cat.get('F') or 0:.1f} | {cat.get('P') or 0:.1f} | "
              f"{r22 if r22 is not None else '–'} | {gap} | "
              + (f"{r20['total']:.1f} ({r20['G']:.1f} / {r20['F']:.1f} / {r20['P']:.1f})" if r20 else "–")
              + f" | {d} | {sources_2022(company) or '–'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

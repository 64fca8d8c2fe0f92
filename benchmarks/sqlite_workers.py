"""Stress: `rightsindex assess --workers 2` on SQLite, N runs in a row, each on a fresh database.

    python benchmarks/sqlite_workers.py [--runs 10] [--workers 2] [--manifest examples/corpus-2026/manifest.yaml]
                                        [--json results.json]

Every run uses the real command (a LocalCluster of 2 processes ingesting, embedding, grading and
publishing against one SQLite file). A run passes when it exits 0, prints no traceback and no
"database is locked", and writes the same element scores as the first run. Prints one line per
run and a summary; ``--json`` also writes them as JSON. Exit status 0 only if every run passed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parent / "examples" / "corpus-2026" / "manifest.yaml"


def scores(path: Path) -> dict:
    with open(path, encoding="utf-8", newline="") as fh:
        return {(r["Company"], r["Service"], r["Element"]): (r["Result"], r["Score"]) for r in csv.DictReader(fh)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--manifest", type=Path, default=DEFAULT)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    results = []
    reference = None
    for i in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="ri-stress-") as tmp:
            cmd = [sys.executable, "-m", "rightsindex", "assess", str(args.manifest), "--out", tmp, "--workers", str(args.workers)]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "COLUMNS": "120"})
            seconds = time.perf_counter() - t0
            text = proc.stdout + proc.stderr
            problems = [p for p in ("Traceback", "database is locked") if p in text]
            same = None
            if proc.returncode == 0:
                got = scores(Path(tmp) / "element-scores.csv")
                reference = reference or got
                same = got == reference
            ok = proc.returncode == 0 and not problems and same
            results.append({"run": i, "exit": proc.returncode, "seconds": round(seconds, 1), "problems": problems, "same_scores": same, "passed": bool(ok)})
            print(f"run {i:>2}: {'pass' if ok else 'FAIL'}  exit {proc.returncode}  {seconds:6.1f} s  same scores: {same}  {' '.join(problems)}", flush=True)
            if not ok:
                print(text[-3000:], file=sys.stderr)
    passed = sum(r["passed"] for r in results)
    summary = {"runs": args.runs, "passed": passed, "workers": args.workers, "manifest": str(args.manifest), "results": results}
    print(f"{passed}/{args.runs} runs passed (--workers {args.workers}, SQLite, {args.manifest})")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    return 0 if passed == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())

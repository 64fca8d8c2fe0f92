"""Measure `rightsindex corpus add` on the 2026 corpus: documents/s, passages/s, peak memory.

    python benchmarks/corpus_ingest.py [--manifest ../shared/data/corpus-2026/manifest.yaml]

Runs the real command twice into a fresh SQLite database (the second run must add nothing) and
reports wall time, throughput and the peak resident memory of the command's process.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parent.parent / "shared" / "data" / "corpus-2026" / "manifest.yaml"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", type=Path, default=DEFAULT)
    args = ap.parse_args()
    if not args.manifest.is_file():
        print(f"manifest not found: {args.manifest}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite"
        cmd = [sys.executable, "-m", "rightsindex", "corpus", "add", str(args.manifest), "--db", f"sqlite:///{db}"]
        results = []
        for _ in range(2):
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            _, status, usage = os.wait4(proc.pid, 0)
            out = proc.stdout.read() + proc.stderr.read()
            results.append((time.perf_counter() - t0, usage.ru_maxrss * 1024, out.strip().splitlines()[-1] if out.strip() else "", os.waitstatus_to_exitcode(status)))
        con = sqlite3.connect(db)
        docs, versions, passages, chars = con.execute(
            "select (select count(*) from document), (select count(*) from version),"
            " (select count(*) from passage), (select sum(length(text)) from version)"
        ).fetchone()
        langs = dict(con.execute("select language, count(*) from version group by language").fetchall())
        size = db.stat().st_size
        con.close()
    (t1, rss1, line1, rc1), (t2, rss2, line2, rc2) = results
    print(f"first run:  {line1}  ({t1:.1f} s, exit {rc1})")
    print(f"second run: {line2}  ({t2:.1f} s, exit {rc2})")
    print(f"documents: {docs}  versions: {versions}  passages: {passages}  characters: {chars:,}  languages: {langs}")
    print(f"throughput (first run): {docs / t1:.2f} documents/s, {passages / t1:.0f} passages/s, {chars / t1 / 1e3:.0f} k chars/s")
    print(f"peak memory: first run {rss1 / 2**20:.0f} MiB, second run {rss2 / 2**20:.0f} MiB; database {size / 2**20:.1f} MiB")
    return 0 if rc1 == 0 and rc2 == 0 and "new versions: 0" in line2 else 1


if __name__ == "__main__":
    sys.exit(main())

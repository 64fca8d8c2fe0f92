"""Time `rightsindex assess` per company on the 2026 corpus, and its peak memory.

    python benchmarks/assess_speed.py [--manifest ../shared/data/corpus-2026/manifest.yaml] [--workers 1]

Runs the real command into a fresh folder (fresh database: extraction, embedding, grading), then
once more (unchanged documents: stored work is reused). Prints seconds per company from the
command's own progress lines, the wall time of both runs and the peak resident memory of the
first run's process tree (``ru_maxrss`` of the largest process).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parent.parent / "shared" / "data" / "corpus-2026" / "manifest.yaml"
GRADED = re.compile(r"graded (\S+): (\d+) judgments in ([\d.]+) s(?: \(reused ([^)]*)\))?")


def run(cmd: list[str]) -> tuple[float, int, str, int]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "120"})
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t0, usage.ru_maxrss * 1024, out, os.waitstatus_to_exitcode(status)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", type=Path, default=DEFAULT)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "rightsindex", "assess", str(args.manifest), "--out", tmp, "--workers", str(args.workers)]
        t1, rss1, out1, rc1 = run(cmd)
        t2, rss2, out2, rc2 = run(cmd)
    if rc1 != 0:
        print(out1[-3000:])
        return 1
    per = [(m.group(1), int(m.group(2)), float(m.group(3))) for m in GRADED.finditer(out1)]
    print(f"{'company':<12}{'judgments':>10}{'seconds':>9}")
    for company, n, s in per:
        print(f"{company:<12}{n:>10}{s:>9.1f}")
    worst = max(per, key=lambda x: x[2])
    print(f"companies: {len(per)}; slowest {worst[0]} {worst[2]:.1f} s; mean {sum(s for *_, s in per) / len(per):.1f} s per company")
    print(f"first run {t1:.0f} s (peak RSS {rss1 / 2**20:.0f} MiB); re-run on unchanged documents {t2:.0f} s (exit {rc2})")
    return 0 if rc2 == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

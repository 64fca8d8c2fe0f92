"""What grading notice duties costs: the example corpus assessed on RDR alone, then on RDR with
both notice frameworks (``--framework rdr-2022,gdpr-notice,pipl-notice``), each in a fresh
database (so both read, embed and grade everything).

    python benchmarks/frameworks_speed.py [--manifest examples/corpus-2026/manifest.yaml] [--repeat 1]

Prints the wall time and the CPU time (user + system, all threads) of each run, their ratios
(target ≤ 1.5), and the time spent grading duties inside the companies' tasks. Each run is a
process of its own: in one process the second run would find the first one's models loaded and
its readings in memory (measured so: RDR alone 698 s, then all three 236 s). Runs alternate (RDR,
frameworks, RDR, …) so that a busy machine weighs on both alike; the best of ``--repeat`` runs of
each is compared. CPU time is the figure to trust on a machine other sessions share.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(manifest: Path, frameworks: list[str] | None) -> dict:
    from rightsindex.run.assessment import assess

    companies: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="fw-speed-") as tmp:
        t0 = time.perf_counter()
        assess(manifest, Path(tmp) / "out", frameworks=frameworks,
               on_event=lambda kind, data: companies.__setitem__(data["company"], data) if kind == "company" else None)
        wall = time.perf_counter() - t0
    return {"wall": round(wall, 1), "grading": round(sum(c["seconds"] for c in companies.values()), 1),
            "duties": round(sum(c.get("duties_seconds", 0.0) for c in companies.values()), 1),
            "duty_judgments": sum(c.get("duties", 0) for c in companies.values())}


ALL_THREE = ["rdr-2022", "gdpr-notice", "pipl-notice"]


def in_child(manifest: Path, which: str) -> dict:
    """One run in a fresh process; its wall time as it measured it, its CPU time as the OS counts it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [sys.executable, __file__, "--manifest", str(manifest), "--one", which]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["cpu"] = round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", type=Path, default=ROOT / "examples" / "corpus-2026" / "manifest.yaml")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--one", choices=("rdr", "all"), help=argparse.SUPPRESS)  # a child: one run, JSON on stdout
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run(args.manifest, ALL_THREE if args.one == "all" else None)))
        return 0
    rdr, both = [], []
    for _ in range(args.repeat):
        rdr.append(in_child(args.manifest, "rdr"))
        print("RDR alone:", rdr[-1], file=sys.stderr, flush=True)
        both.append(in_child(args.manifest, "all"))
        print("RDR + GDPR + PIPL:", both[-1], file=sys.stderr, flush=True)
    a, b = min(rdr, key=lambda r: r["cpu"]), min(both, key=lambda r: r["cpu"])
    result = {"rdr": a, "all_three": b, "ratio_cpu": round(b["cpu"] / a["cpu"], 2), "ratio_wall": round(b["wall"] / a["wall"], 2),
              "ratio_grading": round(b["grading"] / a["grading"], 2) if a["grading"] else None,
              "duties_share_of_grading": round(b["duties"] / b["grading"], 2) if b["grading"] else None,
              "runs": {"rdr": rdr, "all_three": both}}
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

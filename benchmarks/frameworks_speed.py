"""What grading notice duties costs: the example corpus assessed on RDR alone, then on RDR with
both notice frameworks (``--framework rdr-2022,gdpr-notice,pipl-notice``), each in a fresh
database (so both read, embed and grade everything).

    python benchmarks/frameworks_speed.py [--manifest examples/corpus-2026/manifest.yaml] [--repeat 1]

Prints the wall time of each run, their ratio (target ≤ 1.5), and the time spent grading duties
inside the companies' tasks. Runs alternate (RDR, frameworks, RDR, …) so that a busy machine
weighs on both alike; the best of ``--repeat`` runs of each is compared.
"""

from __future__ import annotations

import argparse
import json
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", type=Path, default=ROOT / "examples" / "corpus-2026" / "manifest.yaml")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    rdr, both = [], []
    for _ in range(args.repeat):
        rdr.append(run(args.manifest, None))
        print("RDR alone:", rdr[-1], file=sys.stderr, flush=True)
        both.append(run(args.manifest, ["rdr-2022", "gdpr-notice", "pipl-notice"]))
        print("RDR + GDPR + PIPL:", both[-1], file=sys.stderr, flush=True)
    a, b = min(rdr, key=lambda r: r["wall"]), min(both, key=lambda r: r["wall"])
    result = {"rdr": a, "all_three": b, "ratio_wall": round(b["wall"] / a["wall"], 2),
              "ratio_grading": round(b["grading"] / a["grading"], 2) if a["grading"] else None, "runs": {"rdr": rdr, "all_three": both}}
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

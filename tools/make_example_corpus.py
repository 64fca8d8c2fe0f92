"""Copy the bundled example corpus from ../shared/data/corpus-2026 (run from the repository root).

    python tools/make_example_corpus.py [--data ../shared/data/corpus-2026]

Keeps the chosen companies' manifest entries and files unchanged, plus their provenance rows.
"""

import argparse
import csv
import shutil
from pathlib import Path

import yaml

COMPANIES = ["Tencent", "ByteDance", "Baidu", "Apple", "Amazon"]
OUT = Path("examples/corpus-2026")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("../shared/data/corpus-2026"))
    src = ap.parse_args().data
    manifest = yaml.safe_load((src / "manifest.yaml").read_text("utf-8"))
    manifest["companies"] = [c for c in manifest["companies"] if c["id"] in COMPANIES]
    manifest["companies"].sort(key=lambda c: COMPANIES.index(c["id"]))
    paths = set()
    for c in manifest["companies"]:
        for d in c["documents"]:
            paths.add(d["path"])
            dst = OUT / d["path"]
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / d["path"], dst)
    (OUT / "manifest.yaml").write_text(
        "# Example corpus: a subset of ../shared/data/corpus-2026 (see NOTICE for sources and licences).\n"
        + yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False),
        "utf-8",
    )
    with (src / "sources.csv").open(encoding="utf-8", newline="") as fh, (OUT / "sources.csv").open("w", encoding="utf-8", newline="") as out:
        reader = csv.DictReader(fh)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(r for r in reader if r["path"] in paths)


if __name__ == "__main__":
    main()

"""Copy the bundled example corpus from ../shared/data/corpus-2026 (run from the repository root).

    python tools/make_example_corpus.py [--data ../shared/data/corpus-2026] [--out examples/corpus-2026]

Keeps the chosen companies' manifest entries and files, plus their provenance rows, with two
corrections:

- CAPP-130 texts concatenate several documents with a ``<it is delimiter>`` line between them (QQ's
  policy and its children's privacy statement; Douyin's policy and three agreements). The marker
  becomes a paragraph break, and in the appended documents, which put one paragraph per line, lines
  are separated by blank lines, so that each paragraph is a passage of its own (left joined, the
  whole children's statement was one passage). ``sources.csv`` keeps describing the source files.
- Service kinds that name an RDR service type the source left as ``other`` (``KIND_FIXES``).
"""

import argparse
import csv
import re
import shutil
from pathlib import Path

import yaml

COMPANIES = ["Tencent", "ByteDance", "Baidu", "Apple", "Amazon"]
OUT = Path("examples/corpus-2026")
# Apple's App Store is the store of its mobile ecosystem (RDR grades "iOS (mobile ecosystem)").
KIND_FIXES = {("Apple", "App Store"): "mobile ecosystem"}
CAPP_DELIMITER = re.compile(r"^[ \t]*<it is delimiter>[ \t]*$", re.M)


def clean_capp_text(text: str) -> str:
    """A CAPP-130 text with its ``<it is delimiter>`` markers turned into paragraph breaks."""
    parts = CAPP_DELIMITER.split(text)
    if len(parts) == 1:
        return text
    out = [parts[0].rstrip()]
    for part in parts[1:]:
        lines = [line.rstrip() for line in part.split("\n") if line.strip()]
        if lines:
            out.append("\n\n".join(lines))
    return "\n\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("../shared/data/corpus-2026"))
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    src, out = args.data, args.out
    manifest = yaml.safe_load((src / "manifest.yaml").read_text("utf-8"))
    manifest["companies"] = [c for c in manifest["companies"] if c["id"] in COMPANIES]
    manifest["companies"].sort(key=lambda c: COMPANIES.index(c["id"]))
    paths = set()
    for c in manifest["companies"]:
        for s in c["services"]:
            s["kind"] = KIND_FIXES.get((c["id"], s["id"]), s["kind"])
        for d in c["documents"]:
            paths.add(d["path"])
            dst = out / d["path"]
            dst.parent.mkdir(parents=True, exist_ok=True)
            if str(d.get("source", "")).startswith("capp130:"):
                dst.write_text(clean_capp_text((src / d["path"]).read_text("utf-8")), "utf-8")
            else:
                shutil.copyfile(src / d["path"], dst)
    (out / "manifest.yaml").write_text(
        "# Example corpus: a subset of ../shared/data/corpus-2026 (see NOTICE for sources and licences).\n"
        + yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False),
        "utf-8",
    )
    with (src / "sources.csv").open(encoding="utf-8", newline="") as fh, (out / "sources.csv").open("w", encoding="utf-8", newline="") as dst:
        reader = csv.DictReader(fh)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(r for r in reader if r["path"] in paths)


if __name__ == "__main__":
    main()

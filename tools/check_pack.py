"""Check an evaluation/training pack (packs/rdr-2020, or one built by tools/build_training_pack.py).

    python tools/check_pack.py PACK [--no-load]

1. ``rightsindex.evidence.train.read_pack``: the manifest loads and passes the project's manifest
   checks; element labels and located quotes are read.
2. Every ``gold/evidence.csv`` span is re-read from its document and compared with its quote: the
   normalised span must read as the quote with the recorded ``similarity`` (within 1e-4).
3. Unless ``--no-load``: ``rightsindex.evidence.train.load_pack`` ingests the manifest into a
   throw-away SQLite store (what ``rightsindex corpus add`` does), maps every located quote onto the
   normalised texts, and embeds and scores the passages (minutes per company on 2 cores).

Exits non-zero on any failure. Needs the project installed (``pip install -e .``).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trainpack.text import span_similarity  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pack", type=Path)
    ap.add_argument("--no-load", action="store_true", help="skip load_pack (ingest, embed and score)")
    args = ap.parse_args(argv)
    from rightsindex.evidence import train

    manifest, labels, quotes = train.read_pack(args.pack)
    docs = sum(len(c.documents) for c in manifest.companies)
    print(f"read_pack: {len(manifest.companies)} companies, {docs} documents, {len(labels)} labels "
          f"({sum(g.all_cited_available for g in labels)} all_cited_available), {len(quotes)} located quotes")
    for w in manifest.warnings:
        print(f"  manifest warning: {w}")
    bad, lowest, kinds = 0, 1.0, Counter()
    with (args.pack / "gold" / "evidence.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            raw = (args.pack / r["doc_path"]).read_text("utf-8")
            sim = span_similarity(raw, int(r["char_start"]), int(r["char_end"]), r["quote"])
            lowest = min(lowest, sim)
            kinds["exact" if float(r["similarity"]) >= 1.0 else "fuzzy"] += 1
            if abs(sim - float(r["similarity"])) > 1e-4:
                bad += 1
                print(f"  span does not read as its quote: {r['doc_path']}[{r['char_start']}:{r['char_end']}] "
                      f"{sim:.4f} vs recorded {r['similarity']}")
    print(f"evidence spans: {sum(kinds.values())} checked ({kinds['exact']} exact, {kinds['fuzzy']} fuzzy), "
          f"{bad} mismatches, lowest similarity {lowest:.4f}")
    if bad:
        return 1
    if args.no_load:
        return 0
    from rightsindex import methodology
    from rightsindex.evidence import knowledge
    from rightsindex.store import Store

    meth = methodology.load(manifest.methodology)
    kn = knowledge.load().for_methodology(manifest.methodology)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'pack.sqlite'}")
        try:
            pack = train.load_pack(args.pack, store, meth, kn, log=print)
        finally:
            store.close()
    lost = len(quotes) - len(pack.quotes)
    print(f"load_pack: {len(pack.companies)} companies, {len(pack.quotes)} of {len(quotes)} quotes mapped")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())

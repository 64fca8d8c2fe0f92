"""Build the "rdr-2020-ota" training pack: RDR 2020 judgments paired with Open Terms Archive texts
for the RDR 2020 companies that are NOT in the evaluation pack ``packs/rdr-2020``.

Run from anywhere (needs ``git`` on the PATH and the read-only shared data folder; no network):

    python tools/build_training_pack.py [--data ../shared/data] [--out build/packs/rdr-2020-ota]
                                        [--clone build/cache/contrib-versions] [--companies A,B]

The pack has the layout and formats of ``../shared/data/packs/rdr-2020`` (see its README.md):
``manifest.yaml`` (the project's manifest format, per-document levels),
``docs/<Company>/<SourceNr>-<slug>.md`` (OTA version texts, byte for byte), ``docs/provenance.csv``,
``gold/element-labels.csv`` (with ``all_cited_available``), ``gold/evidence.csv`` (located quotes,
code-point offsets into the raw files) and a README.md with the counts; ``docs/match-candidates.csv``
adds every RDR source x OTA document pair considered, with the decision. An existing pack at
``--out`` is replaced only once the new one is complete. The output is deterministic.

Steps (code in ``tools/trainpack/``; stdlib + PyYAML):

1. Companies: every RDR 2020 company with a source list, minus the companies of
   ``packs/rdr-2020/manifest.yaml`` (or those given with ``--companies``).
2. OTA: ``ota/contrib-versions.bundle`` is cloned once into ``--clone`` (reused while it is at the
   bundle's HEAD); the history of every ``<Service>/<Terms type>.md`` comes from ``git log``.
3. Candidates: OTA declarations (the URL each OTA document fetched) are not in the data, so a
   source's candidates are the OTA documents of services named like the company, one of its RDR
   services or that service's brand (``Yahoo`` for Yahoo Mail), or a label of the source URL's
   host when that host is the company's; restricted to the terms types that the RDR title/URL names
   (privacy -> Privacy Policy, agreement/terms/conditions -> Terms of Service, cookie -> Trackers
   Policy, ...).
4. Confirmation by text: the quotes of the comments that cite this source and no other, grouped
   into passages (near-duplicate fragments count once), are searched in every version of the
   candidate within two years of the access date; the version holding most of them is the anchor.
   Versions under 500 characters (degenerate) and versions sharing under 30% of their word 3-grams
   with the anchor (both ways; e.g. a region chooser recorded under the privacy policy's name) are
   skipped. The version used is the last remaining commit whose commit date (UTC) is on or before
   RDR's DateAccessed (``in_force``), else the earliest later one (``after``, gap recorded). A
   candidate is taken when that version holds at least 2 of the passages and at least half of them.
   A source without such quotes is taken only when a taken source of the company has the same URL.
   Where one page is tracked under several OTA services (the Microsoft Privacy Statement is tracked
   as Microsoft, Skype, Bing and Microsoft Store), the version holding most passages wins, then a
   version in force, then the smallest gap, then the best name match.
5. Levels: the columns whose "Sources" row cites the source in
   ``2020-indicator-sources-by-column.csv``; all columns when it is never listed there.
6. Labels and quotes as in packs/rdr-2020: citations are the numbers after "Source(s)" in a
   comment (lists, "&", "and", ranges; parsing stops at "p.", "Section", years); quotes are the text
   between double quotes (straight, curly, or two single quotes), split at ellipses; fragments of
   at least 8 words are searched in the company's documents after normalisation (case-folded,
   punctuation dropped, whitespace collapsed, Markdown link targets masked). An exact word-sequence
   match has similarity 1.0; otherwise windows found with a word-trigram index are scored with
   ``difflib.SequenceMatcher`` ratio and accepted at >= 0.90. Documents of cited sources are
   preferred. Every located span is re-read against its quote before the pack is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML is a project dependency
    sys.exit("build_training_pack: PyYAML is required (pip install pyyaml)")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trainpack.common import FUZZY, fail, log, slugify, text_language  # noqa: E402
from trainpack.matching import Candidate, Matcher, PackDoc, doc_notes, locate_rows, match_company  # noqa: E402
from trainpack.output import write_pack  # noqa: E402
from trainpack.sources import OtaRepo, load_rdr  # noqa: E402
from trainpack.text import span_similarity  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def build(args: argparse.Namespace) -> None:
    data: Path = args.data
    if not data.is_dir():
        fail(f"the shared data folder {data} is missing (it holds rdr/, ota/ and packs/; pass --data)")
    bundle = data / "ota" / "contrib-versions.bundle"
    eval_manifest = data / "packs" / "rdr-2020" / "manifest.yaml"
    for p in (bundle, eval_manifest, data / "rdr" / "2020"):
        if not p.exists():
            fail(f"missing {p} (is --data the shared data folder?)")
    out: Path = args.out
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.yaml").exists())):
        fail(f"--out {out} exists and is not a pack; choose an empty or new folder")
    exclude = {c["id"] for c in (yaml.safe_load(eval_manifest.read_text("utf-8")) or {}).get("companies", [])}
    companies = load_rdr(data, args.companies, exclude)
    log(f"{len(companies)} companies not in the evaluation pack: {', '.join(c.id for c in companies)}")
    repo = OtaRepo(bundle, args.clone)
    log(f"OTA contrib-versions at {repo.head[:12]}: {len(repo.history)} documents")
    m = Matcher(repo)
    considered: list[Candidate] = []
    docs: list[PackDoc] = []
    for c in companies:
        matches = match_company(m, c, considered)
        log(f"  {c.id}: {len(c.sources)} sources, {sum(1 for x in considered if x.source.company == c.id)} OTA candidates, "
            f"{len(matches)} documents")
        for src, cd, confirmed in matches:
            assert cd.version is not None
            text = repo.text(cd.path, cd.version.commit)
            rel = f"docs/{c.id}/{src.nr}-{slugify(src.title)}.md"
            levels = c.levels_by_source.get(src.nr) or list(c.columns)
            d = PackDoc(c, src, cd, rel, text, text_language(text), levels, confirmed, [])
            d.notes = doc_notes(d)
            docs.append(d)
        m.forget()
    repo.close()
    if not docs:
        fail("no OTA document was confirmed for these companies; nothing written (see the log above)")
    found, evidence, stats = locate_rows(companies, docs)
    for e in evidence:  # self-check: every span reads as its quote, with the recorded similarity
        sim = span_similarity(e.doc.text, e.start, e.end, e.quote)
        if abs(sim - e.similarity) > 1e-4 or sim < FUZZY:
            fail(f"internal check failed: {e.doc.rel_path}[{e.start}:{e.end}] reads {sim:.4f} as its quote, "
                 f"recorded {e.similarity}")
    with_docs = [c for c in companies if any(d.company is c for d in docs)]
    write_pack(out, with_docs, docs, considered, found, evidence, stats, repo.head)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                    help="the shared data folder (default: ../shared/data next to the repository)")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "packs" / "rdr-2020-ota",
                    help="where to write the pack (an existing pack there is replaced; default: build/packs/rdr-2020-ota)")
    ap.add_argument("--clone", type=Path, default=ROOT / "build" / "cache" / "contrib-versions",
                    help="where to clone the OTA bundle (reused while at the bundle's HEAD; default: build/cache/contrib-versions)")
    ap.add_argument("--companies", type=lambda s: [x.strip() for x in s.split(",") if x.strip()],
                    help="comma-separated RDR company ids (default: every company not in packs/rdr-2020)")
    build(ap.parse_args(argv))


if __name__ == "__main__":
    main()

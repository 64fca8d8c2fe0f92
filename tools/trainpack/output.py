"""Writing the pack: documents, manifest, provenance, gold files and README."""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import yaml

from .common import FUZZY, IN_FORCE_SLACK_DAYS, MIN_CHARS, MIN_WORDS, SAME_DOC, log
from .matching import MIN_PASSAGES, MIN_SHARE, Candidate, Evidence, PackDoc
from .sources import Company

PROVENANCE_COLUMNS = [
    "company", "source_nr", "path", "title", "url", "date_accessed_raw", "accessed", "ota_document", "ota_candidates",
    "repo_used", "repo_path", "commit", "version_timestamp", "relation", "gap_days", "degenerate_skipped",
    "tosback_containment", "ota_pages", "chars", "sha256", "language", "notes",
    "own_passages", "located_passages", "own_quotes", "located_quotes", "anchor_commit", "anchor_date", "other_page_skipped",
]


def write_csv(path: Path, columns: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)


def fmt_sim(x: float) -> str:
    return "1.0" if x >= 1.0 else f"{x:.4f}"


def write_pack(out: Path, companies: list[Company], docs: list[PackDoc], considered: list[Candidate],
               found: dict[int, int], evidence: list[Evidence], stats: dict[str, int], head: str) -> None:
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "docs").mkdir(parents=True)
    (tmp / "gold").mkdir()
    available = defaultdict(set)
    for d in docs:
        available[d.company.id].add(d.source.nr)
        p = tmp / d.rel_path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(d.text.encode("utf-8"))
    # manifest
    manifest = {"index": "2020", "methodology": "rdr-2020", "companies": []}
    for c in companies:
        entry = {"id": c.id, "name": c.name, "type": c.type,
                 "services": [{"id": sid, "kind": kind} for sid, kind in c.services], "documents": []}
        for d in docs:
            if d.company is not c:
                continue
            entry["documents"].append({
                "path": d.rel_path, "title": d.source.title, "url": d.source.url, "source_nr": d.source.nr,
                "accessed": d.source.accessed.isoformat(), "version_date": d.cand.version.date.isoformat(),
                "ota": f"contrib:{d.ota_id}@{d.cand.version.commit}", "levels": d.levels, "language": d.language,
            })
        manifest["companies"].append(entry)
    (tmp / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=1000), "utf-8")
    # provenance and candidates
    cands_by_source: dict[tuple[str, int], list[Candidate]] = defaultdict(list)
    for cd in considered:
        cands_by_source[(cd.source.company, cd.source.nr)].append(cd)
    prov = []
    for d in docs:
        cd, src = d.cand, d.source
        raw = d.text.encode("utf-8")
        prov.append([
            d.company.id, src.nr, d.rel_path, src.title, src.url, src.accessed_raw, src.accessed.isoformat(),
            f"contrib:{d.ota_id}", " | ".join(f"contrib:{x.path[:-3]}" for x in cands_by_source[(src.company, src.nr)]),
            "contrib", cd.path, cd.version.commit, cd.version.when.strftime("%Y-%m-%dT%H:%M:%SZ"), cd.relation, cd.gap_days,
            cd.degenerate_skipped, "", "", len(d.text), hashlib.sha256(raw).hexdigest(), d.language, "; ".join(d.notes),
            cd.passages_total, cd.located, cd.quotes_total, cd.located_quotes, cd.anchor.commit if cd.anchor else "",
            cd.anchor.date.isoformat() if cd.anchor else "", cd.other_doc_skipped,
        ])
    write_csv(tmp / "docs" / "provenance.csv", PROVENANCE_COLUMNS, prov)
    write_csv(tmp / "docs" / "match-candidates.csv",
              ["company", "source_nr", "title", "url", "accessed", "ota_document", "reason", "own_passages", "own_quotes",
               "anchor_date", "anchor_located_passages", "version_date", "relation", "gap_days", "located_passages",
               "located_quotes", "decision"],
              [[cd.source.company, cd.source.nr, cd.source.title, cd.source.url,
                cd.source.accessed.isoformat() if cd.source.accessed else "", f"contrib:{cd.path[:-3]}", cd.reason,
                cd.passages_total, cd.quotes_total, cd.anchor.date.isoformat() if cd.anchor else "", cd.anchor_located,
                cd.version.date.isoformat() if cd.version else "", cd.relation, cd.gap_days if cd.version else "",
                cd.located, cd.located_quotes, cd.decision] for cd in considered])
    # gold
    label_rows = []
    for c in companies:
        for r in c.rows:
            aca = bool(r.cited) and all(n in available[c.id] for n in r.cited)
            label_rows.append([c.id, r.level, r.indicator, r.element, r.result, r.score, ";".join(map(str, r.cited)),
                               "true" if aca else "false", found.get(id(r), 0), r.comment])
    write_csv(tmp / "gold" / "element-labels.csv",
              ["company", "level", "indicator", "element", "result", "score", "cited_sources", "all_cited_available",
               "quotes_found", "comment"], label_rows)
    write_csv(tmp / "gold" / "evidence.csv",
              ["company", "level", "element", "doc_path", "char_start", "char_end", "quote", "similarity"],
              [[e.row.company, e.row.level, e.row.element, e.doc.rel_path, e.start, e.end, e.quote, fmt_sim(e.similarity)]
               for e in evidence])
    (tmp / "README.md").write_text(readme(companies, docs, label_rows, evidence, stats, head, considered), "utf-8")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    log(f"pack written to {out}: {len(docs)} documents, {len(label_rows)} element rows, {len(evidence)} located quotes")


def _dist(rows: list[list]) -> str:
    order = ["yes", "partial", "no", "no disclosure found"]
    cnt = Counter(r[4] for r in rows)
    keys = order + sorted(k for k in cnt if k not in order)
    return ", ".join(f"{k} {cnt[k]}" for k in keys if cnt[k])


def readme(companies: list[Company], docs: list[PackDoc], label_rows: list[list], evidence: list[Evidence],
           stats: dict[str, int], head: str, considered: list[Candidate]) -> str:
    ids = [c.id for c in companies]
    per = lambda rows, key=lambda r: r[0]: Counter(key(r) for r in rows)  # noqa: E731
    ndocs = Counter(d.company.id for d in docs)
    rel = Counter(d.cand.relation for d in docs)
    near = {(d.company.id, d.source.nr) for d in docs if d.cand.gap_days <= IN_FORCE_SLACK_DAYS}
    aca = [r for r in label_rows if r[7] == "true"]
    aca_near = [r for r in aca if all((r[0], int(n)) in near for n in r[6].split(";"))]
    cited = sum(1 for r in label_rows if r[6])
    exact = sum(1 for e in evidence if e.similarity >= 1.0)
    ev_rows = {(e.row.company, e.row.level, e.row.element) for e in evidence}
    ev_rel = Counter(e.doc.cand.relation for e in evidence)
    ev_near = sum(1 for e in evidence if e.doc.cand.gap_days <= IN_FORCE_SLACK_DAYS)
    ev_company = Counter(e.row.company for e in evidence)
    all_targets = sorted({cd.source.company for cd in considered} | set(ids))
    lines = [
        "# RDR 2020 training pack from Open Terms Archive: companies outside the evaluation pack",
        "",
        "This pack pairs Ranking Digital Rights (RDR) 2020 Index element-level results with the text of the policy "
        "documents RDR cited, as recorded by Open Terms Archive (OTA), for the RDR 2020 companies that are **not** in "
        "`packs/rdr-2020`. It has exactly the layout and formats of `packs/rdr-2020` (see its README), so it can be "
        "loaded the same way; use it for training and in-context supervision, and keep `packs/rdr-2020` for evaluation.",
        "",
        "## Layout",
        "",
        "| Path | Content |",
        "|---|---|",
        "| `manifest.yaml` | companies (id, name, type, services with kind), and per document: path, title, URL, RDR "
        "source number, access date, OTA version date, OTA id (`contrib:Service/Terms type@commit`), the RDR columns "
        "(levels) that used the source, language |",
        "| `docs/<Company>/<SourceNr>-<slug>.md` | the OTA version text, byte for byte as stored in the OTA repository |",
        "| `docs/provenance.csv` | per document: the OTA candidates, path, commit and timestamp used, relation to the "
        "access date (`in_force` or `after`), gap in days, degenerate versions skipped, SHA-256 of the text, notes, and "
        "the text evidence of the match (quoted passages of comments citing only this source, and how many were "
        "found; the anchor version) |",
        "| `docs/match-candidates.csv` | every RDR source × OTA document pair considered, with its figures and the decision |",
        "| `gold/element-labels.csv` | one row per answered element (Result not N/A) for the companies in the pack: "
        "company, level, indicator, element, result, score, cited_sources, all_cited_available, quotes_found, comment |",
        "| `gold/evidence.csv` | one row per quoted passage of a comment located in a document: company, level, element, "
        "doc_path, char_start, char_end, quote, similarity |",
        "",
        "## How it was built",
        "",
        "```bash",
        "python tools/build_training_pack.py --out DIR    # in the rightsindex repository; reads ../shared/data",
        "```",
        "",
        f"Inputs: `rdr/2020` (element scores with comments, company source lists, indicator-sources-by-column), "
        f"`rdr/site-csv/2020-*-specs.csv` (company names, services and kinds), `packs/rdr-2020/manifest.yaml` (the "
        f"companies to leave out) and `ota/contrib-versions.bundle` (OTA contrib-versions, HEAD `{head[:12]}`). The "
        "OTA declarations (which URL each OTA document fetched) are not part of the data, so matching rests on names "
        "and on the text itself:",
        "",
        "1. **Candidates.** For each RDR source, the OTA documents of services whose name is the company, one of its "
        "RDR services (or that service's brand, e.g. `Yahoo` for Yahoo Mail), or a label of the source URL's host when "
        "that host is the company's; restricted to the terms types the RDR title/URL names (privacy -> Privacy Policy, "
        "agreement/terms/conditions -> Terms of Service, cookie -> Trackers Policy, ...).",
        "2. **Confirmation by text.** The quotes of the comments that cite this source **and no other** are grouped "
        "into passages (near-duplicate fragments count once) and searched (as in 5) in every version of the candidate "
        f"within two years of the access date; the version holding most of them is the anchor. A candidate is taken "
        f"when its version used (see 3) holds at least {MIN_PASSAGES} of those passages and at least "
        f"{MIN_SHARE:.0%} of them. A source without such quotes is taken only when a taken source of the company has "
        "the same URL. Where one page is tracked under several OTA services (the Microsoft Privacy Statement is "
        "tracked as Microsoft, Skype, Bing and Microsoft Store), the candidate whose version holds most passages "
        "wins, then a version in force, then the smallest gap, then the best name match.",
        f"3. **Version.** Versions under {MIN_CHARS} characters (degenerate) and versions sharing under "
        f"{SAME_DOC:.0%} of their word 3-grams with the anchor (both ways; e.g. a region chooser recorded under the "
        "privacy policy's name) are skipped. The version in force on RDR's `DateAccessed` is the last remaining "
        "commit whose commit date (UTC) is on or before that day; if there is none, the earliest later one is used and "
        "the gap recorded.",
        "4. **Levels.** `levels` lists the columns (Group, OpCom, services) whose \"Sources\" row cites the source in "
        "any indicator (`2020-indicator-sources-by-column.csv`); if the source is never listed there, all columns.",
        "5. **Citations and quotes** exactly as in `packs/rdr-2020`: `cited_sources` are the numbers after "
        "\"Source\"/\"Sources\" (lists, \"&\", \"and\", ranges; parsing stops at \"p.\", \"Section\", years); "
        "`all_cited_available` is true when the comment cites at least one source and every cited source has a "
        "document in `docs/`. Quotes are the text between double quotes (straight, curly, or two single quotes), "
        f"split at ellipses; fragments of at least {MIN_WORDS} words are searched in the documents of the same company "
        "after normalisation (case-folded, punctuation dropped, whitespace collapsed, Markdown link targets masked). "
        "An exact match of the normalised word sequence has similarity 1.0; otherwise candidate windows found with a "
        f"word-trigram index are scored with `difflib.SequenceMatcher` ratio, accepting >= {FUZZY:.2f}. Documents of "
        "cited sources are preferred when a passage occurs in several documents. `char_start`/`char_end` are Python "
        "string (code point) offsets into the UTF-8 decoded document file.",
        "",
        "## Counts",
        "",
        f"- Documents: **{len(docs)}** ({', '.join(f'{k} {ndocs[k]}' for k in ids)}); relation to access date: "
        f"in_force {rel['in_force']}, after {rel['after']}; text source: contrib {len(docs)}.",
        f"- Documents in force on the access date or at most {IN_FORCE_SLACK_DAYS} days later: {len(near)} of {len(docs)}.",
        f"- Element rows (answered elements of these companies): **{len(label_rows)}** "
        f"({', '.join(f'{k} {v}' for k, v in sorted(per(label_rows).items()))}).",
        f"  - class distribution: {_dist(label_rows)}.",
        f"  - rows citing at least one source: {cited}.",
        f"- Rows with `all_cited_available` = true: **{len(aca)}** "
        f"({', '.join(f'{k} {v}' for k, v in sorted(per(aca).items())) or 'none'}).",
        f"  - class distribution: {_dist(aca) or 'none'}.",
        f"  - of these, rows whose cited documents are all in force on the access date or at most "
        f"{IN_FORCE_SLACK_DAYS} days later: {len(aca_near)}" + (f" ({_dist(aca_near)})." if aca_near else "."),
        f"- Quotes: {stats.get('fragments', 0)} quoted fragments of >= {MIN_WORDS} words in "
        f"{stats.get('rows_with_fragments', 0)} rows; **{len(evidence)} located** ({exact} exact, "
        f"{len(evidence) - exact} fuzzy), in {len(ev_rows)} rows; in documents in force on the access date "
        f"{ev_rel['in_force']}, in later versions {ev_rel['after']} (in force or at most {IN_FORCE_SLACK_DAYS} days "
        f"later: {ev_near}).",
        "",
        "Documents per company:",
        "",
        "| Company | Documents | Element rows | all_cited_available | Located quotes |",
        "|---|---|---|---|---|",
    ]
    rows_c, aca_c = per(label_rows), per(aca)
    for k in ids:
        lines.append(f"| {k} | {ndocs[k]} | {rows_c[k]} | {aca_c[k]} | {ev_company[k]} |")
    missing = [k for k in all_targets if k not in ids]
    lines += ["", "Companies left out of the evaluation pack that have no document here: "
              + (", ".join(missing) if missing else "none") + ". "
              "`docs/match-candidates.csv` shows each OTA candidate that was considered for them and why it was refused.",
              "", "## Documents", "",
              "| Company | Src | Title | OTA document | Version | Relation | Gap (days) | Notes |",
              "|---|---|---|---|---|---|---|---|"]
    for d in docs:
        lines.append(f"| {d.company.id} | {d.source.nr} | {d.source.title} | contrib:{d.ota_id} | "
                     f"{d.cand.version.date.isoformat()} | {d.cand.relation} | {d.cand.gap_days} | {'; '.join(d.notes)} |")
    lines += [
        "",
        "## Licences and attribution",
        "",
        "- **RDR data** (element results, comments, source lists): Ranking Digital Rights, 2020 RDR Index, published "
        "under **CC BY 4.0**. Cite Ranking Digital Rights.",
        "- **Document texts** (`docs/`): **Open Terms Archive** data (`OpenTermsArchive/contrib-versions`), licensed "
        "**ODC-BY 1.0**; attribute \"Open Terms Archive contributors\". The underlying policies are the companies' own "
        "texts, reproduced for research and evaluation.",
        "- `tools/build_training_pack.py` (rightsindex repository): our code.",
        "",
        "## Known caveats",
        "",
        "- **Matching without declarations.** OTA's declarations are not in the data, so a document is taken only "
        "when the text itself holds the quotes of comments that cite that source alone. OTA often tracked another "
        "regional variant of the page than RDR read (e.g. en-gb or Irish pages where RDR read the US page); where a "
        "variant differs, some quotes are not found (see the notes), and a judgment may rest on a clause the variant "
        "words differently. Sub-pages, help pages, reports and PDFs that OTA does not track are absent.",
        "- **Version gaps.** Documents with relation `after` use the first later version; `docs/provenance.csv` has "
        "the exact timestamps. Filter on `relation`/`gap_days` for a stricter subset.",
        "- **Coverage.** Most elements cite sources that are absent: a \"no disclosure found\" judgment is about the "
        "company's whole document set and cannot be verified from a subset. Use `all_cited_available` (or the evidence "
        "rows) to select rows whose cited text is present.",
        "- **Citation parsing and quote matching are heuristic**, as in `packs/rdr-2020`: comments sometimes cite by "
        "title only, give page numbers after the source number, paraphrase, or splice quotes without an ellipsis. A "
        "fuzzy match (< 1.0) may point at a slightly different wording of the same passage.",
        "",
    ]
    return "\n".join(lines)

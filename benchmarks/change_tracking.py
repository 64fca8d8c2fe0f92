"""Change tracking on real policy histories: the 2020 pack's companies, 2020-09-15 → 2021-11-01.

    python benchmarks/change_tracking.py [--pack ../shared/data/packs/rdr-2020]
        [--ota ../shared/data/ota/contrib-versions.bundle] [--rdr ../shared/data/rdr] [--out DIR]
        [--companies Tencent,Google] [--no-fresh] [--max-extraction N]

For every company of the RDR 2020 evaluation pack, each document is given the Open Terms
Archive text in force on 2020-09-15 (RDR 2020's research cut-off) and on 2021-11-01 (RDR 2022's
data collection), from the whole contrib-versions collection (documents it does not track keep
the pack's text on both dates). Then, in one store, like a user would:

1. ``assess`` the 2020 texts with RDR's 2020 answers as ``--prior``;
2. record the 2021 texts and ``assess`` again (same prior): companies are re-graded change-aware
   from the first run (``rightsindex.regrade``).

Reported:

- **answers moved** from 2020 to 2021, per company, with the documents that changed;
- **answers moved where the cited text did not change** (must be 0): a moved answer whose first
  three evidence units are all still in the 2021 versions *and* whose 2021 evidence leads with
  no passage new since 2020 — checked from the stored evidence and texts, independently of the
  re-grading code's own bookkeeping;
- the same two counts for a **fresh** grading of the 2021 texts (a new store, same prior), and
  for the 2021 texts graded in a new store with the 2020 run's ``element-scores.csv`` as
  ``--prior`` (the protocol of issue 11's finding; re-graded from that file's answers and cited
  passages); ``--no-fresh`` skips both;
- **extraction-only updates that moved anything** (must be 0): every OTA extraction-only commit
  ("Refilter", "Apply technical or declaration upgrade") of the documents used — the text in
  force before it recorded as a version, graded, then the commit's text recorded as an extraction
  change (``meta.event = "extraction"``, as OTA classifies it) and graded again; how many of these
  changed the extracted words at all, and how many answers moved;
- **time to re-grade one company after one document changes**: the WeChat privacy policy of
  Tencent and the Google privacy policy moved to their next recorded version, ``assess`` of that
  company alone (ingest + re-grade + outputs), wall time, and the company's own grading seconds.

Writes ``OUT/moves.csv`` (every answer that moved, with its reason) and ``OUT/answers.csv`` (every
answer on both dates) for an evaluation against RDR's own later answers, and ``OUT/figures.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
A_DATE, B_DATE = date(2020, 9, 15), date(2021, 11, 1)
NEXT_DOCS = {"Tencent": "45", "Google": "1"}  # source numbers: WeChat privacy policy, Google privacy policy


def ota_documents(pack: Path) -> dict[str, tuple[str, str]]:
    """pack path -> (service, terms type) of its contrib-versions document."""
    out = {}
    with open(pack / "docs" / "provenance.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            doc = r["ota_document"]
            if doc.startswith("contrib:"):
                service, _, terms = doc[len("contrib:"):].partition("/")
                out[r["path"]] = (service, terms)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", type=Path, default=SHARED / "packs" / "rdr-2020")
    ap.add_argument("--ota", type=Path, default=SHARED / "ota" / "contrib-versions.bundle")
    ap.add_argument("--rdr", type=Path, default=SHARED / "rdr")
    ap.add_argument("--out", type=Path, default=None, help="folder for moves.csv, answers.csv, figures.json (default: a temporary folder)")
    ap.add_argument("--companies", default="", help="only these pack companies (comma-separated)")
    ap.add_argument("--no-fresh", action="store_true", help="skip the fresh (not change-aware) grading of the 2021 texts")
    ap.add_argument("--max-extraction", type=int, default=60, help="extraction-only commits to replay at most")
    args = ap.parse_args()

    import yaml

    from rightsindex.corpus.extract import normalise_text
    from rightsindex.corpus.ota.repository import OTAError, history, open_repo, version_at
    from rightsindex.corpus.versions import record_version
    from rightsindex.run import assess
    from rightsindex.timeline.regrade import RESTS_ON, substance
    from rightsindex.store import Store
    from rightsindex.store.models import Company, CompanyRun, Document, Version

    work = Path(tempfile.mkdtemp(prefix="change-tracking-"))
    out = args.out or work / "out"
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    raw = yaml.safe_load((args.pack / "manifest.yaml").read_text("utf-8"))
    wanted = [c for c in args.companies.split(",") if c]
    if wanted:
        raw["companies"] = [c for c in raw["companies"] if c["id"] in wanted]
    print(f"opening {args.ota} …", file=sys.stderr)
    repo = open_repo(args.ota)
    mapping = ota_documents(args.pack)

    # -- texts on both dates ------------------------------------------------------------------------
    texts: dict[str, dict] = {}  # pack path -> {"a", "b", "a_date", "b_date", "ota", "history"}
    histories: dict[tuple[str, str], list] = {}
    for c in raw["companies"]:
        for d in c["documents"]:
            pack_text = (args.pack / d["path"]).read_text("utf-8")
            entry = {"a": pack_text, "b": pack_text, "a_date": d.get("version_date"), "b_date": d.get("version_date"), "ota": None}
            key = mapping.get(d["path"])
            if key is not None:
                if key not in histories:
                    try:
                        histories[key] = history(repo, *key)[0]
                    except OTAError as exc:
                        print(f"  {key}: {exc}", file=sys.stderr)
                        histories[key] = []
                vs = histories[key]
                va, vb = version_at(vs, A_DATE), version_at(vs, B_DATE)
                if va is not None:
                    entry.update(a=va.text, a_date=va.date.date().isoformat(), ota=key)
                if vb is not None and va is not None:
                    entry.update(b=vb.text, b_date=vb.date.date().isoformat())
                elif vb is not None:
                    entry.update(ota=key)  # tracked only from later: the pack's text stands for both dates
                    entry.update(b=entry["a"])
            texts[d["path"]] = entry
    changed_docs = {p for p, e in texts.items() if normalise_text(e["a"]) != normalise_text(e["b"])}
    print(f"{len(texts)} documents, {sum(1 for e in texts.values() if e['ota'])} with an OTA history, "
          f"{len(changed_docs)} changed between {A_DATE} and {B_DATE}", file=sys.stderr)

    def write_manifest(folder: Path, side: str) -> Path:
        m = json.loads(json.dumps(raw))
        for c in m["companies"]:
            for d in c["documents"]:
                e = texts[d["path"]]
                dst = folder / d["path"]
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_text(e[side], "utf-8")
                if e[f"{side}_date"]:
                    d["version_date"] = e[f"{side}_date"]
                d.pop("accessed", None)
        path = folder / "manifest.yaml"
        path.write_text(yaml.safe_dump(m, allow_unicode=True), "utf-8")
        return path

    prior = [args.rdr / "2020" / "element-scores" / f"2020-rdr-index-06-element-scores-{c['id']}.csv" for c in raw["companies"]]
    prior = [p for p in prior if p.is_file()]
    folder = work / "docs"
    folder.mkdir()
    db = f"sqlite:///{work / 'a' / 'rightsindex.sqlite'}"  # where `assess --out a` keeps it by default

    def run(manifest_path: Path, out_dir: Path, db_url: str, **kw):
        seen: dict[str, dict] = {}
        r = assess(manifest_path, out_dir, db=db_url, prior=prior, on_event=lambda k, d: seen.update({d["company"]: d}) if k == "company" else None, **kw)
        return r, seen

    t0 = time.perf_counter()
    ra, info_a = run(write_manifest(folder, "a"), work / "a", db)
    t_a = time.perf_counter() - t0
    t0 = time.perf_counter()
    rb, info_b = run(write_manifest(folder, "b"), work / "b", db)
    t_b = time.perf_counter() - t0

    def rows(result) -> dict[tuple, dict]:
        with open(result.files["element-scores.csv"], encoding="utf-8", newline="") as fh:
            return {(r["Company"], r["Service"], r["Element"]): r for r in csv.DictReader(fh) if r["Result"] != "NA"}

    A, B = rows(ra), rows(rb)
    store = Store.open(db)

    def sides(aid_a: int, aid_b: int, store_b=None) -> dict[str, tuple]:
        out_ = {}
        sb = store_b or store
        with store.session() as s, sb.session() as s2:
            va = {r.company_key: r.meta.get("versions", {}) for r in s.query(CompanyRun).filter_by(assessment_id=aid_a)}
            vb = {r.company_key: r.meta.get("versions", {}) for r in s2.query(CompanyRun).filter_by(assessment_id=aid_b)}
            texts_a = {c: {k: substance(s.get(Version, v).text) for k, v in vs.items()} for c, vs in va.items()}
            texts_b = {c: {k: substance(s2.get(Version, v).text) for k, v in vs.items()} for c, vs in vb.items()}
        for c in texts_a:
            out_[c] = (texts_a[c], texts_b.get(c, {}))
        return out_

    def evidence(row: dict) -> list[dict]:
        try:
            return json.loads(row.get("Evidence") or "[]")
        except ValueError:
            return []

    def unexplained(key, ra_row, rb_row, sd) -> bool:
        """Moved although the cited text did not change (checked on the texts themselves)."""
        ta, tb = sd[key[0]]
        for e in evidence(ra_row)[:RESTS_ON]:
            if substance(e["text"]) not in tb.get(e["path"], ""):
                return False
        for e in evidence(rb_row)[:RESTS_ON]:
            if substance(e["text"]) not in ta.get(e["path"], ""):
                return False
        return True

    sd = sides(ra.assessment_id, rb.assessment_id)
    moved = [k for k in A if k in B and A[k]["Result"] != B[k]["Result"]]
    bad = [k for k in moved if unexplained(k, A[k], B[k], sd)]
    per_company = defaultdict(lambda: {"answers": 0, "moved": 0, "documents": 0, "changed documents": 0})
    for k in A:
        per_company[k[0]]["answers"] += 1
    for k in moved:
        per_company[k[0]]["moved"] += 1
    for c in raw["companies"]:
        per_company[c["id"]]["documents"] = len(c["documents"])
        per_company[c["id"]]["changed documents"] = sum(1 for d in c["documents"] if d["path"] in changed_docs)
    figures: dict = {
        "dates": [A_DATE.isoformat(), B_DATE.isoformat()],
        "documents": len(texts), "documents changed": len(changed_docs),
        "answers": len(A), "answers moved": len(moved), "answers moved where the cited text did not change": len(bad),
        "per company": dict(per_company),
        "seconds": {"2020 grading": round(t_a, 1), "2021 re-grading": round(t_b, 1)},
        "re-graded": {c: {k: d.get(k) for k in ("seconds", "kept", "moved", "reused")} for c, d in info_b.items()},
    }
    with open(out / "moves.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Company", "Level", "Element", "Result2020", "Result2021", "CitedTextUnchanged", "Comment2021"])
        for k in moved:
            w.writerow([*k, A[k]["Result"], B[k]["Result"], k in bad, B[k]["Comment"]])
    with open(out / "answers.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Company", "Level", "Element", "Result2020", "Result2021"])
        for k in A:
            w.writerow([*k, A[k]["Result"], B[k]["Result"] if k in B else "NA"])

    def moves_against_2020(result, db: str, t0: float) -> dict:
        """Answers of ``result`` that differ from the 2020 run's, and those whose cited text did not change."""
        other = rows(result)
        store = Store.open(db)
        sd = sides(ra.assessment_id, result.assessment_id, store)
        moved = [k for k in A if k in other and A[k]["Result"] != other[k]["Result"]]
        bad = [k for k in moved if unexplained(k, A[k], other[k], sd)]
        store.close()
        return {"answers moved": len(moved), "answers moved where the cited text did not change": len(bad),
                "seconds": round(time.perf_counter() - t0, 1)}

    # -- fresh grading of the 2021 texts, for contrast ------------------------------------------------
    if not args.no_fresh:
        t0 = time.perf_counter()
        fresh_db = f"sqlite:///{work / 'fresh.sqlite'}"
        rf, _ = run(write_manifest(folder, "b"), work / "fresh", fresh_db)
        figures["fresh"] = moves_against_2020(rf, fresh_db, t0)
        # the protocol of issue 11's finding: the 2021 texts in a new store, the 2020 run as --prior
        t0 = time.perf_counter()
        chained_db = f"sqlite:///{work / 'chained.sqlite'}"
        rc = assess(write_manifest(folder, "b"), work / "chained", db=chained_db, prior=[ra.files["element-scores.csv"]])
        figures["prior from the 2020 run"] = moves_against_2020(rc, chained_db, t0)

    # -- time to re-grade one company after one document changes ----------------------------------------
    timing = {}
    for company, nr in NEXT_DOCS.items():
        c = next((c for c in raw["companies"] if c["id"] == company), None)
        if c is None:
            continue
        d = next(d for d in c["documents"] if Path(d["path"]).name.startswith(f"{nr}-"))
        key = texts[d["path"]]["ota"]
        vs = histories.get(key) or []
        current = version_at(vs, B_DATE)
        nxt = next((v for v in vs if current is not None and v.date > current.date and normalise_text(v.text) != normalise_text(current.text)), None)
        if nxt is None:
            continue
        saved = dict(texts[d["path"]])
        texts[d["path"]].update(b=nxt.text, b_date=nxt.date.date().isoformat())
        manifest_t = write_manifest(folder, "b")
        t0 = time.perf_counter()
        r, seen = run(manifest_t, work / "t", db, companies=[company])
        wall = time.perf_counter() - t0
        texts[d["path"]] = saved
        write_manifest(folder, "b")
        timing[company] = {"document": d["path"], "to version of": nxt.date.date().isoformat(), "wall seconds": round(wall, 2),
                           "grading seconds": seen[company]["seconds"], "kept": seen[company].get("kept"), "moved": seen[company].get("moved")}
    figures["re-grade one company after one document changes"] = timing
    # -- extraction-only commits ----------------------------------------------------------------------
    events = []
    used = {(c["id"], d["path"], texts[d["path"]]["ota"]) for c in raw["companies"] for d in c["documents"] if texts[d["path"]]["ota"]}
    seen_docs = set()
    for company, path, key in sorted(used):
        if key in seen_docs:
            continue
        seen_docs.add(key)
        file = f"{key[0]}/{key[1]}.md"
        log = subprocess.run(["git", "-C", str(repo), "log", "--reverse", "--format=%H%x1f%aI%x1f%s", "HEAD", "--", file],
                             capture_output=True, text=True).stdout.splitlines()
        previous = None
        for line in log:
            sha, when, subject = line.split("\x1f", 2)
            if subject.lower().startswith(("refilter", "apply technical or declaration upgrade")) and previous is not None:
                after = subprocess.run(["git", "-C", str(repo), "show", f"{sha}:{file}"], capture_output=True).stdout.decode("utf-8", "replace")
                if len(after.strip()) >= 500 and len(previous.strip()) >= 500:
                    events.append((company, path, key, when[:10], subject, previous, after))
            elif not subject.lower().startswith(("refilter", "apply technical")):
                previous = subprocess.run(["git", "-C", str(repo), "show", f"{sha}:{file}"], capture_output=True).stdout.decode("utf-8", "replace")
    events = events[: args.max_extraction]
    ex = {"commits": len(events), "absorbed by normalisation": 0, "changed the extracted words": 0, "replayed": 0, "moved anything": 0, "answers moved": 0}
    day = datetime.now(timezone.utc).date() + timedelta(days=1)
    manifest_b = folder / "manifest.yaml"
    for company, path, key, when, subject, before, after in events:
        nb, na = normalise_text(before), normalise_text(after)
        if nb == na:
            ex["absorbed by normalisation"] += 1
            continue
        if substance(nb) != substance(na):
            ex["changed the extracted words"] += 1
        with store.session() as s:
            doc = s.query(Document).join(Company).filter(Company.key == company, Document.key == path).one()
            record_version(s, doc, text=nb, format="markdown", version_date=day, meta={"event": "change", "replay": when})
            day += timedelta(days=1)
        r1, _ = run(manifest_b, work / "x1", db, companies=[company])
        with store.session() as s:
            doc = s.query(Document).join(Company).filter(Company.key == company, Document.key == path).one()
            v = record_version(s, doc, text=na, format="markdown", version_date=day, meta={"event": "extraction", "subject": subject, "replay": when})
            day += timedelta(days=1)
        if v is None:
            continue
        r2, _ = run(manifest_b, work / "x2", db, companies=[company])
        R1, R2 = rows(r1), rows(r2)
        n = sum(1 for k in R1 if k in R2 and R1[k]["Result"] != R2[k]["Result"])
        ex["replayed"] += 1
        ex["answers moved"] += n
        ex["moved anything"] += int(n > 0)
    figures["extraction-only updates"] = ex

    figures["total seconds"] = round(time.perf_counter() - t_start, 1)
    store.close()
    (out / "figures.json").write_text(json.dumps(figures, indent=2) + "\n", "utf-8")

    print(f"\nChange tracking, {A_DATE} → {B_DATE}: {len(texts)} documents of {len(raw['companies'])} companies, {len(changed_docs)} changed")
    print(f"{'company':<10} {'answers':>7} {'moved':>6} {'docs':>5} {'changed':>8}")
    for c, v in sorted(per_company.items()):
        print(f"{c:<10} {v['answers']:>7} {v['moved']:>6} {v['documents']:>5} {v['changed documents']:>8}")
    print(f"answers moved: {len(moved)} of {len(A)}")
    print(f"answers moved where the cited text did not change: {len(bad)} (must be 0)")
    if "fresh" in figures:
        f = figures["fresh"]
        print(f"  for contrast, fresh grading of the 2021 texts (new store, same prior): {f['answers moved']} moved, "
              f"{f['answers moved where the cited text did not change']} where the cited text did not change")
        f = figures["prior from the 2020 run"]
        print(f"  the 2021 texts in a new store with the 2020 run's element-scores.csv as --prior: {f['answers moved']} moved, "
              f"{f['answers moved where the cited text did not change']} where the cited text did not change")
    print(f"extraction-only updates: {ex['commits']} commits, {ex['absorbed by normalisation']} absorbed by normalisation (no new version), "
          f"{ex['replayed']} replayed ({ex['changed the extracted words']} changed the extracted words); moved anything: {ex['moved anything']} (must be 0), answers moved: {ex['answers moved']}")
    for company, t in timing.items():
        print(f"re-grade {company} after {t['document']} changed (to the version of {t['to version of']}): {t['wall seconds']:.1f} s wall "
              f"(grading {t['grading seconds']:.1f} s; {t['kept']} kept, {t['moved']} moved) — target ≤ 5 s on 2 cores")
    print(f"outputs: {out}  (work folder {work})")
    print(f"done in {figures['total seconds']:.0f} s")
    return 0 if not bad and ex["moved anything"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

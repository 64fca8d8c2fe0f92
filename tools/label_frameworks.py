"""Annotation tooling for ``data/frameworks/labels-en.csv``: candidate windows to label, and the CSV.

    python tools/label_frameworks.py candidates COMPANY DOC_SUBSTRING TAG [--framework gdpr-notice] [--items a,b]
    python tools/label_frameworks.py csv [--labels build/frameworks/label]

``candidates`` ingests ``../shared/data/corpus-2026`` (once, into ``build/frameworks/label/store.sqlite``),
cuts the document's windows as grading does, and writes ``TAG.txt`` (numbered windows, then per
item the numbers of its candidates) and ``TAG.json``. Candidates per item, so that a labeller sees
what a reader might cite and what it might miss: the 4 windows closest (MiniLM) to the item's
question plus the centroid of its ToS;DR/RDR quotes, the 4 of the 12 closest that the passage judge
reads as most supportive of the question, and up to 8 windows that a recall aid (a regular
expression per item, ``AID``: annotation help only, never used by the reader) finds, closest
first. The labeller writes ``TAG.lab``: one line per item, ``item: 12f 14p`` (window 12 carries the
duty fully, 14 in part); every other candidate of that item is labelled ``none``. ``csv`` turns
the ``.lab`` files into the CSV (TAGs starting with ``p-`` are ``pipl-notice`` labels).

The shipped CSV was labelled this way by the project's engineer (an AI assistant) for 19 English
privacy policies of 14 companies: all 14 GDPR items, and the four PIPL items that have no GDPR twin
(policy-changes, sensitive-information, minors, security-measures).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "frameworks" / "label"
SHARED = ROOT.parent / "shared" / "data"
AID = {
    "controller-contact": r"\bcontroller\b|responsible for (the processing|your (personal )?(data|information))|contact us (at|by|using|via)|\b(Inc|Ltd|LLC|GmbH|Limited|Pte|B\.V|S\.à r\.l)\b.{0,120}(address|Street|Road|Avenue|Floor|@)",
    "dpo-contact": r"data protection officer|\bDPO\b|privacy officer",
    "purposes-legal-basis": r"legal bas[ie]s|lawful bas[ie]s|legal grounds?|we use (your )?(personal )?(data|information) (to|for)",
    "legitimate-interests": r"legitimate interest",
    "recipients": r"\bshare\b|\bdisclose\b|third[- ]part|service providers",
    "international-transfers": r"transfer|standard contractual|adequacy|outside (of )?(the|your) (country|EEA|European)|countries",
    "retention": r"\bretain|retention|keep (your|personal|this)|stored? for|\bdelete",
    "data-subject-rights": r"right to (access|erasure|rectif|object|restrict|data portab|portab|delete|correct)|your rights|access, (correct|update)",
    "withdraw-consent": r"withdraw|revoke",
    "complaint-authority": r"supervisory authority|data protection authorit|lodge a complaint|regulator|complain",
    "statutory-requirement": r"(required|obliged|obligated|necessary) to provide|if you (do not|don't|choose not to) provide|statutory|contractual requirement|unable to (provide|offer)|not be able to",
    "automated-decisions": r"automated decision|automated processing|profiling|algorithm|automated (means|systems)",
    "data-categories": r"(we|information we|data we) collect|categories of (personal )?(data|information)",
    "data-sources": r"(from|receive|obtain)\b.{0,60}(third[- ]part|partners|sources|publicly available|other users|advertisers|data brokers)",
    "policy-changes": r"(change|update|amend|modif|revis)\w*.{0,80}(this|our) (privacy )?(policy|notice|statement)|(policy|notice|statement).{0,60}(change|update|amend|revis)",
    "sensitive-information": r"sensitive|special categor|biometric|health|precise (geo)?location|racial|religio|sexual",
    "minors": r"child|minor|under the age|under \d\d|parent|guardian|teen|age of",
    "security-measures": r"secur|encrypt|safeguard|protect your (personal )?(data|information)|access control|breach",
}


def _store():
    sys.path.insert(0, str(ROOT))
    from rightsindex.corpus.ingest import ingest_manifest
    from rightsindex.corpus.manifest import load_manifest
    from rightsindex.store import Store

    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / "store.sqlite"
    store = Store.open(f"sqlite:///{db}")
    if not (WORK / "ingested").exists():
        ingest_manifest(store, load_manifest(SHARED / "corpus-2026" / "manifest.yaml"))
        (WORK / "ingested").write_text("ok")
    return store


def prototypes(fw):
    """Per item: its English question plus the centroid of its ToS;DR and RDR quotes (MiniLM)."""
    from rightsindex.evidence import knowledge as K
    from rightsindex.evidence.embed import encoder
    from rightsindex.evidence.frameworks.sources import rdr_quote_examples, tosdr_examples

    ex = [e for e in tosdr_examples(SHARED / "tosdr" / "tosdr_points_quoted.csv", fw) + rdr_quote_examples(K.load(), fw) if e.items]
    V = encoder("minilm").encode([e.text for e in ex]) if ex else np.zeros((0, 384), np.float32)
    Q = encoder("minilm").encode([it.question["en"] for it in fw.items.values()])
    out = {}
    for k, iid in enumerate(fw.items):
        pos = [V[i] for i, e in enumerate(ex) if iid in e.items]
        p = Q[k] + (np.mean(pos, 0) / np.linalg.norm(np.mean(pos, 0)) if pos else 0)
        out[iid] = p / np.linalg.norm(p)
    return out


def candidates(company: str, doc_sub: str, tag: str, framework: str, items: list[str] | None, per: int = 4, aid_max: int = 8) -> None:
    from rightsindex.evidence.passages import embed_company, load_company_passages
    from rightsindex.evidence.support import cross_encoder, sentence_vector_rows, supports, unit_windows
    from rightsindex.methodology import frameworks as F

    fw = F.load(framework)
    store = _store()
    with store.session() as s:
        cp = load_company_passages(s, company)
        embed_company(s, cp)
    protos = prototypes(fw)
    ce = cross_encoder()
    _, members = cp.units()
    rows_of = sentence_vector_rows(cp)
    allw = []
    for u, mem in enumerate(members):
        first = cp.rows[mem[0]]
        if doc_sub not in first.path or first.reader != "minilm":
            continue
        ws, vec = unit_windows(cp, u, rows_of)
        for k, w in enumerate(ws):
            allw.append((u, k, w.text, [vec[i] for i in w.sentences if vec[i] >= 0]))
    out = {}
    for iid, it in fw.items.items():
        if items and iid not in items:
            continue
        sims = np.array([float((cp.sent_minilm[r] @ protos[iid]).max()) if r else -1 for (_, _, _, r) in allw])
        top = list(np.argsort(-sims)[:12])
        s_ = supports(ce.predict_proba([it.question["en"]] * len(top), [allw[i][2] for i in top]))
        aid = sorted([i for i, w in enumerate(allw) if re.search(AID[iid], w[2], re.I)], key=lambda i: -sims[i])[:aid_max]
        out[iid] = list(dict.fromkeys([top[i] for i in np.argsort(-s_)[:per]] + top[:per] + aid))
    used = sorted({i for v in out.values() for i in v})
    ids = {i: n for n, i in enumerate(used)}
    WORK.mkdir(parents=True, exist_ok=True)
    with open(WORK / f"{tag}.txt", "w", encoding="utf-8") as f:
        for i in used:
            f.write(f"[{ids[i]}] {allw[i][2][:480]}\n")
        f.write("\n")
        for iid, v in out.items():
            f.write(f"{iid}: {' '.join(str(ids[i]) for i in sorted(v, key=lambda i: ids[i]))}\n")
    meta = {"company": company, "path": doc_sub, "windows": [{"n": ids[i], "unit": int(allw[i][0]), "k": int(allw[i][1]), "text": allw[i][2]} for i in used],
            "cands": {k: [ids[i] for i in v] for k, v in out.items()}}
    (WORK / f"{tag}.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    print(tag, len(used))


def to_csv(label_dir: Path, out: Path) -> None:
    import yaml

    raw = yaml.safe_load((SHARED / "corpus-2026" / "manifest.yaml").read_text("utf-8"))

    def full_path(company: str, sub: str) -> str:
        hits = [d["path"] for c in raw["companies"] if c["id"] == company for d in c["documents"] if sub in d["path"] and d.get("language") != "zh"]
        assert len(hits) == 1, (company, sub, hits)
        return hits[0]

    rows = []
    for lab in sorted(label_dir.glob("*.lab")):
        tag = lab.stem
        meta = json.loads((label_dir / f"{tag}.json").read_text("utf-8"))
        text = {w["n"]: w["text"] for w in meta["windows"]}
        labels: dict = {}
        for line in lab.read_text("utf-8").splitlines():
            if ":" not in line:
                continue
            item, _, rest = line.partition(":")
            for tok in rest.split():
                m = re.fullmatch(r"(\d+)([fp])", tok)
                if not m:
                    raise SystemExit(f"{lab}: {item}: cannot read {tok!r}")
                labels.setdefault(item.strip(), {})[int(m.group(1))] = "full" if m.group(2) == "f" else "partial"
        for item, cands in meta["cands"].items():
            pos = labels.get(item, {})
            for n in sorted(set(cands) | set(pos)):
                rows.append({"framework": "pipl-notice" if tag.startswith("p-") else "gdpr-notice", "company": meta["company"],
                             "document": full_path(meta["company"], meta["path"]), "item": item, "label": pos.get(n, "none"), "text": text[n]})
    with out.open("w", newline="", encoding="utf-8") as fh:
        fh.write("# GDPR notice items (and the PIPL items without a GDPR twin: policy-changes, sensitive-information, minors, security-measures) "
                 "labelled on windows of real English privacy policies (Open Terms Archive texts in ../shared/data/corpus-2026, ODC-BY 1.0).\n")
        fh.write("# Labelled for rightsindex by its engineer (an AI assistant) reading each candidate window against the item's criteria in "
                 "methodology/data/<framework>.json:\n")
        fh.write("# full = carries the duty's disclosure, partial = carries part of it, none = does not. Candidates per policy and item: tools/label_frameworks.py.\n")
        w = csv.DictWriter(fh, fieldnames=["framework", "company", "document", "item", "label", "text"])
        w.writeheader()
        w.writerows(rows)
    print(f"{out}: {len(rows)} labels")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("candidates")
    c.add_argument("company")
    c.add_argument("doc")
    c.add_argument("tag")
    c.add_argument("--framework", default="gdpr-notice")
    c.add_argument("--items", default="")
    v = sub.add_parser("csv")
    v.add_argument("--labels", type=Path, default=WORK)
    v.add_argument("--out", type=Path, default=ROOT / "data" / "frameworks" / "labels-en.csv")
    args = ap.parse_args()
    if args.cmd == "candidates":
        candidates(args.company, args.doc, args.tag, args.framework, [x for x in args.items.split(",") if x])
    else:
        to_csv(args.labels, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

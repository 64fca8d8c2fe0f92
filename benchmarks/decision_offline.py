"""Decision variants measured offline on the error anatomy's rows, company-split.

    python benchmarks/decision_offline.py --rows build/anatomy/rows.jsonl

The anatomy (``benchmarks/error_anatomy.py``) stores, for every pack row, the decision features
and every candidate as the judge read it (company-split: judge and ranker never saw the company).
Here the decision model is refitted leave-one-company-out on those features (as
``evidence.train.cross_validate`` does) and ``evidence.decision.decide`` is re-run with variants
of the rule's thresholds and of the model; each variant is scored on subset (a) (rows whose cited
documents are in the pack) and all rows, with the review queue simulated at the confidence that
flags at most 30 % of rows. Nothing here is shipped by itself: a variant that helps is made the
default in ``train``/``grader`` and measured again by the anatomy.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def load(rows_path: Path) -> list[dict]:
    return [r for r in (json.loads(line) for line in rows_path.open(encoding="utf-8")) if r["features"] is not None]


def candidates(r: dict):
    from rightsindex.evidence.decision import Candidate

    return [Candidate(c["passage"], c["unit"], c["relevance"], np.array(c["support"], dtype=np.float32),
                      tuple(c["window"]) if c["window"] else None, c["closeness"], c["in_scope"], judge_support=c.get("judge_support"))
            for c in r["candidates"]]


def fit_loco(rows: list[dict], C: float = 0.3, class_weight=None, drop: tuple[str, ...] = (), cited_weight: float = 1.0) -> dict[str, object]:
    """Per company, a decision model fitted on the other companies' rows (temperature from all
    cross-validated logits, as ``cross_validate`` does)."""
    from rightsindex.evidence.decision import DECISION_FEATURES
    from rightsindex.evidence.grader import LinearModel
    from rightsindex.evidence.knowledge import RESULT_CLASSES

    keep = [i for i, f in enumerate(DECISION_FEATURES) if f not in drop]
    X = np.array([r["features"] for r in rows])[:, keep]
    y = np.array([r["gold"] for r in rows])
    comp = np.array([r["company"] for r in rows])
    models = {}
    Z = np.zeros((len(rows), len(RESULT_CLASSES)))
    for c in np.unique(comp):
        sw = np.array([cited_weight if r["subset_a"] else 1.0 for r in rows])[comp != c]
        mdl = LinearModel(features=tuple(DECISION_FEATURES[i] for i in keep), classes=RESULT_CLASSES, C=C).fit(X[comp != c], y[comp != c], sample_weight=sw, class_weight=class_weight)
        models[c] = mdl
        Z[comp == c] = mdl.logits(X[comp == c])
    probe = LinearModel(features=RESULT_CLASSES, classes=RESULT_CLASSES)
    probe.mean, probe.scale = np.zeros(4), np.ones(4)
    probe.coef, probe.intercept = np.eye(4), np.zeros(4)
    t = probe.calibrate(Z, list(y))
    P = np.exp((Z / t) - (Z / t).max(axis=1, keepdims=True))
    return {"P": P / P.sum(axis=1, keepdims=True), "keep": keep}


class G:
    def __init__(self, support_threshold=0.5, refusal_threshold=0.5, closeness_floor=0.4, judge_floor=0.0):
        self.support_threshold, self.refusal_threshold, self.closeness_floor = support_threshold, refusal_threshold, closeness_floor
        self.judge_floor = judge_floor


def evaluate(rows: list[dict], P: np.ndarray, g: G, methodology, partial_rule=None) -> dict:
    from rightsindex.evidence.decision import decide
    from rightsindex.evidence.judgment import credit_class

    out = []
    for r, p in zip(rows, P):
        rev = methodology.elements[r["element"]].reversed
        res, conf, _, cited = decide(p, candidates(r), g, reversed_scoring=rev)
        if partial_rule is not None and res in ("yes", "partial"):
            res = partial_rule(r, res, cited)
        out.append((r, credit_class(res, rev), conf))
    return score(out)


def score(out: list[tuple[dict, str, float]]) -> dict:
    from rightsindex.evidence.evaluate import agreement

    rep = {}
    for name, sub in (("a", [x for x in out if x[0]["subset_a"]]), ("all", out)):
        a = agreement([(r["gold_cls"], p) for r, p, _ in sub])
        gc = [(r, p) for r, p, _ in sub if r["gold_cls"] != "none"]
        pc = [(r, p) for r, p, _ in sub if p != "none"]
        fp = sum(r["gold_cls"] != "none" and p != "none" and r["gold_cls"] != p for r, p, _ in sub)
        confs = np.array([c for _, _, c in sub])
        ok = np.array([r["gold_cls"] == p for r, p, _ in sub])
        t30 = float(np.quantile(confs, 0.30)) if len(confs) else 0.0
        flagged = confs < t30
        rep[name] = {
            "agreement": round(a.agreement, 4), "kappa": round(a.kappa, 4),
            "recall": round(sum(p != "none" for _, p in gc) / max(len(gc), 1), 3),
            "precision": round(sum(r["gold_cls"] != "none" for r, _ in pc) / max(len(pc), 1), 3),
            "full_partial": round(fp / max(len(sub), 1), 3),
            "review30_after": round(float((ok | flagged).mean()), 4), "review30_below": round(t30, 3),
        }
    return rep


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=Path, default=ROOT / "build" / "anatomy" / "rows.jsonl")
    args = ap.parse_args()
    from rightsindex import methodology as m

    meth = m.load("rdr-2020")
    rows = load(args.rows)
    print(f"{len(rows)} rows with decision features ({sum(r['subset_a'] for r in rows)} in subset a)")

    def line(name, rep):
        print(f"{name:<58} " + "   ".join(f"({k}) {v['agreement']:.3f} κ {v['kappa']:.3f} rec {v['recall']:.2f} prec {v['precision']:.2f} f/p {v['full_partial']:.3f} rev30→{v['review30_after']:.3f}" for k, v in rep.items()))

    from rightsindex.evidence.judgment import credit_class

    stored = defaultdict(list)
    for r in rows:
        stored["x"].append((r, r["pred_cls"], r["confidence"] or 0.0))
    line("as graded (anatomy)", score(stored["x"]))
    base = fit_loco(rows)
    line("refitted LOCO, shipped thresholds", evaluate(rows, base["P"], G(judge_floor=0.1), meth))
    for t in (0.3, 0.4, 0.6, 0.7):
        line(f"support_threshold {t}", evaluate(rows, base["P"], G(support_threshold=t), meth))
    for f in (0.3, 0.5):
        line(f"closeness_floor {f}", evaluate(rows, base["P"], G(closeness_floor=f), meth))
    for f in (0.05, 0.1, 0.2, 0.3, 0.5):
        line(f"judge_floor {f}", evaluate(rows, base["P"], G(judge_floor=f), meth))
    for C in (0.03, 1.0):
        line(f"C {C}", evaluate(rows, fit_loco(rows, C=C)["P"], G(), meth))
    for f in (1.5, 2.0, 3.0):  # credit answers made f times likelier where a unit can earn them
        Pf = base["P"].copy()
        Pf[:, :2] *= f
        line(f"credit odds x{f}", evaluate(rows, Pf / Pf.sum(axis=1, keepdims=True), G(judge_floor=0.1), meth))
    line("class_weight balanced", evaluate(rows, fit_loco(rows, class_weight="balanced")["P"], G(), meth))
    for w in (3.0, 10.0):
        line(f"cited_weight {w}", evaluate(rows, fit_loco(rows, cited_weight=w)["P"], G(), meth))
    line("without prior features", evaluate(rows, _pad(fit_loco(rows, drop=("prior_full", "prior_partial", "prior_none"))), G(), meth))
    return 0


def _pad(fit: dict) -> np.ndarray:
    return fit["P"]


if __name__ == "__main__":
    sys.exit(main())

"""CAPP-130 (130 Chinese app privacy policies, sentences labelled by category; CC BY 4.0) as
training signal for the multilingual passage judge.

Each annotated policy becomes a company's passages (one per sentence, Chinese, embedded with USE),
so that the judge's features (``support.MULTI_FEATURES``: closeness to the element's question, to
RDR's quotes and to CAPP category centroids, relative to the policy's other sentences) are computed
exactly as they are when grading. A sentence of a category supports the elements of the RDR
indicators the category maps onto (``data/capp_map.json``); it does not support the other
elements. The policies of companies left out (company-split evaluation) are not used, nor are the
23 files reserved for independent evaluation (``rw_N`` with N ending in 3 or 7, except 17, 23, 53).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..methodology import Methodology
from .knowledge import DATA_DIR, Knowledge, capp_reserved

CAPP_MAP = DATA_DIR / "capp_map.json"


@dataclass
class CappPolicy:
    file: str
    app: str
    company: str | None
    sentences: list[str]
    labels: list[set[str]]


def read_capp(capp_dir: Path, capp_map: Path = CAPP_MAP) -> list[CappPolicy]:
    """The annotated policies (``rw_*.jsonl``) with their app and, where known, RDR company; the
    files reserved for independent evaluation (``knowledge.capp_reserved``) are never read."""
    capp_dir = Path(capp_dir)
    mapping = json.loads(Path(capp_map).read_text("utf-8"))
    known = set(mapping["categories"]) | {"数据、权限管理", "特殊人群", "联系方式", "停止运营", "摘要", "潜在风险"}
    company_of = {app: c for c, apps in mapping.get("companies", {}).items() for app in apps}
    apps: dict[str, str] = {}
    index = capp_dir.parent / "capp130_file_index.csv"
    if index.is_file():
        with index.open(encoding="utf-8-sig", newline="") as fh:
            apps = {r["annotation_file"]: r["app_name_from_original_policy_file"] for r in csv.DictReader(fh)}
    out = []
    for f in sorted(capp_dir.glob("rw_*.jsonl"), key=lambda p: int(p.stem.split("_")[1])):
        if capp_reserved(f.name):
            continue
        sents, labs = [], []
        for line in f.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            text = (rec.get("text") or "").strip()
            if len(text) < 8:
                continue
            sents.append(text)
            labs.append({x for x in rec.get("label") or [] if x in known})
        app = apps.get(f.name, f.stem)
        out.append(CappPolicy(f.name, app, company_of.get(app), sents, labs))
    return out


def sentence_vectors(policies: list[CappPolicy], cache_dir: Path | None = None) -> list[np.ndarray]:
    """USE vectors of every policy's sentences, kept in ``cache_dir`` (they take minutes to compute)."""
    import hashlib

    from .embed import cache_id, encoder

    key = hashlib.sha256((cache_id("use") + "\0" + "\0".join(t for p in policies for t in p.sentences)).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"capp130-use-{key}.npy" if cache_dir else None
    if path is not None and path.is_file():
        flat = np.load(path)
    else:
        flat = encoder("use").encode([t for p in policies for t in p.sentences])
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, flat.astype(np.float32))
    out, i = [], 0
    for p in policies:
        out.append(flat[i : i + len(p.sentences)])
        i += len(p.sentences)
    return out


def training_rows(
    policies: list[CappPolicy], methodology: Methodology, kn: Knowledge, *, exclude: tuple[str, ...] = (),
    per_sentence: int = 4, seed: int = 0, capp_map: Path = CAPP_MAP, log: Callable = print, cache_dir: Path | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Judge features, labels (support / none) and policy ids of sampled (sentence, element) pairs."""
    from .features import passage_scores
    from .passages import CompanyPassages, PassageRow
    from .support import MultiJudge

    mapping = json.loads(Path(capp_map).read_text("utf-8"))["categories"]
    row = kn.row
    # elements each category supports
    supported: dict[str, set[int]] = {}
    for cat, targets in mapping.items():
        els: set[int] = set()
        for t in targets:
            for el in methodology.elements_of(t) if t in methodology.indicators else [methodology.element(t)]:
                els.add(row[el.id])
        supported[cat] = els
    privacy = sorted({e for s in supported.values() for e in s})
    others = [row[e] for e in methodology.elements if row[e] not in set(privacy)]
    rng = np.random.default_rng(seed)
    vectors = sentence_vectors(policies, cache_dir)
    X, y, groups = [], [], []
    ex = set(exclude)
    for pid, pol in enumerate(policies):
        if pol.company in ex or not pol.sentences:
            continue
        rows = [
            PassageRow(passage_id=i, version_id=0, version_seq=1, path=pol.file, doc_type="privacy-policy", levels=None,
                       start=0, end=len(t), kind="paragraph", heading="", language="zh", text=t, text_sha256=str(i))
            for i, t in enumerate(pol.sentences)
        ]
        cp = CompanyPassages(company=pol.app, rows=rows)
        n = len(rows)
        cp.minilm = np.zeros((n, 384), dtype=np.float32)
        cp.sent_minilm, cp.sent_owner = np.zeros((0, 384), dtype=np.float32), np.zeros(0, dtype=np.int64)
        cp.use = vectors[pid]
        ps = passage_scores(methodology, kn, cp, exclude=exclude)
        e_rows, p_rows, labels = [], [], []
        for i, labs in enumerate(pol.labels):
            pos = sorted(set().union(*(supported.get(c, set()) for c in labs))) if labs else []
            if pos:
                for e in rng.choice(pos, min(per_sentence, len(pos)), replace=False):
                    e_rows.append(int(e)), p_rows.append(i), labels.append("support")
            negs = [e for e in privacy if e not in set(pos)]
            for e in rng.choice(negs, min(per_sentence // 2, len(negs)), replace=False):
                e_rows.append(int(e)), p_rows.append(i), labels.append("none")
            for e in rng.choice(others, 1, replace=False):
                e_rows.append(int(e)), p_rows.append(i), labels.append("none")
        X.append(MultiJudge.features(ps, np.array(e_rows), np.array(p_rows)))
        y.extend(labels)
        groups.extend([pid] * len(labels))
        if pid % 20 == 0:
            log(f"  CAPP-130 {pol.file} ({pol.app}): {n} sentences")
    return np.vstack(X), np.array(y), np.array(groups)


def train_multi_judge(
    capp_dir: Path, methodology: Methodology, kn: Knowledge, *, exclude: tuple[str, ...] = (), log: Callable = print,
    cache_dir: Path | None = None,
):
    """The multilingual judge trained on CAPP-130 (leaving out ``exclude``'s apps), its softmax
    temperature fitted on held-out policies; returns (judge, report)."""
    from .grader import LinearModel
    from .support import MULTI_FEATURES, MultiJudge

    policies = read_capp(capp_dir)
    X, y, groups = training_rows(policies, methodology, kn, exclude=exclude, log=log, cache_dir=cache_dir)
    ids = np.unique(groups)
    held = set(ids[:: 5])  # every fifth policy calibrates and measures
    tr = np.array([g not in held for g in groups])
    model = LinearModel(features=MULTI_FEATURES, classes=("none", "support"), C=1.0).fit(X[tr], y[tr])
    model.calibrate(X[~tr], list(y[~tr]))
    p = model.predict_proba(X[~tr])[:, 1]
    from sklearn.metrics import roc_auc_score

    auc = float(roc_auc_score(y[~tr] == "support", p))
    final = LinearModel(features=MULTI_FEATURES, classes=("none", "support"), C=1.0).fit(X, y)
    final.temperature = model.temperature
    version = "multi:" + __import__("hashlib").sha256(json.dumps(final.to_dict(), sort_keys=True).encode()).hexdigest()[:12]
    report = {"policies": int(len(ids)), "pairs": int(len(y)), "held_out_auc": round(auc, 3), "exclude": list(exclude)}
    log(f"multilingual judge: {report}")
    return MultiJudge(final, version), report


__all__ = ["CappPolicy", "read_capp", "training_rows", "train_multi_judge"]

"""Citing: a company's passages as evidence units ("we collect the following: …" with its items)
and the evidence items a judgment stores (where the unit is, its text, how it ranked)."""

from __future__ import annotations

import numpy as np

from .passages import CompanyPassages


def evidence_items(cp: CompanyPassages, top: np.ndarray, rel: np.ndarray) -> list[dict]:
    """The evidence units of the given passages (best first; a unit once): where it is, its text,
    the passage that ranked (``passage_id``) and, for a list, every passage of it (``passage_ids``)."""
    unit_of, members = cp.units()
    out = []
    seen: set[int] = set()
    for i, r in zip(top, rel):
        u = int(unit_of[int(i)])
        if u in seen:
            continue
        seen.add(u)
        row = cp.rows[int(i)]
        start, end, text = cp.unit_span(u)
        item = {
            "path": row.path,
            "version": row.version_seq,
            "version_id": row.version_id,
            "passage_id": row.passage_id,
            "start": start,
            "end": end,
            "heading": row.heading,
            "text": text,
            "score": round(float(r), 2),  # ranker relevance: higher is closer to the question
        }
        if len(members[u]) > 1:
            item["passage_ids"] = [cp.rows[m].passage_id for m in members[u]]
        out.append(item)
    return out


def evidence_passages(relevance: np.ndarray, idx: np.ndarray, cp: CompanyPassages, n: int = 5) -> np.ndarray:
    """The best passage of each of the ``n`` best evidence units (best first): a list counts once,
    and so does a unit whose text another document repeats."""
    unit_of, members = cp.units()
    k = min(len(idx), 10 * n)
    while True:
        order = np.argpartition(-relevance, k - 1)[:k] if len(idx) > k else np.arange(len(idx))
        order = order[np.argsort(-relevance[order], kind="stable")]
        out: list[int] = []
        seen: set[tuple[str, ...]] = set()
        for t in order:
            i = int(idx[t])
            key = tuple(cp.rows[m].text_sha256 for m in members[unit_of[i]])
            if key not in seen:
                seen.add(key)
                out.append(i)
                if len(out) == n:
                    return np.array(out, dtype=int)
        if k >= len(idx):
            return np.array(out, dtype=int)
        k = min(len(idx), 4 * k)


__all__ = ["evidence_items", "evidence_passages"]

"""What the grader knows about each element before reading a company's documents.

Built by ``rightsindex train`` from public data and shipped as ``evidence/data/knowledge.npz``:

- **queries**: the element question with its indicator label, embedded with MiniLM and USE;
- **quotes**: the passages RDR's researchers quoted in their 2020 comments when answering the
  element (learned query expansions), embedded with both models, each tagged with its company so
  that company-split evaluation can leave a company's own quotes out;
- **Chinese expansions**: CAPP-130 sentences of the privacy categories that map onto RDR's privacy
  indicators (``capp_map.json``), embedded with USE (never from the reserved files, ``capp_reserved``);
- **priors**: how often RDR answered yes / partial / no / no disclosure found per element, level
  kind (company level or service) and company — a per-element prior learned from other companies.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np

from ..methodology import Methodology

DATA_DIR = Path(__file__).parent / "data"
KNOWLEDGE_FILE = DATA_DIR / "knowledge.npz"
RESULT_CLASSES = ("yes", "partial", "no", "no disclosure found")
LEVEL_KINDS = ("company", "service")

_QUOTE = re.compile(r'"([^"]{20,})"|“([^”]{20,})”')
_ELLIPSIS = re.compile(r"\s*(?:\[\.\.\.\]|\[…\]|\.\.\.|…)\s*")


# A researcher's own words caught between two quotation marks (an unmatched or mixed quote mark in
# the comment pairs the end of one quote with the start of the next): "(Source 27), the company says
# that …", "In addition, no user notification policies of changes were found …". About 1 quoted
# fragment in 10 of RDR 2020's comments; read by hand, nearly all are comment text, not policy text.
_RESEARCHER = re.compile(
    r"\((?:[Ss]ources?|p\.)\s*\d|\b[Ss]ources? \d|\bRDR\b|\bfalls short\b|\bwere found\b|\b(?:partial|full|no) credit\b"
    r"|\b(?:the|The) (?:company|policy|page|report)(?:’s|'s)? (?:states|says|discloses|disclosed|further|also|notes|explains|identifies"
    r"|does not|did not|only|clearly|commits|provides|lists|mentions|acknowledges)\b|\bit (?:also )?(?:states|says|notes) that\b"
)


def quotes_in(comment: str, min_words: int = 6) -> list[str]:
    """Quoted fragments of a researcher's comment, split at ellipses; the researcher's own words
    caught between two quotes are left out (``_RESEARCHER``)."""
    out: list[str] = []
    for m in _QUOTE.finditer(comment or ""):
        for frag in _ELLIPSIS.split(m.group(1) or m.group(2)):
            frag = " ".join(frag.split()).strip(" ,;:").lstrip(".)]，,;: ")
            if len(frag.split()) >= min_words and frag not in out and not _RESEARCHER.search(frag):
                out.append(frag)
    return out


# CAPP-130 annotation files kept for independent evaluation: ``rw_N.jsonl`` whose N ends in 3 or 7,
# except rw_17, rw_23 and rw_53. Nothing is trained, calibrated or chosen on them.
_CAPP_NOT_RESERVED = {17, 23, 53}


def capp_reserved(name: str) -> bool:
    """Whether a CAPP-130 annotation file (``rw_N.jsonl``) is reserved for independent evaluation."""
    stem = Path(name).stem
    try:
        n = int(stem.split("_")[1])
    except (IndexError, ValueError):
        return False
    return n % 10 in (3, 7) and n not in _CAPP_NOT_RESERVED


def query_text(methodology: Methodology, element_id: str) -> str:
    el = methodology.elements[element_id]
    ind = methodology.indicators[el.indicator]
    label = ind.label if not ind.family else f"{methodology.indicators[ind.family].label}: {ind.label}"
    return f"{label}. {el.question}"


@dataclass
class Knowledge:
    elements: list[str]  # element ids, row order of every per-element array
    query_minilm: np.ndarray  # (E, 384) questions of the methodology selected by ``for_methodology``
    query_use: np.ndarray  # (E, 512)
    quote_element: np.ndarray  # (Q,) element row
    quote_company: np.ndarray  # (Q,) company id (str)
    quote_minilm: np.ndarray  # (Q, 384)
    quote_use: np.ndarray  # (Q, 512)
    quote_text: list[str]
    zh_element: np.ndarray  # (Z,) element row
    zh_use: np.ndarray  # (Z, 512) CAPP-130 sentences (centroids per element)
    prior_companies: list[str]
    prior_counts: np.ndarray  # (C, E, 2 level kinds, 4 classes)
    queries: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # methodology -> (minilm, use)

    def for_methodology(self, methodology_id: str) -> "Knowledge":
        """The same knowledge with that methodology's questions as queries."""
        if methodology_id not in self.queries:
            raise KeyError(f"no queries for methodology {methodology_id!r}; run `rightsindex train`")
        qm, qu = self.queries[methodology_id]
        return replace(self, query_minilm=qm, query_use=qu)

    @property
    def row(self) -> dict[str, int]:
        return {e: i for i, e in enumerate(self.elements)}

    def priors(self, exclude: Iterable[str] = (), smoothing: float = 1.0) -> np.ndarray:
        """(E, 2, 4) smoothed result distribution per element and level kind, other companies only."""
        keep = np.array([c not in set(exclude) for c in self.prior_companies], dtype=bool)
        counts = self.prior_counts[keep].sum(axis=0).astype(np.float64)
        # back off to the element's distribution over both level kinds, then to the global one
        both = counts.sum(axis=1, keepdims=True)
        glob = counts.sum(axis=(0, 1), keepdims=True)
        base = (both + smoothing * glob / max(glob.sum(), 1.0)) / (both.sum(axis=2, keepdims=True) + smoothing)
        return (counts + smoothing * base) / (counts.sum(axis=2, keepdims=True) + smoothing)

    def quote_mask(self, exclude: Iterable[str] = ()) -> np.ndarray:
        ex = set(exclude)
        return np.array([c not in ex for c in self.quote_company], dtype=bool)

    def save(self, path: Path = KNOWLEDGE_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        queries = {}
        for mid, (qm, qu) in self.queries.items():
            queries[f"query_minilm__{mid}"] = qm.astype(np.float16)
            queries[f"query_use__{mid}"] = qu.astype(np.float16)
        np.savez_compressed(
            path,
            elements=np.array(self.elements),
            **queries,
            quote_element=self.quote_element.astype(np.int32),
            quote_company=np.array(self.quote_company),
            quote_minilm=self.quote_minilm.astype(np.float16),
            quote_use=self.quote_use.astype(np.float16),
            quote_text=np.array(self.quote_text),
            zh_element=self.zh_element.astype(np.int32),
            zh_use=self.zh_use.astype(np.float16),
            prior_companies=np.array(self.prior_companies),
            prior_counts=self.prior_counts.astype(np.int32),
        )


@lru_cache(maxsize=2)
def load(path: Path = KNOWLEDGE_FILE) -> Knowledge:
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} is missing: run `rightsindex train` (see README)")
    z = np.load(path, allow_pickle=False)
    f32 = lambda k: z[k].astype(np.float32)  # noqa: E731
    queries = {
        k.split("__", 1)[1]: (f32(k), f32(k.replace("query_minilm", "query_use")))
        for k in z.files
        if k.startswith("query_minilm__")
    }
    first = next(iter(queries.values()))
    return Knowledge(
        queries=queries,
        elements=[str(x) for x in z["elements"]],
        query_minilm=first[0],
        query_use=first[1],
        quote_element=z["quote_element"],
        quote_company=z["quote_company"].astype(str),
        quote_minilm=f32("quote_minilm"),
        quote_use=f32("quote_use"),
        quote_text=[str(x) for x in z["quote_text"]],
        zh_element=z["zh_element"],
        zh_use=f32("zh_use"),
        prior_companies=[str(x) for x in z["prior_companies"]],
        prior_counts=z["prior_counts"],
    )


# -- building -------------------------------------------------------------------------------------


def _read_rows(paths: Iterable[Path]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for p in paths:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            rows.extend(csv.DictReader(fh))
    return rows


def build(
    methodologies: list[Methodology],
    rdr_element_scores: list[Path],
    capp_dir: Path | None = None,
    capp_map: Path = DATA_DIR / "capp_map.json",
    progress=print,
) -> Knowledge:
    """Collect quotes and priors from RDR element results and embed everything."""
    from .embed import encoder

    methodology = methodologies[0]
    elements = list(methodology.elements)
    for m in methodologies[1:]:
        if list(m.elements) != elements:
            raise ValueError(f"{m.id} has other elements than {methodology.id}: build its knowledge separately")
    row = {e: i for i, e in enumerate(elements)}
    rows = _read_rows(rdr_element_scores)
    companies = sorted({r["Company"] for r in rows})
    crow = {c: i for i, c in enumerate(companies)}
    counts = np.zeros((len(companies), len(elements), len(LEVEL_KINDS), len(RESULT_CLASSES)), dtype=np.int32)
    quotes: dict[tuple[int, str, str], None] = {}
    for r in rows:
        e = r["Element"].strip()
        if e not in row:
            continue
        result = r["Result"].strip().lower()
        if result not in RESULT_CLASSES:
            continue
        kind = 0 if r["Branch"].strip() == "Company" else 1
        counts[crow[r["Company"]], row[e], kind, RESULT_CLASSES.index(result)] += 1
        if result != "no disclosure found":
            for q in quotes_in(r.get("Comment", "")):
                quotes[(row[e], r["Company"], q)] = None
    qkeys = list(quotes)
    progress(f"{len(rows)} element results of {len(companies)} companies; {len(qkeys)} quotes for {len({k[0] for k in qkeys})} elements")

    minilm, use = encoder("minilm"), encoder("use")
    progress("embedding element queries")
    queries = {}
    for m in methodologies:
        texts = [query_text(m, e) for e in elements]
        queries[m.id] = (minilm.encode(texts), use.encode(texts))
    q_minilm, q_use = queries[methodology.id]
    texts = sorted({k[2] for k in qkeys})
    progress(f"embedding {len(texts)} distinct quotes (MiniLM, USE)")
    t_minilm, t_use = minilm.encode(texts), use.encode(texts)
    tix = {t: i for i, t in enumerate(texts)}
    idx = np.array([tix[k[2]] for k in qkeys], dtype=np.int64)

    zh_element: list[int] = []
    zh_vectors: list[np.ndarray] = []
    if capp_dir is not None and Path(capp_dir).is_dir():
        mapping = json.loads(Path(capp_map).read_text("utf-8"))["categories"]
        by_cat: dict[str, list[str]] = defaultdict(list)
        for f in sorted(Path(capp_dir).glob("rw_*.jsonl")):
            if capp_reserved(f.name):
                continue
            for line in f.read_text("utf-8").splitlines():
                if not line.strip():
                    continue
                rec = json.loads(line)
                text = (rec.get("text") or "").strip()
                if 12 <= len(text) <= 300:
                    for lab in rec.get("label") or []:
                        if lab in mapping:
                            by_cat[lab].append(text)
        for cat, sents in sorted(by_cat.items()):
            sample = sorted(set(sents))[:: max(1, len(set(sents)) // 400)][:400]
            progress(f"CAPP-130 {cat}: {len(sents)} sentences, embedding {len(sample)}")
            centroid = use.encode(sample).mean(axis=0)
            centroid /= np.linalg.norm(centroid) or 1.0
            for eid in mapping[cat]:
                targets = methodology.elements_of(eid) if eid in methodology.indicators else [methodology.element(eid)]
                for el in targets:
                    zh_element.append(row[el.id])
                    zh_vectors.append(centroid)
    return Knowledge(
        elements=elements,
        query_minilm=q_minilm,
        query_use=q_use,
        quote_element=np.array([k[0] for k in qkeys], dtype=np.int32),
        quote_company=np.array([k[1] for k in qkeys]),
        quote_minilm=t_minilm[idx],
        quote_use=t_use[idx],
        quote_text=[k[2] for k in qkeys],
        zh_element=np.array(zh_element, dtype=np.int32),
        zh_use=np.array(zh_vectors, dtype=np.float32).reshape(-1, 512),
        prior_companies=companies,
        prior_counts=counts,
        queries=queries,
    )

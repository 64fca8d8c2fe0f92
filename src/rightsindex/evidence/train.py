"""Training and company-split cross-validation of the grader on an evaluation pack.

A pack (``../shared/data/packs/rdr-2020``) pairs real policy texts (a manifest in the project's
format) with RDR's element judgments (``gold/element-labels.csv``) and the passages RDR's
researchers quoted, located in the texts (``gold/evidence.csv``).

Stacking, so that nothing is scored by a model that saw its company:

1. every company's passage features use neither its own quotes nor its own priors;
2. for each held-out company, rankers are trained on the other companies' located quotes and
   used to compute the held-out company's judgment features (out-of-fold features);
3. for each held-out company, the judgment classifier is trained on the other companies'
   out-of-fold features; its predictions are the cross-validated results;
4. the shipped grader: rankers on every company, classifier on all out-of-fold features, softmax
   temperature fitted on the cross-validated predictions.
"""

from __future__ import annotations

import csv
import glob
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..corpus.ingest import ingest_manifest
from ..corpus.manifest import Manifest, load_manifest
from ..corpus.versions import current_version
from ..methodology import Methodology
from ..store import Store
from .features import PASSAGE_FEATURES, PassageScores, passage_scores
from .grader import Grader, LinearModel
from .judgment import Judgment
from .judge import grade_company
from .knowledge import RESULT_CLASSES, Knowledge
from .passages import CompanyPassages, embed_company, load_company_passages


@dataclass
class GoldRow:
    company: str
    level: str
    element: str
    result: str
    all_cited_available: bool


@dataclass
class GoldQuote:
    company: str
    level: str
    element: str
    path: str
    start: int
    end: int


@dataclass
class Pack:
    path: Path
    manifest: Manifest
    labels: list[GoldRow]
    quotes: list[GoldQuote]
    passages: dict[str, CompanyPassages] = field(default_factory=dict)
    scores: dict[str, dict[str, PassageScores]] = field(default_factory=dict)  # company -> model -> features
    _by_key: dict | None = field(default=None, repr=False)

    @property
    def companies(self) -> list[str]:
        return [c.id for c in self.manifest.companies]

    def quotes_of(self, key: tuple[str, str, str]) -> list[GoldQuote]:
        """The located quotes of one judgment (company, level, element)."""
        if self._by_key is None:
            self._by_key = defaultdict(list)
            for q in self.quotes:
                self._by_key[(q.company, q.level, q.element)].append(q)
        return self._by_key.get(key, [])


def read_pack(pack_dir: Path) -> tuple[Manifest, list[GoldRow], list[GoldQuote]]:
    pack_dir = Path(pack_dir)
    manifest = load_manifest(pack_dir / "manifest.yaml")
    with (pack_dir / "gold" / "element-labels.csv").open(encoding="utf-8", newline="") as fh:
        labels = [
            GoldRow(r["company"], r["level"], r["element"], r["result"].strip().lower(), r["all_cited_available"].lower() == "true")
            for r in csv.DictReader(fh)
            if r["result"].strip().lower() in RESULT_CLASSES
        ]
    with (pack_dir / "gold" / "evidence.csv").open(encoding="utf-8", newline="") as fh:
        quotes = [
            GoldQuote(r["company"], r["level"], r["element"], r["doc_path"], int(r["char_start"]), int(r["char_end"]))
            for r in csv.DictReader(fh)
        ]
    return manifest, labels, quotes


def overlaps(start: int, end: int, q_start: int, q_end: int, share: float = 0.5) -> bool:
    """A passage holds a quote when it covers at least ``share`` of it."""
    inter = min(end, q_end) - max(start, q_start)
    return inter > 0 and inter >= share * (q_end - q_start)


def _squash(text: str) -> str:
    return " ".join(text.split()).lower()


def contains_quote(evidence: dict, quote: GoldQuote, quote_text: str) -> bool:
    """Evidence recall's test: the passage covers at least half of the located quote — in the
    same document by offsets, or anywhere by text (the same clause in another document counts)."""
    if evidence["path"] == quote.path and overlaps(evidence["start"], evidence["end"], quote.start, quote.end):
        return True
    p, q = _squash(evidence["text"]), _squash(quote_text)
    return bool(q) and (q in p or (len(p) >= 0.5 * len(q) and p in q))


_WORD = re.compile(r"\w+")


def holds_quote(evidence: dict, quote: GoldQuote, quote_text: str, share: float = 0.85) -> bool:
    """``contains_quote``, or the unit holds nearly all the quote's words (at least ``share`` of
    them, for a quote of 8 words or more): the same clause reworded a little in another document
    ("counterproductive" / "counter-productive", "expiration" / "expiry") is the same disclosure."""
    if contains_quote(evidence, quote, quote_text):
        return True
    q = [w.lower() for w in _WORD.findall(quote_text)]
    if len(q) < 8:
        return False
    have = {w.lower() for w in _WORD.findall(evidence["text"])}
    return sum(w in have for w in q) >= share * len(q)


def relocate(raw: str, text: str, start: int, end: int) -> tuple[int, int] | None:
    """Map a span of a raw document file onto its normalised version text (whitespace and
    control characters differ), choosing the occurrence nearest the span's relative position."""
    words = raw[start:end].split()
    if not words:
        return None
    pattern = re.compile(r"\s*".join(re.escape(w) for w in words))
    expected = start / max(len(raw), 1) * len(text)
    best = None
    for m in pattern.finditer(text):
        if best is None or abs(m.start() - expected) < abs(best[0] - expected):
            best = (m.start(), m.end())
    return best


def load_pack(pack_dir: Path, store: Store, methodology: Methodology, kn: Knowledge, log: Callable = print) -> Pack:
    manifest, labels, raw_quotes = read_pack(pack_dir)
    t = time.perf_counter()
    report = ingest_manifest(store, manifest)
    log(f"pack: {report.summary()} ({time.perf_counter() - t:.1f} s)")
    # gold offsets point into the raw files; passages into the normalised texts
    quotes: list[GoldQuote] = []
    lost = 0
    with store.session() as s:
        from sqlalchemy import select

        from ..store.models import Company, Document

        texts = {
            (d.company.key, d.key): current_version(d.versions).text
            for d in s.scalars(select(Document).join(Company)) if d.versions
        }
    raw_cache: dict[str, str] = {}
    for q in raw_quotes:
        raw = raw_cache.setdefault(q.path, (Path(pack_dir) / q.path).read_text("utf-8"))
        span = relocate(raw, texts.get((q.company, q.path), ""), q.start, q.end)
        if span is None:
            lost += 1
            continue
        quotes.append(GoldQuote(q.company, q.level, q.element, q.path, span[0], span[1]))
    log(f"pack: {len(quotes)} located quotes mapped onto the normalised texts ({lost} not found)")
    pack = Pack(Path(pack_dir), manifest, labels, quotes)
    for c in manifest.companies:
        t = time.perf_counter()
        with store.session() as s:
            cp = load_company_passages(s, c.id)
            embed_company(s, cp, every_model=True)
        pack.passages[c.id] = cp
        pack.scores[c.id] = {
            m: passage_scores(methodology, kn, cp, exclude=(c.id,), force=m) for m in ("minilm", "use")
        }
        log(f"  {c.id}: {len(cp.rows)} passages, embedded and scored ({time.perf_counter() - t:.1f} s)")
    return pack


# candidate ranker weights: every combination is scored by evidence recall@5 on the located quotes
RANKER_GRID = {
    "z_bm25_quote_terms": (1.0,),
    "z_sent_sim_quote_max": (0.5, 1.0, 1.5),
    "z_sim_quote_centroid": (0.0, 0.5, 1.0),
    "z_sim_query": (0.0, 0.5),
    "log_len": (0.0, 0.3),
    "z_sim_indicator_quote_max": (0.0, 0.5),
    "z_sent_sim_query": (0.0, 0.5),
    "z_bm25": (0.0, 0.5),
}


def _quote_items(pack: Pack, kn: Knowledge):
    """Per located quote: (company, feature matrix of the level's candidates, gold mask, text hashes)."""
    names = list(RANKER_GRID)
    items = []
    for q in pack.quotes:
        if q.element not in kn.row:
            continue
        cp = pack.passages[q.company]
        F = pack.scores[q.company]["minilm"].values
        e = kn.row[q.element]
        cand = np.flatnonzero(cp.level_mask(q.level))
        gold = np.array([cp.rows[i].path == q.path and overlaps(cp.rows[i].start, cp.rows[i].end, q.start, q.end) for i in cand], dtype=bool)
        M = np.stack([F[PASSAGE_FEATURES.index(n), e, cand] for n in names]) if len(cand) else np.zeros((len(names), 0))
        items.append((q.company, M, gold, [cp.rows[i].text_sha256 for i in cand]))
    return names, items


def _hit_at_5(w: np.ndarray, M: np.ndarray, gold: np.ndarray, hashes: list[str]) -> int:
    if not gold.any():
        return 0
    seen: set[str] = set()
    for o in np.argsort(-(w @ M), kind="stable"):
        seen.add(hashes[o])
        if gold[o]:
            return int(len(seen) <= 5)
        if len(seen) > 5:
            return 0
    return 0


def ranker_table(pack: Pack, kn: Knowledge) -> tuple[list[dict[str, float]], dict[str, np.ndarray]]:
    """Every grid weighting, and its number of quotes found in the top 5 per company."""
    import itertools

    names, items = _quote_items(pack, kn)
    grid = [dict(zip(names, combo)) for combo in itertools.product(*RANKER_GRID.values())]
    hits = {c: np.zeros(len(grid), dtype=np.int32) for c in pack.companies}
    for g, weights in enumerate(grid):
        w = np.array([weights[n] for n in names])
        for company, M, gold, hashes in items:
            hits[company][g] += _hit_at_5(w, M, gold, hashes)
    return grid, hits


def best_ranker(grid: list[dict[str, float]], hits: dict[str, np.ndarray], companies: list[str]) -> dict[str, float]:
    total = sum(hits[c] for c in companies)
    return grid[int(np.argmax(total))]


def company_judgments(pack: Pack, methodology: Methodology, kn: Knowledge, grader: Grader, company: str, priors=None, judge=None, trace=None) -> list[Judgment]:
    spec = pack.manifest.company(company)
    cp = pack.passages[company]
    listed = {lvl: sum(d.speaks_for(lvl) for d in spec.documents) for lvl in spec.levels}
    return grade_company(methodology, kn, grader, spec, cp, exclude=(company,), priors=priors, judge=judge, listed=listed, trace=trace)


@dataclass
class CVResult:
    grader: Grader  # trained on every company
    fold_graders: dict[str, Grader]
    oof: dict[tuple[str, str, str], Judgment]  # (company, level, element) -> cross-validated judgment
    seconds: dict[str, float]


def quoted_flags(pack: Pack, cp: CompanyPassages, key: tuple[str, str, str], cands) -> list[bool]:
    """Per candidate: whether its unit holds one of the located quotes of the judgment ``key``."""
    qs = pack.quotes_of(key)
    out = []
    for c in cands:
        start, end, text = cp.unit_span(c.unit)
        item = {"path": cp.rows[c.passage].path, "start": start, "end": end, "text": text}
        out.append(any(holds_quote(item, q, cp.texts.get(cp.versions.get(q.path), "")[q.start : q.end]) for q in qs))
    return out


def fit_reader(X: np.ndarray, y: np.ndarray, C: float = 1.0) -> LinearModel:
    """The reader (``reading``): a calibrated, class-balanced logistic model over
    ``reading.READER_FEATURES``; ``y`` is 1 for a unit that answers, 0 for one that does not."""
    from .reading import READER_CLASSES, READER_FEATURES

    return LinearModel(features=READER_FEATURES, classes=READER_CLASSES, C=C).fit(X, np.where(np.asarray(y) > 0, "answers", "none"), class_weight="balanced")


def cross_validate(
    pack: Pack, methodology: Methodology, kn: Knowledge, *, C_grade: float = 0.3, cited_weight: float = 1.0, log: Callable = print,
    judge=None, reader: bool = True,
) -> CVResult:
    """``cited_weight``: training weight of judgments whose cited documents are all in the pack
    (their labels are about text the grader can read) relative to the others. ``judge``: the
    passage judge (default: the shipped one, with an in-memory cache); for honest figures it must
    not have been trained on the pack's companies. ``reader``: also learn the reading model
    (``reading``) from the pack's units — nested, so that no decision feature of a company is read
    by a reader that saw it, and no fold's decision model learns from features its held-out
    company's units shaped."""
    from .decision import with_reading
    from .reading import read_by_reader, reader_features, reread, unit_labels
    from .support import MemoryCache, SupportJudge

    judge = judge or SupportJudge.default(cache=MemoryCache())
    companies = pack.companies
    gold = {(g.company, g.level, g.element): g for g in pack.labels}
    grid, hits = ranker_table(pack, kn)
    fold_rankers: dict[str, Grader] = {}
    weights: dict[str, np.ndarray] = {}
    oof_x: dict[str, tuple[np.ndarray, list[str], list[tuple[str, str, str]]]] = {}
    contexts: dict[str, list] = {}  # company -> [(row key, decision features, candidates as the judge read them)]
    units: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # company -> reader training rows and labels
    for c in companies:
        g = Grader.new(C_grade)
        g.ranker = best_ranker(grid, hits, [x for x in companies if x != c])
        # any classifier will do here: only the features of the judgments are needed
        g.classifier.mean = np.zeros(len(g.classifier.features))
        g.classifier.scale = np.ones(len(g.classifier.features))
        g.classifier.coef = np.zeros((len(RESULT_CLASSES), len(g.classifier.features)))
        g.classifier.intercept = np.zeros(len(RESULT_CLASSES))
        trace: list = []
        js = company_judgments(pack, methodology, kn, g, c, judge=judge, trace=trace)
        feats = {(c, j.level, j.element): j.features for j in js if j.features is not None}
        rows = [k for k in feats if k in gold]
        X = np.array([feats[k] for k in rows], dtype=np.float32).reshape(-1, len(g.classifier.features))
        oof_x[c] = (X, [gold[k].result for k in rows], rows)
        weights[c] = np.array([cited_weight if gold[k].all_cited_available else 1.0 for k in rows])
        fold_rankers[c] = g
        if reader:
            cp = pack.passages[c]
            by_key = {(c, j.level, j.element): cands for j, cands in trace}
            contexts[c] = [(k, feats[k], by_key.get(k, [])) for k in rows]
            UX, UY = [], []
            for k, _, cands in contexts[c]:
                labels = unit_labels(cands, gold[k].result, quoted_flags(pack, cp, k, cands))
                for c_, f, lab in zip(cands, reader_features(cands), labels):
                    if lab is not None and read_by_reader(c_):
                        UX.append(f)
                        UY.append(lab)
            units[c] = (np.array(UX).reshape(-1, reader_features([]).shape[1]), np.array(UY, dtype=int))
        log(f"  fold {c}: ranker chosen on {len(companies) - 1} companies; {len(rows)} gold judgments")

    def reader_without(left_out: set[str]):
        X = np.vstack([units[o][0] for o in companies if o not in left_out])
        y = np.concatenate([units[o][1] for o in companies if o not in left_out])
        return fit_reader(X, y) if len(set(y.tolist())) == 2 else None

    def features_read_by(company: str, rdr) -> np.ndarray:
        cp = pack.passages[company]
        return np.array([with_reading(x, reread(cands, rdr), cp) for _, x, cands in contexts[company]], dtype=np.float32).reshape(-1, oof_x[company][0].shape[1])

    fold_readers: dict[str, object] = {}
    if reader:
        for c in companies:
            fold_readers[c] = reader_without({c})
        log(f"  reader: {sum(len(units[c][1]) for c in companies)} labelled units ({sum(int(units[c][1].sum()) for c in companies)} answering)")

    fold_graders: dict[str, Grader] = {}
    oof: dict[tuple[str, str, str], Judgment] = {}
    seconds: dict[str, float] = {}
    all_z, all_y, all_multi = [], [], []
    for c in companies:
        g = fold_rankers[c]
        if reader:  # the training companies' features, each read by a reader that saw neither it nor c
            g.reader = fold_readers[c]
            X = np.vstack([features_read_by(o, reader_without({c, o})) for o in companies if o != c])
        else:
            X = np.vstack([oof_x[o][0] for o in companies if o != c])
        y = sum((oof_x[o][1] for o in companies if o != c), [])
        sw = np.concatenate([weights[o] for o in companies if o != c])
        g.classifier = LinearModel(features=g.classifier.features, classes=RESULT_CLASSES, C=C_grade).fit(X, np.array(y), sample_weight=sw)
        fold_graders[c] = g
        t = time.perf_counter()
        js = company_judgments(pack, methodology, kn, g, c, judge=judge)
        seconds[c] = time.perf_counter() - t
        for j in js:
            key = (c, j.level, j.element)
            oof[key] = j
            if key in gold and j.features is not None:
                all_z.append(g.classifier.logits(j.features[None, :])[0])
                all_y.append(gold[key].result)
                all_multi.append(bool(j.features[list(g.classifier.features).index("multilingual_1")] > 0.5))

    final = Grader.new(C_grade)
    final.ranker = best_ranker(grid, hits, companies)
    if reader:  # every company's features read by the reader of its own fold (out of fold)
        final.reader = reader_without(set())
        X = np.vstack([features_read_by(c, fold_readers[c]) for c in companies])
    else:
        X = np.vstack([oof_x[c][0] for c in companies])
    y = sum((oof_x[c][1] for c in companies), [])
    sw = np.concatenate([weights[c] for c in companies])
    final.classifier = LinearModel(features=final.classifier.features, classes=RESULT_CLASSES, C=C_grade).fit(X, np.array(y), sample_weight=sw)
    # softmax temperature from the cross-validated logits: confidences that mean what they say
    probe = LinearModel(features=RESULT_CLASSES, classes=RESULT_CLASSES)
    probe.mean, probe.scale = np.zeros(len(RESULT_CLASSES)), np.ones(len(RESULT_CLASSES))
    probe.coef, probe.intercept = np.eye(len(RESULT_CLASSES)), np.zeros(len(RESULT_CLASSES))
    multi = np.array(all_multi, dtype=bool)
    Z, Y = np.array(all_z), np.array(all_y)
    final.classifier.temperature = probe.calibrate(Z[~multi], list(Y[~multi]))
    if multi.sum() >= 50:  # per language: the multilingual judge's rows get their own temperature
        final.multilingual_temperature = probe.calibrate(Z[multi], list(Y[multi]))
    for g in fold_graders.values():
        g.classifier.temperature = final.classifier.temperature
        g.multilingual_temperature = final.multilingual_temperature
    final.trained_on = {
        "pack": pack.path.name,
        "companies": companies,
        "gold_judgments": len(y),
        "located_quotes": len(pack.quotes),
        "reader_units": int(sum(len(units[c][1]) for c in companies)) if reader else 0,
    }
    return CVResult(final, fold_graders, oof, seconds)


# -- previous edition (the --prior path) ------------------------------------------------------------


def previous_edition(rdr: Path, companies: set[str], out: Path) -> tuple[Path, dict]:
    """RDR's 2019 answers as a prior for 2020, in the 2020 element ids and RDR's CSV format.

    RDR's year-on-year file says, per 2020 element and level, whether the answer was the same as
    in 2019 (`SameAsPrevious`); where it was not, the 2019 answer is looked up by element label
    and level in RDR's 2019 outcome files. Elements new in 2020 have no prior. The comment is the
    2019 researchers' (RDR starts each edition from last year's answers and sources).
    """
    r19: dict[tuple[str, str, str], str] = {}
    c19: dict[tuple[str, str, str], list[str]] = defaultdict(list)  # the 2019 researchers' comments
    for f in glob.glob(str(rdr / "2019" / "RDR2019_*_Outcome.csv")):
        with open(f, encoding="utf-8-sig", newline="") as fh:
            for x in csv.DictReader(fh):
                if x["Scoring_Level"] != "Element":
                    continue
                level = {"Group": "Group", "Operating Company": "OpCom"}.get(x["Class"], x["Service_Name"])
                r19[(x["Company"], level, x["Element"])] = x["Answer"].strip().lower()
                comment = (x.get("Comments") or "").strip()
                if comment and comment != "NA" and comment not in c19[(x["Company"], level, x["Element"])]:
                    c19[(x["Company"], level, x["Element"])].append(comment)
    yoy: dict[tuple[str, str, str], dict] = {}
    with open(rdr / "2020" / "2020-yoy-vs-2019-elements.csv", encoding="utf-8", newline="") as fh:
        for x in csv.DictReader(fh):
            level = "OpCom" if x["ColumnLabel"] == "Operating Company" else x["ColumnLabel"]
            yoy[(x["CompanySheet"], level, x["Element"])] = x
    rows, stats = [], defaultdict(int)
    for f in sorted(glob.glob(str(rdr / "2020" / "element-scores" / "*.csv"))):
        with open(f, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames
            for x in reader:
                if x["Company"] not in companies:
                    continue
                level = x["Composite"] if x["Branch"] == "Company" else x["Service"]
                y = yoy.get((x["CompanyLabel"], level, x["Element"]))
                if y is None or y["NewElement"] == "True" or not y["SameAsPrevious"]:
                    stats["no prior (new element or company)"] += 1
                    continue
                if y["SameAsPrevious"] == "Yes":
                    prior = x["Result"]
                else:
                    prior = r19.get((x["CompanyLabel"], level, y["ElementLabel"]))
                    if prior is None or prior == x["Result"]:
                        stats["changed in 2020 but 2019 answer not found"] += 1
                        continue
                stats["prior"] += 1
                score = {"yes": 100, "partial": 50, "no": 0, "no disclosure found": 0}.get(prior)
                if prior in ("yes", "no") and x["Element"] in ("F09.02", "F11.01"):
                    score = 100 - score
                # the 2019 comment (never the 2020 one, which quotes what the benchmark looks for)
                comment = "\n".join(c19.get((x["CompanyLabel"], level, y["ElementLabel"]), []))
                rows.append({**x, "Index": "2019", "Result": prior, "Score": "NA" if score is None else score, "Comment": comment})
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return out, dict(stats)


def tune_override(
    methodology: Methodology, cv: CVResult, gold: list[GoldRow], priors: dict[tuple[str, str, str], str],
    thresholds=(0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99, 1.01),
) -> tuple[float, dict[float, float]]:
    """Confidence the grader needs to overrule an unchanged previous answer, chosen on the
    cross-validated judgments: the highest agreement with RDR on rows that have a previous
    answer, ties going to the more conservative threshold (a pack has one version per document,
    so nothing tells the grader which documents changed)."""
    from .judgment import credit_class

    rows = [(g, priors[(g.company, g.level, g.element)]) for g in gold if (g.company, g.level, g.element) in priors]
    scores: dict[float, float] = {}
    for t in thresholds:
        ok = 0
        for g, prior in rows:
            j = cv.oof.get((g.company, g.level, g.element))
            rev = methodology.elements[g.element].reversed
            final = prior
            if j is not None and j.result != "NA" and credit_class(j.result, rev) != credit_class(prior, rev) and (j.confidence or 0) >= t:
                final = j.result
            ok += credit_class(final, rev) == credit_class(g.result, rev)
        scores[t] = ok / max(len(rows), 1)
    best = max(scores.values())
    return max(t for t, v in scores.items() if v == best), scores

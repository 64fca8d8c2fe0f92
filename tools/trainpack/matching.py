"""Matching RDR sources to OTA documents (confirmed by the text), and locating the quotes."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from .common import ANCHOR_WINDOW_DAYS, MIN_CHARS, SAME_DOC, host_labels, norm_name, terms_types_named, url_key
from .sources import Company, ElementRow, OtaRepo, Source, Version
from .text import DocIndex, containment, group_passages, norm_words


@dataclass
class Candidate:
    source: Source
    path: str  # <Service>/<Type>.md
    reason: str
    passages_total: int = 0  # quoted passages of comments citing only this source
    quotes_total: int = 0  # their quote fragments (near-duplicates grouped into passages)
    anchor: Version | None = None
    anchor_located: int = 0  # passages located in the anchor version
    version: Version | None = None
    located: int = 0  # passages located in the chosen version
    located_quotes: int = 0
    relation: str = ""
    gap_days: int = 0
    degenerate_skipped: int = 0
    other_doc_skipped: int = 0
    taken: bool = False
    decision: str = ""
    name_score: float = 0.0


GENERIC_WORDS = {"prepaid", "postpaid", "mobile", "fixed", "fixedline", "broadband", "cloud", "email", "mail", "search",
                 "app", "the", "group", "implementation", "of", "and", "services", "service", "store", "online"}


def brand_words(label: str) -> set[str]:
    """norm(label) and its first word (split at spaces and dots), unless generic."""
    out = {norm_name(label), norm_name(re.split(r"[\s.]+", label.strip())[0])}
    return {b for b in out if b and b not in GENERIC_WORDS and len(b) >= 3}


def company_brands(c: Company) -> set[str]:
    brands = {norm_name(c.id), norm_name(c.name)}
    for sid, _kind in c.services:
        brands |= brand_words(sid)
    brands.discard("")
    return brands


def name_score(src: Source, path: str) -> float:
    """Share of the OTA service/type words that occur in the RDR title or URL."""
    words = set(norm_words(path[:-3].replace("/", " ")))
    hay = set(norm_words(f"{src.title} {src.url}"))
    return len(words & hay) / max(len(words), 1)


class Matcher:
    def __init__(self, repo: OtaRepo):
        self.repo = repo
        self._index: dict[str, DocIndex] = {}  # by blob id
        self._tri: dict[str, set] = {}
        self._located: dict[tuple[str, str], tuple[int, int, float] | None] = {}
        by_service: dict[str, list[str]] = defaultdict(list)
        for path in repo.history:
            by_service[path.split("/", 1)[0]].append(path)
        self.by_service = {k: sorted(v) for k, v in by_service.items()}

    def forget(self) -> None:
        """Drop the per-version indexes (between companies; keeps memory flat)."""
        self._index.clear()
        self._tri.clear()
        self._located.clear()
        self.repo.forget_texts()

    def index(self, path: str, v: Version) -> DocIndex:
        key = self.repo.blob(path, v.commit)
        if key not in self._index:
            self._index[key] = DocIndex(self.repo.text(path, v.commit))
        return self._index[key]

    def locate(self, path: str, v: Version, quote: str) -> tuple[int, int, float] | None:
        key = (self.repo.blob(path, v.commit), quote)
        if key not in self._located:
            self._located[key] = self.index(path, v).locate(quote)
        return self._located[key]

    def count(self, path: str, v: Version, groups: list[list[str]]) -> tuple[int, int]:
        """(located passages, located quotes) of ``groups`` (quotes grouped by passage) in one version."""
        hits = [[self.locate(path, v, q) is not None for q in g] for g in groups]
        return sum(any(h) for h in hits), sum(sum(h) for h in hits)

    def trigrams(self, path: str, v: Version) -> set:
        key = self.repo.blob(path, v.commit)
        if key not in self._tri:
            self._tri[key] = self.index(path, v).trigrams()
        return self._tri[key]

    def candidates(self, c: Company, src: Source) -> list[Candidate]:
        brands = company_brands(c)
        hosts = host_labels(src.url)
        own_host = bool(hosts & brands)
        types = terms_types_named(src.title, src.url)
        out = []
        for service in sorted(self.by_service):
            ns = norm_name(service)
            if brand_words(service) & brands:
                reason = "service is a brand of the company"
            elif own_host and ns in hosts:
                reason = "service named in the source's host"
            else:
                continue
            for path in self.by_service[service]:
                ttype = path.split("/", 1)[1][:-3]
                if types and ttype not in types:
                    continue
                why = reason + (f"; title/URL names {ttype}" if types else "; title/URL names no terms type")
                out.append(Candidate(src, path, why, name_score=name_score(src, path)))
        return out

    def usable(self, path: str, v: Version) -> bool:
        return len(self.repo.text(path, v.commit)) >= MIN_CHARS

    def evaluate(self, cand: Candidate, groups: list[list[str]]) -> None:
        """Anchor version, version in force (or first later), located quotes."""
        path, day = cand.path, cand.source.accessed
        if day is None:
            cand.decision = "no access date"
            return
        versions = self.repo.history[path]
        before = [v for v in versions if v.date <= day]
        later = [v for v in versions if v.date > day]
        window = [v for v in versions if abs((v.date - day).days) <= ANCHOR_WINDOW_DAYS and self.usable(path, v)]
        last_ok = next((v for v in reversed(before) if self.usable(path, v)), None)
        if last_ok is not None and last_ok not in window:
            window.insert(0, last_ok)
        cand.passages_total = len(groups)
        cand.quotes_total = sum(len(g) for g in groups)
        best: tuple | None = None
        for v in window:
            n_pass, n_quotes = self.count(path, v, groups)
            key = (-n_pass, -n_quotes, abs((v.date - day).days), v.commit)
            if best is None or key < best:
                best, cand.anchor, cand.anchor_located = key, v, n_pass
        if cand.anchor is None:
            cand.decision = "no usable version"
            return
        anchor = cand.anchor
        anchor_tri = self.trigrams(path, anchor)

        def qualifies(v: Version) -> bool:
            if not self.usable(path, v):
                cand.degenerate_skipped += 1
                return False
            if v.commit != anchor.commit and containment(self.trigrams(path, v), anchor_tri) < SAME_DOC:
                cand.other_doc_skipped += 1
                return False
            return True

        chosen = next((v for v in reversed(before) if qualifies(v)), None)
        if chosen is None:
            chosen = next((v for v in later if qualifies(v)), None)
        assert chosen is not None  # the anchor qualifies
        cand.version = chosen
        cand.relation = "in_force" if chosen.date <= day else "after"
        cand.gap_days = (chosen.date - day).days
        cand.located, cand.located_quotes = self.count(path, chosen, groups)


MIN_PASSAGES = 2  # located passages needed to take a candidate
MIN_SHARE = 0.5  # share of the source's own quoted passages that must be located


@dataclass
class PackDoc:
    company: Company
    source: Source
    cand: Candidate
    rel_path: str
    text: str
    language: str
    levels: list[str]
    confirmed: list[Candidate]
    notes: list[str]

    @property
    def ota_id(self) -> str:
        return f"{self.cand.path[:-3]}"


def own_quotes(c: Company, nr: int) -> list[str]:
    """Quote fragments of the comments that cite this source and no other."""
    out: list[str] = []
    for r in c.rows:
        if r.cited == [nr]:
            out.extend(q for q in r.quotes if q not in out)
    return out


def choose_key(cd: Candidate) -> tuple:
    return (-cd.located, -cd.located_quotes, cd.relation != "in_force", abs(cd.gap_days), -cd.name_score, cd.path)


def match_company(m: Matcher, c: Company, considered: list[Candidate]) -> list[tuple[Source, Candidate, list[Candidate]]]:
    taken: dict[int, tuple[Candidate, list[Candidate]]] = {}
    waiting: list[tuple[Source, list[Candidate]]] = []
    for nr, src in sorted(c.sources.items()):
        cands = m.candidates(c, src)
        if not cands:
            continue
        considered.extend(cands)
        if src.accessed is None:
            for cd in cands:
                cd.decision = f"refused: {src.date_note}"
            continue
        groups = group_passages(own_quotes(c, nr))
        if not groups:
            for cd in cands:
                cd.decision = "refused: no quotes in comments citing this source alone"
            waiting.append((src, cands))
            continue
        confirmed = []
        for cd in cands:
            m.evaluate(cd, groups)
            if cd.version is None:
                cd.decision = f"refused: {cd.decision}"
            elif cd.located >= MIN_PASSAGES and cd.located >= MIN_SHARE * cd.passages_total:
                confirmed.append(cd)
                cd.decision = "confirmed"
            else:
                cd.decision = f"refused: {cd.located} of {cd.passages_total} quoted passages located"
        if confirmed:
            best = min(confirmed, key=choose_key)
            best.taken, best.decision = True, "taken"
            taken[nr] = (best, confirmed)
    # sources without quotes of their own: taken when another taken source has the same page
    for src, cands in waiting:
        twin = next((nr for nr, (cd, _) in sorted(taken.items())
                     if url_key(c.sources[nr].url) == url_key(src.url) and c.sources[nr].language == src.language), None)
        if twin is None:
            continue
        twin_cd = taken[twin][0]
        cd = next((x for x in cands if x.path == twin_cd.path), None)
        if cd is None:
            continue
        m.evaluate(cd, group_passages(own_quotes(c, twin)))
        if cd.version is not None:
            cd.taken, cd.decision = True, f"taken: same URL as source {twin}"
            taken[src.nr] = (cd, [cd])
    return [(c.sources[nr], cd, conf) for nr, (cd, conf) in sorted(taken.items())]


def doc_notes(d: PackDoc) -> list[str]:
    cd, src = d.cand, d.source
    notes = []
    if src.date_note:
        notes.append(src.date_note)
    if not d.company.levels_by_source.get(src.nr):
        notes.append("source not in indicator-sources-by-column; levels = all")
    if cd.decision.startswith("taken: same URL"):
        notes.append(cd.decision.removeprefix("taken: ") + " (no quotes of its own)")
    else:
        notes.append(f"{cd.located} of {cd.passages_total} quoted passages ({cd.located_quotes} of {cd.quotes_total} quotes) "
                     "of comments citing only this source found in this version")
    others = sorted(x.path[:-3] for x in d.confirmed if x is not cd)
    if others:
        notes.append("the same page is also tracked as " + ", ".join(others))
    if src.language != d.language:
        names = {"es": "Spanish", "ko": "Korean", "zh": "Chinese", "en": "English"}
        notes.append(f"RDR read the {names.get(src.language, src.language)} version; the OTA text is {d.language}")
    if cd.degenerate_skipped:
        notes.append(f"{cd.degenerate_skipped} degenerate version(s) under {MIN_CHARS} characters skipped")
    if cd.other_doc_skipped:
        notes.append(f"{cd.other_doc_skipped} version(s) that are another page (under {SAME_DOC:.0%} shared word 3-grams) skipped")
    if cd.relation == "after":
        notes.append(f"no version in force on the access date; first later version used ({cd.gap_days} days after)")
    return notes


@dataclass
class Evidence:
    row: ElementRow
    doc: PackDoc
    start: int
    end: int
    quote: str
    similarity: float


def locate_rows(companies: list[Company], docs: list[PackDoc]) -> tuple[dict[int, int], list[Evidence], dict[str, int]]:
    """Evidence rows; quotes found per element row (by id); counters."""
    by_company: dict[str, list[PackDoc]] = defaultdict(list)
    for d in docs:
        by_company[d.company.id].append(d)
    indexes = {d.rel_path: DocIndex(d.text) for d in docs}
    found: dict[int, int] = {}
    evidence: list[Evidence] = []
    stats: Counter[str] = Counter()
    cache: dict[tuple[str, str], tuple[int, int, float] | None] = {}
    for c in companies:
        cdocs = by_company.get(c.id, [])
        if not cdocs:
            continue
        for r in c.rows:
            n = 0
            for q in r.quotes:
                stats["fragments"] += 1
                hits = []
                for d in cdocs:
                    key = (d.rel_path, q)
                    if key not in cache:
                        cache[key] = indexes[d.rel_path].locate(q)
                    if cache[key]:
                        hits.append((d, cache[key]))
                if not hits:
                    continue
                # best similarity, then documents of cited sources, then source order
                d, (s, e, sim) = min(hits, key=lambda h: (-h[1][2], h[0].source.nr not in r.cited, h[0].source.nr))
                evidence.append(Evidence(r, d, s, e, q, sim))
                n += 1
            found[id(r)] = n
            if r.quotes:
                stats["rows_with_fragments"] += 1
    return found, evidence, dict(stats)

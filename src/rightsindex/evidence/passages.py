"""A company's candidate passages (latest versions of its documents) with cached embeddings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..corpus.versions import current_version
from ..store.models import Company, Document, Embedding, Version
from .embed import cache_id, encoder

MIN_CHARS = {"zh": 8}
DEFAULT_MIN_CHARS = 25
# an evidence unit: a passage with the list items that follow it in the same section, at most this long
UNIT_MAX_CHARS = 1500
UNIT_MAX_GAP = 200  # characters between two passages of one unit (whitespace, markup, a skipped line)
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class PassageRow:
    passage_id: int
    version_id: int
    version_seq: int
    path: str  # the document key (manifest path / URL / ota:…)
    doc_type: str
    levels: tuple[str, ...] | None  # None = all levels
    start: int
    end: int
    kind: str
    heading: str
    language: str
    text: str
    text_sha256: str
    sentences: list = field(default_factory=list)  # [[start, end], …] within text
    doc_language: str = ""  # the document's language (a stray passage language in it is overruled)

    @property
    def reader(self) -> str:
        """The model that reads this passage: MiniLM (and the English judge) for English, USE (and
        the multilingual judge) for Chinese and other languages. A passage of an English document
        detected as another Latin-script language (a name, an address) stays English."""
        lang = (self.language or "").split("-")[0].lower()
        if lang in ("zh", "ja", "ko"):
            return "use"
        if lang in ("", "en"):
            return "minilm"
        return "minilm" if (self.doc_language or "en").lower().startswith("en") else "use"

    def speaks_for(self, level: str) -> bool:
        return self.levels is None or level in self.levels

    @property
    def embed_text(self) -> str:
        """What is embedded: the passage under its nearest heading (context helps retrieval)."""
        head = self.heading.rsplit(" > ", 1)[-1].strip("*# ") if self.heading else ""
        return f"{head}: {self.text}" if head and len(head) < 150 else self.text


@dataclass
class DocumentInfo:
    """What grading needs to know about a document as a whole (access elements, explanations)."""

    path: str
    title: str
    type: str
    url: str | None
    language: str
    levels: tuple[str, ...] | None
    version_seq: int
    headings: int = 0  # heading passages in the version
    items: int = 0  # list items
    first_row: int | None = None  # index of its first candidate passage in ``CompanyPassages.rows``

    def speaks_for(self, level: str) -> bool:
        return self.levels is None or level in self.levels


@dataclass
class CompanyPassages:
    company: str
    rows: list[PassageRow]
    versions: dict[str, int] = field(default_factory=dict)  # document key -> version id used
    minilm: np.ndarray | None = None  # (P, 384); zero rows for Chinese passages
    sent_minilm: np.ndarray | None = None  # (S, 384) sentence vectors of the English passages
    sent_owner: np.ndarray | None = None  # (S,) passage index of each sentence
    use: np.ndarray | None = None  # (P, 512); zero rows for English passages
    texts: dict[int, str] = field(default_factory=dict)  # version id -> version text (unit texts)
    docs: dict[str, DocumentInfo] = field(default_factory=dict)  # document key -> what it is
    _units: tuple[np.ndarray, list[list[int]]] | None = field(default=None, repr=False)

    def units(self) -> tuple[np.ndarray, list[list[int]]]:
        """Evidence units: the unit of every passage, and each unit's passages (in text order).

        A list item is meaningless without the sentence that introduces it ("we collect: …"), and
        researchers cite a list whole; so consecutive list items join the passage before them
        when both sit in the same section of the same document, up to ``UNIT_MAX_CHARS``. Every
        other passage is a unit of its own. Units never cross documents, so level filters apply
        to them as to passages.
        """
        if self._units is None:
            unit_of = np.zeros(len(self.rows), dtype=np.int64)
            members: list[list[int]] = []
            for i, r in enumerate(self.rows):
                if members:
                    cur = members[-1]
                    prev, first = self.rows[cur[-1]], self.rows[cur[0]]
                    if (
                        r.kind == "item"
                        and prev.version_id == r.version_id
                        and prev.heading == r.heading
                        and 0 <= r.start - prev.end <= UNIT_MAX_GAP
                        and r.end - first.start <= UNIT_MAX_CHARS
                    ):
                        cur.append(i)
                        unit_of[i] = len(members) - 1
                        continue
                members.append([i])
                unit_of[i] = len(members) - 1
            self._units = (unit_of, members)
        return self._units

    def unit_span(self, unit: int) -> tuple[int, int, str]:
        """Start, end and text of a unit in its version's text."""
        members = self.units()[1][unit]
        first, last = self.rows[members[0]], self.rows[members[-1]]
        if len(members) == 1:
            return first.start, first.end, first.text
        text = self.texts.get(first.version_id)
        body = text[first.start : last.end] if text is not None else "\n".join(self.rows[i].text for i in members)
        return first.start, last.end, body

    @property
    def multilingual(self) -> np.ndarray:
        """Passages read by the multilingual model (Chinese and other non-English text)."""
        return np.array([r.reader == "use" for r in self.rows], dtype=bool)

    def level_mask(self, level: str) -> np.ndarray:
        return np.array([r.speaks_for(level) for r in self.rows], dtype=bool)


def load_company_passages(session: Session, company_key: str, version_ids: dict[str, int] | None = None) -> CompanyPassages:
    """The latest version of each of the company's documents (or the given versions), as candidates."""
    company = session.scalars(select(Company).where(Company.key == company_key)).one()
    rows: list[PassageRow] = []
    used: dict[str, int] = {}
    texts: dict[int, str] = {}
    docs: dict[str, DocumentInfo] = {}
    documents = list(session.scalars(select(Document).where(Document.company_id == company.id).order_by(Document.id)))
    if version_ids is not None:  # in the caller's (the manifest's) order, whatever order they were stored in
        rank = {key: i for i, key in enumerate(version_ids)}
        documents.sort(key=lambda d: rank.get(d.key, len(rank)))
    for doc in documents:
        if version_ids is not None:
            if doc.key not in version_ids:
                continue
            version = session.get(Version, version_ids[doc.key])
        else:
            version = current_version(doc.versions)
        if version is None:
            continue
        used[doc.key] = version.id
        texts[version.id] = version.text
        levels = tuple(doc.levels) if doc.levels is not None else None
        info = DocumentInfo(
            path=doc.key, title=doc.title or "", type=doc.type or "", url=doc.url,
            language=version.language or "", levels=levels, version_seq=version.seq,
        )
        docs[doc.key] = info
        for p in version.passages:
            lang = p.language or version.language or ("zh" if _CJK.search(p.text) else "en")
            info.headings += p.kind == "heading"
            info.items += p.kind == "item"
            if p.kind == "heading" or len(p.text) < MIN_CHARS.get(lang, DEFAULT_MIN_CHARS):
                continue
            if info.first_row is None:
                info.first_row = len(rows)
            rows.append(
                PassageRow(
                    passage_id=p.id,
                    version_id=version.id,
                    version_seq=version.seq,
                    path=doc.key,
                    doc_type=doc.type or "",
                    levels=levels,
                    start=p.start,
                    end=p.end,
                    kind=p.kind,
                    heading=p.heading,
                    language=lang,
                    text=p.text,
                    text_sha256=p.text_sha256,
                    sentences=[tuple(x) for x in (p.sentences or [])],
                    doc_language=version.language or "",
                )
            )
    return CompanyPassages(company=company_key, rows=rows, versions=used, texts=texts, docs=docs)


def _insert_ignore(session: Session, rows: list[dict]) -> None:
    """Insert embedding rows, skipping ones another worker stored meanwhile."""
    if not rows:
        return
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for start in range(0, len(rows), 500):
        session.execute(insert(Embedding).values(rows[start : start + 500]).on_conflict_do_nothing())


def embed_texts(session: Session | None, model: str, texts: list[str]) -> np.ndarray:
    """Vectors of ``texts`` under ``model``, from the store's cache where possible."""
    from .embed import text_key

    keys = [text_key(t) for t in texts]
    unique = list(dict.fromkeys(keys))
    cached: dict[str, np.ndarray] = {}
    key_model = cache_id(model)  # model name and version: another model never reads these
    if session is not None:
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            for key, vec in session.execute(
                select(Embedding.text_sha256, Embedding.vector).where(Embedding.model == key_model, Embedding.text_sha256.in_(chunk))
            ):
                cached[key] = np.frombuffer(vec, dtype=np.float16).astype(np.float32)
    todo = [k for k in unique if k not in cached]
    if todo:
        first = dict(zip(keys, texts))
        vectors = encoder(model).encode([first[k] for k in todo])
        for k, v in zip(todo, vectors):
            cached[k] = v.astype(np.float16).astype(np.float32)  # as the cache stores it: a re-run reads the same
        if session is not None:
            _insert_ignore(session, [{"model": key_model, "text_sha256": k, "vector": cached[k].astype(np.float16).tobytes()} for k in todo])
    dim = encoder(model).dim if not cached else len(next(iter(cached.values())))
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, k in enumerate(keys):
        out[i] = cached[k]
    return out


def embed_company(session: Session | None, cp: CompanyPassages, *, every_model: bool = False) -> None:
    """Fill the company's vectors, reading and writing the store's embedding cache.

    English passages are embedded sentence by sentence with MiniLM (``cp.sent_minilm``, owner
    passage in ``cp.sent_owner``); a passage's MiniLM vector is the mean of its sentences'. Chinese
    passages are embedded whole with USE. ``every_model`` embeds every passage with both models
    (training uses it to learn the cross-lingual ranker on English text).
    """
    n = len(cp.rows)
    cp.minilm = np.zeros((n, 384), dtype=np.float32)
    cp.use = np.zeros((n, 512), dtype=np.float32)
    en = [i for i, r in enumerate(cp.rows) if every_model or r.reader == "minilm"]
    texts: list[str] = []
    owner: list[int] = []
    for i in en:
        r = cp.rows[i]
        spans = r.sentences or [(0, len(r.text))]
        for a, b in spans:
            if b - a >= 3:
                texts.append(r.text[a:b][:1000])
                owner.append(i)
    vecs = embed_texts(session, "minilm", texts) if texts else np.zeros((0, 384), dtype=np.float32)
    cp.sent_minilm, cp.sent_owner = vecs, np.array(owner, dtype=np.int64)
    if len(owner):
        np.add.at(cp.minilm, cp.sent_owner, vecs)
        norms = np.linalg.norm(cp.minilm, axis=1, keepdims=True)
        cp.minilm = np.where(norms > 0, cp.minilm / np.clip(norms, 1e-9, None), 0.0).astype(np.float32)
    zh = [i for i, r in enumerate(cp.rows) if every_model or r.reader == "use"]
    if zh:
        cp.use[zh] = embed_texts(session, "use", [cp.rows[i].embed_text for i in zh])

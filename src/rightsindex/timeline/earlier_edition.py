"""An earlier edition's answers of ours (``--prior`` with our own ``element-scores.csv``) as the
base of change-aware re-grading (``regrade``), when the store holds no earlier run to start from.

The earlier texts are those the answers were graded on: read from the store beside the CSV
(``rightsindex.sqlite``, where ``assess`` keeps it by default) — this store when it is the same —
or, when that store is gone, approximated by the passages the answers cite (``CitedSide``).
"""

from __future__ import annotations

import json
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from .regrade import DocVersion, Side, substance
from ..store.models import Document, Version

__all__ = ["CitedSide", "TextSide", "prior_base", "prior_stores", "read_prior_answers"]


class TextSide:
    """The earlier side read from another store (the one a ``--prior`` CSV of ours was graded in):
    each document's text there, by key."""

    def __init__(self, texts: dict[str, tuple[str, str]]):  # key -> (text sha256, text)
        self.docs: dict[str, DocVersion] = {}
        self._sha = {k: v[0] for k, v in texts.items()}
        self._sub = {k: substance(v[1]) for k, v in texts.items()}

    def version_id(self, key: str) -> int | None:
        return None

    def same_text(self, key: str, other) -> bool:
        return False

    def holds(self, key: str, text: str, *, same_as=None) -> bool:
        if key not in self._sub:
            return False
        if isinstance(same_as, Side) and same_as.docs.get(key) is not None and same_as.text_sha(key) == self._sha[key]:
            return True
        needle = substance(text)
        return not needle or needle in self._sub[key]


class CitedSide:
    """The earlier side known only from a previous edition's own ``element-scores.csv`` (``--prior``
    with our ``Evidence`` column) when neither store holds its versions: a text "was there" when
    one of that edition's cited passages of the same document contains it, or when the document
    still holds every passage that edition cited from it (then it is taken as unchanged). Every
    answer cites its closest passages, so the cited passages cover what a document said on the
    questions; in a document whose cited passages changed, a passage none of them held is new."""

    def __init__(self, cited: dict[str, list[str]], new: "Side | None" = None):
        self.docs: dict[str, DocVersion] = {}
        self._joined = {path: "\x00".join(substance(t) for t in texts) for path, texts in cited.items()}
        self._unchanged = {path for path, texts in cited.items() if new is not None and all(new.holds(path, t) for t in texts)}

    def version_id(self, key: str) -> int | None:
        return None

    def same_text(self, key: str, other) -> bool:
        return key in self._unchanged

    def holds(self, key: str, text: str, *, same_as=None) -> bool:
        if key in self._unchanged:
            return True
        needle = substance(text)
        return not needle or needle in self._joined.get(key, "")


def prior_stores(paths: Sequence, *, exclude: str | None = None) -> list[str]:
    """The SQLite stores our ``--prior`` CSVs were graded in, where ``assess`` keeps them by default
    (``rightsindex.sqlite`` beside the CSV), as URLs (``exclude`` left out)."""
    from pathlib import Path

    out = []
    for p in paths:
        candidate = Path(p).resolve().parent / "rightsindex.sqlite"
        if candidate.is_file():
            url = f"sqlite:///{candidate}"
            if url != exclude and url not in out:
                out.append(url)
    return out


def _texts_from(url: str, wanted: dict[str, set[int]]) -> dict[str, tuple[str, str]]:
    """Texts of the wanted (document key, version) in another store, read-only (never migrated)."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    out: dict[str, tuple[str, str]] = {}
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Document.key, Version.seq, Version.text_sha256, Version.text)
                .join(Version, Version.document_id == Document.id)
                .where(Document.key.in_(set(wanted)))
            ).all()
        for key, seq, sha, text in rows:
            if seq in wanted.get(key, ()):
                out[key] = (sha, text)
    except Exception:  # noqa: BLE001 - another store, unreadable or of another shape: not used
        return {}
    finally:
        engine.dispose()
    return out


def read_prior_answers(paths: Sequence) -> dict[str, dict[tuple[str, str], dict]]:
    """Our own earlier ``element-scores.csv`` files (``--prior``): per company, per (level, element),
    the answer with its comment, confidence and evidence; rows without our ``Evidence`` column
    (RDR's own files) are left out. Plain data, so it travels to workers."""
    import csv as _csv

    from ..formats.csvsafe import restore_row
    from ..methodology import normalise_element_id

    out: dict[str, dict[tuple[str, str], dict]] = {}
    for path in paths:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in map(restore_row, _csv.DictReader(fh)):
                raw = (row.get("Evidence") or "").strip()
                if not raw or raw == "NA":
                    continue
                try:
                    items = json.loads(raw)
                except json.JSONDecodeError:
                    continue
                level = row["Composite"] if row.get("Branch") == "Company" else row.get("Service", "")
                conf = row.get("Confidence")
                out.setdefault(row["Company"], {})[(level, normalise_element_id(row["Element"]))] = {
                    "result": (row.get("Result") or "").strip(),
                    "comment": row.get("Comment") or "",
                    "confidence": float(conf) if conf not in (None, "", "NA") else None,
                    "evidence": [{k: e.get(k) for k in ("path", "version", "start", "end", "text") if k in e} for e in items if isinstance(e, dict)],
                }
    return out


def prior_base(session: Session, answers: dict[tuple[str, str], dict], *, other_store: str | None = None,
               new: "Side | None" = None) -> tuple[list, "Side | TextSide | CitedSide"]:
    """An earlier edition's answers as a base to re-grade from, and the side they were read on: the
    versions they cite in the store that graded them (``other_store``; this store when it is the
    same), else what the answers cite (``CitedSide``; ``new``: the new side, to tell unchanged
    documents)."""
    from types import SimpleNamespace

    from ..scoring import normalise_result

    base = []
    cited: dict[str, list[str]] = {}
    wanted: dict[str, set[int]] = {}
    for (level, element), a in answers.items():
        try:
            result = normalise_result(a["result"])
        except Exception:  # noqa: BLE001 - validated by evidence.previous_answers.read_prior already
            continue
        base.append(SimpleNamespace(
            id=None, level=level, element=element, service_kind=None, result=result, confidence=a["confidence"],
            probabilities={}, evidence=a["evidence"], prior_result=None, prior_relation=None, comment=a["comment"], fingerprint=None,
        ))
        for e in a["evidence"]:
            if e.get("path") and e.get("text"):
                cited.setdefault(e["path"], []).append(e["text"])
                if isinstance(e.get("version"), int):
                    wanted.setdefault(e["path"], set()).add(e["version"])
    here = session.bind.url.render_as_string(hide_password=False) if session.bind is not None else None
    if other_store and other_store == here and wanted and all(len(v) == 1 for v in wanted.values()):
        versions: dict[str, int] = {}
        rows = session.execute(
            select(Document.key, Version.seq, Version.id).join(Version, Version.document_id == Document.id).where(Document.key.in_(set(wanted)))
        ).all()
        for key, seq, vid in rows:
            if seq in wanted.get(key, ()):
                versions[key] = vid
        if set(versions) == set(wanted):
            side = Side.load(session, versions)
            if all(side.holds(p, t) for p, ts in cited.items() for t in ts[:20]):
                return base, side
    elif other_store and wanted and all(len(v) == 1 for v in wanted.values()):
        texts = _texts_from(other_store, wanted)
        if set(texts) == set(wanted):
            side = TextSide(texts)
            if all(side.holds(p, t) for p, ts in cited.items() for t in ts[:20]):
                return base, side
    return base, CitedSide(cited, new)

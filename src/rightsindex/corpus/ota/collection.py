"""A whole Open Terms Archive collection: every service and terms type of a ``*-versions``
repository (checkout, bare repository or ``.bundle``), read in one pass over its history.

:func:`ota.history` reads one document with ``git log --follow``, which walks the whole history
once per document: fine for one, slow for the 879 documents of ``contrib-versions``. Here one
``git log`` of the repository (with the same rename detection, ``-M90%``) is split per document,
following each document back through its renames, and the versions of each document are chosen
by the same rules as :func:`ota.history` (renames followed, copies not: a test checks that both
agree document by document)::

    for doc in collection_histories("contrib-versions.bundle", since=date(2026, 1, 1)):
        doc.service, doc.terms_type, doc.versions, doc.skipped

Only the documents present at HEAD are read (a removed document is not part of the collection
any more). Reads only: no database, no network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterable, Iterator

from .. import limits
from .gitio import TooMany, log_records
from .repository import (
    RENAME_SIMILARITY, OTAError, OTAVersion, Skipped, _apply_rules, _Commit, _NULL_SHA, _read_blobs, _undated_reason, list_documents,
    name_problem, open_repo,
)

__all__ = ["DocumentHistory", "collection_histories", "select_documents"]


@dataclass
class DocumentHistory:
    service: str
    terms_type: str
    versions: list[OTAVersion] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    commits: int = 0  # commits that touched the document (renames followed)
    problem: str | None = None  # why the document is left out (a limit, a name that is no id); None = read

    @property
    def path(self) -> str:
        return f"{self.service}/{self.terms_type}.md"


def select_documents(
    documents: Iterable[tuple[str, str]], *, services: Iterable[str] | None = None, types: Iterable[str] | None = None
) -> list[tuple[str, str]]:
    """The ``(service, terms type)`` pairs kept by the ``services`` and ``types`` filters (None: all)."""
    s = set(services) if services is not None else None
    t = set(types) if types is not None else None
    return [(a, b) for a, b in documents if (s is None or a in s) and (t is None or b in t)]


def _repository_log(root: Path) -> list[tuple[str, datetime | None, str, list[tuple[str, str, str, str | None]], str]]:
    """Every non-merge commit reachable from HEAD, newest first: (sha, date or None when it cannot
    be read, subject, changes, the date as written), a change being (status letter, path, old path
    or "", new blob or None). :class:`OTAError` past ``MAX_COLLECTION_COMMITS``."""
    commits = []
    try:
        for r in log_records(root, "--no-merges", f"-M{RENAME_SIMILARITY}", "HEAD", limit=limits.MAX_COLLECTION_COMMITS, what=str(root)):
            tokens = r.changes
            items: list[tuple[str, str, str, str | None]] = []
            i = 0
            while i < len(tokens):
                tok = tokens[i].lstrip(b"\n")
                if not tok.startswith(b":"):
                    i += 1
                    continue
                meta = tok[1:].decode("ascii", "replace").split(" ")
                status, blob = meta[4][:1], meta[3]
                if status in ("R", "C"):
                    old, new = tokens[i + 1].decode("utf-8", "replace"), tokens[i + 2].decode("utf-8", "replace")
                    i += 3
                else:
                    old, new = "", tokens[i + 1].decode("utf-8", "replace")
                    i += 2
                items.append((status, new, old, None if status == "D" or blob == _NULL_SHA else blob))
            commits.append((r.sha, r.date, r.subject, items, r.written))
    except TooMany as exc:
        raise OTAError(f"{exc}; a collection may have up to {limits.MAX_COLLECTION_COMMITS:,}") from None
    return commits


def collection_histories(
    repo: str | Path,
    documents: Iterable[tuple[str, str]] | None = None,
    *,
    since: date | datetime | None = None,
    min_chars: int = 500,
) -> Iterator[DocumentHistory]:
    """The history of each document of the collection (or of ``documents``: ``(service, terms
    type)`` pairs present at HEAD), in ``(service, terms type)`` order. ``since`` and
    ``min_chars`` as in :func:`ota.history`. Raises :class:`OTAError` for a repository that cannot
    be read or a requested document that is not at HEAD."""
    if min_chars < 0:
        raise ValueError(f"min_chars must be >= 0, got {min_chars}")
    root = open_repo(repo)
    at_head = list_documents(root)
    if documents is None:
        wanted = at_head
    else:
        wanted = sorted(set(documents))
        missing = sorted(set(wanted) - set(at_head))
        if missing:
            raise OTAError(f"not in {repo} at HEAD: " + ", ".join(f"{s}/{t}.md" for s, t in missing[:10]) + (" …" if len(missing) > 10 else ""))
    alias: dict[str, int] = {f"{s}/{t}.md": i for i, (s, t) in enumerate(wanted)}
    per_doc: list[list[_Commit]] = [[] for _ in wanted]
    undated: list[list[Skipped]] = [[] for _ in wanted]
    for sha, when, subject, changes, written in _repository_log(root):
        moves: list[tuple[str, str]] = []
        for status, path, old, blob in changes:
            doc = alias.get(path)
            if doc is None:
                continue
            if when is None:  # reported with the document, never a version
                undated[doc].append(Skipped(sha, None, subject, _undated_reason(written)))
            else:
                per_doc[doc].append(_Commit(sha, when, subject, path, blob))
            if status == "R":
                moves.append((path, old))
            elif status == "C":  # created as a copy of another document: its history starts here
                moves.append((path, ""))
        for new, old in moves:  # older commits know the file by its old name
            doc = alias.pop(new)
            if old:
                alias[old] = doc
    for (service, terms_type), commits, bad_dates in zip(wanted, per_doc, undated):
        commits.reverse()
        commits.sort(key=lambda c: c.date)  # stable: equal dates keep git's order
        bad_dates.reverse()
        path = f"{service}/{terms_type}.md"
        n = len(commits) + len(bad_dates)
        problem = name_problem(service, terms_type)
        if problem is None and n > limits.MAX_DOCUMENT_COMMITS:
            problem = (f"{path}: more than {limits.MAX_DOCUMENT_COMMITS:,} commits ({n:,}; a limit of"
                       " rightsindex.corpus.limits); too large to read")
        if problem is None:
            try:
                blobs, too_large = _read_blobs(root, commits, path)
            except OTAError as exc:
                problem = str(exc)
        if problem is not None:
            yield DocumentHistory(service, terms_type, [], [], n, problem=problem)
            continue
        kept, skipped = _apply_rules(commits, blobs, path, since=since, min_chars=min_chars, too_large=too_large, undated=bad_dates)
        del blobs
        yield DocumentHistory(service, terms_type, kept, skipped, n)


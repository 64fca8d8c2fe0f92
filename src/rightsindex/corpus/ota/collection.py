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
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from .repository import RENAME_SIMILARITY, OTAError, OTAVersion, Skipped, _apply_rules, _Commit, _git, _NULL_SHA, _read_blobs, list_documents, open_repo

__all__ = ["DocumentHistory", "collection_histories", "select_documents"]


@dataclass
class DocumentHistory:
    service: str
    terms_type: str
    versions: list[OTAVersion] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    commits: int = 0  # commits that touched the document (renames followed)

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


def _repository_log(root: Path) -> list[tuple[str, datetime, str, list[tuple[str, str, str, str | None]]]]:
    """Every non-merge commit reachable from HEAD, newest first: (sha, date, subject, changes),
    a change being (status letter, path, old path or "", new blob or None)."""
    out = _git(
        root, "log", "--no-merges", f"-M{RENAME_SIMILARITY}", "--raw", "--no-abbrev", "-z",
        "--format=%x1e%H%x1f%aI%x1f%s", "HEAD",
    )
    commits = []
    for record in out.split(b"\x1e")[1:]:
        header, _, changes = record.partition(b"\0")
        sha, iso, subject = header.decode("utf-8", "replace").split("\x1f", 2)
        tokens = changes.lstrip(b"\n").split(b"\0")
        items: list[tuple[str, str, str, str | None]] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i].lstrip(b"\n")
            if not tok.startswith(b":"):
                i += 1
                continue
            meta = tok[1:].decode().split(" ")
            status, blob = meta[4][:1], meta[3]
            if status in ("R", "C"):
                old, new = tokens[i + 1].decode("utf-8", "replace"), tokens[i + 2].decode("utf-8", "replace")
                i += 3
            else:
                old, new = "", tokens[i + 1].decode("utf-8", "replace")
                i += 2
            items.append((status, new, old, None if status == "D" or blob == _NULL_SHA else blob))
        when = datetime.fromisoformat(iso).astimezone(timezone.utc)
        commits.append((sha, when, subject, items))
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
    for sha, when, subject, changes in _repository_log(root):
        moves: list[tuple[str, str]] = []
        for status, path, old, blob in changes:
            doc = alias.get(path)
            if doc is None:
                continue
            per_doc[doc].append(_Commit(sha, when, subject, path, blob))
            if status == "R":
                moves.append((path, old))
            elif status == "C":  # created as a copy of another document: its history starts here
                moves.append((path, ""))
        for new, old in moves:  # older commits know the file by its old name
            doc = alias.pop(new)
            if old:
                alias[old] = doc
    for (service, terms_type), commits in zip(wanted, per_doc):
        commits.reverse()
        commits.sort(key=lambda c: c.date)  # stable: equal dates keep git's order
        path = f"{service}/{terms_type}.md"
        blobs = _read_blobs(root, {c.blob for c in commits if c.blob})
        kept, skipped = _apply_rules(commits, blobs, path, since=since, min_chars=min_chars)
        yield DocumentHistory(service, terms_type, kept, skipped, len(commits))

"""Open Terms Archive (OTA) versions repositories: git history → dated document versions.

OTA keeps each collection's versions in one git repository. Each document is one Markdown file,
``<Service>/<Terms type>.md`` (``WeChat/Privacy Policy.md``); every recorded version is one commit
that rewrites that file, dated with the recording date. This module reads such a repository —
a checkout, a bare repository or a ``.bundle`` file — and returns the versions of one document,
oldest first, with the commits it left out and why. It only reads: no database, no network.

Usage::

    versions, skipped = history("contrib-versions-sample.bundle", "WeChat", "Privacy Policy")
    in_force = version_at(versions, date(2020, 9, 15))   # the text RDR 2020 could have read

Decisions, in the order ``history`` applies them to every commit that touched the file:

- **Event** from the commit subject, case-insensitively, by its first words (the engine's own
  rule, ``dataMapper.js``): ``First record of`` / ``Start tracking`` → ``"first"``;
  ``Record new changes of`` / ``Update`` → ``"change"``; ``Apply technical or declaration
  upgrade on`` / ``Refilter`` → ``"extraction"`` (only the extraction changed, not the document);
  anything else → ``"unknown"``, treated as a content change and logged as a warning.
- A commit that deletes the file is skipped as ``"file deleted"``.
- An extraction-only commit is skipped as ``"extraction-only commit"`` whatever its text, so the
  version in force stays the text of the last content change.
- A text shorter than ``min_chars`` characters (leading and trailing white space not counted) is
  a broken extraction and is skipped as ``"degenerate: 58 chars < 500"``.
- A commit whose date cannot be read (year 10000, a time zone of +9999, a malformed date) is
  skipped as ``"unreadable commit date (…)"``.
- A version larger than a document may be (``corpus.limits``: 20 MiB, 5 million characters) is
  skipped as ``"over the 20 MiB limit of a document (…)"``; its blob is sized, never read. A
  history of more than ``MAX_DOCUMENT_COMMITS`` commits, or whose versions hold more than
  ``MAX_HISTORY_BYTES`` in all, is refused (:class:`OTAError`); commit subjects are kept up to
  ``MAX_COMMIT_SUBJECT_CHARS`` characters (git cuts them).
- A text identical to the previous *kept* version is skipped as ``"identical text"`` (e.g. the
  good text coming back after a skipped degenerate one). Only the previous kept version is
  compared: a page that alternates between two real texts yields one version per alternation.
- Versions are ordered by recording date (ties keep git's order).

Dates are the commit's author date, in UTC. OTA's engine writes the recording (fetch) date into
both the author and the committer date and reads the author date back; the author date also
survives a history rewrite (the sample bundle in the tests is one).

Renames: OTA sometimes renames a service or terms type by moving the file. ``history`` follows
the file back through such moves with ``git log --follow`` and a 90% similarity threshold, so a
plain move (100% similar) is always followed, while an unrelated document deleted in the same
commit is not taken for the file's past. A rename commit normally carries an ``"unknown"``
subject and an identical text, so it is reported as skipped (``"identical text"``). Each
version's ``path`` is the file's path at that commit. A file created as a *copy* of another
document (OTA starting to track a second page whose text equals the first's) starts its own
history at that commit: ``--follow`` would otherwise give it the other document's past. ``--follow`` only looks at a linear
history (OTA repositories are linear; merge commits are ignored).

``since``: versions recorded on or after ``since`` are kept, plus the last version recorded
before it, so that the version in force at ``since`` is always known. Skipped commits are
reported from ``since`` on. The skip rules above are applied to the whole history first, so
filtering never changes which versions are kept.

Bundles: ``open_repo`` clones a ``.bundle`` file once (``git clone --bare``) into
``<workdir>/<bundle name>-<sha256 of the bundle, 16 hex>.git``; ``workdir`` defaults to
``<system temp dir>/rightsindex-ota``. Later calls with the same bundle content reuse the clone;
a changed bundle gets a new clone. Clones are made in a temporary folder and renamed into place,
so two processes can open the same bundle at once.

Git is run as a subprocess with explicit arguments (never a shell, see ``gitio``); blobs are
sized, then read in one ``git cat-file --batch`` call per history.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path

from .. import limits
from ..limits import MIB
from ..names import NameRefused, check_id, shown
from .gitio import GitFailed as _GitFailed
from .gitio import GitMissing, LogRecord, TooMany, blob_sizes, log_records, read_blobs
from .gitio import git as _git_output

__all__ = [
    "EVENT_PREFIXES",
    "OTAError",
    "OTAVersion",
    "Skipped",
    "classify_subject",
    "history",
    "list_documents",
    "name_problem",
    "open_repo",
    "version_at",
]

log = logging.getLogger(__name__)

#: Subject prefixes (compared case-insensitively, as whole words) → event. First match wins.
EVENT_PREFIXES: tuple[tuple[str, str], ...] = (
    ("first record of", "first"),
    ("start tracking", "first"),
    ("record new changes of", "change"),
    ("update", "change"),
    ("apply technical or declaration upgrade on", "extraction"),
    ("refilter", "extraction"),
)

#: Similarity a moved file must keep to be followed across a rename (see module docstring).
RENAME_SIMILARITY = "90%"

_BUNDLE_SIGNATURES = (b"# v2 git bundle", b"# v3 git bundle")
_NULL_SHA = "0" * 40
_MAX_LISTED = 40
class OTAError(Exception):
    """A repository, bundle or document that cannot be read; the message says which and why."""


@dataclass(frozen=True)
class OTAVersion:
    """One recorded version of a document."""

    commit: str  # full sha
    date: datetime  # recording date, timezone-aware UTC
    subject: str
    event: str  # "first" | "change" | "extraction" | "unknown"
    path: str  # "<Service>/<Type>.md" at that commit
    text: str = field(repr=False)  # file content at that commit (UTF-8)


@dataclass(frozen=True)
class Skipped:
    """A commit that touched the document but gave no version, and why."""

    commit: str
    date: datetime | None  # None: a commit whose date cannot be read (year 10000, malformed)
    subject: str
    reason: str  # "extraction-only commit", "degenerate: 58 chars < 500", "identical text", "file deleted", a limit


def classify_subject(subject: str) -> str:
    """Event of a commit subject: ``"first"``, ``"change"``, ``"extraction"`` or ``"unknown"``."""
    words = " ".join(subject.split()).casefold()
    for prefix, event in EVENT_PREFIXES:
        if words == prefix or words.startswith(prefix + " ") or words.startswith(prefix + ":"):
            return event
    return "unknown"


# --------------------------------------------------------------------------------------- git


def _git(repo: Path | None, *args: str, input: bytes | None = None) -> bytes:
    try:
        return _git_output(repo, *args, input=input)
    except GitMissing:
        raise OTAError("git is not installed or not on PATH; reading Open Terms Archive repositories needs it") from None


# ------------------------------------------------------------------------------- repositories

_bundle_clones: dict[tuple, Path] = {}


def open_repo(path: str | Path, *, workdir: str | Path | None = None) -> Path:
    """Return the folder of a readable OTA repository: a checkout, a bare repository, or a clone
    of a ``.bundle`` file (cloned once into ``workdir``, default ``<temp>/rightsindex-ota``).

    Raises :class:`OTAError` for a missing path, a folder that is not the top of a git repository,
    a file that is not a git bundle, or a repository without commits.
    """
    given = Path(path).expanduser()
    if not given.exists():
        raise OTAError(f"not a git repository: {given} (no such file or folder)")
    if given.is_file():
        return _clone_bundle(given, workdir)
    return _check_repo(given)


def _check_repo(folder: Path) -> Path:
    try:
        out = _git(folder, "rev-parse", "--is-bare-repository", "--absolute-git-dir").decode()
    except _GitFailed as exc:
        raise OTAError(f"not a git repository: {folder}") from exc
    is_bare, git_dir = out.splitlines()[:2]
    resolved = folder.resolve()
    top = Path(git_dir).resolve()
    accepted = {top}
    if is_bare != "true":
        try:
            top = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip()).resolve()
            accepted.add(top)
        except _GitFailed:  # inside a .git folder: no work tree
            pass
    if resolved not in accepted:
        raise OTAError(f"not a git repository: {folder} (it is a folder inside the git repository {top})")
    try:
        _git(folder, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except _GitFailed as exc:
        raise OTAError(f"empty git repository: {folder} (no commit at HEAD)") from exc
    return resolved


def _clone_bundle(bundle: Path, workdir: str | Path | None) -> Path:
    with bundle.open("rb") as fh:
        head = fh.read(len(_BUNDLE_SIGNATURES[0]))
    if head not in _BUNDLE_SIGNATURES:
        raise OTAError(f"not a git repository or git bundle: {bundle}")
    root = Path(workdir).expanduser() if workdir is not None else Path(tempfile.gettempdir()) / "rightsindex-ota"
    stat = bundle.stat()
    memo_key = (str(bundle.resolve()), stat.st_size, stat.st_mtime_ns, str(root.resolve()))
    known = _bundle_clones.get(memo_key)
    if known is not None and known.is_dir():
        return known

    digest = hashlib.sha256()
    with bundle.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in bundle.stem) or "bundle"
    target = root / f"{stem}-{digest.hexdigest()[:16]}.git"
    if not target.is_dir():
        root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".clone-", dir=root))
        try:
            try:
                _git(None, "clone", "--bare", "--quiet", str(bundle.resolve()), str(scratch / "repo.git"))
            except _GitFailed as exc:
                raise OTAError(f"cannot clone git bundle {bundle}: {exc.stderr}") from exc
            try:
                os.rename(scratch / "repo.git", target)
            except OSError:
                if not target.is_dir():  # not a concurrent clone that got there first
                    raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    try:
        repo = _check_repo(target)
    except OTAError as exc:
        raise OTAError(f"{exc} — the clone of {bundle} is damaged; delete {target} and retry") from exc
    _bundle_clones[memo_key] = repo
    return repo


# ---------------------------------------------------------------------------------- documents


def list_documents(repo: str | Path) -> list[tuple[str, str]]:
    """The ``(service, terms type)`` pairs present at HEAD, sorted."""
    root = open_repo(repo)
    out = _git(root, "ls-tree", "-r", "-z", "--name-only", "HEAD")
    documents = []
    for raw in out.split(b"\0"):
        name = raw.decode("utf-8", "replace")
        parts = name.split("/")
        if len(parts) != 2 or not parts[1].endswith(".md") or parts[0].startswith("."):
            continue
        documents.append((parts[0], parts[1][: -len(".md")]))
    return sorted(documents)


@dataclass(frozen=True)
class _Commit:
    sha: str
    date: datetime
    subject: str
    path: str
    blob: str | None  # None: the commit deletes the file


def _log(root: Path, path: str) -> tuple[list[_Commit], list[Skipped]]:
    """Commits that touched ``path`` (following renames), oldest first, and the commits whose date
    cannot be read (reported, never versions). :class:`OTAError` past ``MAX_DOCUMENT_COMMITS``."""
    commits: list[_Commit] = []
    undated: list[Skipped] = []
    try:
        for r in log_records(
            root, "--no-merges", "--follow", f"-M{RENAME_SIMILARITY}", "HEAD", "--", path,
            limit=limits.MAX_DOCUMENT_COMMITS, what=path,
        ):
            # --raw -z: ":<modes> <old blob> <new blob> <status>\0<path>\0" ("\0<old>\0<new>\0" for R/C);
            # with one followed path, git reports one change per commit.
            tokens = r.changes
            if not tokens[0].startswith(b":"):
                log.debug("commit %s touches %s without a file change; ignored", r.sha, path)
                continue
            meta = tokens[0][1:].decode("ascii", "replace").split(" ")
            status = meta[4][:1]
            blob = meta[3]
            at_path = tokens[2 if status in ("R", "C") else 1].decode("utf-8", "replace")
            if r.date is None:
                undated.append(_undated(r))
            else:
                commits.append(_Commit(r.sha, r.date, r.subject, at_path, None if status == "D" or blob == _NULL_SHA else blob))
            if status == "C":  # created as a copy of another document: its own history starts here
                break
    except TooMany as exc:
        raise OTAError(f"{exc}; a document's history may have up to {limits.MAX_DOCUMENT_COMMITS:,}") from None
    commits.reverse()
    commits.sort(key=lambda c: c.date)  # stable: equal dates keep git's order
    undated.reverse()
    return commits, undated


def name_problem(service: str, terms_type: str) -> str | None:
    """Why an OTA service or terms type cannot name a company, service or document (a control,
    invisible or bidi character, too long: see ``corpus.names``), or None."""
    for what, name in (("service", service), ("terms type", terms_type)):
        try:
            check_id(name, f"{shown(service)}/{shown(terms_type)}.md: {what} name", max_chars=limits.MAX_ID_CHARS)
        except NameRefused as exc:
            return str(exc)
    return None


def _undated_reason(written: str) -> str:
    return f"unreadable commit date ({' '.join(written.split())[:40] or 'none'})"


def _undated(r: LogRecord) -> Skipped:
    return Skipped(r.sha, None, r.subject, _undated_reason(r.written))


def _read_blobs(root: Path, commits: list[_Commit], path: str) -> tuple[dict[str, bytes], dict[str, int]]:
    """(content of each blob of ``commits`` within the document limits, size of each over them).

    Sizes are asked first, so a blob that expands to gigabytes is never read: a version over
    ``MAX_DOCUMENT_BYTES`` is skipped; a history whose readable versions hold more than
    ``MAX_HISTORY_BYTES`` in all is refused (:class:`OTAError`)."""
    shas = {c.blob for c in commits if c.blob}
    sizes = blob_sizes(root, shas)
    missing = sorted(shas - set(sizes))
    if missing:
        raise OTAError(f"git object {missing[0]} is missing from {root} (a shallow or damaged clone?)")
    too_large = {sha: size for sha, size in sizes.items() if size > limits.MAX_DOCUMENT_BYTES}
    total = sum(size for sha, size in sizes.items() if sha not in too_large)
    if total > limits.MAX_HISTORY_BYTES:
        raise OTAError(
            f"{path}: its versions hold {total / MIB:,.0f} MiB in all, more than the {limits.MAX_HISTORY_BYTES / MIB:,.0f} MiB"
            " a history may hold (a limit of rightsindex.corpus.limits)"
        )
    return read_blobs(root, shas - set(too_large)), too_large


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("%s is not valid UTF-8; undecodable bytes replaced", where)
        return data.decode("utf-8", "replace")


def _as_utc(when: date | datetime, *, end_of_day: bool) -> datetime:
    if isinstance(when, datetime):
        return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    if isinstance(when, date):
        return datetime.combine(when, time.max if end_of_day else time.min, tzinfo=timezone.utc)
    raise TypeError(f"expected a date or datetime, got {type(when).__name__}")


def history(
    repo: str | Path,
    service: str,
    terms_type: str = "Privacy Policy",
    *,
    since: date | datetime | None = None,
    min_chars: int = 500,
) -> tuple[list[OTAVersion], list[Skipped]]:
    """Versions of ``<service>/<terms_type>.md``, oldest first, and the commits skipped.

    ``since`` (a date means 00:00 UTC that day; a naive datetime is read as UTC) keeps versions
    recorded on or after it plus the last version before it (the one in force at ``since``).
    ``min_chars``: texts shorter than this are skipped as degenerate. See the module docstring
    for the rules. Raises :class:`OTAError` when the repository or the document does not exist.
    """
    if not service or "/" in service or not terms_type or "/" in terms_type:
        raise OTAError(f"service and terms type must be non-empty names without '/': {service!r}, {terms_type!r}")
    if min_chars < 0:
        raise ValueError(f"min_chars must be >= 0, got {min_chars}")
    problem = name_problem(service, terms_type)
    if problem:
        raise OTAError(problem)
    root = open_repo(repo)
    path = f"{service}/{terms_type}.md"
    commits, undated = _log(root, path)
    if not commits and not undated:
        raise OTAError(_missing_document_message(root, repo, service, terms_type))
    blobs, too_large = _read_blobs(root, commits, path)
    return _apply_rules(commits, blobs, path, since=since, min_chars=min_chars, too_large=too_large, undated=undated)


def _apply_rules(
    commits: list[_Commit], blobs: dict[str, bytes], path: str, *, since: date | datetime | None, min_chars: int,
    too_large: dict[str, int] | None = None, undated: list[Skipped] = (),
) -> tuple[list[OTAVersion], list[Skipped]]:
    """The versions kept and the commits skipped, by the rules of the module docstring; a version
    over a document's limits (bytes, characters) is skipped and reported like the others."""
    kept: list[OTAVersion] = []
    skipped: list[Skipped] = []
    too_large = too_large or {}
    for c in commits:
        event = classify_subject(c.subject)
        if event == "unknown":
            log.warning("%s: unknown commit subject %r (%s) treated as a content change", path, c.subject, c.sha[:12])
        text = ""
        if c.blob is None:
            reason = "file deleted"
        elif event == "extraction":
            reason = "extraction-only commit"
        elif c.blob in too_large:
            reason = (f"over the {limits.MAX_DOCUMENT_BYTES / MIB:g} MiB limit of a document"
                      f" ({too_large[c.blob] / MIB:,.0f} MiB)")
        else:
            text = _decode(blobs[c.blob], f"{c.path} at {c.sha[:12]}")
            n_chars = len(text.strip())
            if len(text) > limits.MAX_DOCUMENT_CHARS:
                reason = f"over the {limits.MAX_DOCUMENT_CHARS:,}-character limit of a document ({len(text):,})"
                text = ""
            elif n_chars < min_chars:
                reason = f"degenerate: {n_chars} chars < {min_chars}"
            elif kept and kept[-1].text == text:
                reason = "identical text"
            else:
                reason = None
        if reason is None:
            kept.append(OTAVersion(c.sha, c.date, c.subject, event, c.path, text))
        else:
            skipped.append(Skipped(c.sha, c.date, c.subject, reason))

    if since is not None:
        start = _as_utc(since, end_of_day=False)
        before = [v for v in kept if v.date < start]
        kept = before[-1:] + [v for v in kept if v.date >= start]
        skipped = [s for s in skipped if s.date >= start]
    return kept, [*skipped, *undated]


def version_at(versions: list[OTAVersion], when: date | datetime) -> OTAVersion | None:
    """The last version recorded on or before ``when`` (a date means the end of that day, UTC;
    a naive datetime is read as UTC), or ``None`` when every version is later."""
    limit = _as_utc(when, end_of_day=True)
    found = None
    for v in versions:
        if v.date <= limit and (found is None or v.date >= found.date):
            found = v
    return found


def _missing_document_message(root: Path, repo: str | Path, service: str, terms_type: str) -> str:
    documents = list_documents(root)
    with_type = sorted({s for s, t in documents if t == terms_type})
    services = sorted({s for s, _ in documents})
    if with_type:
        listed = ", ".join(with_type[:_MAX_LISTED])
        if len(with_type) > _MAX_LISTED:
            listed += f", … and {len(with_type) - _MAX_LISTED} more"
        message = f"no document {service}/{terms_type}.md in {repo} (services with a {terms_type}: {listed})"
    else:
        types = sorted({t for _, t in documents})
        message = f"no document {service}/{terms_type}.md in {repo} (no service has a {terms_type}; terms types: {', '.join(types) or 'none'})"
    if service in services:
        message += f"; {service} has: {', '.join(t for s, t in documents if s == service)}"
    else:
        close = difflib.get_close_matches(service, services, n=3, cutoff=0.6)
        close += [s for s in services if s.casefold() == service.casefold() and s not in close]
        if close:
            message += f"; did you mean {' or '.join(close)}?"
    return message

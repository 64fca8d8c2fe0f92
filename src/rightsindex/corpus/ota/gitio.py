"""Git as a subprocess, for reading Open Terms Archive repositories: explicit arguments (never a
shell), no variable that would point git at another repository, logs read as a stream and
commit records parsed with their dates checked, blobs sized before they are read.

A repository is input like any other: a 542 KB bundle held a blob that expands to more than a
gigabyte, a history of 20,000 commits, 3 MB commit subjects and dates in the year 10000. Here
subjects are cut by git itself (``%<(N,trunc)``), a log longer than its limit is stopped while it is
read, and a date that is not one is reported with its commit instead of raising.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ..limits import MAX_COMMIT_SUBJECT_CHARS

__all__ = ["GitFailed", "GitMissing", "LogRecord", "TooMany", "blob_sizes", "git", "log_records", "read_blobs"]

# Variables that would point git at another repository than the one given with -C.
_GIT_LOCATION_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
)
#: one commit: sha, author date as a Unix time (empty when git cannot read it), as written, subject
LOG_FORMAT = f"--format=%x1e%H%x1f%at%x1f%ai%x1f%<({MAX_COMMIT_SUBJECT_CHARS},trunc)%s"


class GitFailed(Exception):
    def __init__(self, args: list[str], returncode: int, stderr: str):
        super().__init__(f"git {' '.join(args)} exited with {returncode}: {stderr}")
        self.returncode = returncode
        self.stderr = stderr


class GitMissing(Exception):
    """git is not installed."""


def _command(repo: Path | None, args: tuple[str, ...]) -> tuple[list[str], dict]:
    cmd = ["git"]
    if repo is not None:
        cmd += ["-C", str(repo)]
    cmd += ["-c", "core.quotePath=false", "-c", "log.showSignature=false", "-c", "color.ui=false", *args]
    env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION_VARIABLES}
    env.update(LC_ALL="C", GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", GIT_OPTIONAL_LOCKS="0", GIT_LITERAL_PATHSPECS="1")
    return cmd, env


def git(repo: Path | None, *args: str, input: bytes | None = None) -> bytes:
    """git's output (the whole of it: for commands whose output is small or already bounded)."""
    cmd, env = _command(repo, args)
    try:
        proc = subprocess.run(cmd, input=input, capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise GitMissing from None
    if proc.returncode != 0:
        raise GitFailed(list(args), proc.returncode, proc.stderr.decode("utf-8", "replace").strip())
    return proc.stdout


def _records(repo: Path, args: tuple[str, ...], separator: bytes = b"\x1e") -> Iterator[bytes]:
    """git's output cut at ``separator``, read as it comes (git is stopped when the reader stops)."""
    cmd, env = _command(repo, args)
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, env=env)
        except FileNotFoundError:
            raise GitMissing from None
        finished = False
        try:
            buffer = b""
            while True:
                chunk = proc.stdout.read(1 << 20)
                if not chunk:
                    break
                buffer += chunk
                *complete, buffer = buffer.split(separator)
                yield from complete
            if buffer:
                yield buffer
            finished = True
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.stdout.close()
            code = proc.wait()
        if finished and code != 0:
            errors.seek(0)
            raise GitFailed(list(args), code, errors.read(4000).decode("utf-8", "replace").strip())


@dataclass(frozen=True)
class LogRecord:
    sha: str
    date: datetime | None  # the author date in UTC; None when the commit's date cannot be read
    written: str  # the date as git wrote it (for the report of an unreadable one)
    subject: str
    changes: list[bytes]  # the --raw -z tokens that follow the header


def log_records(repo: Path, *args: str, limit: int, what: str) -> Iterator[LogRecord]:
    """``git log LOG_FORMAT --raw --no-abbrev -z ARGS`` as records, newest first; :class:`TooMany`
    after ``limit`` commits (git is stopped then)."""
    count = 0
    pending: _Pending | None = None
    for raw in _records(repo, ("log", LOG_FORMAT, "--raw", "--no-abbrev", "-z", *args)):
        if pending is not None and not _HEADER.match(raw):  # a subject holding the separator itself
            pending.add(raw)
            continue
        if pending is not None:
            yield _record(pending.joined())
        pending = _Pending(raw) if raw.strip(b"\0\n") else None
        if pending is not None:
            count += 1
            if count > limit:
                raise TooMany(f"{what}: more than {limit:,} commits (a limit of rightsindex.corpus.limits); too large to read")
    if pending is not None:
        yield _record(pending.joined())


class _Pending:
    """One commit's record read in pieces, when its subject holds the record separator (git's
    ``trunc`` counts display width, and a control character has none: a 3 MB subject of them comes
    out whole). The subject's pieces are kept up to a few times what is kept of a subject, so that
    such a commit costs linear time; everything from the first NUL on (the file changes) is kept."""

    _SUBJECT_BYTES = 16 * MAX_COMMIT_SUBJECT_CHARS

    def __init__(self, first: bytes):
        self.parts = [first]
        self.size = len(first)
        self.changes = b"\0" in first

    def add(self, piece: bytes) -> None:
        if not self.changes and b"\0" in piece:
            self.changes = True
        elif not self.changes and self.size > self._SUBJECT_BYTES:
            return  # more of a subject that is cut anyway
        self.parts.append(piece)
        self.size += len(piece) + 1

    def joined(self) -> bytes:
        return b"\x1e".join(self.parts)


_HEADER = re.compile(rb"[0-9a-f]{40}\x1f")


def _record(raw: bytes) -> LogRecord:
    header, _, changes = raw.partition(b"\0")
    sha, at, written, subject = (header.decode("utf-8", "replace").split("\x1f", 3) + ["", "", ""])[:4]
    subject = subject.rstrip()[:MAX_COMMIT_SUBJECT_CHARS]  # git cuts by display width: control characters have none
    return LogRecord(sha.strip(), _date(at, written), written, subject, changes.lstrip(b"\n").split(b"\0"))


class TooMany(Exception):
    """A log longer than its limit."""


_ZONE = re.compile(r"([+-])(\d\d)(\d\d)$")


def _date(at: str, written: str) -> datetime | None:
    """The author date as an aware UTC datetime; None for one that is not a date: no time, a time
    Python cannot hold (year 10000), or a time zone no place has (beyond ±14:00, +9999)."""
    zone = _ZONE.search(written.strip())
    if zone is None or int(zone.group(2)) > 14 or int(zone.group(3)) > 59:
        return None
    try:
        return datetime.fromtimestamp(int(at.strip()), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def blob_sizes(repo: Path, shas: set[str]) -> dict[str, int]:
    """The size of each blob (without reading it); a missing object is left out."""
    if not shas:
        return {}
    out = git(repo, "cat-file", "--batch-check", input=("\n".join(sorted(shas)) + "\n").encode())
    sizes = {}
    for line in out.decode("ascii", "replace").splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[1] == "blob" and parts[2].isdigit():
            sizes[parts[0]] = int(parts[2])
    return sizes


def read_blobs(repo: Path, shas: set[str]) -> dict[str, bytes]:
    """The content of each blob (the caller has checked their sizes); a missing one is left out."""
    if not shas:
        return {}
    order = sorted(shas)
    out = git(repo, "cat-file", "--batch", input=("\n".join(order) + "\n").encode())
    blobs: dict[str, bytes] = {}
    pos = 0
    for _sha in order:
        end = out.index(b"\n", pos)
        header = out[pos:end].decode("ascii", "replace").split(" ")
        if len(header) != 3 or header[1] != "blob":
            pos = end + 1  # "<sha> missing": no content follows
            continue
        size = int(header[2])
        blobs[header[0]] = out[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
    return blobs

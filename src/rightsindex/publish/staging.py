"""Where ``publish`` builds a site before it replaces the old one, and the clean-up of the copies a
killed ``publish`` left behind.

A site is built in ``.<name>.publishing-XXXX`` beside ``<name>`` and moved into place at the end;
the publication it replaces is first moved to ``.<name>.publishing-XXXX.old`` and removed once the
new one is in place. ``.<name>.publishing-XXXX.lock`` is created first and held with ``flock`` for
as long as the build lasts, so the operating system releases it when the process dies, however it
dies. A copy whose lock nobody holds is therefore left over from a killed ``publish``:
:func:`clean_stale` removes it (and a folder without its lock file, from an earlier version, once
it is an hour old), never a copy that another ``publish`` is still building.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["clean_stale", "staging_dir", "swap"]

#: a copy without a lock file (left by an earlier version) is removed once it is this old
UNLOCKED_AGE_SECONDS = 3600


def _prefix(out: Path) -> str:
    return f".{out.name}.publishing-"


@contextmanager
def staging_dir(out: Path) -> Iterator[Path]:
    """A new, empty folder beside ``out`` to build in, locked for as long as the context lasts and
    removed at its end (with the replaced publication, see :func:`swap`) unless moved into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, lock_name = tempfile.mkstemp(prefix=_prefix(out), suffix=".lock", dir=out.parent)
    lock = Path(lock_name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        tmp = lock.with_name(lock.name.removesuffix(".lock"))
        os.mkdir(tmp)
        try:
            yield tmp
        finally:
            for p in (tmp, tmp.with_name(tmp.name + ".old")):
                shutil.rmtree(p, ignore_errors=True)
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)


def swap(tmp: Path, out: Path) -> None:
    """Move the finished site ``tmp`` into place as ``out``; an earlier publication is replaced as a
    whole (moved aside to ``tmp.old`` first, and back if the move fails)."""
    if not out.exists():
        os.replace(tmp, out)
        return
    old = tmp.with_name(tmp.name + ".old")
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _unused(lock: Path) -> bool:
    """Whether no process holds ``lock`` (taking it for a moment to find out)."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return False  # its owner finished meanwhile
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def clean_stale(out: Path) -> list[Path]:
    """Remove the copies beside ``out`` that killed publications left; returns what was removed."""
    removed: list[Path] = []
    if not out.parent.is_dir():
        return removed
    prefix, legacy = _prefix(out), f".{out.name}.old-"
    now = time.time()
    for p in sorted(out.parent.iterdir()):
        if p.name.startswith(prefix) and not p.name.endswith(".lock"):
            lock = p.with_name(p.name.removesuffix(".old") + ".lock")
            stale = _unused(lock) if lock.exists() else now - p.stat().st_mtime > UNLOCKED_AGE_SECONDS
        elif p.name.startswith(legacy):  # the replaced publication of an earlier version's swap
            stale = True
        else:
            continue
        if p.name.endswith(".old") or p.name.startswith(legacy):
            # a replaced publication: while no site is in place (killed between the two moves), it
            # is the only copy of the last one, so it is kept
            stale = stale and out.exists()
        if stale:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    for lock in out.parent.glob(f"{prefix}*.lock"):
        if not lock.with_name(lock.name.removesuffix(".lock")).exists() and _unused(lock):
            lock.unlink(missing_ok=True)
            removed.append(lock)
    return removed

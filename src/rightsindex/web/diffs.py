"""Document diffs for the web app: off the request thread, bounded, cached per version pair.

Eight concurrent requests for the diff of two 1 MB versions once took ``/healthz`` and ``/login``
down (each held a database connection and a request thread for minutes). Here:

- a diff is computed by a small pool of its own (``WORKERS`` processes: it does not hold this
  server's GIL), never by the request; the request's database session is closed before it waits
  (the passages are copied first);
- a version pair is diffed once: requests for a pair being diffed wait for that diff, and the
  result (or its "too large to diff" answer) is kept for the next ones (``CACHED`` pairs);
- at most ``QUEUED`` pairs wait for the pool; past that, or when a diff does not come within
  ``WAIT_SECONDS``, the request is answered "busy" (503) at once;
- the request waits for it in the event loop (``Diffs.wait``), holding no request thread (the
  app has few: ``RIGHTSINDEX_WEB_THREADS``);
- a diff itself is bounded (``corpus.diff``: ``MAX_DIFF_CHARS``, ``MAX_DIFF_SECONDS``).

    job = diffs.start(old, new)     # inside the session: copies the passages, returns at once
    ...                             # the session is closed
    entries, counts = diffs.result(job)   # DiffTooLarge or DiffBusy
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context

from ..corpus.diff import DiffTooLarge, diff_passages
from ..corpus.limits import MAX_DIFF_SECONDS

__all__ = ["CACHED", "DiffBusy", "Diffs", "QUEUED", "WAIT_SECONDS", "WORKERS", "busy_as_503"]

WORKERS = 2
QUEUED = 8
CACHED = 32
WAIT_SECONDS = 2 * MAX_DIFF_SECONDS


class DiffBusy(RuntimeError):
    """Too many diffs in the queue, or this one did not come in time: try again later."""


@dataclass(frozen=True)
class _Passage:
    seq: int
    text: str
    heading: str


class Diffs:
    def __init__(self, workers: int = WORKERS, queued: int = QUEUED, cached: int = CACHED):
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._running: dict[tuple[int, int], Future] = {}
        self._done: OrderedDict[tuple[int, int], tuple] = OrderedDict()
        self._queued = queued
        self._cached = cached

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:  # processes of their own: a diff does not hold this server's GIL
            self._pool = ProcessPoolExecutor(max_workers=self._workers, mp_context=get_context("spawn"))
        return self._pool

    def start(self, old, new) -> Future:
        """The diff of two versions (ORM objects, read now in the caller's session), as a future."""
        key = (old.id, new.id)
        with self._lock:
            hit = self._done.get(key)
            if hit is not None:
                self._done.move_to_end(key)
                return _resolved(hit)
            running = self._running.get(key)
            if running is not None:
                return running
            if len(self._running) >= self._queued:
                raise DiffBusy(f"{len(self._running)} diffs are being computed; try again in a minute")
        old_p, new_p = _snapshot(old), _snapshot(new)
        with self._lock:
            running = self._running.get(key)  # another request may have started it meanwhile
            if running is None:
                try:
                    running = self._executor().submit(_diff_task, old_p, new_p)
                except BrokenProcessPool:
                    self._pool = None
                    raise DiffBusy("the diff workers were restarted; try again") from None
                self._running[key] = running
                running.add_done_callback(lambda f, key=key: self._finished(key, f))
                _behind_requests(getattr(self._pool, "_processes", None) or {})
            return running

    def _finished(self, key, future: Future) -> None:
        with self._lock:
            self._running.pop(key, None)
            if future.cancelled() or future.exception() is not None:
                if isinstance(future.exception(), BrokenProcessPool):
                    self._pool = None
                return
            self._done[key] = future.result()
            while len(self._done) > self._cached:
                self._done.popitem(last=False)

    async def wait(self, job: Future) -> tuple[list[dict], dict[str, int]]:
        """:meth:`result` for the event loop: waiting holds no request thread."""
        import asyncio

        try:
            value = await asyncio.wait_for(asyncio.wrap_future(job), WAIT_SECONDS)
        except asyncio.TimeoutError:
            raise DiffBusy("the diff is still being computed; try again in a minute") from None
        except BrokenProcessPool:
            raise DiffBusy("a diff worker stopped; try again") from None
        return _value(value)

    def result(self, job: Future) -> tuple[list[dict], dict[str, int]]:
        """(entries as plain data, counts); :class:`DiffTooLarge`, or :class:`DiffBusy` when it does
        not come within ``WAIT_SECONDS``."""
        try:
            value = job.result(timeout=WAIT_SECONDS)
        except FutureTimeout:
            raise DiffBusy("the diff is still being computed; try again in a minute") from None
        except BrokenProcessPool:
            raise DiffBusy("a diff worker stopped; try again") from None
        return _value(value)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


def _snapshot(version) -> list[_Passage]:
    """A version's passages as plain data, read in its session with one light query (no ORM
    objects: eight requests loading thousands of them at once held the server's GIL for seconds)."""
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from ..store.models import Passage

    session = object_session(version)
    if session is None:
        return [_Passage(p.seq, p.text, p.heading) for p in version.passages]
    rows = session.execute(
        select(Passage.seq, Passage.text, Passage.heading).where(Passage.version_id == version.id).order_by(Passage.seq)
    )
    return [_Passage(seq, text, heading) for seq, text, heading in rows]


_reniced: set[int] = set()


def _behind_requests(processes: dict) -> None:
    """Diff workers yield the CPU to the server's requests (10 steps nicer than the server), from
    their start: importing the package takes them seconds of CPU."""
    import os

    for process in list(processes.values()):
        pid = getattr(process, "pid", None)
        if pid is None or pid in _reniced:
            continue
        try:
            os.setpriority(os.PRIO_PROCESS, pid, min(os.getpriority(os.PRIO_PROCESS, 0) + 10, 19))
            _reniced.add(pid)
        except OSError:
            pass


def _diff_task(old_p: list[_Passage], new_p: list[_Passage]) -> tuple:
    """In a diff worker: ("ok", entries as plain data, counts) or ("too large", why)."""
    try:
        entries = diff_passages(old_p, new_p)
    except DiffTooLarge as exc:
        return ("too large", str(exc))
    plain = [
        {
            "status": e.status, "heading": e.heading,
            "old": e.old.text if e.old else None, "new": e.new.text if e.new else None,
            "old_seq": e.old.seq if e.old else None, "new_seq": e.new.seq if e.new else None,
            "inline": [(op, t) for op, t in e.inline],
        }
        for e in entries
    ]
    counts = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
    for e in entries:
        counts[e.status] += 1
    return ("ok", plain, counts)


def busy_as_503(wait):
    """``Diffs.wait`` with :class:`DiffBusy` answered as HTTP 503 (Retry-After: 30)."""
    from starlette.exceptions import HTTPException

    async def wrapped(job: Future):
        try:
            return await wait(job)
        except DiffBusy as exc:
            raise HTTPException(503, f"busy: {exc}", headers={"Retry-After": "30"}) from None

    return wrapped


def _value(value: tuple) -> tuple[list[dict], dict[str, int]]:
    if value[0] == "too large":
        raise DiffTooLarge(value[1])
    return value[1], value[2]


def _resolved(value) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f

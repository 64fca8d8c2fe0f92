"""Short write transactions that survive a busy database.

SQLite lets one writer at a time hold its write lock; others wait up to the busy timeout (30 s)
and then fail with "database is locked". PostgreSQL may abort a transaction as a deadlock or
serialization failure, and a connection can drop. Each of those is *transient*: running the same
transaction again later succeeds. :func:`write` runs a transaction function with retries and
exponential backoff (with jitter), so parallel workers and a concurrent web app never crash on a
busy store.

A transaction function must be safe to run again from the start: it reads what it needs inside
the transaction and decides from that (``conflicts=True`` also retries unique-constraint
violations, for functions that then find the row another writer added and use it).
"""

from __future__ import annotations

import logging
import random
import time
from typing import Callable, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

__all__ = ["StoreBusyError", "is_transient", "write"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
# PostgreSQL SQLSTATEs worth retrying: serialization failure, deadlock, lock timeout, too many
# connections, cannot connect now (server starting or shutting down)
_PG_RETRY = {"40001", "40P01", "55P03", "53300", "57P03"}


class StoreBusyError(RuntimeError):
    """The database stayed busy through every retry."""


def is_transient(exc: BaseException) -> bool:
    """True for errors that running the same transaction again may not meet."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        msg = str(exc.orig).lower()
        if any(m in msg for m in _SQLITE_BUSY):
            return True
        if getattr(exc.orig, "sqlstate", None) in _PG_RETRY:
            return True
    return False


def write(
    store,
    fn: Callable[[Session], T],
    *,
    attempts: int = 10,
    conflicts: bool = False,
    base_delay: float = 0.1,
    max_delay: float = 10.0,
    what: str = "write",
) -> T:
    """Run ``fn(session)`` in one transaction of ``store``; retry transient failures.

    Waits ``base_delay * 2**n`` seconds (capped at ``max_delay``, ±50 % jitter) between attempts.
    Raises :class:`StoreBusyError` when every attempt met a transient error; any other error is
    raised at once (the transaction is rolled back, nothing is half-written).
    """
    for attempt in range(1, attempts + 1):
        try:
            with store.session() as s:
                return fn(s)
        except (OperationalError, IntegrityError, DBAPIError) as exc:
            retry = is_transient(exc) or (conflicts and isinstance(exc, IntegrityError))
            if not retry:
                raise
            if attempt == attempts:
                raise StoreBusyError(
                    f"database busy: {what} failed {attempts} times ({str(getattr(exc, 'orig', exc)).splitlines()[0]})"
                ) from exc
            delay = min(max_delay, base_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
            log.info("%s: %s; retrying in %.1f s (attempt %d of %d)", what, str(getattr(exc, "orig", exc)).splitlines()[0], delay, attempt + 1, attempts)
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover

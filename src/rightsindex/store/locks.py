"""One ``assess`` at a time per database.

Two runs of ``assess`` on one database would ingest, grade and write the same rows at once. The
second run therefore waits for the first to finish (or, with ``wait=False``, stops at once); the
message names the run that holds the database.

The lock is released by the operating system or the server when its holder dies, so a killed run
never leaves the database locked:

- **PostgreSQL**: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of
  its own, held for the run; the holder is found in ``pg_locks`` / ``pg_stat_activity`` (the
  connection's ``application_name`` names it).
- **SQLite**: ``flock`` on a file next to the database (``<database>.assess.lock``) holding a line
  that names the holder. SQLite databases are local files, so a file lock reaches every process
  that can write the database.
"""

from __future__ import annotations

import json
import os
import socket
import time
import zlib
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import text
from sqlalchemy.engine import Engine

__all__ = ["DatabaseBusyError", "exclusive_run"]

# first key of our advisory locks ("ri" in ASCII); the second is the lock name's CRC-32
_PG_NAMESPACE = 0x7269


class DatabaseBusyError(RuntimeError):
    """Another run holds the database (raised with ``wait=False`` or after ``timeout``)."""


def _holder_line(name: str, label: str) -> dict:
    return {
        "run": name,
        "what": label,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def describe_holder(info: dict | None) -> str:
    if not info:
        return "another run"
    what = info.get("what") or f"rightsindex {info.get('run', '')}".strip()
    where = f"pid {info['pid']} on {info['host']}" if info.get("pid") and info.get("host") else info.get("client", "")
    since = info.get("since", "")
    if since:
        since = since.replace("T", " ").replace("+00:00", " UTC")
    parts = [p for p in (where, f"since {since}" if since else "") if p]
    return f"{what} ({', '.join(parts)})" if parts else what


@contextmanager
def exclusive_run(
    engine: Engine,
    name: str = "assess",
    *,
    label: str = "",
    wait: bool = True,
    timeout: float | None = None,
    poll: float = 1.0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the database's ``name`` lock for the ``with`` block.

    When another process holds it: with ``wait`` (default) call ``on_wait(description)`` once
    and wait, polling every ``poll`` seconds, up to ``timeout`` seconds (None: for ever);
    otherwise raise :class:`DatabaseBusyError` naming the holder.
    """
    label = label or f"rightsindex {name}"
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        cm = _pg_lock(engine, name, label)
    elif backend == "sqlite":
        cm = _file_lock(engine, name, label)
    else:  # pragma: no cover - Store refuses other databases
        raise ValueError(f"no run lock for {backend}")
    with cm as try_acquire:
        started = time.monotonic()
        told = False
        while True:
            holder = try_acquire()
            if holder is None:
                break
            message = f"{describe_holder(holder)} is running on this database"
            if not wait:
                raise DatabaseBusyError(f"{message}; try again when it has finished")
            if timeout is not None and time.monotonic() - started > timeout:
                raise DatabaseBusyError(f"{message}; gave up waiting after {timeout:.0f} s")
            if not told and on_wait is not None:
                on_wait(message)
                told = True
            time.sleep(poll)
        yield


# -- SQLite: a file lock ------------------------------------------------------------------------


def lock_path(engine: Engine, name: str = "assess") -> Path | None:
    db = engine.url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db).expanduser().resolve().with_name(Path(db).name + f".{name}.lock")


@contextmanager
def _file_lock(engine: Engine, name: str, label: str):
    import fcntl

    path = lock_path(engine, name)
    if path is None:  # an in-memory database belongs to one process
        yield lambda: None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    held = False

    def try_acquire() -> dict | None:
        nonlocal held
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                return json.loads(path.read_text("utf-8") or "{}") or {}
            except (OSError, ValueError):
                return {}
        held = True
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(_holder_line(name, label)) + "\n").encode(), 0)
        return None

    try:
        yield try_acquire
    finally:
        if held:
            try:
                os.ftruncate(fd, 0)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


# -- PostgreSQL: an advisory lock ---------------------------------------------------------------


@contextmanager
def _pg_lock(engine: Engine, name: str, label: str):
    key = zlib.crc32(name.encode()) & 0x7FFFFFFF
    info = _holder_line(name, label)
    app = f"{label} pid {info['pid']} on {info['host']}"[:63]
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    held = False

    def try_acquire() -> dict | None:
        nonlocal held
        if conn.scalar(text("SELECT pg_try_advisory_lock(:ns, :key)"), {"ns": _PG_NAMESPACE, "key": key}):
            held = True
            conn.execute(text("SELECT set_config('application_name', :app, false)"), {"app": app})
            return None
        row = conn.execute(
            text(
                "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l"
                " JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.classid = :ns AND l.objid = :key AND l.granted LIMIT 1"
            ),
            {"ns": _PG_NAMESPACE, "key": key},
        ).first()
        if row is None:
            return {}
        holder: dict = {"run": name, "what": row[0] or f"rightsindex {name}"}
        if row[1] is not None:
            holder["client"] = f"from {row[1]}"
        if row[2] is not None:
            holder["since"] = row[2].astimezone(timezone.utc).isoformat(timespec="seconds")
        return holder

    try:
        yield try_acquire
    finally:
        try:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), {"ns": _PG_NAMESPACE, "key": key})
                conn.execute(text("RESET application_name"))
        finally:
            conn.close()

"""What a task uses on its worker: objects opened once per process and shared by the tasks it
runs — the store at a URL (``task_store``), the fetcher of ``corpus.fetch`` (``task_fetcher``).

A task (see ``run.runner``) gets the database URL as plain data and opens the store here, so a
worker process holds one engine per database however many tasks it runs.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Hashable

from .database import Store

__all__ = ["per_process", "release_task_resources", "task_store"]

_lock = threading.Lock()
_objects: dict[tuple[str, Hashable], Any] = {}


def per_process(kind: str, key: Hashable, make: Callable[[], Any]) -> Any:
    """The object of ``kind`` for ``key`` in this process, made by ``make()`` the first time."""
    with _lock:
        obj = _objects.get((kind, key))
        if obj is None:
            obj = _objects[(kind, key)] = make()
        return obj


def release_task_resources() -> None:
    """Close every object tasks opened in this process (stores, fetchers)."""
    with _lock:
        for obj in _objects.values():
            obj.close()
        _objects.clear()


def task_store(url: str) -> Store:
    """The store at ``url``, opened once per process (migrations are checked at the first open)."""
    return per_process("store", url, lambda: Store.open(url))

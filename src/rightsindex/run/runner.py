"""Where the tasks of a run execute: in this process, on a Dask LocalCluster, or on an existing
Dask cluster.

``run.assessment.assess`` (and the bulk commands) hand their work to a runner as independent tasks —
one per document to ingest, one per document version to embed, one per company to grade, one per
company to publish — and read the results back as they complete::

    with open_runner(workers=2) as runner:                      # LocalCluster, 2 processes
    with open_runner(scheduler="tcp://10.0.0.5:8786") as runner:  # a cluster started with `dask scheduler`
    with open_runner() as runner:                                # serial, in this process
        for result in runner.map(task, [(arg1, arg2), ...], name="grade"): ...

A task is a module-level function of this package; its arguments are plain data (specs, bytes,
ids) and the database URL. Workers need only the installed package and that URL: they open the
store once per process (``store.tasks.task_store``) and fetch with a fetcher of their own
(``corpus.fetch.task_fetcher``). The store is the only shared state, and every task is idempotent (it
checks the store before it writes, and writes in one short transaction), so a task that runs
twice — a worker killed mid-task, a result lost with its worker — writes its rows once.

The existing cluster comes from ``scheduler`` or, when that is not given and ``workers`` is 1,
from ``DASK_SCHEDULER_ADDRESS`` (Dask's own variable). Before any work is sent, the workers are
checked: they must import this package at the same version with the same models, and reach a
SQLite database file if one is used.
"""

from __future__ import annotations

import os
import resource
import socket
import time
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from ..store.tasks import release_task_resources

__all__ = [
    "DaskRunner",
    "RunnerError",
    "SerialRunner",
    "open_runner",
    "release_task_resources",
    "scheduler_address",
]

#: One thread per worker process: the models and BLAS would otherwise each start a thread per core.
WORKER_ENV = {"RIGHTSINDEX_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class RunnerError(RuntimeError):
    """The cluster cannot be used (unreachable, no workers, workers unlike this client)."""


def scheduler_address(option: str | None = None, workers: int = 1) -> str | None:
    """The Dask scheduler to use: ``option``, else ``$DASK_SCHEDULER_ADDRESS`` unless ``workers``
    asks for a LocalCluster; None for a local run."""
    if option:
        return option
    if workers <= 1:
        return os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    return None



def peak_rss() -> int:
    """Peak resident memory of this process, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker_info(store_url: str | None = None) -> dict:
    """What the client checks on each worker before sending work."""
    from .. import __version__
    from ..evidence.versioning import model_version

    info = {"rightsindex": __version__, "model": model_version(), "host": socket.gethostname(), "pid": os.getpid()}
    sqlite = _sqlite_file(store_url)
    if sqlite is not None:
        info["sqlite_reachable"] = os.path.exists(sqlite)
    return info


def _sqlite_file(store_url: str | None) -> str | None:
    if not store_url:
        return None
    from sqlalchemy.engine import make_url

    u = make_url(store_url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return u.database


# -- runners --------------------------------------------------------------------------------------


class _Stats:
    """Per map ``name``: tasks, wall seconds of the map, and (serial runs) seconds inside tasks
    and the longest task — the inputs of the scaling model in benchmarks/scale.py."""

    def __init__(self) -> None:
        self.stats: dict[str, dict[str, float]] = {}

    def _stat(self, name: str) -> dict[str, float]:
        return self.stats.setdefault(name, {"tasks": 0, "wall": 0.0, "task_seconds": 0.0, "longest": 0.0})


class SerialRunner(_Stats):
    """Runs each task here, one after the other (the same task functions as on a cluster)."""

    workers = 1
    description = "serial, in this process"

    def map(self, fn: Callable, items: Iterable[tuple], *, name: str = "task") -> Iterator[Any]:
        st = self._stat(name)
        t_start = time.perf_counter()
        try:
            for args in items:
                t0 = time.perf_counter()
                result = fn(*args)
                took = time.perf_counter() - t0
                st["tasks"] += 1
                st["task_seconds"] += took
                st["longest"] = max(st["longest"], took)
                yield result
        finally:
            st["wall"] += time.perf_counter() - t_start

    def peak_memory(self) -> dict[str, int]:
        return {"local": peak_rss()}

    def close(self) -> None:
        release_task_resources()


class DaskRunner(_Stats):
    """Sends each task to a Dask cluster and yields results as they complete."""

    def __init__(self, client, cluster=None, description: str = ""):
        super().__init__()
        self.client = client
        self.cluster = cluster
        self.description = description

    @property
    def workers(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def map(self, fn: Callable, items: Iterable[tuple], *, name: str = "task", window: int | None = None) -> Iterator[Any]:
        """Results of ``fn(*args)`` for each item, in completion order.

        At most ``window`` tasks are in flight (default: 4 per worker thread plus 8), so a long
        list (and the bytes its tasks carry) is not held by the scheduler all at once. A task whose
        worker dies is run again on another worker by the scheduler.
        """
        from distributed import as_completed

        window = window or 4 * self.workers + 8
        pending = iter(items)
        queue = as_completed()
        run = uuid.uuid4().hex[:8]
        count = 0
        in_flight: set = set()

        def submit_next() -> bool:
            nonlocal count
            try:
                args = next(pending)
            except StopIteration:
                return False
            fut = self.client.submit(fn, *args, key=f"{name}-{run}-{count}", pure=False)
            count += 1
            in_flight.add(fut)
            queue.add(fut)
            return True

        st = self._stat(name)
        t_start = time.perf_counter()
        try:
            for _ in range(window):
                if not submit_next():
                    break
            for fut in queue:
                result = fut.result()
                in_flight.discard(fut)
                fut.release()  # the worker may forget the result: it is ours now
                submit_next()
                st["tasks"] += 1
                yield result
        finally:
            st["wall"] += time.perf_counter() - t_start
            if in_flight:
                self.client.cancel(list(in_flight))

    def peak_memory(self) -> dict[str, int]:
        return self.client.run(peak_rss)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


@contextmanager
def open_runner(
    workers: int = 1,
    scheduler: str | None = None,
    *,
    store_url: str | None = None,
    connect_timeout: float = 20.0,
    worker_timeout: float = 120.0,
) -> Iterator[SerialRunner | DaskRunner]:
    """A runner for ``workers`` local processes, or the cluster at ``scheduler`` (see
    :func:`scheduler_address`), or this process. ``store_url``: checked to be reachable (SQLite
    files) from every worker of an existing cluster."""
    address = scheduler_address(scheduler, workers)
    if address is None and workers <= 1:
        runner: SerialRunner | DaskRunner = SerialRunner()
        try:
            yield runner
        finally:
            runner.close()
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency
        raise RunnerError(f"parallel runs need dask[distributed]: {exc}") from None
    cluster = None
    if address is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, env=dict(WORKER_ENV)
        )
        client = Client(cluster)
        runner = DaskRunner(client, cluster, f"Dask LocalCluster, {workers} worker processes")
    else:
        try:
            client = Client(address, timeout=f"{connect_timeout}s")
        except (OSError, TimeoutError) as exc:
            raise RunnerError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        runner = DaskRunner(client, None, f"Dask cluster at {address}")
        try:
            _check_cluster(client, address, store_url, worker_timeout)
        except BaseException:
            client.close()
            raise
        runner.description += f", {runner.workers} worker threads"
    try:
        yield runner
    finally:
        runner.close()


def _check_cluster(client, address: str, store_url: str | None, timeout: float) -> None:
    from .. import __version__
    from ..evidence.versioning import model_version

    try:
        client.wait_for_workers(1, timeout=timeout)
    except (TimeoutError, OSError):
        raise RunnerError(
            f"no Dask worker joined the scheduler at {address} within {timeout:.0f} s"
            f" (start one with: dask worker {address} --nthreads 1)"
        ) from None
    try:
        infos = client.run(worker_info, store_url)
    except Exception as exc:  # noqa: BLE001 - whatever a worker raised, say which and why
        raise RunnerError(
            f"a Dask worker at {address} cannot run rightsindex tasks ({type(exc).__name__}: {exc});"
            f" install rightsindex {__version__} on every worker"
        ) from None
    model = model_version()
    for addr, info in sorted(infos.items()):
        if info["rightsindex"] != __version__ or info["model"] != model:
            raise RunnerError(
                f"worker {addr} runs rightsindex {info['rightsindex']} with model {info['model']};"
                f" this client runs {__version__} with model {model}: install the same version everywhere"
            )
        if info.get("sqlite_reachable") is False:
            raise RunnerError(
                f"worker {addr} (host {info['host']}) cannot reach the SQLite database {_sqlite_file(store_url)};"
                " use a database every worker can reach (--db postgresql+psycopg://…)"
            )

"""`assess` on an existing Dask cluster with PostgreSQL (issue 12): a `dask scheduler` and two
`dask worker` processes on 127.0.0.1, started with Dask's own command line as the README's
deployment notes say, give element scores identical to the serial SQLite run — also when a
worker is killed in the middle of the run.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from rightsindex.run import assess

from .conftest import ROOT, example_subset, run_cli
from .test_assess import rows_of

EXAMPLE = ROOT / "examples" / "corpus-2026"
COMPANIES = ("Apple", "Baidu", "Amazon")  # English and Chinese policies, 3 + 2 + 4 documents
WORKER_ENV = {"RIGHTSINDEX_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

pytestmark = pytest.mark.slow  # a Dask cluster per test: runs in CI (CI=true) or with RIGHTSINDEX_SLOW=1


def dask_cli() -> list[str]:
    exe = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if exe is None:
        pytest.skip("the dask command line is not installed")
    return [exe]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """`dask scheduler` and `dask worker` processes, as an operator starts them."""

    def __init__(self, tmp: Path, workers: int = 2):
        self.tmp = tmp
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        env = {**os.environ, **WORKER_ENV}
        self.procs.append(self._start([*dask_cli(), "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"], env, "scheduler"))
        for i in range(workers):
            self.procs.append(self._start(
                [*dask_cli(), "worker", self.address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                 "--name", f"w{i + 1}", "--local-directory", str(tmp / f"w{i + 1}")],
                env, f"worker{i + 1}",
            ))
        from distributed import Client

        deadline = time.monotonic() + 120
        while True:
            try:
                self.client = Client(self.address, timeout="5s")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.client.wait_for_workers(workers, timeout=120)

    def _start(self, cmd, env, name) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "wb")
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.tmp)

    def worker_pids(self) -> dict[str, int]:
        return self.client.run(os.getpid)

    def stop(self) -> None:
        try:
            self.client.close()
        finally:
            for p in reversed(self.procs):
                p.send_signal(signal.SIGTERM)
            for p in self.procs:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> Path:
    """Three companies of the example corpus (a smaller real manifest, for CI's two cores)."""
    return example_subset(tmp_path_factory.mktemp("cluster-corpus"), COMPANIES)


@pytest.fixture(scope="module")
def serial(manifest, tmp_path_factory) -> list[dict]:
    """The reference: the serial run on SQLite, in this process."""
    out = tmp_path_factory.mktemp("serial")
    result = assess(manifest, out)
    assert set(result.companies) == set(COMPANIES)
    return rows_of(result.files["element-scores.csv"])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres):
    c = Cluster(tmp_path_factory.mktemp("dask"))
    yield c
    c.stop()


def pg_database(postgres, name: str) -> str:
    if postgres is None:  # RIGHTSINDEX_TEST_PG_URL: a server of the environment
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(os.environ["RIGHTSINDEX_TEST_PG_URL"])
        with psycopg.connect(u.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return u.set(database=name).render_as_string(hide_password=False)
    return postgres.new_database(name)


def scores(rows: list[dict]) -> dict:
    return {(r["Company"], r["Service"], r["Element"]): (r["Result"], r["Score"]) for r in rows}


def test_assess_on_an_existing_cluster_equals_the_serial_run(manifest, serial, cluster, postgres, tmp_path):
    db = pg_database(postgres, "cluster_run")
    res = run_cli("assess", manifest, "--out", tmp_path / "out", "--scheduler", cluster.address, "--db", db, timeout=1800)
    assert res.returncode == 0, res.stderr
    assert f"running on Dask cluster at {cluster.address}, 2 worker threads" in res.stderr
    rows = rows_of(tmp_path / "out" / "element-scores.csv")
    assert len(rows) == len(serial)
    assert scores(rows) == scores(serial)
    assert rows == serial  # evidence, confidence and comments too
    # the workers did the work: each ran tasks (the logs of `dask worker` are quiet otherwise)
    executed = cluster.client.run(lambda dask_worker: len(dask_worker.state.log), )
    assert all(n > 0 for n in executed.values())


def test_a_worker_killed_mid_run_does_not_change_the_result(manifest, serial, cluster, postgres, tmp_path):
    db = pg_database(postgres, "cluster_kill")
    killed: list[int] = []

    def kill_a_grading_worker(kind, data):
        if kind != "company" or killed:
            return
        pids = cluster.worker_pids()
        for _ in range(100):
            busy = [w for w, keys in cluster.client.processing().items() if any(str(k).startswith("grade-") for k in keys)]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)  # the worker process; its nanny starts a new one
                killed.append(pids[busy[0]])
                return
            time.sleep(0.05)

    result = assess(manifest, tmp_path / "out", db=db, scheduler=cluster.address, on_event=kill_a_grading_worker)
    assert killed, "no grading task was running to kill"
    rows = rows_of(result.files["element-scores.csv"])
    assert scores(rows) == scores(serial)
    assert rows == serial
    from rightsindex.store import Store
    from rightsindex.store.models import CompanyRun, Judgment
    from sqlalchemy import func, select

    store = Store.open(db)
    with store.session() as s:  # nothing stored twice
        assert s.scalar(select(func.count()).select_from(CompanyRun)) == len(COMPANIES)
        assert s.scalar(select(func.count()).select_from(Judgment)) == len(rows)
    store.close()
    cluster.client.wait_for_workers(2, timeout=120)  # the nanny brought the worker back


def test_the_scheduler_comes_from_dask_scheduler_address(cluster, postgres, tmp_path):
    """Dask's own variable works like --scheduler; an unreachable scheduler is one clear line."""
    mpath = tmp_path / "manifest.yaml"
    raw = yaml.safe_load((EXAMPLE / "manifest.yaml").read_text("utf-8"))
    apple = next(c for c in raw["companies"] if c["id"] == "Apple")
    apple["documents"] = [d for d in apple["documents"] if "human-rights" in d["path"]]
    raw["companies"] = [apple]
    for d in apple["documents"]:
        (tmp_path / d["path"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EXAMPLE / d["path"], tmp_path / d["path"])
    mpath.write_text(yaml.safe_dump(raw), "utf-8")
    db = pg_database(postgres, "cluster_env")
    res = run_cli("assess", mpath, "--out", tmp_path / "out", "--db", db, env={"DASK_SCHEDULER_ADDRESS": cluster.address}, timeout=900)
    assert res.returncode == 0, res.stderr
    assert f"running on Dask cluster at {cluster.address}" in res.stderr
    bad = run_cli("assess", mpath, "--out", tmp_path / "bad", "--db", db, "--scheduler", f"tcp://127.0.0.1:{free_port()}", timeout=300)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:" in " ".join(bad.stderr.split())

"""Several writers on one database: slow ingestion next to other writes, processes opening a
fresh database at once, two `assess` runs, a busy database (issue 13 items 4 and 10, issue 12)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from rightsindex.corpus import ingest as ingest_mod
from rightsindex.corpus.ingest import ingest_manifest
from rightsindex.corpus.manifest import load_manifest
from rightsindex.review import add_user
from rightsindex.store import Store
from rightsindex.store.models import Document, Version
from rightsindex.web import create_app

from .test_assess import make_manifest, rows_of
from .test_corpus_store import small_manifest
from .test_web import login
from .webdata import PASSWORD


def slow_extraction(monkeypatch, seconds: float):
    """Make every extraction wait (up to ``seconds``) until the test releases it; returns
    (started, release) events. The extraction itself is the real one (bounded: a child process
    for PDF and HTML)."""
    started, release = threading.Event(), threading.Event()
    real = ingest_mod.extract_bounded

    def extract(*args, **kwargs):
        started.set()
        release.wait(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_mod, "extract_bounded", extract)
    return started, release


def test_a_small_write_during_a_slow_extraction_is_not_locked_out(tmp_path, monkeypatch):
    """Issue 13.4: ingestion must not hold SQLite's write lock while it extracts a document."""
    db = tmp_path / "db.sqlite"
    store = Store.open(f"sqlite:///{db}")
    manifest = load_manifest(small_manifest(tmp_path, companies=("Apple",)))
    started, release = slow_extraction(monkeypatch, 20)
    worker = threading.Thread(target=ingest_manifest, args=(store, manifest))
    worker.start()
    try:
        assert started.wait(20), "the ingest never reached extraction"
        con = sqlite3.connect(db, timeout=2)  # another client's small write, waiting 2 s at most
        try:
            con.execute("INSERT INTO app_setting(key, value) VALUES ('probe', 'written during an ingest')")
            con.commit()
        finally:
            con.close()
    finally:
        release.set()
        worker.join(60)
    with store.session() as s:  # and the ingest itself recorded the new versions
        assert s.scalar(select(func.count()).select_from(Version)) == len(manifest.companies[0].documents)
    store.close()


def test_a_web_sign_in_during_a_slow_ingest_succeeds(tmp_path, monkeypatch):
    """Issue 13.4 as a user meets it: signing in to the web app while `corpus add` extracts."""
    monkeypatch.delenv("RIGHTSINDEX_SECRET", raising=False)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = Store.open(url)
    add_user(store, "alice", "analyst", PASSWORD)
    client = TestClient(create_app(url))
    client.get("/login")  # the app has started (its own writes, e.g. the session secret, are done)
    manifest = load_manifest(small_manifest(tmp_path, companies=("Apple",)))
    started, release = slow_extraction(monkeypatch, 45)  # longer than SQLite's 30 s busy timeout
    worker = threading.Thread(target=ingest_manifest, args=(store, manifest))
    worker.start()
    try:
        assert started.wait(20)
        t0 = time.monotonic()
        login(client, "alice")
        assert time.monotonic() - t0 < 10
    finally:
        release.set()
        worker.join(90)
    store.close()


def _open_at(url: str, start: float) -> str:
    while time.time() < start:
        pass
    try:
        Store.open(url).close()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - reported to the test
        return f"{type(exc).__name__}: {exc}"


def test_processes_opening_a_fresh_database_at_once_all_succeed(db_url):
    """Issue 13.10: a fresh database opened by several processes at the same moment (two
    `assess` runs started together) is migrated once; no "table … already exists"."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(6) as pool:
        start = time.time() + 4  # every process has imported the package by then
        outcomes = pool.starmap(_open_at, [(db_url, start)] * 6)
    assert outcomes == ["ok"] * 6
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def _assess_cmd(mpath, out, db, *extra):
    return [sys.executable, "-m", "rightsindex", "assess", str(mpath), "--out", str(out), "--db", db, *extra]


def _wait_for_assessment(db_path, proc, timeout=300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            con = sqlite3.connect(db_path, timeout=1)
            try:
                if con.execute("SELECT count(*) FROM assessment").fetchone()[0]:
                    return
            finally:
                con.close()
        except sqlite3.OperationalError:
            pass
        time.sleep(0.2)
    raise AssertionError("the first run never created its assessment")


@pytest.fixture
def two_companies(tmp_path):
    mpath = make_manifest(tmp_path, {"docs/a.md": "Apple/apple-human-rights-policy.md"})
    raw = yaml.safe_load(mpath.read_text("utf-8"))
    raw["companies"].append(dict(raw["companies"][0], id="AppleTwo", name="Apple two"))
    raw["companies"].append(dict(raw["companies"][0], id="AppleThree", name="Apple three"))
    mpath.write_text(yaml.safe_dump(raw), "utf-8")
    return mpath


ENV = {**os.environ, "PYTHONUTF8": "1", "COLUMNS": "120"}


@pytest.mark.slow
def test_a_second_assess_on_the_database_waits_and_gives_the_same_result(tmp_path, two_companies):
    """Issue 13.10: the second run started while the first grades waits for it (saying so), then
    finds the work done; no traceback, no IntegrityError, one set of results."""
    db_path = tmp_path / "shared.sqlite"
    db = f"sqlite:///{db_path}"
    first = subprocess.Popen(_assess_cmd(two_companies, tmp_path / "a", db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        _wait_for_assessment(db_path, first)
        second = subprocess.run(_assess_cmd(two_companies, tmp_path / "b", db), capture_output=True, text=True, env=ENV, timeout=900)
        out1, err1 = first.communicate(timeout=900)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err1
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in err1 + second.stderr
    assert "waiting: rightsindex assess manifest.yaml (pid" in " ".join(second.stderr.split())
    assert second.stderr.count("resumed") == 3
    assert rows_of(tmp_path / "a" / "element-scores.csv") == rows_of(tmp_path / "b" / "element-scores.csv")
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT count(*) FROM assessment").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM company_run").fetchone()[0] == 3
    con.close()


def test_a_second_assess_with_no_wait_stops_at_once_with_one_line(tmp_path, two_companies):
    db_path = tmp_path / "shared.sqlite"
    db = f"sqlite:///{db_path}"
    first = subprocess.Popen(_assess_cmd(two_companies, tmp_path / "a", db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # stoppable by SIGINT even from a background job
    try:
        _wait_for_assessment(db_path, first)
        t0 = time.monotonic()
        second = subprocess.run(_assess_cmd(two_companies, tmp_path / "b", db, "--no-wait"), capture_output=True, text=True, env=ENV, timeout=300)
        took = time.monotonic() - t0
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=120)
    assert second.returncode != 0
    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, second.stderr
    assert lines[0].startswith("error: rightsindex assess manifest.yaml (pid ") and "is running on this database" in lines[0]
    assert not (tmp_path / "b" / "element-scores.csv").exists()
    assert took < 60


def test_the_run_lock_names_its_holder_and_is_released_with_it(db_url):
    from rightsindex.store.locks import DatabaseBusyError, exclusive_run

    store = Store.open(db_url)
    waited: list[str] = []
    with exclusive_run(store.engine, "assess", label="rightsindex assess first.yaml"):
        with pytest.raises(DatabaseBusyError, match="rightsindex assess first.yaml .*is running on this database"):
            with exclusive_run(store.engine, "assess", wait=False):
                pass
        with pytest.raises(DatabaseBusyError, match="gave up waiting"):
            with exclusive_run(store.engine, "assess", timeout=0.5, poll=0.1, on_wait=waited.append):
                pass
    assert len(waited) == 1 and "first.yaml" in waited[0]
    with exclusive_run(store.engine, "assess", wait=False):  # free again
        pass
    store.close()


def test_a_write_waits_out_a_busy_database_instead_of_failing(tmp_path):
    """SQLite busy beyond the busy timeout: ``Store.write`` retries with backoff and succeeds."""
    from rightsindex.store.retry import StoreBusyError

    db = tmp_path / "busy.sqlite"
    Store.open(f"sqlite:///{db}").close()
    engine = create_engine(f"sqlite:///{db}", connect_args={"timeout": 0.2})  # a 0.2 s busy timeout, not 30 s
    store = Store(engine)
    blocker = sqlite3.connect(db, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # another client holds the write lock for 1.5 s

    def release():
        time.sleep(1.5)
        blocker.rollback()

    threading.Thread(target=release).start()
    with pytest.raises(Exception, match="database is locked"):  # a plain transaction gives up
        with store.session() as s:
            s.execute(text("INSERT INTO app_setting(key, value) VALUES ('a', 'b')"))
    store.write(lambda s: s.execute(text("INSERT INTO app_setting(key, value) VALUES ('a', 'b')")))
    with store.session() as s:
        assert s.execute(text("SELECT value FROM app_setting WHERE key = 'a'")).scalar() == "b"
    blocker2 = sqlite3.connect(db)
    blocker2.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreBusyError, match="database busy: probe failed 2 times"):
        store.write(lambda s: s.execute(text("INSERT INTO app_setting(key, value) VALUES ('c', 'd')")), attempts=2, what="probe")
    blocker2.rollback()
    blocker.close()
    blocker2.close()
    store.close()


def test_the_same_document_recorded_twice_at_once_is_recorded_once(db_url, tmp_path):
    """Two workers (or a retried task) ingesting the same document at the same time."""
    store = Store.open(db_url)
    manifest = load_manifest(small_manifest(tmp_path, companies=("Apple",)))
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def ingest():
        try:
            start.wait()
            report = ingest_manifest(store, manifest)
            assert not report.errors, report.errors
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ingest) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == len(manifest.companies[0].documents)
        assert s.scalar(select(func.count()).select_from(Version)) == len(manifest.companies[0].documents)
    store.close()

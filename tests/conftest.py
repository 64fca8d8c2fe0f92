from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def example_subset(tmp: Path, companies) -> Path:
    """A manifest of some companies of the bundled example corpus, their documents copied under ``tmp``."""
    import shutil

    import yaml

    example = ROOT / "examples" / "corpus-2026"
    raw = yaml.safe_load((example / "manifest.yaml").read_text("utf-8"))
    raw["companies"] = [c for c in raw["companies"] if c["id"] in companies]
    for c in raw["companies"]:
        for d in c["documents"]:
            (tmp / d["path"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(example / d["path"], tmp / d["path"])
    path = tmp / "manifest.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def load_script(relative: str):
    """A script of the repository (``tools/…``, ``benchmarks/…``) loaded as a module, without running its main."""
    import importlib.util

    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def company_manifest(path: Path, company: str, services, documents: list[dict]) -> Path:
    """A one-company rdr-2022 manifest (a Digital Platform with ``services`` as (id, kind) pairs)."""
    import yaml

    raw = {
        "index": "test",
        "methodology": "rdr-2022",
        "companies": [{"id": company, "name": company, "type": "Digital Platform",
                       "services": [{"id": s, "kind": k} for s, k in services], "documents": documents}],
    }
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: a long end-to-end case (whole-corpus runs, clusters, browsers): runs in CI (CI=true), with "
        "RIGHTSINDEX_SLOW=1, or when named on the command line; skipped otherwise so that the suite takes "
        "under 15 minutes on 2 cores",
    )


def _run_slow(config) -> bool:
    if os.environ.get("CI") or os.environ.get("RIGHTSINDEX_SLOW") == "1":
        return True
    return any("::" in str(a) for a in config.args)  # a test named on the command line runs


def pytest_collection_modifyitems(config, items):
    if _run_slow(config):
        return
    skip = pytest.mark.skip(reason="slow: runs in CI, or with RIGHTSINDEX_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m rightsindex ARGS`` as a user would, capturing output."""
    return subprocess.run(
        [sys.executable, "-m", "rightsindex", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONUTF8": "1", "COLUMNS": "120", **(env or {})},
        timeout=timeout,
    )


@pytest.fixture
def cli():
    return run_cli


# -- databases: every store test runs on SQLite and on a real PostgreSQL ------------------------


@pytest.fixture(scope="session")
def postgres():
    """A running PostgreSQL (started for the session). Skips locally when impossible; fails in CI."""
    from .pg import PostgresUnavailable, TempPostgres

    url = os.environ.get("RIGHTSINDEX_TEST_PG_URL")
    if url:
        yield None
        return
    server = None
    try:
        server = TempPostgres()
        server.start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed in CI: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield server
    server.stop()


_db_counter = iter(range(10**6))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    server = request.getfixturevalue("postgres")
    if server is None:
        base = os.environ["RIGHTSINDEX_TEST_PG_URL"]
        import psycopg
        from sqlalchemy.engine import make_url

        name = f"t{os.getpid()}_{next(_db_counter)}"
        u = make_url(base)
        with psycopg.connect(u.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return u.set(database=name).render_as_string(hide_password=False)
    return server.new_database(f"t{next(_db_counter)}")

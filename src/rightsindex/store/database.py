"""The database: engine, migrations and sessions of the store (see the package's notes)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from . import models  # noqa: F401  (the tables must be known before migrating)

DEFAULT_URL = "sqlite:///rightsindex.sqlite"
MIGRATIONS = Path(__file__).parent / "migrations"


class StoreError(RuntimeError):
    pass


def default_url() -> str:
    return os.environ.get("RIGHTSINDEX_DB") or DEFAULT_URL


def absolute_url(url: str) -> str:
    """A SQLite URL with an absolute path (workers may run in another folder); others unchanged."""
    try:
        u = make_url(url)
    except ArgumentError:  # Store.open explains a bad URL
        return url
    db = u.database
    if u.get_backend_name() == "sqlite" and db and db != ":memory:" and not db.startswith("file:"):
        return u.set(database=str(Path(db).expanduser().resolve())).render_as_string(hide_password=False)
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"invalid database URL {url!r} (e.g. sqlite:///rightsindex.sqlite or postgresql+psycopg://user@host/db)") from None
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise StoreError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")


@lru_cache(maxsize=None)
def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _current_revision(conn) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic.

    Processes that open one database at once migrate it one at a time: the migration runs in a
    transaction that first takes the database's write lock (SQLite ``BEGIN IMMEDIATE``) or an
    advisory lock (PostgreSQL), and checks the revision again once it holds it. A database
    already at the latest revision is only read.
    """
    from alembic import command
    from alembic.config import Config

    if revision == "head":
        with engine.connect() as conn:
            if _current_revision(conn) == _head_revision():
                return
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(29289, 0)")  # 29289: "ri"; released at commit
        if revision != "head" or _current_revision(conn) != _head_revision():
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        conn.commit()


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None, *, upgrade: bool = True) -> "Store":
        url = url or default_url()
        engine = make_engine(url)
        try:
            if upgrade:
                migrate(engine)
            else:
                inspect(engine).get_table_names()
        except OperationalError as exc:
            raise StoreError(f"cannot open database {engine.url.render_as_string(hide_password=True)}: {exc.orig}") from None
        return cls(engine)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions() as s:
            with s.begin():
                yield s

    def write(self, fn, **options):
        """Run ``fn(session)`` in one short transaction, retried while the database is busy
        (see :func:`rightsindex.store.retry.write`)."""
        from .retry import write

        return write(self, fn, **options)

    def close(self) -> None:
        self.engine.dispose()

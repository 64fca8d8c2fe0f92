"""The store: a SQLAlchemy database (SQLite by default, PostgreSQL by URL) kept at the latest schema
by Alembic migrations. Holds no business rules.

    store = Store.open("sqlite:///rightsindex.sqlite")   # or postgresql+psycopg://user@host/db
    with store.session() as s: ...
    store.write(lambda s: ...)    # a short write transaction, retried while the database is busy

``locks.exclusive_run`` lets one ``assess`` at a time work on a database.
"""

from . import models
from .database import DEFAULT_URL, MIGRATIONS, Store, StoreError, absolute_url, default_url, make_engine, migrate

__all__ = ["DEFAULT_URL", "MIGRATIONS", "Store", "StoreError", "absolute_url", "default_url", "make_engine", "migrate", "models"]

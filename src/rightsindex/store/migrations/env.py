"""Alembic environment: runs on the connection handed over by ``rightsindex.store.migrate``."""

from alembic import context

from rightsindex.store.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via rightsindex.store.migrate
    raise RuntimeError("run migrations through rightsindex.store.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

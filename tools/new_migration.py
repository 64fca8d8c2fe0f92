"""Autogenerate an Alembic migration from the models (run from the repository root):

    python tools/new_migration.py "add assessment tables"

Compares the models with a throw-away SQLite database brought to the current head.
"""

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config

from rightsindex.store import MIGRATIONS, make_engine, migrate

message = sys.argv[1] if len(sys.argv) > 1 else "migration"
with tempfile.TemporaryDirectory() as tmp:
    engine = make_engine(f"sqlite:///{Path(tmp) / 'm.sqlite'}")
    migrate(engine)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)

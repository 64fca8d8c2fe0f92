from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


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

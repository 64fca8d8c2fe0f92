"""What the package's data folder ships: each JSON file's id and kind (an RDR methodology, or a
notice framework: ``"kind": "legal-notice"``)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

FRAMEWORK_KIND = "legal-notice"


def data_dir():
    return resources.files(__package__).joinpath("data")


@lru_cache(maxsize=1)
def shipped() -> dict[str, str]:
    """Shipped data files by id -> kind (``legal-notice`` or ``rdr``)."""
    out = {}
    for p in data_dir().iterdir():
        if p.name.endswith(".json"):
            out[p.name[: -len(".json")]] = json.loads(p.read_text("utf-8")).get("kind", "rdr")
    return out


def of_kind(kind: str, other: bool = False) -> list[str]:
    """Ids of the files of ``kind`` (or, with ``other``, of every other kind)."""
    return sorted(k for k, v in shipped().items() if (v == kind) != other)


__all__ = ["FRAMEWORK_KIND", "data_dir", "of_kind", "shipped"]

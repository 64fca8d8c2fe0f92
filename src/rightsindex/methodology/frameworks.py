"""Legal notice frameworks as data: what a privacy notice must tell people, item by item.

Beside RDR's methodologies, the package ships frameworks of *notice duties* (``gdpr-notice``:
GDPR Art. 13/14; ``pipl-notice``: PIPL Arts. 17–51). Each is one JSON file in ``data/`` with
``"kind": "legal-notice"``, and that file is all a new framework needs: its items (stable ids,
the article, the question in English and Chinese, what makes an answer *disclosed*, *partly
disclosed* or *not found*), a crosswalk to the RDR elements and the other frameworks' items that
ask the same, and where the grader learns the item from (``learn``: CAPP-130 categories, ToS;DR
cases, RDR quotes of crosswalked elements, labelled passages). Grading (``evidence``) reads it;
this module knows nothing about documents or models.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

from .catalogue import FRAMEWORK_KIND, data_dir, of_kind
from .model import MethodologyError

__all__ = ["Framework", "Item", "RESULTS", "available", "is_framework", "load", "overlapping", "FRAMEWORK_KIND"]

RESULTS = ("disclosed", "partly disclosed", "not found")
LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Item:
    id: str  # "retention", "cross-border" — a contract: other tools rely on it
    framework: str
    article: str  # "GDPR Art. 13(2)(a)"
    question: dict  # language -> question ("en", "zh")
    criteria: dict  # result -> what makes that answer
    crosswalk: dict  # "rdr-2022" -> element ids; another framework id -> item ids
    learn: dict = field(default_factory=dict, repr=False)  # training sources (see the data files)
    note: str = ""

    def question_in(self, language: str | None) -> str:
        """The question in ``language`` (``zh`` for Chinese text, else English)."""
        lang = "zh" if (language or "").lower().startswith("zh") else "en"
        return self.question.get(lang) or self.question["en"]

    @property
    def short(self) -> str:
        """``PIPL 39 cross-border`` / ``GDPR 13(2)(a) retention``: how the item is named in prose."""
        art = self.article.replace(" Art. ", " ").replace(" Arts. ", " ")
        return f"{art} {self.id}"

    def rdr_elements(self, methodology_id: str = "rdr-2022") -> tuple[str, ...]:
        return tuple(self.crosswalk.get(methodology_id) or self.crosswalk.get("rdr", ()) or ())


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    law: str  # "GDPR", "PIPL"
    edition: str
    source: str
    licence: str
    language: str  # the law's own language
    items: dict = field(repr=False)  # id -> Item, in order
    about: str = ""
    scope: dict = field(default_factory=dict, repr=False)  # narrow document kind -> items it can carry

    def item(self, item_id: str) -> Item:
        try:
            return self.items[item_id]
        except KeyError:
            raise MethodologyError(f"{self.id} has no item {item_id!r}; items: {', '.join(self.items)}") from None


def available() -> list[str]:
    """Ids of the notice frameworks shipped in this package."""
    return of_kind(FRAMEWORK_KIND)


def is_framework(framework_id: str) -> bool:
    return framework_id in available()


@lru_cache(maxsize=None)
def load(framework_id: str) -> Framework:
    """Load a shipped framework by id (``gdpr-notice``, ``pipl-notice``)."""
    if framework_id not in available():
        raise MethodologyError(f"unknown framework {framework_id!r}; shipped: {', '.join(available()) or 'none'}")
    return from_dict(json.loads(data_dir().joinpath(f"{framework_id}.json").read_text("utf-8")))


def from_dict(raw: dict) -> Framework:
    if raw.get("kind") != FRAMEWORK_KIND:
        raise MethodologyError(f"{raw.get('id')!r} is not a notice framework (kind {raw.get('kind')!r})")
    items: dict[str, Item] = {}
    for d in raw["items"]:
        if d["id"] in items:
            raise MethodologyError(f"{raw['id']}: item {d['id']!r} twice")
        q = d.get("question") or {}
        if not q.get("en"):
            raise MethodologyError(f"{raw['id']}: item {d['id']!r} has no English question")
        crit = d.get("criteria") or {}
        missing = [r for r in RESULTS if not crit.get(r)]
        if missing:
            raise MethodologyError(f"{raw['id']}: item {d['id']!r} does not say what makes {', '.join(missing)}")
        items[d["id"]] = Item(
            id=d["id"], framework=raw["id"], article=d["article"], question=dict(q), criteria=dict(crit),
            crosswalk={k: tuple(v) for k, v in (d.get("crosswalk") or {}).items()}, learn=dict(d.get("learn") or {}),
            note=d.get("note", ""),
        )
    return Framework(
        id=raw["id"], name=raw["name"], law=raw.get("law", raw["id"].split("-")[0].upper()), edition=raw.get("edition", ""),
        source=raw.get("source", ""), licence=raw.get("licence", ""), language=raw.get("language", "en"), items=items,
        about=raw.get("about", ""),
        scope={k: tuple(v) for k, v in (raw.get("scope") or {}).items() if k != "about"},
    )


def overlapping(element_id: str, methodology_id: str = "rdr-2022") -> list[Item]:
    """The framework items that ask what an RDR element asks (the crosswalk, read backwards)."""
    return [it for fid in available() for it in load(fid).items.values() if element_id in it.rdr_elements(methodology_id)]

"""Access elements: is a kind of policy easy to find, in the home language, understandable?

RDR's access indicators (F1a–F1d, P1a–P1b) ask about a published document, not about a statement
inside it ("Are the company's privacy policies easy to find?"). Such an element is answered from the
documents themselves, as RDR's researchers answer it from the page they read:

- the document must be of that kind — recognised by its manifest ``type`` or its title — *and*
  shown by its content to be one (one of its passages supports an element of the indicators that
  kind of policy is about, e.g. collection or sharing for a privacy policy), so that a mislabelled
  or unrelated text earns nothing;
- *easy to find*: such a document speaks for the level (it is published, with an address) → yes;
- *home language*: such a document is in the company's home language → yes (the home language is
  the most common language of the company's non-English documents, English when all are);
- *understandable*: it is structured (at least ``understandable_min_headings`` headings, or
  headings and lists) → yes, otherwise partial.

The document's opening passage is cited. The rules are data (``data/access.json``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from .knowledge import DATA_DIR
from .passages import CompanyPassages, DocumentInfo

ACCESS_FILE = DATA_DIR / "access.json"


@dataclass(frozen=True)
class AccessRule:
    indicator: str
    kind: str  # "privacy policies"
    type_pattern: re.Pattern
    title_pattern: re.Pattern
    content: tuple[str, ...]  # indicators whose supported passages show a document is of this kind


@dataclass
class AccessAnswer:
    result: str
    doc: DocumentInfo | None
    comment: str


@dataclass(frozen=True)
class AccessRules:
    rules: dict[str, AccessRule]
    aspects: dict[int, str]  # element number -> find | language | understandable
    min_headings: int

    def aspect(self, element_id: str) -> tuple[AccessRule, str] | None:
        """The rule and aspect of an access element, or None for any other element."""
        indicator, _, number = element_id.partition(".")
        rule = self.rules.get(indicator)
        aspect = self.aspects.get(int(number)) if number.isdigit() else None
        return (rule, aspect) if rule and aspect else None

    def declared(self, rule: AccessRule, doc: DocumentInfo) -> bool:
        """The manifest's type or the title says the document is of the rule's kind."""
        return bool((doc.type and rule.type_pattern.search(doc.type)) or (doc.title and rule.title_pattern.search(doc.title)))

    def answer(self, element_id: str, level: str, cp: CompanyPassages, content_docs: dict[str, set[str]]) -> AccessAnswer | None:
        """The answer for an access element at a level; ``content_docs`` maps an indicator to the
        documents with a passage that supports one of its elements."""
        found = self.aspect(element_id)
        if found is None:
            return None
        rule, aspect = found
        shown = set().union(*(content_docs.get(i, set()) for i in rule.content)) if rule.content else set()
        docs = [
            d for d in cp.docs.values()
            if d.speaks_for(level) and d.first_row is not None and self.declared(rule, d) and d.path in shown
        ]
        if not docs:
            return AccessAnswer("no disclosure found", None, f"No {rule.kind} found among the documents for this level.")
        if aspect == "find":
            d = docs[0]
            where = f" at {d.url}" if d.url else ""
            return AccessAnswer("yes", d, f"The company publishes its {rule.kind}: “{d.title or d.path}”{where}.")
        if aspect == "language":
            home = home_language(cp)
            in_home = [d for d in docs if _lang(d.language) == home]
            if in_home:
                d = in_home[0]
                return AccessAnswer("yes", d, f"“{d.title or d.path}” is available in the company's home language ({home}).")
            langs = ", ".join(sorted({_lang(d.language) or "unknown" for d in docs}))
            return AccessAnswer(
                "no disclosure found", None,
                f"The {rule.kind} at hand are in {langs}, not in the company's home language ({home}).",
            )
        # understandable
        d = max(docs, key=lambda x: (x.headings, x.items))
        if d.headings >= self.min_headings:
            return AccessAnswer("yes", d, f"“{d.title or d.path}” is organised under {d.headings} headings" + (f" with {d.items} list items." if d.items else "."))
        return AccessAnswer("partial", d, f"“{d.title or d.path}” has {d.headings} heading(s): long text with little structure.")


def _lang(language: str | None) -> str:
    return (language or "").split("-")[0].lower()


def home_language(cp: CompanyPassages) -> str:
    """The company's home language as its documents show it: the most common language of its
    non-English documents; English when every document is English."""
    langs = Counter(_lang(d.language) for d in cp.docs.values() if _lang(d.language) not in ("", "en"))
    return langs.most_common(1)[0][0] if langs else "en"


@lru_cache(maxsize=1)
def load() -> AccessRules:
    raw = json.loads(ACCESS_FILE.read_text("utf-8"))
    rules = {
        ind: AccessRule(
            indicator=ind,
            kind=r["kind"],
            type_pattern=re.compile(r["type"], re.I),
            title_pattern=re.compile(r["title"], re.I),
            content=tuple(r.get("content", ())),
        )
        for ind, r in raw["indicators"].items()
    }
    aspects = {int(k): v for k, v in raw["elements"].items()}
    return AccessRules(rules=rules, aspects=aspects, min_headings=int(raw.get("understandable_min_headings", 3)))


__all__ = ["AccessAnswer", "AccessRules", "Scope", "home_language", "load", "load_scope"]


# -- what a narrow kind of document can answer (data/scope.json) --------------------------------


@dataclass(frozen=True)
class Scope:
    kinds: dict

    def kind_of(self, doc: DocumentInfo) -> str | None:
        for name, k in self.kinds.items():
            text_type, title = doc.type or "", doc.title or ""
            if re.search(k["broader"], f"{text_type} {title}", re.I):
                continue
            if re.search(k["type"], text_type, re.I) or re.search(k["title"], title, re.I):
                return name
        return None

    def answers(self, doc: DocumentInfo, indicator: str, family: str | None = None) -> bool:
        """Can a passage of this document earn credit on this indicator?"""
        kind = self.kind_of(doc)
        if kind is None:
            return True
        allowed = self.kinds[kind]["answers"]
        return indicator in allowed or (family is not None and family in allowed)


@lru_cache(maxsize=1)
def load_scope() -> Scope:
    return Scope(json.loads((DATA_DIR / "scope.json").read_text("utf-8"))["kinds"])

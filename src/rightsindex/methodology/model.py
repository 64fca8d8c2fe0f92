"""Methodology objects (categories, indicators, elements, glossary) and loading them from the
shipped JSON files (see the package's notes)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .catalogue import FRAMEWORK_KIND, of_kind

__all__ = [
    "Category",
    "Element",
    "GlossaryTerm",
    "Indicator",
    "Methodology",
    "MethodologyError",
    "OTHER_SERVICE",
    "available",
    "company_kind",
    "from_dict",
    "load",
    "normalise_element_id",
    "normalise_indicator_id",
]

# RDR's public files call company types "Telecommunication" / "Digital Platform" while exclusion
# columns say "telecom" / "internet". One word per concept inside the package: the exclusion kind.
_COMPANY_KINDS = {
    "telecommunication": "telecom",
    "telecommunications": "telecom",
    "telecommunications company": "telecom",
    "telecom": "telecom",
    "telco": "telecom",
    "digital platform": "internet",
    "internet": "internet",
    "internet and mobile ecosystem company": "internet",
    "platform": "internet",
}

# The service type of a service that has none of RDR's types (see Methodology.element_applies).
OTHER_SERVICE = "other"


class MethodologyError(ValueError):
    """A methodology id that is not shipped, or a data file that does not hold together."""


def company_kind(company_type: str) -> str:
    """Map a company type as written in manifests or RDR files to ``telecom`` or ``internet``."""
    kind = _COMPANY_KINDS.get((company_type or "").strip().lower())
    if kind is None:
        raise MethodologyError(
            f"unknown company type {company_type!r}: expected 'Digital Platform' or 'Telecommunication'"
        )
    return kind


@dataclass(frozen=True)
class Category:
    id: str  # "G", "F", "P"
    label: str


@dataclass(frozen=True)
class GlossaryTerm:
    id: str  # anchor id, e.g. "account"
    term: str  # "Account / user account"
    definition: str


@dataclass(frozen=True)
class Element:
    id: str  # "G01.01"
    indicator: str  # "G01" or "G04a"
    number: int
    question: str
    reversed: bool = False
    excluded_company_kinds: tuple[str, ...] = ()
    excluded_services: tuple[str, ...] = ()
    glossary: tuple[str, ...] = ()  # glossary term ids used in the question

    @property
    def label(self) -> str:
        """RDR's short label, e.g. ``G4a.3``."""
        ind = self.indicator
        return f"{ind[0]}{int(ind[1:3])}{ind[3:]}.{self.number}"

    def applies_to(self, company_kind: str, service_kind: str | None = None) -> bool:
        """Whether this element is asked of a company of this kind at this level.

        ``service_kind`` is RDR's service type (``search``, ``mobile``, …) for a service level, or
        ``None`` for the Group and OpCom levels.
        """
        if company_kind in self.excluded_company_kinds:
            return False
        if service_kind is not None and service_kind in self.excluded_services:
            return False
        return True


@dataclass(frozen=True)
class Indicator:
    id: str  # "G01", "G04" (family), "G04a" (sub-indicator)
    category: str
    number: int
    suffix: str  # "" or "a".."e"
    label: str
    description: str = ""
    guidance: str = ""
    scoring_scope: str = ""  # "company" | "full" | "services"; "" for families
    is_family: bool = False
    family: str | None = None  # parent id for sub-indicators
    excluded_company_kinds: tuple[str, ...] = ()
    excluded_services: tuple[str, ...] = ()  # may include "opCom"
    elements: tuple[str, ...] = ()  # element ids, in order (empty for families)
    children: tuple[str, ...] = ()  # sub-indicator ids (families only)

    @property
    def short(self) -> str:
        """RDR's short label, e.g. ``G4a``."""
        return f"{self.id[0]}{int(self.id[1:3])}{self.id[3:]}"

    @property
    def top_level(self) -> bool:
        return self.family is None

    def applies_to(self, company_kind: str) -> bool:
        return company_kind not in self.excluded_company_kinds


@dataclass(frozen=True)
class Methodology:
    id: str
    name: str
    edition: str
    source: str
    licence: str
    categories: tuple[Category, ...]
    indicators: dict[str, Indicator] = field(repr=False)
    elements: dict[str, Element] = field(repr=False)
    glossary: dict[str, GlossaryTerm] = field(repr=False)
    service_kinds: dict[str, str] = field(repr=False)  # RDR service type -> label

    # -- navigation -------------------------------------------------------------------------
    def indicator(self, indicator_id: str) -> Indicator:
        key = normalise_indicator_id(indicator_id)
        try:
            return self.indicators[key]
        except KeyError:
            raise MethodologyError(f"{self.id} has no indicator {indicator_id!r}") from None

    def element(self, element_id: str) -> Element:
        key = normalise_element_id(element_id)
        try:
            return self.elements[key]
        except KeyError:
            raise MethodologyError(f"{self.id} has no element {element_id!r}") from None

    def top_level_indicators(self, category: str | None = None) -> list[Indicator]:
        return [
            i
            for i in self.indicators.values()
            if i.top_level and (category is None or i.category == category)
        ]

    def scored_indicators(self) -> list[Indicator]:
        """Indicators that own elements (standalone indicators and sub-indicators)."""
        return [i for i in self.indicators.values() if not i.is_family]

    def elements_of(self, indicator_id: str) -> list[Element]:
        ind = self.indicator(indicator_id)
        if ind.is_family:
            return [self.elements[e] for child in ind.children for e in self.indicators[child].elements]
        return [self.elements[e] for e in ind.elements]

    def service_specific(self, element_id: str) -> bool:
        """Whether RDR asks this element of some service types only (its exclusions, or its
        indicator's or family's, name a service type)."""
        el = self.element(element_id)
        ind = self.indicators[el.indicator]
        excluded = {*el.excluded_services, *ind.excluded_services}
        if ind.family:
            excluded |= set(self.indicators[ind.family].excluded_services)
        return bool(excluded - {"opCom"})

    def element_applies(
        self, element_id: str, company_kind: str, service_kind: str | None = None, level: str = ""
    ) -> bool:
        """Whether an element is asked at a level (element and indicator exclusions combined).

        ``level`` is ``Group``, ``OpCom`` or a service id; ``service_kind`` is RDR's service type for
        a service level and ``None`` otherwise. A service of no RDR type (``other``) is asked only
        the elements RDR asks of every service type: none that RDR restricts by service type.
        """
        el = self.element(element_id)
        ind = self.indicators[el.indicator]
        if not el.applies_to(company_kind, service_kind) or not ind.applies_to(company_kind):
            return False
        if ind.family and not self.indicators[ind.family].applies_to(company_kind):
            return False
        if service_kind is not None and service_kind in ind.excluded_services:
            return False
        if level == "OpCom" and "opCom" in ind.excluded_services:
            return False
        if ind.scoring_scope == "company" and service_kind is not None:
            return False
        if service_kind == OTHER_SERVICE and self.service_specific(element_id):
            return False
        if ind.scoring_scope == "services" and service_kind is None:
            return False
        return True


def normalise_indicator_id(value: str) -> str:
    """Accept ``G4a``, ``g04a``, ``G04a`` and return the canonical ``G04a``."""
    v = (value or "").strip()
    if len(v) >= 2 and v[0].upper() in "GFP":
        head = v[0].upper()
        rest = v[1:]
        digits = "".join(ch for ch in rest if ch.isdigit())
        suffix = rest[len(digits):].lower()
        if digits and rest.startswith(digits) and suffix in ("", "a", "b", "c", "d", "e"):
            return f"{head}{int(digits):02d}{suffix}"
    return v


def normalise_element_id(value: str) -> str:
    """Accept ``G4a.3`` or ``G04a.03`` and return the canonical ``G04a.03``."""
    v = (value or "").strip()
    if "." in v:
        ind, _, nr = v.partition(".")
        if nr.isdigit():
            return f"{normalise_indicator_id(ind)}.{int(nr):02d}"
    return v


def available() -> list[str]:
    """Ids of the methodologies shipped in this package (RDR's; the notice frameworks that share
    its data folder are listed by ``frameworks.available``)."""
    return of_kind(FRAMEWORK_KIND, other=True)


@lru_cache(maxsize=None)
def load(methodology_id: str) -> Methodology:
    """Load a shipped methodology by id (``rdr-2020``, ``rdr-2022``)."""
    ids = available()
    if methodology_id not in ids:
        if methodology_id in of_kind(FRAMEWORK_KIND):
            raise MethodologyError(
                f"{methodology_id!r} is a notice framework, not a methodology: grade it with `assess --framework {methodology_id}`"
            )
        raise MethodologyError(
            f"unknown methodology {methodology_id!r}; shipped: {', '.join(ids) or 'none'}"
        )
    raw = json.loads(
        resources.files(__package__).joinpath("data", f"{methodology_id}.json").read_text("utf-8")
    )
    return from_dict(raw)


def from_dict(raw: dict) -> Methodology:
    indicators = {
        d["id"]: Indicator(
            **{
                **d,
                "excluded_company_kinds": tuple(d.get("excluded_company_kinds", ())),
                "excluded_services": tuple(d.get("excluded_services", ())),
                "elements": tuple(d.get("elements", ())),
                "children": tuple(d.get("children", ())),
            }
        )
        for d in raw["indicators"]
    }
    elements = {
        d["id"]: Element(
            **{
                **d,
                "excluded_company_kinds": tuple(d.get("excluded_company_kinds", ())),
                "excluded_services": tuple(d.get("excluded_services", ())),
                "glossary": tuple(d.get("glossary", ())),
            }
        )
        for d in raw["elements"]
    }
    for el in elements.values():
        if el.indicator not in indicators:
            raise MethodologyError(f"element {el.id} names unknown indicator {el.indicator}")
    return Methodology(
        id=raw["id"],
        name=raw["name"],
        edition=raw["edition"],
        source=raw["source"],
        licence=raw["licence"],
        categories=tuple(Category(**c) for c in raw["categories"]),
        indicators=indicators,
        elements=elements,
        glossary={g["id"]: GlossaryTerm(**g) for g in raw["glossary"]},
        service_kinds=dict(raw["service_kinds"]),
    )

"""From an Open Terms Archive collection to an index: which company and which levels each OTA
service's documents speak for, read from a small mapping file, and the manifest made from it.

The mapping file (YAML or JSON; ``examples/ota-mapping.yaml`` is a worked example)::

    index: "2026"                    # edition label of the manifest
    methodology: rdr-2022
    collection: contrib              # name used in each document's source (ota:contrib:…)
    types:                           # OTA terms types to take (absent: every type)
      - Privacy Policy
      - Terms of Service
    companies:
      - id: Google                   # as in a manifest: id, name, type, services
        name: Alphabet Inc. (Google)
        type: Digital Platform
        services:
          - {id: Google Search, kind: search engine}
          - {id: YouTube, kind: video}
        ota:                         # OTA service (or "Service/Terms type") → levels it speaks for
          Google: [Group, Google Search, YouTube]
          YouTube: [YouTube]
          YouTube/Privacy Policy: [Group, YouTube]   # one document of a service, overriding the line above
    unmapped: skip                   # other OTA services: skip (default), or company: each one a
    unmapped_kind: other             #   company of its own with one service of this kind, its
    unmapped_type: Digital Platform  #   documents speaking for Group and that service

Every level named must be ``Group``, ``OpCom`` or one of the company's services; an OTA service
may belong to one company only. Errors name the file and the entry.

:func:`write_manifest` writes ``manifest.yaml`` and, for each mapped document, the text of its
latest kept version (or the one in force on a date) as ``docs/<Service>/<Terms type>.md``. The
document keys are those paths; ``corpus import-ota --mapping`` files the documents' whole
histories under the same keys, so that ``assess`` on the manifest grades the newest imported
version and the history (diffs, ``--as-of``) is that document's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

import yaml

from ...methodology import MethodologyError
from ..manifest import COMPANY_LEVELS, CompanySpec, DocumentSpec, ServiceSpec, check_company_type
from ..limits import MAX_ID_CHARS, MAX_LABEL_CHARS, MAX_NAME_CHARS, MAX_YAML_BYTES
from ..names import NameRefused, check_id, clean_text
from ..safe_yaml import AliasRefused, DataFileError, load_data_file
from .repository import OTAVersion, version_at

__all__ = ["MappingError", "OTAMapping", "Placement", "document_path", "load_mapping", "write_manifest"]


class MappingError(ValueError):
    pass


@dataclass(frozen=True)
class MappedCompany:
    id: str
    name: str
    type: str
    services: tuple[ServiceSpec, ...]
    levels: dict[str, tuple[str, ...]]  # "Service" or "Service/Terms type" → levels


@dataclass(frozen=True)
class Placement:
    """Where one OTA document goes: its company, the levels it speaks for and its document key."""

    company: CompanySpec  # documents=() (the store's company, as upserted)
    levels: tuple[str, ...]
    key: str


@dataclass(frozen=True)
class OTAMapping:
    index: str = ""
    methodology: str = "rdr-2022"
    collection: str = "ota"
    types: tuple[str, ...] | None = None
    companies: tuple[MappedCompany, ...] = ()
    unmapped: str = "skip"
    unmapped_kind: str = "other"
    unmapped_type: str = "Digital Platform"
    _by_service: dict[str, MappedCompany] = field(default_factory=dict, repr=False, compare=False)

    def place(self, service: str, terms_type: str) -> Placement | None:
        """The company and levels of ``service``'s ``terms_type`` document; None when skipped."""
        if self.types is not None and terms_type not in self.types:
            return None
        key = document_path(service, terms_type)
        mc = self._by_service.get(service)
        if mc is not None:
            levels = mc.levels.get(f"{service}/{terms_type}") or mc.levels[service]
            return Placement(CompanySpec(mc.id, mc.name, mc.type, mc.services, ()), levels, key)
        if self.unmapped != "company":
            return None
        spec = CompanySpec(service, service, self.unmapped_type, (ServiceSpec(service, self.unmapped_kind),), ())
        return Placement(spec, ("Group", service), key)


def document_path(service: str, terms_type: str) -> str:
    """The manifest path (and store key) of a mapped OTA document."""
    return f"docs/{service}/{terms_type}.md"


def _text(value: Any, where: str, required: bool = True) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise MappingError(f"{where}: missing")
        return ""
    if isinstance(value, AliasRefused):
        raise MappingError(f"{where}: {value.describe()}")
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise MappingError(f"{where}: expected text, got {type(value).__name__}")
    return str(value).strip()


def _name_ok(value: str, where: str) -> str:
    if "/" in value or value in (".", "..") or value.startswith("."):
        raise MappingError(f"{where}: {value!r} is not an OTA service name")
    return _id(value, where)


def _id(value: str, where: str) -> str:
    """An id as it enters (company, service, OTA name): refused by name when it holds a control,
    invisible or bidi character or is too long (see ``corpus.names``)."""
    try:
        return check_id(value, where, max_chars=MAX_ID_CHARS)
    except NameRefused as exc:
        raise MappingError(str(exc)) from None


def _label(value: str, where: str, max_chars: int) -> str:
    try:
        return clean_text(value, where, max_chars=max_chars) if value else value
    except NameRefused as exc:
        raise MappingError(str(exc)) from None


def load_mapping(path: str | Path) -> OTAMapping:
    """Read and validate a mapping file (see the module docstring)."""
    path = Path(path)
    try:
        raw = load_data_file(path, what="the mapping", max_bytes=MAX_YAML_BYTES)  # the one bounded YAML loader
    except DataFileError as exc:
        raise MappingError(str(exc)) from None
    return parse_mapping(raw, name=str(path))


def parse_mapping(raw: Any, name: str = "mapping") -> OTAMapping:
    if not isinstance(raw, dict):
        raise MappingError(f"{name}: expected a mapping with companies")
    known = {"index", "methodology", "collection", "types", "companies", "unmapped", "unmapped_kind", "unmapped_type"}
    unknown = sorted(str(k) for k in raw if k not in known)
    if unknown:
        raise MappingError(f"{name}: unknown key {', '.join(map(repr, unknown))} (known: {', '.join(sorted(known))})")
    from ... import methodology as m

    methodology = _text(raw.get("methodology") or "rdr-2022", f"{name}: methodology")
    try:
        m.load(methodology)
    except MethodologyError as exc:
        raise MappingError(f"{name}: methodology: {exc}") from None
    types = raw.get("types")
    if types is not None:
        if isinstance(types, str):
            types = [types]
        if not isinstance(types, list) or not types:
            raise MappingError(f"{name}: types: expected a list of OTA terms types, e.g. [Privacy Policy, Terms of Service]")
        types = tuple(_name_ok(_text(t, f"{name}: types"), f"{name}: types") for t in types)
    unmapped = _text(raw.get("unmapped") or "skip", f"{name}: unmapped")
    if unmapped not in ("skip", "company"):
        raise MappingError(f"{name}: unmapped: {unmapped!r} is neither skip nor company")
    unmapped_type = check_company_type(_text(raw.get("unmapped_type") or "Digital Platform", f"{name}: unmapped_type"),
                                       f"{name}: unmapped_type", MappingError)

    companies: list[MappedCompany] = []
    by_service: dict[str, MappedCompany] = {}
    companies_raw = raw.get("companies") or []
    if not isinstance(companies_raw, list):
        raise MappingError(f"{name}: companies: expected a list of companies")
    for ci, c in enumerate(companies_raw, 1):
        where = f"{name}: company #{ci}"
        if not isinstance(c, dict):
            raise MappingError(f"{where}: expected a mapping with id, name, type, services and ota")
        cid = _id(_text(c.get("id"), f"{where}: id"), f"{where}: id")
        where = f"{name}: company {cid!r}"
        if any(x.id == cid for x in companies):
            raise MappingError(f"{where}: duplicate company id")
        ctype = check_company_type(_text(c.get("type") or "Digital Platform", f"{where}: type"), f"{where}: type", MappingError)
        services: list[ServiceSpec] = []
        services_raw = c.get("services") or []
        if not isinstance(services_raw, list):
            raise MappingError(f"{where}: services: expected a list of services with id and kind")
        for si, s in enumerate(services_raw, 1):
            if not isinstance(s, dict):
                raise MappingError(f"{where}: service #{si}: expected a mapping with id and kind")
            sid = _id(_text(s.get("id"), f"{where}: service #{si}: id"), f"{where}: service #{si}: id")
            if sid in COMPANY_LEVELS or any(x.id == sid for x in services):
                raise MappingError(f"{where}: service {sid!r}: duplicate, or named Group or OpCom")
            services.append(ServiceSpec(sid, _text(s.get("kind"), f"{where}: service {sid!r}: kind", required=False)))
        if not services:
            raise MappingError(f"{where}: services: at least one service is needed (RDR grades services)")
        levels_known = {*COMPANY_LEVELS, *(s.id for s in services)}
        ota = c.get("ota")
        if not isinstance(ota, dict) or not ota:
            raise MappingError(f"{where}: ota: expected OTA service names with the levels they speak for, e.g. {{{services[0].id}: [Group, {services[0].id}]}}")
        levels: dict[str, tuple[str, ...]] = {}
        for key, lv in ota.items():
            key = _text(key, f"{where}: ota")
            service, _, terms_type = key.partition("/")
            _name_ok(service, f"{where}: ota: {key!r}")
            if terms_type:
                _name_ok(terms_type, f"{where}: ota: {key!r}")
            if isinstance(lv, str):
                lv = [lv]
            if not isinstance(lv, list) or not lv or not all(isinstance(x, str) for x in lv):
                raise MappingError(f"{where}: ota: {key!r}: expected a list of level names, e.g. [Group, {services[0].id}]")
            bad = [str(x) for x in lv if str(x) not in levels_known]
            if bad:
                raise MappingError(f"{where}: ota: {key!r}: unknown level {', '.join(map(repr, bad))} (levels of {cid}: {', '.join(sorted(levels_known))})")
            levels[key] = tuple(dict.fromkeys(str(x) for x in lv))
            if not terms_type:
                other = by_service.get(service)
                if other is not None and other.id != cid:
                    raise MappingError(f"{where}: ota: {service!r} is already mapped to company {other.id!r}")
        for key in list(levels):
            service, _, terms_type = key.partition("/")
            if terms_type and service not in levels:
                raise MappingError(f"{where}: ota: {key!r}: map the service {service!r} itself too (the levels of its other documents)")
        name_text = _label(_text(c.get("name"), f"{where}: name", required=False), f"{where}: name", MAX_NAME_CHARS)
        mc = MappedCompany(cid, name_text or cid, ctype, tuple(services), levels)
        companies.append(mc)
        for key in levels:
            if "/" not in key:
                by_service[key] = mc
    if not companies and unmapped == "skip":
        raise MappingError(f"{name}: companies: map at least one OTA service, or set unmapped: company")
    return OTAMapping(
        index=_label(_text(raw.get("index"), f"{name}: index", required=False), f"{name}: index", MAX_LABEL_CHARS),
        methodology=methodology,
        collection=_id(_text(raw.get("collection") or "ota", f"{name}: collection"), f"{name}: collection"),
        types=types,
        companies=tuple(companies),
        unmapped=unmapped,
        unmapped_kind=_text(raw.get("unmapped_kind") or "other", f"{name}: unmapped_kind"),
        unmapped_type=unmapped_type,
        _by_service=by_service,
    )


def _slug(terms_type: str) -> str:
    return "-".join(terms_type.lower().split())


@dataclass
class ManifestSummary:
    path: Path
    companies: int
    documents: int
    skipped: list[str]  # "Service/Type: why"
    refused: list[str] = field(default_factory=list)  # versions over a limit or undated: "Service/Type <commit> <date>: why"


def write_manifest(
    mapping: OTAMapping,
    histories: Iterable,
    out: str | Path,
    *,
    at: date | None = None,
) -> ManifestSummary:
    """Write ``out/manifest.yaml`` and ``out/docs/<Service>/<Terms type>.md`` for every mapped
    document of ``histories`` (:class:`collection.DocumentHistory`), with the text of its
    latest kept version, or of the version in force on ``at``. A document without such a version
    is left out and listed in the summary. Companies in the mapping's order (then unmapped services
    by name), each company's documents in the collection's order."""
    out = Path(out)
    companies: dict[str, dict] = {}
    skipped: list[str] = []
    refused: list[str] = []
    documents = 0
    for h in histories:
        placement = mapping.place(h.service, h.terms_type)
        if placement is None:
            continue
        for sk in h.skipped:  # the versions a limit or an unreadable date kept out: said, not silent
            if sk.reason.startswith(("over the", "unreadable commit date")):
                refused.append(f"{h.path} {sk.commit[:10]} {sk.date:%Y-%m-%d}: {sk.reason}" if sk.date else f"{h.path} {sk.commit[:10]}: {sk.reason}")
        if h.problem:  # over a limit, or a name that cannot be an id
            skipped.append(f"{h.path}: {h.problem}")
            continue
        v: OTAVersion | None = version_at(h.versions, at) if at is not None else (h.versions[-1] if h.versions else None)
        if v is None:
            skipped.append(f"{h.path}: no version" + (f" in force on {at}" if at else ""))
            continue
        target = out / placement.key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(v.text, encoding="utf-8", newline="")
        c = placement.company
        entry = companies.setdefault(
            c.id,
            {"id": c.id, "name": c.name, "type": c.type, "services": [{"id": s.id, "kind": s.kind} for s in c.services], "documents": []},
        )
        entry["documents"].append(
            {
                "path": placement.key,
                "title": f"{h.service} {h.terms_type}",
                "type": _slug(h.terms_type),
                "version_date": v.date.date().isoformat(),
                "levels": list(placement.levels),
                "source": f"ota:{mapping.collection}:{h.service}/{h.terms_type}@{v.commit}",
            }
        )
        documents += 1
    if not companies:
        raise MappingError("no OTA document of the collection is mapped to a company: nothing to write")
    rank = {c.id: i for i, c in enumerate(mapping.companies)}
    manifest = {
        "index": mapping.index or (str(at.year) if at else str(datetime.now().year)),
        "methodology": mapping.methodology,
        "companies": sorted(companies.values(), key=lambda c: (rank.get(c["id"], len(rank)), c["id"])),
    }
    path = out / "manifest.yaml"
    header = (
        f"# Generated by `rightsindex corpus ota-manifest` from an Open Terms Archive collection ({mapping.collection}).\n"
        "# Texts: Open Terms Archive contributors, ODC-BY 1.0.\n"
    )
    path.write_text(header + yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    return ManifestSummary(path, len(companies), documents, skipped, refused)


def document_spec(placement: Placement, service: str, terms_type: str, collection: str) -> DocumentSpec:
    """The store's document for a mapped OTA document (key = its manifest path)."""
    return DocumentSpec(
        key=placement.key,
        title=f"{service} {terms_type}",
        type=_slug(terms_type),
        levels=placement.levels,
        meta={"source": f"ota:{collection}:{service}/{terms_type}", "ota_service": service, "ota_type": terms_type},
    )

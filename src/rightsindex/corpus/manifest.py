"""The manifest contract (DESIGN.md): companies, services and documents to assess.

Errors name the manifest, the company and document (by index and id/path) and the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from ..methodology import MethodologyError, company_kind

__all__ = ["CompanySpec", "DocumentSpec", "Manifest", "ManifestError", "ServiceSpec", "load_manifest", "service_type"]

COMPANY_LEVELS = ("Group", "OpCom")

# Manifest service kinds are free words ("search engine", "video", …); RDR's exclusions name its
# service types. This maps the common words to RDR's types; RDR's own type ids are accepted too.
_SERVICE_TYPES = {
    "search": "search",
    "search engine": "search",
    "email": "email",
    "e-mail": "email",
    "messaging": "messagingVoip",
    "messaging & voip": "messagingVoip",
    "messagingvoip": "messagingVoip",
    "voip": "messagingVoip",
    "cloud": "cloud",
    "cloud storage": "cloud",
    "cloud service": "cloud",
    "e-commerce": "eCommerce",
    "ecommerce": "eCommerce",
    "marketplace": "eCommerce",
    "social network": "socialNetworkBlogs",
    "social networking & blog": "socialNetworkBlogs",
    "socialnetworkblogs": "socialNetworkBlogs",
    "blog": "socialNetworkBlogs",
    "video": "photoVideo",
    "photo": "photoVideo",
    "video & photo sharing": "photoVideo",
    "photovideo": "photoVideo",
    "mobile ecosystem": "mobileEcosystem",
    "mobileecosystem": "mobileEcosystem",
    "operating system": "mobileEcosystem",
    "voice assistant": "pda",
    "personal digital assistant": "pda",
    "pda": "pda",
    "prepaid mobile": "mobile",
    "postpaid mobile": "mobile",
    "mobile": "mobile",
    "broadband": "broadband",
    "fixed-line broadband": "broadband",
}


def service_type(kind: str) -> str:
    """RDR's service type for a manifest service kind; ``other`` when RDR has no such type."""
    return _SERVICE_TYPES.get(" ".join((kind or "").lower().split()), "other")


class ManifestError(ValueError):
    pass


@dataclass(frozen=True)
class ServiceSpec:
    id: str
    kind: str = ""

    @property
    def rdr_type(self) -> str:
        return service_type(self.kind)


@dataclass(frozen=True)
class DocumentSpec:
    key: str  # the manifest's path (relative to the manifest) or URL: stable identity
    title: str
    path: Path | None = None  # absolute path when the document is a local file
    url: str | None = None
    type: str | None = None
    language: str | None = None
    version_date: date | None = None
    accessed: date | None = None
    levels: tuple[str, ...] | None = None  # None = all levels
    meta: dict[str, Any] = field(default_factory=dict)

    def speaks_for(self, level: str) -> bool:
        return self.levels is None or level in self.levels


@dataclass(frozen=True)
class CompanySpec:
    id: str
    name: str
    type: str
    services: tuple[ServiceSpec, ...]
    documents: tuple[DocumentSpec, ...]

    @property
    def kind(self) -> str:
        return company_kind(self.type)

    @property
    def levels(self) -> tuple[str, ...]:
        return (*COMPANY_LEVELS, *(s.id for s in self.services))


@dataclass(frozen=True)
class Manifest:
    path: Path | None
    index: str
    methodology: str
    companies: tuple[CompanySpec, ...]

    def company(self, company_id: str) -> CompanySpec:
        for c in self.companies:
            if c.id == company_id:
                return c
        raise ManifestError(f"no company {company_id!r} in the manifest")


def _date(value: Any, where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ManifestError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _str(value: Any, where: str, required: bool = True) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ManifestError(f"{where}: missing")
        return ""
    if not isinstance(value, (str, int, float)):
        raise ManifestError(f"{where}: expected text, got {type(value).__name__}")
    return str(value).strip()


def load_manifest(path: str | Path, *, check_files: bool = True) -> Manifest:
    """Read and validate a YAML or JSON manifest."""
    path = Path(path)
    try:
        raw_text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{path}: manifest not found") from None
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: manifest is not UTF-8 text") from None
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read manifest: {exc.strerror or exc}") from None
    try:
        raw = json.loads(raw_text) if path.suffix.lower() == ".json" else yaml.safe_load(raw_text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {exc}") from None
    return parse_manifest(raw, base=path.parent, name=str(path), check_files=check_files, path=path)


def parse_manifest(
    raw: Any, *, base: Path, name: str = "manifest", check_files: bool = True, path: Path | None = None
) -> Manifest:
    if not isinstance(raw, dict):
        raise ManifestError(f"{name}: expected a mapping with index, methodology and companies")
    index = _str(raw.get("index"), f"{name}: index", required=False) or ""
    methodology = _str(raw.get("methodology"), f"{name}: methodology")
    from .. import methodology as m

    try:
        m.load(methodology)
    except MethodologyError as exc:
        raise ManifestError(f"{name}: methodology: {exc}") from None
    companies_raw = raw.get("companies")
    if not isinstance(companies_raw, list) or not companies_raw:
        raise ManifestError(f"{name}: companies: expected a non-empty list")

    companies: list[CompanySpec] = []
    seen_companies: set[str] = set()
    for ci, c in enumerate(companies_raw, 1):
        cwhere = f"{name}: company #{ci}"
        if not isinstance(c, dict):
            raise ManifestError(f"{cwhere}: expected a mapping")
        cid = _str(c.get("id"), f"{cwhere}: id")
        cwhere = f"{name}: company {cid!r}"
        if cid in seen_companies:
            raise ManifestError(f"{cwhere}: duplicate company id")
        seen_companies.add(cid)
        ctype = _str(c.get("type"), f"{cwhere}: type")
        try:
            company_kind(ctype)
        except MethodologyError as exc:
            raise ManifestError(f"{cwhere}: type: {exc}") from None
        services: list[ServiceSpec] = []
        for si, s in enumerate(c.get("services") or [], 1):
            if not isinstance(s, dict):
                raise ManifestError(f"{cwhere}: service #{si}: expected a mapping with id and kind")
            sid = _str(s.get("id"), f"{cwhere}: service #{si}: id")
            if sid in COMPANY_LEVELS:
                raise ManifestError(f"{cwhere}: service {sid!r}: a service cannot be named Group or OpCom")
            if any(x.id == sid for x in services):
                raise ManifestError(f"{cwhere}: service {sid!r}: duplicate service id")
            services.append(ServiceSpec(id=sid, kind=_str(s.get("kind"), f"{cwhere}: service {sid!r}: kind", required=False)))
        if not services:
            raise ManifestError(f"{cwhere}: services: at least one service is needed (RDR grades services)")
        levels = {*COMPANY_LEVELS, *(s.id for s in services)}
        docs: list[DocumentSpec] = []
        seen_docs: set[str] = set()
        docs_raw = c.get("documents")
        if not isinstance(docs_raw, list) or not docs_raw:
            raise ManifestError(f"{cwhere}: documents: expected a non-empty list")
        for di, d in enumerate(docs_raw, 1):
            dwhere = f"{cwhere}: document #{di}"
            if not isinstance(d, dict):
                raise ManifestError(f"{dwhere}: expected a mapping")
            rel = _str(d.get("path"), f"{dwhere}: path", required=False)
            url = _str(d.get("url"), f"{dwhere}: url", required=False) or None
            if not rel and not url:
                raise ManifestError(f"{dwhere}: needs a path or a url")
            key = rel or url
            dwhere = f"{cwhere}: document {key!r}"
            if key in seen_docs:
                raise ManifestError(f"{dwhere}: duplicate document")
            seen_docs.add(key)
            abs_path = None
            if rel:
                abs_path = (base / rel).resolve()
                if check_files:
                    if not abs_path.exists():
                        raise ManifestError(f"{dwhere}: path: file not found ({abs_path})")
                    if not abs_path.is_file():
                        raise ManifestError(f"{dwhere}: path: not a file ({abs_path})")
            elif not url.lower().startswith(("http://", "https://")):
                raise ManifestError(f"{dwhere}: url: only http(s) URLs can be fetched")
            lv = d.get("levels")
            doc_levels: tuple[str, ...] | None = None
            if lv is not None:
                if isinstance(lv, str):
                    lv = [lv]
                if not isinstance(lv, list) or not lv:
                    raise ManifestError(f"{dwhere}: levels: expected a list such as [Group, {services[0].id}]")
                unknown = [str(x) for x in lv if str(x) not in levels]
                if unknown:
                    raise ManifestError(
                        f"{dwhere}: levels: unknown level {', '.join(map(repr, unknown))}"
                        f" (levels of {cid}: {', '.join(sorted(levels))})"
                    )
                doc_levels = tuple(dict.fromkeys(str(x) for x in lv))
            known = {"path", "url", "title", "type", "language", "version_date", "accessed", "levels"}
            meta = {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in d.items() if k not in known}
            language = _str(d.get("language"), f"{dwhere}: language", required=False) or None
            docs.append(
                DocumentSpec(
                    key=key,
                    title=_str(d.get("title"), f"{dwhere}: title", required=False) or Path(key).name,
                    path=abs_path,
                    url=url,
                    type=_str(d.get("type"), f"{dwhere}: type", required=False) or None,
                    language=language.lower() if language else None,
                    version_date=_date(d.get("version_date"), f"{dwhere}: version_date"),
                    accessed=_date(d.get("accessed"), f"{dwhere}: accessed"),
                    levels=doc_levels,
                    meta=meta,
                )
            )
        companies.append(
            CompanySpec(
                id=cid,
                name=_str(c.get("name"), f"{cwhere}: name", required=False) or cid,
                type=ctype,
                services=tuple(services),
                documents=tuple(docs),
            )
        )
    return Manifest(path=path, index=index, methodology=methodology, companies=tuple(companies))

"""The manifest contract (DESIGN.md): companies, services and documents to assess.

Errors are one line naming the manifest, the company and document (by index and id/path) and the
field. What is refused, and why:

- a manifest larger than ``MAX_MANIFEST_BYTES`` or nested deeper than Python can follow;
- a service ``kind`` that names no known kind (the message lists them);
- a date that is not one (``version_date: 2025-13-01``), an unknown level, a missing file;
- per document, the others being ingested (``DocumentSpec.problem``):
  a ``path`` outside the manifest's folder (``..``, an absolute path, or a symbolic link resolving
  elsewhere) unless a root holding it is allowed (``allow_roots``, ``--allow-root``); and in its other
  fields (kept as metadata) anything but text (at most ``MAX_META_TEXT`` characters), numbers,
  true/false, dates, or a list of at most ``MAX_META_ITEMS`` of them, or more than
  ``MAX_META_TOTAL`` characters in all — YAML alias bombs, ``!!set``, ``!!binary`` and recursive
  aliases included.

Keys that are not part of the contract give warnings (``Manifest.warnings``), naming the closest
known key ("titel: not a known field; did you mean title?").
"""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..methodology import OTHER_SERVICE, MethodologyError, company_kind
from .limits import (
    MAX_ID_CHARS, MAX_KEY_CHARS, MAX_LABEL_CHARS, MAX_LANGUAGE_CHARS, MAX_MANIFEST_BYTES, MAX_META_ITEMS, MAX_META_TEXT,
    MAX_META_TOTAL, MAX_NAME_CHARS, MAX_TITLE_CHARS,
)
from .names import NameRefused, check_id, check_stored_text, clean_text
from .safe_yaml import AliasRefused, DataFileError, load_data_file

__all__ = [
    "CompanySpec", "DocumentSpec", "Manifest", "ManifestError", "ServiceSpec", "known_kinds", "load_manifest",
    "service_type",
]

COMPANY_LEVELS = ("Group", "OpCom")
MANIFEST_KEYS = ("index", "methodology", "companies")
COMPANY_KEYS = ("id", "name", "type", "services", "documents")
SERVICE_KEYS = ("id", "kind")
DOCUMENT_KEYS = ("path", "url", "title", "type", "language", "version_date", "accessed", "levels")
# A service of one of these kinds has no RDR service type: it is asked only the questions RDR asks
# of every service type (RDR 2022 has no type for generative AI assistants, maps, portals, …).
OTHER = OTHER_SERVICE

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
    "prepaid and postpaid mobile": "mobile",
    "virtual assistant": "pda",
    # kinds with no RDR service type, said explicitly
    "other": OTHER,
    "ai assistant": OTHER,
}


def _kind_key(kind: str) -> str:
    return " ".join((kind or "").lower().split())


def known_kinds() -> list[str]:
    """Every service kind a manifest may name (RDR's service type ids and labels, common words)."""
    return sorted(_SERVICE_TYPES)


def service_type(kind: str) -> str:
    """RDR's service type for a manifest service kind; ``other`` when RDR has no such type."""
    return _SERVICE_TYPES.get(_kind_key(kind), OTHER)


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
    problem: str | None = None  # why this document is refused (its other fields); None = fine

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
    warnings: tuple[str, ...] = ()  # unknown keys and the like: reported, not fatal

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


def _unknown_keys(raw: dict, known: tuple[str, ...], where: str, kept: str = "ignored") -> list[str]:
    """Warnings for keys outside ``known``, each with the closest known key when there is one."""
    out = []
    for key in raw:
        if key in known:
            continue
        name = str(key)[:80]
        close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else f" (known: {', '.join(known)})"
        out.append(f"{where}: {name}: not a known field, {kept}{hint}")
    return out


def _meta_value(value: Any, where: str, depth: int = 0) -> Any:
    """A document's extra field as plain JSON data, or ManifestError naming the field."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) >= 2**63:
            raise ManifestError(f"{where}: number too large to keep as metadata")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ManifestError(f"{where}: {value!r} is not a finite number")
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str):
        if len(value) > MAX_META_TEXT:
            raise ManifestError(f"{where}: text longer than {MAX_META_TEXT:,} characters ({len(value):,})")
        try:
            return check_stored_text(value, where)
        except NameRefused as exc:
            raise ManifestError(str(exc)) from None
    if isinstance(value, list) and depth == 0:
        if len(value) > MAX_META_ITEMS:
            raise ManifestError(f"{where}: a list of more than {MAX_META_ITEMS} items")
        return [_meta_value(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
    if isinstance(value, AliasRefused):
        raise ManifestError(f"{where}: {value.describe()} cannot be kept as metadata")
    kind = {dict: "a mapping", list: "a nested list", set: "a set (!!set)", bytes: "binary data (!!binary)"}.get(
        type(value), type(value).__name__
    )
    raise ManifestError(
        f"{where}: {kind} cannot be kept as metadata; other fields may hold text, numbers, true/false, dates"
        f" or a list of up to {MAX_META_ITEMS} of them"
    )


def check_company_type(value: str, where: str, error: type[Exception]) -> str:
    """``value`` if the methodology knows this company type, else ``error`` naming ``where``."""
    try:
        company_kind(value)
    except MethodologyError as exc:
        raise error(f"{where}: {exc}") from None
    return value


def _id(value: Any, where: str, max_chars: int = MAX_ID_CHARS, required: bool = True, hint: str = "") -> str:
    """An id (company, service, document path or URL, language): refused by name when it holds a
    control, invisible or bidi character or is too long (see ``names``)."""
    text = _str(value, where, required=required, hint=hint)
    try:
        return check_id(text, where, max_chars=max_chars) if text else text
    except NameRefused as exc:
        raise ManifestError(str(exc)) from None


def _text(value: Any, where: str, max_chars: int, required: bool = False) -> str:
    """Free text (a name, a title, a label): bidi controls and zero-width characters removed, what
    cannot be stored refused by name (see ``names``)."""
    text = _str(value, where, required=required)
    try:
        return clean_text(text, where, max_chars=max_chars) if text else text
    except NameRefused as exc:
        raise ManifestError(str(exc)) from None


def _misspelt(raw: dict, key: str, known: tuple[str, ...]) -> str:
    """"; found KEY2 — a misspelling?" when ``raw`` lacks ``key`` but holds an unknown key close to it."""
    if not isinstance(raw, dict) or key in raw:
        return ""
    unknown = [str(k)[:80] for k in raw if k not in known]
    close = difflib.get_close_matches(key, unknown, n=1, cutoff=0.6)
    return f" (found {close[0]!r}: did you mean {key}?)" if close else ""


def _str(value: Any, where: str, required: bool = True, hint: str = "") -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ManifestError(f"{where}: missing{hint}")
        return ""
    if isinstance(value, AliasRefused):
        raise ManifestError(f"{where}: {value.describe()}")
    if not isinstance(value, (str, int, float)):
        raise ManifestError(f"{where}: expected text, got {type(value).__name__}")
    return str(value).strip()


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def load_manifest(
    path: str | Path, *, check_files: bool = True, allow_roots: list[str | Path] | tuple = ()
) -> Manifest:
    """Read and validate a YAML or JSON manifest.

    Local document paths must lie inside the manifest's folder, or inside one of ``allow_roots``
    (checked after resolving symbolic links) when ``check_files`` is set (the files are to be read).
    """
    path = Path(path)
    try:
        raw = load_data_file(path, what="manifest", max_bytes=MAX_MANIFEST_BYTES)  # the one bounded YAML loader
    except DataFileError as exc:
        raise ManifestError(str(exc)) from None
    return parse_manifest(raw, base=path.parent, name=str(path), check_files=check_files, path=path, allow_roots=allow_roots)


def _outside(abs_path: Path, base: Path, allow_roots: list[Path], where: str) -> str | None:
    """Why a path (already resolved) may not be read: outside the manifest's folder and the
    allowed roots; None when it may."""
    roots = [base.resolve(), *allow_roots]
    if any(abs_path == r or r in abs_path.parents for r in roots):
        return None
    return (
        f"{where}: path: {abs_path} is outside the manifest's folder ({roots[0]}); documents are read only"
        " from there (symbolic links resolved); allow another folder with --allow-root"
    )


def parse_manifest(
    raw: Any, *, base: Path, name: str = "manifest", check_files: bool = True, path: Path | None = None,
    allow_roots: list[str | Path] | tuple = (),
) -> Manifest:
    if not isinstance(raw, dict):
        raise ManifestError(f"{name}: expected a mapping with index, methodology and companies")
    roots = [Path(r).resolve() for r in allow_roots]
    warnings: list[str] = _unknown_keys(raw, MANIFEST_KEYS, name)
    index = _text(raw.get("index"), f"{name}: index", MAX_LABEL_CHARS) or ""
    methodology = _str(raw.get("methodology"), f"{name}: methodology", hint=_misspelt(raw, "methodology", MANIFEST_KEYS))
    from .. import methodology as m

    try:
        m.load(methodology)
    except MethodologyError as exc:
        raise ManifestError(f"{name}: methodology: {exc}") from None
    companies_raw = raw.get("companies")
    if not isinstance(companies_raw, list) or not companies_raw:
        raise ManifestError(f"{name}: companies: " + (f"missing{_misspelt(raw, 'companies', MANIFEST_KEYS)}" if _misspelt(raw, "companies", MANIFEST_KEYS) else "expected a non-empty list"))

    companies: list[CompanySpec] = []
    seen_companies: set[str] = set()
    for ci, c in enumerate(companies_raw, 1):
        cwhere = f"{name}: company #{ci}"
        if not isinstance(c, dict):
            raise ManifestError(f"{cwhere}: expected a mapping")
        cid = _id(c.get("id"), f"{cwhere}: id", hint=_misspelt(c, "id", COMPANY_KEYS))
        cwhere = f"{name}: company {cid!r}"
        warnings += _unknown_keys(c, COMPANY_KEYS, cwhere)
        if cid in seen_companies:
            raise ManifestError(f"{cwhere}: duplicate company id")
        seen_companies.add(cid)
        ctype = check_company_type(_str(c.get("type"), f"{cwhere}: type", hint=_misspelt(c, "type", COMPANY_KEYS)), f"{cwhere}: type", ManifestError)
        services: list[ServiceSpec] = []
        services_raw = c.get("services") or []
        if not isinstance(services_raw, list):
            raise ManifestError(f"{cwhere}: services: expected a list of services with id and kind")
        for si, s in enumerate(services_raw, 1):
            if not isinstance(s, dict):
                raise ManifestError(f"{cwhere}: service #{si}: expected a mapping with id and kind")
            sid = _id(s.get("id"), f"{cwhere}: service #{si}: id", hint=_misspelt(s, "id", SERVICE_KEYS))
            if sid in COMPANY_LEVELS:
                raise ManifestError(f"{cwhere}: service {sid!r}: a service cannot be named Group or OpCom")
            if any(x.id == sid for x in services):
                raise ManifestError(f"{cwhere}: service {sid!r}: duplicate service id")
            swhere = f"{cwhere}: service {sid!r}"
            warnings += _unknown_keys(s, SERVICE_KEYS, swhere)
            kind = _str(s.get("kind"), f"{swhere}: kind", required=False)
            if not kind:
                warnings.append(f"{swhere}: kind: missing, taken as {OTHER!r} (no RDR service type: only the questions"
                                " RDR asks of every service type apply)")
            elif _kind_key(kind) not in _SERVICE_TYPES:
                close = difflib.get_close_matches(_kind_key(kind), list(_SERVICE_TYPES), n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ManifestError(
                    f"{swhere}: kind: unknown service kind {kind!r}; {hint}known kinds: {', '.join(known_kinds())}"
                )
            services.append(ServiceSpec(id=sid, kind=kind))
        if not services:
            raise ManifestError(f"{cwhere}: services: at least one service is needed (RDR grades services)")
        levels = {*COMPANY_LEVELS, *(s.id for s in services)}
        docs: list[DocumentSpec] = []
        seen_docs: set[str] = set()
        docs_raw = c.get("documents")
        if not isinstance(docs_raw, list) or not docs_raw:
            hint = _misspelt(c, "documents", COMPANY_KEYS)
            raise ManifestError(f"{cwhere}: documents: " + (f"missing{hint}" if hint else "expected a non-empty list"))
        for di, d in enumerate(docs_raw, 1):
            dwhere = f"{cwhere}: document #{di}"
            if not isinstance(d, dict):
                raise ManifestError(f"{dwhere}: expected a mapping")
            rel = _id(d.get("path"), f"{dwhere}: path", MAX_KEY_CHARS, required=False)
            url = _id(d.get("url"), f"{dwhere}: url", MAX_KEY_CHARS, required=False) or None
            if not rel and not url:
                hint = _misspelt(d, "path", DOCUMENT_KEYS) or _misspelt(d, "url", DOCUMENT_KEYS)
                raise ManifestError(f"{dwhere}: needs a path or a url{hint}")
            key = rel or url
            dwhere = f"{cwhere}: document {key!r}"
            if key in seen_docs:
                raise ManifestError(f"{dwhere}: duplicate document")
            seen_docs.add(key)
            abs_path = None
            outside = None
            if rel:
                abs_path = (base / rel).resolve()
                outside = _outside(abs_path, base, roots, dwhere) if check_files else None
                if check_files and outside is None:
                    if not abs_path.exists():
                        raise ManifestError(f"{dwhere}: path: file not found ({abs_path})")
                    if not abs_path.is_file():
                        raise ManifestError(f"{dwhere}: path: not a file ({abs_path})")
            elif not url.lower().startswith(("http://", "https://")):
                raise ManifestError(f"{dwhere}: url: only http(s) URLs can be fetched")
            lv = d.get("levels")
            doc_levels: tuple[str, ...] | None = None
            typo = _misspelt(d, "levels", DOCUMENT_KEYS)
            if typo:  # absent levels mean "every level": a misspelt one must not widen what it speaks for
                raise ManifestError(f"{dwhere}: levels: missing{typo}; without levels a document speaks for every level")
            if lv is not None:
                if isinstance(lv, str):
                    lv = [lv]
                if not isinstance(lv, list) or not lv:
                    raise ManifestError(f"{dwhere}: levels: expected a list such as [Group, {services[0].id}]")
                if not all(isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in lv):
                    raise ManifestError(f"{dwhere}: levels: expected level names such as [Group, {services[0].id}]")
                unknown = [str(x) for x in lv if str(x) not in levels]
                if unknown:
                    raise ManifestError(
                        f"{dwhere}: levels: unknown level {', '.join(map(repr, unknown))}"
                        f" (levels of {cid}: {', '.join(sorted(levels))})"
                    )
                doc_levels = tuple(dict.fromkeys(str(x) for x in lv))
            # other keys are kept as metadata: plain values only (see the module docstring)
            meta: dict[str, Any] = {}
            problem = outside  # a path outside: this document is refused, nothing of it is read
            total = 0
            for k, v in d.items():
                if k in DOCUMENT_KEYS:
                    continue
                try:
                    try:
                        check_stored_text(str(k), f"{dwhere}: {str(k)[:80]!r}")
                    except NameRefused as exc:
                        raise ManifestError(str(exc)) from None
                    meta[str(k)] = _meta_value(v, f"{dwhere}: {str(k)[:80]}")
                    total += len(str(k)) + len(json.dumps(meta[str(k)], ensure_ascii=False))
                    if total > MAX_META_TOTAL:
                        raise ManifestError(f"{dwhere}: {str(k)[:80]}: other fields hold more than {MAX_META_TOTAL:,} characters in all")
                except ManifestError as exc:
                    problem, meta = problem or str(exc), {}
                    break
            warnings += [
                w for w in _unknown_keys(d, DOCUMENT_KEYS, dwhere, kept="kept as metadata") if "did you mean" in w
            ]
            language = _id(d.get("language"), f"{dwhere}: language", MAX_LANGUAGE_CHARS, required=False) or None
            docs.append(
                DocumentSpec(
                    key=key,
                    title=_text(d.get("title"), f"{dwhere}: title", MAX_TITLE_CHARS) or clean_text(Path(key).name, max_chars=MAX_TITLE_CHARS),
                    path=abs_path,
                    url=url,
                    type=_text(d.get("type"), f"{dwhere}: type", MAX_LABEL_CHARS) or None,
                    language=language.lower() if language else None,
                    version_date=_date(d.get("version_date"), f"{dwhere}: version_date"),
                    accessed=_date(d.get("accessed"), f"{dwhere}: accessed"),
                    levels=doc_levels,
                    meta=meta,
                    problem=problem,
                )
            )
        companies.append(
            CompanySpec(
                id=cid,
                name=_text(c.get("name"), f"{cwhere}: name", MAX_NAME_CHARS) or cid,
                type=ctype,
                services=tuple(services),
                documents=tuple(docs),
            )
        )
    return Manifest(
        path=path, index=index, methodology=methodology, companies=tuple(companies), warnings=tuple(warnings)
    )

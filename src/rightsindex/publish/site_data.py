"""What a published site shows, read from the store once: the assessment, its companies with their
rows, scores and documents (the versions cited), and each company's history."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from .. import methodology as methodology_mod

__all__ = ["CompanyInfo", "DocumentInfo", "PublishError", "collect_site", "evidence_view", "format_element_csv", "latest_finished", "slug"]


LEVEL_ORDER = ("Group", "OpCom")


class PublishError(RuntimeError):
    """Nothing to publish, or a place it must not be written to; the message says which."""


def slug(value: str, taken: set[str]) -> str:
    """A file name for a company id: the id itself when it is plain ASCII (``Apple``), else a
    readable part plus a hash; unique even on case-insensitive file systems."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-.")
    if not base or base != value:
        base = (base + "-" if base else "") + hashlib.sha1(value.encode("utf-8")).hexdigest()[:8]
    slug, n = base, 2
    while slug.lower() in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug.lower())
    return slug


@dataclass
class DocumentInfo:
    key: str
    title: str
    url: str | None
    type: str | None
    levels: list | None
    versions: dict[int, dict] = field(default_factory=dict)  # seq -> {"id", "date", "language", "text"}
    used: int | None = None  # seq of the version the assessment used
    number: int = 0


@dataclass
class CompanyInfo:
    id: str
    slug: str
    label: str
    type: str
    scores: dict
    services: list[tuple[str, str]]  # (service id, RDR service type) in manifest order
    documents: dict[str, DocumentInfo]
    rows: dict[str, list[dict]]  # element -> rows (one per level), evidence parsed
    levels: list[str]  # levels in display order
    history: dict = field(default_factory=dict)  # over_time.collect: previous, moved, points
    duties: list = field(default_factory=list)  # notice duties (``review.items`` rows) when graded with --framework


def latest_finished(session) -> int:
    """The assessment published by default (``timeline.assessments.default_assessment``): the latest
    finished one of the current versions; as-of assessments only when named."""
    from ..timeline.assessments import as_of_list, default_assessment

    a = default_assessment(session)
    if a is None:
        as_of = as_of_list(session)
        raise PublishError("no finished assessment of the current policies in the database: run `rightsindex assess` first"
                           + (f" (as-of assessments are published only when named with --assessment ID: {as_of})" if as_of else ""))
    return a.id


def company_documents(session, company_key: str, used: dict[str, int], cited: set[tuple[str, int]]) -> dict[str, DocumentInfo]:
    """The company's documents this assessment used (``used``: key -> version id), with every
    version's date and language, and the text of the versions used or cited (``cited``: key, seq)."""
    from sqlalchemy.orm import defer

    from ..store.models import Company, Document, Version

    comp = session.scalars(select(Company).where(Company.key == company_key)).first()
    if comp is None:
        return {}
    out: dict[str, DocumentInfo] = {}
    for d in session.scalars(select(Document).where(Document.company_id == comp.id).order_by(Document.id)):
        if used and d.key not in used:
            continue  # a document of the company this assessment did not use
        info = DocumentInfo(key=d.key, title=d.title or d.key, url=d.url, type=d.type, levels=d.levels)
        versions = session.scalars(
            select(Version).where(Version.document_id == d.id).order_by(Version.seq).options(defer(Version.text))
        )
        for v in versions:
            info.versions[v.seq] = {"id": v.id, "date": v.version_date, "language": v.language, "text": None}
            if used.get(d.key) == v.id:
                info.used = v.seq
            if info.used == v.seq or (d.key, v.seq) in cited:
                info.versions[v.seq]["text"] = v.text  # loaded now, for the document page
        out[d.key] = info
    for n, info in enumerate(out.values(), 1):
        info.number = n
    return out


def collect_site(store, assessment_id: int | None, *, runner=None, store_url: str | None = None):
    """Everything the site shows, read once: assessment, methodology, rows, scores, documents."""
    from ..review.results import assessment_rows
    from ..scoring import score_all
    from ..store.models import Assessment, Company
    from ..timeline.assessments import shown
    from .scores import scores_csv, scores_json

    with store.session() as s:
        if assessment_id is None:
            assessment_id = latest_finished(s)
        a = s.get(Assessment, assessment_id)
        if a is None:
            raise PublishError(f"no assessment #{assessment_id} in the database")
        if a.status != "done":
            raise PublishError(f"assessment #{assessment_id} is not finished (status {a.status!r}): finish it with `rightsindex assess` first")
        if not a.runs:
            why = f": no document of its manifest was in force on {a.as_of.isoformat()}" if a.as_of is not None else ""
            raise PublishError(f"assessment #{assessment_id} graded no company{why}")
        shows = shown(a)
        info = {
            "id": a.id, "index": a.index, "methodology": a.methodology, "model": a.model_version,
            "created_at": a.created_at, "finished_at": a.finished_at, "manifest_sha256": a.manifest_sha256,
            "as_of": shows["as_of"], "day": shows["day"], "shows": shows["text"],
            "frameworks": list((a.meta or {}).get("frameworks") or []),
        }
        runs = [(r.company_key, dict(r.meta or {})) for r in a.runs]
    meth = methodology_mod.load(info["methodology"])

    rows, results = assessment_rows(store, assessment_id, runner=runner, store_url=store_url)
    scores = score_all(meth, results)
    sj = scores_json(scores, meth, index=info["index"])
    sj["assessment"] = {"id": assessment_id, "model": info["model"], "as_of": info["as_of"], "day": info["day"], "shows": info["shows"]}
    files = {
        "element-scores.csv": format_element_csv([{**r, "AsOf": info["day"]} for r in rows]),
        "scores.csv": scores_csv(scores, meth, index=info["index"], as_of=info["day"]),
        "scores.json": json.dumps(sj, indent=2, ensure_ascii=False) + "\n",
    }

    by_company: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        try:
            ev = json.loads(r["Evidence"]) if r.get("Evidence") not in (None, "", "NA") else []
        except ValueError:
            ev = []
        ev = [evidence_view(e) for e in ev] if isinstance(ev, list) else []
        by_company[r["Company"]][r["Element"]].append({**r, "evidence": ev})

    taken: set[str] = set()
    companies: dict[str, CompanyInfo] = {}
    with store.session() as s:
        for key, meta in runs:
            c = sj["companies"].get(key)
            if c is None:  # a company without any row: nothing to show
                continue
            comp = s.scalars(select(Company).where(Company.key == key)).first()
            services: list[tuple[str, str]] = []
            kinds: dict[str, str] = {}
            for el_rows in by_company[key].values():
                for r in el_rows:
                    if r["Branch"] == "Services":
                        kinds.setdefault(r["Service"], r["Class"])
            for svc in (comp.services if comp else []):
                if svc.key in kinds:
                    services.append((svc.key, kinds[svc.key]))
            services += [(k, v) for k, v in kinds.items() if k not in {x for x, _ in services}]
            levels = [lvl for lvl in LEVEL_ORDER if lvl in c["levels"]] + [k for k, _ in services]
            companies[key] = CompanyInfo(
                id=key, slug=slug(key, taken), label=c["label"] or key, type=c["type"], scores=c,
                services=services,
                documents=company_documents(
                    s, key, meta.get("versions") or {},
                    {(e["path"], e["version"]) for rs in by_company[key].values() for r in rs for e in r["evidence"]},
                ),
                rows=by_company[key], levels=levels,
            )
    from .over_time import collect

    for key, h in collect(store, assessment_id, info["methodology"], rows).items():
        if key in companies:
            companies[key].history = h
    if info["frameworks"]:
        from ..formats.frameworkcsv import format_framework_rows
        from ..review.items import item_rows
        from .frameworks import frameworks_json

        duties = item_rows(store, assessment_id)
        files["framework-scores.csv"] = format_framework_rows(duties)
        files["framework-scores.json"] = json.dumps(frameworks_json(duties, {"id": assessment_id}), indent=2, ensure_ascii=False) + "\n"
        for r in duties:
            if r["Company"] in companies:
                companies[r["Company"]].duties.append(r)
    return info, meth, sj, files, companies


def format_element_csv(rows: list[dict]) -> str:
    from ..formats.elementcsv import format_rows
    from ..formats.elementcsv import EXTRA_COLUMNS

    return format_rows(rows, EXTRA_COLUMNS)


def evidence_view(e: dict) -> dict:
    """One cited passage with every field present (analysts' decisions may cite less)."""
    out = {"path": "", "version": None, "start": None, "end": None, "text": "", "score": None, **(e if isinstance(e, dict) else {})}
    out["path"], out["text"] = str(out["path"] or ""), str(out["text"] or "")
    for k in ("version", "start", "end"):
        try:
            out[k] = None if out[k] is None else int(out[k])
        except (TypeError, ValueError):
            out[k] = None
    try:
        out["score"] = None if out["score"] is None else float(out["score"])
    except (TypeError, ValueError):
        out["score"] = None
    return out

"""``publish``: one assessment as a self-contained static site, data files and PDF scorecards.

    publish_site("sqlite:///out/rightsindex.sqlite", Path("site"))            # latest finished assessment
    publish_site("postgresql+psycopg://…", Path("site"), assessment_id=3)

Writes::

    site/index.html                      ranking: companies by total with G/F/P, bar chart
    site/company/<slug>/index.html       scorecard: categories, services, every indicator (colour scale)
    site/company/<slug>/<IND>.html       the elements of one indicator: question, grade, confidence, evidence
    site/company/<slug>/doc-<n>-v<seq>.html  a document version's text, cited passages marked
    site/charts/*.svg, site/company/<slug>/*.svg   matplotlib charts
    site/assets/site.css
    site/data/element-scores.csv         RDR's public element format + Confidence, Evidence, …
    site/data/scores.csv, site/data/scores.json
    site/pdf/<slug>.pdf                  one printable scorecard per company (WeasyPrint)
    site/site.json                       what was published, from which assessment

The site opens from disk (``file://``): relative links only, no scripts, nothing fetched from
elsewhere (a Content-Security-Policy says so too). Policy text is untrusted and is always escaped
(Jinja2 autoescape), never rendered as markup.

Element results come from :func:`rightsindex.pipeline.element_rows` (analysts' final decisions win)
and scores from the same functions as ``assess``'s outputs, so the published numbers are those of
``pipeline.write_outputs``. This module computes no grade.

The site is built in a temporary folder next to ``out`` and moved into place at the end: a failure
leaves the previous publication (or nothing), never half a site. An existing ``out`` is replaced only
when it is an earlier publication (it holds ``site.json``) or empty.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from .. import methodology as methodology_mod
from ..elementcsv import umask
from .text import display
from ..methodology import Methodology

MARKER = "site.json"
GENERATOR = "rightsindex publish"
LEVEL_ORDER = ("Group", "OpCom")
RESULT_CLASS = {"yes": "yes", "partial": "partial", "no": "no", "no disclosure found": "ndf", "NA": "na"}
RESULT_LABEL = {"yes": "Yes", "partial": "Partial", "no": "No", "no disclosure found": "No disclosure found", "NA": "N/A"}
BANDS = ((20, "s0", "0–19"), (40, "s1", "20–39"), (60, "s2", "40–59"), (80, "s3", "60–79"), (101, "s4", "80–100"))
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


class PublishError(RuntimeError):
    """Nothing to publish, or a place it must not be written to; the message says which."""


# -- small helpers ---------------------------------------------------------------------------------


def band(value: float | None) -> str:
    """CSS class of a 0–100 score on the five-step colour scale (``na`` for N/A), by the value shown."""
    from .scores import display_value

    value = display_value(value)
    if value is None:
        return "na"
    for upper, cls, _ in BANDS:
        if value < upper:
            return cls
    return BANDS[-1][1]


def fmt(value: float | None, digits: int = 1) -> str:
    """A score as people read it (one rounding rule everywhere: ``publish.scores.display_score``)."""
    from .scores import display_score

    return display_score(value) if digits == 1 else ("N/A" if value is None else f"{value:.{digits}f}")


def lang_of(text: str | None) -> str:
    """``zh`` when the text holds Chinese characters, so browsers pick a CJK font; else ``en``."""
    return "zh" if text and _CJK.search(text) else "en"


def _slug(value: str, taken: set[str]) -> str:
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


def _sqlite_path(url: str) -> Path | None:
    try:
        u = make_url(url)
    except Exception:  # noqa: BLE001 - the store reports bad URLs itself
        return None
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        return Path(u.database).expanduser().resolve()
    return None


# -- what is published -----------------------------------------------------------------------------


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


def _latest_finished(session) -> int:
    from ..store.models import Assessment

    a = session.scalars(
        select(Assessment).where(Assessment.status == "done").order_by(Assessment.finished_at.desc(), Assessment.id.desc())
    ).first()
    if a is None:
        raise PublishError("no finished assessment in the database: run `rightsindex assess` first")
    return a.id


def _documents(session, company_key: str, used: dict[str, int], cited: set[tuple[str, int]]) -> dict[str, DocumentInfo]:
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


def _collect(store, assessment_id: int | None, *, runner=None, store_url: str | None = None):
    """Everything the site shows, read once: assessment, methodology, rows, scores, documents."""
    from .. import pipeline
    from ..scoring import score_all
    from ..store.models import Assessment, Company
    from .scores import scores_csv, scores_json

    with store.session() as s:
        if assessment_id is None:
            assessment_id = _latest_finished(s)
        a = s.get(Assessment, assessment_id)
        if a is None:
            raise PublishError(f"no assessment #{assessment_id} in the database")
        if a.status != "done":
            raise PublishError(f"assessment #{assessment_id} is not finished (status {a.status!r}): finish it with `rightsindex assess` first")
        if not a.runs:
            raise PublishError(f"assessment #{assessment_id} graded no company")
        info = {
            "id": a.id, "index": a.index, "methodology": a.methodology, "model": a.model_version,
            "created_at": a.created_at, "finished_at": a.finished_at, "manifest_sha256": a.manifest_sha256,
        }
        runs = [(r.company_key, dict(r.meta or {})) for r in a.runs]
    meth = methodology_mod.load(info["methodology"])

    rows, results = pipeline.assessment_rows(store, assessment_id, runner=runner, store_url=store_url)
    scores = score_all(meth, results)
    sj = scores_json(scores, meth, index=info["index"])
    sj["assessment"] = {"id": assessment_id, "model": pipeline.model_version_of(store, assessment_id)}
    files = {
        "element-scores.csv": _format_element_csv(rows),
        "scores.csv": scores_csv(scores, meth, index=info["index"]),
        "scores.json": json.dumps(sj, indent=2, ensure_ascii=False) + "\n",
    }

    by_company: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        try:
            ev = json.loads(r["Evidence"]) if r.get("Evidence") not in (None, "", "NA") else []
        except ValueError:
            ev = []
        ev = [_evidence(e) for e in ev] if isinstance(ev, list) else []
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
                id=key, slug=_slug(key, taken), label=c["label"] or key, type=c["type"], scores=c,
                services=services,
                documents=_documents(
                    s, key, meta.get("versions") or {},
                    {(e["path"], e["version"]) for rs in by_company[key].values() for r in rs for e in r["evidence"]},
                ),
                rows=by_company[key], levels=levels,
            )
    from .over_time import collect

    for key, h in collect(store, assessment_id, info["methodology"], rows).items():
        if key in companies:
            companies[key].history = h
    return info, meth, sj, files, companies


def _format_element_csv(rows: list[dict]) -> str:
    from ..elementcsv import format_rows
    from ..pipeline import EXTRA_COLUMNS

    return format_rows(rows, EXTRA_COLUMNS)


# -- views -----------------------------------------------------------------------------------------


def _level_label(meth: Methodology, level: str, kind: str | None) -> str:
    if kind is None:
        return {"Group": "Group (company-wide)", "OpCom": "Operating company"}.get(level, level)
    return f"{level} ({meth.service_kinds.get(kind, kind)})" if kind != "other" else level


def _indicator_rows(meth: Methodology, c: CompanyInfo) -> list[dict]:
    """Every indicator of the methodology in order, with the company's score and per-level scores."""
    out = []
    present = {r["Indicator"] for rs in c.rows.values() for r in rs}
    for ind in meth.indicators.values():
        if ind.is_family:
            applicable = any(ch in present for ch in ind.children)
        else:
            applicable = ind.id in present
        if not applicable and ind.id not in c.scores["indicators"]:
            continue
        out.append(
            {
                "ind": ind,
                "score": c.scores["indicators"].get(ind.id),
                "levels": {lvl: c.scores["levels"].get(lvl, {}).get(ind.id) for lvl in c.levels},
                "page": None if ind.is_family or ind.id not in present else f"{ind.id}.html",
                "sub": ind.family is not None,
            }
        )
    return out


def _assessed_levels(c: CompanyInfo) -> list[str]:
    """Levels with at least one graded (not N/A) element: the columns worth showing."""
    graded = {r["Service"] for rs in c.rows.values() for r in rs if r["Result"] != "NA"}
    return [lvl for lvl in c.levels if lvl in graded]


def _element_view(meth: Methodology, c: CompanyInfo, element_id: str, doc_pages: dict) -> dict:
    el = meth.elements[element_id]
    per_level = []
    na_levels = []
    for r in sorted(c.rows.get(element_id, []), key=lambda r: c.levels.index(r["Service"]) if r["Service"] in c.levels else 99):
        if r["Result"] == "NA":
            na_levels.append(r["Service"])
            continue
        ev = []
        for e in map(_evidence, r["evidence"]):
            doc = c.documents.get(e["path"])
            version = doc.versions.get(e.get("version")) if doc else None
            page = doc_pages.get((e["path"], e["version"]))
            ev.append(
                {
                    **e,
                    "title": doc.title if doc else e["path"],
                    "date": version["date"] if version else None,
                    "href": f"{page}#p{e['start']}-{e['end']}" if page and e["start"] is not None else page,
                    "lang": lang_of(e["text"]),
                }
            )
        comment = r.get("Comment") or ""
        human = r.get("Reviewed") == "yes" or not comment.startswith(("Automated:", "Not applicable"))
        per_level.append(
            {
                "level": r["Service"],
                "level_label": _level_label(meth, r["Service"], None if r["Branch"] == "Company" else r["Class"]),
                "result": r["Result"],
                "cls": RESULT_CLASS.get(r["Result"], "na"),
                "label": RESULT_LABEL.get(r["Result"], r["Result"]),
                "score": r["Score"],
                "confidence": None if r.get("Confidence") in (None, "", "NA") else float(r["Confidence"]),
                "reviewed": r.get("Reviewed") == "yes",
                "comment": comment if human else "",
                "prior": None if r.get("PriorRelation") in (None, "", "NA") else {"relation": r["PriorRelation"], "result": r.get("PriorResult")},
                "evidence": ev,
            }
        )
    return {"el": el, "levels": _merge_levels(per_level), "na_levels": na_levels}


def _merge_levels(per_level: list[dict]) -> list[dict]:
    """Levels with the same answer resting on the same passage are shown once (a document that
    speaks for several services otherwise repeats itself), with the range of their confidences and
    the passages any of them considered."""

    def loc(e: dict) -> tuple:
        return (e["path"], e["version"], e["start"], e["end"], e["text"])

    merged: dict[tuple, dict] = {}
    for j in per_level:
        relied = loc(j["evidence"][0]) if j["evidence"] and j["result"] != "no disclosure found" else None
        key = (j["result"], j["reviewed"], j["comment"], json.dumps(j["prior"], sort_keys=True), relied)
        if key in merged:
            m = merged[key]
            m["level_labels"].append(j["level_label"])
            m["levels"].append(j["level"])
            if j["confidence"] is not None:
                m["confidences"].append(j["confidence"])
            seen = {loc(e) for e in m["evidence"]}
            m["evidence"] = m["evidence"] + [e for e in j["evidence"] if loc(e) not in seen]
        else:
            merged[key] = {
                **j, "level_labels": [j["level_label"]], "levels": [j["level"]],
                "confidences": [j["confidence"]] if j["confidence"] is not None else [],
            }
    for m in merged.values():
        lo, hi = (min(m["confidences"]), max(m["confidences"])) if m["confidences"] else (None, None)
        m["confidence_text"] = (
            None if lo is None else f"{lo * 100:.0f}%" if round(lo * 100) == round(hi * 100) else f"{lo * 100:.0f}–{hi * 100:.0f}%"
        )
    return list(merged.values())


def _evidence(e: dict) -> dict:
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


def _doc_segments(text: str, spans: dict[tuple[int, int], list[dict]]) -> list[dict]:
    """The text cut into pieces; a cited span gets the anchor ``p<start>-<end>`` and the grades that
    rest on it (``refs``). A span inside another (a passage of a list cited whole) becomes an extra
    anchor of the outer piece (``aliases``), its grades joining the outer's; other overlaps after
    the first are left out."""
    out: list[dict] = []
    pos = 0
    last: dict | None = None
    for (start, end), refs in sorted(spans.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        if end <= start or end > len(text):
            continue
        if start < pos:
            if last is not None and start >= last["start"] and end <= pos:
                last["aliases"].append(f"p{start}-{end}")
                last["refs"].extend(r for r in refs if r not in last["refs"])
            continue
        if start > pos:
            out.append({"text": text[pos:start], "anchor": None, "refs": [], "aliases": []})
        last = {"text": text[start:end], "anchor": f"p{start}-{end}", "refs": list(refs), "aliases": [], "start": start}
        out.append(last)
        pos = end
    if pos < len(text):
        out.append({"text": text[pos:], "anchor": None, "refs": [], "aliases": []})
    return out


# -- rendering -------------------------------------------------------------------------------------


def _env():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("rightsindex.publish", "templates"),
        autoescape=True,  # policy text is untrusted: always escaped
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["score"] = fmt
    env.filters["band"] = band
    env.filters["lang"] = lang_of
    env.filters["plain"] = display  # policy text as people read it: no Markdown marks
    env.filters["width"] = lambda v: "0" if v is None else f"{max(0.0, min(100.0, float(v))):.1f}"
    env.globals["bands"] = BANDS
    env.globals["result_label"] = RESULT_LABEL
    return env


def _write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="\n")


def _build(tmp: Path, info: dict, meth: Methodology, sj: dict, files: dict, companies: dict[str, CompanyInfo], runner=None) -> dict:
    from . import charts

    env = _env()
    generated = datetime.now(timezone.utc)
    ranked = [companies[k] for k in sj["companies"] if k in companies]
    site = {
        "index": info["index"],
        "title": f"rightsindex {info['index']}".strip(),
        "methodology": meth,
        "assessment": info,
        "generated": generated,
        "companies": ranked,
        "categories": [(c.id, c.label) for c in meth.categories],
        "count": len(ranked),
    }
    css = resources.files("rightsindex.publish").joinpath("templates/site.css").read_text("utf-8")
    _write(tmp / "assets" / "site.css", css)
    for name, text in files.items():
        _write(tmp / "data" / name, text)

    chart_companies = [{"id": c.id, "label": c.label, "total": c.scores["total"], "categories": c.scores["categories"]} for c in ranked]
    _write(tmp / "charts" / "ranking.svg", charts.ranking_chart(chart_companies, title=f"{site['title']}: total and category scores"))
    pages = 0
    _write(tmp / "index.html", env.get_template("site-index.html.j2").render(site=site, root="", page="index"))
    pages += 1

    pdfs: dict[str, str] = {}
    if runner is None:
        for c in ranked:
            pages += _build_company(tmp, site, env, meth, c)
            pdfs[c.id] = f"pdf/{c.slug}.pdf"
    else:  # one task per company; the pages come back as bytes and are written here
        light = {k: v for k, v in site.items() if k not in ("methodology", "companies")}
        for cid, produced, n in runner.map(render_company, [(light, meth.id, c) for c in ranked], name="publish-site"):
            for rel, data in produced.items():
                _write(tmp / rel, data)
            pages += n
            pdfs[cid] = f"pdf/{companies[cid].slug}.pdf"

    manifest = {
        "generator": GENERATOR,
        "generated_at": generated.isoformat(timespec="seconds"),
        "assessment": {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in info.items()},
        "companies": {c.id: {"label": c.label, "page": f"company/{c.slug}/index.html", "pdf": pdfs[c.id]} for c in ranked},
        "data": {name: f"data/{name}" for name in files},
        "pages": pages,
    }
    _write(tmp / MARKER, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def render_company(site: dict, methodology_id: str, c: CompanyInfo) -> tuple[str, dict[str, bytes], int]:
    """A company's pages, charts and PDF scorecard, rendered in a folder of this process (a task):
    ``(company id, {path in the site: bytes}, pages)``."""
    meth = methodology_mod.load(methodology_id)
    site = {**site, "methodology": meth, "companies": []}  # a company's pages never list the others
    with tempfile.TemporaryDirectory(prefix="ri-publish-") as d:
        root = Path(d)
        n = _build_company(root, site, _env(), meth, c)
        produced = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    return c.id, produced, n


def _build_company(tmp: Path, site: dict, env, meth: Methodology, c: CompanyInfo) -> int:
    """Write one company's pages under ``tmp`` (company/<slug>/…, pdf/<slug>.pdf); returns pages."""
    from . import charts
    from .pdf import render_pdf

    pages = 0
    cdir = tmp / "company" / c.slug
    # document pages: the versions the evidence cites, every passage considered anchored, and
    # the passages grades rest on (the first passage of a yes, partial or no) marked with them
    cited: dict[tuple[str, int], dict[tuple[int, int], list[dict]]] = defaultdict(dict)
    for el_id, rs in c.rows.items():
        el = meth.elements[el_id]
        for r in rs:
            for i, e in enumerate(r["evidence"]):
                if e["path"] in c.documents and e["start"] is not None and e["end"] is not None:
                    refs = cited[(e["path"], e["version"])].setdefault((e["start"], e["end"]), [])
                    if i == 0 and r["Result"] in ("yes", "partial", "no"):
                        ref = {"label": el.label, "href": f"{el.indicator}.html#{el.id}", "result": r["Result"]}
                        if ref not in refs:
                            refs.append(ref)
    for doc in c.documents.values():
        if doc.used is not None:
            cited.setdefault((doc.key, doc.used), {})
    doc_pages: dict[tuple[str, int], str] = {}
    for (key, seq), spans in cited.items():
        doc = c.documents[key]
        version = doc.versions.get(seq)
        if version is None or version["text"] is None:
            continue
        name = f"doc-{doc.number}-v{seq}.html"
        doc_pages[(key, seq)] = name
        _write(
            cdir / name,
            env.get_template("site-document.html.j2").render(
                site=site, root="../../", page="document", company=c, doc=doc, seq=seq, version=version,
                segments=_doc_segments(version["text"], spans), considered=len(spans),
                relied=sum(1 for refs in spans.values() if refs),
            ),
        )
        pages += 1

    title = f"{c.label}: total and category scores"
    _write(cdir / "categories.svg", charts.categories_chart(c.scores, title=title, salt=f"cat-{c.slug}"))
    has_services = bool(c.scores.get("level_totals"))
    if len(c.scores.get("level_totals") or {}) > 1:  # one service: the category chart says it all
        _write(cdir / "services.svg", charts.services_chart(c.scores["level_totals"], title=f"{c.label}: scores per service", salt=f"svc-{c.slug}"))
    over_time = len(c.history.get("points") or []) > 1
    if over_time:
        from .over_time import company_chart

        _write(cdir / "over-time.svg", company_chart(c.history["points"], label=c.label, salt=f"time-{c.slug}"))
    ind_rows = _indicator_rows(meth, c)
    levels = _assessed_levels(c)
    kinds = dict(c.services)
    level_labels = {lvl: _level_label(meth, lvl, kinds.get(lvl)) for lvl in c.levels}
    kind_labels = {sid: meth.service_kinds.get(kind, kind.capitalize() if kind == "other" else kind) for sid, kind in c.services}
    ctx = dict(
        site=site, company=c, indicators=ind_rows, levels=levels, level_labels=level_labels, kind_labels=kind_labels,
        has_services=has_services,
        unassessed=[lvl for lvl in c.levels if lvl not in levels], doc_pages=doc_pages, services=c.services,
        pdf=f"pdf/{c.slug}.pdf", judgments=_counts(c), services_chart=len(c.scores.get("level_totals") or {}) > 1,
        over_time=over_time, history=c.history,
    )
    _write(cdir / "index.html", env.get_template("site-company.html.j2").render(root="../../", page="company", **ctx))
    pages += 1

    pageable = [r for r in ind_rows if r["page"]]
    for i, row in enumerate(pageable):
        ind = row["ind"]
        elements = [_element_view(meth, c, e, doc_pages) for e in ind.elements]
        _write(
            cdir / row["page"],
            env.get_template("site-indicator.html.j2").render(
                site=site, root="../../", page="indicator", company=c, row=row, ind=ind, elements=elements,
                levels=levels, level_labels=level_labels, sparkline=_sparkline(c, ind.id),
                prev=pageable[i - 1] if i > 0 else None, next=pageable[i + 1] if i + 1 < len(pageable) else None,
                family=meth.indicators[ind.family] if ind.family else None,
            ),
        )
        pages += 1

    pdf_path = tmp / "pdf" / f"{c.slug}.pdf"
    highlights = _highlights(meth, c)
    html = env.get_template("pdf-scorecard.html.j2").render(
        root="", highlights=highlights, **ctx,
        categories_svg=(cdir / "categories.svg").as_uri(),
        services_svg=(cdir / "services.svg").as_uri() if (cdir / "services.svg").exists() else None,
    )
    render_pdf(html, pdf_path, base_url=str(tmp))
    return pages


def _sparkline(c: CompanyInfo, indicator: str):
    from .over_time import sparkline

    return sparkline(c.history.get("points") or [], indicator)


def _counts(c: CompanyInfo) -> dict:
    counts: dict[str, int] = defaultdict(int)
    for rs in c.rows.values():
        for r in rs:
            counts[r["Result"]] += 1
            if r.get("Reviewed") == "yes":
                counts["reviewed"] += 1
    return dict(counts)


def _highlights(meth: Methodology, c: CompanyInfo, per_category: int = 2) -> list[dict]:
    """For the PDF: per category, the most confident full disclosures, each with its best passage."""
    out = []
    for cat in meth.categories:
        found = []
        for el_id, rs in c.rows.items():
            el = meth.elements[el_id]
            if meth.indicators[el.indicator].category != cat.id:
                continue
            for r in rs:
                if r["Result"] == "yes" and r["evidence"] and r["evidence"][0]["text"]:
                    conf = float(r["Confidence"]) if r.get("Confidence") not in (None, "", "NA") else 1.0
                    found.append((conf, el_id, r))
        found.sort(key=lambda t: (-t[0], t[1]))
        seen: set[str] = set()
        for conf, el_id, r in found:
            if el_id in seen:
                continue
            seen.add(el_id)
            e = r["evidence"][0]
            text = " ".join(e["text"].split())
            doc = c.documents.get(e["path"])
            out.append(
                {
                    "category": cat.label, "element": meth.elements[el_id], "level": r["Service"], "confidence": conf,
                    "text": text if len(text) <= 320 else text[:317] + "…", "lang": lang_of(text),
                    "title": doc.title if doc else e["path"], "version": e["version"],
                    "start": e["start"], "end": e["end"], "path": e["path"],
                }
            )
            if len(seen) >= per_category:
                break
    return out


# -- the entry point -------------------------------------------------------------------------------


def _check_target(out: Path, store_url: str) -> None:
    db = _sqlite_path(store_url)
    if db is not None and (db == out or out in db.parents):
        raise PublishError(f"{out} holds the database {db}: publish into another folder")
    if out.exists():
        if not out.is_dir():
            raise PublishError(f"{out} is a file, not a folder")
        if any(out.iterdir()):
            marker = out / MARKER
            try:
                ok = json.loads(marker.read_text("utf-8")).get("generator") == GENERATOR
            except (OSError, ValueError, AttributeError):
                ok = False
            if not ok:
                raise PublishError(
                    f"{out} is not empty and is not an earlier publication (no {MARKER}): "
                    "choose an empty or new folder; nothing was written"
                )


def publish_site(store_url: str, out: Path, assessment_id: int | None = None, *, runner=None) -> dict:
    """Publish one assessment (default: the latest finished one) as a static site in ``out``.

    Returns ``{"out", "assessment", "index", "methodology", "companies": {id: {"label", "page",
    "pdf", "total"}}, "files": {"index", "element-scores.csv", "scores.csv", "scores.json"}, "pages",
    "seconds"}`` with absolute paths. Raises :class:`PublishError` when there is nothing to publish
    or ``out`` must not be replaced; on any error the previous ``out`` is left as it was. With a
    ``runner`` (:mod:`rightsindex.runner`), each company's rows and each company's pages and PDF
    are made by a task of their own; the site is assembled here.
    """
    from ..store import Store

    t0 = time.perf_counter()
    out = Path(out).expanduser().resolve()
    _check_target(out, store_url)
    db = _sqlite_path(store_url)
    if db is not None and not db.is_file():
        raise PublishError(f"no database at {db}: run `rightsindex assess` first or give --db")
    store = Store.open(store_url)
    try:
        info, meth, sj, files, companies = _collect(store, assessment_id, runner=runner, store_url=store_url)
    finally:
        store.close()

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.publishing-", dir=out.parent))
    try:
        os.chmod(tmp, 0o777 & ~umask())  # mkdtemp makes it 0700; the site is made like any folder
        manifest = _build(tmp, info, meth, sj, files, companies, runner=runner)
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    return {
        "out": str(out),
        "assessment": info["id"],
        "index": info["index"],
        "methodology": info["methodology"],
        "companies": {
            cid: {**v, "page": str(out / v["page"]), "pdf": str(out / v["pdf"]), "total": sj["companies"][cid]["total"]}
            for cid, v in manifest["companies"].items()
        },
        "files": {"index": str(out / "index.html"), **{name: str(out / p) for name, p in manifest["data"].items()}},
        "pages": manifest["pages"],
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _swap(tmp: Path, out: Path) -> None:
    """Move the finished site into place; an earlier publication is replaced as a whole."""
    if not out.exists():
        os.replace(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def summary(result: dict) -> str:
    """A few lines for the command line about what :func:`publish_site` wrote."""
    lines = [f"published assessment #{result['assessment']} ({result['index']}, {result['methodology']}): "
             f"{len(result['companies'])} companies, {result['pages']} pages in {result['seconds']:.1f} s"]
    lines.append(f"site: {result['files']['index']}")
    lines.append(f"data: {Path(result['files']['element-scores.csv']).parent}")
    lines.append(f"pdf:  {Path(next(iter(result['companies'].values()))['pdf']).parent}" if result["companies"] else "pdf:  none")
    return "\n".join(lines)

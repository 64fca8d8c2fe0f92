"""``publish``: one assessment as a self-contained static site, data files and PDF scorecards.

    publish_site("sqlite:///out/rightsindex.sqlite", Path("site"))            # latest of the current versions
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
    site/frameworks/<id>.html            with ``assess --framework``: notice duties per company and
                                         service (+ data/framework-scores.csv, .json)
    site/pdf/<slug>.pdf                  one printable scorecard per company (WeasyPrint)
    site/site.json                       what was published, from which assessment

The site opens from disk (``file://``): relative links only, no scripts, nothing fetched from
elsewhere (a Content-Security-Policy says so too). Policy text is untrusted and is always escaped
(Jinja2 autoescape), never rendered as markup.

Element results come from :func:`rightsindex.review.results.element_rows` (analysts' final decisions
win) and scores from the same functions as ``assess``'s outputs, so the published numbers are those
of ``run.outputs.write_outputs``. This module computes no grade. What the site shows is read by
``site_data``; the views of a company are built by ``site_views``.

The site is built in a locked folder next to ``out`` and moved into place at the end (``staging``): a
failure leaves the previous publication (or nothing), never half a site, and the copies a killed
``publish`` left are removed by the next one that succeeds. An existing ``out`` is replaced only
when it is an earlier publication (it holds ``site.json``) or empty.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from sqlalchemy.engine import make_url

from .. import methodology as methodology_mod
from ..formats.visible import revealed
from .text import display
from ..methodology import Methodology
from .site_data import CompanyInfo, PublishError, collect_site
from .staging import clean_stale, staging_dir, swap
from .site_views import (
    BANDS,
    RESULT_LABEL,
    assessed_levels,
    band,
    company_highlights,
    doc_segments,
    element_view,
    fmt,
    indicator_rows,
    indicator_sparkline,
    lang_of,
    level_label,
    result_counts,
)

MARKER = "site.json"
GENERATOR = "rightsindex publish"

# -- small helpers ---------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path | None:
    try:
        u = make_url(url)
    except Exception:  # noqa: BLE001 - the store reports bad URLs itself
        return None
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        return Path(u.database).expanduser().resolve()
    return None


# -- what is published -----------------------------------------------------------------------------


# -- views -----------------------------------------------------------------------------------------


# -- rendering -------------------------------------------------------------------------------------


def _env():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("rightsindex.publish", "templates"),
        autoescape=True,  # policy text is untrusted: always escaped
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=revealed,  # control, bidirectional and zero-width characters shown as [U+XXXX]
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
        "title": (f"rightsindex {info['index']}".strip() + (f", as of {info['as_of']}" if info.get("as_of") else "")),
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
    pages += _build_frameworks(tmp, site, env, ranked)

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


def _build_frameworks(tmp: Path, site: dict, env, ranked: list[CompanyInfo]) -> int:
    """A page per notice framework graded (``frameworks/<id>.html``): every company and service,
    every duty, the passage that earns it or the closest one."""
    from .frameworks import duty_tables

    pages = 0
    for fid in site["assessment"].get("frameworks") or []:
        fw, tables = duty_tables(fid, [r for c in ranked for r in c.duties])
        slugs = {c.id: c.slug for c in ranked}
        _write(tmp / "frameworks" / f"{fid}.html",
               env.get_template("site-framework.html.j2").render(site=site, root="../", page="framework", fw=fw, tables=tables, slugs=slugs))
        pages += 1
    return pages


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
                segments=doc_segments(version["text"], spans), considered=len(spans),
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
    ind_rows = indicator_rows(meth, c)
    levels = assessed_levels(c)
    kinds = dict(c.services)
    level_labels = {lvl: level_label(meth, lvl, kinds.get(lvl)) for lvl in c.levels}
    kind_labels = {sid: meth.service_kinds.get(kind, kind.capitalize() if kind == "other" else kind) for sid, kind in c.services}
    ctx = dict(
        site=site, company=c, indicators=ind_rows, levels=levels, level_labels=level_labels, kind_labels=kind_labels,
        has_services=has_services,
        unassessed=[lvl for lvl in c.levels if lvl not in levels], doc_pages=doc_pages, services=c.services,
        pdf=f"pdf/{c.slug}.pdf", judgments=result_counts(c), services_chart=len(c.scores.get("level_totals") or {}) > 1,
        over_time=over_time, history=c.history, duties=_duties_by_service(c),
    )
    _write(cdir / "index.html", env.get_template("site-company.html.j2").render(root="../../", page="company", **ctx))
    pages += 1

    pageable = [r for r in ind_rows if r["page"]]
    for i, row in enumerate(pageable):
        ind = row["ind"]
        elements = [element_view(meth, c, e, doc_pages) for e in ind.elements]
        _write(
            cdir / row["page"],
            env.get_template("site-indicator.html.j2").render(
                site=site, root="../../", page="indicator", company=c, row=row, ind=ind, elements=elements,
                levels=levels, level_labels=level_labels, sparkline=indicator_sparkline(c, ind.id),
                prev=pageable[i - 1] if i > 0 else None, next=pageable[i + 1] if i + 1 < len(pageable) else None,
                family=meth.indicators[ind.family] if ind.family else None,
            ),
        )
        pages += 1

    pdf_path = tmp / "pdf" / f"{c.slug}.pdf"
    highlights = company_highlights(meth, c)
    html = env.get_template("pdf-scorecard.html.j2").render(
        root="", highlights=highlights, **ctx,
        categories_svg=(cdir / "categories.svg").as_uri(),
        services_svg=(cdir / "services.svg").as_uri() if (cdir / "services.svg").exists() else None,
    )
    render_pdf(html, pdf_path, base_url=str(tmp))
    return pages


def _duties_by_service(c: CompanyInfo) -> list[dict]:
    """The company's notice duties per service and framework, for its scorecard and PDF."""
    from .frameworks import duty_tables

    out = []
    for fid in dict.fromkeys(r["Framework"] for r in c.duties):
        fw, tables = duty_tables(fid, c.duties)
        out += [{"fw": fw, **t} for t in tables]
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
    """Publish one assessment as a static site in ``out``: by default the latest finished
    assessment of the current versions (an ``--as-of`` one only when named); every page, CSV and
    PDF says which policies it shows.

    Returns ``{"out", "assessment", "index", "methodology", "as_of", "shows", "companies": {id: {"label", "page",
    "pdf", "total"}}, "files": {"index", "element-scores.csv", "scores.csv", "scores.json"}, "pages",
    "seconds"}`` with absolute paths. Raises :class:`PublishError` when there is nothing to publish
    or ``out`` must not be replaced; on any error the previous ``out`` is left as it was. With a
    ``runner`` (:mod:`rightsindex.run.runner`), each company's rows and each company's pages and PDF
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
        info, meth, sj, files, companies = collect_site(store, assessment_id, runner=runner, store_url=store_url)
    finally:
        store.close()

    with staging_dir(out) as tmp:
        manifest = _build(tmp, info, meth, sj, files, companies, runner=runner)
        swap(tmp, out)
    clean_stale(out)  # copies that killed publications left beside it

    return {
        "out": str(out),
        "assessment": info["id"],
        "index": info["index"],
        "methodology": info["methodology"],
        "as_of": info["as_of"],
        "shows": info["shows"],
        "companies": {
            cid: {**v, "page": str(out / v["page"]), "pdf": str(out / v["pdf"]), "total": sj["companies"][cid]["total"]}
            for cid, v in manifest["companies"].items()
        },
        "files": {"index": str(out / "index.html"), **{name: str(out / p) for name, p in manifest["data"].items()}},
        "pages": manifest["pages"],
        "seconds": round(time.perf_counter() - t0, 2),
    }


def summary(result: dict) -> str:
    """A few lines for the command line about what :func:`publish_site` wrote."""
    lines = [f"published assessment #{result['assessment']} ({result['index']}, {result['methodology']}; {result['shows']}): "
             f"{len(result['companies'])} companies, {result['pages']} pages in {result['seconds']:.1f} s"]
    lines.append(f"site: {result['files']['index']}")
    lines.append(f"data: {Path(result['files']['element-scores.csv']).parent}")
    lines.append(f"pdf:  {Path(next(iter(result['companies'].values()))['pdf']).parent}" if result["companies"] else "pdf:  none")
    return "\n".join(lines)

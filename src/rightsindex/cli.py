"""The command line: a thin skin over the package's modules."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import __version__

app = typer.Typer(
    help="rightsindex: grade technology companies' policies on the Ranking Digital Rights methodology.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
)
methodology_app = typer.Typer(
    help="Methodologies shipped as data (RDR 2020, RDR 2022) and notice frameworks (GDPR, PIPL).", no_args_is_help=True
)
app.add_typer(methodology_app, name="methodology")
corpus_app = typer.Typer(help="Policy documents, their versions and passages.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
user_app = typer.Typer(help="Local accounts of the analyst web app (viewer, analyst, admin).", no_args_is_help=True)
app.add_typer(user_app, name="user")

DB_HELP = "Database URL (default: $RIGHTSINDEX_DB or sqlite:///rightsindex.sqlite)."
ROOT_HELP = "Also read manifest paths inside DIR (default: only inside the manifest's folder). Repeatable."

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


def _progress():
    """A progress bar on stderr that disappears when done (stdout stays clean for results)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def fail(message: str, code: int = 2) -> "typer.Exit":
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        print(f"rightsindex {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    pass


# -- methodology --------------------------------------------------------------------------------


@methodology_app.command("list")
def methodology_list() -> None:
    """List the methodologies and notice frameworks shipped in the package."""
    from . import methodology as m
    from .methodology import frameworks

    for mid in m.available():
        meth = m.load(mid)
        print(f"{mid}\t{meth.name}\t{len(meth.indicators)} indicators, {len(meth.elements)} elements")
    for fid in frameworks.available():
        fw = frameworks.load(fid)
        print(f"{fid}\t{fw.name}\t{len(fw.items)} items")


@methodology_app.command("show")
def methodology_show(
    methodology_id: str = typer.Argument(..., metavar="ID", help="e.g. rdr-2022 or pipl-notice"),
    indicator: Optional[str] = typer.Argument(None, metavar="[INDICATOR|ITEM]", help="e.g. P3a or G04; a framework's item, e.g. cross-border"),
    as_json: bool = typer.Option(False, "--json", help="Print the data as JSON."),
) -> None:
    """Print a methodology, or one indicator with its elements, guidance and glossary terms; or a
    notice framework's items, or one item with its questions, criteria and crosswalk."""
    from dataclasses import asdict

    from . import methodology as m
    from .methodology import frameworks

    if frameworks.is_framework(methodology_id):
        return _framework_show(methodology_id, indicator, as_json)
    try:
        meth = m.load(methodology_id)
        ind = meth.indicator(indicator) if indicator else None
    except m.MethodologyError as exc:
        raise fail(str(exc))
    if as_json:
        if ind is None:
            data = {"id": meth.id, "name": meth.name, "indicators": [asdict(i) for i in meth.indicators.values()]}
        else:
            data = {
                **asdict(ind),
                "element_details": [asdict(e) for e in meth.elements_of(ind.id)],
            }
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if ind is None:
        out.print(f"[bold]{meth.name}[/] ({meth.id})", markup=True)
        out.print(f"Source: {meth.source}\nLicence: {meth.licence}\n")
        for cat in meth.categories:
            table = Table(title=f"{cat.id} — {cat.label}", title_justify="left", show_lines=False)
            table.add_column("Indicator")
            table.add_column("Label")
            table.add_column("Scope")
            table.add_column("Elements", justify="right")
            table.add_column("Excluded")
            for i in meth.indicators.values():
                if i.category != cat.id:
                    continue
                n = len(meth.elements_of(i.id))
                name = i.short if i.top_level else f"  {i.short}"
                excluded = ", ".join([*i.excluded_company_kinds, *i.excluded_services])
                table.add_row(name, i.label, i.scoring_scope or "family", str(n), excluded)
            out.print(table)
        return
    width = min(out.width, 100)

    def para(text: str, indent: str = "") -> str:
        return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent)

    out.print(f"[bold]{ind.short} ({ind.id}) — {ind.label}[/]", markup=True)
    kind = "indicator family of " + ", ".join(meth.indicators[c].short for c in ind.children) if ind.is_family else f"scoring scope: {ind.scoring_scope}"
    out.print(f"{meth.name}; category {ind.category}; {kind}")
    if ind.family:
        out.print(f"part of family {meth.indicators[ind.family].short}")
    if ind.excluded_company_kinds or ind.excluded_services:
        out.print("not asked of: " + ", ".join([*ind.excluded_company_kinds, *ind.excluded_services]))
    if ind.description:
        out.print("\n" + para(ind.description))
    terms: list[str] = []
    out.print("\n[bold]Elements[/]", markup=True)
    for el in meth.elements_of(ind.id):
        flags = []
        if el.reversed:
            flags.append("reversed scoring: yes = 0, no = 100")
        excluded = [*el.excluded_company_kinds, *el.excluded_services]
        if excluded:
            flags.append("not asked of: " + ", ".join(excluded))
        out.print(para(f"{el.label}  {el.question}", "  ").lstrip(), soft_wrap=True)
        for f in flags:
            out.print(f"        [{f}]", markup=False)
        terms.extend(g for g in el.glossary if g not in terms)
    if ind.guidance:
        out.print("\n[bold]Research guidance[/]", markup=True)
        out.print(para(ind.guidance))
    if terms:
        out.print("\n[bold]Defined terms[/]", markup=True)
        for t in terms:
            g = meth.glossary[t]
            out.print(para(f"{g.term}: {g.definition}", "  "))


def _framework_show(framework_id: str, item_id: str | None, as_json: bool) -> None:
    from dataclasses import asdict

    from . import methodology as m
    from .methodology import frameworks

    fw = frameworks.load(framework_id)
    try:
        item = fw.item(item_id) if item_id else None
    except m.MethodologyError as exc:
        raise fail(str(exc))
    if as_json:
        data = asdict(item) if item else {**{k: v for k, v in asdict(fw).items() if k != "items"}, "items": [asdict(i) for i in fw.items.values()]}
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    width = min(out.width, 100)
    if item is None:
        out.print(f"[bold]{fw.name}[/] ({fw.id})", markup=True)
        out.print(f"Source: {fw.source}\nLicence: {fw.licence}\n")
        for it in fw.items.values():
            rdr = ", ".join(it.rdr_elements()) or "none"
            out.print(f"[bold]{it.id}[/]  {it.article}  (RDR: {rdr})", markup=True)
            out.print(textwrap.fill(it.question["en"], width=width, initial_indent="    ", subsequent_indent="    "))
        return
    out.print(f"[bold]{item.article} — {item.id}[/] ({fw.name})", markup=True)
    for lang, q in item.question.items():
        out.print(textwrap.fill(f"{lang}: {q}", width=width, subsequent_indent="    "))
    out.print("\n[bold]Answers[/]", markup=True)
    for result, text in item.criteria.items():
        out.print(textwrap.fill(f"{result}: {text}", width=width, initial_indent="  ", subsequent_indent="    "))
    out.print("\n[bold]Crosswalk[/]", markup=True)
    if not item.crosswalk:
        out.print("  none: no RDR element or other framework's item asks this")
    for target, ids in item.crosswalk.items():
        out.print(f"  {target}: {', '.join(ids)}")


@methodology_app.command("import-rdr")
def methodology_import_rdr(
    rdr_dir: Path = typer.Argument(..., help="Folder holding RDR's data: <year>/ and site-csv/ (e.g. ../shared/data/rdr)."),
    year: str = typer.Option(..., "--year", help="Edition to import, e.g. 2020 or 2022."),
    out_path: Optional[Path] = typer.Option(
        None, "--out", help="Where to write the JSON (default: the package's methodology/data/rdr-YEAR.json)."
    ),
    element_scores: Optional[List[Path]] = typer.Option(
        None,
        "--element-scores",
        help="RDR element-score CSVs of this edition, used to detect reversed elements when the meta file leaves them blank (RDR 2020).",
    ),
) -> None:
    """Generate a methodology data file from RDR's public CSVs."""
    from .methodology import MethodologyError
    from .methodology import importer

    files: list[Path] = []
    for p in element_scores or []:
        files.extend(sorted(p.glob("*.csv")) if p.is_dir() else [p])
    try:
        data = importer.import_rdr(rdr_dir, year, element_scores=files)
    except MethodologyError as exc:
        raise fail(str(exc))
    target = out_path or Path(__file__).parent / "methodology" / "data" / f"rdr-{year}.json"
    importer.write(data, target)
    reversed_ids = [e["id"] for e in data["elements"] if e["reversed"]]
    print(
        f"wrote {target}: {len(data['indicators'])} indicators, {len(data['elements'])} elements,"
        f" {len(data['glossary'])} glossary terms; reversed: {', '.join(reversed_ids) or 'none'}"
    )


# -- score --------------------------------------------------------------------------------------


def _csv_paths(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(p.glob("*.csv")) if p.is_dir() else [p])
    return files


@app.command("score")
def score(
    csv_files: List[Path] = typer.Argument(..., metavar="CSV...", help="Element results in RDR's public CSV format (files or folders)."),
    methodology_id: str = typer.Option(..., "--methodology", "-m", help="Methodology id, e.g. rdr-2020."),
    fmt: str = typer.Option("json", "--format", "-f", help="json, csv or table."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout."),
) -> None:
    """Aggregate element results into level, indicator, category and total scores, exactly as RDR does."""
    from . import elementcsv, methodology as m
    from .publish.scores import scores_csv, scores_json
    from .scoring import score_all

    if fmt not in ("json", "csv", "table"):
        raise fail(f"--format {fmt!r}: expected json, csv or table")
    try:
        meth = m.load(methodology_id)
        data = elementcsv.read(_csv_paths(csv_files), meth)
    except (m.MethodologyError, elementcsv.ElementCSVError) as exc:
        raise fail(str(exc))
    scores = score_all(meth, data.results)
    if fmt == "json":
        text = json.dumps(scores_json(scores, meth, index=data.index), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = scores_csv(scores, meth, index=data.index)
    else:
        if output:
            raise fail("--format table prints to the terminal; use json or csv with --output")
        print_ranking(scores, title=f"{meth.name}: {len(scores)} companies (index {data.index})")
        return
    if output:
        elementcsv.atomic_write_text(output, text)
        err.print(f"wrote {output}")
    else:
        sys.stdout.write(text)


def print_ranking(scores: dict, title: str = "") -> None:
    from .scoring import rank

    def f(v: float | None) -> str:
        return "N/A" if v is None else f"{v:.2f}"

    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Company")
    table.add_column("Type")
    table.add_column("Total", justify="right")
    table.add_column("G", justify="right")
    table.add_column("F", justify="right")
    table.add_column("P", justify="right")
    for i, s in enumerate(rank(scores), 1):
        table.add_row(
            str(i), s.label, s.company_type, f(s.total), f(s.categories.get("G")), f(s.categories.get("F")), f(s.categories.get("P"))
        )
    out.print(table)


# -- corpus -------------------------------------------------------------------------------------


def _open_store(db: Optional[str]):
    from .store import Store, StoreError

    try:
        return Store.open(db)
    except StoreError as exc:
        raise fail(str(exc))


def _flag_stale(store) -> None:
    """Analysts' decisions resting on passages that a new version changed need re-review."""
    from .review import flag_stale_decisions

    with store.session() as s:
        n = flag_stale_decisions(s)
    if n:
        err.print(f"{n} analyst decision(s) now need re-review: the passages they rest on changed")


@corpus_app.command("add")
def corpus_add(
    manifest_path: Path = typer.Argument(..., metavar="MANIFEST", help="Manifest (YAML or JSON)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    allow_private: bool = typer.Option(False, "--allow-private", help="Allow fetching from loopback/private addresses."),
    allow_root: Optional[List[Path]] = typer.Option(None, "--allow-root", metavar="DIR", help=ROOT_HELP),
    workers: int = typer.Option(1, "--workers", min=1, help="Read and extract documents in parallel processes (Dask LocalCluster)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help="Read and extract documents on an existing Dask cluster."),
) -> None:
    """Ingest a manifest's documents: extract, segment and record new versions."""
    from .corpus.ingest import ingest_manifest
    from .corpus.manifest import ManifestError, load_manifest
    from .runner import RunnerError, open_runner
    from .store import absolute_url, default_url

    try:
        manifest = load_manifest(manifest_path, allow_roots=allow_root or ())
    except ManifestError as exc:
        raise fail(str(exc))
    for warning in manifest.warnings:
        err.print(f"[yellow]warning:[/] {warning}", markup=True, highlight=False, soft_wrap=True)
    store_url = absolute_url(db or default_url())
    store = _open_store(store_url)
    total = sum(len(c.documents) for c in manifest.companies)
    try:
        with open_runner(workers, scheduler, store_url=store_url) as runner, _progress() as progress:
            task = progress.add_task("ingesting", total=total)

            def on_document(o) -> None:
                if o.status == "error":
                    progress.console.print(f"[red]error[/] {o.company}: {o.key}: {o.message}", markup=True, highlight=False)
                progress.update(task, advance=1, description=f"{o.company}")

            report = ingest_manifest(store, manifest, runner=runner, store_url=store_url, allow_private=allow_private, on_document=on_document)
    except RunnerError as exc:
        raise fail(str(exc))
    _flag_stale(store)
    print(report.summary())
    if report.errors:
        raise typer.Exit(1)


@corpus_app.command("list")
def corpus_list(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    company: Optional[str] = typer.Option(None, "--company", help="Only this company id."),
) -> None:
    """List documents with their number of versions and the latest version's date and language."""
    from sqlalchemy import select

    from .corpus.versions import current_version
    from .store.models import Company, Document

    store = _open_store(db)
    table = Table(title_justify="left")
    for col in ("id", "company", "document", "type", "versions", "latest", "lang", "passages"):
        # never cut an id to "docs/Am…": on a narrow terminal long cells wrap instead
        table.add_column(col, justify="right" if col in ("id", "versions", "passages") else "left", overflow="fold",
                         no_wrap=col in ("id", "latest", "lang"))
    with store.session() as s:
        q = select(Document).join(Company).order_by(Company.key, Document.id)
        if company:
            q = q.where(Company.key == company)
        for d in s.scalars(q):
            latest = current_version(d.versions)
            table.add_row(
                str(d.id),
                d.company.key,
                d.key,
                d.type or "",
                str(len(d.versions)),
                str(latest.version_date or latest.recorded_at.date()) if latest else "",
                (latest.language or "") if latest else "",
                str(len(latest.passages)) if latest else "0",
            )
    # piped into a file or another program, the table takes the width it needs: ids stay whole
    (out if out.is_terminal else Console(width=10_000, highlight=False)).print(table)


def _find_document(s, ref: str):
    from sqlalchemy import or_, select

    from .store.models import Company, Document

    q = select(Document).join(Company)
    if ref.isdigit():
        docs = list(s.scalars(q.where(Document.id == int(ref))))
    else:
        company, _, key = ref.partition(":") if ":" in ref and not ref.startswith(("http", "ota:")) else ("", "", ref)
        cond = or_(Document.key == ref, Document.key == key) if company else Document.key == ref
        docs = list(s.scalars(q.where(cond)))
        if company:
            docs = [d for d in docs if d.company.key == company] or docs
        if not docs:
            docs = [d for d in s.scalars(q) if d.key.endswith(ref)]
    if not docs:
        raise fail(f"no document {ref!r} (see `rightsindex corpus list`)")
    if len(docs) > 1:
        raise fail(f"{ref!r} matches several documents: " + ", ".join(f"{d.id} ({d.company.key}: {d.key})" for d in docs))
    return docs[0]


def _find_version(doc, ref: Optional[str]):
    from datetime import date

    if not doc.versions:
        raise fail(f"document {doc.key} has no versions")
    if ref is None:
        from .corpus.versions import current_version

        return current_version(doc.versions)
    if ref.isdigit():
        for v in doc.versions:
            if v.seq == int(ref):
                return v
        raise fail(f"document {doc.key} has no version {ref} (versions 1–{max(x.seq for x in doc.versions)})")
    try:
        when = date.fromisoformat(ref)
    except ValueError:
        raise fail(f"version {ref!r}: give a version number or a date (YYYY-MM-DD)") from None
    from .corpus.ingest import version_in_force

    v = version_in_force(None, doc, when)
    if v is None:
        raise fail(f"document {doc.key} has no version in force on {ref}")
    return v


@corpus_app.command("show")
def corpus_show(
    document: str = typer.Argument(..., metavar="DOC", help="Document id, manifest path, or COMPANY:PATH."),
    version: Optional[str] = typer.Option(None, "--version", "-v", help="Version number or date (default: latest)."),
    passages: bool = typer.Option(False, "--passages", help="Print passages with offsets instead of the text."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Show a document's versions and the text of one version."""
    store = _open_store(db)
    with store.session() as s:
        doc = _find_document(s, document)
        v = _find_version(doc, version)
        out.print(f"[bold]{doc.title}[/] — {doc.company.key}: {doc.key}", markup=True)
        if doc.url:
            out.print(f"url: {doc.url}")
        out.print(f"levels: {', '.join(doc.levels) if doc.levels else 'all'}; type: {doc.type or '-'}")
        out.print("versions:")
        for x in doc.versions:
            mark = "*" if x.id == v.id else " "
            when = x.version_date or x.recorded_at.date()
            out.print(f" {mark} {x.seq:>3}  {when}  {x.language or '?':>3}  {len(x.passages):>5} passages  {x.text_sha256[:12]}  {x.source or ''}")
        out.print("")
        if passages:
            for p in v.passages:
                out.print(f"[{p.seq}] {p.start}-{p.end} {p.kind} {p.language or ''} | {p.heading}", style="dim", markup=False)
                out.print(p.text, markup=False, highlight=False)
        else:
            sys.stdout.write(v.text + "\n")


@corpus_app.command("diff")
def corpus_diff(
    document: str = typer.Argument(..., metavar="DOC", help="Document id, manifest path, or COMPANY:PATH."),
    from_version: str = typer.Option(..., "--from", help="Version number or date (YYYY-MM-DD: the version in force then)."),
    to_version: Optional[str] = typer.Option(None, "--to", help="Version number or date (default: latest)."),
    show_unchanged: bool = typer.Option(False, "--all", help="Also list unchanged passages."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """List the passages added, removed and changed between two versions (word-level marks inside)."""
    from rich.text import Text

    from .corpus.versions import diff_versions

    store = _open_store(db)
    with store.session() as s:
        doc = _find_document(s, document)
        old, new = _find_version(doc, from_version), _find_version(doc, to_version)
        d = diff_versions(old, new)
        c = d.counts()
        out.print(
            f"[bold]{doc.company.key}: {doc.key}[/]  version {old.seq} ({old.version_date or old.recorded_at.date()})"
            f" → {new.seq} ({new.version_date or new.recorded_at.date()})",
            markup=True,
        )
        out.print(f"changed: {c['changed']}  added: {c['added']}  removed: {c['removed']}  unchanged: {c['unchanged']}")
        for e in d.entries:
            if e.status == "unchanged" and not show_unchanged:
                continue
            head = f"\n{e.status.upper()}" + (f"  [{e.heading}]" if e.heading else "")
            out.print(head, style={"added": "green", "removed": "red", "changed": "yellow"}.get(e.status, "dim"), markup=False, highlight=False)
            if e.status == "changed":
                t = Text()
                for op, chunk in e.inline:
                    t.append(chunk, style="red strike" if op < 0 else "green underline" if op > 0 else "")
                if not out.is_terminal:
                    t = Text("".join(f"[-{c}-]" if op < 0 else f"{{+{c}+}}" if op > 0 else c for op, c in e.inline))
                out.print(t)
            else:
                out.print((e.new or e.old).text, markup=False, highlight=False)


@corpus_app.command("import-ota")
def corpus_import_ota(
    repo: Path = typer.Argument(..., help="An Open Terms Archive versions repository (checkout or .bundle)."),
    service: Optional[str] = typer.Option(None, "--service", help="One OTA service, e.g. WeChat (default: every service of the collection)."),
    terms_type: Optional[str] = typer.Option(None, "--type", help="OTA terms type (default: Privacy Policy with --service, every type without)."),
    mapping_path: Optional[Path] = typer.Option(
        None, "--mapping", metavar="MAPPING", help="Map OTA services to companies and levels (see examples/ota-mapping.yaml); documents are keyed as `corpus ota-manifest` writes them."
    ),
    since: Optional[str] = typer.Option(None, "--since", help="Only versions from this date (YYYY-MM-DD); the one in force then is kept too."),
    company: Optional[str] = typer.Option(None, "--company", help="With --service: company id to file it under (default: the service name)."),
    company_type: str = typer.Option("Digital Platform", "--company-type", help="Company type when the company is new."),
    min_chars: int = typer.Option(500, "--min-chars", help="Skip degenerate versions shorter than this."),
    document: Optional[str] = typer.Option(
        None, "--document", help="File the versions under this manifest document (its path or URL as in the manifest), so that assess grades its history (default: ota:SERVICE/TYPE)."
    ),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    workers: int = typer.Option(1, "--workers", min=1, help="Whole collections: record documents in parallel processes (Dask LocalCluster)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help="Whole collections: record documents on an existing Dask cluster."),
) -> None:
    """Turn OTA git histories into dated document versions: one document, or a whole collection."""
    from datetime import date

    from .corpus.ota import OTAError, history, open_repo
    from .corpus.ota_import import import_history
    from .corpus.ota_mapping import MappingError, load_mapping

    try:
        since_date = date.fromisoformat(since) if since else None
    except ValueError:
        raise fail(f"--since {since!r}: expected YYYY-MM-DD")
    if service is None:
        if company or document:
            raise fail("--company and --document go with --service; to file a whole collection under companies, use --mapping")
        try:
            mapping = load_mapping(mapping_path) if mapping_path else None
            path = open_repo(repo)
        except (MappingError, OTAError) as exc:
            raise fail(str(exc))
        _import_collection(path, mapping, terms_type, since_date, min_chars, company_type, db, workers, scheduler)
        return
    if mapping_path:
        raise fail("--mapping imports a whole collection: leave out --service")
    terms_type = terms_type or "Privacy Policy"
    try:
        path = open_repo(repo)
        versions, skipped = history(path, service, terms_type, since=since_date, min_chars=min_chars)
    except OTAError as exc:
        raise fail(str(exc))
    store = _open_store(db)
    result = import_history(
        store, versions, service=service, terms_type=terms_type, company=company or service, company_type=company_type,
        document=document,
    )
    _flag_stale(store)
    for sk in skipped:
        err.print(f"skipped {sk.commit[:10]} {sk.date:%Y-%m-%d} {sk.subject!r}: {sk.reason}", highlight=False)
    print(
        f"{company or service}: {result.key}: {len(versions)} versions read, new versions: {result.added},"
        f" already stored: {result.existing}, skipped: {len(skipped)}"
    )


def _import_collection(path, mapping, terms_type, since_date, min_chars, company_type, db, workers, scheduler) -> None:
    from .corpus.ota import OTAError
    from .corpus.ota_import import import_collection
    from .runner import RunnerError, open_runner
    from .store import absolute_url, default_url

    store_url = absolute_url(db or default_url())
    store = _open_store(store_url)
    t0 = __import__("time").perf_counter()
    try:
        with open_runner(workers, scheduler, store_url=store_url) as runner, _progress() as progress:
            if runner.workers > 1:
                err.print(f"running on {runner.description}", highlight=False)
            task = progress.add_task("reading the collection", total=None)

            def on_start(n: int) -> None:
                progress.update(task, total=n, description="importing")

            def on_document(r) -> None:
                progress.update(task, advance=1, description=f"imported {r.key}")

            results = import_collection(
                store, path, runner=runner, store_url=store_url, mapping=mapping, types=[terms_type] if terms_type else None,
                since=since_date, min_chars=min_chars, company_type=company_type, on_document=on_document, on_start=on_start,
            )
    except (OTAError, RunnerError) as exc:
        raise fail(str(exc))
    _flag_stale(store)
    companies = {r.company for r in results}
    print(
        f"{len(results)} documents of {len(companies)} companies: {sum(r.read for r in results)} versions read,"
        f" new versions: {sum(r.added for r in results)}, already stored: {sum(r.existing for r in results)},"
        f" skipped commits: {sum(r.skipped for r in results)} ({__import__('time').perf_counter() - t0:.0f} s)"
    )


@corpus_app.command("ota-manifest")
def corpus_ota_manifest(
    repo: Path = typer.Argument(..., help="An Open Terms Archive versions repository (checkout or .bundle)."),
    mapping_path: Path = typer.Option(..., "--mapping", metavar="MAPPING", help="OTA services → companies and levels (see examples/ota-mapping.yaml)."),
    out_dir: Path = typer.Option(..., "--out", help="Folder for manifest.yaml and docs/<Service>/<Terms type>.md."),
    at: Optional[str] = typer.Option(None, "--at", help="Take the versions in force on this date (YYYY-MM-DD; default: the latest)."),
    min_chars: int = typer.Option(500, "--min-chars", help="Skip degenerate versions shorter than this."),
) -> None:
    """Write a manifest for `assess` from an OTA collection and a mapping file."""
    from datetime import date

    from .corpus.ota import OTAError, list_documents, open_repo
    from .corpus.ota_collection import collection_histories
    from .corpus.ota_mapping import MappingError, load_mapping, write_manifest

    try:
        at_date = date.fromisoformat(at) if at else None
    except ValueError:
        raise fail(f"--at {at!r}: expected YYYY-MM-DD")
    try:
        mapping = load_mapping(mapping_path)
        path = open_repo(repo)
        wanted = [d for d in list_documents(path) if mapping.place(*d) is not None]
        summary = write_manifest(mapping, collection_histories(path, wanted, min_chars=min_chars), out_dir, at=at_date)
    except (MappingError, OTAError) as exc:
        raise fail(str(exc))
    for line in summary.skipped:
        err.print(f"left out {line}", highlight=False)
    print(f"wrote {summary.path}: {summary.companies} companies, {summary.documents} documents")


# -- assess -------------------------------------------------------------------------------------


@app.command("assess")
def assess_cmd(
    manifest_path: Path = typer.Argument(..., metavar="MANIFEST", help="Manifest (YAML or JSON)."),
    out_dir: Path = typer.Option(..., "--out", help="Output folder: element-scores.csv, scores.json, report/index.html."),
    db: Optional[str] = typer.Option(None, "--db", help="Database URL (default: sqlite:///OUT/rightsindex.sqlite)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Run in parallel processes on this machine (Dask LocalCluster)."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", metavar="ADDRESS",
        help="Run on an existing Dask cluster (e.g. tcp://10.0.0.5:8786; default: $DASK_SCHEDULER_ADDRESS when --workers is not given). Use a database every worker reaches.",
    ),
    prior: Optional[List[Path]] = typer.Option(None, "--prior", help="Previous edition's element results (RDR CSV format): start from them."),
    allow_private: bool = typer.Option(False, "--allow-private", help="Allow fetching from loopback/private addresses."),
    no_wait: bool = typer.Option(False, "--no-wait", help="Stop at once when another assess is running on the database (default: wait for it)."),
    allow_root: Optional[List[Path]] = typer.Option(None, "--allow-root", metavar="DIR", help=ROOT_HELP),
    as_of: Optional[str] = typer.Option(
        None, "--as-of", metavar="DATE[,DATE…]",
        help="Grade the document versions in force on DATE (YYYY-MM-DD). Several dates, comma-separated: one assessment per date in OUT/DATE/ and the score series in OUT/history.* (see `rightsindex history`).",
    ),
) -> None:
    """Grade every element for every company of a manifest, citing passages; score as RDR does.

    Exit status: 0 when every company was graded from readable documents; 1 when a company has no
    readable document (the outputs are still written, its answers marked "no readable document");
    2 for a bad manifest, prior or option.
    """
    from .corpus.manifest import ManifestError
    from .elementcsv import ElementCSVError
    from .pipeline import AssessError, assess
    from .store import StoreError
    from .store.retry import StoreBusyError

    if as_of is not None:
        from .cli_time import as_of_dates, run_history

        dates = as_of_dates(as_of)
        if len(dates) > 1:
            run_history(manifest_path, out_dir, dates, db=db, workers=workers, prior=prior, allow_private=allow_private, allow_roots=allow_root)
            return
    t0 = __import__("time").perf_counter()
    with _progress() as progress:
        docs = progress.add_task("reading documents", total=None)
        companies = embedding = None
        n_companies = 0

        def on_event(kind: str, data: dict) -> None:
            nonlocal companies, embedding, n_companies
            if kind == "warning":
                progress.console.print(f"[yellow]warning:[/] {data['message']}", markup=True, highlight=False, soft_wrap=True)
            elif kind == "wait":
                progress.console.print(f"waiting: {data['message']} (Ctrl-C to stop)", highlight=False)
            elif kind == "runner" and data["workers"] > 1:
                progress.console.print(f"running on {data['runner']}", highlight=False)
            elif kind == "ingest":
                if data["status"] == "error":
                    progress.console.print(f"[red]error[/] {data['company']}: {data['key']}: {data['message']}", markup=True, highlight=False)
                progress.update(docs, advance=1, description=f"reading {data['company']}")
            elif kind == "stale":
                progress.console.print(f"{data['decisions']} analyst decision(s) now need re-review: the passages they rest on changed", highlight=False)
            elif kind == "start":
                progress.update(docs, visible=False)
                n_companies = data["companies"]
            elif kind == "embed_start" and data["tasks"]:
                embedding = progress.add_task("embedding passages", total=data["tasks"])
            elif kind == "embed":
                progress.update(embedding, advance=1, description=f"embedding {data['company']}")
            elif kind == "company":
                if companies is None:
                    if embedding is not None:
                        progress.update(embedding, visible=False)
                    companies = progress.add_task("grading", total=n_companies)
                note = f" (reused {data['reused']})" if data.get("reused") else ""
                if data.get("regraded_from"):
                    note = f" (re-graded from run {data['regraded_from']}: {data['kept']} kept, {data['moved']} moved)"
                progress.console.print(f"graded {data['company']}: {data['judgments']} judgments in {data['seconds']:.1f} s{note}", highlight=False)
                progress.update(companies, advance=1, description=f"graded {data['company']}")
            elif kind == "skip":
                progress.console.print(f"left out {data['company']}: {data['reason']}", highlight=False)

        try:
            result = assess(
                manifest_path, out_dir, db=db, workers=workers, scheduler=scheduler, wait=not no_wait, prior=prior,
                allow_private=allow_private, on_event=on_event, allow_roots=allow_root,
                as_of=dates[0] if as_of is not None else None,
            )
        except (ManifestError, ElementCSVError, AssessError, StoreError, StoreBusyError, FileNotFoundError) as exc:
            raise fail(str(exc))
    from .scoring import CompanyScores

    scores = {
        cid: CompanyScores(cid, c["label"], c["type"], c["total"], c["categories"]) for cid, c in result.scores["companies"].items()
    }
    when = f" as of {dates[0].isoformat()}" if as_of is not None else ""
    print_ranking(scores, title=f"{result.scores['index']} ({result.scores['methodology']}), assessment #{result.assessment_id}{when}")
    if result.ingest.errors:
        err.print(f"{len(result.ingest.errors)} document(s) could not be read (see above); they were left out.")
    print(f"report: {result.files['report']}")
    print(f"element scores: {result.files['element-scores.csv']}   scores: {result.files['scores.json']}")
    print(f"done in {__import__('time').perf_counter() - t0:.0f} s")
    if result.unreadable:
        err.print(
            f"[bold red]no readable document:[/] {', '.join(result.unreadable)} — none of its documents could be read, so its "
            "answers are \"no disclosure found\" with no confidence (status \"no readable document\"), not a measured zero. "
            "Exit status 1.", markup=True, soft_wrap=True,
        )
        raise typer.Exit(1)


# -- publish ------------------------------------------------------------------------------------


@app.command("publish")
def publish_cmd(
    out_dir: Path = typer.Option(..., "--out", help="Folder for the static site (replaced only if it is an earlier publication or empty)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    assessment: Optional[int] = typer.Option(None, "--assessment", help="Assessment id (default: the latest finished one)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Render companies' pages and PDFs in parallel processes (Dask LocalCluster)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help="Render companies' pages and PDFs on an existing Dask cluster."),
) -> None:
    """Publish an assessment: a static site that opens from disk, RDR-format CSV, scores, PDF scorecards."""
    from .publish.site import PublishError, publish_site, summary
    from .runner import RunnerError, open_runner
    from .store import absolute_url, default_url

    store_url = absolute_url(db or default_url())
    try:
        if workers > 1 or scheduler:
            with open_runner(workers, scheduler, store_url=store_url) as runner:
                result = publish_site(store_url, out_dir, assessment, runner=runner)
        else:
            result = publish_site(store_url, out_dir, assessment)
    except (PublishError, RunnerError) as exc:
        raise fail(str(exc), code=1)
    print(summary(result))


# -- web and accounts -----------------------------------------------------------------------------


@app.command("serve")
def serve_cmd(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    public: bool = typer.Option(False, "--public", help="Read-only public mode: no sign-in, nothing can be changed."),
    workers: int = typer.Option(1, "--workers", min=1, help="uvicorn worker processes."),
) -> None:
    """The analyst web app: ranking, scorecards, elements with evidence, review, document diffs, JSON API."""
    from .store import StoreError
    from .web import serve

    try:
        serve(db, host, port, public, workers=workers)
    except StoreError as exc:
        raise fail(str(exc))


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option("analyst", "--role", help="viewer, analyst or admin."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Add a user; the password is asked for (never passed on the command line)."""
    from .review import AccountError, add_user

    password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        add_user(_open_store(db), username, role, password)
    except AccountError as exc:
        raise fail(str(exc), code=1)
    print(f"added {username} ({role})")


@user_app.command("list")
def user_list(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """List users and their roles."""
    from .review.accounts import list_users

    for u in list_users(_open_store(db)):
        print(f"{u['username']}\t{u['role']}\t{'active' if u['active'] else 'disabled'}")


# -- train --------------------------------------------------------------------------------------


@app.command("train")
def train_cmd(
    pack: Path = typer.Option(Path("../shared/data/packs/rdr-2020"), "--pack", help="Evaluation pack (manifest + gold/)."),
    rdr: Path = typer.Option(Path("../shared/data/rdr/2020/element-scores"), "--rdr", help="RDR element results whose quotes and answers the grader learns from."),
    capp: Optional[Path] = typer.Option(Path("../shared/data/capp130/annotation"), "--capp", help="CAPP-130 annotation folder (Chinese expansions)."),
    rebuild_knowledge: bool = typer.Option(False, "--rebuild-knowledge", help="Re-embed quotes and queries even if knowledge.npz exists."),
    rebuild_multi: bool = typer.Option(False, "--rebuild-multi", help="Retrain the multilingual passage judge even if support_multi.json exists."),
    judge_dir: Optional[Path] = typer.Option(None, "--judge", help="English passage judge whose readings the decision model learns from (default: the shipped one; for stacking, one built by tools/train_support.py without the pack's companies)."),
    db: Optional[str] = typer.Option(None, "--db", help="Database for the pack's documents (default: a temporary SQLite file)."),
) -> None:
    """Build the grader's knowledge and models from public data; writes them into the package.

    The English passage judge (a cross-encoder) is built separately by tools/train_support.py,
    which needs torch; everything here runs on the package's own dependencies."""
    import tempfile
    import time

    from . import methodology as m
    from .evidence import knowledge as knowledge_mod
    from .evidence import train as train_mod
    from .evidence.evaluate import agreement_report
    from .store import Store

    if not pack.is_dir() or not rdr.is_dir():
        raise fail(f"training data not found: {pack} and {rdr} must exist (see ../shared/data)")
    meth20, meth22 = m.load("rdr-2020"), m.load("rdr-2022")
    if rebuild_knowledge or not knowledge_mod.KNOWLEDGE_FILE.is_file():
        kn = knowledge_mod.build([meth20, meth22], sorted(rdr.glob("*.csv")), capp_dir=capp, progress=lambda s: err.print(s))
        kn.save()
        knowledge_mod.load.cache_clear()
        err.print(f"wrote {knowledge_mod.KNOWLEDGE_FILE}")
    from .evidence import support as support_mod

    if capp is not None and capp.is_dir() and (rebuild_multi or not support_mod.MULTI_FILE.is_file()):
        from .evidence.capp import train_multi_judge

        multi, report = train_multi_judge(capp, meth22, knowledge_mod.load().for_methodology("rdr-2022"), log=lambda s: err.print(s), cache_dir=Path("build") / "cache")
        multi.save(support_mod.MULTI_FILE, trained_on=report)
        support_mod.multi_judge.cache_clear()
        err.print(f"wrote {support_mod.MULTI_FILE}")
    kn = knowledge_mod.load().for_methodology("rdr-2020")
    cross = support_mod.CrossEncoder(judge_dir) if judge_dir else support_mod.cross_encoder()
    if cross is None:
        raise fail(f"{support_mod.SUPPORT_EN_DIR} is missing: build the English passage judge with tools/train_support.py first")
    judge = support_mod.SupportJudge(cross, support_mod.multi_judge(), support_mod.MemoryCache())
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(db or f"sqlite:///{Path(tmp) / 'pack.sqlite'}")
        p = train_mod.load_pack(pack, store, meth20, kn, log=lambda s: err.print(s))
        cv = train_mod.cross_validate(p, meth20, kn, log=lambda s: err.print(s), judge=judge)
        store.close()
    grader = cv.grader
    rdr_root = rdr.parent.parent  # …/rdr/2020/element-scores → …/rdr
    if (rdr_root / "2019").is_dir():
        with tempfile.TemporaryDirectory() as tmp:
            prior_csv, _ = train_mod.previous_edition(rdr_root, set(p.companies), Path(tmp) / "prior.csv")
            with prior_csv.open(encoding="utf-8") as fh:
                import csv as _csv

                priors = {
                    (r["Company"], r["Composite"] if r["Branch"] == "Company" else r["Service"], r["Element"]): r["Result"]
                    for r in _csv.DictReader(fh)
                }
        grader.override_threshold, table = train_mod.tune_override(meth20, cv, p.labels, priors)
        err.print("override threshold → agreement on rows with a previous answer: " + ", ".join(f"{k}: {v:.3f}" for k, v in table.items()))
    grader.version = f"rdr2020pack-{time.strftime('%Y%m%d')}"
    grader.save()
    predicted = {k: j.result for k, j in cv.oof.items()}
    rep_a = agreement_report(meth20, [g for g in p.labels if g.all_cited_available], predicted)
    rep = agreement_report(meth20, p.labels, predicted)
    print(f"wrote grader {grader.version}: ranker {grader.ranker}, temperature {grader.classifier.temperature:.2f}, override threshold {grader.override_threshold}")
    print(f"company-split credit-class agreement: subset (a) {rep_a['all'].line()}; all rows {rep['all'].line()}")


def run() -> None:  # console-script entry point
    app()


from . import cli_time  # noqa: E402,F401  (history, compare, watch: registered on ``app``)


if __name__ == "__main__":  # pragma: no cover
    run()

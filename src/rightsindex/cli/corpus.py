"""``rightsindex corpus``: documents, versions, passages, diffs and Open Terms Archive imports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ..formats.visible import reveal_terminal
from .common import DB_HELP, ROOT_HELP, SafeConsole, _flag_stale, _open_store, _progress, cell, corpus_app, err, fail, on_interrupt, out, say


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
    from ..corpus.ingest import ingest_manifest
    from ..corpus.manifest import ManifestError, load_manifest
    from ..run.runner import RunnerError, open_runner
    from ..store import absolute_url, default_url

    try:
        manifest = load_manifest(manifest_path, allow_roots=allow_root or ())
    except ManifestError as exc:
        raise fail(str(exc))
    for warning in manifest.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", markup=True, highlight=False, soft_wrap=True)
    store_url = absolute_url(db or default_url())
    store = _open_store(store_url)
    total = sum(len(c.documents) for c in manifest.companies)
    on_interrupt(lambda: "the documents read so far are recorded (one transaction each); run the same command again to continue: "
                         "versions already recorded are not added twice")
    try:
        with open_runner(workers, scheduler, store_url=store_url) as runner, _progress() as progress:
            task = progress.add_task("ingesting", total=total)

            def on_document(o) -> None:
                if o.status == "error":
                    progress.console.print(f"[red]error[/] {escape(o.company)}: {escape(o.key)}: {escape(o.message)}", markup=True, highlight=False)
                progress.update(task, advance=1, description=f"{o.company}")

            report = ingest_manifest(store, manifest, runner=runner, store_url=store_url, allow_private=allow_private, on_document=on_document)
    except RunnerError as exc:
        raise fail(str(exc))
    _flag_stale(store)
    say(report.summary())
    if report.errors:
        raise typer.Exit(1)


@corpus_app.command("list")
def corpus_list(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    company: Optional[str] = typer.Option(None, "--company", help="Only this company id."),
) -> None:
    """List documents with their number of versions and the latest version's date and language."""
    from sqlalchemy import select

    from ..corpus.versions import current_version
    from ..store.models import Company, Document

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
                cell(d.company.key),
                cell(d.key),
                cell(d.type),
                str(len(d.versions)),
                str(latest.version_date or latest.recorded_at.date()) if latest else "",
                (latest.language or "") if latest else "",
                str(len(latest.passages)) if latest else "0",
            )
    # piped into a file or another program, the table takes the width it needs: ids stay whole
    (out if out.is_terminal else SafeConsole(width=10_000, highlight=False, markup=False)).print(table)


def _find_document(s, ref: str):
    from sqlalchemy import or_, select

    from ..store.models import Company, Document

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
        from ..corpus.versions import current_version

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
    from ..corpus.ingest import version_in_force

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
        out.print(f"[bold]{escape(doc.title or '')}[/] — {escape(doc.company.key)}: {escape(doc.key)}", markup=True)
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
            sys.stdout.write(reveal_terminal(v.text) + "\n")


@corpus_app.command("diff")
def corpus_diff(
    document: str = typer.Argument(..., metavar="DOC", help="Document id, manifest path, or COMPANY:PATH."),
    from_version: str = typer.Option(..., "--from", help="Version number or date (YYYY-MM-DD: the version in force then)."),
    to_version: Optional[str] = typer.Option(None, "--to", help="Version number or date (default: latest)."),
    show_unchanged: bool = typer.Option(False, "--all", help="Also list unchanged passages."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """List the passages added, removed and changed between two versions (word-level marks inside).

    Exit status, as diff(1): 0 the versions read the same, 1 they differ, 2 error (versions too large
    to diff included: over the size or time budget of corpus/limits.py)."""
    from rich.text import Text

    from ..corpus.diff import DiffTooLarge
    from ..corpus.versions import diff_versions

    store = _open_store(db)
    with store.session() as s:
        doc = _find_document(s, document)
        old, new = _find_version(doc, from_version), _find_version(doc, to_version)
        try:
            d = diff_versions(old, new)
        except DiffTooLarge as exc:  # over the size or time budget of a diff (corpus.limits)
            raise fail(f"{doc.key}: versions {old.seq} and {new.seq}: {exc}")
        c = d.counts()
        out.print(
            f"[bold]{escape(doc.company.key)}: {escape(doc.key)}[/]  version {old.seq} ({old.version_date or old.recorded_at.date()})"
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
                    t.append(reveal_terminal(chunk), style="red strike" if op < 0 else "green underline" if op > 0 else "")
                if not out.is_terminal:
                    t = Text(reveal_terminal("".join(f"[-{c}-]" if op < 0 else f"{{+{c}+}}" if op > 0 else c for op, c in e.inline)))
                out.print(t)
            else:
                out.print((e.new or e.old).text, markup=False, highlight=False)
    if c["changed"] or c["added"] or c["removed"]:
        raise typer.Exit(1)


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
    """Turn OTA git histories into dated document versions: one document, or a whole collection.

    The limits of `corpus add` apply to every version (bytes, characters, passages, time) and to
    each history (commits, bytes in all); a version or document over them is named and the rest
    imported. Exit status: 0 done, 2 error or something refused."""
    from datetime import date

    from ..corpus.ota.repository import OTAError, history, open_repo
    from ..corpus.ota.importer import import_history
    from ..corpus.ota.mapping import MappingError, load_mapping

    try:
        since_date = date.fromisoformat(since) if since else None
    except ValueError:
        raise fail(f"--since {since!r}: expected YYYY-MM-DD")
    on_interrupt(lambda: "the versions recorded so far are kept; run the same command again to continue: versions already "
                         "stored are not added twice")
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
    from ..corpus.limits import MAX_ID_CHARS, MAX_KEY_CHARS
    from ..corpus.names import NameRefused, check_id

    for option, value, limit in (("--company", company, MAX_ID_CHARS), ("--document", document, MAX_KEY_CHARS)):
        try:
            if value is not None:
                check_id(value, option, max_chars=limit)
        except NameRefused as exc:
            raise fail(str(exc))
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
        when = f"{sk.date:%Y-%m-%d}" if sk.date else "----------"
        err.print(f"skipped {sk.commit[:10]} {when} {sk.subject[:200]!r}: {sk.reason}", highlight=False, markup=False)
    for line in result.refused:
        err.print(f"refused {line}", highlight=False, markup=False)
    say(
        f"{company or service}: {result.key}: {len(versions)} versions read, new versions: {result.added},"
        f" already stored: {result.existing}, skipped: {len(skipped)}" + (f", refused: {len(result.refused)}" if result.refused else "")
    )
    if result.refused:
        raise typer.Exit(2)


def _import_collection(path, mapping, terms_type, since_date, min_chars, company_type, db, workers, scheduler) -> None:
    from ..corpus.ota.repository import OTAError
    from ..corpus.ota.importer import import_collection
    from ..run.runner import RunnerError, open_runner
    from ..store import absolute_url, default_url

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
                if r.problem:
                    said = r.problem if r.problem.startswith(r.key) else f"{r.key}: {r.problem}"
                    progress.console.print(f"left out {said}", markup=False, highlight=False)
                for line in r.refused:
                    progress.console.print(f"refused {r.key}: {line}", markup=False, highlight=False)
                progress.update(task, advance=1, description=f"imported {r.key}")

            results = import_collection(
                store, path, runner=runner, store_url=store_url, mapping=mapping, types=[terms_type] if terms_type else None,
                since=since_date, min_chars=min_chars, company_type=company_type, on_document=on_document, on_start=on_start,
            )
    except (OTAError, RunnerError) as exc:
        raise fail(str(exc))
    _flag_stale(store)
    left_out = [r for r in results if r.problem]
    refused = sum(len(r.refused) for r in results)
    results = [r for r in results if not r.problem]
    companies = {r.company for r in results}
    say(
        f"{len(results)} documents of {len(companies)} companies: {sum(r.read for r in results)} versions read,"
        f" new versions: {sum(r.added for r in results)}, already stored: {sum(r.existing for r in results)},"
        f" skipped commits: {sum(r.skipped for r in results)}"
        + (f", documents left out: {len(left_out)}" if left_out else "") + (f", versions refused: {refused}" if refused else "")
        + f" ({__import__('time').perf_counter() - t0:.0f} s)"
    )
    if left_out or refused:
        raise typer.Exit(2)


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

    from ..corpus.ota.repository import OTAError, list_documents, open_repo
    from ..corpus.ota.collection import collection_histories
    from ..corpus.ota.mapping import MappingError, load_mapping, write_manifest

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
    for line in summary.refused:
        err.print(f"skipped {line}", highlight=False, markup=False)
    for line in summary.skipped:
        err.print(f"left out {line}", highlight=False, markup=False)
    say(f"wrote {summary.path}: {summary.companies} companies, {summary.documents} documents")



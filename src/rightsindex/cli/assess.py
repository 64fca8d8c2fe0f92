"""``rightsindex assess``: the main job (``run.assessment``), with progress on a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from rich.markup import escape

from .common import ROOT_HELP, _progress, app, err, fail, on_interrupt, print_ranking


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
    framework: Optional[str] = typer.Option(
        None, "--framework", metavar="ID[,ID…]",
        help="Also grade legal notice duties from the same passages (gdpr-notice, pipl-notice; the manifest's methodology, e.g. rdr-2022, may be listed): OUT/framework-scores.csv and framework-scores.json. See `rightsindex methodology list`.",
    ),
) -> None:
    """Grade every element for every company of a manifest, citing passages; score as RDR does.

    Exit status: 0 when every company was graded from readable documents; 1 when a company has no
    readable document (the outputs are still written, its answers marked "no readable document");
    2 for a bad manifest, prior or option.
    """
    from ..corpus.manifest import ManifestError
    from ..formats.elementcsv import ElementCSVError
    from ..run.assessment import AssessError, assess
    from ..store import StoreError
    from ..store.retry import StoreBusyError

    frameworks = [f.strip() for f in (framework or "").split(",") if f.strip()]
    if as_of is not None:
        from .time import as_of_dates, run_history

        dates = as_of_dates(as_of)
        if len(dates) > 1:
            run_history(manifest_path, out_dir, dates, db=db, workers=workers, prior=prior, allow_private=allow_private, allow_roots=allow_root,
                        frameworks=frameworks)
            return
    t0 = __import__("time").perf_counter()
    kept = {"assessment": None, "companies": 0, "of": None, "documents": 0}
    where = db or f"{out_dir / 'rightsindex.sqlite'}"

    def interrupted() -> str:
        if kept["assessment"] is None:
            return (f"{kept['documents']} document(s) read so far are recorded in {where} (one transaction each); run the same "
                    "command again to continue: nothing is read or recorded twice")
        return (f"{kept['companies']} of {kept['of']} companies graded so far are kept in {where} (assessment "
                f"#{kept['assessment']}); run the same command again to continue where it stopped: nothing is graded twice")

    on_interrupt(interrupted)
    with _progress() as progress:
        docs = progress.add_task("reading documents", total=None)
        companies = embedding = None
        n_companies = 0

        def on_event(kind: str, data: dict) -> None:
            nonlocal companies, embedding, n_companies
            if kind == "warning":
                progress.console.print(f"[yellow]warning:[/] {escape(data['message'])}", markup=True, highlight=False, soft_wrap=True)
            elif kind == "wait":
                progress.console.print(f"waiting: {data['message']} (Ctrl-C to stop)", highlight=False)
            elif kind == "runner" and data["workers"] > 1:
                progress.console.print(f"running on {data['runner']}", highlight=False)
            elif kind == "ingest":
                if data["status"] == "error":
                    progress.console.print(f"[red]error[/] {escape(data['company'])}: {escape(data['key'])}: {escape(data['message'])}", markup=True, highlight=False)
                progress.update(docs, advance=1, description=f"reading {data['company']}")
                kept["documents"] += 1
            elif kind == "stale":
                progress.console.print(f"{data['decisions']} analyst decision(s) now need re-review: the passages they rest on changed", highlight=False)
            elif kind == "start":
                progress.update(docs, visible=False)
                n_companies = data["companies"]
                kept.update(assessment=data["assessment"], of=n_companies)
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
                kept["companies"] += 1
            elif kind == "skip":
                progress.console.print(f"left out {data['company']}: {data['reason']}", highlight=False)

        try:
            result = assess(
                manifest_path, out_dir, db=db, workers=workers, scheduler=scheduler, wait=not no_wait, prior=prior,
                allow_private=allow_private, on_event=on_event, allow_roots=allow_root,
                as_of=dates[0] if as_of is not None else None, frameworks=frameworks,
            )
        except (ManifestError, ElementCSVError, AssessError, StoreError, StoreBusyError, FileNotFoundError) as exc:
            raise fail(str(exc))
    from ..scoring import CompanyScores

    scores = {
        cid: CompanyScores(cid, c["label"], c["type"], c["total"], c["categories"]) for cid, c in result.scores["companies"].items()
    }
    when = f" as of {dates[0].isoformat()}" if as_of is not None else ""
    print_ranking(scores, title=f"{result.scores['index']} ({result.scores['methodology']}), assessment #{result.assessment_id}{when}")
    if result.ingest.errors:
        err.print(f"{len(result.ingest.errors)} document(s) could not be read (see above); they were left out.")
    print(f"report: {result.files['report']}")
    print(f"element scores: {result.files['element-scores.csv']}   scores: {result.files['scores.json']}")
    if "framework-scores.csv" in result.files:
        print(f"framework scores: {result.files['framework-scores.csv']}   {result.files['framework-scores.json']}")
    print(f"done in {__import__('time').perf_counter() - t0:.0f} s")
    if result.unreadable:
        err.print(
            f"[bold red]no readable document:[/] {escape(', '.join(result.unreadable))} — none of its documents could be read, so its "
            "answers are \"no disclosure found\" with no confidence (status \"no readable document\"), not a measured zero. "
            "Exit status 1.", markup=True, soft_wrap=True,
        )
        raise typer.Exit(1)



"""``rightsindex publish``: an assessment as a static site, data files and PDF scorecards."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import DB_HELP, app, fail, on_interrupt, say


@app.command("publish")
def publish_cmd(
    out_dir: Path = typer.Option(..., "--out", help="Folder for the static site (replaced only if it is an earlier publication or empty)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    assessment: Optional[int] = typer.Option(None, "--assessment", help="Assessment id (default: the latest finished assessment of the current policies; as-of assessments only by id)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Render companies' pages and PDFs in parallel processes (Dask LocalCluster)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help="Render companies' pages and PDFs on an existing Dask cluster."),
) -> None:
    """Publish an assessment: a static site that opens from disk, RDR-format CSV, scores, PDF scorecards."""
    from ..publish.site import PublishError, publish_site, summary
    from ..run.runner import RunnerError, open_runner
    from ..store import absolute_url, default_url

    store_url = absolute_url(db or default_url())
    on_interrupt(lambda: f"nothing was published: {out_dir} is as it was; the partial copy beside it is removed by the next "
                         "publish that succeeds")
    try:
        if workers > 1 or scheduler:
            with open_runner(workers, scheduler, store_url=store_url) as runner:
                result = publish_site(store_url, out_dir, assessment, runner=runner)
        else:
            result = publish_site(store_url, out_dir, assessment)
    except (PublishError, RunnerError) as exc:
        raise fail(str(exc))
    say(summary(result))



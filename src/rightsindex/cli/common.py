"""What every command group shares: the Typer app and its groups, the consoles (results on
stdout, messages and progress on stderr), one-line errors, the store opener."""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from .. import __version__

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


def print_ranking(scores: dict, title: str = "") -> None:
    from ..scoring import rank

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


def _open_store(db: Optional[str]):
    from ..store import Store, StoreError

    try:
        return Store.open(db)
    except StoreError as exc:
        raise fail(str(exc))


def _flag_stale(store) -> None:
    """Analysts' decisions resting on passages that a new version changed need re-review."""
    from ..review import flag_stale_decisions

    with store.session() as s:
        n = flag_stale_decisions(s)
    if n:
        err.print(f"{n} analyst decision(s) now need re-review: the passages they rest on changed")


def run() -> None:
    """The console-script entry point (``rightsindex = "rightsindex.cli:run"``): the commands are
    registered by importing ``rightsindex.cli``."""
    app()

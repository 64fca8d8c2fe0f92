"""What every command group shares: the Typer app and its groups, the consoles (results on
stdout, messages and progress on stderr), one-line errors, the store opener."""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

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

class SafeConsole(Console):
    """A console that never passes a control character, ESC sequence or bidirectional override of
    untrusted text to the terminal: every string printed is revealed (``formats.visible``:
    ``[U+001B]``); rich's own styles are added after that. Values interpolated into markup are
    escaped where they are printed (``rich.markup.escape``)."""

    def print(self, *objects, **kwargs):  # noqa: A003 - rich's name
        from ..formats.visible import reveal_terminal

        return super().print(*(reveal_terminal(o) if isinstance(o, str) else o for o in objects), **kwargs)


err = SafeConsole(stderr=True, highlight=False, markup=False)  # markup only where a call asks for it
out = SafeConsole(highlight=False, markup=False)


def cell(text) -> "Text":
    """A table cell of untrusted text: shown as written (no rich markup), hidden characters revealed."""
    from rich.text import Text

    from ..formats.visible import reveal_terminal

    return Text(reveal_terminal("" if text is None else str(text)))


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
    """Print a one-line error (untrusted text in it shown safely) and return the exit to raise:
    status 2 (1 is ``watch``'s "a grade moved" and ``assess``'s "no readable document")."""
    from rich.markup import escape

    err.print(f"[bold red]error:[/] {escape(message)}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def say(text: str) -> None:
    """A result line on stdout with untrusted text in it: control characters and ESC sequences
    shown as ``[U+XXXX]``, never sent to the terminal."""
    from ..formats.visible import reveal_terminal

    print(reveal_terminal(text))


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

    table = Table(title=cell(title), title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Company")
    table.add_column("Type")
    table.add_column("Total", justify="right")
    table.add_column("G", justify="right")
    table.add_column("F", justify="right")
    table.add_column("P", justify="right")
    for i, s in enumerate(rank(scores), 1):
        table.add_row(
            str(i), cell(s.label), cell(s.company_type), f(s.total), f(s.categories.get("G")), f(s.categories.get("F")), f(s.categories.get("P"))
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


_interrupt_notes: list = []


def on_interrupt(note) -> None:
    """What to say if Ctrl-C stops the command now: a callable returning one line (what was kept
    and how to go on); the latest registered is said."""
    _interrupt_notes.append(note)


def run() -> None:
    """The console-script entry point (``rightsindex = "rightsindex.cli:run"``): the commands are
    registered by importing ``rightsindex.cli``.

    Exit statuses: 0 done; 1 only where a command documents it (``watch``: a grade moved;
    ``assess``: a company had no readable document; ``corpus add``: a document could not be read;
    ``corpus diff``: the versions differ); 2 every error, an unexpected one included (one line, the
    traceback with ``RIGHTSINDEX_DEBUG=1``); 130 Ctrl-C, after a line that says what was kept
    and how to go on."""
    import os
    import sys

    import click

    try:
        code = app(standalone_mode=False)
    except click.exceptions.Abort:  # end of input at a prompt
        err.print("error: aborted (no input)", highlight=False)
        sys.exit(2)
    except click.exceptions.ClickException as exc:  # usage errors and the like
        exc.show()
        sys.exit(2)
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # noqa: BLE001 - a bug: one line and status 2, never 1 ("a grade moved")
        if os.environ.get("RIGHTSINDEX_DEBUG"):
            import traceback

            traceback.print_exc()
        from rich.markup import escape

        err.print(f"[bold red]error:[/] internal error: {escape(type(exc).__name__)}: {escape(str(exc)[:500])} "
                  "(please report it; RIGHTSINDEX_DEBUG=1 shows the traceback)", markup=True, soft_wrap=True)
        sys.exit(2)
    if code == 130:
        note = _interrupt_notes[-1]() if _interrupt_notes else "nothing was changed by this command"
        err.print(f"interrupted: {note}", highlight=False, soft_wrap=True)
    sys.exit(code if isinstance(code, int) else 0)

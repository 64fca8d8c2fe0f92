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
methodology_app = typer.Typer(help="Methodologies shipped as data (RDR 2020, RDR 2022).", no_args_is_help=True)
app.add_typer(methodology_app, name="methodology")

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


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
    """List the methodologies shipped in the package."""
    from . import methodology as m

    for mid in m.available():
        meth = m.load(mid)
        print(f"{mid}\t{meth.name}\t{len(meth.indicators)} indicators, {len(meth.elements)} elements")


@methodology_app.command("show")
def methodology_show(
    methodology_id: str = typer.Argument(..., metavar="ID", help="e.g. rdr-2022"),
    indicator: Optional[str] = typer.Argument(None, metavar="[INDICATOR]", help="e.g. P3a or G04"),
    as_json: bool = typer.Option(False, "--json", help="Print the data as JSON."),
) -> None:
    """Print a methodology, or one indicator with its elements, guidance and glossary terms."""
    from dataclasses import asdict

    from . import methodology as m

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


def run() -> None:  # console-script entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    run()

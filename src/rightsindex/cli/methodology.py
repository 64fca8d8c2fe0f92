"""``rightsindex methodology``: the methodologies and notice frameworks shipped as data (list, show, import-rdr)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from .common import fail, methodology_app, out


@methodology_app.command("list")
def methodology_list() -> None:
    """List the methodologies and notice frameworks shipped in the package."""
    from .. import methodology as m
    from ..methodology import frameworks

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

    from .. import methodology as m
    from ..methodology import frameworks

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

    from .. import methodology as m
    from ..methodology import frameworks

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
    from ..methodology import MethodologyError
    from ..methodology import importer

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



"""``rightsindex score``: aggregation only, from element results in RDR's CSV format."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .common import app, err, fail, print_ranking


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
    from .. import methodology as m
    from ..formats import elementcsv
    from ..formats.files import atomic_write_text
    from ..publish.scores import scores_csv, scores_json
    from ..scoring import score_all

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
        atomic_write_text(output, text)
        err.print(f"wrote {output}")
    else:
        sys.stdout.write(text)


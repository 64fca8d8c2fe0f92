"""The command line for policies over time: ``history``, ``compare`` and ``watch`` (and the several
dates of ``assess --as-of``). A thin skin over ``history``, ``changes`` and ``watch``."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich import box
from rich.table import Table

from .common import DB_HELP, ROOT_HELP, _open_store, _progress, app, cell, err, fail, on_interrupt, out


def as_of_dates(text: str) -> list[date]:
    from ..timeline.history import HistoryError, parse_dates

    try:
        return parse_dates(text)
    except HistoryError as exc:
        raise fail(f"--as-of: {exc}")


_SHORT = {"no disclosure found": "no discl.", "not selected": "n/s"}


def _short(result) -> str:
    return "N/A" if result is None else _SHORT.get(result, result)


def _fmt(v) -> str:
    return "N/A" if v is None else f"{v:.1f}"


def print_series(data: dict, indicator: str | None = None) -> None:
    """Totals (or one indicator's scores) per date (rows) and company (columns)."""
    dates = data["dates"]
    companies = list(data["companies"].items())
    table = Table(title=("Total" if not indicator else indicator) + " score by date", title_justify="left")
    table.add_column("As of")
    for company, c in companies:
        table.add_column(cell(c.get("label") or company), justify="right")
    for k, d in enumerate(dates):
        cells = []
        for _, c in companies:
            values = c["total"] if not indicator else c["indicators"].get(indicator, [None] * len(dates))
            cells.append(_fmt(values[k]))
        table.add_row(d, *cells)
    out.print(table)


def run_history(manifest_path: Path, out_dir: Path, dates, *, db=None, workers=1, prior=None, allow_private=False, indicator=None,
                allow_roots=None, frameworks=None) -> None:
    from ..corpus.manifest import ManifestError
    from ..formats.elementcsv import ElementCSVError
    from ..timeline.history import HistoryError
    from ..run.dates import assess_dates
    from ..run.assessment import AssessError

    t0 = time.perf_counter()
    on_interrupt(lambda: "the dates and companies graded so far are kept in the store; run the same command again to continue "
                         "where it stopped: nothing is graded twice")
    with _progress() as progress:
        task = progress.add_task("dates", total=None)

        def on_event(kind: str, data: dict) -> None:
            if kind == "date":
                progress.update(task, total=data["of"], completed=data["n"] - 1, description=f"as of {data['date']}")
            elif kind == "ingest" and data["status"] == "error":
                progress.console.print(f"[red]error[/] {escape(data['company'])}: {escape(data['key'])}: {escape(data['message'])}", markup=True, highlight=False)
            elif kind == "skip":
                progress.console.print(f"left out {data['company']}: {data['reason']}", highlight=False)
            elif kind == "company":
                if data.get("regraded_from"):
                    note = f"re-graded: {data['kept']} kept, {data['moved']} moved"
                else:
                    note = f"reused {data['reused']}" if data.get("reused") else "graded"
                progress.console.print(f"  {data['company']}: {note} ({data['seconds']:.1f} s)", highlight=False)

        try:
            result = assess_dates(manifest_path, out_dir, dates, db=db, workers=workers, prior=prior, allow_private=allow_private,
                                  allow_roots=allow_roots or None, on_event=on_event, frameworks=frameworks or None)
        except (ManifestError, ElementCSVError, AssessError, HistoryError, FileNotFoundError) as exc:
            raise fail(str(exc))
    print_series(result.series)
    if indicator:
        from ..methodology import normalise_indicator_id

        print_series(result.series, normalise_indicator_id(indicator))
    print(f"series: {result.files['history.csv']}   elements: {result.files['history-elements.csv']}   json: {result.files['history.json']}")
    if "history-duties.txt" in result.files:
        print(f"notice duties over time: {result.files['history-duties.txt']}   {result.files['history-duties.json']}")
    print("assessments: " + ", ".join(f"{d.isoformat()} #{i}" for d, i in result.assessments.items()))
    print(f"done in {time.perf_counter() - t0:.0f} s")


@app.command("history")
def history_cmd(
    manifest_path: Path = typer.Argument(..., metavar="MANIFEST", help="Manifest (YAML or JSON)."),
    out_dir: Path = typer.Option(..., "--out", help="Output folder: one sub-folder per date, history.csv, history-elements.csv, history.json, charts."),
    dates: Optional[str] = typer.Option(None, "--dates", metavar="DATE,DATE…", help="Grade the versions in force on these dates (YYYY-MM-DD)."),
    versions: bool = typer.Option(False, "--versions", help="Grade every date on which a version of one of the manifest's documents came into force."),
    framework: Optional[str] = typer.Option(None, "--framework", metavar="ID[,ID…]", help="Also grade notice duties (gdpr-notice, pipl-notice) at each date: OUT/history-duties.txt says since when each has had its answer."),
    indicator: Optional[str] = typer.Option(None, "--indicator", help="Also print this indicator's series (e.g. P6)."),
    db: Optional[str] = typer.Option(None, "--db", help="Database URL (default: sqlite:///OUT/rightsindex.sqlite)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Grade companies in parallel processes (Dask LocalCluster)."),
    prior: Optional[List[Path]] = typer.Option(None, "--prior", help="Previous edition's element results (RDR CSV format): start from them."),
    allow_private: bool = typer.Option(False, "--allow-private", help="Allow fetching from loopback/private addresses."),
    allow_root: Optional[List[Path]] = typer.Option(None, "--allow-root", metavar="DIR", help=ROOT_HELP),
) -> None:
    """Grade a manifest as of several dates: a score series per company, indicator and element.

    Each date is re-graded change-aware from the one before: an answer moves only where its
    passages changed. Versions are dated by the manifest's version_date, by an Open Terms Archive
    history (corpus import-ota), or by recording time."""
    if bool(dates) == bool(versions):
        raise fail("give --dates DATE,DATE… or --versions (one of them)")
    run_history(manifest_path, out_dir, "versions" if versions else as_of_dates(dates), db=db, workers=workers, prior=prior,
                allow_private=allow_private, indicator=indicator, allow_roots=allow_root,
                frameworks=[f.strip() for f in (framework or "").split(",") if f.strip()])


# -- compare -----------------------------------------------------------------------------------------


@app.command("compare")
def compare_cmd(
    a: str = typer.Argument(..., metavar="A", help="Earlier assessment: an id, or a date (the assessment of the versions in force then)."),
    b: str = typer.Argument(..., metavar="B", help="Later assessment: an id or a date."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv (RDR's year-on-year shape) or json."),
    every: bool = typer.Option(False, "--all", help="List every element, unchanged ones too (SameAsPrevious = Yes)."),
    company: Optional[List[str]] = typer.Option(None, "--company", help="Only these companies."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout."),
    details: bool = typer.Option(False, "--details", help="Table: add each element's comment and passage diff (several lines each)."),
    duties: bool = typer.Option(False, "--duties", help="Notice duties (assessments graded with --framework) instead of RDR elements: which moved, with the passage that earns the later answer."),
) -> None:
    """List the elements whose answer moved between two assessments: direction, the document versions
    on both sides and the passage-level diff that caused it; with --duties, the notice duties."""
    from ..timeline.compare import CompareError, compare, excerpt, yoy_csv

    if fmt not in ("table", "csv", "json"):
        raise fail(f"--format {fmt!r}: expected table, csv or json")
    store = _open_store(db)
    if duties:
        return _compare_duties(store, a, b, fmt, every, company, output)
    try:
        cmp = compare(store, a, b, companies=company or None)
    except CompareError as exc:
        raise fail(str(exc))
    if fmt == "table":
        if output:
            raise fail("--format table prints to the terminal; use csv or json with --output")
        title = f"{len(cmp.moved)} element(s) moved from #{cmp.a['id']} ({cmp.a['label']}) to #{cmp.b['id']} ({cmp.b['label']})"
        # one line per element (an 80-column terminal must not get pages per change); --details or
        # --format csv / json give the comment and the passage diff
        table = Table(title=cell(title), title_justify="left", show_lines=details, box=None if not details else box.SQUARE)
        table.add_column("Company", no_wrap=True, overflow="ellipsis", max_width=18)
        table.add_column("Level", no_wrap=True, overflow="ellipsis", max_width=14)
        table.add_column("Element", no_wrap=True, overflow="ellipsis", max_width=10)
        table.add_column("Before → after", no_wrap=not details, overflow="ellipsis" if not details else "fold")
        if details:
            table.add_column("Why", overflow="fold")
        for m in (cmp.items if every else cmp.moved):
            arrow = f"{_short(m.before)} → {_short(m.after)}" + (f" ({m.direction})" if m.moved else "")
            row = [cell(m.company), cell(m.level), cell(m.element), cell(arrow)]
            if details:
                why = m.comment + ("\n" + "\n".join(excerpt(d, 160) for d in m.diff[:2]) if m.diff else "")
                row.append(cell(f"{m.element_label}: {why}"))
            table.add_row(*row)
        out.print(table)
        if not details and cmp.moved:
            err.print("(one line per element; --details adds the comment and the passage diff, --format csv RDR's year-on-year file)",
                      highlight=False)
        return
    text = yoy_csv(cmp, moved_only=not every) if fmt == "csv" else json.dumps(cmp.as_dict(moved_only=not every), indent=2, ensure_ascii=False) + "\n"
    if output:
        from ..formats.files import atomic_write_text

        atomic_write_text(output, text)
        err.print(f"wrote {output}: {len(cmp.moved)} element(s) moved")
    else:
        sys.stdout.write(text)


def _compare_duties(store, a, b, fmt, every, company, output) -> None:
    from ..timeline.compare import CompareError
    from ..timeline.duties import as_dicts, compare_duties, duties_csv

    try:
        cmp = compare_duties(store, a, b, companies=company or None)
    except CompareError as exc:
        raise fail(str(exc))
    moved = [m for m in cmp["duties"] if m.moved]
    if fmt == "table":
        if output:
            raise fail("--format table prints to the terminal; use csv or json with --output")
        table = Table(title=f"{len(moved)} duty(ies) moved from #{cmp['a']['id']} ({cmp['a']['label']}) to #{cmp['b']['id']} ({cmp['b']['label']})",
                      title_justify="left", show_lines=True)
        for col in ("Company", "Service", "Duty", "Before → after", "Passage"):
            table.add_column(col, overflow="fold")
        for m in (cmp["duties"] if every else moved):
            p = m.passage or {}
            table.add_row(m.company, m.service, m.short, f"{m.before} → {m.after}", (p.get("text") or "")[:200])
        out.print(table)
        return
    text = duties_csv(cmp, moved_only=not every) if fmt == "csv" else json.dumps(
        {"a": cmp["a"], "b": cmp["b"], "duties": as_dicts(cmp, moved_only=not every)}, indent=2, ensure_ascii=False, default=str) + "\n"
    if output:
        from ..formats.files import atomic_write_text

        atomic_write_text(output, text)
        err.print(f"wrote {output}: {len(moved)} duty(ies) moved")
    else:
        sys.stdout.write(text)


# -- watch -------------------------------------------------------------------------------------------


@app.command("watch")
def watch_cmd(
    manifest_path: Path = typer.Argument(..., metavar="MANIFEST", help="Manifest (YAML or JSON)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    out_dir: Path = typer.Option(Path("watch"), "--out", help="Folder for the latest outputs (element-scores.csv, scores.json, report), feed.atom and changes.json."),
    every: Optional[str] = typer.Option(None, "--every", help="Run a pass every INTERVAL (e.g. 6h, 30m, 1d) until interrupted; default: one pass."),
    feed: Optional[Path] = typer.Option(None, "--feed", help="Write the Atom feed here (default: OUT/feed.atom)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="The web app's address, to link feed entries to element pages."),
    prior: Optional[List[Path]] = typer.Option(None, "--prior", help="Previous edition's element results (RDR CSV format): start from them."),
    allow_private: bool = typer.Option(False, "--allow-private", help="Allow fetching from loopback/private addresses."),
    allow_root: Optional[List[Path]] = typer.Option(None, "--allow-root", metavar="DIR", help=ROOT_HELP),
    framework: Optional[str] = typer.Option(None, "--framework", metavar="ID[,ID…]", help="Also grade notice duties (gdpr-notice, pipl-notice); duties that moved join the feed."),
) -> None:
    """Re-fetch a manifest's documents, record new versions, re-grade the companies they affect and
    write an Atom feed and a JSON list of the grades that moved (notice duties too, with --framework).

    Exit status: 0 no grade moved, 1 at least one grade moved (in any pass), 2 error: a document
    could not be fetched or read (that pass records no move and is no baseline for the next one),
    a bad manifest or database; an error is never 1. Under --every a failed pass is reported, the
    next pass runs as planned, and the status when stopped is 2 if any pass failed. Ctrl-C during
    a pass: 130 (what it graded is kept; the next pass continues it)."""
    from ..store import default_url
    from ..timeline.watch import WatchError, parse_interval

    try:
        interval = parse_interval(every) if every else None
    except WatchError as exc:
        raise fail(str(exc))
    url = db or default_url()
    state = {"moved": False, "failed": False}
    on_interrupt(lambda: "during a pass: the companies it graded are kept in the store; the next pass continues it and records "
                         "what moved")
    try:
        _watch_loop(manifest_path, url, out_dir, feed, base_url, prior, allow_private, interval, allow_root or None, state,
                    [f.strip() for f in (framework or "").split(",") if f.strip()])
    except KeyboardInterrupt:
        if not state.get("between_passes"):
            raise
        err.print("stopped", highlight=False)
    raise typer.Exit(2 if state["failed"] else 1 if state["moved"] else 0)


def _watch_loop(manifest_path, url, out_dir, feed, base_url, prior, allow_private, interval, allow_roots, state: dict, frameworks=None) -> None:
    from ..corpus.manifest import ManifestError
    from ..formats.elementcsv import ElementCSVError
    from ..formats.visible import reveal_terminal as safe
    from ..run.assessment import AssessError
    from ..store import StoreError
    from ..run.watch import watch_once

    while True:
        started = time.monotonic()
        state["between_passes"] = False
        try:
            r = watch_once(manifest_path, db=url, out=out_dir, feed_path=feed, base_url=base_url, prior=prior, allow_private=allow_private,
                           allow_roots=allow_roots, frameworks=frameworks or None)
        except (ManifestError, ElementCSVError, AssessError, StoreError, FileNotFoundError) as exc:
            if interval is None:
                raise fail(str(exc))
            state["failed"] = True
            err.print(f"[red]pass failed:[/] {escape(safe(str(exc)))}", markup=True, highlight=False)
        else:
            state["moved"] = state["moved"] or r.grades_moved
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            for e in r.errors:
                err.print(safe(f"error {e['company']}: {e['document']}: {e['message']}"), highlight=False, markup=False)
            for v in r.new_versions:
                print(safe(f"{stamp} new version: {v['company']}: {v['document']} (version {v['version']})"))
            for m in r.moved:
                print(safe(f"{stamp} moved: {m['company']} · {m['level']} · {m['label']}: {m['before']} → {m['after']} ({m['direction']})"))
            if r.failed:
                state["failed"] = True
                base = (f"pass failed: {len(r.errors)} document(s) could not be fetched or read; no grade recorded as moved, and "
                        "the next pass compares with the last complete one")
            else:
                base = "first pass: baseline recorded" if r.previous_id is None else f"{len(r.moved)} grade(s) moved"
            line = f"{stamp} assessment #{r.assessment_id}: {len(r.new_versions)} new version(s), {base}; feed: {r.files['feed.atom']} ({r.seconds:.0f} s)"
            if r.failed:
                err.print(safe(line), highlight=False, markup=False, soft_wrap=True)
            else:
                print(safe(line))
            if r.failed and interval is None:
                raise typer.Exit(2)
        if interval is None:
            return
        state["between_passes"] = True
        time.sleep(max(0.0, interval.total_seconds() - (time.monotonic() - started)))

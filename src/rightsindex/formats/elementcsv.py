"""RDR's public element-results CSV format: read with validation, write atomically.

Columns (a contract, see DESIGN.md): ``Index, CompanyType, Company, CompanyLabel, Category,
Indicator, IndicatorNr, IndicatorSuffix, Element, ElemNr, Branch, Composite, Class, Service, Result,
Comment, Score``; writers may append columns after these (``Confidence``, ``Evidence``, …).

Every error names the file, the line and the field, and nothing is returned unless the whole input
is valid. Cells that a spreadsheet would run as a formula are neutralised when written and restored
when read (see ``csvsafe``).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .csvsafe import neutralise_row, restore_row
from ..methodology import Methodology, MethodologyError, company_kind, normalise_indicator_id
from ..scoring import NA, ElementResult, ScoringError, element_score, normalise_result

COLUMNS = (
    "Index",
    "CompanyType",
    "Company",
    "CompanyLabel",
    "Category",
    "Indicator",
    "IndicatorNr",
    "IndicatorSuffix",
    "Element",
    "ElemNr",
    "Branch",
    "Composite",
    "Class",
    "Service",
    "Result",
    "Comment",
    "Score",
)
REQUIRED = ("Index", "CompanyType", "Company", "Element", "Branch", "Composite", "Class", "Service", "Result")
_NA = {"", "NA", "N/A"}


class ElementCSVError(ValueError):
    """Invalid input; the message names the file, line and field."""


@dataclass(frozen=True)
class ReadResult:
    index: str
    results: list[ElementResult]
    files: list[str]


def _where(path: str, line: int | None = None, field: str | None = None) -> str:
    out = path
    if line is not None:
        out += f", line {line}"
    if field is not None:
        out += f", field {field}"
    return out


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ElementCSVError(f"{path}: file not found") from None
    except OSError as exc:
        raise ElementCSVError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise ElementCSVError(f"{path}: empty file")
    if b"\x00" in raw[:4096]:
        raise ElementCSVError(f"{path}: binary data, not a CSV file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ElementCSVError(
            f"{path}: not UTF-8 (invalid byte at offset {exc.start}); save the file as UTF-8"
        ) from None


def _level(row: dict[str, str], where: str) -> tuple[str, str | None]:
    branch = (row.get("Branch") or "").strip()
    if branch == "Company":
        level = (row.get("Composite") or "").strip()
        if level not in ("Group", "OpCom"):
            raise ElementCSVError(f"{where}, field Composite: {level!r} is not Group or OpCom")
        return level, None
    if branch == "Services":
        service = (row.get("Service") or "").strip()
        kind = (row.get("Class") or "").strip()
        if not service or service in _NA:
            raise ElementCSVError(f"{where}, field Service: empty service name")
        if not kind or kind in _NA:
            raise ElementCSVError(f"{where}, field Class: empty service type")
        return service, kind
    raise ElementCSVError(f"{where}, field Branch: {branch!r} is not Company or Services")


def read(paths: Sequence[str | os.PathLike], methodology: Methodology) -> ReadResult:
    """Read and validate element results from one or more CSV files."""
    if not paths:
        raise ElementCSVError("no CSV files given")
    results: list[ElementResult] = []
    seen: dict[tuple[str, str, str], str] = {}
    index: str | None = None
    index_where = ""
    for p in paths:
        path = Path(p)
        text = _decode(path)
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise ElementCSVError(
                f"{path}: not an RDR element-results CSV: missing column(s) {', '.join(missing)}"
                f" (found: {', '.join(header[:8])}{' …' if len(header) > 8 else ''})"
            )
        rows = 0
        for row in reader:
            line = reader.line_num
            where = _where(str(path), line)
            rows += 1
            if None in row:
                raise ElementCSVError(f"{where}: more fields than the header has")
            row = restore_row(row)
            company = (row.get("Company") or "").strip()
            if not company:
                raise ElementCSVError(f"{where}, field Company: empty")
            row_index = (row.get("Index") or "").strip()
            if index is None:
                index, index_where = row_index, where
            elif row_index != index:
                raise ElementCSVError(
                    f"{where}, field Index: edition {row_index!r} mixed with {index!r} ({index_where});"
                    " score one edition at a time"
                )
            try:
                el = methodology.element(row["Element"])
            except MethodologyError:
                raise ElementCSVError(
                    f"{where}, field Element: unknown element {row['Element']!r} in {methodology.id}"
                ) from None
            indicator = (row.get("Indicator") or "").strip()
            if indicator and indicator not in _NA and normalise_indicator_id(indicator) != el.indicator:
                if normalise_indicator_id(indicator) not in methodology.indicators:
                    raise ElementCSVError(
                        f"{where}, field Indicator: unknown indicator {indicator!r} in {methodology.id}"
                    )
                raise ElementCSVError(
                    f"{where}, field Indicator: {indicator!r} but element {el.id} belongs to {el.indicator}"
                )
            try:
                result = normalise_result(row.get("Result"))
            except ScoringError as exc:
                raise ElementCSVError(f"{where}, field Result: {exc}") from None
            score = (row.get("Score") or "").strip()
            expected = element_score(result, el.reversed)
            if score and score not in _NA:
                try:
                    given = float(score)
                except ValueError:
                    raise ElementCSVError(f"{where}, field Score: {score!r} is not a number") from None
                if expected is None or abs(given - expected) > 1e-9:
                    raise ElementCSVError(
                        f"{where}, field Score: {score} does not match Result {result!r}"
                        f" (expected {'NA' if expected is None else int(expected)}"
                        f"{', reversed element' if el.reversed else ''})"
                    )
            elif result != NA and score in _NA and score:
                raise ElementCSVError(f"{where}, field Score: NA but Result is {result!r}")
            level, kind = _level(row, where)
            ctype = (row.get("CompanyType") or "").strip()
            try:
                company_kind(ctype)
            except MethodologyError as exc:
                raise ElementCSVError(f"{where}, field CompanyType: {exc}") from None
            key = (company, el.id, level)
            if key in seen:
                raise ElementCSVError(
                    f"{where}: duplicate row for {company} / {el.id} / {level} (first at {seen[key]})"
                )
            seen[key] = where
            results.append(
                ElementResult(
                    company=company,
                    element=el.id,
                    level=level,
                    result=result,
                    service_kind=kind,
                    company_type=ctype,
                    company_label=(row.get("CompanyLabel") or "").strip() or company,
                )
            )
        if rows == 0:
            raise ElementCSVError(f"{path}: header only, no rows")
    return ReadResult(index=index or "", results=results, files=[str(p) for p in paths])



def format_rows(rows: Iterable[dict[str, object]], extra_columns: Sequence[str] = ()) -> str:
    """Render rows (dicts keyed by column) in RDR's format, extra columns appended after it."""
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, fieldnames=[*COLUMNS, *extra_columns], extrasaction="raise", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow(neutralise_row({k: ("NA" if v is None else v) for k, v in row.items()}))
    return buf.getvalue()


# ours, after RDR's: ``AsOf`` is the day whose policies the assessment graded (its as-of date, else
# the day it graded the then-current versions)
EXTRA_COLUMNS = ("Confidence", "Evidence", "PriorResult", "PriorRelation", "Reviewed", "NeedsReview", "AsOf")

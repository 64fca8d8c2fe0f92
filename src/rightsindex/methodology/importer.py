"""Build a methodology data file from Ranking Digital Rights' public CSVs.

Inputs (as published by RDR, CC BY 4.0):

- ``<year>/<year>-rdr-index-11-meta-elements.csv``   elements, exclusions, reversed scoring
- ``<year>/<year>-rdr-index-12-meta-indicators.csv`` indicators, families, scope, guidance
- ``site-csv/<year>-element-specs.csv``               questions with glossary links (optional)
- ``site-csv/<year>-glossary.html``                   defined terms (optional)
- ``site-csv/<year>-service-kinds.csv``               service types and labels (optional)
- ``<year>/element-scores/*.csv``                     published results (optional): used only to
  detect reversed elements when the meta file leaves ``reversedScoring`` empty, as RDR 2020 does.

The result is plain JSON, shipped in ``rightsindex/methodology/data/<id>.json``.
"""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

from .model import MethodologyError, from_dict

CATEGORY_LABELS = {"G": "Governance", "F": "Freedom of Expression", "P": "Privacy"}
_NA = {"", "NA", "N/A", "na", "n/a"}
_COMPANY_EXCLUSION = {"telecom": "telecom", "internet": "internet"}


def _na(value: str | None) -> str:
    v = (value or "").strip()
    return "" if v in _NA else v


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in _na(value).split("|") if part.strip()]


def _bool(value: str | None) -> bool:
    return _na(value).upper() in {"TRUE", "T", "YES", "Y", "1"}


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise MethodologyError(f"{path}: file not found")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _require(rows: list[dict[str, str]], path: Path, columns: set[str]) -> None:
    if not rows:
        raise MethodologyError(f"{path}: no rows")
    missing = columns - set(rows[0])
    if missing:
        raise MethodologyError(f"{path}: missing column(s) {', '.join(sorted(missing))}")


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", text))).strip()


def parse_glossary(path: Path) -> list[dict[str, str]]:
    """Glossary entries from RDR's site HTML: ``<a id='glossary-ID'>``, ``.entry-tag``, ``<p>``."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(path.read_text("utf-8"))
    terms = []
    for entry in tree.css("div.entry"):
        anchor = entry.css_first("a[id]")
        tag = entry.css_first(".entry-tag")
        if anchor is None or tag is None:
            continue
        anchor_id = anchor.attributes.get("id") or ""
        term_id = anchor_id.removeprefix("glossary-")
        paragraphs = [p.text(separator=" ").strip() for p in entry.css("p")]
        definition = re.sub(r"\s+", " ", " ".join(p for p in paragraphs if p)).strip()
        terms.append({"id": term_id, "term": tag.text().strip(), "definition": definition})
    if not terms:
        raise MethodologyError(f"{path}: no glossary entries found")
    return terms


def infer_reversed(element_scores: list[Path]) -> set[str]:
    """Elements whose published results score ``yes`` as 0 and ``no`` as 100."""
    reversed_ids: set[str] = set()
    normal_ids: set[str] = set()
    for path in element_scores:
        for row in _read_csv(path):
            result, score = (row.get("Result") or "").strip().lower(), _na(row.get("Score"))
            if not score:
                continue
            if (result, float(score)) in {("yes", 0.0), ("no", 100.0)}:
                reversed_ids.add(row["Element"])
            elif (result, float(score)) in {("yes", 100.0), ("no", 0.0)}:
                normal_ids.add(row["Element"])
    both = reversed_ids & normal_ids
    if both:
        raise MethodologyError(f"elements scored both ways in the published results: {sorted(both)}")
    return reversed_ids


def import_rdr(
    rdr_dir: Path,
    year: str,
    *,
    site_dir: Path | None = None,
    glossary_year: str | None = None,
    element_scores: list[Path] | None = None,
) -> dict:
    """Read RDR's CSVs for ``year`` and return the methodology as a JSON-ready dict."""
    rdr_dir = Path(rdr_dir)
    site_dir = Path(site_dir) if site_dir else rdr_dir / "site-csv"
    year_dir = rdr_dir / year
    el_path = year_dir / f"{year}-rdr-index-11-meta-elements.csv"
    ind_path = year_dir / f"{year}-rdr-index-12-meta-indicators.csv"
    el_rows = _read_csv(el_path)
    ind_rows = _read_csv(ind_path)
    _require(el_rows, el_path, {"Category", "Indicator", "Element", "elemNr", "description"})
    _require(
        ind_rows,
        ind_path,
        {"Category", "Indicator", "indicatorNr", "indicatorSuffix", "isParent", "labelLong", "scoringScope"},
    )

    # Glossary and question markup come from the website inputs; RDR publishes them for 2022 only,
    # and the 2020 and 2022 questions share their defined terms.
    gyear = glossary_year or year
    glossary_path = site_dir / f"{gyear}-glossary.html"
    if not glossary_path.is_file():
        glossary_path = site_dir / "2022-glossary.html"
    glossary = parse_glossary(glossary_path) if glossary_path.is_file() else []
    glossary_ids = {g["id"] for g in glossary}

    spec_links: dict[str, list[str]] = {}
    spec_path = site_dir / f"{gyear}-element-specs.csv"
    if not spec_path.is_file():
        spec_path = site_dir / "2022-element-specs.csv"
    if spec_path.is_file():
        for row in _read_csv(spec_path):
            links = re.findall(r"#glossary-([\w-]+)", row.get("description", ""))
            spec_links[(row["Element"], _plain(row.get("description", "")))] = [
                g for g in dict.fromkeys(links) if g in glossary_ids
            ]

    kinds_path = site_dir / f"{year}-service-kinds.csv"
    service_kinds = (
        {r["ServiceType"]: r["ServiceLabel"] for r in _read_csv(kinds_path)} if kinds_path.is_file() else {}
    )

    reversed_from_results = infer_reversed(element_scores or [])

    indicators: dict[str, dict] = {}
    for row in ind_rows:
        iid = row["Indicator"].strip()
        suffix = _na(row.get("indicatorSuffix"))
        family = iid[:-1] if suffix else None
        company_excl = [_COMPANY_EXCLUSION[c] for c in _split(row.get("excludedCompanies"))]
        indicators[iid] = {
            "id": iid,
            "category": row["Category"].strip(),
            "number": int(row["indicatorNr"]),
            "suffix": suffix,
            "label": _na(row.get("labelLong")),
            "description": _na(row.get("description")),
            "guidance": _na(row.get("guidance")),
            "scoring_scope": _na(row.get("scoringScope")),
            "is_family": _bool(row.get("isParent")),
            "family": family,
            "excluded_company_kinds": company_excl,
            "excluded_services": _split(row.get("excludedServices")),
            "elements": [],
            "children": [],
        }
    for ind in indicators.values():
        if ind["family"]:
            parent = indicators.get(ind["family"])
            if parent is None or not parent["is_family"]:
                raise MethodologyError(f"{ind_path}: {ind['id']} has no family row {ind['family']}")
            parent["children"].append(ind["id"])
        elif not ind["is_family"] and ind["scoring_scope"] not in {"company", "full", "services"}:
            raise MethodologyError(f"{ind_path}: {ind['id']}: unknown scoringScope {ind['scoring_scope']!r}")
        if ind["family"] and ind["scoring_scope"] not in {"company", "full", "services"}:
            raise MethodologyError(f"{ind_path}: {ind['id']}: unknown scoringScope {ind['scoring_scope']!r}")

    elements = []
    reversed_column = "isReversedScoring" if "isReversedScoring" in el_rows[0] else "reversedScoring"
    for row in el_rows:
        eid = row["Element"].strip()
        iid = row["Indicator"].strip()
        if iid not in indicators or indicators[iid]["is_family"]:
            raise MethodologyError(f"{el_path}: element {eid} names indicator {iid}, which owns no elements")
        question = _plain(row["description"])
        links = spec_links.get((eid, question))
        if links is None:  # question reworded between editions: find the defined terms it uses
            lowered = question.lower()
            links = [
                g["id"]
                for g in glossary
                if any(
                    re.search(rf"\b{re.escape(t.strip().lower())}\b", lowered)
                    for t in g["term"].split("/")
                    if len(t.strip()) > 3
                )
            ]
        rev = _bool(row.get(reversed_column)) or eid in reversed_from_results
        elements.append(
            {
                "id": eid,
                "indicator": iid,
                "number": int(row["elemNr"]),
                "question": question,
                "reversed": rev,
                "excluded_company_kinds": [_COMPANY_EXCLUSION[c] for c in _split(row.get("excludedCompanies"))],
                "excluded_services": _split(row.get("excludedServices")),
                "glossary": links,
            }
        )
        indicators[iid]["elements"].append(eid)

    for ind in indicators.values():
        if not ind["is_family"] and not ind["elements"]:
            raise MethodologyError(f"{ind_path}: indicator {ind['id']} has no elements")

    data = {
        "id": f"rdr-{year}",
        "name": f"Ranking Digital Rights {year} methodology",
        "edition": year,
        "source": (
            "Ranking Digital Rights public dataset: "
            f"{el_path.name}, {ind_path.name}"
            + (f", {glossary_path.name}" if glossary else "")
            + (f", {spec_path.name}" if spec_links else "")
            + (f", {kinds_path.name}" if service_kinds else "")
            + (", reversed elements detected in the published element scores" if reversed_from_results else "")
        ),
        "licence": "CC BY 4.0, Ranking Digital Rights (https://rankingdigitalrights.org)",
        "categories": [{"id": k, "label": v} for k, v in CATEGORY_LABELS.items()],
        "indicators": list(indicators.values()),
        "elements": elements,
        "glossary": glossary,
        "service_kinds": service_kinds,
    }
    from_dict(data)  # validates cross-references
    return data


def write(data: dict, out: Path) -> None:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")
    tmp.replace(out)

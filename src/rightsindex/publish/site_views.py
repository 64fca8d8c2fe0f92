"""The site's views of a company: indicator rows, element views with their evidence merged over
levels, document segments with cited passages marked, highlights, counts and score bands."""

from __future__ import annotations

import json
import re
from collections import defaultdict


from ..methodology import Methodology

from .site_data import CompanyInfo, evidence_view

__all__ = [
    "RESULT_CLASS", "RESULT_LABEL", "assessed_levels", "band", "company_highlights", "doc_segments", "element_view",
    "fmt", "indicator_rows", "indicator_sparkline", "lang_of", "level_label", "merge_levels", "result_counts",
]


RESULT_CLASS = {"yes": "yes", "partial": "partial", "no": "no", "no disclosure found": "ndf", "NA": "na"}
RESULT_LABEL = {"yes": "Yes", "partial": "Partial", "no": "No", "no disclosure found": "No disclosure found", "NA": "N/A"}
BANDS = ((20, "s0", "0–19"), (40, "s1", "20–39"), (60, "s2", "40–59"), (80, "s3", "60–79"), (101, "s4", "80–100"))
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def band(value: float | None) -> str:
    """CSS class of a 0–100 score on the five-step colour scale (``na`` for N/A), by the value shown."""
    from .scores import display_value

    value = display_value(value)
    if value is None:
        return "na"
    for upper, cls, _ in BANDS:
        if value < upper:
            return cls
    return BANDS[-1][1]


def fmt(value: float | None, digits: int = 1) -> str:
    """A score as people read it (one rounding rule everywhere: ``publish.scores.display_score``)."""
    from .scores import display_score

    return display_score(value) if digits == 1 else ("N/A" if value is None else f"{value:.{digits}f}")


def lang_of(text: str | None) -> str:
    """``zh`` when the text holds Chinese characters, so browsers pick a CJK font; else ``en``."""
    return "zh" if text and _CJK.search(text) else "en"


def level_label(meth: Methodology, level: str, kind: str | None) -> str:
    if kind is None:
        return {"Group": "Group (company-wide)", "OpCom": "Operating company"}.get(level, level)
    return f"{level} ({meth.service_kinds.get(kind, kind)})" if kind != "other" else level


def indicator_rows(meth: Methodology, c: CompanyInfo) -> list[dict]:
    """Every indicator of the methodology in order, with the company's score and per-level scores."""
    out = []
    present = {r["Indicator"] for rs in c.rows.values() for r in rs}
    for ind in meth.indicators.values():
        if ind.is_family:
            applicable = any(ch in present for ch in ind.children)
        else:
            applicable = ind.id in present
        if not applicable and ind.id not in c.scores["indicators"]:
            continue
        out.append(
            {
                "ind": ind,
                "score": c.scores["indicators"].get(ind.id),
                "levels": {lvl: c.scores["levels"].get(lvl, {}).get(ind.id) for lvl in c.levels},
                "page": None if ind.is_family or ind.id not in present else f"{ind.id}.html",
                "sub": ind.family is not None,
            }
        )
    return out


def assessed_levels(c: CompanyInfo) -> list[str]:
    """Levels with at least one graded (not N/A) element: the columns worth showing."""
    graded = {r["Service"] for rs in c.rows.values() for r in rs if r["Result"] != "NA"}
    return [lvl for lvl in c.levels if lvl in graded]


def element_view(meth: Methodology, c: CompanyInfo, element_id: str, doc_pages: dict) -> dict:
    el = meth.elements[element_id]
    per_level = []
    na_levels = []
    for r in sorted(c.rows.get(element_id, []), key=lambda r: c.levels.index(r["Service"]) if r["Service"] in c.levels else 99):
        if r["Result"] == "NA":
            na_levels.append(r["Service"])
            continue
        ev = []
        for e in map(evidence_view, r["evidence"]):
            doc = c.documents.get(e["path"])
            version = doc.versions.get(e.get("version")) if doc else None
            page = doc_pages.get((e["path"], e["version"]))
            ev.append(
                {
                    **e,
                    "title": doc.title if doc else e["path"],
                    "date": version["date"] if version else None,
                    "href": f"{page}#p{e['start']}-{e['end']}" if page and e["start"] is not None else page,
                    "lang": lang_of(e["text"]),
                }
            )
        comment = r.get("Comment") or ""
        human = r.get("Reviewed") == "yes" or not comment.startswith(("Automated:", "Not applicable"))
        per_level.append(
            {
                "level": r["Service"],
                "level_label": level_label(meth, r["Service"], None if r["Branch"] == "Company" else r["Class"]),
                "result": r["Result"],
                "cls": RESULT_CLASS.get(r["Result"], "na"),
                "label": RESULT_LABEL.get(r["Result"], r["Result"]),
                "score": r["Score"],
                "confidence": None if r.get("Confidence") in (None, "", "NA") else float(r["Confidence"]),
                "reviewed": r.get("Reviewed") == "yes",
                "comment": comment if human else "",
                "prior": None if r.get("PriorRelation") in (None, "", "NA") else {"relation": r["PriorRelation"], "result": r.get("PriorResult")},
                "evidence": ev,
            }
        )
    return {"el": el, "levels": merge_levels(per_level), "na_levels": na_levels}


def merge_levels(per_level: list[dict]) -> list[dict]:
    """Levels with the same answer resting on the same passage are shown once (a document that
    speaks for several services otherwise repeats itself), with the range of their confidences and
    the passages any of them considered."""

    def loc(e: dict) -> tuple:
        return (e["path"], e["version"], e["start"], e["end"], e["text"])

    merged: dict[tuple, dict] = {}
    for j in per_level:
        relied = loc(j["evidence"][0]) if j["evidence"] and j["result"] != "no disclosure found" else None
        key = (j["result"], j["reviewed"], j["comment"], json.dumps(j["prior"], sort_keys=True), relied)
        if key in merged:
            m = merged[key]
            m["level_labels"].append(j["level_label"])
            m["levels"].append(j["level"])
            if j["confidence"] is not None:
                m["confidences"].append(j["confidence"])
            seen = {loc(e) for e in m["evidence"]}
            m["evidence"] = m["evidence"] + [e for e in j["evidence"] if loc(e) not in seen]
        else:
            merged[key] = {
                **j, "level_labels": [j["level_label"]], "levels": [j["level"]],
                "confidences": [j["confidence"]] if j["confidence"] is not None else [],
            }
    for m in merged.values():
        lo, hi = (min(m["confidences"]), max(m["confidences"])) if m["confidences"] else (None, None)
        m["confidence_text"] = (
            None if lo is None else f"{lo * 100:.0f}%" if round(lo * 100) == round(hi * 100) else f"{lo * 100:.0f}–{hi * 100:.0f}%"
        )
    return list(merged.values())


def doc_segments(text: str, spans: dict[tuple[int, int], list[dict]]) -> list[dict]:
    """The text cut into pieces; a cited span gets the anchor ``p<start>-<end>`` and the grades that
    rest on it (``refs``). A span inside another (a passage of a list cited whole) becomes an extra
    anchor of the outer piece (``aliases``), its grades joining the outer's; other overlaps after
    the first are left out."""
    out: list[dict] = []
    pos = 0
    last: dict | None = None
    for (start, end), refs in sorted(spans.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        if end <= start or end > len(text):
            continue
        if start < pos:
            if last is not None and start >= last["start"] and end <= pos:
                last["aliases"].append(f"p{start}-{end}")
                last["refs"].extend(r for r in refs if r not in last["refs"])
            continue
        if start > pos:
            out.append({"text": text[pos:start], "anchor": None, "refs": [], "aliases": []})
        last = {"text": text[start:end], "anchor": f"p{start}-{end}", "refs": list(refs), "aliases": [], "start": start}
        out.append(last)
        pos = end
    if pos < len(text):
        out.append({"text": text[pos:], "anchor": None, "refs": [], "aliases": []})
    return out


def indicator_sparkline(c: CompanyInfo, indicator: str):
    from .over_time import sparkline

    return sparkline(c.history.get("points") or [], indicator)


def result_counts(c: CompanyInfo) -> dict:
    counts: dict[str, int] = defaultdict(int)
    for rs in c.rows.values():
        for r in rs:
            counts[r["Result"]] += 1
            if r.get("Reviewed") == "yes":
                counts["reviewed"] += 1
    return dict(counts)


def company_highlights(meth: Methodology, c: CompanyInfo, per_category: int = 2) -> list[dict]:
    """For the PDF: per category, the most confident full disclosures, each with its best passage."""
    out = []
    for cat in meth.categories:
        found = []
        for el_id, rs in c.rows.items():
            el = meth.elements[el_id]
            if meth.indicators[el.indicator].category != cat.id:
                continue
            for r in rs:
                if r["Result"] == "yes" and r["evidence"] and r["evidence"][0]["text"]:
                    conf = float(r["Confidence"]) if r.get("Confidence") not in (None, "", "NA") else 1.0
                    found.append((conf, el_id, r))
        found.sort(key=lambda t: (-t[0], t[1]))
        seen: set[str] = set()
        for conf, el_id, r in found:
            if el_id in seen:
                continue
            seen.add(el_id)
            e = r["evidence"][0]
            text = " ".join(e["text"].split())
            doc = c.documents.get(e["path"])
            out.append(
                {
                    "category": cat.label, "element": meth.elements[el_id], "level": r["Service"], "confidence": conf,
                    "text": text if len(text) <= 320 else text[:317] + "…", "lang": lang_of(text),
                    "title": doc.title if doc else e["path"], "version": e["version"],
                    "start": e["start"], "end": e["end"], "path": e["path"],
                }
            )
            if len(seen) >= per_category:
                break
    return out

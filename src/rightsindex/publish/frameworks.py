"""Notice duties as published: ``framework-scores.json``, per company and service, per framework:
how complete the notice is, every item's answer with the passage that earns it, and the *missing*
duties, each with the closest passage and why it was not enough.

Completeness is RDR's arithmetic applied to duties: disclosed = 1, partly disclosed = ½, not found
= 0, averaged over the framework's items (a service with no document has none).
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["completeness", "crosswalk_answers", "disagreement", "duty_tables", "frameworks_json"]

WEIGHT = {"disclosed": 1.0, "partly disclosed": 0.5, "not found": 0.0}
CREDIT = ("yes", "partial")  # RDR answers that earn credit on an element that is not reversed


def disagreement(duty_result: str | None, rdr_result: str | None, *, reversed_element: bool = False) -> str | None:
    """Where RDR and the law disagree about a company on what an element and a duty both ask: the
    duty is (partly) disclosed where RDR gives no credit, or RDR gives credit where the duty is not
    found. None when they agree, when either answer is missing or N/A, or for a reversed element
    (its credit is for *not* doing something: no duty asks that)."""
    if reversed_element or duty_result not in WEIGHT or rdr_result in (None, "", "NA", "N/A"):
        return None
    duty, rdr = duty_result != "not found", rdr_result in CREDIT
    if duty == rdr:
        return None
    return "the duty is disclosed, RDR gives no credit" if duty else "RDR gives credit, the duty is not found"


def completeness(results: list[str]) -> float | None:
    return round(sum(WEIGHT.get(r, 0.0) for r in results) / len(results), 2) if results else None


def _first(evidence: list[dict]) -> dict | None:
    if not evidence:
        return None
    e = evidence[0]
    return {k: e[k] for k in ("path", "version", "start", "end", "text", "support", "language") if k in e}


def frameworks_json(rows: list[dict], assessment: dict | None = None) -> dict:
    """The JSON document for ``item_rows`` rows (``review.items``)."""
    from ..methodology import frameworks as frameworks_mod

    fids = list(OrderedDict.fromkeys(r["Framework"] for r in rows))
    out: dict = {"assessment": assessment or {}, "frameworks": {}, "companies": {}}
    for fid in fids:
        fw = frameworks_mod.load(fid)
        out["frameworks"][fid] = {
            "name": fw.name, "law": fw.law, "source": fw.source,
            "items": [{"id": it.id, "article": it.article, "question": it.question} for it in fw.items.values()],
        }
    for r in rows:
        comp = out["companies"].setdefault(r["Company"], {"label": r.get("CompanyLabel", r["Company"]), "services": {}})
        svc = comp["services"].setdefault(r["Service"], {})
        f = svc.setdefault(r["Framework"], {"completeness": None, "disclosed": 0, "partly disclosed": 0, "not found": 0, "items": {}, "missing": []})
        f[r["Result"]] = f.get(r["Result"], 0) + 1
        first = _first(r["Evidence"])
        f["items"][r["Item"]] = {
            "article": r["Article"], "result": r["Result"], "confidence": r["Confidence"], "needs_review": r["NeedsReview"],
            "passage": first, "why": r["Why"], **({"status": r["Status"]} if r.get("Status") else {}),
        }
        if r["Result"] == "not found":
            f["missing"].append({"item": r["Item"], "article": r["Article"], "closest": first, "why": r["Why"]})
    for comp in out["companies"].values():
        for svc in comp["services"].values():
            for f in svc.values():
                f["completeness"] = completeness([v["result"] for v in f["items"].values()])
    return out


def crosswalk_answers(rows: list[dict], company: str, element_id: str, level: str | None = None, rdr_result: str | None = None,
                      *, reversed_element: bool = False) -> list[dict]:
    """The legal duties an RDR element overlaps (the frameworks' crosswalk, read backwards) with
    their answers for ``company`` (at ``level`` when it is one of its services, else every service)
    and, given the element's answer ``rdr_result``, whether the two disagree (``disagree``)."""
    from ..methodology import frameworks as frameworks_mod

    out = []
    for item in frameworks_mod.overlapping(element_id):
        for r in rows:
            if r["Company"] == company and r["Framework"] == item.framework and r["Item"] == item.id and (level in (None, "Group", "OpCom") or r["Service"] == level):
                out.append({"framework": item.framework, "item": item.id, "article": item.article, "short": item.short,
                            "service": r["Service"], "result": r["Result"], "passage": _first(r["Evidence"]),
                            "disagree": disagreement(r["Result"], rdr_result, reversed_element=reversed_element)})
    return out


def duty_tables(framework_id: str, rows: list[dict]) -> tuple:
    """(framework, [{"company", "label", "service", "completeness", "cells": {item: row}, "missing": [row]}])
    for the rows of one framework, in their order."""
    from ..methodology import frameworks as frameworks_mod

    fw = frameworks_mod.load(framework_id)
    tables: dict = {}
    for r in rows:
        if r["Framework"] != framework_id:
            continue
        t = tables.setdefault((r["Company"], r["Service"]), {"company": r["Company"], "label": r.get("CompanyLabel", r["Company"]),
                                                             "service": r["Service"], "cells": {}, "missing": []})
        t["cells"][r["Item"]] = {**r, "first": _first(r["Evidence"])}
        if r["Result"] == "not found":
            t["missing"].append(t["cells"][r["Item"]])
    for t in tables.values():
        t["completeness"] = completeness([x["Result"] for x in t["cells"].values()])
    return fw, list(tables.values())

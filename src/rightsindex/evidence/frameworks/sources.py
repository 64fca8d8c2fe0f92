"""Where the item readers learn: labelled passages mapped onto framework items from data we hold.

A framework item's ``learn`` section (``methodology/data/<framework>.json``) names, per language:

- ``capp`` (Chinese): CAPP-130 sentence categories (``categories``; ``*`` = any category), optionally
  narrowed to sentences that name one of ``with`` or that name none of ``without`` — how the
  categories that the law splits are split (存储方式 holds both retention periods and where data
  are stored, PIPL 17 and 39). A sentence that names a ``with`` term with no label at all counts
  when ``categories`` is ``*`` (CAPP leaves many such sentences unlabelled).
- ``tosdr`` (English): ToS;DR cases whose quotes (a service's own policy text) carry the duty;
- ``rdr_quotes`` (English): RDR elements whose 2019/2020 researcher quotes carry it (the grader
  knowledge's quotes);
- ``labelled``: passages of real English policies labelled per item (``data/frameworks/labels-en.csv``:
  who labelled them and how is written there);
- ``same_as``: another framework's item (``gdpr-notice:retention``) whose sources serve this one.

CAPP-130 annotation files ``rw_N.jsonl`` whose N ends in 3 or 7 — except rw_17, rw_23 and rw_53 —
are reserved for independent evaluation: ``reserved_capp`` names them and every reader here skips
them.
"""

from __future__ import annotations

import csv
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...methodology import frameworks as fw_mod

LABELS_DIR = Path(__file__).resolve().parent.parent / "data" / "frameworks"
_TAG = re.compile(r"<[^>]+>")


def reserved_capp(file_name: str) -> bool:
    """CAPP-130 files kept for independent evaluation (23 apps): never trained, calibrated or tuned on."""
    m = re.fullmatch(r"rw_(\d+)\.jsonl", Path(file_name).name)
    if not m:
        return False
    n = int(m.group(1))
    return n % 10 in (3, 7) and n not in (17, 23, 53)


def learn_spec(item, language: str) -> dict:
    """The item's sources for ``language``, following ``same_as`` to another framework's item."""
    spec = dict(item.learn.get(language) or {})
    seen = {f"{item.framework}:{item.id}"}
    while "same_as" in spec:
        ref = spec.pop("same_as")
        if ref in seen:
            break
        seen.add(ref)
        fid, _, iid = ref.partition(":")
        other = fw_mod.load(fid).item(iid)
        spec = {**dict(other.learn.get(language) or {}), **spec}
    return spec


# -- Chinese: CAPP-130 ---------------------------------------------------------------------------


@dataclass
class Policy:
    """One labelled policy: sentences in order, each with the framework items it carries."""

    key: str  # CAPP file or document path
    group: str  # what a split keeps together (app, company)
    sentences: list[str]
    items: list[set[str]] = field(default_factory=list)


def capp_carries(spec: dict, text: str, labels: set[str]) -> bool:
    cats = set(spec.get("categories") or [])
    with_terms, without = spec.get("with") or [], spec.get("without") or []
    if with_terms and not any(t in text for t in with_terms):
        return False
    if without and any(t in text for t in without):
        return False
    if "*" in cats:
        return bool(labels) or (bool(with_terms) and len(text) >= 16)
    return bool(cats & labels)


def capp_policies(policies, framework) -> list[Policy]:
    """CAPP-130 policies (``evidence.capp.read_capp``) labelled with ``framework``'s items, the
    reserved files left out."""
    specs = {iid: learn_spec(it, "zh").get("capp") for iid, it in framework.items.items()}
    specs = {k: v for k, v in specs.items() if v}
    out = []
    for p in policies:
        if reserved_capp(p.file):
            continue
        items = [{iid for iid, s in specs.items() if capp_carries(s, t, labs)} for t, labs in zip(p.sentences, p.labels)]
        out.append(Policy(p.file, p.app, list(p.sentences), items))
    return out


# -- English: ToS;DR, RDR quotes, labelled passages -------------------------------------------------


@dataclass
class Example:
    text: str
    group: str  # company or service: company-split evaluation keeps a group on one side
    items: set[str]
    source: str  # tosdr | rdr | labelled
    label: str = "full"  # full | partial (a positive's strength) or none


def clean_quote(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", text or "")).split())


def tosdr_examples(path: Path, framework) -> list[Example]:
    """Every ToS;DR quote whose case some item names (positive for those items) and a sample of
    the others (negatives for every item), grouped by service."""
    cases: dict[str, set[str]] = {}
    for iid, it in framework.items.items():
        for case in learn_spec(it, "en").get("tosdr") or []:
            cases.setdefault(case, set()).add(iid)
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r.get("needModeration") == "True":
                continue
            text = clean_quote(r.get("quoteText", ""))
            if len(text) < 30:
                continue
            items = cases.get(r.get("case", ""), set())
            out.append(Example(text[:1000], "tosdr:" + (r.get("services") or "?").split("|")[0], set(items), "tosdr", "full" if items else "none"))
    return out


def rdr_quote_examples(kn, framework) -> list[Example]:
    """RDR researchers' quotes for the elements each item's ``rdr_quotes`` names (positives) and for
    the other privacy elements (negatives), grouped by company."""
    by_element: dict[str, set[str]] = {}
    for iid, it in framework.items.items():
        for e in learn_spec(it, "en").get("rdr_quotes") or []:
            by_element.setdefault(e, set()).add(iid)
    out = []
    for k, text in enumerate(kn.quote_text):
        e = kn.elements[int(kn.quote_element[k])]
        if not e.startswith("P") and e not in by_element:
            continue
        items = by_element.get(e, set())
        out.append(Example(text, str(kn.quote_company[k]), set(items), "rdr", "full" if items else "none"))
    return out


def labelled_examples(framework, path: Path | None = None) -> list[Example]:
    """Passages of real policies labelled per item (``labels-en.csv``: company, document, passage,
    item, label full / partial / none)."""
    path = path or LABELS_DIR / "labels-en.csv"
    if not Path(path).is_file():
        return []
    texts: dict[tuple[str, str], Example] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(row for row in fh if not row.startswith("#")):
            if r["framework"] != framework.id:
                continue
            ex = texts.setdefault((r["company"], r["text"]), Example(r["text"], r["company"], set(), "labelled", "none"))
            if r["label"] in ("full", "partial"):
                ex.items.add(r["item"])
                ex.label = r["label"] if ex.label != "full" else "full"
    return list(texts.values())


__all__ = ["Example", "Policy", "capp_policies", "capp_carries", "clean_quote", "labelled_examples", "learn_spec", "rdr_quote_examples", "reserved_capp", "tosdr_examples"]

"""Compare two assessments: every element whose answer moved, which way, the document versions on
both sides and the passage-level diff that caused it; written in RDR's year-on-year shape.

    cmp = compare(store, "2020-09-15", "2021-11-01")     # assessment ids or dates
    cmp.moved                                            # the elements that moved
    yoy_csv(cmp)                                         # RDR's year-on-year CSV (+ our columns)

An assessment is named by its id, or by a date: the assessment that graded the versions in force
that day (``assess --as-of DATE``), else the latest finished assessment made on or before it.

The explanation of a move is read off the texts, not off the run that produced it: the passages
the earlier answer rested on (its first ``regrade.RESTS_ON`` evidence units) that the later
versions no longer hold, and the passages leading the later answer's evidence that the earlier
versions did not hold. Each is matched to its entry in the document's passage diff
(``corpus.versions.diff_versions``), so the output shows what was added, removed or re-worded,
in which document, between which versions. A move with no such passage (an analyst's decision,
another model) says so.

RDR's year-on-year file (``2020-yoy-vs-2019-elements.csv``) has the columns ``YOY_COLUMNS``:
``SameAsPrevious`` is ``Yes``, ``No`` or empty (not comparable: the element or level is new), and
``YoYComment`` is RDR's sentence ("This is an improvement to full credit from no disclosure found
…"). Ours follows it and appends ``EXTRA_COLUMNS``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from .. import methodology as methodology_mod
from .regrade import RESTS_ON, Side, plain, substance
from ..scoring import element_score
from ..store import Store
from ..store.models import Assessment, CompanyRun, Version

__all__ = [
    "EXTRA_COLUMNS",
    "YOY_COLUMNS",
    "CompareError",
    "Comparison",
    "Move",
    "compare",
    "credit_label",
    "previous_assessment",
    "resolve_assessment",
    "yoy_csv",
]

YOY_COLUMNS = ("Index", "PrevIndex", "CompanySheet", "ElementLabel", "Element", "ColumnLabel", "NewElement", "SameAsPrevious", "YoYComment")
EXTRA_COLUMNS = ("PreviousResult", "Result", "Direction", "PreviousVersions", "Versions", "Diff")


class CompareError(ValueError):
    pass


# -- naming assessments ----------------------------------------------------------------------------------


def assessment_day(a: Assessment) -> date:
    """The day an assessment speaks for: its as-of date, else the day it was made."""
    if a.as_of is not None:
        return a.as_of
    c = a.created_at
    return c.date() if isinstance(c, datetime) else date.fromisoformat(str(c)[:10])


def resolve_assessment(session, ref: str | int) -> Assessment:
    """An assessment by id, or by date (see the module's notes)."""
    text = str(ref).strip()
    if text.isdigit():
        a = session.get(Assessment, int(text))
        if a is None:
            raise CompareError(f"no assessment {text}")
        return a
    try:
        when = date.fromisoformat(text)
    except ValueError:
        raise CompareError(f"{text!r}: give an assessment id or a date (YYYY-MM-DD)") from None
    graded = select(CompanyRun.assessment_id)
    a = session.scalars(
        select(Assessment).where(Assessment.as_of == when, Assessment.id.in_(graded)).order_by(Assessment.id.desc())
    ).first()
    if a is not None:
        return a
    done = [x for x in session.scalars(select(Assessment).where(Assessment.status == "done", Assessment.id.in_(graded))) if assessment_day(x) <= when]
    if not done:
        raise CompareError(f"no assessment graded the policies in force on {when.isoformat()} (run `rightsindex assess … --as-of {when.isoformat()}`)")
    return max(done, key=lambda x: (assessment_day(x), x.id))


def previous_assessment(session, a: Assessment, company_key: str) -> Assessment | None:
    """The assessment (same methodology) that graded this company last before ``a``: by the day
    each speaks for (its as-of date, else the day it was made), then by id."""
    q = (
        select(Assessment)
        .join(CompanyRun, CompanyRun.assessment_id == Assessment.id)
        .where(CompanyRun.company_key == company_key, Assessment.id != a.id, Assessment.methodology == a.methodology)
    )
    here = (assessment_day(a), a.id)
    earlier = [x for x in session.scalars(q) if (assessment_day(x), x.id) < here]
    return max(earlier, key=lambda x: (assessment_day(x), x.id), default=None)


def label(a: Assessment) -> str:
    """How an assessment is named in RDR's Index / PrevIndex columns: its as-of date, else its edition."""
    return a.as_of.isoformat() if a.as_of is not None else (a.index or f"#{a.id}")


# -- moves -----------------------------------------------------------------------------------------------


def credit_label(result: str, reversed_scoring: bool = False) -> str:
    """RDR's words for a result: full credit, partial credit, no credit, no disclosure found."""
    if result == "no disclosure found":
        return "no disclosure found"
    if result == "NA":
        return "not applicable"
    points = element_score(result, reversed_scoring)
    return {100: "full credit", 50: "partial credit", 0: "no credit"}.get(int(points) if points is not None else -1, result)


@dataclass
class Move:
    company: str
    level: str
    element: str
    element_label: str
    indicator: str
    before: str | None  # None: not assessed in the earlier assessment
    after: str | None
    direction: str  # improved | declined | changed | same | new | gone
    before_versions: list[dict] = field(default_factory=list)  # documents the earlier answer cites
    after_versions: list[dict] = field(default_factory=list)
    diff: list[dict] = field(default_factory=list)  # passage-level diff entries behind the move
    comment: str = ""
    reviewed: tuple[bool, bool] = (False, False)

    @property
    def moved(self) -> bool:
        return self.direction in ("improved", "declined", "changed")

    def as_dict(self) -> dict:
        return {
            "company": self.company, "level": self.level, "element": self.element, "label": self.element_label,
            "indicator": self.indicator, "before": self.before, "after": self.after, "direction": self.direction,
            "before_versions": self.before_versions, "after_versions": self.after_versions, "diff": self.diff,
            "comment": self.comment, "reviewed": {"before": self.reviewed[0], "after": self.reviewed[1]},
        }


@dataclass
class Comparison:
    a: dict  # {"id", "index", "as_of", "label", "methodology", "model"}
    b: dict
    items: list[Move]

    @property
    def moved(self) -> list[Move]:
        return [m for m in self.items if m.moved]

    def as_dict(self, moved_only: bool = True) -> dict:
        items = self.moved if moved_only else self.items
        return {"from": self.a, "to": self.b, "moved": len(self.moved), "items": [m.as_dict() for m in items]}


def _info(a: Assessment) -> dict:
    return {
        "id": a.id, "index": a.index, "as_of": a.as_of.isoformat() if a.as_of else None, "label": label(a),
        "methodology": a.methodology, "model": a.model_version,
        "created_at": a.created_at.isoformat() if a.created_at else None,
    }


def _direction(before: str, after: str, rev: bool) -> str:
    if before == after:
        return "same"
    s0, s1 = element_score(before, rev), element_score(after, rev)
    if s0 is None or s1 is None or s0 == s1:
        return "changed"
    return "improved" if s1 > s0 else "declined"


def _evidence(row: dict) -> list[dict]:
    try:
        return json.loads(row.get("Evidence") or "[]")
    except json.JSONDecodeError:
        return []


def _cited_versions(items: list[dict], side: Side) -> list[dict]:
    out, seen = [], set()
    for e in items:
        d = side.docs.get(e.get("path", ""))
        if d is None or d.key in seen:
            continue
        seen.add(d.key)
        out.append({"document": d.key, "title": d.title, "version": d.seq, "date": d.when.isoformat()})
    return out


class _Diffs:
    """Passage diffs between two versions, computed once per pair."""

    def __init__(self, session):
        self.session = session
        self.cache: dict[tuple[int, int], list] = {}

    def entries(self, old_id: int, new_id: int) -> list:
        from ..corpus.versions import diff_versions

        key = (old_id, new_id)
        if key not in self.cache:
            old, new = self.session.get(Version, old_id), self.session.get(Version, new_id)
            self.cache[key] = [e for e in diff_versions(old, new).entries if e.status != "unchanged"]
        return self.cache[key]


def _overlap(entry_text: str, item_text: str) -> int:
    """How much of a cited text a diff entry's passage covers (0: unrelated). A passage inside a
    cited list counts when it is not a mere fragment (a heading, a label)."""
    se, si = substance(entry_text), substance(item_text)
    if not se or not si:
        return 0
    if si in se:
        return len(si)
    if se in si and len(se) >= min(40, len(si)):
        return len(se)
    return 0


def _diff_for(items: list[dict], side: str, old: Side, new: Side, diffs: _Diffs) -> list[dict]:
    """The diff entries behind passages that one side holds and the other does not."""
    out = []
    for e in items:
        key = e.get("path", "")
        o, n = old.docs.get(key), new.docs.get(key)
        base = {"document": key, "title": (n or o).title if (n or o) else key,
                "from": {"version": o.seq, "date": o.when.isoformat()} if o else None,
                "to": {"version": n.seq, "date": n.when.isoformat()} if n else None}
        base["side"] = side
        if o is None or n is None:
            out.append({**base, "status": "added" if o is None else "removed",
                        "old": e.get("text") if side == "old" else None, "new": e.get("text") if side == "new" else None, "inline": []})
            continue
        scored = []
        for entry in diffs.entries(o.version_id, n.version_id):
            text = entry.old if side == "old" else entry.new
            size = _overlap(text.text, e.get("text", "")) if text is not None else 0
            if size:
                scored.append((size, entry))
        scored.sort(key=lambda x: -x[0])
        found = [
            {**base, "status": entry.status, "old": entry.old.text if entry.old else None,
             "new": entry.new.text if entry.new else None, "inline": [[op, t] for op, t in entry.inline]}
            for _, entry in scored[:3]
        ]
        if not found:  # a list cited whole, or text that moved across passages: show the cited text
            found.append({**base, "status": "removed" if side == "old" else "added",
                          "old": e.get("text") if side == "old" else None, "new": e.get("text") if side == "new" else None, "inline": []})
        out.extend(found)
    # one entry per passage diff
    unique, seen = [], set()
    for d in out:
        k = (d["document"], d["status"], substance(d["old"] or ""), substance(d["new"] or ""))
        if k not in seen:
            seen.add(k)
            unique.append(d)
    return unique


def excerpt(entry: dict, n: int = 300) -> str:
    """A diff entry as one line of text: ``[-removed-]{+added+}`` inside a changed passage."""
    def cut(t: str) -> str:
        t = " ".join(plain(t).split())
        return t if len(t) <= n else t[: n - 1] + "…"

    if entry["status"] == "changed" and entry.get("inline"):
        parts = []
        for op, t in entry["inline"]:
            core = plain(t)
            if not core:
                parts.append(" " if t[:1].isspace() or t[-1:].isspace() else "")
                continue
            lead, trail = (" " if t[:1].isspace() else ""), (" " if t[-1:].isspace() else "")
            parts.append(lead + (f"[-{core}-]" if op < 0 else f"{{+{core}+}}" if op > 0 else core) + trail)
        body = " ".join("".join(parts).split())
        if len(body) > 2 * n:
            # keep the neighbourhood of the first change
            i = max(0, min(p for p in (body.find("[-"), body.find("{+")) if p >= 0) - 80)
            body = ("…" if i else "") + body[i : i + 2 * n] + "…"
        return f"{entry['title']}: changed: {body}"
    if entry["status"] == "added":
        return f"{entry['title']}: added: {cut(entry.get('new') or '')}"
    return f"{entry['title']}: removed: {cut(entry.get('old') or '')}"


def _when(d: dict) -> str:
    to = d.get("to") or d.get("from") or {}
    return f"the {to.get('date')} update of the {d['title']} (version {to.get('version')})" if to else f"a change to the {d['title']}"


def comment_for(m: Move, rev: bool) -> str:
    """RDR's year-on-year sentence, generated from the move and its diff."""
    if m.direction == "same":
        return "No change."
    if m.direction == "new":
        return "Not applicable: this element was not assessed at this level in the earlier assessment."
    if m.direction == "gone":
        return "Not applicable: this element is not assessed at this level in the later assessment."
    b, a = credit_label(m.before or "", rev), credit_label(m.after or "", rev)
    if m.direction == "changed":
        head = f'This is a change to "{m.after}" from "{m.before}", which does not constitute a score change'
    else:
        kind = "an improvement" if m.direction == "improved" else "a decline"
        head = f"This is {kind} to {a} from {b}"
    if m.reviewed[1] and not m.diff:
        return head + ", following an analyst's decision."
    # an improvement is told by what the later answer cites, a decline by what the earlier one cited
    sides = ("new", "old") if m.direction != "declined" else ("old", "new")
    for side in sides:
        d = next((x for x in m.diff if x.get("side") == side), None)
        if d is None:
            continue
        if d["status"] == "added":
            return head + f" after {_when(d)} added: “{_short(d['new'])}”."
        if d["status"] == "removed":
            return head + f" after {_when(d)} removed: “{_short(d.get('old') or '')}”."
        return head + f" after {_when(d)} {_reworded(d)}."
    return head + ", with no change to the passages either answer cites (the grading itself differs: see the models of both assessments)."


def _reworded(d: dict) -> str:
    """What a change inside a passage did, in words: the words added and removed, and where."""
    added = " … ".join(t for t in (" ".join(plain(x).split()) for op, x in d.get("inline") or [] if op > 0) if t)
    removed = " … ".join(t for t in (" ".join(plain(x).split()) for op, x in d.get("inline") or [] if op < 0) if t)
    where = _short(d.get("new") or d.get("old") or "", 90)
    if added and not removed:
        return f"added to “{where}”: “{_short(added, 200)}”"
    if removed and not added:
        return f"removed from “{where}”: “{_short(removed, 200)}”"
    if added and removed:
        return f"changed “{_short(removed, 120)}” to “{_short(added, 120)}” in “{where}”"
    return f"reworded “{where}”"


def _short(text: str, n: int = 240) -> str:
    t = plain(text)
    return t if len(t) <= n else t[: n - 1].rstrip() + "…"


def compare(store: Store, ref_a: str | int, ref_b: str | int, *, companies: list[str] | None = None,
            rows: tuple[list[dict], list[dict]] | None = None) -> Comparison:
    """Every element of the two assessments, moved or not (``Comparison.moved``: the moves).
    ``rows``: both assessments' ``review.results.element_rows`` when the caller has them already."""
    from ..review.results import element_rows

    with store.session() as s:
        a, b = resolve_assessment(s, ref_a), resolve_assessment(s, ref_b)
        info_a, info_b = _info(a), _info(b)
        runs_a = {r.company_key: dict(r.meta or {}).get("versions", {}) for r in a.runs}
        runs_b = {r.company_key: dict(r.meta or {}).get("versions", {}) for r in b.runs}
    if info_a["id"] == info_b["id"]:
        raise CompareError(f"both name assessment {info_a['id']}")
    rows_a, rows_b = rows if rows is not None else (element_rows(store, info_a["id"])[0], element_rows(store, info_b["id"])[0])
    meth_b = methodology_mod.load(info_b["methodology"])
    meth_a = meth_b if info_a["methodology"] == info_b["methodology"] else methodology_mod.load(info_a["methodology"])
    key = lambda r: (r["Company"], r["Service"], r["Element"])  # noqa: E731
    by_a = {key(r): r for r in rows_a}
    items: list[Move] = []
    with store.session() as s:
        diffs = _Diffs(s)
        sides: dict[str, tuple[Side, Side]] = {}
        order = [key(r) for r in rows_b] + [k for k in (key(r) for r in rows_a) if k not in {key(r) for r in rows_b}]
        by_b = {key(r): r for r in rows_b}
        for k in order:
            company, level, element = k
            if companies and company not in companies:
                continue
            ra, rb = by_a.get(k), by_b.get(k)
            meth = meth_b if rb is not None else meth_a
            el = meth.elements.get(element)
            rev = bool(el and el.reversed)
            before = ra["Result"] if ra is not None and ra["Result"] != "NA" else None
            after = rb["Result"] if rb is not None and rb["Result"] != "NA" else None
            if before is None and after is None:
                continue
            if before is None:
                direction = "new"
            elif after is None:
                direction = "gone"
            else:
                direction = _direction(before, after, rev)
            if company not in sides:
                sides[company] = (
                    Side.load(s, {kk: int(v) for kk, v in runs_a.get(company, {}).items()}),
                    Side.load(s, {kk: int(v) for kk, v in runs_b.get(company, {}).items()}),
                )
            old, new = sides[company]
            ev_a = _evidence(ra) if ra else []
            ev_b = _evidence(rb) if rb else []
            m = Move(
                company=company, level=level, element=element, element_label=el.label if el else element,
                indicator=el.indicator if el else "", before=before, after=after, direction=direction,
                reviewed=(bool(ra and ra.get("Reviewed") == "yes"), bool(rb and rb.get("Reviewed") == "yes")),
            )
            if m.moved:
                m.before_versions = _cited_versions(ev_a, old)
                m.after_versions = _cited_versions(ev_b, new)
                removed = [e for e in ev_a[:RESTS_ON] if not new.holds(e.get("path", ""), e.get("text", ""), same_as=old)]
                added = [e for e in ev_b[:RESTS_ON] if not old.holds(e.get("path", ""), e.get("text", ""), same_as=new)]
                m.diff = _diff_for(removed, "old", old, new, diffs) + _diff_for(added, "new", old, new, diffs)
            m.comment = comment_for(m, rev)
            items.append(m)
    return Comparison(info_a, info_b, items)


# -- RDR's year-on-year CSV ------------------------------------------------------------------------------


def _safe(value: Any) -> str:
    """A cell no spreadsheet runs as a formula (``csvsafe``, the rule of every CSV we write)."""
    from ..formats.csvsafe import neutralise

    return neutralise("" if value is None else str(value))


def _versions_cell(vs: list[dict]) -> str:
    return "; ".join(f"{v['title']} v{v['version']} ({v['date']})" for v in vs)


def yoy_rows(cmp: Comparison, *, moved_only: bool = True) -> list[dict]:
    rows = []
    for m in cmp.moved if moved_only else cmp.items:
        rows.append({
            "Index": cmp.b["label"],
            "PrevIndex": cmp.a["label"],
            "CompanySheet": m.company,
            "ElementLabel": m.element_label,
            "Element": m.element,
            "ColumnLabel": m.level,
            "NewElement": "True" if m.direction == "new" and m.before is None and cmp.a["methodology"] != cmp.b["methodology"] else "False",
            "SameAsPrevious": "Yes" if m.direction == "same" else "No" if m.moved else "",
            "YoYComment": m.comment,
            "PreviousResult": m.before or "NA",
            "Result": m.after or "NA",
            "Direction": m.direction,
            "PreviousVersions": _versions_cell(m.before_versions),
            "Versions": _versions_cell(m.after_versions),
            "Diff": " | ".join(excerpt(d) for d in m.diff),
        })
    return rows


def yoy_csv(cmp: Comparison, *, moved_only: bool = True) -> str:
    """RDR's year-on-year CSV (its columns first, ours after), formula-safe."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=[*YOY_COLUMNS, *EXTRA_COLUMNS], lineterminator="\n")
    w.writeheader()
    for r in yoy_rows(cmp, moved_only=moved_only):
        w.writerow({k: _safe(v) for k, v in r.items()})
    return buf.getvalue()

"""Compare two assessments: every element whose answer moved, which way, the document versions on
both sides and the passage-level diff that caused it; written in RDR's year-on-year shape.

    cmp = compare(store, "2020-09-15", "2021-11-01")     # assessment ids or dates
    cmp.moved                                            # the elements that moved
    yoy_csv(cmp)                                         # RDR's year-on-year CSV (+ our columns)

An assessment is named by its id, or by a date: the as-of assessment of that date, else the one whose
graded versions were those in force that day (``timeline.assessments.resolve_assessment``). Two
dates on which the same versions were in force name the same assessment: nothing moved.

The explanation of a move is read off the texts, not off the run that produced it (``explain``):
the passage the move rests on (the first one the answer that gained, or lost, credit cites),
what became of it in the passage diff (``corpus.versions.diff_versions``), and the version that
made that change — or, when that passage did not change the way the move goes, that the move is
the grader's reading (or an analyst's decision), with what changed nearby. ``Move.diff`` lists
that passage's diff first, then the other passages either answer rests on (its first
``regrade.RESTS_ON`` evidence units) that one side holds and the other does not.

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
from typing import Any

from .. import methodology as methodology_mod
from .assessments import AssessmentError, label, previous_assessment, resolve_assessment
from .explain import Texts, because, summary, sentence, turn
from .explain import direction as move_direction
from .regrade import RESTS_ON, Side
from .text import plain, substance
from ..scoring import element_score
from ..store import Store
from ..store.models import Assessment

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
    "resolve_pair",
    "yoy_csv",
]

YOY_COLUMNS = ("Index", "PrevIndex", "CompanySheet", "ElementLabel", "Element", "ColumnLabel", "NewElement", "SameAsPrevious", "YoYComment")
EXTRA_COLUMNS = ("PreviousResult", "Result", "Direction", "PreviousVersions", "Versions", "Diff")


class CompareError(AssessmentError):
    pass


def resolve_pair(session, ref_a: str | int, ref_b: str | int):
    """The two assessments a comparison names (ids or dates); ``CompareError`` when one names none."""
    try:
        return resolve_assessment(session, ref_a), resolve_assessment(session, ref_b)
    except AssessmentError as exc:
        raise CompareError(str(exc)) from None


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
    because: dict = field(default_factory=dict)  # explain.summary: what moved it (the text, or the grader's reading)

    @property
    def moved(self) -> bool:
        return self.direction in ("improved", "declined", "changed")

    def as_dict(self) -> dict:
        return {
            "company": self.company, "level": self.level, "element": self.element, "label": self.element_label,
            "indicator": self.indicator, "before": self.before, "after": self.after, "direction": self.direction,
            "before_versions": self.before_versions, "after_versions": self.after_versions, "diff": self.diff,
            "comment": self.comment, "reviewed": {"before": self.reviewed[0], "after": self.reviewed[1]},
            "because": self.because,
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


class _Between:
    """The assessments graded between two (``assessments.graded_between``) and their answers: the
    two consecutive gradings between which an answer took its later value for good, when grades
    say it more closely than the two ends."""

    def __init__(self, session, a_id: int, b_id: int):
        self.session, self.a_id, self.b_id = session, a_id, b_id
        self._runs: dict[str, tuple[list[tuple[int, dict]], dict]] = {}

    def _of(self, company: str):
        if company not in self._runs:
            from sqlalchemy import select

            from ..store.models import Judgment
            from .assessments import graded_between

            s = self.session
            runs = graded_between(s, s.get(Assessment, self.a_id), s.get(Assessment, self.b_id), company)
            results = {}
            if runs:
                q = select(Judgment.run_id, Judgment.level, Judgment.element, Judgment.result).where(Judgment.run_id.in_([r.id for r in runs]))
                results = {(rid, lv, el): res for rid, lv, el, res in s.execute(q)}
            self._runs[company] = ([(r.id, {k: int(v) for k, v in ((r.meta or {}).get("versions") or {}).items()}) for r in runs], results)
        return self._runs[company]

    def step(self, company: str, level: str, element: str, after: str | None):
        """``None`` when no grading in between says more; else ``(earlier, later)``, each ``None``
        (an end of the comparison) or ``(result, evidence, versions)`` of a grading in between."""
        runs, results = self._of(company)
        if not runs:
            return None
        k = len(runs)
        while k > 0 and results.get((runs[k - 1][0], level, element)) == after:
            k -= 1
        earlier, later = (runs[k - 1] if k > 0 else None), (runs[k] if k < len(runs) else None)
        if earlier is None and later is None:
            return None

        def load(run):
            if run is None:
                return None
            from ..store.models import Judgment

            j = self.session.query(Judgment).filter_by(run_id=run[0], level=level, element=element).first()
            return (j.result, list(j.evidence or []), run[1]) if j is not None else None

        return load(earlier), load(later)


def _unique(entries: list[dict]) -> list[dict]:
    """One entry per passage diff, in order."""
    out, seen = [], set()
    for d in entries:
        k = (d["document"], d["status"], substance(d["old"] or ""), substance(d["new"] or ""))
        if k not in seen:
            seen.add(k)
            out.append(d)
    return out


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


def comment_for(m: Move, rev: bool, why: dict | None = None, models_differ: bool = False) -> str:
    """RDR's year-on-year sentence, generated from the move and why it happened (``explain``)."""
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
    if m.reviewed[1] and (why is None or why["kind"] != "text"):
        return head + ", following an analyst's decision."
    if why is None:
        return head + "."
    out = head + sentence(why)
    if why["kind"] != "text" and models_differ:
        out = out[:-1] + " (the two assessments were graded with different models)."
    return out


def compare(store: Store, ref_a: str | int, ref_b: str | int, *, companies: list[str] | None = None,
            rows: tuple[list[dict], list[dict]] | None = None) -> Comparison:
    """Every element of the two assessments, moved or not (``Comparison.moved``: the moves).
    ``rows``: both assessments' ``review.results.element_rows`` when the caller has them already."""
    from ..review.results import element_rows

    with store.session() as s:
        a, b = resolve_pair(s, ref_a, ref_b)
        info_a, info_b = _info(a), _info(b)
        runs_a = {r.company_key: dict(r.meta or {}).get("versions", {}) for r in a.runs}
        runs_b = {r.company_key: dict(r.meta or {}).get("versions", {}) for r in b.runs}
    if info_a["id"] == info_b["id"]:
        if str(ref_a).strip().isdigit() and str(ref_b).strip().isdigit():
            raise CompareError(f"both name assessment {info_a['id']}")
        # two dates (or a date and its assessment): the same versions were in force, nothing moved
        info_a = {**info_a, "label": str(ref_a).strip() if not str(ref_a).strip().isdigit() else info_a["label"]}
        info_b = {**info_b, "label": str(ref_b).strip() if not str(ref_b).strip().isdigit() else info_b["label"]}
    rows_a, rows_b = rows if rows is not None else (element_rows(store, info_a["id"])[0], element_rows(store, info_b["id"])[0])
    meth_b = methodology_mod.load(info_b["methodology"])
    meth_a = meth_b if info_a["methodology"] == info_b["methodology"] else methodology_mod.load(info_a["methodology"])
    key = lambda r: (r["Company"], r["Service"], r["Element"])  # noqa: E731
    by_a = {key(r): r for r in rows_a}
    items: list[Move] = []
    with store.session() as s:
        texts = Texts(s)
        graded = _Between(s, info_a["id"], info_b["id"])
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
                direction = move_direction(before, after, rev)
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
                # where the answer took its later value for good: between the two ends, or between two
                # gradings in between them (an as-of series, earlier passes of watch)
                b0, e0, o0, b1, e1, n1 = before, ev_a, old, after, ev_b, new
                step = graded.step(company, level, element, after)
                if step is not None:
                    first, last = step
                    if first is not None and first[0] not in (None, "NA"):
                        b0, e0, o0 = first[0], first[1], Side.load(s, first[2])
                    if last is not None:
                        b1, e1, n1 = last[0], last[1], Side.load(s, last[2])
                why = because(texts, before=b0, after=b1, direction=move_direction(b0, b1, rev) if b0 != b1 else direction,
                              old_items=e0, new_items=e1, old=o0, new=n1, reversed_scoring=rev, depth=RESTS_ON)
                m.because = summary(why)
                # the passages behind the move: the one it rests on first, then the others either answer
                # rests on that one side holds and the other does not
                removed = [e for e in ev_a[:RESTS_ON] if not new.holds(e.get("path", ""), e.get("text", ""), same_as=old)]
                added = [e for e in ev_b[:RESTS_ON] if not old.holds(e.get("path", ""), e.get("text", ""), same_as=new)]
                turns = [why["turn"], why["nearby"]] + [turn(texts, e, "old", old, new) for e in removed] + [turn(texts, e, "new", old, new) for e in added]
                m.diff = _unique([d for t in turns if t is not None for d in t["entries"]])
                m.comment = comment_for(m, rev, why, info_a["model"] != info_b["model"])
            else:
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

"""Notice duties over time: which duty moved between two assessments, and since when a duty has
been disclosed ("PIPL 39 cross-border: disclosed since 2021-11-01, passage …").

    moves = compare_duties(store, "2020-09-15", "2021-11-01")     # assessment ids or dates
    lines = since_lines(duty_history(store, [a1, a2, a3]))          # one sentence per duty

Assessments are named as in ``compare`` (an id, or a date: the assessment of the versions in force
then). Both must have graded the duty (``assess --framework``); a duty only one of them graded is
left out. A move cites the passage that earns the later answer (or, for a duty that is no longer
found, the passage that earned the earlier one), with its document and version.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field

from ..store import Store
from .assessments import assessment_day
from .compare import CompareError, _info, resolve_pair

__all__ = ["DUTY_COLUMNS", "DutyMove", "compare_duties", "duties_csv", "duty_history", "since_lines"]

NO_DOCUMENT = "no document"  # as ``evidence.frameworks.grade`` marks a service nothing speaks for
RANK = {"not found": 0, "partly disclosed": 1, "disclosed": 2}
DUTY_COLUMNS = ("Company", "Service", "Framework", "Item", "Article", "PreviousResult", "Result", "Direction", "Document", "Version", "Passage")


@dataclass
class DutyMove:
    company: str
    service: str
    framework: str
    item: str
    article: str
    before: str
    after: str
    direction: str  # improved | declined | same
    passage: dict | None = None  # the cited passage that speaks for the move
    short: str = ""

    @property
    def moved(self) -> bool:
        return self.before != self.after


def _first(row: dict | None) -> dict | None:
    if not row or not row.get("Evidence"):
        return None
    e = row["Evidence"][0]
    return {k: e.get(k) for k in ("path", "version", "start", "end", "text", "language")}


def _short(framework: str, item: str) -> str:
    from ..methodology import frameworks

    try:
        return frameworks.load(framework).item(item).short
    except Exception:  # noqa: BLE001 - a framework file changed since: the ids say enough
        return f"{framework} {item}"


def compare_duties(store: Store, ref_a, ref_b, *, companies: list[str] | None = None) -> dict:
    """``{"a": info, "b": info, "duties": [DutyMove …]}``: every duty both graded, moved or not."""
    from ..review.items import item_rows

    with store.session() as s:
        info_a, info_b = (_info(x) for x in resolve_pair(s, ref_a, ref_b))
    if info_a["id"] == info_b["id"]:
        raise CompareError(f"both name assessment {info_a['id']}")
    key = lambda r: (r["Company"], r["Service"], r["Framework"], r["Item"])  # noqa: E731
    rows_a = {key(r): r for r in item_rows(store, info_a["id"], companies)}
    out = []
    for r in item_rows(store, info_b["id"], companies):
        ra = rows_a.get(key(r))
        if ra is None:
            continue
        d = RANK[r["Result"]] - RANK[ra["Result"]]
        direction = "improved" if d > 0 else "declined" if d < 0 else "same"
        out.append(DutyMove(r["Company"], r["Service"], r["Framework"], r["Item"], r["Article"], ra["Result"], r["Result"], direction,
                            _first(r) if r["Result"] != "not found" else _first(ra), _short(r["Framework"], r["Item"])))
    return {"a": info_a, "b": info_b, "duties": out}


def duties_csv(cmp: dict, *, moved_only: bool = True) -> str:
    """The duty moves as CSV (``DUTY_COLUMNS``; cells neutralised as in every CSV we write)."""
    from ..formats.csvsafe import neutralise_row

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(DUTY_COLUMNS)
    for m in cmp["duties"]:
        if moved_only and not m.moved:
            continue
        p = m.passage or {}
        w.writerow(neutralise_row([m.company, m.service, m.framework, m.item, m.article, m.before, m.after, m.direction,
                                   p.get("path") or "", p.get("version") if p.get("version") is not None else "", p.get("text") or ""]))
    return buf.getvalue()


def as_dicts(cmp: dict, *, moved_only: bool = True) -> list[dict]:
    return [{**asdict(m), "moved": m.moved} for m in cmp["duties"] if m.moved or not moved_only]


@dataclass
class DutyLine:
    company: str
    service: str
    framework: str
    item: str
    short: str
    segments: list = field(default_factory=list)  # [{"from": date, "result", "passage"}], oldest first


def duty_history(store: Store, assessment_ids: list[int]) -> list[DutyLine]:
    """Per company, service and duty: the answer at each of the assessments' dates (oldest first),
    merged into segments of the same answer. Dates when no document spoke for the service are no
    answer: a line starts with the first document in force (later gaps are ``"no document"``)."""
    from ..review.items import item_rows
    from ..store.models import Assessment

    dated = []
    with store.session() as s:
        for aid in assessment_ids:
            a = s.get(Assessment, aid)
            if a is not None:
                dated.append((assessment_day(a), aid))
    lines: dict[tuple, DutyLine] = {}
    for day, aid in sorted(dated):
        for r in item_rows(store, aid):
            k = (r["Company"], r["Service"], r["Framework"], r["Item"])
            # no document in force for the service then: nothing was read, which is not "not found"
            result = NO_DOCUMENT if r.get("Status") == NO_DOCUMENT else r["Result"]
            if result == NO_DOCUMENT and k not in lines:
                continue  # a duty's line starts with the first document that speaks for its service
            line = lines.setdefault(k, DutyLine(*k, short=_short(r["Framework"], r["Item"])))
            if line.segments and line.segments[-1]["result"] == result:
                continue
            line.segments.append({"from": day.isoformat(), "result": result, "passage": _first(r) if result not in ("not found", NO_DOCUMENT) else None})
    return list(lines.values())


def since_lines(history: list[DutyLine], *, passage_chars: int = 160) -> list[str]:
    """One sentence per duty: "PIPL 39 cross-border (Tencent · WeChat): disclosed since 2021-11-01,
    passage “…” (document, version n)"; "not found" where it never was; earlier answers named."""
    out = []
    for line in history:
        last = line.segments[-1]
        where = f"{line.company} · {line.service}"
        text = f"{line.short} ({where}): {last['result']} since {last['from']}"
        if len(line.segments) > 1:
            text += " (before: " + ", ".join(f"{s['result']} from {s['from']}" for s in line.segments[:-1]) + ")"
        p = last.get("passage")
        if p and p.get("text"):
            snippet = " ".join(str(p["text"]).split())
            snippet = snippet[:passage_chars] + ("…" if len(snippet) > passage_chars else "")
            text += f", passage “{snippet}” ({p.get('path')}, version {p.get('version')})"
        out.append(text)
    return out

"""Grading a company's services on a notice framework's items, citing passages.

For each company × service × item, from the same versions and passages RDR grading reads:

1. **reading**: every window of the service's documents is read by the item's head (its words and
   embedding, ``heads``); the ``candidates`` best windows (distinct units) are also read by the
   passage judge — the English cross-encoder on the item's question and on the questions of the
   RDR elements the item crosswalks to (those readings are shared with RDR grading through the
   judge's cache). A calibrated combination (``reader``) says how likely each window is to carry
   the item;
2. **the rule**: the item is *disclosed* only when a cited window reaches the item's threshold,
   its document is of a kind that can carry the item (a cookie notice names no controller and
   grants no rights), and — where the item's reader asks for it — the two best such windows
   reach the item's presence threshold on average (one stray sentence does not make a duty); the
   window that earns it is cited first. A window read as carrying only
   part of the item (the judge's ``partial`` outweighs ``full``; the English labels' partial
   class) makes it *partly disclosed*. Otherwise the item is *not found* and the closest window
   is cited, with why it was not enough.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..citing import evidence_items
from ..passages import CompanyPassages
from .reader import ItemReader
from .windows import CompanyWindows, company_windows

RESULTS = ("disclosed", "partly disclosed", "not found")
NO_DOCUMENT = "no document"


@dataclass
class ItemJudgment:
    framework: str
    item: str
    article: str
    level: str  # the service (or Group for a company without services)
    result: str
    confidence: float | None
    evidence: list[dict] = field(default_factory=list)  # first: the passage that earns it (or the closest)
    why: list[str] = field(default_factory=list)
    status: str | None = None
    probability: float | None = None  # how likely the first cited window carries the item

    @property
    def earned(self) -> bool:
        return self.result in ("disclosed", "partly disclosed")


def company_levels(company, cp: CompanyPassages) -> list[str]:
    """The levels framework items are answered at: each service (Group when there is none)."""
    services = [s.id for s in getattr(company, "services", [])]
    return services or ["Group"]


def grade_items(
    frameworks: Sequence,
    company,
    cp: CompanyPassages,
    reader: ItemReader,
    *,
    windows: CompanyWindows | None = None,
    embed: Callable | None = None,
    levels: Sequence[str] | None = None,
) -> list[ItemJudgment]:
    """Judgments for every framework item at every service of ``company``."""
    out: list[ItemJudgment] = []
    if windows is None:
        windows = company_windows(cp, embed)
    _, members = cp.units()
    unit_row = np.array([m[0] for m in members], dtype=np.int64)
    levels = list(levels) if levels is not None else company_levels(company, cp)
    for fw in frameworks:
        scores = reader.read(fw, cp, windows)  # (W, I) probabilities, judged where it matters
        for level in levels:
            in_level = np.array([cp.rows[int(unit_row[u])].speaks_for(level) for u in windows.unit], dtype=bool) if len(windows) else np.zeros(0, bool)
            for j, item in enumerate(fw.items.values()):
                out.append(_judge(fw, item, j, level, cp, windows, scores, in_level, reader))
    return out


def _cite(cp: CompanyPassages, windows: CompanyWindows, picks: list[int], probs: list[float]) -> list[dict]:
    if not picks:
        return []
    _, members = cp.units()
    items = evidence_items(cp, np.array([members[int(windows.unit[w])][0] for w in picks]), np.array(probs))
    for item, w, p in zip(items, picks, probs):
        item["support"] = round(float(p), 3)
        item["window"] = [int(windows.span[w][0]), int(windows.span[w][1])]
        item["language"] = str(windows.language[w])
    return items


def pct(x: float) -> str:
    """A share as people read it; near 100 % with a decimal (readers' thresholds sit there)."""
    return f"{x:.1%}" if 0.95 <= x < 0.9995 else f"{x:.0%}"


def _judge(fw, item, j: int, level: str, cp, windows, scores, in_level, reader) -> ItemJudgment:
    j_ = ItemJudgment(fw.id, item.id, item.article, level, "not found", None)
    idx = np.flatnonzero(in_level)
    if len(idx) == 0:
        j_.status = NO_DOCUMENT
        j_.why = ["No document speaks for this service: nothing was read."]
        return j_
    idx = idx[scores.judged[idx, j]]  # only what the reader read can be cited
    if len(idx) == 0:
        j_.why = ["No passage at this level could be read for this item (no reader for its language)."]
        return j_
    p = scores.prob[idx, j]
    order = idx[np.argsort(-p, kind="stable")]
    # one window per unit, best first
    picks: list[int] = []
    seen: set[int] = set()
    for w in order:
        u = int(windows.unit[w])
        if u not in seen:
            seen.add(u)
            picks.append(int(w))
        if len(picks) == 3:
            break
    # the two best windows that may earn: read by the judge (all of ``order`` is), in a document of
    # a kind that can carry the item (windows, not units: two sentences of one paragraph count twice,
    # as the thresholds were chosen)
    eligible: list[int] = []
    for w in order:
        if reader.in_scope(fw, item, cp, windows, int(w)):
            eligible.append(int(w))
            if len(eligible) == 2:
                break
    best = eligible[0] if eligible else None
    lang = windows.language[best] if best is not None else (windows.language[picks[0]] if picks else "en")
    threshold = reader.threshold(fw, item, lang)
    presence = reader.presence(fw, item, lang)
    top_p = float(scores.prob[best, j]) if best is not None else 0.0
    two = (top_p + float(scores.prob[eligible[1], j])) / 2 if len(eligible) > 1 else None
    said_enough = presence is None or (two is not None and two >= presence)
    if best is not None and top_p >= threshold and said_enough:
        partial = scores.partial[best, j]
        j_.result = "partly disclosed" if partial else "disclosed"
        cited = [best] + [w for w in picks if w != best]
        j_.evidence = _cite(cp, windows, cited, [float(scores.prob[w, j]) for w in cited])
        j_.probability = top_p
        j_.confidence = round(top_p, 4)
        where = j_.evidence[0]["path"]
        reading = f"{pct(top_p)}; needs {pct(min(threshold, 1.0))}" + (
            f"; with the next closest passage {pct(two)} on average, needs {pct(presence)}" if presence is not None else "")
        j_.why = [f"Earned by the first cited passage, {where}: read as carrying {item.short} ({reading})."]
        if partial:
            j_.why.append(f"Partly: {item.criteria['partly disclosed']}")
        return j_
    j_.evidence = _cite(cp, windows, picks, [float(scores.prob[w, j]) for w in picks])
    top = picks[0] if picks else None
    j_.probability = float(scores.prob[top, j]) if top is not None else None
    j_.confidence = round(1.0 - float(scores.prob[top, j]), 4) if top is not None else None
    if top is None:
        j_.why = ["No passage at this level to read."]
    elif top not in eligible:
        j_.why = [f"The closest passage ({windows.text[top][:80]}…) is in a document that cannot carry this duty "
                  f"({reader.kind_of(cp, windows, top)}), and no other passage reads as carrying it."]
    elif not np.isfinite(threshold):
        j_.why = [f"No reader of this duty in this language was trained (no labelled {lang} passage carries it): "
                  f"it cannot be earned here. The closest passage is cited."]
    elif top_p >= threshold:
        second = f"the next one at {pct(float(scores.prob[eligible[1], j]))}" if len(eligible) > 1 else "no other passage"
        j_.why = [f"Only one passage reads as carrying {item.short} ({pct(top_p)}), and {second}: a duty is "
                  f"disclosed when the two closest passages together reach {pct(presence)} on average. {item.criteria['not found']}"]
    else:
        need = max(threshold, presence if presence is not None else threshold)  # the best window must reach both
        j_.why = [f"No passage reads as carrying {item.short}: the closest is read at {pct(top_p)}, "
                  f"below the {pct(need)} it needs. {item.criteria['not found']}"]
    return j_


__all__ = ["ItemJudgment", "RESULTS", "grade_items", "company_levels"]

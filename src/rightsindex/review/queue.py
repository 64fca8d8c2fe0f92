"""What needs an analyst's review, and in which order: the one place that decides it.

A judgment *needs review* when

- its result is not N/A,
- no analyst has decided it: there is no final-step decision, or the final decision is flagged
  "needs re-review" because a newer document version changed the passage it rests on, and
- the automated grade is doubtful: it carries a status (``probabilities["status"]`` of the stored
  judgment, e.g. "no readable document"; or ``REREVIEW`` for a flagged decision), it has no
  confidence, or its confidence is below ``REVIEW_BELOW``.

The review queue lists those judgments least confident first (a missing confidence counts as 0;
on equal confidence a judgment with a status comes first, then methodology order). The rule reads
only the stored judgment (result, confidence, probabilities) and the analysts' final decision,
never the grader's internals; ``review.results.element_rows`` writes it as the ``NeedsReview`` column
of ``element-scores.csv``, and the web app and the API list what that column says.

    needs_review("yes", 0.52, None, reviewed=False)   # True: below REVIEW_BELOW
    needs_review("yes", 0.52, None, reviewed=True)    # False: an analyst decided it
    needs_review("NA", None, None, reviewed=False)    # False: not applicable
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from typing import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import Assessment, CompanyRun, Judgment, ReviewDecision

__all__ = [
    "REREVIEW",
    "REVIEW_BELOW",
    "QueueItem",
    "judgment_status",
    "judgment_statuses",
    "needs_review",
    "queue",
    "row_review",
    "select_items",
    "sort_key",
    "statuses",
    "uncertainty",
]

# A grade whose confidence is below this goes to the review queue. One constant, chosen on the error
# anatomy (``benchmarks/error_anatomy.py``: the RDR 2020 pack, company-split) as the highest that
# flags at most 30 % of answers: 0.54 flags 28.8 % of the pack's rows, and replacing them by RDR's
# answers lifts agreement from 0.696 to 0.836 (0.7 flagged 51 %).
REVIEW_BELOW = 0.54

# The status of a final decision flagged "needs re-review" (review.flag_stale_decisions).
REREVIEW = "needs re-review"
# Why an item without a status is in the queue.
LOW_CONFIDENCE = "low confidence"
NO_CONFIDENCE = "no confidence"

Key = tuple[str, str, str]  # (company key, level, element)


def needs_review(result: str | None, confidence: float | None, status: str | None = None, reviewed: bool = False) -> bool:
    """Whether an analyst should look at this grade (see the module's docstring for the rule)."""
    if result in (None, "NA") or reviewed:
        return False
    return bool(status) or confidence is None or _nan(confidence) or confidence < REVIEW_BELOW


def uncertainty(confidence: float | None) -> float:
    """1 − confidence; 1 where there is none."""
    if confidence is None or _nan(confidence):
        return 1.0
    return 1.0 - max(0.0, min(1.0, float(confidence)))


def sort_key(result: str | None, confidence: float | None, status: str | None = None, reviewed: bool = False) -> tuple:
    """Order for "most doubtful first": the grades that need review (least confident first, a
    status before none on equal confidence), then the other automated grades (least confident
    first), then the analysts' decisions, then N/A. Sort stably to keep methodology order on ties."""
    if result in (None, "NA"):
        group = 3
    elif needs_review(result, confidence, status, reviewed):
        group = 0
    elif reviewed:
        group = 2
    else:
        group = 1
    return (group, -uncertainty(confidence), 0 if status else 1)


def judgment_status(probabilities: Mapping | None) -> str | None:
    """The status a grader stored with a judgment (``probabilities["status"]``), if any."""
    if not isinstance(probabilities, Mapping):
        return None
    value = probabilities.get("status")
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def row_review(result: str, confidence: float | None, probabilities: Mapping | None, decision: Mapping | None) -> tuple[str | None, bool]:
    """(status, needs review) of one element result: ``decision`` is the analysts' final decision
    as ``review.final_decisions`` gives it (``None`` when there is none); ``result`` and
    ``confidence`` are what the row shows (the decision's result, no confidence, when decided)."""
    stale = decision is not None and bool(decision.get("needs_rereview"))
    status = REREVIEW if stale else judgment_status(probabilities)
    return status, needs_review(result, confidence, status, reviewed=decision is not None and not stale)


def statuses(session: Session, assessment_id: int, graded: Mapping[Key, str] | None = None) -> dict[Key, str]:
    """Status per (company, level, element) of an assessment: the graders' stored statuses
    (``graded``, when the caller has them already: they never change once a company's run is
    stored), and ``REREVIEW`` where the final decision is flagged. Elements without a status are
    absent."""
    out = dict(graded if graded is not None else judgment_statuses(session, assessment_id))
    methodology = session.scalar(select(Assessment.methodology).where(Assessment.id == assessment_id))
    if methodology is not None:
        flagged = select(ReviewDecision.company_key, ReviewDecision.level, ReviewDecision.element).where(
            ReviewDecision.methodology == methodology,
            ReviewDecision.step == "final",
            ReviewDecision.needs_rereview.is_(True),
            ReviewDecision.company_key.in_(select(CompanyRun.company_key).where(CompanyRun.assessment_id == assessment_id)),
        )
        for company, level, element in session.execute(flagged):
            out[(company, level, element)] = REREVIEW
    return out


def judgment_statuses(session: Session, assessment_id: int) -> dict[Key, str]:
    """The statuses graders stored with an assessment's judgments (``probabilities["status"]``)."""
    status_col = Judgment.probabilities["status"].as_string()
    q = (
        select(CompanyRun.company_key, Judgment.level, Judgment.element, status_col)
        .join(CompanyRun, CompanyRun.id == Judgment.run_id)
        .where(CompanyRun.assessment_id == assessment_id, status_col.is_not(None), status_col != "")
    )
    out: dict[Key, str] = {}
    for company, level, element, status in session.execute(q):
        text = str(status).strip()
        if text and text.lower() not in ("null", "false"):
            out[(company, level, element)] = text
    return out


# -- the queue over element-results rows ------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    """One grade awaiting review, as the queue page and the API show it."""

    company: str
    company_label: str
    level: str
    element: str
    indicator: str
    category: str
    result: str
    confidence: float | None
    status: str | None
    reason: str  # the status, or "low confidence" / "no confidence"
    reviewed: bool  # a final decision exists (flagged for re-review when it is in the queue)
    row: Mapping = field(repr=False, compare=False)  # the element-results row

    @property
    def evidence(self) -> dict | None:
        """The first cited passage (path, version, text), read from the row when asked for."""
        return first_evidence(self.row)

    def as_dict(self) -> dict:
        return {**{f.name: getattr(self, f.name) for f in fields(self) if f.name != "row"}, "evidence": self.evidence}


def row_confidence(row: Mapping) -> float | None:
    """The ``Confidence`` cell of an element-results row as a number (``None`` for NA)."""
    raw = row.get("Confidence")
    if raw in (None, "", "NA"):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return None if _nan(value) else value


def row_sort_key(row: Mapping, status: str | None) -> tuple:
    return sort_key(row.get("Result"), row_confidence(row), status, row.get("Reviewed") == "yes")


def first_evidence(row: Mapping) -> dict | None:
    raw = row.get("Evidence") or "[]"
    try:
        items = json.loads(raw) if isinstance(raw, str) else list(raw)
    except (TypeError, ValueError):
        return None
    if not items or not isinstance(items[0], Mapping):
        return None
    e = items[0]
    return {k: e.get(k) for k in ("path", "version", "passage_id", "text") if k in e}


def reason(status: str | None, confidence: float | None) -> str:
    if status:
        return status
    return NO_CONFIDENCE if confidence is None else LOW_CONFIDENCE


def queue(
    rows: Iterable[Mapping],
    status_of: Mapping[Key, str],
    *,
    company: str | None = None,
    category: str | None = None,
    level: str | None = None,
    status: str | None = None,
) -> list[QueueItem]:
    """The rows (``review.results.element_rows``'s) whose ``NeedsReview`` is yes, least confident first,
    filtered by company key, category (G, F or P), level and status (a status, or ``reason``'s
    "low confidence" / "no confidence")."""
    picked = []
    for i, row in enumerate(rows):
        if row.get("NeedsReview") != "yes":
            continue
        st = status_of.get((row["Company"], row["Service"], row["Element"]))
        picked.append((row_sort_key(row, st), i, row, st))
    picked.sort(key=lambda t: (t[0], t[1]))
    items = []
    for _key, _i, row, st in picked:
        conf = row_confidence(row)
        items.append(QueueItem(
            company=row["Company"], company_label=row.get("CompanyLabel") or row["Company"], level=row["Service"],
            element=row["Element"], indicator=row.get("Indicator", ""), category=row.get("Category", ""), result=row["Result"],
            confidence=conf, status=st, reason=reason(st, conf), reviewed=row.get("Reviewed") == "yes", row=row,
        ))
    return select_items(items, company=company, category=category, level=level, status=status)


def select_items(items: Iterable[QueueItem], *, company: str | None = None, category: str | None = None,
                 level: str | None = None, status: str | None = None) -> list[QueueItem]:
    """The items of a queue that match the filters, in the queue's order."""
    return [
        it for it in items
        if (not company or it.company == company) and (not category or it.category == category)
        and (not level or it.level == level) and (not status or it.reason == status)
    ]


def _nan(value) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True

"""A judgment: the answer for one element at one level, with its confidence, its evidence (the
cited passages, the earning one first) and how it relates to an earlier answer."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["CREDIT", "NA", "NDF", "Judgment", "credit_class"]


@dataclass
class Judgment:
    level: str
    service_kind: str | None
    element: str
    result: str
    confidence: float | None = None
    probabilities: dict = field(default_factory=dict)  # per result; "why": explanation; "status"
    evidence: list[dict] = field(default_factory=list)
    prior_result: str | None = None
    prior_relation: str | None = None  # confirmed | changed | carried
    features: np.ndarray | None = None
    comment: str = ""


NA = "NA"


NDF = "no disclosure found"


CREDIT = ("yes", "partial", "no")


def credit_class(result: str, reversed_scoring: bool = False) -> str:
    """full / partial / none, as RDR credits a result (reversed elements score ``no`` as full)."""
    if result == "partial":
        return "partial"
    if result == "yes":
        return "none" if reversed_scoring else "full"
    if result == "no":
        return "full" if reversed_scoring else "none"
    return "none"

"""Every document gets a time budget for turning its bytes into passages.

Extraction and segmentation check the budget between steps of bounded size (a chunk of sentences,
a passage, a page); a document over budget raises :class:`BudgetExceeded`, a named
:class:`~rightsindex.corpus.extract.ExtractError`, so it is reported like any other unreadable
document and the rest of the manifest is ingested. Steps that cannot be interrupted (an HTML parse)
are kept linear by bounding their input (see ``html_depth``), so the check comes soon enough.

    with document_budget(label="docs/a.html"):      # RIGHTSINDEX_DOCUMENT_SECONDS, default 30 s
        text = extract(data).text
        passages = segment(text)

Outside a ``document_budget`` block, :func:`check` does nothing: library callers that segment a
string themselves are not limited.

The budget lives in a context variable, so threads and asyncio tasks each have their own.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator

from .result import ExtractError

__all__ = ["BudgetExceeded", "DEFAULT_SECONDS", "MAX_PASSAGES", "TooManyPassages", "check", "default_seconds", "document_budget", "extend", "remaining"]

from ..limits import DOCUMENT_SECONDS_ENV as ENV
from ..limits import MAX_DOCUMENT_SECONDS as DEFAULT_SECONDS
from ..limits import MAX_PASSAGES
from ..limits import document_seconds as default_seconds


class BudgetExceeded(ExtractError):
    """A document took longer than its time budget to extract and segment."""


# Storing a passage costs far more than finding it (a database row each): a document cut into more
# passages than ``limits.MAX_PASSAGES`` is refused. Real policies have hundreds; a
# 5-million-character document of ordinary paragraphs has about 20,000.


class TooManyPassages(ExtractError):
    """A document cut into more than ``MAX_PASSAGES`` passages."""


@dataclass
class _Budget:
    seconds: float
    deadline: float
    started: float


_current: ContextVar[_Budget | None] = ContextVar("rightsindex_document_budget", default=None)


@contextmanager
def document_budget(seconds: float | None = None) -> Iterator[None]:
    """Limit the work inside the block to ``seconds`` (default: :func:`default_seconds`).

    A nested block keeps the outer (earlier) deadline when that comes first.
    """
    seconds = default_seconds() if seconds is None else float(seconds)
    now = time.monotonic()
    outer = _current.get()
    deadline = now + seconds
    if outer is not None and outer.deadline < deadline:
        budget = outer
    else:
        budget = _Budget(seconds=seconds, deadline=deadline, started=now)
    token = _current.set(budget)
    try:
        yield
    finally:
        _current.reset(token)


def remaining() -> tuple[float, float] | None:
    """(seconds left, seconds in all) of the current document's budget; None outside a budget."""
    budget = _current.get()
    return None if budget is None else (budget.deadline - time.monotonic(), budget.seconds)


def extend(seconds: float) -> None:
    """Move the current document's deadline ``seconds`` later: time spent on something that is not
    the document's (starting a parser process) does not count against it."""
    budget = _current.get()
    if budget is not None and seconds > 0:
        budget.deadline += seconds
        budget.started += seconds


def check(step: str) -> None:
    """Raise :class:`BudgetExceeded` when the current document is over its budget; ``step`` says
    where the time went ("sentence splitting", "HTML parsing", …)."""
    budget = _current.get()
    if budget is None:
        return
    now = time.monotonic()
    if now > budget.deadline:
        raise BudgetExceeded(
            f"document over its time budget: more than {budget.seconds:g} s to extract and segment "
            f"(stopped during {step} after {now - budget.started:.1f} s; raise {ENV} to allow more)"
        )

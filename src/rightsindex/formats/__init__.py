"""Formats: RDR's element-results CSV in and out, CSV cell neutralisation, atomic file writes.

Grades and stores nothing. Modules:

- ``elementcsv`` — RDR's public element CSV: validated reading (``read``), writing
  (``format_rows``), the contract's columns and ours (``COLUMNS``, ``EXTRA_COLUMNS``)
- ``csvsafe``    — cells a spreadsheet would run as a formula are neutralised in every CSV we write
- ``files``      — ``atomic_write_text``: readers see the old file or the new one, never a part
- ``visible``    — control, bidirectional and zero-width characters shown as ``[U+XXXX]`` wherever
  people read untrusted text (CSV, report, site, web, feed, terminal)
"""

from .csvsafe import neutralise, neutralise_row, restore, restore_row
from .elementcsv import COLUMNS, EXTRA_COLUMNS, ElementCSVError, ReadResult, format_rows, read
from .files import atomic_write_text, umask
from .visible import reveal, reveal_terminal, revealed

__all__ = [
    "COLUMNS",
    "EXTRA_COLUMNS",
    "ElementCSVError",
    "ReadResult",
    "atomic_write_text",
    "format_rows",
    "neutralise",
    "neutralise_row",
    "read",
    "restore",
    "restore_row",
    "reveal",
    "reveal_terminal",
    "revealed",
    "umask",
]

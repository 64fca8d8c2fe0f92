"""Characters that hide, reorder or take over what a reader sees, shown as ``[U+XXXX]`` wherever
people read untrusted text: CSV cells, the report, the static site, the web pages, the Atom feed
and the terminal.

Company names, document titles, policy text and analysts' comments come from elsewhere. A
right-to-left override (U+202E) makes ``Acme`` read ``emcA`` and can reverse a quoted passage; a
zero-width character makes two different ids look the same; an ESC sequence clears or recolours a
terminal; a C0 control character is not allowed in XML at all (it broke the Atom feed). Such
characters are not dropped silently (the text would then read as something it is not) but
marked, so a reader sees that the source holds them:

- C0 and C1 control characters (tab and line feed kept; carriage return kept except on a terminal),
  DEL;
- bidirectional embeddings, overrides, isolates and marks (U+202A–U+202E, U+2066–U+2069, U+200E,
  U+200F, U+061C);
- zero-width and invisible formatting characters (U+200B–U+200D, U+2060–U+2064, U+FEFF, U+180E);
- non-characters U+FFFE and U+FFFF and lone surrogates (not valid in XML or UTF-8).

    reveal("Ac\\u202eme")      # 'Ac[U+202E]me'
    reveal_terminal("\\x1b[2J") # '[U+001B][2J'
"""

from __future__ import annotations

import re

__all__ = ["reveal", "reveal_terminal", "revealed"]

_HIDDEN = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 (but tab, line feed, carriage return), DEL, C1
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks, embeddings, overrides, isolates
    "\u180e\u200b-\u200d\u2060-\u2064\ufeff"  # zero-width and invisible formatting
    "\ufffe\uffff\ud800-\udfff"  # non-characters, lone surrogates
)
_PATTERN = re.compile(f"[{_HIDDEN}]")
_TERMINAL = re.compile(f"[{_HIDDEN}\r]")


def _mark(m: re.Match) -> str:
    return f"[U+{ord(m.group()):04X}]"


def reveal(text: str) -> str:
    """``text`` with every hiding, reordering or control character shown as ``[U+XXXX]``."""
    return _PATTERN.sub(_mark, text) if isinstance(text, str) else text


def reveal_terminal(text: str) -> str:
    """:func:`reveal` for a terminal: a carriage return is marked too (it would overwrite the line)."""
    return _TERMINAL.sub(_mark, text) if isinstance(text, str) else text


def revealed(value):
    """Jinja2's ``finalize``: every string a template outputs, revealed (markup stays markup)."""
    if isinstance(value, str):
        out = reveal(value)
        if out is not value and hasattr(value, "__html__"):
            return type(value)(out)  # Markup: the marks hold no markup characters
        return out
    return value

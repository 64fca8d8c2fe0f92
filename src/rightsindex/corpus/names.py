"""Ids and names checked where they enter (a manifest, an OTA mapping file, an OTA folder name).

An id is an identity: it names a company, a service or a document in the store, in URLs, file
names, CSV rows and the Atom feed. One with a control character broke the watch feed for good; a
NUL or an id longer than its column crashed PostgreSQL, a lone surrogate SQLite; bidi overrides
and zero-width characters make two different ids read the same. So:

- :func:`check_id` refuses, by name, an id holding a control character (NUL, ESC, …), a lone
  surrogate, a bidi control or another invisible format character (zero-width space or joiner,
  BOM, …), one that is empty or longer than its limit (``MAX_ID_CHARS``, ``MAX_KEY_CHARS``). It
  never changes an id: two ids must not silently become one.
- :func:`clean_text` takes free text (a company name, a document title): tabs and line breaks
  become spaces, bidi controls and zero-width characters are removed (they only mislead where the
  text is shown), and what cannot be stored (NUL and other control characters, lone surrogates,
  more than its limit) is refused by name.
- :func:`check_stored_text` refuses only what a database cannot store (NUL, lone surrogates): for
  metadata kept as given.

Errors are :class:`NameRefused` (a ``ValueError``) with a one-line message that shows the
offending character by its code point (``U+202E``), never the character itself.
"""

from __future__ import annotations

import re
import unicodedata

from .limits import MAX_ID_CHARS

__all__ = ["NameRefused", "check_id", "check_stored_text", "clean_text", "shown", "unsafe_character"]

# bidi embeddings, overrides and isolates, the marks, and the Arabic letter mark
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# invisible characters removed from free text (zero-width joiners stay: scripts need them)
_INVISIBLE = "\u200b\u2060\ufeff\u180e\u2061\u2062\u2063\u2064\u206a\u206b\u206c\u206d\u206e\u206f\u00ad"
_REMOVE = str.maketrans("", "", _BIDI + _INVISIBLE)
_LINE_SPACE = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]+")


class NameRefused(ValueError):
    """An id or a name that cannot be taken; the message says which character or limit."""


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    if "\ud800" <= ch <= "\udfff":
        name = "lone surrogate"
    elif not name and unicodedata.category(ch) == "Cc":
        name = {"\x00": "NUL", "\x1b": "ESC", "\x7f": "DEL"}.get(ch, "control character")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def unsafe_character(value: str, *, allow_format: bool = False) -> str | None:
    """The first character of ``value`` that an id may not hold, described (``U+0000 NUL``), or None.
    ``allow_format``: format characters (bidi controls, zero-width) are not counted."""
    for ch in value:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or (category == "Cf" and not allow_format) or ch in "\u2028\u2029":
            return _describe(ch)
    return None


def check_id(value: str, what: str = "id", *, max_chars: int = MAX_ID_CHARS) -> str:
    """``value`` unchanged when it is a usable id, else :class:`NameRefused` saying why."""
    if not value:
        raise NameRefused(f"{what}: empty")
    if len(value) > max_chars:
        raise NameRefused(f"{what}: longer than {max_chars:,} characters ({len(value):,})")
    bad = unsafe_character(value)
    if bad:
        raise NameRefused(f"{what}: holds {bad}, which an id may not hold (control, invisible or bidi characters)")
    return value


def clean_text(value: str, what: str = "text", *, max_chars: int) -> str:
    """Free text for showing: line breaks and tabs as spaces, bidi controls and zero-width
    characters removed; :class:`NameRefused` for other control characters, lone surrogates, or
    more than ``max_chars`` characters."""
    text = _LINE_SPACE.sub(" ", value).translate(_REMOVE).strip()
    bad = unsafe_character(text, allow_format=True)
    if bad:
        raise NameRefused(f"{what}: holds {bad}, which cannot be stored or shown")
    if len(text) > max_chars:
        raise NameRefused(f"{what}: longer than {max_chars:,} characters ({len(text):,})")
    return text


def check_stored_text(value: str, what: str = "text") -> str:
    """``value`` unchanged unless a database cannot store it (NUL, a lone surrogate)."""
    for ch in value:
        if ch == "\x00" or "\ud800" <= ch <= "\udfff":
            raise NameRefused(f"{what}: holds {_describe(ch)}, which cannot be stored")
    return value


def shown(value: str) -> str:
    """``value`` for a message: control, invisible and bidi characters and lone surrogates written
    as escapes (``\\x07``, ``\\u202e``), so that naming a refused id cannot ring, recolour or
    reorder the reader's terminal."""
    out = []
    for ch in value:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Cf") or ch in "\u2028\u2029":
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)

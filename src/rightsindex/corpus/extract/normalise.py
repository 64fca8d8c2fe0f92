"""One normal form for every extracted text: line breaks, spaces, control and invisible characters."""

from __future__ import annotations

import re
import unicodedata


_NEWLINE_CHARS = "\x0b\x0c\x85\u2028"  # vertical tab, form feed (PDF page breaks), NEL, LINE SEPARATOR
_ODD_SPACES = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_DROPPED = (
    [chr(c) for c in range(0x00, 0x20) if chr(c) not in "\n\t\x0b\x0c"]  # C0 controls (\r is gone already)
    + ["\x7f"]
    + [chr(c) for c in range(0x80, 0xA0) if c != 0x85]  # C1 controls
    + ["\ufeff", "\u200b", "\u2060", "\u00ad", "\u180e", "\ufffe", "\uffff"]  # BOM, zero-width, soft hyphen
)
_NORMALISE_TABLE = str.maketrans(
    {
        **{c: "\n" for c in _NEWLINE_CHARS},
        "\u2029": "\n\n",
        **{c: " " for c in _ODD_SPACES},
        **{c: None for c in _DROPPED},
    }
)
_SURROGATES = re.compile("[\ud800-\udfff]")
_INNER_SPACES = re.compile(r"(?<=[^ \n]) {2,}")
_TRAILING_SPACES = re.compile(r"[ ]+$", re.M)
_MANY_NEWLINES = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """Normalise text the one way every module relies on. Idempotent.

    Unicode NFC; CRLF and CR → LF (also vertical tab, form feed, NEL, U+2028; U+2029 → blank line);
    BOM, NUL and other C0/C1 control characters dropped (except newline and tab), as are zero-width
    spaces, soft hyphens, non-characters and lone surrogates; tabs and non-breaking or other odd
    spaces (U+00A0, U+2000–U+200A, U+3000, …) → one space; runs of spaces inside a line → one space
    (leading indentation is kept); trailing whitespace stripped per line; 3+ newlines → 2; leading and
    trailing blank lines stripped; no trailing newline.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_NORMALISE_TABLE)
    text = _SURROGATES.sub("", text)
    text = _INNER_SPACES.sub(" ", text)
    text = _TRAILING_SPACES.sub("", text)
    text = _MANY_NEWLINES.sub("\n\n", text)
    text = text.strip("\n")
    text = unicodedata.normalize("NFC", text)
    return text

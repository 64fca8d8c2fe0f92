"""Policy text as the timeline compares and quotes it: its *substance* (the words, what a change
must touch to count) and its plain form (for quoting in a sentence)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["plain", "quote", "substance"]

_LINK = re.compile(r"!?\[([^\]\n]{0,500})\]\([^)\s]{0,2000}(?:\s+\"[^\"]{0,200}\")?\)")
_TAG = re.compile(r"<[^<>\n]{0,200}>")
_URL = re.compile(r"https?://\S+")
_NON_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=65536)
def substance(text: str) -> str:
    """The words of a text, case-folded and run together: what a change must touch to count.

    Drops Markdown link targets (keeps the link text), HTML tags, bare URLs, whitespace, markup and
    punctuation; NFKC folds full-width and compatibility forms (works for Chinese, whose
    characters are words here)."""
    t = unicodedata.normalize("NFKC", text or "")
    t = _LINK.sub(r" \1 ", t)
    t = _TAG.sub(" ", t)
    t = _URL.sub(" ", t)
    return _NON_WORD.sub("", t.casefold())


_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|\\(?=[.\-*_#>()\[\]!+`|])")


def plain(text: str) -> str:
    """Policy text for quoting in a sentence: link targets, emphasis marks and tags dropped."""
    t = _LINK.sub(r"\1", text or "")
    t = _TAG.sub(" ", t)
    return " ".join(_EMPHASIS.sub("", t).replace("|", " ").split())


def quote(text: str, n: int = 220) -> str:
    """``text`` in quotation marks, plain, cut at ``n`` characters."""
    t = plain(text)
    return "“" + (t if len(t) <= n else t[: n - 1].rstrip() + "…") + "”"

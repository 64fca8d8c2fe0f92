"""Policy text for reading: Markdown marks dropped, and excerpts cut between words.

Extraction keeps a page's structure as Markdown (links, bold, escapes); people reading a passage in
the web app, the report or the static site should see the words, not ``[Conditions of Use](https://…)``
or ``**``. The result is still plain text (escaped when rendered).
"""

from __future__ import annotations

import re

__all__ = ["display", "excerpt"]

_MD_LINK = re.compile(r"\[([^\]\n]{1,300})\]\((?:[^)\s]{1,20000})\)")
_MD_STRONG = re.compile(r"(?<![\w*])\*\*(?=\S)([^*\n]{1,3000}?)(?<=\S)\*\*(?![\w*])|(?<![\w_])__(?=\S)([^_\n]{1,3000}?)(?<=\S)__(?![\w_])")
# a bold mark left alone where a passage cut a bold span: at the start or end of a line
_MD_STRONG_END = re.compile(r"(?m)^(\*\*|__)(?=\S)|(?<=\S)(\*\*|__)$")
_MD_ESCAPE = re.compile(r"\\(?=[.\-*_#>()\[\]!+`|])")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def display(text: str) -> str:
    """Policy text for reading: Markdown link targets, bold marks and backslash escapes dropped."""
    text = _MD_LINK.sub(r"\1", text or "")
    text = _MD_STRONG.sub(lambda mo: mo.group(1) if mo.group(1) is not None else mo.group(2), text)
    text = _MD_STRONG_END.sub("", text)
    return _MD_ESCAPE.sub("", text)


def excerpt(text: str, limit: int = 700) -> str:
    """At most about ``limit`` characters of ``text`` (as displayed), cut after a sentence or
    between words (Chinese anywhere after punctuation), with "…" when cut."""
    text = display(text).strip()
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    floor = limit * 2 // 3
    cut = max(head.rfind(p, floor) for p in (". ", "。", "；", "; ", "！", "？"))
    if cut >= floor:
        return head[: cut + 1].rstrip() + " …"
    space = head.rfind(" ", floor)
    if space >= floor and not _CJK.search(head[space - 1 : space + 2]):
        return head[:space].rstrip(" ,;:") + " …"
    return head[:limit].rstrip() + "…"

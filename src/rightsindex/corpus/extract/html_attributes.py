"""Bound the attributes of each HTML tag before any parser sees it.

HTML parsers look for a duplicate of every attribute among the tag's earlier attributes: a tag with
n attributes costs them n² steps. A 4.4 MB page with 380,000 attributes on one ``<p>`` kept lexbor
busy for minutes. :func:`cap_attributes` scans the tags once (linear time) and keeps the first
``MAX_HTML_ATTRIBUTES`` attributes of a tag that has more; the tag and its text stay. We never
emit attribute values, so a real page loses nothing (its tags have a handful each).
"""

from __future__ import annotations

import re

from ..limits import MAX_HTML_ATTRIBUTES

__all__ = ["cap_attributes"]

# a start tag; its inside stops at the next < or > so that an unterminated tag cannot make the
# scan quadratic (the same rule as html_depth's scan)
_TAG = re.compile(r"<[A-Za-z][^\s/<>]*([^<>]*)")
_ATTRIBUTE = re.compile(r"""[^\s"'=<>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")


def cap_attributes(html: str, max_attributes: int = MAX_HTML_ATTRIBUTES) -> tuple[str, int]:
    """``(html, dropped)``: the page with each tag's attributes beyond ``max_attributes`` removed,
    and how many were removed. A page within the limit is returned unchanged."""
    parts: list[str] = []
    last = dropped = 0
    shortest = 2 * max_attributes  # an attribute takes at least two characters (a space and a name)
    for m in _TAG.finditer(html):
        start, end = m.span(1)
        if end - start <= shortest:
            continue
        attributes = _ATTRIBUTE.finditer(html, start, end)
        cut = None
        for i, a in enumerate(attributes):
            if i == max_attributes:
                cut = a.start()
                dropped += 1 + sum(1 for _ in attributes)
                break
        if cut is None:
            continue
        tail = html[start:end].rstrip()
        parts.append(html[last:cut])
        parts.append("/" if tail.endswith("/") else "")  # a self-closing tag stays one
        last = end
    if not dropped:
        return html, 0
    parts.append(html[last:])
    return "".join(parts), dropped

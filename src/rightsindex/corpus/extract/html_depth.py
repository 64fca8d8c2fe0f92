"""Bound the nesting of an HTML page before any parser sees it.

HTML parsers do work proportional to the depth of the open-element stack (and the list of open
formatting elements) for every tag: 160,000 unclosed ``<div>`` (800 KB) took lexbor 35 s, 100,000
``<div><span><b>`` 83 s. Browsers cap the tree depth (Chromium at 512) for the same reason.

:func:`cap_nesting` scans the tags once (linear time), keeps an approximate model of what a parser
would have open, and drops the start tags (never the text) that would open an element deeper than
``max_depth``, or a formatting element (``<b>``, ``<span>`` is not one) beyond ``max_formatting``
open at once, together with their end tags. A page within the limits is returned unchanged, so
real policies never lose structure; a hostile one keeps all its text, flattened.
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["MAX_DEPTH", "MAX_FORMATTING", "cap_nesting"]

from ..limits import MAX_HTML_DEPTH as MAX_DEPTH
from ..limits import MAX_HTML_FORMATTING as MAX_FORMATTING

_VOID = frozenset(
    "area base basefont bgsound br col embed frame hr img input keygen link meta param source track wbr".split()
)
_RAW_TEXT = frozenset("script style textarea title xmp iframe noembed noframes noscript".split())
_FORMATTING = frozenset("a b big code em font i nobr s small strike strong tt u".split())
# A start tag of one of these closes an open <p> (HTML's "close a p element"), approximately.
_CLOSES_P = frozenset(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p pre section summary table ul li dd dt".split()
)
# Elements whose start tag closes an open element of the same family (within a few levels).
_SIBLINGS = {
    "li": ("li",),
    "dt": ("dt", "dd"),
    "dd": ("dt", "dd"),
    "option": ("option",),
    "optgroup": ("optgroup", "option"),
    "tr": ("tr", "td", "th"),
    "td": ("td", "th"),
    "th": ("td", "th"),
    "thead": ("thead", "tbody", "tfoot", "tr", "td", "th"),
    "tbody": ("thead", "tbody", "tfoot", "tr", "td", "th"),
    "tfoot": ("thead", "tbody", "tfoot", "tr", "td", "th"),
    "rb": ("rb", "rt", "rp", "rtc"),
    "rt": ("rb", "rt", "rp"),
    "rp": ("rb", "rt", "rp"),
}
_SIBLING_REACH = 8  # how far up the stack an implied end tag looks

# one token: a comment, a doctype/processing instruction, or a tag; the inside of a tag stops at
# the next < or > so that an unterminated tag cannot make the scan quadratic
_TOKEN = re.compile(r"<!--|<[!?][^<>]*>?|<(/?)([A-Za-z][^\s/<>]*)([^<>]*)(>?)")
_COMMENT_END = re.compile(r"--!?>")


def cap_nesting(html: str, max_depth: int = MAX_DEPTH, max_formatting: int = MAX_FORMATTING) -> tuple[str, int]:
    """``(html, dropped)``: the page with tags beyond the limits removed, and how many were removed."""
    if html.count("<") <= max_depth:  # cannot nest deeper than it has tags
        return html, 0
    stack: list[str] = []
    open_count: Counter[str] = Counter()
    formatting = 0  # formatting elements opened and not explicitly closed (a parser reopens them)
    dropped_open: Counter[str] = Counter()
    cuts: list[tuple[int, int]] = []  # spans of the input to leave out
    pos = 0
    n = len(html)
    while pos < n:
        m = _TOKEN.search(html, pos)
        if m is None:
            break
        start, end = m.span()
        tok = m.group(0)
        if tok == "<!--":
            c = _COMMENT_END.search(html, end)
            pos = c.end() if c else n
            continue
        name = m.group(2)
        if name is None:  # <!doctype …>, <?xml …?>, <!…>
            pos = end
            continue
        name = name.lower()
        closing = m.group(1) == "/"
        self_closing = m.group(3).rstrip().endswith("/")
        pos = end
        if closing:
            if dropped_open[name]:
                dropped_open[name] -= 1
                cuts.append((start, end))
                continue
            if name in _FORMATTING and formatting:
                formatting -= 1
            if open_count[name]:
                while stack:
                    top = stack.pop()
                    open_count[top] -= 1
                    if top == name:
                        break
            continue
        if name in _RAW_TEXT and not self_closing:
            # a parser reads these as text up to their end tag: so does the scan
            close = re.compile(rf"</{re.escape(name)}[\s/>]", re.I).search(html, end)
            pos = close.start() if close else n
            continue
        if name in _VOID or self_closing:
            continue
        if name == "p" or name in _CLOSES_P:
            if stack and stack[-1] == "p":
                stack.pop()
                open_count["p"] -= 1
        family = _SIBLINGS.get(name)
        if family:
            for i in range(len(stack) - 1, max(len(stack) - 1 - _SIBLING_REACH, -1), -1):
                if stack[i] in family:
                    for top in stack[i:]:
                        open_count[top] -= 1
                    del stack[i:]
                    break
        if name in ("a", "nobr") and open_count[name]:  # a new <a> closes the open one
            formatting = max(formatting - 1, 0)
        if len(stack) >= max_depth or (name in _FORMATTING and formatting >= max_formatting):
            dropped_open[name] += 1
            cuts.append((start, end))
            continue
        if name in _FORMATTING:
            formatting += 1
        stack.append(name)
        open_count[name] += 1
    if not cuts:
        return html, 0
    parts: list[str] = []
    last = 0
    for s, e in cuts:
        parts.append(html[last:s])
        last = e
    parts.append(html[last:])
    return "".join(parts), len(cuts)

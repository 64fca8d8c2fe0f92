"""HTML → structured text: trafilatura (Markdown output) after bounding nesting and removing active
content, with our selectolax converter as the fallback and the source of structure."""

from __future__ import annotations

import re

from ..limits import MAX_TABLE_CELLS, MAX_TRAFILATURA_TAGS

_ACTIVE = ("script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed",
           "applet", "svg", "math", "canvas", "link", "meta", "base", "portal")
# Not part of the policy text (fallback converter only; trafilatura judges boilerplate itself).
_CHROME = ("head", "nav", "footer", "button", "select", "input", "textarea", "option", "datalist",
           "audio", "video", "source", "track", "img", "picture", "map", "area", "title")
_SKIP = frozenset(_ACTIVE + _CHROME)
_DANGEROUS_URL = re.compile(r"^(javascript|vbscript|data|livescript):", re.I)
_BLOCKS = frozenset(
    "address article aside blockquote body center dd details dialog dir div dl dt fieldset figcaption figure "
    "form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu ol p pre section summary table tbody "
    "thead tfoot tr td th caption ul".split()
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_WS = re.compile(r"\s+")
_TABLE_RULE = re.compile(r"^\|(?:\s*:?-{3,}:?\s*\|)+[ \t]*$", re.M)  # trafilatura's |---|---|
_MIN_TRAFILATURA_SHARE = 0.3  # below this share of the visible text, trafilatura lost the document
# trafilatura takes time superlinear in a page's elements (100,000 paragraphs: 17 s, in one call that
# cannot be interrupted); a page with more start tags than MAX_TRAFILATURA_TAGS is converted by our
# converter alone


class _TooManyElements(Exception):
    pass


_SPAN_CAP = 100  # trafilatura counts a rowspan or colspan up to this


def _span(node, name: str) -> int:
    value = (node.attributes.get(name) or "1").strip()
    return min(int(value), _SPAN_CAP) if value.isdecimal() and value != "0" * len(value) else 1


def _table_cells(tree) -> int:
    """How many cells trafilatura's table layout would make of the page's tables: each table's rows
    times its widest row (in columns), plus the cells each rowspan x colspan covers. It pads every
    row to the widest and fills spanned cells one by one: a 92 KB table of large spans grew it past
    600 MB."""
    rows: dict[int, int] = {}
    width: dict[int, int] = {}
    spans = 0
    for tr in tree.css("tr"):
        table, node = None, tr.parent
        for _ in range(3):  # <table> [<tbody>|<thead>|<tfoot>] <tr>
            if node is None:
                break
            if node.tag == "table":
                table = node.mem_id
                break
            node = node.parent
        columns = 0
        child = tr.child
        while child is not None:
            if child.tag in ("td", "th"):
                colspan = _span(child, "colspan")
                columns += colspan
                spans += colspan * _span(child, "rowspan")
            child = child.next
        key = table if table is not None else tr.mem_id
        rows[key] = rows.get(key, 0) + 1
        width[key] = max(width.get(key, 0), columns)
    return spans + sum(rows[k] * width[k] for k in rows)


def _sanitise(tree) -> None:
    """Remove active elements, event handlers and script URLs from a parsed page, in place."""
    for node in tree.css(", ".join(_ACTIVE)):
        node.decompose()
    root = tree.root
    if root is None:
        return
    for node in root.traverse():
        attrs = node.attributes
        if not attrs:
            continue
        for name, value in list(attrs.items()):
            lname = name.lower()
            bad = lname.startswith("on") or lname in ("srcdoc", "formaction", "action")
            if not bad and value:
                bad = _DANGEROUS_URL.match(re.sub(r"[\x00-\x20]", "", value)) is not None
            if bad:
                del node.attrs[name]


def _html_title(tree) -> str | None:
    for selector in ("head > title", "h1"):
        node = tree.css_first(selector)
        if node is not None:
            title = _WS.sub(" ", node.text(deep=True)).strip()
            if title:
                return title
    return None


class _MarkdownWriter:
    """Block-level state of the fallback HTML → Markdown conversion."""

    def __init__(self) -> None:
        self.blocks: list[tuple[object, str]] = []  # (group, text): same group → one newline apart
        self.buf: list[str] = []
        self.heading: int | None = None
        self.lists: list[list] = []  # [ordered, next number, group]
        self.items: list[dict] = []  # open <li>: marker, depth, used
        self.quote = 0
        self.pre = 0
        self.tables: list[dict] = []  # open <table>: rows emitted, group
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.cell_node = None

    # -- inline text
    def text(self, value: str) -> None:
        if self.cell is not None:
            self.cell.append(value)
        else:
            self.buf.append(value if self.pre else _WS.sub(" ", value))

    def line_break(self) -> None:
        if self.cell is not None:
            self.cell.append(" ")
        else:
            self.buf.append("\n")

    # -- blocks
    def flush(self) -> None:
        raw = "".join(self.buf)
        self.buf = []
        if self.heading is not None:
            self.buf = [raw]  # a heading is emitted whole when it closes
            return
        if self.pre:
            lines = [line.rstrip() for line in raw.strip("\n").split("\n")]
        else:
            lines = [_WS.sub(" ", line).strip() for line in raw.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            return
        prefix = "> " * self.quote
        if self.items:
            item = self.items[-1]
            indent = "  " * item["depth"]
            first = f"{indent}{item['marker']}" if not item["used"] else indent + " " * len(item["marker"])
            item["used"] = True
            rest = indent + " " * len(item["marker"])
            text = "\n".join([first + lines[0]] + [rest + line for line in lines[1:]])
            self.blocks.append((("li", self.lists[0][2] if self.lists else id(item)), prefix + text))
        else:
            self.blocks.append((None, "\n".join(prefix + line for line in lines)))

    def enter(self, node, tag: str) -> None:
        if self.cell is not None:  # everything inside a table cell is inline
            if tag == "br" or tag in _BLOCKS:
                self.cell.append(" ")
            return
        if tag == "br":
            self.line_break()
            return
        if tag in ("td", "th"):
            if self.row is None:  # a cell outside a row: treat as a block
                self.flush()
                return
            self.cell, self.cell_node = [], node
            return
        if tag not in _BLOCKS:
            return
        self.flush()
        if tag in _HEADINGS:
            self.heading = _HEADINGS[tag]
        elif tag in ("ul", "ol", "menu", "dir"):
            start = node.attributes.get("start") if tag == "ol" else None
            number = int(start) if start and start.strip().lstrip("-").isdigit() else 1
            self.lists.append([tag == "ol", number, object()])
        elif tag == "li":
            if self.lists and self.lists[-1][0]:
                marker = f"{self.lists[-1][1]}. "
                self.lists[-1][1] += 1
            else:
                marker = "- "
            self.items.append({"marker": marker, "depth": max(len(self.lists) - 1, 0), "used": False})
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "table":
            self.tables.append({"rows": 0, "group": object()})
        elif tag == "tr":
            self.row = []

    def exit(self, node, tag: str) -> None:
        if self.cell is not None:
            if tag in ("td", "th") and node.mem_id == self.cell_node.mem_id:
                cell = _WS.sub(" ", "".join(self.cell)).strip().replace("|", "\\|")
                self.row.append(cell)
                self.cell = self.cell_node = None
            elif tag in _BLOCKS:
                self.cell.append(" ")
            return
        if tag not in _BLOCKS:
            return
        if tag in _HEADINGS and self.heading is not None:
            level, self.heading = self.heading, None
            text = _WS.sub(" ", "".join(self.buf)).strip()
            self.buf = []
            if text:
                self.blocks.append((None, "#" * level + " " + text))
            return
        self.flush()
        if tag in ("ul", "ol", "menu", "dir") and self.lists:
            self.lists.pop()
        elif tag == "li" and self.items:
            self.items.pop()
        elif tag == "blockquote":
            self.quote = max(self.quote - 1, 0)
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
        elif tag == "table" and self.tables:
            self.tables.pop()
        elif tag == "tr" and self.row is not None:
            cells, self.row = self.row, None
            if any(cells):
                table = self.tables[-1] if self.tables else {"rows": 0, "group": object()}
                self.blocks.append((("tr", table["group"]), "| " + " | ".join(cells) + " |"))
                if table["rows"] == 0:
                    self.blocks.append((("tr", table["group"]), "| " + " | ".join("---" for _ in cells) + " |"))
                table["rows"] += 1

    def markdown(self) -> str:
        self.flush()
        return _join_blocks(self.blocks)


def _join_blocks(blocks: list[tuple[object, str]]) -> str:
    out: list[str] = []
    previous: object = None
    for group, text in blocks:
        if out:
            out.append("\n" if group is not None and group == previous else "\n\n")
        out.append(text)
        previous = group
    return "".join(out)


def _html_fallback(html: str) -> str:
    """Our own HTML → Markdown converter (selectolax): used when trafilatura keeps too little.

    Drops script, style, noscript, template, iframe, svg, head, nav, footer, form controls and media;
    never emits attribute values. h1–h6 → ``#`` lines, li → ``- `` / ``1. `` lines, tr → ``| … |``
    rows, p/div/section/… → paragraphs separated by blank lines.
    """
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    _sanitise(tree)
    return _tree_to_markdown(tree)


def _tree_to_markdown(tree) -> str:
    return _join_blocks(_tree_blocks(tree))


def _tree_blocks(tree) -> list[tuple[object, str]]:
    """Markdown blocks of a parsed page, as (group, text); blocks of one group (a list, a table)
    are one newline apart, others one blank line."""
    root = tree.root
    if root is None:
        return []
    from .budget import check

    writer = _MarkdownWriter()
    stack: list[tuple[object, bool]] = [(root, False)]
    steps = 0
    while stack:  # iterative walk: deep pages must not hit the recursion limit
        steps += 1
        if steps % 10_000 == 0:
            check("HTML conversion")
        node, closing = stack.pop()
        tag = node.tag
        if closing:
            writer.exit(node, tag)
            continue
        if tag == "-text":
            writer.text(node.text_content or "")
            continue
        if tag.startswith(("-", "!", "_")) or tag in _SKIP:
            continue
        writer.enter(node, tag)
        stack.append((node, True))
        children = []
        child = node.child
        while child is not None:
            children.append(child)
            child = child.next
        stack.extend((c, False) for c in reversed(children))
    writer.flush()
    return writer.blocks


_NON_WORD = re.compile(r"[\W_]+")
_LINE_MARKER = re.compile(r"^\s*(?:#{1,6}\s|[-*+]\s|\d{1,4}[.)]\s)")
_STRUCTURE_LINE = re.compile(r"^(?:#{1,6} |\s*[-*+] |\s*\d{1,4}[.)] |\|)", re.M)


def _key(text: str) -> str:
    """Letters and digits only, lower case: compares text across two converters' markup."""
    return _NON_WORD.sub("", "".join(_LINE_MARKER.sub("", line, count=1) for line in text.split("\n")).lower())


def _restore_structure(main: str, blocks: list[tuple[object, str]]) -> str | None:
    """trafilatura's choice of content in our converter's structure, or None when that loses text.

    Without <main>/<article>, trafilatura falls back to generic extractors that keep the right
    paragraphs but drop headings and list markup. Here each block of our own conversion is kept when
    trafilatura kept its text, and a heading when it or the content right after it was kept.
    """
    main_lines = {_key(line) for line in main.split("\n")}
    main_all = _key(main)
    from .budget import check

    kept_flags: list[bool] = []
    for i, (_group, text) in enumerate(blocks):
        if i % 1000 == 0:
            check("HTML structure")
        k = _key(text)
        if not k:
            kept_flags.append(False)
            continue
        kept_flags.append(k in main_lines or (len(k) >= 6 and k in main_all))
    keep = list(kept_flags)
    following = False  # whether the next non-heading block is kept (scanning backwards)
    for i in range(len(blocks) - 1, -1, -1):
        group, text = blocks[i]
        if text.startswith("#"):
            keep[i] = kept_flags[i] or following
            continue
        if text.startswith("| ---") and i > 0:
            keep[i] = kept_flags[i - 1]
        following = keep[i]
    merged = _join_blocks([b for b, k in zip(blocks, keep, strict=True) if k])
    if _letters(merged) < 0.97 * _letters(main):
        return None
    return merged


def _letters(text: str) -> int:
    return len(_NON_WORD.sub("", text))


def _extract_html(html: str) -> tuple[str, str | None]:
    """(Markdown text, title) of a page; see the module docstring for how the two converters meet."""
    import trafilatura
    from selectolax.lexbor import LexborHTMLParser

    from .budget import check
    from .html_attributes import cap_attributes
    from .html_depth import cap_nesting

    html, _dropped = cap_attributes(html)  # parsers are quadratic in one tag's attributes
    check("HTML parsing")
    html, _dropped = cap_nesting(html)  # and superlinear in nesting depth: bound both first
    check("HTML parsing")
    tree = LexborHTMLParser(html)
    check("HTML parsing")
    title = _html_title(tree)
    _sanitise(tree)
    clean = tree.html or ""
    try:
        if clean.count("<") - clean.count("</") > MAX_TRAFILATURA_TAGS:
            raise _TooManyElements  # trafilatura is superlinear in elements: our converter alone
        if _table_cells(tree) > MAX_TABLE_CELLS:
            raise _TooManyElements  # trafilatura would lay out more table cells than the page has text
        main = trafilatura.extract(
            clean,
            output_format="markdown",
            include_tables=True,
            include_links=False,
            include_images=False,
            include_comments=False,
            favor_recall=True,
        ) or ""
    except Exception:  # trafilatura/lxml choke on some malformed pages: the fallback still works
        main = ""
    check("HTML extraction")
    main = _TABLE_RULE.sub(lambda m: "| " + " | ".join("---" for _ in range(m.group(0).count("|") - 1)) + " |", main)
    blocks = _tree_blocks(tree)  # skips navigation, footers, form controls and media too
    visible = _join_blocks(blocks)
    main_letters, visible_letters = _letters(main), _letters(visible)
    if main_letters == 0 or main_letters < _MIN_TRAFILATURA_SHARE * visible_letters:
        return visible, title
    if len(_STRUCTURE_LINE.findall(main)) < len([1 for _g, t in blocks if _STRUCTURE_LINE.match(t)]):
        merged = _restore_structure(main, blocks)
        if merged is not None and len(_STRUCTURE_LINE.findall(merged)) > len(_STRUCTURE_LINE.findall(main)):
            return merged, title
    return main, title


# ============================================================================ PDF

"""PDF → structured text with pypdfium2: paragraphs, headings and list items rebuilt from the text
layout, running headers, footers and page numbers dropped."""

from __future__ import annotations

import re
import statistics
import threading
from collections import Counter
from dataclasses import dataclass

from .normalise import normalise_text
from .result import ExtractError, Extracted


_PDFIUM_LOCK = threading.Lock()  # PDFium is not thread-safe
_BULLETS = "•●○◦▪■□▫‣∙·◆◇➢➤►✓✔"
_LIST_MARKER = re.compile(
    rf"^(?:[{_BULLETS}]|[-–—*](?=\s)|\d{{1,3}}(?:\.\d{{1,3}})*[.)、](?=\s|\D)|[a-zA-Z][.)](?=\s)"
    r"|[(（](?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4}|[一二三四五六七八九十]{1,3})[)）]|[一二三四五六七八九十]{1,3}、)"
)
_BULLET_START = re.compile(rf"^[{_BULLETS}]\s*")
_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p\.)\s*)?\d{1,4}(?:\s*(?:/|of|de|von)\s*\d{1,4})?$|^[-–—]\s*\d{1,4}\s*[-–—]$|^第\s*\d{1,4}\s*页(?:\s*[/，,]?\s*共\s*\d{1,4}\s*页)?$",
    re.I,
)
_SENTENCE_END = tuple(".!?:;。！？：；”\"’)）")
_CLAUSE_END = tuple(".,;。，；")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_JUNK_TITLES = {"untitled", "(unspecified)", "unspecified", "anonymous", "(anonymous)", "title", "document"}


@dataclass
class _Line:
    page: int
    text: str
    left: float = 0.0
    right: float = 0.0
    bottom: float = 0.0
    top: float = 0.0
    size: float = 0.0
    bold: bool = False
    height: float = 0.0  # page height
    geometry: bool = False


def _page_lines(textpage, page_index: int, page_height: float, raw) -> list[_Line]:
    text = textpage.get_text_range()
    lines: list[_Line] = []
    geometry = len(text) == textpage.count_chars()
    offset = 0
    for part in re.split(r"(\r\n|\n|\r)", text):
        if part in ("\r\n", "\n", "\r"):
            offset += len(part)
            continue
        start, end = offset, offset + len(part)
        offset = end
        stripped = part.strip()
        if not stripped:
            continue
        line = _Line(page_index, stripped, height=page_height)
        if geometry:
            try:
                first = start + (len(part) - len(part.lstrip()))
                last = start + len(part.rstrip()) - 1
                left, bottom, _, top = textpage.get_charbox(first, loose=True)
                right = textpage.get_charbox(last, loose=True)[2]
                size = raw.FPDFText_GetFontSize(textpage.raw, first)
                weight = max(
                    raw.FPDFText_GetFontWeight(textpage.raw, first), raw.FPDFText_GetFontWeight(textpage.raw, last)
                )
                line.left, line.right, line.bottom, line.top = left, right, bottom, top
                line.size, line.bold, line.geometry = round(size * 2) / 2, weight >= 600, True
            except Exception:
                pass
        lines.append(line)
    return lines


def _drop_running_lines(pages: list[list[_Line]]) -> None:
    """Remove page numbers, and headers/footers repeated in the top or bottom margin of most pages."""
    def key(line: _Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower())

    def in_margin(line: _Line, i: int, n: int) -> bool:
        if not line.geometry:  # no positions: the first and last line of the page
            return i == 0 or i == n - 1
        return line.top > 0.88 * line.height or line.bottom < 0.12 * line.height

    margin_keys: Counter[str] = Counter()
    for lines in pages:
        margin_keys.update({key(l) for i, l in enumerate(lines) if in_margin(l, i, len(lines))})
    repeated = {k for k, count in margin_keys.items() if len(pages) >= 3 and count >= 0.5 * len(pages)}
    for lines in pages:
        n = len(lines)
        lines[:] = [
            l for i, l in enumerate(lines)
            if not (in_margin(l, i, n) and (key(l) in repeated or _PAGE_NUMBER.match(l.text)))
        ]


def _join_lines(a: str, b: str) -> str:
    if not a:
        return b
    if a.endswith("\x02"):  # PDFium marks a hyphen that splits a word at the line end
        return a[:-1] + b
    if _CJK.match(a[-1]) or _CJK.match(b[0]):
        return a + b
    if a.endswith("-") and len(a) > 1 and a[-2].isalpha() and b[:1].islower():
        return a + b
    return a + " " + b


def _layout(pages: list[list[_Line]]) -> str:
    """Rebuild paragraphs, headings and list items from positioned lines."""
    body = [l for lines in pages for l in lines if l.geometry]
    size_weight: Counter[float] = Counter()
    for l in body:
        size_weight[l.size] += len(l.text)
    body_size = size_weight.most_common(1)[0][0] if size_weight else 0.0

    def heading_style(line: _Line) -> tuple[float, bool] | None:
        """(size, bold) of a line set as a heading: larger type, or bold body type not ending a clause."""
        if not line.geometry or not body_size or len(line.text) > 150 or not any(ch.isalpha() for ch in line.text):
            return None
        larger = line.size >= 1.1 * body_size
        bold = line.bold and line.size >= 0.95 * body_size and not line.text.endswith(_CLAUSE_END)
        return (line.size, line.bold) if larger or bold else None

    styles = sorted({s for l in body if (s := heading_style(l))}, key=lambda s: (-s[0], not s[1]))
    level = {s: min(i + 1, 6) for i, s in enumerate(styles)}

    pitches = []
    for lines in pages:
        for a, b in zip(lines, lines[1:], strict=False):
            if a.geometry and b.geometry and a.size == b.size == body_size and 0 < a.bottom - b.bottom < 3 * body_size:
                pitches.append(a.bottom - b.bottom)
    pitch = statistics.median(pitches) if pitches else 1.2 * (body_size or 10)
    widest = max((l.right for l in body), default=0.0)
    margin = min((l.left for l in body), default=0.0)

    blocks: list[tuple[str, str]] = []  # (kind, text)
    for lines in pages:  # a page always starts a new block: pages are a blank line apart
        kind, current = "p", []
        prev: _Line | None = None
        prev_style = None
        for line in lines:
            style = heading_style(line)
            if style and _heading_continues(prev, prev_style, style, line, pitch):
                current.append(line.text)
                prev, prev_style = line, style
                continue
            if style:
                _close_block(blocks, kind, current)
                kind, current = f"h{level[style]}", [line.text]
                prev, prev_style = line, style
                continue
            new_block = prev is None or prev_style is not None or _LIST_MARKER.match(line.text) is not None
            if not new_block and line.geometry and prev.geometry:
                gap = prev.bottom - line.bottom
                short_prev = widest - prev.right > 0.15 * max(widest - margin, 1) and prev.text.endswith(_SENTENCE_END)
                new_block = gap <= 0 or gap > 1.4 * pitch * max(line.size / (body_size or line.size), 1) or short_prev
            if new_block:
                _close_block(blocks, kind, current)
                kind = "li" if _LIST_MARKER.match(line.text) else "p"
                current = [line.text]
            else:
                current.append(line.text)
            prev, prev_style = line, None
        _close_block(blocks, kind, current)

    out: list[str] = []
    previous_kind = None
    for kind, text in blocks:
        if kind.startswith("h"):
            text = "#" * int(kind[1:]) + " " + text
        elif kind == "li":
            text = _BULLET_START.sub("- ", text)
        if out:
            out.append("\n" if kind == previous_kind == "li" else "\n\n")
        out.append(text)
        previous_kind = kind
    return "".join(out)


def _close_block(blocks: list[tuple[str, str]], kind: str, parts: list[str]) -> None:
    """Join a block's lines and append it; a 'heading' of many lines is a paragraph in bold/large type."""
    if not parts:
        return
    text = ""
    for part in parts:
        text = _join_lines(text, part)
    if kind.startswith("h") and (len(parts) > 3 or len(text) > 200):
        kind = "p"
    blocks.append((kind, text.replace("\x02", "")))


def _heading_continues(prev: _Line | None, prev_style, style, line: _Line, pitch: float) -> bool:
    """A heading wrapped onto a second line: same style, right below, on the same page."""
    return (
        prev is not None
        and prev_style == style
        and prev.page == line.page
        and 0 < prev.bottom - line.bottom < 2.0 * max(pitch, line.size)
    )


def _pdf_title(doc, text: str) -> str | None:
    try:
        title = (doc.get_metadata_value("Title") or "").strip()
    except Exception:
        title = ""
    title = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", title).strip()
    if title and title.lower() not in _JUNK_TITLES:
        return title
    m = re.search(r"^# (.+)$", text, re.M)
    return m.group(1).strip() if m else None


def _extract_pdf(data: bytes, max_chars: int) -> Extracted:
    if not data.lstrip().startswith(b"%PDF-") and data.find(b"%PDF-", 0, 1024) < 0:
        raise ExtractError("corrupt PDF: no %PDF- header")
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    with _PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(data)  # PDFium tries the empty user password itself
        except pdfium.PdfiumError as exc:
            if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD or "password" in str(exc).lower():
                raise ExtractError("encrypted PDF (password required)") from None
            if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_SECURITY:
                raise ExtractError("encrypted PDF (unsupported security handler)") from None
            raise ExtractError(f"corrupt PDF: {_pdfium_reason(exc)}") from None
        try:
            n_pages = len(doc)
            if n_pages == 0:
                raise ExtractError("corrupt PDF: no pages")
            pages: list[list[_Line]] = []
            total = 0
            from .budget import check

            for i in range(n_pages):
                check(f"PDF page {i + 1}")
                try:
                    page = doc[i]
                    textpage = page.get_textpage()
                except pdfium.PdfiumError as exc:
                    raise ExtractError(f"corrupt PDF: page {i + 1} cannot be read ({_pdfium_reason(exc)})") from None
                try:
                    lines = _page_lines(textpage, i, page.get_height(), pdfium_c)
                finally:
                    textpage.close()
                    page.close()
                total += sum(len(l.text) + 1 for l in lines)
                if total > max_chars:
                    raise ExtractError(f"document too large: more than {max_chars:,} characters of text")
                pages.append(lines)
            _drop_running_lines(pages)
            if all(l.geometry for lines in pages for l in lines):
                text = _layout(pages)
            else:  # no usable positions: keep PDFium's lines, pages apart
                text = "\n\n".join("\n".join(l.text for l in lines) for lines in pages if lines)
            text = normalise_text(text)
            if not text:
                raise ExtractError("PDF has no text layer (scanned?); OCR is not supported")
            return Extracted(text=text, format="pdf", charset=None, title=_pdf_title(doc, text), pages=n_pages)
        finally:
            doc.close()


def _pdfium_reason(exc: Exception) -> str:
    m = re.search(r"PDFium: ([^)]+)", str(exc))
    return (m.group(1) if m else str(exc)).rstrip(".").lower()


# ============================================================================ Markdown / extract

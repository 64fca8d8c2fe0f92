"""``extract``: bytes of a document → :class:`Extracted`, by format, under the document's budget."""

from __future__ import annotations

import re

from ..limits import MAX_DOCUMENT_CHARS
from .encodings import decode
from .html import _extract_html
from .normalise import normalise_text
from .pdf import _extract_pdf
from .result import ExtractError, Extracted
from .sniff import _CONTROL_DELETE, _MAX_CONTROL_RATIO, _charset_from_content_type, sniff_format


def _markdown_title(text: str) -> str | None:
    m = re.search(r"^#\s+(.+?)\s*#*$|^([^\n]+)\n=+$", text, re.M)
    if not m:
        return None
    return (m.group(1) or m.group(2)).strip() or None


def extract(
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    declared_charset: str | None = None,
    max_chars: int = MAX_DOCUMENT_CHARS,
) -> Extracted:
    """Turn the bytes of a policy document into normalised, structure-keeping text.

    ``filename`` and ``content_type`` (e.g. an HTTP ``Content-Type``, whose ``charset`` is used when
    ``declared_charset`` is not given) help sniffing; magic bytes win over both. Raises
    :class:`ExtractError` for empty, binary, undecodable, encrypted, corrupt, scanned (no text
    layer) or too large (more than ``max_chars`` characters) input.
    """
    if not data or not data.strip():
        raise ExtractError("empty document")
    fmt = sniff_format(data, filename=filename, content_type=content_type)
    if fmt == "pdf":
        return _extract_pdf(data, max_chars)
    if len(data) > 4 * max_chars:  # no encoding takes more than 4 bytes a character
        raise ExtractError(f"document too large: {len(data):,} bytes, more than {max_chars:,} characters")
    raw, charset = decode(data, declared=declared_charset or _charset_from_content_type(content_type))
    if len(raw) > max_chars:
        raise ExtractError(f"document too large: {len(raw):,} characters (max_chars={max_chars:,})")
    controls = len(raw) - len(raw.translate(_CONTROL_DELETE))
    if controls > _MAX_CONTROL_RATIO * len(raw):
        raise ExtractError(
            f"binary content (unknown type: {controls} control characters as {charset}), not a text document"
        )
    from .budget import check

    check("decoding")
    if fmt == "html":
        body, title = _extract_html(raw)
    else:
        body, title = raw, None
    text = normalise_text(body)
    check("normalising")
    if not text:
        raise ExtractError("empty document" + (" (no text in the HTML)" if fmt == "html" else ""))
    if fmt == "markdown":
        title = _markdown_title(text)
    return Extracted(text=text, format=fmt, charset=charset, title=title)

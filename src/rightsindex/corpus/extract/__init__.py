"""Bytes of a policy document → normalised text that keeps its structure.

The output is Markdown-ish, because the segmenter cuts passages along structure:

- headings are ``#``-prefixed lines (``#`` … ``######``),
- list items are ``- item`` / ``1. item`` lines (nested items indented by two spaces),
- table rows are ``| a | b |`` lines (a ``| --- |`` line after the first row),
- paragraphs are separated by one blank line.

``extract(data, ...)`` sniffs the format (magic bytes, then content type, then file name, then the
content itself), decodes text (BOM, declared charset, ``<meta charset>``, UTF-8, charset-normalizer),
and converts:

- HTML with trafilatura (Markdown output), after bounding its nesting (``html_depth``: tags that
  would nest deeper than 512 levels are dropped, their text kept) and removing active content (scripts, styles,
  frames, ``on*=`` handlers, ``javascript:`` URLs). Our own selectolax converter also renders the
  page: when trafilatura keeps less than 30 % of its text, or the page has more than 25,000 elements
  (trafilatura is superlinear in them), ours is used; when trafilatura kept the
  right text but lost headings or list markup (it does on pages without ``<main>``/``<article>``),
  trafilatura's choice of blocks is laid out with our converter's structure;
- PDF with pypdfium2, page by page, rebuilding paragraphs, headings (font size / weight) and list
  items from the text layout, and dropping running headers, footers and page numbers;
- Markdown and plain text as they are.

Every failure is an :class:`ExtractError` with a message meant for a person ("encrypted PDF
(password required)", "binary content (PNG image), not a text document", "undecodable text: …").

Heavy libraries (trafilatura, pypdfium2, charset-normalizer) are imported on first use.

Modules: ``result`` (Extracted, ExtractError), ``normalise``, ``sniff`` (format), ``encodings``
(decode), ``html``, ``html_depth`` (nesting bound), ``pdf``, ``budget`` (time and passage
budget per document), ``dispatch`` (``extract``).
"""

from .dispatch import extract
from .encodings import decode
from .normalise import normalise_text
from .result import Extracted, ExtractError
from .sniff import sniff_format

__all__ = ["Extracted", "ExtractError", "sniff_format", "decode", "normalise_text", "extract"]

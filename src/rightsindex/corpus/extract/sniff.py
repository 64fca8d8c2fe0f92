"""Which format a document's bytes are in: magic bytes, then content type, file name, then content."""

from __future__ import annotations

import codecs
import re

from .result import ExtractError


_MAGIC: list[tuple[bytes, str]] = [
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"PK\x03\x04", "ZIP archive or Office/EPUB document"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"\x7fELF", "ELF executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 file, e.g. an old Microsoft Office document"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"(\xb5/\xfd", "Zstandard-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\x00asm", "WebAssembly module"),
    (b"\xca\xfe\xba\xbe", "Java class or Mach-O binary"),
    (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"wOFF", "WOFF font"),
    (b"wOF2", "WOFF2 font"),
    (b"OggS", "Ogg media"),
    (b"fLaC", "FLAC audio"),
    (b"ID3", "MP3 audio"),
]
_BOMS: list[tuple[bytes, str]] = [  # UTF-32 before UTF-16: FF FE 00 00 starts with FF FE
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
# Bytes that do not occur in text: C0 controls except \t \n \v \f \r and ESC (ISO-2022), plus DEL.


_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in b"\t\n\x0b\x0c\r\x1b") + b"\x7f"
_CONTROL_CHARS = _CONTROL_BYTES.decode("ascii")
_CONTROL_DELETE = str.maketrans("", "", _CONTROL_CHARS)
_MAX_CONTROL_RATIO = 0.01

_CONTENT_TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/plain": "text",
}
_EXTENSIONS = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".shtml": "html",
    ".pdf": "pdf",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
}
_HTML_MARKERS = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<meta[\s>]|<title[\s>]", re.I)
_MARKDOWN_MARKERS = re.compile(r"^(#{1,6} \S|=+[ \t]*$)|\[[^\]\n]+\]\([^)\s]+\)", re.M)


def _binary_kind(head: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "WebP image", b"WAVE": "WAV audio", b"AVI ": "AVI video"}[head[8:12]]
    if head[4:8] == b"ftyp":
        return "MP4/ISO media (video or HEIF image)"
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a BOM shows NULs in every other byte (for Latin-script text)."""
    if len(head) < 16:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _unicode_encoding(head: bytes) -> tuple[str, int] | None:
    """(codec, BOM length) for data that announces or shows a Unicode encoding by itself."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    guess = _utf16_without_bom(head)
    return (guess, 0) if guess else None


def _prefix_text(data: bytes, size: int = 4096) -> str:
    """The start of the document as text, good enough for sniffing (not for extraction)."""
    head = data[: size * 4]
    unicode_enc = _unicode_encoding(head)
    if unicode_enc:
        name, skip = unicode_enc
        return head[skip:].decode(name, errors="ignore")[:size]
    return head[:size].decode("latin-1")


def _looks_like_html(prefix: str) -> bool:
    stripped = prefix.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<") and _HTML_MARKERS.search(stripped):
        return True
    return re.search(r"<!doctype\s+html|<html[\s>]", stripped[:512], re.I) is not None


def _mime(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def _charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = re.search(r";\s*charset\s*=\s*[\"']?([^\s;\"']+)", content_type, re.I)
    return m.group(1) if m else None


def sniff_format(data: bytes, *, filename: str | None = None, content_type: str | None = None) -> str:
    """Tell which format the bytes are in: ``"html"``, ``"pdf"``, ``"markdown"`` or ``"text"``.

    Magic bytes win over names: ``%PDF-`` is a PDF whatever it is called, and known binary formats
    (gzip, ZIP, images, executables, …) or bytes full of control characters raise
    :class:`ExtractError` ("binary content (…), not a text document"), whatever the name or content
    type says. Then the content type, then the file extension, then the content (HTML markers, then
    Markdown markers) decide. A name or type claiming PDF for bytes without the ``%PDF-`` header gives
    ``"html"`` when the bytes look like HTML (an error page), else ``"pdf"`` (extraction then fails).
    """
    head = data[:8192]
    pdf_at = data.find(b"%PDF-", 0, 1024)
    if pdf_at == 0 or (pdf_at > 0 and b"<" not in data[:pdf_at]):
        return "pdf"
    if head.lstrip().startswith(b"{\\rtf"):
        raise ExtractError("unsupported format (RTF document), not a text document")
    kind = _binary_kind(head)
    if kind:
        raise ExtractError(f"binary content ({kind}), not a text document")
    if not _unicode_encoding(head):
        sample = head + data[-4096:] if len(data) > len(head) else head
        controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        if sample and controls > _MAX_CONTROL_RATIO * len(sample):
            nuls = sample.count(0)
            raise ExtractError(
                f"binary content (unknown type: {controls} control bytes, {nuls} of them NUL, in a sample of "
                f"{len(sample):,} bytes), not a text document"
            )

    claimed = _CONTENT_TYPES.get(_mime(content_type) or "")
    if claimed is None and filename:
        name = filename.lower().split("?", 1)[0].split("#", 1)[0]
        for ext, fmt in _EXTENSIONS.items():
            if name.endswith(ext):
                claimed = fmt
                break
    prefix = _prefix_text(data)
    if claimed == "pdf":
        return "html" if _looks_like_html(prefix) else "pdf"
    if claimed:
        return claimed
    if _looks_like_html(prefix):
        return "html"
    if _MARKDOWN_MARKERS.search(_prefix_text(data, 65536)):
        return "markdown"
    return "text"


# Labels that mean a superset in practice (what browsers do, WHATWG Encoding Standard), by
# Python's canonical codec name.

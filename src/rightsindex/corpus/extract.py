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
"""
from __future__ import annotations

import codecs
import re
import statistics
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass

__all__ = ["Extracted", "ExtractError", "sniff_format", "decode", "normalise_text", "extract"]


@dataclass(frozen=True)
class Extracted:
    text: str  # normalised text (see normalise_text)
    format: str  # "html" | "pdf" | "markdown" | "text"
    charset: str | None  # charset used to decode (None for pdf)
    title: str | None  # document title when found (HTML <title>/h1, PDF metadata)
    pages: int | None = None  # PDFs


class ExtractError(Exception):
    """The bytes cannot be turned into text; the message says why, for a person."""


# ============================================================================ normalise_text

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


# ============================================================================ sniff_format

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


# ============================================================================ decode

# Labels that mean a superset in practice (what browsers do, WHATWG Encoding Standard), by
# Python's canonical codec name.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
}
# Code pages charset-normalizer may pick for a Western text with a few high bytes, that no web page
# or policy uses (DOS, Mac, EBCDIC, exotic): a Western text is then read as Windows-1252.
_UNLIKELY_CODECS = {
    "cp037", "cp273", "cp424", "cp500", "cp875", "cp1026", "cp1140",  # EBCDIC
    "cp437", "cp720", "cp737", "cp775", "cp850", "cp852", "cp855", "cp856", "cp857", "cp858", "cp860",
    "cp861", "cp862", "cp863", "cp864", "cp865", "cp866", "cp869", "cp1006", "cp1125",  # DOS
    "mac-roman", "mac-latin2", "mac-cyrillic", "mac-greek", "mac-iceland", "mac-turkish",
    "hp-roman8", "ptcp154", "kz1048", "koi8-t", "iso8859-10", "iso8859-14", "iso8859-16", "iso8859-3",
}
_MULTIBYTE_CODECS = {
    "gb18030", "gbk", "gb2312", "hz", "big5", "big5hkscs", "cp950", "cp932", "cp949", "shift_jis",
    "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213", "euc_kr", "johab",
    "iso2022_jp", "iso2022_jp_1", "iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_3", "iso2022_jp_ext",
    "iso2022_kr",
}
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_REPEATED_HIGH_BYTE = re.compile(rb"([\x80-\xff])\1+")
_CP1252_LANGUAGES = {
    "English", "French", "German", "Spanish", "Italian", "Portuguese", "Dutch", "Danish", "Norwegian",
    "Swedish", "Finnish", "Indonesian", "Catalan", "Icelandic", "Malay", "Afrikaans", "Unknown", "",
}
_HIGH_BYTE_RUN = re.compile(rb"[\x80-\xff]{2,}")
_REFUSED_CODECS = {"utf-7", "unicode_escape", "raw_unicode_escape", "punycode", "idna", "undefined", "mbcs", "oem"}
_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)|<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""",
    re.I,
)
_MAX_REPLACEMENT_RATIO = 0.01
_C1_CONTROLS = re.compile("[\x80-\x9f]")
_NON_ASCII_LETTER = re.compile(r"[^\x00-\x7f\W\d_]")
_LONE_NON_ASCII_LETTER = re.compile(r"(?<![^\W\d_])[^\x00-\x7f\W\d_](?![^\W\d_])")


def _codec(label: str | None, *, allow_utf16: bool = True) -> str | None:
    """Python codec for a charset label, or None when unknown, not a text encoding, or refused."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in ("x-gbk", "gb_2312-80", "csgb2312", "chinese"):
        return "gb18030"
    if label in ("x-x-big5", "cn-big5", "csbig5", "big5-hkscs"):
        return "big5hkscs"
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    name = _SUPERSETS.get(info.name, info.name)
    if name in _REFUSED_CODECS or (not allow_utf16 and name.startswith(("utf-16", "utf-32"))):
        return None
    return name


def _meta_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    return (m.group(1) or m.group(2)).decode("ascii")


def _utf8_evidence(data: bytes) -> tuple[str, int, int]:
    """(text decoded with replacement, valid non-ASCII characters, invalid byte runs)."""
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore")) - invalid
    return text, non_ascii, invalid


def _charset_normalizer_guess(data: bytes) -> tuple[str | None, str]:
    """(codec, language) that charset-normalizer finds most plausible; (None, "") when none."""
    from charset_normalizer import from_bytes

    sample = data
    if len(data) > 512_000:  # detection on a prefix, cut at a newline (never inside a character)
        cut = data.rfind(b"\n", 0, 512_000)
        sample = data[: cut if cut > 0 else 512_000]
    best = from_bytes(sample).best()
    if best is None:
        return None, ""
    if "cp1252" in (best.encoding, *best.could_be_from_charset):  # same text: prefer the Western default
        return "cp1252", best.language
    return _codec(best.encoding), best.language


def _western(data: bytes) -> bool:
    """Bytes of a Western text in a single-byte code page: high bytes mostly alone between ASCII
    (’ “ ” – é …), where CJK and Cyrillic texts have runs of different ones."""
    data = _REPEATED_HIGH_BYTE.sub(rb"\1", data)  # runs of non-breaking spaces and the like
    high = len(_HIGH_BYTE.findall(data))
    in_runs = sum(len(run) for run in _HIGH_BYTE_RUN.findall(data))
    return high > 0 and in_runs <= 0.3 * high


def _legacy_candidates(data: bytes) -> list[str]:
    """Legacy encodings to try, best first, for bytes that are not UTF-8.

    charset-normalizer's guess, except that a Western text (see :func:`_western`) is read as
    Windows-1252 when the guess is a DOS, Mac or CJK code page (it names cp775 or Big5 for English
    with a few dashes) or another Latin code page for a language Windows-1252 covers.
    """
    guess, language = _charset_normalizer_guess(data)
    if not _western(data):
        return [guess] if guess else []
    if guess is None or guess == "cp1252":
        return ["cp1252"]
    if guess in _UNLIKELY_CODECS or guess in _MULTIBYTE_CODECS or language in _CP1252_LANGUAGES:
        return ["cp1252", guess]
    return [guess, "cp1252"]


def decode(data: bytes, *, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes to text; return ``(text, charset used)`` with charset as a Python codec name.

    Order:

    1. a BOM (UTF-8, UTF-16, UTF-32), or UTF-16 without BOM (NULs in every other byte);
    2. valid UTF-8 with real multi-byte content (at least 16 non-ASCII characters): a declared
       legacy charset is then a mislabel (a common one: ISO-8859-1 headers on UTF-8 pages);
    3. the ``declared`` charset (HTTP header), then an HTML ``<meta charset>`` / ``http-equiv`` or
       XML declaration in the first 4 KB, each only when it decodes the bytes without error;
    4. valid UTF-8, plain ASCII included (also UTF-8 cut inside its last character);
    5. bytes that are mostly valid UTF-8 (at least twice as many valid non-ASCII characters as
       invalid bytes) are UTF-8 with some damage; other bytes go to charset-normalizer, whose guess
       is taken when it reads like text (≤ 1 % replacement characters, no C1 control characters,
       non-ASCII letters mostly inside words rather than alone between symbols). Bytes of a Western
       text (high bytes mostly alone between ASCII) are read as Windows-1252 when charset-normalizer
       names a DOS, Mac or CJK code page, a Latin one for a language Windows-1252 covers, or nothing;
    6. else UTF-8 with replacement characters, when they are ≤ 1 % of the text; more raises
       :class:`ExtractError` ("undecodable text: …").

    GB2312/GBK (declared or detected) are decoded as GB18030, Big5 as Big5-HKSCS, ISO-8859-1 and
    ASCII as Windows-1252 — supersets, as browsers do (WHATWG Encoding Standard).
    """
    if not data:
        return "", "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(name, errors="replace")
            _check_replacements(text, data[len(bom) :].count(b"\xef\xbf\xbd") if name == "utf-8" else 0, name)
            return text, name

    guess = _utf16_without_bom(data[:8192])
    if guess:
        text = data.decode(guess, errors="replace")
        _check_replacements(text, 0, guess)
        return text, guess

    try:
        utf8 = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8 = None
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            utf8 = data[: exc.start].decode("utf-8")  # cut inside its last character
    if utf8 is not None and len(utf8) - len(utf8.encode("ascii", "ignore")) >= 16:
        return utf8, "utf-8"

    for label, allow_utf16 in ((declared, True), (_meta_charset(data), False)):
        codec = _codec(label, allow_utf16=allow_utf16)
        if codec:
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                pass  # a wrong label: fall back to detection

    if utf8 is not None:
        return utf8, "utf-8"

    text, valid, invalid = _utf8_evidence(data)
    if valid < 2 * invalid:  # not UTF-8 with damage: a legacy encoding
        for codec in _legacy_candidates(data):
            guessed = data.decode(codec, errors="replace")
            if _plausible(guessed):
                return guessed, codec
    _check_replacements(text, data.count(b"\xef\xbf\xbd"), "utf-8")
    return text, "utf-8"


def _plausible(text: str) -> bool:
    """Whether a detected decoding reads like text: few replacement characters, no C1 controls, and
    non-ASCII letters mostly inside words (a wrong code page scatters lone letters among symbols)."""
    bad = text.count("\ufffd") + 10 * len(_C1_CONTROLS.findall(text))
    if bad > _MAX_REPLACEMENT_RATIO * max(len(text), 1):
        return False
    letters = len(_NON_ASCII_LETTER.findall(text))
    return letters < 20 or len(_LONE_NON_ASCII_LETTER.findall(text)) <= 0.5 * letters


def _check_replacements(text: str, already: int, codec: str) -> None:
    bad = text.count("\ufffd") - already
    if bad > _MAX_REPLACEMENT_RATIO * max(len(text), 1):
        raise ExtractError(
            f"undecodable text: {bad} of {len(text)} characters ({bad / max(len(text), 1):.1%}) are invalid "
            f"as {codec} and no other encoding fits"
        )


# ============================================================================ HTML

# Never text: active content, embedded documents, media, form controls, document metadata.
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
# cannot be interrupted); a page with more start tags than this is converted by our converter alone
MAX_TRAFILATURA_TAGS = 25_000


class _TooManyElements(Exception):
    pass


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
    from .html_depth import cap_nesting

    html, _dropped = cap_nesting(html)  # parsers are superlinear in nesting depth: bound it first
    check("HTML parsing")
    tree = LexborHTMLParser(html)
    check("HTML parsing")
    title = _html_title(tree)
    _sanitise(tree)
    clean = tree.html or ""
    try:
        if clean.count("<") - clean.count("</") > MAX_TRAFILATURA_TAGS:
            raise _TooManyElements  # trafilatura is superlinear in elements: our converter alone
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
    max_chars: int = 5_000_000,
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

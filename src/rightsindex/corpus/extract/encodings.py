"""Bytes → text: BOM, declared charset, ``<meta charset>``, UTF-8, then charset-normalizer and the
legacy codecs (GB18030/GBK/Big5 included), refusing text that decodes to garbage."""

from __future__ import annotations

import codecs
import re

from .result import ExtractError
from .sniff import _BOMS, _utf16_without_bom


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


# Never text: active content, embedded documents, media, form controls, document metadata.

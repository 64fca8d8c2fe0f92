"""Citations and quotes of RDR comments, and locating quotes in document texts."""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict

from .common import FUZZY, MIN_WORDS, YEAR


WORD = re.compile(r"[^\W_]+")
MD_LINK_TARGET = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
ANGLE_LINK = re.compile(r"<(?:https?|mailto):[^>\s]*>")


def doc_words(raw: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Normalised words of a document with their code-point spans in the raw text; Markdown link
    targets are masked (same length, so offsets stay valid)."""
    masked = MD_LINK_TARGET.sub(lambda m: "]" + " " * (len(m.group(0)) - 1), raw)
    masked = ANGLE_LINK.sub(lambda m: " " * len(m.group(0)), masked)
    words, spans = [], []
    for m in WORD.finditer(masked):
        words.append(m.group(0).casefold())
        spans.append((m.start(), m.end()))
    return words, spans


def norm_words(text: str) -> list[str]:
    return [w.casefold() for w in WORD.findall(text)]


# ----------------------------------------------------------------------------- comments: citations and quotes

_SOURCE_WORD = re.compile(r"\b[Ss]ources?\b\s*(?:(?:No|Nr)\.?|#)?\s*(?=\d)")
_CITE_TOKEN = re.compile(r"\s*(?:(?P<num>\d+)(?:\.\d+)?[a-z]?\b'?|(?P<sep>,|&|\band\b|-|\u2013|\bto\b))")


def cited_sources(comment: str) -> list[int]:
    """Source numbers cited in a comment, in order of first mention: the numbers after "Source" /
    "Sources" ("Source 12", "Sources 3 and 4", "Source 4 & 5", "Sources 3, 5", ranges "3-5");
    parsing stops at anything else ("p.", "Section", a year, a word)."""
    found: list[int] = []
    text = comment or ""
    for m in _SOURCE_WORD.finditer(text):
        pos, prev, pending_range, after_sep = m.end(), None, False, False
        while True:
            t = _CITE_TOKEN.match(text, pos)
            if not t:
                break
            if t.group("sep"):
                if after_sep or prev is None:
                    break
                pending_range = t.group("sep") in ("-", "\u2013", "to")
                after_sep, pos = True, t.end()
                continue
            num = t.group("num")
            if YEAR.match(num):
                break
            n = int(num)
            if pending_range and prev is not None and 0 < n - prev <= 20:
                found.extend(range(prev + 1, n + 1))
            else:
                found.append(n)
            prev, pending_range, after_sep, pos = n, False, False, t.end()
    out: list[int] = []
    for n in found:
        if n not in out:
            out.append(n)
    return out


_QUOTE_CHARS = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"'})
_ELLIPSIS = re.compile(r"\[\s*(?:\.\s*){3}\]|\[\s*\u2026\s*\]|\.{3,}|\u2026|\(\s*(?:\.\s*){3}\)")


def quote_fragments(comment: str) -> list[str]:
    """Quoted passages of a comment, split at ellipses; fragments of >= MIN_WORDS words."""
    text = (comment or "").translate(_QUOTE_CHARS).replace("''", '"')
    out: list[str] = []
    for m in re.finditer(r'"([^"]+)"', text):
        for frag in _ELLIPSIS.split(m.group(1)):
            frag = frag.strip(" \t\n,;:.-\u2013\u2014")
            if len(norm_words(frag)) >= MIN_WORDS and frag not in out:
                out.append(frag)
    return out


# ----------------------------------------------------------------------------- quote location


class DocIndex:
    """Normalised words of one document with a word-trigram index."""

    def __init__(self, raw: str):
        self.raw = raw
        self.words, self.spans = doc_words(raw)
        self.tri: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        w = self.words
        for i in range(len(w) - 2):
            self.tri[(w[i], w[i + 1], w[i + 2])].append(i)

    def trigrams(self) -> set[tuple[str, str, str]]:
        return set(self.tri)

    def locate(self, quote: str) -> tuple[int, int, float] | None:
        """(char_start, char_end, similarity) of the best location of ``quote``, or None."""
        q = norm_words(quote)
        n = len(q)
        if n < 3:
            return None
        w = self.words
        first = self.tri.get((q[0], q[1], q[2]), [])
        for i in first:
            if w[i : i + n] == q:
                return self.spans[i][0], self.spans[i + n - 1][1], 1.0
        votes: Counter[int] = Counter()
        for j in range(n - 2):
            for i in self.tri.get((q[j], q[j + 1], q[j + 2]), ()):
                votes[i - j] += 1
        need = max(2, int(0.25 * (n - 2)))
        starts = sorted((s for s, v in votes.items() if v >= need), key=lambda s: (-votes[s], s))[:8]
        # per candidate start, the window (start +-2, length +-3 words) that reads most alike word by word;
        # then the character-level ratio of that window decides
        words_sm = difflib.SequenceMatcher(None, autojunk=False)
        words_sm.set_seq2(q)
        chars_sm = difflib.SequenceMatcher(None, autojunk=False)
        chars_sm.set_seq2(" ".join(q))
        best: tuple[float, int, int] | None = None
        for s0 in starts:
            window: tuple[float, int, int] | None = None
            for s in range(max(0, s0 - 2), s0 + 3):
                for length in range(max(3, n - 3), n + 4):
                    e = s + length
                    if e > len(w):
                        continue
                    words_sm.set_seq1(w[s:e])
                    r = words_sm.ratio()
                    if window is None or r > window[0]:
                        window = (r, s, e)
            if window is None:
                continue
            _, s, e = window
            chars_sm.set_seq1(" ".join(w[s:e]))
            if chars_sm.real_quick_ratio() < FUZZY - 0.05 or chars_sm.quick_ratio() < FUZZY - 0.05:
                continue
            r = chars_sm.ratio()
            if best is None or r > best[0] or (r == best[0] and (s, e) < (best[1], best[2])):
                best = (r, s, e)
        if best is None or best[0] < FUZZY - 0.05:
            return None
        # refine the boundaries of the best window on the character-level ratio (start and end +-3 words)
        _, s1, e1 = best
        for s in range(max(0, s1 - 3), s1 + 4):
            for e in range(max(s + 3, e1 - 3), min(len(w), e1 + 3) + 1):
                chars_sm.set_seq1(" ".join(w[s:e]))
                if chars_sm.real_quick_ratio() < best[0] or chars_sm.quick_ratio() < best[0]:
                    continue
                r = chars_sm.ratio()
                if r > best[0] or (r == best[0] and (s, e) < (best[1], best[2])):
                    best = (r, s, e)
        _, s, e = best
        # where the quote's first / last three words occur within three words of the window's edges,
        # the span starts / ends there (difflib's ratio sometimes prefers a window without them)
        s = next((x for x in sorted(range(max(0, s - 3), s + 4), key=lambda x: (abs(x - s), x)) if w[x : x + 3] == q[:3]), s)
        e = next((x for x in sorted(range(max(s + 3, e - 3), min(len(w), e + 3) + 1), key=lambda x: (abs(x - e), x))
                  if w[x - 3 : x] == q[-3:]), e)
        # the reported similarity: ratio(normalised quote, normalised span), as span_similarity computes it
        r = difflib.SequenceMatcher(None, " ".join(q), " ".join(w[s:e]), autojunk=False).ratio()
        if r >= FUZZY:
            return self.spans[s][0], self.spans[e - 1][1], round(r, 4)
        return None


def span_similarity(raw: str, start: int, end: int, quote: str) -> float:
    a, b = " ".join(doc_words(raw[start:end])[0]), " ".join(norm_words(quote))
    return 1.0 if a == b else difflib.SequenceMatcher(None, b, a, autojunk=False).ratio()


def containment(a: set, b: set) -> float:
    """min of the shares of a's and b's trigrams found in the other."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return min(inter / len(a), inter / len(b))


def _alike(a: str, b: str, at: float = 0.8) -> bool:
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sm.real_quick_ratio() >= at and sm.quick_ratio() >= at and sm.ratio() >= at


def group_passages(quotes: list[str]) -> list[list[str]]:
    """Quote fragments grouped by passage: a fragment joins a group when it contains, or is
    contained in, one of its members, or reads alike (difflib ratio >= 0.8)."""
    groups: list[list[str]] = []
    normed: list[list[str]] = []
    for q in quotes:
        nq = " ".join(norm_words(q))
        for g, ng in zip(groups, normed):
            if any(nq in m or m in nq or _alike(nq, m) for m in ng):
                g.append(q)
                ng.append(nq)
                break
        else:
            groups.append([q])
            normed.append([nq])
    return groups

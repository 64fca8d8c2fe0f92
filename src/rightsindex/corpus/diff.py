"""Diff two versions passage by passage, with a character-level diff inside changed passages, in
time linear in the passages (up to a log factor) and within a size and time budget.

The first diff compared every re-worded passage with every other one: 117 KiB of re-worded
passages took 108 s, 1 MB did not finish, and eight such requests took the web app down. Here:

1. **Alignment** (which passages are the same, whitespace and Markdown aside): common prefix and
   suffix, then the passages that occur once on each side are anchors, kept in order by a longest
   increasing subsequence (patience diff), and the gaps between anchors are aligned the same way,
   a few levels deep; a gap with no anchor that is small is aligned by ``difflib``. Identical
   passages that repeat (a hostile 50,000 times) cost no more than distinct ones.
2. **Pairing** (which removed passage a re-worded one comes from): each new passage of a gap is
   compared only with the removed passages that share its rarer words (an index of words; a word
   found in many passages of the gap is no clue), the best by word overlap first, then by the ratio
   of matching words in order; pairs below ``threshold`` are an addition and a removal.
3. **Inline diff** of each pair with diff-match-patch (characters: works for Chinese), cleaned up
   for reading.

Budget: versions holding more than ``MAX_DIFF_CHARS`` characters together, or a diff that runs past
``MAX_DIFF_SECONDS``, raise :class:`DiffTooLarge` ("too large to diff: …"), which every caller
(``corpus diff``, ``compare``, ``watch``, the web app) turns into that answer.
"""

from __future__ import annotations

import bisect
import difflib
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from . import limits

__all__ = ["DiffEntry", "DiffTooLarge", "VersionDiff", "diff_passages", "diff_versions", "inline_diff"]

_NOISE = re.compile(r"[\s*_#>`|~]+|^\s*(?:[-+•·]|\d{1,3}[.)])\s+")
_TOKENS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|\w+")
_SMALL_GAP = 2_500  # cells (old x new passages) a gap without anchors may be aligned by difflib
_DIFFLIB_CELLS = 250_000  # versions this small (old x new passages), without many repeats, are aligned by difflib
_DEPTH = 6  # levels of anchors inside gaps
_FULL_PAIRING = 400  # a gap with fewer old x new passages compares every pair
_CANDIDATES = 4  # removed passages compared in order with each new one in a larger gap
_SHORTLIST = 16  # removed passages sharing the most rare words, whose word sets are compared
_COMMON = 32  # a word in more removed passages of a gap than this is no clue to pair by


class DiffTooLarge(ValueError):
    """Two versions that cannot be diffed within the budget; the message says why."""


def _key(text: str) -> str:
    """Text with whitespace and Markdown formatting removed: what counts as the same passage."""
    return _NOISE.sub("", text)


@dataclass
class DiffEntry:
    status: str  # added | removed | changed | unchanged
    old: Any = None  # a passage (.text, .heading, .seq)
    new: Any = None
    _inline: list[tuple[int, str]] | None = field(default=None, repr=False)

    @property
    def inline(self) -> list[tuple[int, str]]:
        """For a changed passage: [(op, text)] with op -1 deleted, 0 equal, 1 inserted
        (diff-match-patch), computed when first asked for (``compare`` asks for a few)."""
        if self._inline is None:
            self._inline = inline_diff(self.old.text, self.new.text) if self.status == "changed" else []
        return self._inline

    @property
    def heading(self) -> str:
        return (self.new or self.old).heading


@dataclass
class VersionDiff:
    old: Any
    new: Any
    entries: list[DiffEntry]

    def counts(self) -> dict[str, int]:
        out = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
        for e in self.entries:
            out[e.status] += 1
        return out

    @property
    def changes(self) -> list[DiffEntry]:
        return [e for e in self.entries if e.status != "unchanged"]


class _Clock:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.ticks = 0

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def check(self, every: int = 1) -> None:
        self.ticks += 1
        if self.ticks % every == 0 and time.monotonic() > self.deadline:
            raise DiffTooLarge(f"too large to diff: more than {self.seconds:g} s (a limit of rightsindex.corpus.limits)")


def inline_diff(old: str, new: str, timeout: float = 1.0) -> list[tuple[int, str]]:
    """Character-level diff (works for Chinese), cleaned up for human reading."""
    from diff_match_patch import diff_match_patch

    dmp = diff_match_patch()
    dmp.Diff_Timeout = max(timeout, 0.01)
    diffs = dmp.diff_main(old, new)
    dmp.diff_cleanupSemantic(diffs)
    return [(op, text) for op, text in diffs]


# -- alignment ---------------------------------------------------------------------------------------


def _lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of ``pairs`` (sorted by their first item) increasing in their second."""
    tails: list[int] = []  # smallest second item ending a run of each length
    tail_at: list[int] = []  # index in pairs of that end
    back: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        n = bisect.bisect_left(tails, j)
        if n == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[n] = j
            tail_at[n] = k
        back[k] = tail_at[n - 1] if n else -1
    out = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        out.append(pairs[k])
        k = back[k]
    out.reverse()
    return out


def _match(a: Sequence[str], b: Sequence[str], clock: _Clock) -> list[tuple[int, int]]:
    """Pairs (i, j) of equal items, increasing in both: the same passages in both versions.

    Versions of up to a few hundred passages that rarely repeat one are aligned by ``difflib``
    (longest blocks first, as before); larger ones, or ones that repeat passages a lot (difflib is
    quadratic in repeats), by anchors."""
    if len(a) * len(b) <= _DIFFLIB_CELLS:
        count_b = Counter(b)
        if sum(count_b.get(x, 0) for x in a) <= 4 * (len(a) + len(b)):
            sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
            return [(blk.a + k, blk.b + k) for blk in sm.get_matching_blocks() for k in range(blk.size)]
    out: list[tuple[int, int]] = []
    # an explicit stack of gaps (and anchors to emit in between), so that deep pages cost no recursion
    stack: list[tuple] = [("gap", 0, len(a), 0, len(b), 0)]
    while stack:
        item = stack.pop()
        if item[0] == "pair":
            out.append((item[1], item[2]))
            continue
        _, alo, ahi, blo, bhi, depth = item
        clock.check(64)
        while alo < ahi and blo < bhi and a[alo] == b[blo]:  # common prefix
            out.append((alo, blo))
            alo, blo = alo + 1, blo + 1
        tail = []
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:  # common suffix
            ahi, bhi = ahi - 1, bhi - 1
            tail.append(("pair", ahi, bhi))
        if alo < ahi and blo < bhi:
            middle = _anchors(a, alo, ahi, b, blo, bhi) if depth < _DEPTH else []
            if middle:
                todo: list[tuple] = []
                i0, j0 = alo, blo
                for i, j in middle:
                    todo.append(("gap", i0, i, j0, j, depth + 1))
                    todo.append(("pair", i, j))
                    i0, j0 = i + 1, j + 1
                todo.append(("gap", i0, ahi, j0, bhi, depth + 1))
                stack.extend(tail)  # the suffix comes after everything in the middle
                stack.extend(reversed(todo))
                continue
            if (ahi - alo) * (bhi - blo) <= _SMALL_GAP:
                sm = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
                for block in sm.get_matching_blocks():
                    out.extend((alo + block.a + k, blo + block.b + k) for k in range(block.size))
        out.extend((p[1], p[2]) for p in reversed(tail))
    return out


def _anchors(a: Sequence[str], alo: int, ahi: int, b: Sequence[str], blo: int, bhi: int) -> list[tuple[int, int]]:
    """Items that occur once in a[alo:ahi] and once in b[blo:bhi], in an order both agree on."""
    count_a = Counter(a[alo:ahi])
    count_b = Counter(b[blo:bhi])
    where_b = {b[j]: j for j in range(blo, bhi) if count_b[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(alo, ahi) if count_a[a[i]] == 1 and a[i] in where_b]
    return _lis(pairs)


def _opcodes(matches: list[tuple[int, int]], n: int, m: int) -> list[tuple[str, int, int, int, int]]:
    """SequenceMatcher-style opcodes from matched pairs."""
    ops = []
    i = j = 0
    for mi, mj in [*matches, (n, m)]:
        if i < mi or j < mj:
            tag = "replace" if i < mi and j < mj else "delete" if i < mi else "insert"
            ops.append((tag, i, mi, j, mj))
        if mi < n and mj < m:
            if ops and ops[-1][0] == "equal" and ops[-1][2] == mi and ops[-1][4] == mj:
                ops[-1] = ("equal", ops[-1][1], mi + 1, ops[-1][3], mj + 1)
            else:
                ops.append(("equal", mi, mi + 1, mj, mj + 1))
        i, j = mi + 1, mj + 1
    return ops


# -- pairing -----------------------------------------------------------------------------------------


def _similar(ot: list[str], nt: list[str], so: set, sn: set, threshold: float, best: float) -> float:
    """The ratio of matching words in order, or 0 when the word sets overlap too little or it
    cannot beat ``best``."""
    if not so or not sn or len(so & sn) / len(so | sn) < threshold * 0.6:
        return 0.0
    sm = difflib.SequenceMatcher(None, ot, nt, autojunk=False)
    if sm.real_quick_ratio() <= best or sm.quick_ratio() <= best:
        return 0.0
    return sm.ratio()


def _pair(olds: list[int], news: list[int], tokens_old, tokens_new, sets_old, sets_new, threshold: float, clock: _Clock) -> dict[int, int]:
    """new index → old index for the re-worded passages of one gap."""
    paired: dict[int, int] = {}
    used: set[int] = set()
    full = len(olds) * len(news) <= _FULL_PAIRING
    index: dict[str, list[int]] = {}
    if not full:
        for i in olds:
            for t in sets_old[i]:
                index.setdefault(t, []).append(i)
    for j in news:
        clock.check(16)
        if full:
            candidates = olds
        else:
            shared: Counter[int] = Counter()
            for t in sets_new[j]:
                posting = index.get(t)
                if posting is not None and len(posting) <= _COMMON:
                    shared.update(posting)
            sn = sets_new[j]
            shortlist = [i for i, _ in shared.most_common(_SHORTLIST) if i not in used]
            shortlist.sort(key=lambda i: (-len(sets_old[i] & sn) / max(len(sets_old[i] | sn), 1), i))
            candidates = sorted(shortlist[:_CANDIDATES])
        best, best_score = None, threshold
        for i in candidates:
            if i in used:
                continue
            score = _similar(tokens_old[i], tokens_new[j], sets_old[i], sets_new[j], threshold, best_score)
            if score > best_score:
                best, best_score = i, score
        if best is not None:
            paired[j] = best
            used.add(best)
    return paired


def diff_passages(
    old: Sequence, new: Sequence, *, threshold: float = 0.5, seconds: float | None = None, inline: bool = True,
) -> list[DiffEntry]:
    """Align two passage lists (objects with ``.text``); whitespace and formatting-only differences
    count as unchanged. :class:`DiffTooLarge` past ``MAX_DIFF_CHARS`` or ``seconds``
    (``MAX_DIFF_SECONDS``). ``inline=False``: the character-level diffs of changed passages are
    left to be computed when first read (for callers that read a few)."""
    size = sum(len(p.text) for p in old) + sum(len(p.text) for p in new)
    if size > limits.MAX_DIFF_CHARS:
        raise DiffTooLarge(
            f"too large to diff: {size:,} characters in the two versions, more than {limits.MAX_DIFF_CHARS:,}"
            " (a limit of rightsindex.corpus.limits)"
        )
    clock = _Clock(limits.MAX_DIFF_SECONDS if seconds is None else seconds)
    old_keys = [_key(p.text) for p in old]
    new_keys = [_key(p.text) for p in new]
    clock.check()
    entries: list[DiffEntry] = []
    for tag, i1, i2, j1, j2 in _opcodes(_match(old_keys, new_keys, clock), len(old), len(new)):
        if tag == "equal":
            entries.extend(DiffEntry("unchanged", old[i], new[j]) for i, j in zip(range(i1, i2), range(j1, j2)))
            continue
        olds = list(range(i1, i2))
        news = list(range(j1, j2))
        tokens_old = {i: _TOKENS.findall(old[i].text.lower()) for i in olds}
        tokens_new = {j: _TOKENS.findall(new[j].text.lower()) for j in news}
        sets_old = {i: set(t) for i, t in tokens_old.items()}
        sets_new = {j: set(t) for j, t in tokens_new.items()}
        paired = _pair(olds, news, tokens_old, tokens_new, sets_old, sets_new, threshold, clock) if olds and news else {}
        pending_old = [i for i in olds if i not in set(paired.values())]
        pending_at = 0
        for j in news:
            if j in paired:
                i = paired[j]
                # removed passages that came before this pair keep their place
                while pending_at < len(pending_old) and pending_old[pending_at] < i:
                    entries.append(DiffEntry("removed", old[pending_old[pending_at]], None))
                    pending_at += 1
                clock.check()
                marks = inline_diff(old[i].text, new[j].text, min(1.0, clock.left())) if inline else None
                entries.append(DiffEntry("changed", old[i], new[j], marks))
            else:
                entries.append(DiffEntry("added", None, new[j]))
        entries.extend(DiffEntry("removed", old[i], None) for i in pending_old[pending_at:])
    return entries


def diff_versions(old, new, *, seconds: float | None = None, inline: bool = True) -> VersionDiff:
    """The passage diff of two versions (see :func:`diff_passages`)."""
    return VersionDiff(old, new, diff_passages(old.passages, new.passages, seconds=seconds, inline=inline))

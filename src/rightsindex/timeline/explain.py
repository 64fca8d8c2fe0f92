"""Why an answer moved: the version that made the move, the passage that moved it — or, when that
passage did not change the way the move goes, that the move is the grader's reading.

**The passage a move rests on** (``rests_on``). An answer that says something (yes, partial, no)
cites first the passage that earns it (``evidence.decision``). When one of the two answers says
something and the other found nothing, the move rests on the first passage of the one that says
something: the text must have added it (a later answer's) or taken it away (an earlier one's).
Between full and partial credit, a gain rests on the later answer's passage and a loss on the
earlier one's; otherwise (a refusal now, a reversed element) on the later answer's.

**Did the text move it?** That passage is looked up on the other side (``regrade.Side.holds``,
by substance) and, where it is not there, in the passage diff between the two versions of its
document (``corpus.versions.diff_versions``): added, removed, or re-worded with words added or
taken away. The text explains the move only when it changed the way the move goes: words added
for a passage the later answer rests on, words taken away for one the earlier answer rests on.
Otherwise — the passage is unchanged, or it only gained words while the answer lost credit (or
the reverse) — the explanation says that the move is the grader's reading, and names what
changed nearby (the first other cited passage that changed: why the grader read again).

**The version that made it.** Between the two sides a document may have several versions (an
as-of series, two editions): the move is credited to the first version from which one of the
sentences the change added (or took away) is there (or gone) for good — ``until`` names the last
version that changed the passage again, when another did. ``compare`` first narrows the two
sides to the two gradings in between (if any) across which the answer took its later value.

    texts = Texts(session)
    why = because(texts, before="partial", after="no disclosure found", direction="declined",
                  old_items=..., new_items=..., old=old_side, new=new_side)
    why["kind"]          # "text" or "reading"
    sentence(why)        # " after the 2021-08-19 update of the … (version 2) removed: “…”."
    reason(why)          # "WeChat Privacy Policy (version 2, 2021-08-19) no longer contains …"
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import load_only

from ..store.models import Version
from .text import plain, substance

log = logging.getLogger(__name__)

__all__ = ["Texts", "because", "direction", "overlap", "reason", "rests_on", "sentence", "summary", "turn", "when"]


def overlap(entry_text: str, item_text: str) -> int:
    """How much of a cited text a diff entry's passage covers (0: unrelated). A passage inside a
    cited list counts when it is not a mere fragment (a heading, a label)."""
    se, si = substance(entry_text), substance(item_text)
    if not se or not si:
        return 0
    if si in se:
        return len(si)
    if se in si and len(se) >= min(40, len(si)):
        return len(se)
    return 0


class Texts:
    """Versions, their substance and their passage diffs, read once per session."""

    def __init__(self, session):
        self.session = session
        self._subs: dict[int, str] = {}
        self._chains: dict[int, list[Version]] = {}
        self._diffs: dict[tuple[int, int], list] = {}

    def substance(self, version_id: int) -> str:
        if version_id not in self._subs:
            text = self.session.scalar(select(Version.text).where(Version.id == version_id))
            self._subs[version_id] = substance(text or "")
        return self._subs[version_id]

    def chain(self, version_id: int) -> list[Version]:
        """Every version of the document of ``version_id``, by the day it is in force from."""
        from ..corpus.versions import order_key

        v = self.session.get(Version, version_id)
        if v is None:
            return []
        if v.document_id not in self._chains:
            self._chains[v.document_id] = sorted(
                self.session.scalars(
                    select(Version).where(Version.document_id == v.document_id)
                    .options(load_only(Version.id, Version.seq, Version.document_id, Version.version_date, Version.recorded_at))
                ),
                key=order_key,
            )
        return self._chains[v.document_id]

    def changes(self, old_id: int, new_id: int) -> list:
        """The passage diff between two versions (``corpus.versions.DiffEntry``, changes only);
        none when the versions are too large to diff (``corpus.diff``: the move then shows the
        cited passages themselves)."""
        from ..corpus.diff import DiffTooLarge
        from ..corpus.versions import diff_versions

        key = (old_id, new_id)
        if key not in self._diffs:
            old, new = self.session.get(Version, old_id), self.session.get(Version, new_id)
            try:  # character-level marks only for the entries a move shows (computed when read)
                self._diffs[key] = [e for e in diff_versions(old, new, inline=False).entries if e.status != "unchanged"]
            except DiffTooLarge as exc:
                log.warning("%s: %s, version %s → %s", old.document.key, exc, old.seq, new.seq)
                self._diffs[key] = []
        return self._diffs[key]

    def turning(self, old_id: int, new_id: int, texts: str | list[str], *, appeared: bool) -> Version | None:
        """The version, after ``old_id`` and up to ``new_id``, from which ``texts`` are in the
        document (``appeared``) or no longer in it, and stay so up to ``new_id`` (of several texts,
        the earliest: ``span``)."""
        return self.span(old_id, new_id, texts, appeared=appeared)[0]

    def span(self, old_id: int, new_id: int, texts: str | list[str], *, appeared: bool) -> tuple[Version | None, Version | None]:
        """The first and the last version, after ``old_id`` and up to ``new_id``, from which one of
        ``texts`` (the sentences a change added or took away) is in the document (``appeared``) or
        no longer in it, and stays so up to ``new_id``: the version that first made the change, and
        the last that changed the passage again (the same when one version made it all).
        ``new_id``'s version, twice, when the order says nothing (the same version, or ``new_id``
        the earlier)."""
        chain = self.chain(new_id)
        ids = [v.id for v in chain]
        if old_id not in ids or new_id not in ids:
            v = self.session.get(Version, new_id)
            return v, v
        i, j = ids.index(old_id), ids.index(new_id)
        if i >= j:
            return chain[j], chain[j]
        needles = [n for n in (substance(t) for t in ([texts] if isinstance(texts, str) else texts)) if n]
        # a text the earlier version already had (or lacked), elsewhere in it, says nothing of when
        needles = [n for n in needles if (n in self.substance(chain[i].id)) != appeared] or needles[:1] or [""]
        found = []
        for needle in needles:
            k = j
            while k - 1 > i and (not needle or (needle in self.substance(chain[k - 1].id)) == appeared):
                k -= 1
            found.append(k)
        return chain[min(found)], chain[max(found)]


_SENTENCE_END = re.compile(r"(?<=[.!?;:。！？；：])\s+|(?<=[。！？；])")


def sentences(text: str, at_least: int = 15) -> list[str]:
    """The sentences of a text (or of a fragment) with at least ``at_least`` characters of substance:
    what ``Texts.turning`` looks for, version by version."""
    return [p for p in _SENTENCE_END.split(text or "") if len(substance(p)) >= at_least]


def direction(before: str, after: str, reversed_scoring: bool = False) -> str:
    """``same``, ``improved``, ``declined`` or ``changed`` (another answer of the same score)."""
    from ..scoring import element_score

    if before == after:
        return "same"
    s0, s1 = element_score(before, reversed_scoring), element_score(after, reversed_scoring)
    if s0 is None or s1 is None or s0 == s1:
        return "changed"
    return "improved" if s1 > s0 else "declined"


def when(v: dict | None, title: str) -> str:
    """``the 2021-08-19 update of the WeChat Privacy Policy (version 2)``."""
    if not v:
        return f"a change to the {title}"
    return f"the {v['date']} update of the {title} (version {v['version']})"


def _doc_version(v: Version | None, key: str, title: str) -> dict | None:
    if v is None:
        return None
    from ..corpus.versions import in_force_date

    return {"document": key, "title": title, "version": v.seq, "version_id": v.id, "date": in_force_date(v).isoformat()}


def _words(ops, sign: int) -> str:
    return " … ".join(t for t in (" ".join(plain(x).split()) for op, x in ops if op == sign and substance(x)) if t)


def turn(texts: Texts, item: dict, side: str, old, new) -> dict:
    """What became of one cited passage between the two sides (``regrade.Side``): ``status``
    (unchanged, added, removed, changed), the words added and taken away, the diff entries (as
    ``compare`` shows them), the version that made the change (``version``; ``until``: the last
    version that changed the passage again, when another)."""
    key, text = item.get("path", ""), item.get("text", "")
    here, there = (old, new) if side == "old" else (new, old)
    o, n = old.docs.get(key), new.docs.get(key)
    doc = n or o
    title = doc.title if doc else key
    out: dict[str, Any] = {"side": side, "document": key, "title": title, "passage": text, "support": item.get("support"),
                           "status": "unchanged", "added": "", "removed": "", "entries": [], "version": None, "until": None}
    if there.holds(key, text, same_as=here):
        return out
    base = {"document": key, "title": title, "side": side,
            "from": {"version": o.seq, "date": o.when.isoformat()} if o else None,
            "to": {"version": n.seq, "date": n.when.isoformat()} if n else None}
    if o is None or n is None:  # one side has no version of the document (it came or went, or an earlier edition's CSV)
        status = "added" if side == "new" else "removed"
        out.update(status=status, entries=[{**base, "status": status, "old": text if side == "old" else None,
                                            "new": text if side == "new" else None, "inline": []}])
        out[status] = " ".join(plain(text).split())
        if doc is not None:
            out["version"] = {"document": key, "title": title, "version": doc.seq, "version_id": doc.version_id, "date": doc.when.isoformat()}
        return out
    scored = []
    for entry in texts.changes(o.version_id, n.version_id):
        mine = entry.old if side == "old" else entry.new
        size = overlap(mine.text, text) if mine is not None else 0
        if size:
            scored.append((size, entry))
    scored.sort(key=lambda x: -x[0])
    entries = [
        {**base, "status": e.status, "old": e.old.text if e.old else None, "new": e.new.text if e.new else None,
         "inline": [[op, t] for op, t in e.inline]}
        for _, e in scored[:3]
    ]
    if not entries:  # a list cited whole, or text that moved across passages: the cited text itself
        entries = [{**base, "status": "removed" if side == "old" else "added", "old": text if side == "old" else None,
                    "new": text if side == "new" else None, "inline": []}]
    added = [_words(e["inline"], 1) if e["status"] == "changed" else " ".join(plain(e["new"] or "").split()) for e in entries if e["status"] != "removed"]
    removed = [_words(e["inline"], -1) if e["status"] == "changed" else " ".join(plain(e["old"] or "").split()) for e in entries if e["status"] != "added"]
    # what to follow version by version: the sentences the change brought (or took away), else the passage
    sign = 1 if side == "new" else -1
    parts = [x for e in entries for x in ([t for op, t in e["inline"] if op == sign] if e["status"] == "changed" else [e["new" if side == "new" else "old"] or ""])]
    follow = [x for p in parts for x in sentences(p)] or [text]
    first, last = texts.span(o.version_id, n.version_id, follow, appeared=side == "new")
    out.update(
        status="changed" if any(e["status"] == "changed" for e in entries) else entries[0]["status"],
        added=" … ".join(w for w in added if w), removed=" … ".join(w for w in removed if w), entries=entries,
        version=_doc_version(first, key, title), until=_doc_version(last, key, title) if last is not None and last is not first else None,
    )
    return out


def rests_on(before: str | None, after: str | None, direction: str, reversed_scoring: bool = False) -> tuple[str, str]:
    """Which answer's first passage a move rests on (``old`` or ``new``) and what the text must
    have done to it for the move to be the text's (``added`` or ``removed``): the passage of the
    answer that says something (yes, partial, no) when the other found nothing; between full and
    partial credit, the later answer's for a gain and the earlier one's for a loss; otherwise
    (a refusal now, or a reversed element) the later answer's, which says something new."""
    says = ("yes", "partial", "no")
    if (before in says) != (after in says):
        side = "new" if after in says else "old"
    elif {before, after} == {"yes", "partial"} and not reversed_scoring:
        side = "new" if direction == "improved" else "old"
    else:
        side = "new"
    return side, ("added" if side == "new" else "removed")


def because(texts: Texts, *, before: str | None, after: str | None, direction: str, old_items: list[dict], new_items: list[dict],
            old, new, reversed_scoring: bool = False, depth: int = 3) -> dict:
    """Why a move happened (see the module's notes): ``{"kind": "text" | "reading", "side",
    "expects", "turn", "nearby"}``: ``turn``, what became of the passage the move rests on (None:
    the answer cites none); ``nearby``, when the move is the grader's reading, what became of the
    first other passage of the first ``depth`` cited by either answer that changed (what made the
    grader read again), else None."""
    side, expects = rests_on(before, after, direction, reversed_scoring)
    items = new_items if side == "new" else old_items
    t = turn(texts, items[0], side, old, new) if items else None
    moved_by_text = t is not None and bool(t[expects])
    out = {"kind": "text" if moved_by_text else "reading", "side": side, "expects": expects, "turn": t, "nearby": None}
    if not moved_by_text:
        for s, e in [("old", e) for e in old_items[:depth]] + [("new", e) for e in new_items[:depth]]:
            if items and e is items[0]:
                continue
            other = turn(texts, e, s, old, new)
            if other["status"] != "unchanged":
                out["nearby"] = other
                break
    return out


def summary(why: dict) -> dict:
    """``because`` as plain data for JSON (the feed, ``compare --format json``): kind, the answer it
    rests on, the passage, its document and the version that made the change."""
    t = why.get("turn") or {}
    return {"kind": why["kind"], "rests_on": "later answer" if why["side"] == "new" else "earlier answer",
            "status": t.get("status"), "document": t.get("document"), "version": t.get("version"), "until": t.get("until"),
            "passage": t.get("passage"), "added": t.get("added"), "removed": t.get("removed")}


def _short(text: str, n: int = 240) -> str:
    t = " ".join(plain(text).split())
    return t if len(t) <= n else t[: n - 1].rstrip() + "…"


def _reworded(t: dict) -> str:
    where = _short(t["entries"][0].get("new") or t["entries"][0].get("old") or t["passage"], 90) if t["entries"] else _short(t["passage"], 90)
    if t["added"] and not t["removed"]:
        return f"added to “{where}”: “{_short(t['added'], 200)}”"
    if t["removed"] and not t["added"]:
        return f"removed from “{where}”: “{_short(t['removed'], 200)}”"
    return f"changed “{_short(t['removed'], 120)}” to “{_short(t['added'], 120)}” in “{where}”"


def _what(t: dict) -> str:
    """What a version did to a passage, in words: ``added: “…”``, ``removed: “…”``, …"""
    if t["status"] == "added":
        return f"added: “{_short(t['passage'])}”"
    if t["status"] == "removed":
        return f"removed: “{_short(t['passage'])}”"
    return _reworded(t)


def _support(t: dict) -> str:
    s = t.get("support")
    return f" (read as answering it: {round(float(s) * 100):.0f} %)" if isinstance(s, (int, float)) else ""


def sentence(why: dict) -> str:
    """The explanation as the end of a sentence (after "This is an improvement to … from …" or
    "Re-graded (… → …)"): starting with a comma or "after", ending with a full stop."""
    t = why["turn"]
    which = "later" if why["side"] == "new" else "earlier"
    if why["kind"] == "text":
        again = f" (the passage was changed again up to version {t['until']['version']}, {t['until']['date']})" if t.get("until") else ""
        return f" after {when(t['version'], t['title'])} {_what(t)}{again}."
    if t is None:
        head = f", with no passage cited by the {which} answer"
    elif t["status"] == "unchanged":
        head = f", while the passage the {which} answer rests on is unchanged ({t['title']}: “{_short(t['passage'], 160)}”{_support(t)})"
    else:  # changed, but not the way the move goes
        did = "only added words to" if why["expects"] == "removed" else "only took words away from"
        head = (f", although {when(t['version'], t['title'])} {did} the passage the {which} answer rests on"
                f"{_support(t)} and {'took nothing away from' if why['expects'] == 'removed' else 'added nothing to'} it ({_reworded(t)})")
    tail = ": the move is the grader's reading of the texts, not a passage that " + ("went" if why["expects"] == "removed" else "came")
    nearby = why.get("nearby")
    if nearby is not None:
        tail += f" (it read them again because {when(nearby['version'], nearby['title'])} {_what(nearby)})"
    return head + tail + "."


def _in(v: dict | None, title: str) -> str:
    """``WeChat Privacy Policy (version 17, 2026-04-08)``: where a re-grade's reason points."""
    return f"{title} (version {v['version']}, {v['date']})" if v else title


def reason(why: dict) -> str:
    """The explanation as a re-graded judgment states it (after "Re-graded (… → …): "), naming the
    document version that made the move, or saying that the move is the grader's reading."""
    t = why["turn"]
    which = "previous" if why["side"] == "old" else "new"
    if why["kind"] == "text":
        where = _in(t["version"], t["title"])
        again = f" (changed again up to version {t['until']['version']}, {t['until']['date']})" if t.get("until") else ""
        if t["status"] == "removed":
            return f"{where} no longer contains the passage the previous answer cited: “{_short(t['passage'], 220)}”{again}."
        if t["status"] == "added":
            return f"{where} adds: “{_short(t['passage'], 220)}”{again}."
        return f"{where} {_reworded(t)}{again}."
    if t is None:
        head = f"the {which} answer cites no passage"
    elif t["status"] == "unchanged":
        head = f"the passage the {which} answer rests on is unchanged ({t['title']}: “{_short(t['passage'], 160)}”{_support(t)})"
    else:
        did = "only added words to" if why["expects"] == "removed" else "only took words away from"
        head = f"{_in(t['version'], t['title'])} {did} the passage the {which} answer rests on{_support(t)} ({_reworded(t)})"
    out = head + ": the move is the grader's reading, not a passage that " + ("went" if why["expects"] == "removed" else "came")
    nearby = why.get("nearby")
    if nearby is not None:
        out += f" (read again because {_in(nearby['version'], nearby['title'])} {_what(nearby)})"
    return out[0].upper() + out[1:] + "."

"""The feed of grade-affecting changes (``timeline.feed``) written as an Atom feed and a JSON list
(``watch`` writes both; the web app serves the same at ``/changes.atom`` and ``/api/changes``).

    entries = timeline.feed.recent_changes(session, limit=100)
    atom = atom_feed(entries, title="rightsindex: grade changes", feed_id="…", base_url="https://…")
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Iterable
from urllib.parse import quote

from ..formats.visible import reveal
from ..store.models import GradeChange
from ..timeline.feed import change_dict, utc

__all__ = ["atom_feed", "changes_json", "feed_id_for"]

ARROW = "→"


def changes_json(entries: Iterable[GradeChange]) -> str:
    return json.dumps({"changes": [change_dict(c) for c in entries]}, indent=1, ensure_ascii=False) + "\n"


def _title(c: GradeChange, label: str) -> str:
    return f"{c.company_key} · {c.level} · {label}: {c.before} {ARROW} {c.after} ({c.direction})"


def element_url(base_url: str, c: GradeChange) -> str:
    detail = c.detail or {}
    if detail.get("kind") == "duty":  # a notice duty: its item page
        return (f"{base_url.rstrip('/')}/frameworks/{quote(detail.get('framework', ''), safe='')}/items/{quote(detail.get('item', ''), safe='')}"
                f"?company={quote(c.company_key, safe='')}&assessment={c.assessment_id}")
    return (
        f"{base_url.rstrip('/')}/companies/{quote(c.company_key, safe='')}/elements/{quote(c.element, safe='')}"
        f"?level={quote(c.level, safe='')}&assessment={c.assessment_id}"
    )


def atom_feed(entries: list[GradeChange], *, title: str, feed_id: str, base_url: str | None = None, self_url: str | None = None) -> str:
    """An Atom 1.0 document (RFC 4287) of the given changes, newest first (feedgen). Every text is
    revealed (``formats.visible``): a control character, which XML does not allow, or a
    bidirectional override in a company id or a comment is shown as ``[U+XXXX]``, never breaks
    the feed and never reads as something else."""
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(reveal(title))
    fg.author({"name": "rightsindex"})
    fg.generator("rightsindex")
    fg.subtitle("Grades of the Ranking Digital Rights methodology that moved because a policy changed.")
    if base_url is not None:  # "" links relatively (the web app without a configured address)
        fg.link(href=f"{base_url.rstrip('/')}/changes", rel="alternate")
    if self_url:
        fg.link(href=self_url, rel="self")
    fg.language("en")
    newest = max((utc(c.at) for c in entries), default=datetime(1970, 1, 1, tzinfo=timezone.utc))
    fg.updated(newest)
    # feedgen lists entries in reverse order of addition: add oldest first so the newest leads
    for c in sorted(entries, key=lambda c: (utc(c.at), c.id)):
        d = change_dict(c)
        fe = fg.add_entry()
        fe.id(uuid.uuid5(uuid.NAMESPACE_URL, f"{feed_id}/change/{c.id}").urn)
        fe.title(reveal(_title(c, d["label"])))
        fe.updated(utc(c.at))
        fe.published(utc(c.at))
        body = [c.comment]
        if c.excerpt:
            body.append(c.excerpt)
        if d["after_versions"] or d["before_versions"]:
            def vs(items):
                return "; ".join(f"{v['title']} v{v['version']} ({v['date']})" for v in items) or "—"

            body.append(f"Versions: {vs(d['before_versions'])} {ARROW} {vs(d['after_versions'])}")
        fe.content(reveal("\n\n".join(str(b) for b in body)), type="text")
        fe.summary(reveal(c.comment or ""))
        fe.category(term=reveal(c.direction))
        fe.category(term=reveal(c.company_key))
        if base_url is not None:
            fe.link(href=element_url(base_url, c), rel="alternate")
    return fg.atom_str(pretty=True).decode("utf-8")


def feed_id_for(name: str) -> str:
    """A stable Atom id for a feed: a name-based UUID URN over ``name`` (e.g. the manifest's path)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"rightsindex:feed:{name}").urn

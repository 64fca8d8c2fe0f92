"""Constants and small helpers of the training-pack builder."""

from __future__ import annotations

import csv
import datetime as dt
import re
import sys
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

MIN_CHARS = 500  # shorter versions are degenerate extractions
MIN_WORDS = 8  # shorter quote fragments are not searched
FUZZY = 0.90  # difflib ratio accepted for a fuzzy quote location
SAME_DOC = 0.30  # word-3-gram share for a version to count as the same document as the anchor
ANCHOR_WINDOW_DAYS = 730
IN_FORCE_SLACK_DAYS = 31  # README figure: "in force or at most 31 days later"
YEAR = re.compile(r"^(19|20)\d\d$")

# terms types named by an RDR title or URL (checked in order; first hit wins)
TYPE_KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("Law Enforcement Guidelines", ("law enforcement",)),
    ("Trackers Policy", ("cookie",)),
    ("Copyright Claims Policy", ("copyright", "intellectual property", "dmca")),
    ("Community Guidelines", ("community guidelines", "community standards", "rules")),
    ("Acceptable Use Policy", ("acceptable use", "aup")),
    ("Developer Terms", ("developer",)),
    ("Privacy Policy", ("privacy",)),
    ("Terms of Service", ("terms", "agreement", "conditions", "tos")),
]




def fail(msg: str) -> None:
    sys.exit(f"build_training_pack: {msg}")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def norm_name(s: str) -> str:
    return re.sub(r"[^0-9a-z]", "", unicodedata.normalize("NFKD", s).lower())


def slugify(title: str, limit: int = 60) -> str:
    s = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return (s[:limit].rstrip("-") or "document")


def parse_date(raw: str) -> tuple[dt.date | None, str]:
    """RDR's DateAccessed, with a note when it had to be read another way."""
    raw = (raw or "").strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%B %d, %Y", "%d %B %Y"):
        try:
            d = dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
        if fmt == "%Y-%m-%d" and d > dt.date(2020, 12, 31) and d.day <= 12:
            swapped = dt.date(d.year, d.day, d.month)
            return swapped, f"DateAccessed {raw} read with day and month swapped"
        return d, ""
    return None, f"DateAccessed {raw!r} unreadable"


def url_key(url: str) -> str:
    """A URL without scheme, www, fragment, trailing slash and index pages, for 'same page' tests."""
    p = urlsplit(url.strip().lower())
    host = p.netloc.removeprefix("www.")
    path = re.sub(r"/index\.html?$", "", p.path).rstrip("/")
    query = "&".join(q for q in p.query.split("&") if q and not q.startswith(("spm=", "redirect=", "guccounter=", "impressions=", "rtc=")))
    return f"{host}{path}" + (f"?{query}" if query else "")


def host_labels(url: str) -> set[str]:
    host = urlsplit(url.strip().lower()).netloc.split(":")[0]
    return {norm_name(x) for x in host.split(".") if x and x not in {"www", "com", "org", "net", "co", "uk", "us"}}


def terms_types_named(title: str, url: str) -> set[str]:
    path = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", urlsplit(url).path)  # camelCase paths: terms.wirelessCustomerAgreement
    text = f"{title} {path}".lower()
    for ttype, words in TYPE_KEYWORDS:
        if any(re.search(rf"(?<![a-z]){re.escape(w)}", text) for w in words):
            return {ttype}
    return set()


def source_language(title: str, url: str) -> str:
    """The language RDR read, from the hints RDR leaves in titles and URLs."""
    t, u = title.lower(), url.lower()
    if "spanish" in t or "/es-" in u or "/es/" in u or "language=es" in u or "(spanish)" in t:
        return "es"
    if re.search(r"\(k\)", t) or "korean" in t or "localelanguage=ko" in u or "/sec/" in u:
        return "ko"
    if re.search(r"[\u4e00-\u9fff]", title):
        return "zh"
    return "en"


_EN = {"the", "and", "of", "to", "you", "your", "we", "our", "for", "or", "in", "with", "that", "is", "may", "by"}


def text_language(text: str) -> str:
    sample = text[:20000]
    letters = [c for c in sample if c.isalpha()]
    if not letters:
        return "und"
    hangul = sum("\uac00" <= c <= "\ud7a3" for c in letters) / len(letters)
    cjk = sum("\u4e00" <= c <= "\u9fff" for c in letters) / len(letters)
    if hangul > 0.3:
        return "ko"
    if cjk > 0.3:
        return "zh"
    words = re.findall(r"[a-z]+", sample.lower())
    if words and sum(w in _EN for w in words) / len(words) > 0.12:
        return "en"
    return "other"

"""Real versions of the WeChat privacy policy for the tests of policies over time.

They come from the committed example ``examples/wechat-2020-2026/wechat-privacy-policy.bundle``
(an excerpt of Open Terms Archive's recorded history, see NOTICE and that folder's SOURCES.md):
``versions()`` gives the text of each recorded content version by its day, ``commits()`` every
commit including the extraction-only ones ("Refilter", "Apply technical or declaration upgrade")
that ``import-ota`` skips. ``without_retention`` derives a version from a real one with every
statement about retention and deletion taken out (the retention column of its tables included).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import yaml

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "wechat-2020-2026"
BUNDLE = EXAMPLE / "wechat-privacy-policy.bundle"
FILE = "WeChat/Privacy Policy.md"
# the retention statement every recent version carries (2023-06-02 on)
RETENTION = "We do not retain Personal Information for longer than is necessary unless we are required or permitted to do so under applicable laws."


@lru_cache(maxsize=1)
def _repo() -> Path:
    from rightsindex.corpus.ota.repository import open_repo

    return open_repo(BUNDLE)


@lru_cache(maxsize=1)
def commits() -> list[tuple[str, str, str]]:
    """(ISO date-time, subject, text) of every commit of the example history, oldest first."""
    repo = _repo()
    log = subprocess.run(["git", "-C", str(repo), "log", "--reverse", "--format=%H%x1f%aI%x1f%s", "HEAD", "--", FILE],
                         check=True, capture_output=True, text=True).stdout
    out = []
    for line in log.splitlines():
        sha, when, subject = line.split("\x1f")
        text = subprocess.run(["git", "-C", str(repo), "show", f"{sha}:{FILE}"], check=True, capture_output=True).stdout.decode("utf-8")
        out.append((when, subject, text))
    return out


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Day → text of each content version (extraction-only commits left out), as OTA import reads them."""
    from rightsindex.corpus.ota.repository import history

    vs, _ = history(_repo(), "WeChat", "Privacy Policy")
    return {v.date.date().isoformat(): v.text for v in vs}


def extraction_pairs() -> list[tuple[str, str, str, str]]:
    """(day, subject, text before, text after) for each extraction-only commit: the content version
    in force just before it, and the text it recorded."""
    out = []
    previous = None
    for when, subject, text in commits():
        if subject.startswith(("Refilter", "Apply technical")) and previous is not None:
            out.append((when[:10], subject, previous, text))
        previous = text
    return out


_RET = re.compile(r"retain|retention|delete|deletion|erase", re.I)


def without_retention(text: str) -> str:
    """The text with every line about retention or deletion dropped, and the last (retention)
    column of its tables."""
    out = []
    for line in text.split("\n"):
        if line.startswith("|"):
            cells = line.split("|")
            if len(cells) >= 5:  # | information | purpose | retention |
                line = "|".join(cells[:-2] + [""])
            line = "|".join(c for c in line.split("|") if not _RET.search(c))
            out.append(line)
        elif not _RET.search(line):
            out.append(line)
    return "\n".join(out)


def manifest(tmp: Path, text: str, *, name: str = "wechat-privacy-policy.md") -> Path:
    """A one-document manifest (Tencent, WeChat; undated, so each new text is dated by its
    recording) whose document holds ``text``; call again with another text for a new version."""
    (tmp / name).write_text(text, "utf-8")
    raw = yaml.safe_load((EXAMPLE / "manifest.yaml").read_text("utf-8"))
    doc = raw["companies"][0]["documents"][0]
    doc.pop("version_date", None)
    doc["path"] = name
    path = tmp / "manifest.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def copy_example(tmp: Path) -> Path:
    """The example folder copied (manifest, latest text, bundle)."""
    dst = tmp / "wechat-2020-2026"
    shutil.copytree(EXAMPLE, dst)
    return dst


def url_manifest(folder: Path, url: str) -> Path:
    """The example's manifest with its WeChat policy read from ``url`` (as ``watch`` fetches it)
    instead of the committed file, written into ``folder``."""
    raw = yaml.safe_load((EXAMPLE / "manifest.yaml").read_text("utf-8"))
    doc = raw["companies"][0]["documents"][0]
    for k in ("path", "version_date"):
        doc.pop(k)
    doc["url"] = url
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path

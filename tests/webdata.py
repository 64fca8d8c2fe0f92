"""Real data for the review, web and browser tests, built by the tests themselves.

- ``assess_apple``: Apple's privacy and human-rights policies (examples/corpus-2026) assessed
  with ``run.assess`` (about 8 s);
- ``add_chinese_history``: Baidu's Chinese privacy policy ingested, then a changed version of it;
- ``add_hostile_documents``: tests/fixtures/extract/hostile.html, and the same markup kept raw in a
  Markdown file (Markdown extraction keeps inline HTML as text, so the page must escape it).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import yaml

from .conftest import FIXTURES, ROOT

EXAMPLE = ROOT / "examples" / "corpus-2026"
APPLE_DOCS = [
    {"path": "docs/Apple/apple-privacy-policy.md", "title": "Apple Privacy Policy", "type": "privacy-policy", "language": "en",
     "version_date": "2025-12-01"},
    {"path": "docs/Apple/apple-human-rights-policy.md", "title": "Apple Human Rights Policy", "type": "human-rights-policy",
     "language": "en", "levels": ["Group"]},
]
APPLE_SERVICES = [{"id": "iCloud", "kind": "cloud storage"}]
PASSWORD = "a long test passphrase"  # made up per test run: no real credential

# Payloads kept as text by Markdown extraction; each would set window.__pwned or open a dialog if run.
HOSTILE_MARKUP = """# Hostile policy

We collect data <script>window.__pwned = 1; alert('SCRIPT_RAN')</script> about you.

<img src="x" onerror="window.__pwned = 2; alert('ONERROR_RAN')"> Images are stored.

Contact us <a href="javascript:window.__pwned = 3">here</a> or <a href="javascript:alert('JS_LINK_RAN')">there</a>.

<iframe src="javascript:window.parent.__pwned = 4" srcdoc="<script>parent.__pwned = 5</script>"></iframe> Frames are not used.

<svg onload="window.__pwned = 6"><script>window.__pwned = 7</script></svg> We may share data with law enforcement.

"><script>window.__pwned = 8</script><div x=" Attribute break-out attempt.

{{ 7 * 7 }} Template text stays text.
"""


def apple_manifest(tmp: Path, *, index: str = "2026", name: str = "manifest.yaml") -> Path:
    for d in APPLE_DOCS:
        dst = tmp / d["path"]
        if not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(EXAMPLE / d["path"], dst)
    raw = {
        "index": index,
        "methodology": "rdr-2022",
        "companies": [{"id": "Apple", "name": "Apple Inc.", "type": "Digital Platform", "services": APPLE_SERVICES, "documents": APPLE_DOCS}],
    }
    path = tmp / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def assess_apple(tmp: Path, *, index: str = "2026") -> dict:
    from rightsindex.run import assess

    manifest = apple_manifest(tmp, index=index)
    out = tmp / "out"
    db = tmp / "web.sqlite"
    result = assess(manifest, out, db=f"sqlite:///{db}")
    return {"db_path": db, "db_url": f"sqlite:///{db}", "out": out, "manifest": manifest, "assessment_id": result.assessment_id, "tmp": tmp}


def copy_db(src: Path, dst: Path) -> str:
    """A consistent copy of a SQLite database (WAL included), as a URL."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return f"sqlite:///{dst}"


def _ingest(db_url: str, tmp: Path, company: dict, name: str) -> None:
    from rightsindex.corpus.ingest import ingest_manifest
    from rightsindex.corpus.manifest import load_manifest
    from rightsindex.store import Store

    path = tmp / name
    path.write_text(yaml.safe_dump({"index": "test", "methodology": "rdr-2022", "companies": [company]}, allow_unicode=True, sort_keys=False), "utf-8")
    store = Store.open(db_url)
    report = ingest_manifest(store, load_manifest(path))
    store.close()
    assert not report.errors, [e.message for e in report.errors]


def add_chinese_history(db_url: str, tmp: Path) -> int:
    """Baidu's Chinese privacy policy as two versions (the second changed); returns the document id."""
    from sqlalchemy import select

    from rightsindex.store import Store
    from rightsindex.store.models import Document

    rel = "docs/Baidu/baidu-app-privacy-policy-zh.md"
    dst = tmp / rel
    dst.parent.mkdir(parents=True, exist_ok=True)
    text = (EXAMPLE / rel).read_text("utf-8")
    dst.write_text(text, "utf-8")
    company = {"id": "Baidu", "name": "Baidu, Inc.", "type": "Digital Platform", "services": [{"id": "Baidu App", "kind": "search engine"}],
               "documents": [{"path": rel, "title": "百度App隐私政策", "type": "privacy-policy", "language": "zh", "version_date": "2023-01-01"}]}
    _ingest(db_url, tmp, company, "baidu-v1.yaml")
    changed = text.replace("百度", "百度公司", 3) + "\n\n我们会在变更生效前通过弹窗通知您本政策的重大变更。\n"
    dst.write_text(changed, "utf-8")
    company["documents"][0]["version_date"] = "2024-06-01"
    _ingest(db_url, tmp, company, "baidu-v2.yaml")
    store = Store.open(db_url)
    with store.session() as s:
        doc_id = s.scalars(select(Document.id).where(Document.key == rel)).one()
    store.close()
    return doc_id


def add_hostile_documents(db_url: str, tmp: Path) -> dict[str, int]:
    """Two hostile documents for Apple: the HTML fixture, and raw markup kept as Markdown text."""
    from sqlalchemy import select

    from rightsindex.store import Store
    from rightsindex.store.models import Document

    (tmp / "docs" / "Apple").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURES / "extract" / "hostile.html", tmp / "docs/Apple/hostile.html")
    (tmp / "docs/Apple/hostile-raw.md").write_text(HOSTILE_MARKUP, "utf-8")
    company = {"id": "Apple", "name": "Apple Inc.", "type": "Digital Platform", "services": APPLE_SERVICES,
               "documents": [{"path": "docs/Apple/hostile.html", "title": "Hostile <b>HTML</b> policy", "levels": ["Group"],
                              "url": "javascript:alert('URL_PAYLOAD')"},
                             {"path": "docs/Apple/hostile-raw.md", "title": "Hostile <script>alert('TITLE')</script> markup", "levels": ["Group"]}]}
    _ingest(db_url, tmp, company, "hostile.yaml")
    store = Store.open(db_url)
    with store.session() as s:
        ids = {k: s.scalars(select(Document.id).where(Document.key == f"docs/Apple/{k}")).one() for k in ("hostile.html", "hostile-raw.md")}
    store.close()
    return ids

"""Ingesting real documents into the store, on SQLite and on a real PostgreSQL."""

import shutil

import pytest
import yaml
from sqlalchemy import func, select

from rightsindex.corpus.extract import normalise_text
from rightsindex.corpus.ingest import ingest_manifest
from rightsindex.corpus.manifest import load_manifest
from rightsindex.corpus.versions import diff_versions
from rightsindex.store import Store
from rightsindex.store.models import Blob, Document, Passage, Version

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "corpus-2026"


def small_manifest(tmp_path, companies=("Baidu", "Apple"), extra_docs=None):
    """A copy of part of the example corpus that tests may modify."""
    raw = yaml.safe_load((EXAMPLE / "manifest.yaml").read_text("utf-8"))
    raw["companies"] = [c for c in raw["companies"] if c["id"] in companies]
    for c in raw["companies"]:
        for d in c["documents"]:
            dst = tmp_path / d["path"]
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(EXAMPLE / d["path"], dst)
    if extra_docs:
        for company, doc, content in extra_docs:
            c = next(c for c in raw["companies"] if c["id"] == company)
            c["documents"].append(doc)
            (tmp_path / doc["path"]).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / doc["path"]).write_bytes(content)
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def count(store, model):
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_ingest_is_idempotent_and_keeps_history(db_url, tmp_path):
    mpath = small_manifest(tmp_path)
    manifest = load_manifest(mpath)
    store = Store.open(db_url)
    first = ingest_manifest(store, manifest)
    assert first.summary() == "documents: 6  new versions: 6  errors: 0"
    passages = count(store, Passage)
    assert passages > 300

    with store.session() as s:
        baidu = s.scalars(select(Document).where(Document.key == "docs/Baidu/baidu-netdisk-privacy-policy-zh.md")).one()
        v = baidu.versions[0]
        assert v.language == "zh"
        assert v.format == "markdown"
        assert all(v.text[p.start : p.end] == p.text for p in v.passages)
        assert any("个人信息" in p.text and p.language == "zh" for p in v.passages)
        assert baidu.levels == ["Baidu Netdisk"]
        apple = s.scalars(select(Document).where(Document.key == "docs/Apple/apple-privacy-policy.md")).one()
        assert apple.versions[0].language == "en"
        # the raw bytes are kept, content-addressed
        assert s.get(Blob, apple.versions[0].raw_sha256).data == (tmp_path / apple.key).read_bytes()

    second = ingest_manifest(store, load_manifest(mpath))
    assert second.summary() == "documents: 6  new versions: 0  errors: 0"
    assert count(store, Passage) == passages

    # a real change: a paragraph rewritten, one added → a new version; the old one stays
    doc = tmp_path / "docs/Apple/apple-privacy-policy.md"
    text = doc.read_text("utf-8")
    assert "Apple" in text
    para = next(p.strip() for p in text.split("\n\n") if "At Apple, we believe strongly" in p)
    changed = text.replace("At Apple, we believe strongly", "At Apple Inc., we believe strongly") + (
        "\n\nWe will notify you of every government request.\n"
    )
    doc.write_text(changed, "utf-8")
    third = ingest_manifest(store, load_manifest(mpath))
    assert third.summary() == "documents: 6  new versions: 1  errors: 0"
    with store.session() as s:
        d = s.scalars(select(Document).where(Document.key == "docs/Apple/apple-privacy-policy.md")).one()
        assert [v.seq for v in d.versions] == [1, 2]
        old_para = normalise_text(para)
        assert old_para in d.versions[0].text and old_para not in d.versions[1].text  # history kept
        diff = diff_versions(d.versions[0], d.versions[1])
        c = diff.counts()
        assert c["changed"] == 1 and c["added"] == 1 and c["removed"] == 0
        changed_entry = next(e for e in diff.entries if e.status == "changed")
        assert any(op == 1 and "Inc." in t for op, t in changed_entry.inline)
    store.close()


def test_whitespace_only_change_is_not_a_new_version(db_url, tmp_path):
    mpath = small_manifest(tmp_path, companies=("Apple",))
    store = Store.open(db_url)
    ingest_manifest(store, load_manifest(mpath))
    doc = tmp_path / "docs/Apple/apple-human-rights-policy.md"
    doc.write_text(doc.read_text("utf-8").replace("\n", "\r\n") + "\n\n\n   \n", "utf-8")
    again = ingest_manifest(store, load_manifest(mpath))
    assert again.new_versions == 0
    store.close()


def test_a_bad_document_is_reported_and_the_rest_ingested(db_url, tmp_path):
    bad = {"path": "docs/Apple/broken.pdf", "title": "Broken", "levels": ["Group"]}
    mpath = small_manifest(tmp_path, companies=("Apple",), extra_docs=[("Apple", bad, b"%PDF-1.7\n1 0 obj <<")])
    store = Store.open(db_url)
    report = ingest_manifest(store, load_manifest(mpath))
    assert report.summary() == "documents: 4  new versions: 4  errors: 1"
    assert report.errors[0].key == "docs/Apple/broken.pdf"
    assert "PDF" in report.errors[0].message
    with store.session() as s:
        broken = s.scalars(select(Document).where(Document.key == "docs/Apple/broken.pdf")).first()
        # the failed document's transaction was rolled back entirely
        assert broken is None
        assert s.scalar(select(func.count()).select_from(Version)) == 4
    store.close()


def test_store_refuses_unknown_database_kinds():
    from rightsindex.store import StoreError

    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        Store.open("mysql://localhost/x")

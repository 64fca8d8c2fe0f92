"""A policy that goes back to an earlier text (A → B → A) reads A again from then on: the text that
came back is the current version, and nothing of B that A does not say is credited any more
(issue 20, item 8). On real versions of the WeChat privacy policy."""

from __future__ import annotations

import json
import threading

import pytest

from rightsindex.corpus.ingest import ingest_manifest
from rightsindex.corpus.manifest import load_manifest
from rightsindex.corpus.versions import current_version
from rightsindex.store import Store
from rightsindex.store.models import Assessment, CompanyRun, Document, Version
from rightsindex.timeline.regrade import substance

from .test_changes import _Policy
from .wechat import RETENTION, manifest, url_manifest, versions, without_retention


def test_an_undated_text_that_comes_back_is_the_current_version_again(tmp_path):
    """A file (or a page) without a date read as A, then B, then A again: the third reading is
    a new version, dated by its recording, and it is the current one."""
    real = versions()["2026-08-06"]
    bare = without_retention(real)
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    news = [ingest_manifest(store, load_manifest(manifest(tmp_path, text))).new_versions for text in (bare, real, bare)]
    assert news == [1, 1, 1]
    with store.session() as s:
        doc = s.query(Document).one()
        first = next(v for v in doc.versions if v.seq == 1)
        cur = current_version(doc.versions)
        assert (cur.seq, cur.text_sha256) == (3, first.text_sha256)
    # reading A once more adds nothing: it is the current text already
    assert ingest_manifest(store, load_manifest(manifest(tmp_path, bare))).new_versions == 0
    store.close()


# -- watch: A → B → A over HTTP ---------------------------------------------------------------------------


def cited_texts(db: str, assessment_id: int) -> tuple[set[int], list[str], dict]:
    """The version ids an assessment's judgments cite, the texts of their credited evidence, and
    the results by (level, element)."""
    store = Store.open(db)
    with store.session() as s:
        run = s.query(CompanyRun).filter_by(assessment_id=assessment_id).one()
        ids = {e["version_id"] for j in run.judgments for e in (j.evidence or []) if "version_id" in e}
        credited = [e["text"] for j in run.judgments if j.result in ("yes", "partial") for e in (j.evidence or [])[:1]]
        results = {(j.level, j.element): j.result for j in run.judgments}
        graded = dict(run.meta["versions"])
    store.close()
    return ids, credited, {"results": results, "graded": graded}


@pytest.mark.slow
def test_watch_follows_a_revert_and_stops_crediting_the_text_that_went(tmp_path, cli):
    """Issue 20, item 8: ``watch`` over a page that reads A (no retention statements), then B (the
    real policy, with them), then A again. The third pass grades A, cites only A, credits nothing
    that only B said, and answers as the first pass did."""
    real = versions()["2026-08-06"]
    bare = without_retention(real)
    server = _Policy()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    path = url_manifest(tmp_path, server.url)
    db = f"sqlite:///{tmp_path / 'watch.sqlite'}"
    passes = []
    try:
        for body in (bare, real, bare):
            server.body = body.encode("utf-8")
            passes.append(cli("watch", path, "--db", db, "--out", tmp_path / "out", "--allow-private"))
    finally:
        server.shutdown()
    assert [p.returncode for p in passes] == [0, 1, 1], [p.stderr for p in passes]
    assert "new version: Tencent" in passes[2].stdout  # the text that came back is recorded

    store = Store.open(db)
    with store.session() as s:
        ids = [a.id for a in s.query(Assessment).order_by(Assessment.id)]
        doc = s.query(Document).one()
        a = next(v for v in doc.versions if v.seq == 1)
        current = current_version(doc.versions)
        assert current.text_sha256 == a.text_sha256 and current.seq == 3
        bare_ids = {v.id for v in s.query(Version).filter_by(document_id=doc.id, text_sha256=a.text_sha256)}
        key, current_id = doc.key, current.id
    store.close()
    assert len(ids) == 3
    first, second, third = (cited_texts(db, i) for i in ids)
    assert third[2]["graded"] == {key: current_id}  # the text that came back, as the version it is now
    assert third[0] <= bare_ids, "the third pass cites only versions that read A"
    assert any(substance(RETENTION) in substance(t) for t in second[1]), "B's retention statement was credited"
    assert not any(substance(RETENTION) in substance(t) for t in third[1]), "nothing only B said is credited after the revert"
    assert all(substance(t) in substance(bare) for t in third[1])
    assert third[2]["results"] == first[2]["results"], "A is graded as it was the first time"
    # the feed says so: every move of the third pass undoes one of the second, after version 3
    changes = json.loads((tmp_path / "out" / "changes.json").read_text("utf-8"))["changes"]
    second_moves = {(c["level"], c["element"]): (c["before"], c["after"]) for c in changes if c["assessment"] == ids[1]}
    back = [c for c in changes if c["assessment"] == ids[2]]
    assert back and all(second_moves.get((c["level"], c["element"])) == (c["after"], c["before"]) for c in back)
    assert all(v["version"] == 3 for c in back for v in c["after_versions"])

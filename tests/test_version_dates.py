"""Versions in time: never recorded twice, ordered by the document's own date, graded as of a date."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
import yaml

from rightsindex.corpus.ingest import ingest_manifest
from rightsindex.corpus.manifest import load_manifest
from rightsindex.corpus.versions import current_version, in_force_date, version_in_force
from rightsindex.store import Store
from rightsindex.store.models import Document

from .wechat import BUNDLE, EXAMPLE, manifest, versions


def dated_manifest(tmp, text: str, day: str):
    path = manifest(tmp, text)
    raw = yaml.safe_load(path.read_text("utf-8"))
    raw["companies"][0]["documents"][0]["version_date"] = day
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def history_of(store) -> list[tuple[int, str, bool]]:
    """(seq, day in force from, current?) of the document's versions, in date order."""
    with store.session() as s:
        doc = s.query(Document).one()
        cur = current_version(doc.versions)
        return [(v.seq, in_force_date(v).isoformat(), v.id == cur.id) for v in sorted(doc.versions, key=lambda v: (in_force_date(v), v.seq))]


def test_rerunning_an_older_manifest_records_no_duplicate_latest_version(tmp_path, cli):
    """Issue 13, item 13: the 2021 manifest run again after the 2023 one must not bring the 2021
    text back as a third version "newer" than 2023."""
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    v = versions()
    old = tmp_path / "old"
    new = tmp_path / "new"
    old.mkdir()
    new.mkdir()
    for folder, day in ((old, "2021-08-19"), (new, "2023-06-02"), (old, "2021-08-19")):
        res = cli("corpus", "add", dated_manifest(folder, v[day], day), "--db", db)
        assert res.returncode == 0, res.stderr
    assert res.stdout.strip().endswith("new versions: 0  errors: 0")
    store = Store.open(db)
    assert history_of(store) == [(1, "2021-08-19", False), (2, "2023-06-02", True)]
    store.close()
    listing = cli("corpus", "list", "--db", db)
    assert "2023-06-02" in listing.stdout and "2021-08-19" not in listing.stdout  # the latest is 2023


def test_an_older_text_seen_late_takes_its_place_by_date(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    v = versions()
    ingest_manifest(store, load_manifest(dated_manifest(tmp_path, v["2023-06-02"], "2023-06-02")))
    report = ingest_manifest(store, load_manifest(dated_manifest(tmp_path, v["2021-08-19"], "2021-08-19")))
    assert report.new_versions == 1  # a text not seen before is history: recorded …
    assert history_of(store) == [(2, "2021-08-19", False), (1, "2023-06-02", True)]  # … in its place
    with store.session() as s:
        doc = s.query(Document).one()
        assert version_in_force(doc.versions, date(2022, 1, 1)).seq == 2
        assert version_in_force(doc.versions, date(2021, 8, 18)) is None
        assert version_in_force(doc.versions, date(2026, 1, 1)).seq == 1
    store.close()


def test_a_dated_revert_is_a_new_version(tmp_path):
    """A → B → A with dates: from the third date on, the document reads A again."""
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    v = versions()
    for text, day in ((v["2021-08-19"], "2021-08-19"), (v["2023-06-02"], "2023-06-02"), (v["2021-08-19"], "2024-02-01")):
        ingest_manifest(store, load_manifest(dated_manifest(tmp_path, text, day)))
    assert history_of(store) == [(1, "2021-08-19", False), (2, "2023-06-02", False), (3, "2024-02-01", True)]
    store.close()


# -- assess as of a date --------------------------------------------------------------------------------


def imported(tmp_path, cli) -> tuple[str, object]:
    """The example: its OTA history filed under the manifest's document, in a fresh store."""
    db = f"sqlite:///{tmp_path / 'wechat.sqlite'}"
    res = cli("corpus", "import-ota", BUNDLE, "--service", "WeChat", "--company", "Tencent", "--document", "wechat-privacy-policy.md", "--db", db)
    assert res.returncode == 0, res.stderr
    assert "20 versions read, new versions: 20" in res.stdout
    return db, res


@pytest.mark.slow
def test_assess_as_of_grades_the_versions_in_force_that_day(tmp_path, cli):
    db, _ = imported(tmp_path, cli)
    res = cli("assess", EXAMPLE / "manifest.yaml", "--out", tmp_path / "out", "--db", db, "--as-of", "2021-11-01")
    assert res.returncode == 0, res.stderr
    assert "as of 2021-11-01" in res.stdout
    with open(tmp_path / "out" / "element-scores.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cited = {(e["version"]) for r in rows for e in json.loads(r["Evidence"])}
    # the manifest's own file (2026-08-06) is the same text as the bundle's last version: not recorded twice
    store = Store.open(db)
    with store.session() as s:
        doc = s.query(Document).one()
        assert len(doc.versions) == 20
        in_force = version_in_force(doc.versions, date(2021, 11, 1))
        assert in_force_date(in_force) == date(2021, 10, 13)
        assert cited == {in_force.seq}
    store.close()


def test_a_date_before_every_version_leaves_the_company_out(tmp_path, cli):
    db, _ = imported(tmp_path, cli)
    res = cli("assess", EXAMPLE / "manifest.yaml", "--out", tmp_path / "out", "--db", db, "--as-of", "2019-01-01")
    assert res.returncode == 0, res.stderr
    assert "left out Tencent: no document in force on 2019-01-01" in " ".join(res.stderr.split())


def test_a_bad_date_is_refused_with_a_clear_error(tmp_path, cli):
    res = cli("assess", EXAMPLE / "manifest.yaml", "--out", tmp_path / "out", "--as-of", "2021-13-01")
    assert res.returncode == 2
    assert "--as-of: '2021-13-01' is not a date (YYYY-MM-DD)" in " ".join(res.stderr.split())

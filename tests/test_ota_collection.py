"""A whole Open Terms Archive collection: read in one pass, mapped to companies and levels,
imported into the store (on workers too) and turned into a manifest for `assess`."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import yaml

from rightsindex.corpus.ota.repository import history, list_documents, open_repo
from rightsindex.corpus.ota.collection import collection_histories
from rightsindex.corpus.ota.mapping import MappingError, load_mapping, parse_mapping

from .conftest import ROOT
from .test_ota import BUNDLE, POLICY, git, versions_repo

MAPPING = {
    "index": "2026",
    "methodology": "rdr-2022",
    "collection": "contrib",
    "companies": [
        {
            "id": "Tencent",
            "name": "Tencent Holdings Ltd.",
            "type": "Digital Platform",
            "services": [{"id": "WeChat", "kind": "messaging"}],
            "ota": {"Tencent": ["Group"], "WeChat": ["WeChat"], "WeChat/Privacy Policy": ["Group", "WeChat"]},
        },
        {
            "id": "ByteDance",
            "name": "ByteDance Ltd.",
            "type": "Digital Platform",
            "services": [{"id": "TikTok", "kind": "video"}],
            "ota": {"TikTok": ["Group", "TikTok"]},
        },
    ],
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return open_repo(BUNDLE, workdir=tmp_path_factory.mktemp("ota-cache"))


def test_one_pass_over_the_collection_agrees_with_history_document_by_document(repo):
    bulk = list(collection_histories(repo))
    assert [(h.service, h.terms_type) for h in bulk] == list_documents(repo)
    for h in bulk:
        versions, skipped = history(repo, h.service, h.terms_type)
        assert [(v.commit, v.date, v.event, v.path, v.text) for v in h.versions] == [
            (v.commit, v.date, v.event, v.path, v.text) for v in versions
        ]
        assert h.skipped == skipped
    wechat = next(h for h in bulk if (h.service, h.terms_type) == ("WeChat", "Privacy Policy"))
    assert wechat.commits == 40


@pytest.fixture
def copied_repo(tmp_path) -> Path:
    """Service A's policy, renamed; later OTA starts tracking B, whose page has A's very text."""
    root, record = versions_repo(tmp_path)
    policy = POLICY
    record("Old/Privacy Policy.md", policy, "First record of Old Privacy Policy", "2021-01-01T10:00:00+00:00")
    (root / "A").mkdir()
    git("mv", "Old/Privacy Policy.md", "A/Privacy Policy.md", cwd=root)
    git("commit", "--quiet", "-m", "Rename service Old to A", cwd=root, when="2021-02-01T10:00:00+00:00")
    record("A/Privacy Policy.md", policy + "We keep it a year.\n", "Record new changes of A Privacy Policy", "2021-03-01T10:00:00+00:00")
    record("B/Privacy Policy.md", policy + "We keep it a year.\n", "First record of B Privacy Policy", "2021-04-01T10:00:00+00:00")
    record("B/Privacy Policy.md", policy + "We keep it two years.\n", "Record new changes of B Privacy Policy", "2021-05-01T10:00:00+00:00")
    return root


def test_a_document_tracked_as_a_copy_of_another_starts_its_own_history(copied_repo):
    """git's --follow would give B the history of A (its text was A's when OTA started tracking
    it); B's history starts at its first record, A's follows A's rename."""
    b, _ = history(copied_repo, "B", "Privacy Policy")
    assert [(v.event, v.path) for v in b] == [("first", "B/Privacy Policy.md"), ("change", "B/Privacy Policy.md")]
    a, _ = history(copied_repo, "A", "Privacy Policy")
    assert [v.path for v in a] == ["Old/Privacy Policy.md", "A/Privacy Policy.md"]
    bulk = {(h.service, h.terms_type): h for h in collection_histories(copied_repo)}
    assert [v.commit for v in bulk[("B", "Privacy Policy")].versions] == [v.commit for v in b]
    assert [v.commit for v in bulk[("A", "Privacy Policy")].versions] == [v.commit for v in a]


def test_the_example_mapping_is_valid_and_places_services():
    mapping = load_mapping(ROOT / "examples" / "ota-mapping.yaml")
    place = mapping.place("YouTube", "Privacy Policy")
    assert (place.company.id, place.levels, place.key) == ("Google", ("YouTube",), "docs/YouTube/Privacy Policy.md")
    assert mapping.place("Google", "Privacy Policy").levels == ("Group", "Google Search", "YouTube", "Gmail", "Google Drive")
    assert mapping.place("Airbnb", "Privacy Policy") is None  # unmapped: skip
    assert mapping.place("Google", "Brand Guidelines") is None  # not among the types taken


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: m["companies"][0]["ota"].update({"WeChat": ["Weixin"]}), "unknown level 'Weixin'"),
        (lambda m: m["companies"][1]["ota"].update({"WeChat": ["TikTok"]}), "'WeChat' is already mapped to company 'Tencent'"),
        (lambda m: m.update({"unmaped": "company"}), "unknown key 'unmaped'"),
        (lambda m: m.update({"unmapped": "drop"}), "neither skip nor company"),
        (lambda m: m["companies"][0]["ota"].pop("WeChat"), "map the service 'WeChat' itself too"),
        (lambda m: m["companies"][0].update({"type": "Bank"}), "company 'Tencent': type"),
    ],
)
def test_mapping_errors_name_the_entry(change, message):
    import copy

    raw = copy.deepcopy(MAPPING)
    change(raw)
    with pytest.raises(MappingError, match=message):
        parse_mapping(raw, name="map.yaml")


def test_a_collection_imported_with_a_mapping_is_what_its_manifest_assesses(cli, tmp_path, repo):
    """`corpus import-ota --mapping` (on two workers) files every document's history under its
    company; `corpus ota-manifest` writes the manifest over the same documents, whose ingest then
    finds every text already recorded; a second import adds nothing."""
    mapping = tmp_path / "map.yaml"
    mapping.write_text(yaml.safe_dump(MAPPING), "utf-8")
    db = f"sqlite:///{tmp_path / 'ota.sqlite'}"
    first = cli("corpus", "import-ota", BUNDLE, "--mapping", mapping, "--db", db, "--workers", "2")
    assert first.returncode == 0, first.stderr
    total = sum(len(history(repo, s, t)[0]) for s, t in list_documents(repo))
    found = re.search(r"4 documents of 2 companies: (\d+) versions read, new versions: (\d+), already stored: (\d+)", first.stdout)
    assert found, first.stdout
    read, new, same = map(int, found.groups())
    assert read == total and new + same == total and new > 100  # a few texts are equal once normalised
    again = cli("corpus", "import-ota", BUNDLE, "--mapping", mapping, "--db", db)
    assert f"new versions: 0, already stored: {total}" in again.stdout

    made = cli("corpus", "ota-manifest", BUNDLE, "--mapping", mapping, "--out", tmp_path / "index")
    assert made.returncode == 0, made.stderr
    assert "2 companies, 4 documents" in made.stdout
    manifest = yaml.safe_load((tmp_path / "index" / "manifest.yaml").read_text("utf-8"))
    assert [c["id"] for c in manifest["companies"]] == ["Tencent", "ByteDance"]
    tencent = manifest["companies"][0]
    assert {d["path"]: d["levels"] for d in tencent["documents"]} == {
        "docs/Tencent/Privacy Policy.md": ["Group"],
        "docs/WeChat/Privacy Policy.md": ["Group", "WeChat"],
        "docs/WeChat/Terms of Service.md": ["WeChat"],
    }
    assert all(d["source"].startswith("ota:contrib:") for d in tencent["documents"])
    added = cli("corpus", "add", tmp_path / "index" / "manifest.yaml", "--db", db)
    assert added.returncode == 0, added.stderr
    assert "documents: 4  new versions: 0  errors: 0" in added.stdout
    con = sqlite3.connect(tmp_path / "ota.sqlite")
    rows = con.execute(
        "SELECT c.key, d.key, count(v.id) FROM document d JOIN company c ON c.id = d.company_id"
        " JOIN version v ON v.document_id = d.id GROUP BY d.id ORDER BY d.key"
    ).fetchall()
    con.close()
    assert [(c, k) for c, k, _ in rows] == [
        ("Tencent", "docs/Tencent/Privacy Policy.md"),
        ("ByteDance", "docs/TikTok/Privacy Policy.md"),
        ("Tencent", "docs/WeChat/Privacy Policy.md"),
        ("Tencent", "docs/WeChat/Terms of Service.md"),
    ]
    assert sum(n for *_, n in rows) == new


def test_a_whole_collection_without_a_mapping_makes_a_company_per_service(cli, tmp_path):
    db = f"sqlite:///{tmp_path / 'ota.sqlite'}"
    res = cli("corpus", "import-ota", BUNDLE, "--db", db, "--type", "Privacy Policy", "--since", "2025-01-01")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("3 documents of 3 companies:")
    listed = cli("corpus", "list", "--db", db)
    for key in ("ota:Tencent/Privacy", "ota:TikTok/Privacy", "ota:WeChat/Privacy"):
        assert key in listed.stdout.replace("\n", "") or key.split("/")[0] in listed.stdout
    bad = cli("corpus", "import-ota", BUNDLE, "--db", db, "--mapping", tmp_path / "missing.yaml")
    assert bad.returncode != 0 and "cannot read the mapping" in bad.stderr and "Traceback" not in bad.stderr

"""Reading Open Terms Archive versions repositories (``rightsindex.corpus.ota``).

Most tests read the committed sample of OTA's contrib-versions collection
(``tests/fixtures/ota/contrib-versions-sample.bundle``, see SOURCES.md there). Its commit ids
differ from OTA's originals (the history was cut down to four files) but its texts are the
same, so versions are checked by commit id in the bundle *and* by git blob id of the text — the
blob id is what ``git hash-object`` gives for the file OTA's own sample exported
(``data/ota/versions/contrib-versions/WeChat/Privacy Policy/sampled_versions.json``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from rightsindex.corpus.ota.repository import OTAError, OTAVersion, classify_subject, history, list_documents, open_repo, version_at

BUNDLE = Path(__file__).resolve().parent / "fixtures" / "ota" / "contrib-versions-sample.bundle"
UTC = timezone.utc

# Commits of WeChat/Privacy Policy.md in the bundle (original OTA commit in the comment).
WECHAT_FIRST = "2e470ec359e3fff5930763173368e03772156d63"  # 7bb597833b "Start tracking", 2020-07-29
WECHAT_REFILTER = "88f625136b9546f6114b4124fcb21f29d10b1e2a"  # b9d6b3e1f9 "Refilter", 2022-09-09T18:42:44
WECHAT_UPGRADE = "ba401c6b3874009fd865e553e34b4db80b7335ca"  # 67e340fa16 "Apply technical … upgrade", 2025-09-23
WECHAT_SUMMARY_PAGE = "3df70d7227ac0d12f548c7000fdde1274a140a85"  # 749caafb65, 2020-08-23: a 2,747-char summary page
WECHAT_COMMITS = 40


def blob_id(text: str) -> str:
    """git's id for a file with this content (``git hash-object``)."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def git(*args: str, cwd: Path, when: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    cmd = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return open_repo(BUNDLE, workdir=tmp_path_factory.mktemp("ota-cache"))


@pytest.fixture(scope="module")
def wechat(repo) -> tuple[list[OTAVersion], list]:
    return history(repo, "WeChat", "Privacy Policy")


# ------------------------------------------------------------------------------ repositories


def test_a_bundle_is_cloned_once_into_the_workdir(tmp_path):
    first = open_repo(BUNDLE, workdir=tmp_path)
    again = open_repo(BUNDLE, workdir=tmp_path)
    assert first == again
    assert first.parent == tmp_path
    assert [p.name for p in tmp_path.iterdir()] == [first.name]
    assert first.name.startswith("contrib-versions-sample-") and first.name.endswith(".git")


def test_history_accepts_a_bundle_path_and_caches_under_the_temp_folder(tmp_path, monkeypatch, wechat):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    versions, skipped = history(BUNDLE, "WeChat")
    assert (versions, skipped) == wechat
    assert [p.parent.name for p in tmp_path.glob("*/*.git")] == ["rightsindex-ota"]


def test_a_checkout_reads_the_same_as_the_bundle(tmp_path, wechat):
    checkout = tmp_path / "contrib-versions"
    git("clone", "--quiet", str(BUNDLE), str(checkout), cwd=tmp_path)
    assert open_repo(checkout) == checkout.resolve()
    versions, skipped = history(checkout, "WeChat", "Privacy Policy")
    assert versions == wechat[0]
    assert skipped == wechat[1]


def test_list_documents_names_service_and_terms_type_at_head(repo):
    documents = list_documents(repo)
    assert ("WeChat", "Privacy Policy") in documents
    assert ("TikTok", "Privacy Policy") in documents
    assert documents == [
        ("Tencent", "Privacy Policy"),
        ("TikTok", "Privacy Policy"),
        ("WeChat", "Privacy Policy"),
        ("WeChat", "Terms of Service"),
    ]


# ---------------------------------------------------------------------------------- history


def test_history_is_dated_oldest_first_with_strictly_increasing_utc_dates(wechat):
    versions, _ = wechat
    assert len(versions) > 30
    dates = [v.date for v in versions]
    assert all(d.tzinfo is not None and d.utcoffset() == timedelta(0) for d in dates)
    assert all(a < b for a, b in zip(dates, dates[1:]))
    first = versions[0]
    assert (first.commit, first.event, first.subject) == (WECHAT_FIRST, "first", "Start tracking WeChat Privacy Policy")
    assert first.date == datetime(2020, 7, 29, 13, 32, 43, tzinfo=UTC)
    assert all(v.path == "WeChat/Privacy Policy.md" and len(v.commit) == 40 for v in versions)
    assert versions[-1].date == datetime(2026, 8, 6, 13, 6, 32, tzinfo=UTC)
    assert versions[0].text.startswith("WeChat Privacy Protection Summary")


def test_every_commit_is_either_a_version_or_reported_skipped(wechat):
    versions, skipped = wechat
    assert len(versions) + len(skipped) == WECHAT_COMMITS
    assert {v.commit for v in versions}.isdisjoint(s.commit for s in skipped)


def test_extraction_only_commits_are_skipped_and_reported(wechat):
    versions, skipped = wechat
    assert {v.event for v in versions} <= {"first", "change"}
    assert not any(v.subject.startswith(("Refilter", "Apply technical")) for v in versions)
    assert [(s.commit, s.reason) for s in skipped] == [
        (WECHAT_REFILTER, "extraction-only commit"),
        (WECHAT_UPGRADE, "extraction-only commit"),
    ]
    assert skipped[0].subject == "Refilter WeChat Privacy Policy"
    assert skipped[1].subject == "Apply technical or declaration upgrade on WeChat Privacy Policy"


def test_texts_shorter_than_min_chars_are_skipped_as_degenerate(repo, wechat):
    # With the default 500, WeChat's 2,747-char summary page is a version ...
    assert WECHAT_SUMMARY_PAGE in {v.commit for v in wechat[0]}
    # ... with a higher threshold it is skipped, and the full text that came back an hour later
    # is not a new version: it is identical to the last version kept.
    versions, skipped = history(repo, "WeChat", min_chars=3000)
    reasons = {s.commit: s.reason for s in skipped}
    assert reasons[WECHAT_SUMMARY_PAGE] == "degenerate: 2747 chars < 3000"
    assert reasons["853c1e2b2216da76b6270ee09750151a726b2a5f"] == "identical text"
    assert all(len(v.text.strip()) >= 3000 for v in versions)
    assert all(a.text != b.text for a, b in zip(versions, versions[1:]))
    assert len(versions) + len(skipped) == WECHAT_COMMITS


def test_a_change_back_to_the_text_in_force_is_not_a_new_version(repo):
    # Tencent 2020-12-23: a Refilter stored a worse extraction (skipped); 11 minutes later an
    # "Update" restored exactly the text already in force.
    versions, skipped = history(repo, "Tencent", "Privacy Policy")
    restored = [s for s in skipped if s.date == datetime(2020, 12, 23, 3, 57, 46, tzinfo=UTC)]
    assert [(s.subject, s.reason) for s in restored] == [("Update Tencent Privacy Policy", "identical text")]
    assert [v.date.date() for v in versions] == [date(2020, 7, 29), date(2020, 10, 26), date(2021, 11, 18), date(2026, 7, 30)]


def test_other_documents_of_the_sample_load(repo):
    tiktok, tiktok_skipped = history(repo, "TikTok")
    assert len(tiktok) + len(tiktok_skipped) == 81
    assert [s.reason for s in tiktok_skipped] == ["extraction-only commit"] * 4
    terms, _ = history(repo, "WeChat", "Terms of Service")
    assert terms[0].subject == "Start tracking WeChat Terms of Service"
    assert terms[-1].path == "WeChat/Terms of Service.md"


def test_wechat_history_loads_well_under_two_seconds(repo):
    start = time.perf_counter()
    history(repo, "WeChat", "Privacy Policy")
    assert time.perf_counter() - start < 2.0


# ------------------------------------------------------------------------- version in force

# Cut date → (commit in the bundle, OTA's original commit, git blob id of the text).
# The originals are those of sampled_versions.json; 2022-01-01 comes from history.csv.
IN_FORCE = {
    date(2020, 9, 15): ("b0ea02ca4f620f9824e19a84bf98658aa315d50f", "8846dcf93b", "cf889b7b439c5b2879306bfc383a8cfa401342df"),
    date(2021, 11, 1): ("6048bb9ea7bb7566febb4ab61ae36fc4ce143baf", "99ebce9f7b", "97de475477d2a0cdadf8eb876d6383109fa62566"),
    date(2022, 1, 1): ("e5e2fc331870b5731052b8cc74c421138e45fdfd", "d37221d024", "f45f9a02c589ec226bb4ca48406a592008d75b46"),
    date(2024, 1, 1): ("2d099f8266a6e3e1d4bd2e57a240be5f363b8cd4", "ab22a0fa36", "97a5d3ca61e82513aa9c5c85ee7e08ed7dd07214"),
    date(2025, 1, 1): ("05b32557ec91d1454bf0f8772d97bfe48429613d", "403096dab1", "31c382d8246a9bafc517fa8e1f63aa3ba8609bb2"),
    date(2026, 1, 1): ("c2f63a1236e7c4b68519dbf41a9d5792b02662df", "d49b33f3b5", "4de721068594ffed27e5cb707891e76eafa3fcda"),
}


@pytest.mark.parametrize("cut", sorted(IN_FORCE), ids=str)
def test_version_at_a_cut_date_is_the_version_ota_had_in_force(wechat, cut):
    commit, _original, text_blob = IN_FORCE[cut]
    found = version_at(wechat[0], cut)
    assert found is not None
    assert found.commit == commit
    assert blob_id(found.text) == text_blob


def test_the_rdr_2020_and_2022_versions_differ(wechat):
    v2020 = version_at(wechat[0], date(2020, 9, 15))
    v2022 = version_at(wechat[0], date(2022, 1, 1))
    assert v2020.commit != v2022.commit
    assert v2020.text != v2022.text
    assert v2020.date == datetime(2020, 9, 3, 12, 30, 48, tzinfo=UTC)
    assert v2022.date == datetime(2021, 12, 31, 12, 42, 54, tzinfo=UTC)


def test_version_at_ignores_a_later_refilter(wechat):
    # OTA's own sample for 2023-01-01 is the Refilter of 2022-09-09T18:42:44 (b9d6b3e1f9);
    # the version in force is the content change recorded 3 seconds before it (741ddf4490).
    found = version_at(wechat[0], date(2023, 1, 1))
    assert found.commit == "f77b5e1b9569573849a114191fb2703cbf66b56e"
    assert found.date == datetime(2022, 9, 9, 18, 42, 41, tzinfo=UTC)
    assert blob_id(found.text) != "bd171de8007afdd3dcc9186c6a87e2fc763fa29d"  # the refiltered text


def test_version_at_a_date_includes_that_whole_day_in_utc(wechat):
    versions = wechat[0]
    recorded = datetime(2020, 9, 3, 12, 30, 48, tzinfo=UTC)
    assert version_at(versions, date(2020, 9, 3)).date == recorded
    assert version_at(versions, recorded).date == recorded
    assert version_at(versions, recorded - timedelta(seconds=1)).date < recorded
    assert version_at(versions, datetime(2020, 9, 3, 12, 30, 48)).date == recorded  # naive = UTC
    # 14:00 in Beijing on 3 September is 06:00 UTC, before the recording
    beijing = timezone(timedelta(hours=8))
    assert version_at(versions, datetime(2020, 9, 3, 14, 0, tzinfo=beijing)).date < recorded


def test_version_at_before_the_first_recording_is_none(wechat):
    assert version_at(wechat[0], date(2020, 7, 28)) is None
    assert version_at([], date(2022, 1, 1)) is None


# ------------------------------------------------------------------------------------ since


def test_since_keeps_later_versions_and_the_one_in_force_at_since(repo, wechat):
    versions, skipped = history(repo, "WeChat", since=date(2024, 1, 1))
    everything = wechat[0]
    in_force = version_at(everything, datetime(2024, 1, 1, tzinfo=UTC) - timedelta(microseconds=1))
    assert versions[0] == in_force
    assert versions[0].date == datetime(2023, 6, 2, 6, 44, 11, tzinfo=UTC)
    assert all(v.date >= datetime(2024, 1, 1, tzinfo=UTC) for v in versions[1:])
    assert versions == everything[everything.index(in_force):]
    assert [s.commit for s in skipped] == [WECHAT_UPGRADE]
    assert version_at(versions, date(2024, 1, 1)) == version_at(everything, date(2024, 1, 1))


def test_since_after_the_last_recording_gives_the_version_in_force(repo, wechat):
    versions, skipped = history(repo, "WeChat", since=datetime(2026, 8, 20, tzinfo=UTC))
    assert versions == [wechat[0][-1]]
    assert skipped == []


# ----------------------------------------------------------------------------------- errors


def test_an_unknown_service_names_the_services_that_have_the_document(repo):
    with pytest.raises(OTAError) as err:
        history(repo, "Wechat", "Privacy Policy")
    message = str(err.value)
    assert "no document Wechat/Privacy Policy.md in" in message
    assert "services with a Privacy Policy: Tencent, TikTok, WeChat" in message
    assert "did you mean WeChat?" in message


def test_an_unknown_terms_type_names_what_the_service_has(repo):
    with pytest.raises(OTAError, match="WeChat has: Privacy Policy, Terms of Service"):
        history(repo, "WeChat", "Community Guidelines")


@pytest.mark.parametrize("kind", ["empty folder", "missing", "plain file", "folder inside a repository"])
def test_a_path_that_is_not_a_repository_is_refused(tmp_path, repo, kind):
    if kind == "empty folder":
        path = tmp_path
    elif kind == "missing":
        path = tmp_path / "nowhere"
    elif kind == "plain file":
        path = tmp_path / "versions.bundle"
        path.write_text("not a bundle")
    else:
        path = repo / "refs"
    with pytest.raises(OTAError, match="not a git repository"):
        open_repo(path)
    with pytest.raises(OTAError, match="not a git repository"):
        list_documents(path)


# ------------------------------------------------------------------------------ subjects


@pytest.mark.parametrize(
    ("subject", "event"),
    [
        ("Start tracking WeChat Privacy Policy", "first"),
        ("First record of WeChat Privacy Policy", "first"),
        ("Update WeChat Privacy Policy", "change"),
        ("Record new changes of WeChat Privacy Policy", "change"),
        ("Refilter WeChat Privacy Policy", "extraction"),
        ("Apply technical or declaration upgrade on WeChat Privacy Policy", "extraction"),
        ("record NEW changes of TikTok Privacy Policy", "change"),
        ("  REFILTER  Tencent Privacy Policy", "extraction"),
        ("Updated WeChat Privacy Policy", "unknown"),
        ("Rename Facebook to Meta", "unknown"),
        ("", "unknown"),
    ],
)
def test_commit_subjects_are_classified_case_insensitively(subject, event):
    assert classify_subject(subject) == event


# ------------------------------------------------- renames, deletions, unknown subjects


POLICY = "We collect your name and email address to run the service.\n" * 20


def versions_repo(tmp_path: Path):
    """An empty OTA-shaped ``versions`` repository and ``record(path, text, subject, when)``, which
    commits a text (or, with ``text=None``, the removal of the file) at a date."""
    root = tmp_path / "versions"
    root.mkdir()
    git("init", "--quiet", "-b", "main", cwd=root)

    def record(path: str, text: str | None, subject: str, when: str) -> None:
        if text is None:
            git("rm", "--quiet", path, cwd=root)
        else:
            (root / path).parent.mkdir(exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
            git("add", path, cwd=root)
        git("commit", "--quiet", "-m", subject, cwd=root, when=when)

    return root, record


@pytest.fixture
def renamed_repo(tmp_path) -> Path:
    """A small OTA-shaped repository: service A becomes B, then B's policy is removed."""
    root, record = versions_repo(tmp_path)
    policy = POLICY
    record("A/Privacy Policy.md", policy, "First record of A Privacy Policy", "2021-01-01T10:00:00+00:00")
    record("A/Privacy Policy.md", policy + "We keep it a year.\n", "Record new changes of A Privacy Policy", "2021-02-01T10:00:00+00:00")
    (root / "B").mkdir()
    git("mv", "A/Privacy Policy.md", "B/Privacy Policy.md", cwd=root)
    git("commit", "--quiet", "-m", "Rename service A to B", cwd=root, when="2021-03-01T10:00:00+00:00")
    record("B/Privacy Policy.md", policy + "We keep it two years.\n", "Record new changes of B Privacy Policy", "2021-04-01T10:00:00+00:00")
    record("C/Terms of Service.md", policy, "First record of C Terms of Service", "2021-04-15T10:00:00+00:00")
    record("B/Privacy Policy.md", None, "Remove B Privacy Policy", "2021-05-01T10:00:00+00:00")
    return root


def test_history_follows_a_renamed_file_and_reports_its_deletion(renamed_repo, caplog):
    with caplog.at_level(logging.WARNING, logger="rightsindex.corpus.ota"):
        versions, skipped = history(renamed_repo, "B", "Privacy Policy")
    assert [(v.path, v.event, v.text.splitlines()[-1]) for v in versions] == [
        ("A/Privacy Policy.md", "first", "We collect your name and email address to run the service."),
        ("A/Privacy Policy.md", "change", "We keep it a year."),
        ("B/Privacy Policy.md", "change", "We keep it two years."),
    ]
    assert [(s.subject, s.reason) for s in skipped] == [
        ("Rename service A to B", "identical text"),
        ("Remove B Privacy Policy", "file deleted"),
    ]
    assert "unknown commit subject 'Rename service A to B'" in caplog.text
    assert list_documents(renamed_repo) == [("C", "Terms of Service")]


def test_an_unknown_subject_with_new_text_is_kept_as_a_change(tmp_path):
    root = tmp_path / "versions"
    (root / "X").mkdir(parents=True)
    git("init", "--quiet", "-b", "main", cwd=root)
    for n, (subject, when) in enumerate(
        [("First record of X Privacy Policy", "2022-01-01T00:00:00Z"), ("Manual fix of X Privacy Policy", "2022-02-01T00:00:00Z")]
    ):
        (root / "X" / "Privacy Policy.md").write_text(f"Version {n}.\n" + "Policy text. " * 50, encoding="utf-8")
        git("add", "-A", cwd=root)
        git("commit", "--quiet", "-m", subject, cwd=root, when=when)
    versions, skipped = history(root, "X")
    assert [v.event for v in versions] == ["first", "unknown"]
    assert skipped == []

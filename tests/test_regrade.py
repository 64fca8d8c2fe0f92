"""Change-aware re-grading (``rightsindex.regrade``) on real versions of the WeChat privacy policy.

A new version moves only the answers whose passages changed; extraction-only, whitespace, markup
and reflow changes move nothing; an added or removed disclosure moves its answer and says why;
analysts' decisions survive unrelated updates and are flagged when their passage changes.
"""

from __future__ import annotations

import csv
import re
import subprocess
from types import SimpleNamespace

import pytest

from rightsindex import review
from rightsindex.corpus.extract import normalise_text
from rightsindex.corpus.ingest import ingest_manifest
from rightsindex.corpus.manifest import load_manifest
from rightsindex.run import assess
from rightsindex.timeline.regrade import Side, regrade, substance
from rightsindex.store import Store
from rightsindex.store.models import CompanyRun, Judgment, Version

from .wechat import RETENTION, extraction_pairs, manifest, versions, without_retention

DOC = "wechat-privacy-policy.md"


def rows_of(result) -> dict[tuple[str, str], dict]:
    with open(result.files["element-scores.csv"], encoding="utf-8", newline="") as fh:
        return {(r["Service"], r["Element"]): r for r in csv.DictReader(fh)}


def judgments_of(db: str, assessment_id: int) -> dict[tuple[str, str], dict]:
    store = Store.open(db)
    with store.session() as s:
        run = s.query(CompanyRun).filter_by(assessment_id=assessment_id).one()
        out = {
            (j.level, j.element): {"result": j.result, "confidence": j.confidence, "change": j.change, "evidence": j.evidence,
                                   "comment": j.comment, "run_meta": dict(run.meta)}
            for j in run.judgments
        }
    store.close()
    return out


def grade_sequence(tmp, texts: list[str]) -> tuple[str, list]:
    """Assess the one-document manifest once per text, in one store: each text a new version."""
    db = f"sqlite:///{tmp / 'store.sqlite'}"
    results = []
    for i, text in enumerate(texts):
        m = manifest(tmp, text)
        r = assess(m, tmp / f"out{i}", db=db)
        assert r.ingest.new_versions == 1, "each text must be a new version of the document"
        results.append(r)
    return db, results


def assert_nothing_moved(db, before, after) -> None:
    a, b = rows_of(before), rows_of(after)
    assert {k: r["Result"] for k, r in a.items()} == {k: r["Result"] for k, r in b.items()}
    js = judgments_of(db, after.assessment_id)
    statuses = {j["change"]["status"] for j in js.values()}
    assert statuses == {"kept"}, f"every judgment is kept, got {statuses}"
    old = judgments_of(db, before.assessment_id)
    assert all(js[k]["confidence"] == old[k]["confidence"] for k in js), "kept answers stay exactly as they were"


# -- extraction-only, whitespace, markup and reflow changes ------------------------------------------------


@pytest.mark.parametrize("k", [0, 1], ids=["refilter-2022-09-09", "technical-upgrade-2025-09-23"])
def test_the_examples_extraction_only_commits_record_no_new_version(tmp_path, k):
    """WeChat's two extraction-only commits (OTA "Refilter" 2022-09-09, "Apply technical or
    declaration upgrade" 2025-09-23) change only spacing: read as files, they add no version."""
    day, subject, before, after = extraction_pairs()[k]
    assert subject.split()[0] == ("Refilter", "Apply")[k] and before != after
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    first = ingest_manifest(store, load_manifest(manifest(tmp_path, before)))
    again = ingest_manifest(store, load_manifest(manifest(tmp_path, after)))
    assert (first.new_versions, again.new_versions) == (1, 0)
    store.close()


TENCENT_REFILTER = "2020-12-23"  # Tencent/Privacy Policy.md: a selector change dropped a whole section


@pytest.fixture(scope="module")
def extraction(tmp_path_factory):
    """A substantive extraction-only change: OTA's "Refilter" of Tencent's privacy policy on
    2020-12-23 extracted 4,519 characters where the version before had 10,247 (the test fixture
    bundle). Recorded as an extraction change after the version before it was graded."""
    from rightsindex.corpus.ota.repository import open_repo
    from rightsindex.corpus.versions import record_version
    from rightsindex.store.models import Document

    from .conftest import FIXTURES

    repo = open_repo(FIXTURES / "ota" / "contrib-versions-sample.bundle")
    log = subprocess.run(["git", "-C", str(repo), "log", "--reverse", "--format=%H%x1f%aI%x1f%s", "HEAD", "--", "Tencent/Privacy Policy.md"],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    texts = [(when, subj, subprocess.run(["git", "-C", str(repo), "show", f"{sha}:Tencent/Privacy Policy.md"], check=True, capture_output=True).stdout.decode())
             for sha, when, subj in (line.split("\x1f") for line in log)]
    k = next(i for i, (when, subj, _) in enumerate(texts) if when.startswith(TENCENT_REFILTER) and subj.startswith("Refilter"))
    before, after = texts[k - 1][2], texts[k][2]
    tmp = tmp_path_factory.mktemp("extraction")
    db = f"sqlite:///{tmp / 'store.sqlite'}"
    m = manifest(tmp, before)
    first = assess(m, tmp / "a", db=db)
    store = Store.open(db)
    with store.session() as s:
        doc = s.query(Document).filter_by(key=DOC).one()
        v = record_version(s, doc, text=normalise_text(after), format="markdown", meta={"event": "extraction", "subject": texts[k][1]})
        assert v is not None
    store.close()
    second = assess(m, tmp / "b", db=db)  # the file still holds the text before: no new version from it
    return db, first, second, before, after


def test_an_extraction_only_version_moves_nothing(extraction):
    db, first, second, before, after = extraction
    assert substance(before) != substance(after) and len(after) < 0.5 * len(before)
    assert second.ingest.new_versions == 0
    js = judgments_of(db, second.assessment_id)
    assert next(iter(js.values()))["run_meta"]["versions"][DOC] != judgments_of(db, first.assessment_id)[("Group", "G01.01")]["run_meta"]["versions"][DOC]
    assert_nothing_moved(db, first, second)


def test_kept_evidence_points_at_the_new_version(layout):
    db, results = layout
    store = Store.open(db)
    with store.session() as s:
        run = s.query(CompanyRun).filter_by(assessment_id=results[1].assessment_id).one()
        new_vid = run.meta["versions"][DOC]
        items = [e for j in run.judgments for e in (j.evidence or [])]
        assert items
        # a passage found again in the new version is cited there, with its offsets in that text
        moved = [e for e in items if e["version_id"] == new_vid]
        assert len(moved) > 0.8 * len(items)
        text = s.get(Version, new_vid).text
        for e in moved[:50]:
            assert substance(text[e["start"]:e["end"]]) == substance(e["text"])
    store.close()


def test_kept_answers_keep_what_the_judge_read(layout):
    """Issue 20, item 20: an answer kept on re-grading keeps the support values (and the judge's
    reading) of its evidence, pointed at the new version."""
    db, results = layout
    old, new = judgments_of(db, results[0].assessment_id), judgments_of(db, results[1].assessment_id)
    kept = [k for k, j in new.items() if j["change"]["status"] == "kept" and any("support" in e for e in old[k]["evidence"])]
    assert len(kept) > 100
    for k in kept:
        before = [(e.get("support"), e.get("judged"), e.get("basis")) for e in old[k]["evidence"]]
        after = [(e.get("support"), e.get("judged"), e.get("basis")) for e in new[k]["evidence"]]
        assert after == before, k


def reflow(text: str) -> str:
    """Long paragraphs split in two at a sentence boundary, bold marks dropped, lines re-wrapped."""
    out = []
    for block in text.split("\n\n"):
        if block.startswith(("|", "*", "#", "-", " ")) or len(block) < 300:
            out.append(block.replace("**", ""))
            continue
        block = block.replace("**", "")
        cut = block.find(". ", len(block) // 2)
        if cut > 0:
            block = block[: cut + 1] + "\n\n" + block[cut + 2 :]
        out.append(block)
    return "\n\n".join(out)


def whitespace(text: str) -> str:
    """Blank lines between list items and before every heading; nothing else."""
    text = re.sub(r"\n(\*   )", r"\n\n\1", text)
    return re.sub(r"\n(#+ )", r"\n\n\n\1", text)


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    real = versions()["2026-08-06"]
    tmp = tmp_path_factory.mktemp("layout")
    return grade_sequence(tmp, [real, reflow(real), whitespace(real)])


def test_reflow_and_markup_only_changes_move_nothing(layout):
    db, results = layout
    assert_nothing_moved(db, results[0], results[1])


def test_a_whitespace_only_change_moves_nothing(layout):
    db, results = layout
    assert_nothing_moved(db, results[1], results[2])


# -- a disclosure added or removed -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def retention(tmp_path_factory):
    """The 2026-08-06 policy with every statement on retention and deletion taken out, then the real
    policy (retention added); and, in another store, the reverse (retention removed)."""
    real = versions()["2026-08-06"]
    bare = without_retention(real)
    assert substance(RETENTION) in substance(real) and "retain" not in bare.lower()
    added = grade_sequence(tmp_path_factory.mktemp("added"), [bare, real])
    removed = grade_sequence(tmp_path_factory.mktemp("removed"), [real, bare])
    return added, removed


def test_adding_a_retention_clause_regrades_the_retention_element_and_says_why(retention):
    (db, (before, after)), _ = retention
    js = judgments_of(db, after.assessment_id)
    p61 = js[("WeChat", "P06.01")]  # how long each type of user information is retained
    assert p61["change"]["status"] == "regraded"
    assert "retain" in p61["evidence"][0]["text"].lower()
    assert re.search(r"adds: “[^”]*retain", p61["change"]["reason"], re.I)
    assert any("retain" in e["text"].lower() for e in p61["change"]["added"])


def test_answers_on_unchanged_text_stay_exactly_as_they_were(retention):
    (db, (before, after)), _ = retention
    old, new = judgments_of(db, before.assessment_id), judgments_of(db, after.assessment_id)
    kept = [k for k, j in new.items() if j["change"]["status"] == "kept"]
    assert len(kept) > 0.6 * len(new)
    for k in kept:
        assert (new[k]["result"], new[k]["confidence"], new[k]["comment"]) == (old[k]["result"], old[k]["confidence"], old[k]["comment"])
    for k, j in new.items():
        if j["result"] != old[k]["result"]:  # a move is re-graded and says why, citing a passage
            assert j["change"]["status"] == "regraded"
            assert j["comment"].startswith(f"Re-graded ({old[k]['result']} → {j['result']}):")
            assert j["change"]["added"] or j["change"]["removed"]


def test_removing_the_passages_an_answer_rests_on_regrades_it_and_says_why(retention):
    _, (db, (before, after)) = retention
    old, new = judgments_of(db, before.assessment_id), judgments_of(db, after.assessment_id)
    cited = [k for k, j in old.items() if j["result"] != "NA" and any("retain" in e["text"].lower() for e in j["evidence"][:3])]
    assert cited, "some answers rest on retention passages"
    for k in cited:
        change = new[k]["change"]
        assert change["status"] == "regraded"
        assert "no longer contains the passage the previous answer cited" in change["reason"]
        assert change["removed"]


def test_compare_explains_each_move_by_the_passage_it_rests_on(retention):
    """Issue 20, item 20, on what the grader did: the retention statements went (the real policy,
    then the same without them). A decline is explained by a passage that went; an answer that
    gained credit while nothing was added is, and says it is, the grader's reading."""
    from rightsindex.timeline.compare import compare

    _, (db, (before, after)) = retention
    store = Store.open(db)
    moved = compare(store, before.assessment_id, after.assessment_id).moved
    store.close()
    assert any(m.direction == "declined" for m in moved)
    for m in moved:
        why = m.because
        if why["kind"] == "text":  # only words taken away: a move towards less disclosure
            assert why["removed"] and m.direction != "improved", m.comment
            assert " removed: “" in m.comment or " removed from “" in m.comment, m.comment
        else:
            assert "the move is the grader's reading" in m.comment, m.comment
        assert " added: “" not in m.comment and "added to “" not in m.comment, m.comment
        if why["version"]:
            assert why["version"]["version"] == 2


# -- the decision rule itself, on real versions with explicit judgments ---------------------------------


@pytest.fixture
def two_versions(tmp_path):
    """The bare (no retention) and the real 2026-08-06 text as versions 1 and 2 of one document."""
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    real = versions()["2026-08-06"]
    ids = []
    for text in (without_retention(real), real):
        ingest_manifest(store, load_manifest(manifest(tmp_path, text)))
        with store.session() as s:
            ids.append(s.query(Version.id).order_by(Version.id.desc()).first()[0])
    with store.session() as s:
        yield SimpleNamespace(old=Side.load(s, {DOC: ids[0]}), new=Side.load(s, {DOC: ids[1]}), real=real)
    store.close()


def judgment(element, result, texts, id=None, level="WeChat"):
    return SimpleNamespace(
        id=id, level=level, service_kind="messagingVoip", element=element, result=result, confidence=0.7,
        probabilities={}, evidence=[{"path": DOC, "text": t} for t in texts], prior_result=None, prior_relation=None,
        comment="", fingerprint=None,
    )


UNCHANGED = "You can delete your account, or remove certain Personal Information"  # only in the real text
BOTH = "Thank you for using WeChat! We respect your concerns about privacy and appreciate your trust and confidence in us."


def test_a_new_disclosure_moves_the_answer_and_says_why(two_versions):
    v = two_versions
    assert v.old.holds(DOC, BOTH) and not v.old.holds(DOC, RETENTION) and v.new.holds(DOC, RETENTION)
    base = [judgment("P06.01", "no disclosure found", [BOTH], id=1), judgment("G01.01", "yes", [BOTH], id=2)]
    fresh = [judgment("P06.01", "yes", [RETENTION, BOTH]), judgment("G01.01", "no disclosure found", [BOTH])]
    out = {r["element"]: r for r in regrade(base, fresh, v.old, v.new, model="m")}
    p6, g1 = out["P06.01"], out["G01.01"]
    assert p6["result"] == "yes" and p6["change"]["status"] == "regraded"
    assert p6["comment"].startswith("Re-graded (no disclosure found → yes): WeChat Privacy Policy (version 2, ")
    assert "adds: “We do not retain Personal Information" in p6["comment"]
    # the same unchanged passage read again: the answer stays exactly as it was
    assert g1["result"] == "yes" and g1["change"] == {"status": "kept", "base": 2}


def test_removed_support_moves_the_answer_and_says_why(two_versions):
    v = two_versions
    base = [judgment("P06.01", "yes", [RETENTION], id=7)]
    fresh = [judgment("P06.01", "no disclosure found", [BOTH])]
    out = regrade(base, fresh, v.new, v.old, model="m")  # the real text first, then the bare one
    assert out[0]["result"] == "no disclosure found"
    assert out[0]["change"]["removed"][0]["text"] == RETENTION
    assert "no longer contains the passage the previous answer cited: “We do not retain" in out[0]["comment"]


def test_an_added_passage_that_does_not_lead_the_evidence_moves_nothing(two_versions):
    v = two_versions
    base = [judgment("G01.01", "yes", [BOTH], id=3)]
    fresh = [judgment("G01.01", "partial", [BOTH, BOTH[:60], BOTH[10:80], RETENTION])]  # new text 4th
    out = regrade(base, fresh, v.old, v.new, model="m")
    assert out[0]["result"] == "yes" and out[0]["change"]["status"] == "kept"


# -- what a move is credited to (issue 20, item 20) ---------------------------------------------------------


@pytest.fixture(scope="module")
def history_sides(tmp_path_factory):
    """The example's 20 dated versions in one store (as ``corpus import-ota`` files them): a function
    day -> ``Side`` of the version in force from that day."""
    from rightsindex.corpus.ota.importer import import_history
    from rightsindex.corpus.ota.repository import history

    from .wechat import BUNDLE, _repo

    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('history') / 's.sqlite'}")
    vs, _ = history(_repo(), "WeChat", "Privacy Policy")
    import_history(store, vs, service="WeChat", terms_type="Privacy Policy", company="Tencent", document=DOC)
    s = store.session().__enter__()
    ids = {v.version_date.isoformat(): v.id for v in s.query(Version)}
    yield lambda day: Side.load(s, {DOC: ids[day]})
    s.close()
    store.close()


UIN = "Country/Region Data unique identifier number (UIN) assigned to users, wuid, where you are located"  # 2024-12-16 to 2025-06-10
KEEP = ("We do not retain Personal Information for longer than is necessary unless we are required or permitted to do so under "
        "applicable laws.")
GENERALLY = "We generally retain Personal Information for the retention periods set out below."  # added to that passage on 2026-04-08
LATER = (" If we are required to retain your Personal Information beyond the retention periods set out below, for example to comply "
         "with applicable laws, we will store it separately from other types of Personal Information.")


def test_a_move_is_credited_to_the_version_that_made_it(history_sides):
    """From 2021-08-19 to 2025-06-10 (versions 2 to 15) the UIN passage came with version 13
    (2024-12-16): the re-graded answer says so, not "version 15"."""
    old, new = history_sides("2021-08-19"), history_sides("2025-06-10")
    assert (old.docs[DOC].seq, new.docs[DOC].seq) == (2, 15)
    base = [judgment("P03b.01", "no disclosure found", [BOTH], id=1)]
    fresh = [judgment("P03b.01", "partial", [UIN, BOTH])]
    out = regrade(base, fresh, old, new, model="m")[0]
    assert out["comment"].startswith("Re-graded (no disclosure found → partial): WeChat Privacy Policy (version 13, 2024-12-16) adds: “Country/Region")
    assert "version 15" not in out["comment"]
    assert out["change"]["because"]["kind"] == "text" and out["change"]["because"]["version"]["version"] == 13


def test_a_decline_beside_added_words_is_the_graders_reading_and_says_so(history_sides):
    """On 2026-04-08 (version 17) the retention passage only gained a sentence; an answer resting
    on it that loses credit is not explained by that sentence, nor by a passage "no longer" there."""
    old, new = history_sides("2025-12-19"), history_sides("2026-04-08")
    before, after = KEEP + LATER, KEEP + " " + GENERALLY + LATER
    assert old.holds(DOC, before) and new.holds(DOC, after) and not new.holds(DOC, before)
    base = [judgment("P06.04", "partial", [before], id=4)]
    base[0].evidence[0]["support"] = 0.62
    fresh = [judgment("P06.04", "no disclosure found", [after])]
    out = regrade(base, fresh, old, new, model="m")[0]
    c = out["comment"]
    assert c.startswith("Re-graded (partial → no disclosure found): WeChat Privacy Policy (version 17, 2026-04-08) only added words to "
                        "the passage the previous answer rests on (read as answering it: 62 %)")
    assert "the move is the grader's reading, not a passage that went" in c and "We generally retain" in c
    assert "no longer contains" not in c and " adds:" not in c
    assert out["change"]["because"]["kind"] == "reading"


def test_a_move_on_a_passage_that_did_not_change_is_the_graders_reading(history_sides):
    """An answer that gains credit from a passage that was there before: the grader's reading,
    with what made it read again (a passage added next to it)."""
    old, new = history_sides("2021-08-19"), history_sides("2025-06-10")
    base = [judgment("P03b.01", "no disclosure found", [BOTH], id=1)]
    fresh = [judgment("P03b.01", "partial", [BOTH, UIN])]
    c = regrade(base, fresh, old, new, model="m")[0]["comment"]
    assert c.startswith("Re-graded (no disclosure found → partial): The passage the new answer rests on is unchanged (WeChat Privacy Policy: “Thank you")
    assert "the grader's reading, not a passage that came (read again because WeChat Privacy Policy (version 13, 2024-12-16) added: “Country/Region" in c


def _line(day: str, marker: str) -> str:
    text = versions()[day]
    i = text.find(marker)
    return text[text.rfind("\n", 0, i) + 1 : text.find("\n", i)]


def test_compare_credits_a_move_to_the_grading_in_between_that_made_it(history_sides):
    """Between as-of assessments of 2021-08-19 and 2026-08-06, the service-provider passage changed
    in versions 11, 16, 17 and 20. Gradings in between (2025-12-19: no disclosure found, 2026-04-08:
    yes) say the answer moved with version 17: the comparison says so, with what version 17 added,
    not the first or the last change of that passage."""
    from rightsindex.store.models import Assessment, CompanyRun, Judgment
    from rightsindex.timeline.compare import compare

    marker = "We engage service providers"
    side = {day: history_sides(day) for day in ("2021-08-19", "2025-12-19", "2026-04-08", "2026-08-06")}
    s = side["2021-08-19"]._session
    ids = []
    for day, result in (("2021-08-19", "no disclosure found"), ("2025-12-19", "no disclosure found"), ("2026-04-08", "yes"), ("2026-08-06", "yes")):
        d = side[day].docs[DOC]
        a = Assessment(key=f"explicit {day}", index="test", methodology="rdr-2022", manifest_sha256="0" * 64, model_version="m",
                       as_of=d.when, status="done")
        s.add(a)
        s.flush()
        run = CompanyRun(assessment_id=a.id, company_key="Tencent", cache_key=f"explicit {day}", meta={"versions": {DOC: d.version_id}, "lineage": "L"})
        s.add(run)
        s.flush()
        s.add(Judgment(run_id=run.id, level="WeChat", service_kind="messagingVoip", element="F03a.01", result=result, confidence=0.7,
                       probabilities={}, evidence=[{"path": DOC, "version": d.seq, "version_id": d.version_id, "text": _line(day, marker)}]))
        ids.append(a.id)
    s.commit()
    store = Store(s.get_bind())
    moved = compare(store, ids[0], ids[-1]).moved
    assert [(m.element, m.before, m.after) for m in moved] == [("F03a.01", "no disclosure found", "yes")]
    m = moved[0]
    assert m.because["kind"] == "text" and m.because["version"]["version"] == 17
    assert m.comment.startswith("This is an improvement to full credit from no disclosure found after the 2026-04-08 update of the WeChat "
                                "Privacy Policy (version 17) ")
    assert "identity verification" in m.comment


# -- analysts' decisions ------------------------------------------------------------------------------------


def test_an_analysts_decision_survives_an_unrelated_update_and_is_flagged_when_its_passage_changes(tmp_path):
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    first = assess(manifest(tmp_path, versions()["2026-07-28"]), tmp_path / "a", db=db)
    store = Store.open(db)
    with store.session() as s:
        run = s.query(CompanyRun).filter_by(assessment_id=first.assessment_id).one()
        j = s.query(Judgment).filter_by(run_id=run.id, level="WeChat", element="P06.01").one()
        keep = next(e for e in j.evidence if substance(RETENTION) in substance(e["text"]))
        where = dict(assessment_id=first.assessment_id, company_key="Tencent", level="WeChat", element="P06.01")
        review.change_grade(s, "alice", result="yes", comment="full retention table", **where)
        for e in j.evidence:
            if e["passage_id"] != keep["passage_id"]:
                review.detach_evidence(s, "alice", passage_id=e["passage_id"], **where)
    # an unrelated update: 2026-08-06 rewrote other passages (servers, transfers, security)
    second = assess(manifest(tmp_path, versions()["2026-08-06"]), tmp_path / "b", db=db)
    assert second.ingest.new_versions == 1
    row = rows_of(second)[("WeChat", "P06.01")]
    assert (row["Result"], row["Reviewed"]) == ("yes", "yes")
    with store.session() as s:
        assert review.stale_decisions(s) == []
    # the passage it rests on goes
    third = assess(manifest(tmp_path, without_retention(versions()["2026-08-06"])), tmp_path / "c", db=db)
    with store.session() as s:
        stale = review.stale_decisions(s)
        assert [(d.level, d.element, d.result) for d in stale] == [("WeChat", "P06.01", "yes")]
        assert f"passage {keep['passage_id']} is no longer in version 3" in stale[0].rereview_reason
    assert rows_of(third)[("WeChat", "P06.01")]["Reviewed"] == "yes"  # still the analyst's, until re-reviewed
    store.close()


# -- what counts as a change ---------------------------------------------------------------------------------


def test_substance_ignores_layout_markup_links_and_case_but_not_words():
    a = "**We do not** share your [personal data](https://example.com/a) with third parties.\n"
    assert substance(a) == substance("We do NOT share your personal data\nwith third-parties") == substance(
        "| We do not share your [personal data](#b) with third parties |"
    )
    assert substance(a) != substance("We do share your personal data with third parties.")
    assert substance("我们不会 收集。") == substance("我们不会收集")


def test_watch_intervals():
    from datetime import timedelta

    from rightsindex.timeline.watch import WatchError, parse_interval

    assert parse_interval("6h") == timedelta(hours=6) and parse_interval("30m") == timedelta(minutes=30)
    assert parse_interval("1d") == timedelta(days=1) and parse_interval("90") == timedelta(seconds=90)
    for bad in ("soon", "10s", "", "h"):
        with pytest.raises(WatchError):
            parse_interval(bad)


def test_a_prior_of_ours_from_another_store_is_regraded_against_that_stores_texts(tmp_path):
    """Issue 11's protocol: the 2021 texts graded in a new store with the first run's CSV as
    --prior. The first run's store, beside its CSV (assess's default), gives the earlier texts."""
    real = versions()["2026-08-06"]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = assess(manifest(tmp_path / "a", without_retention(real)), tmp_path / "a" / "out")
    second = assess(manifest(tmp_path / "b", real), tmp_path / "b" / "out", prior=[first.files["element-scores.csv"]])
    a, b = rows_of(first), rows_of(second)
    js = judgments_of(f"sqlite:///{tmp_path / 'b' / 'out' / 'rightsindex.sqlite'}", second.assessment_id)
    kept = [k for k, j in js.items() if j["change"] and j["change"]["status"] == "kept" and j["result"] != "NA"]
    assert len(kept) > 50  # the answers whose passages the retention text did not touch (not the tables)
    assert all(b[k]["Result"] == a[k]["Result"] and b[k]["PriorRelation"] in ("confirmed", "carried") for k in kept)
    p61 = js[("WeChat", "P06.01")]
    assert p61["change"]["status"] == "regraded" and re.search(r"adds: “[^”]*retain", p61["change"]["reason"], re.I)
    for k, j in js.items():  # nothing moved without a passage added or removed
        if j["result"] != a[k]["Result"]:
            assert j["change"]["status"] == "regraded" and (j["change"]["added"] or j["change"]["removed"])

"""The review room: analysts' decisions win in scoring, survive re-runs of `assess`, are flagged
when the passage they rest on changes, and every change is in an append-only audit log."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from sqlalchemy import select, text, update

from rightsindex import methodology as m
from rightsindex import review
from rightsindex.corpus.ingest import ingest_manifest
from rightsindex.corpus.manifest import load_manifest
from rightsindex.run import assess
from rightsindex.review.results import element_rows
from rightsindex.scoring import score_all
from rightsindex.store import Store
from rightsindex.store.models import AppendOnlyError, AuditEntry, Document, Judgment, ReviewComment, ReviewDecision, Version

from .webdata import apple_manifest, assess_apple, copy_db

METH = m.load("rdr-2022")


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    """Apple's privacy and human-rights policies, assessed once for the module."""
    return assess_apple(tmp_path_factory.mktemp("review"))


@pytest.fixture
def apple(assessed, tmp_path):
    """A private copy of the assessed store, documents and manifest."""
    shutil.copytree(assessed["tmp"] / "docs", tmp_path / "docs")
    shutil.copyfile(assessed["manifest"], tmp_path / "manifest.yaml")
    url = copy_db(assessed["db_path"], tmp_path / "web.sqlite")
    store = Store.open(url)
    yield {"store": store, "url": url, "tmp": tmp_path, "manifest": tmp_path / "manifest.yaml", "assessment_id": assessed["assessment_id"]}
    store.close()


def rows_of(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def silent_group_element(rows) -> dict:
    """A Group-level "no disclosure found" row of a top-level, company-scope, non-reversed indicator."""
    for r in rows:
        el = METH.elements[r["Element"]]
        ind = METH.indicators[el.indicator]
        if (r["Service"] == "Group" and r["Result"] == "no disclosure found" and ind.top_level and ind.scoring_scope == "company"
                and not el.reversed):
            return r
    raise AssertionError("no suitable element")


def expected_after_yes(rows, row, scores) -> tuple[float, float]:
    """Indicator and total once ``row`` (0 points) becomes "yes" (100): the indicator is the mean of
    its Group elements; the total is the mean of the top-level indicators."""
    ind = row["Indicator"]
    n = sum(1 for r in rows if r["Company"] == row["Company"] and r["Service"] == "Group" and r["Indicator"] == ind and r["Result"] != "NA")
    company = scores[row["Company"]]
    new_ind = company.indicators[ind] + 100 / n
    tops = [i.id for i in METH.top_level_indicators() if company.indicators.get(i.id) is not None]
    new_total = company.total + (new_ind - company.indicators[ind]) / len(tops)
    return new_ind, new_total


def where(row, aid):
    return dict(assessment_id=aid, company_key=row["Company"], level=row["Service"], element=row["Element"])


def test_a_final_decision_wins_in_scoring(apple):
    store, aid = apple["store"], apple["assessment_id"]
    rows, results = element_rows(store, aid)
    before = score_all(METH, results)
    row = silent_group_element(rows)
    want_ind, want_total = expected_after_yes(rows, row, before)

    with store.session() as s:
        review.change_grade(s, "alice", result="yes", step="final", comment="Disclosed in the human rights policy.", **where(row, aid))

    rows2, results2 = element_rows(store, aid)
    after = score_all(METH, results2)
    changed = next(r for r in rows2 if (r["Company"], r["Service"], r["Element"]) == (row["Company"], "Group", row["Element"]))
    assert (changed["Result"], changed["Score"], changed["Reviewed"]) == ("yes", 100, "yes")
    assert changed["Comment"] == "Disclosed in the human rights policy."
    assert after["Apple"].indicators[row["Indicator"]] == pytest.approx(want_ind)
    assert after["Apple"].total == pytest.approx(want_total)
    # the automated judgment is untouched: decisions live apart
    with store.session() as s:
        j = s.scalars(select(Judgment).where(Judgment.level == "Group", Judgment.element == row["Element"])).one()
        assert j.result == "no disclosure found"


def test_only_the_final_step_counts_and_each_step_starts_from_the_one_before(apple):
    store, aid = apple["store"], apple["assessment_id"]
    rows, _ = element_rows(store, aid)
    row = silent_group_element(rows)
    with store.session() as s:
        review.change_grade(s, "alice", result="partial", step="primary", **where(row, aid))
        review.change_grade(s, "bob", result="yes", step="review", **where(row, aid))
    rows2, _ = element_rows(store, aid)
    same = next(r for r in rows2 if (r["Service"], r["Element"]) == ("Group", row["Element"]))
    assert (same["Result"], same["Reviewed"]) == ("no disclosure found", "no")

    with store.session() as s:
        final = review.accept(s, "carol", step="final", **where(row, aid))
        assert final.result == "yes"  # accepted what the review step decided
        assert review.final_decisions(s, aid)[("Apple", "Group", row["Element"])]["step"] == "final"
        trail = review.audit_trail(s, "rdr-2022", "Apple", "Group", row["Element"])
        assert [(e.actor, e.action, e.step) for e in trail] == [("alice", "change", "primary"), ("bob", "change", "review"), ("carol", "accept", "final")]
        assert trail[0].before["result"] == "no disclosure found" and trail[0].before["source"] == "automated"
        assert trail[0].after["result"] == "partial"
        assert trail[2].before["source"] == "review"
    rows3, _ = element_rows(store, aid)
    assert next(r for r in rows3 if (r["Service"], r["Element"]) == ("Group", row["Element"]))["Result"] == "yes"


def test_a_rerun_of_assess_keeps_the_override(apple):
    store, aid, tmp = apple["store"], apple["assessment_id"], apple["tmp"]
    rows, results = element_rows(store, aid)
    row = silent_group_element(rows)
    want_ind, want_total = expected_after_yes(rows, row, score_all(METH, results))
    with store.session() as s:
        review.change_grade(s, "alice", result="yes", step="final", comment="Analyst: yes.", **where(row, aid))

    def check(out):
        got = next(r for r in rows_of(out / "element-scores.csv") if (r["Company"], r["Service"], r["Element"]) == ("Apple", "Group", row["Element"]))
        assert (got["Result"], got["Score"], got["Reviewed"], got["Comment"]) == ("yes", "100", "yes", "Analyst: yes.")
        scores = json.loads((out / "scores.json").read_text("utf-8"))["companies"]["Apple"]
        assert scores["indicators"][row["Indicator"]] == round(want_ind, 2)
        assert scores["total"] == round(want_total, 2)

    # the same manifest again: the same assessment resumes and writes its outputs again
    again = assess(apple["manifest"], tmp / "out-again", db=apple["url"])
    assert again.assessment_id == aid
    check(tmp / "out-again")

    # a later edition of the same company: a new assessment, the decision carries over
    later = apple_manifest(tmp, index="2027", name="manifest-2027.yaml")
    nxt = assess(later, tmp / "out-2027", db=apple["url"])
    assert nxt.assessment_id != aid
    check(tmp / "out-2027")
    with store.session() as s:
        assert len(s.scalars(select(ReviewDecision)).all()) == 1  # never copied or overwritten
        d = s.scalars(select(ReviewDecision)).one()
        assert (d.result, d.assessment_id, d.updated_by) == ("yes", aid, "alice")  # made on the first assessment


def test_a_changed_document_flags_decisions_resting_on_a_removed_passage(apple):
    store, aid, tmp = apple["store"], apple["assessment_id"], apple["tmp"]
    rows, _ = element_rows(store, aid)
    privacy_file = tmp / "docs/Apple/apple-privacy-policy.md"
    raw = privacy_file.read_text("utf-8")
    with store.session() as s:
        def passages(key):
            doc = s.scalars(select(Document).where(Document.key == key)).one()
            return doc.versions[-1].passages
        gone = next(p for p in passages("docs/Apple/apple-privacy-policy.md") if p.kind == "paragraph" and len(p.text) > 120 and p.text[:100] in raw)
        kept_hr = next(p for p in passages("docs/Apple/apple-human-rights-policy.md") if p.kind == "paragraph" and len(p.text) > 80)
        silent = [r for r in rows if r["Service"] == "Group" and r["Result"] == "no disclosure found"]
        on_privacy, on_hr = silent[0], silent[1]
        review.change_grade(s, "alice", result="partial", **where(on_privacy, aid))
        review.attach_evidence(s, "alice", passage_id=gone.id, **where(on_privacy, aid))
        review.change_grade(s, "alice", result="yes", **where(on_hr, aid))
        review.attach_evidence(s, "alice", passage_id=kept_hr.id, **where(on_hr, aid))
        assert review.flag_stale_decisions(s) == 0  # nothing changed yet
        gone_id, gone_text = gone.id, gone.text

    # the company rewrites a paragraph of its privacy policy; ingest records a new version
    privacy_file.write_text(raw.replace(gone_text[:100], "We have rewritten this paragraph entirely. "), "utf-8")
    report = ingest_manifest(store, load_manifest(apple["manifest"]))
    assert report.new_versions == 1

    with store.session() as s:
        assert review.flag_stale_decisions(s) == 1
        decisions = review.final_decisions(s, aid)
        flagged = decisions[("Apple", "Group", on_privacy["Element"])]
        assert flagged["needs_rereview"] is True
        assert f"passage {gone_id} is no longer in version 2" in flagged["rereview_reason"]
        assert decisions[("Apple", "Group", on_hr["Element"])]["needs_rereview"] is False
        flag = review.audit_trail(s, "rdr-2022", "Apple", "Group", on_privacy["Element"])[-1]
        assert (flag.actor, flag.action) == ("system", "flag-rereview")
        assert flag.before["needs_rereview"] is False and flag.after["needs_rereview"] is True
        assert review.flag_stale_decisions(s) == 0  # flagged once, not again
    # a flagged decision still wins until an analyst looks at it
    rows2, _ = element_rows(store, aid)
    assert next(r for r in rows2 if (r["Service"], r["Element"]) == ("Group", on_privacy["Element"]))["Result"] == "partial"

    with store.session() as s:  # the analyst re-reviews: detaches the stale passage, which confirms the decision
        d = review.detach_evidence(s, "alice", passage_id=gone_id, **where(on_privacy, aid))
        assert d.needs_rereview is False
        assert review.flag_stale_decisions(s) == 0
        latest = s.scalars(select(Version).join(Document).where(Document.key == "docs/Apple/apple-privacy-policy.md").order_by(Version.seq.desc())).first()
        assert latest.seq == 2


def test_review_actions_are_checked(apple):
    store, aid = apple["store"], apple["assessment_id"]
    rows, _ = element_rows(store, aid)
    row = rows[0]
    with store.session() as s:
        with pytest.raises(review.ReviewError, match="not one of"):
            review.change_grade(s, "alice", result="maybe", **where(row, aid))
        with pytest.raises(review.ReviewError, match="step"):
            review.change_grade(s, "alice", result="yes", step="draft", **where(row, aid))
        with pytest.raises(review.ReviewError, match="no passage"):
            review.attach_evidence(s, "alice", passage_id=10**9, **where(row, aid))
        with pytest.raises(review.ReviewError, match="no judgment"):
            review.accept(s, "alice", assessment_id=aid, company_key="Apple", level="Group", element="X99.01")
        with pytest.raises(review.ReviewError, match="actor"):
            review.accept(s, " ", **where(row, aid))
        c = review.add_comment(s, "bob", text="Check the 2024 version too.", **where(row, aid))
        assert review.comments(s, "rdr-2022", "Apple", row["Service"], row["Element"])[0].id == c.id
        assert s.scalars(select(ReviewDecision)).all() == []  # a comment decides nothing


@pytest.fixture
def audited(db_url):
    """An audit entry and a comment in a fresh store (SQLite and PostgreSQL)."""
    store = Store.open(db_url)
    review.add_user(store, "alice", "analyst", "a long test passphrase")
    with store.session() as s:
        s.add(ReviewComment(methodology="rdr-2022", company_key="Apple", level="Group", element="G01.01", author="alice", text="note"))
    yield store
    store.close()


def test_the_audit_log_is_append_only(audited):
    store = audited
    with store.session() as s:
        entry = s.scalars(select(AuditEntry)).one()
        assert (entry.actor, entry.action, entry.after) == ("cli", "user-add", {"username": "alice", "role": "analyst"})

    attempts = {
        "ORM update": lambda s: setattr(s.scalars(select(AuditEntry)).one(), "actor", "mallory"),
        "ORM delete": lambda s: s.delete(s.scalars(select(AuditEntry)).one()),
        "bulk update": lambda s: s.execute(update(AuditEntry).values(actor="mallory")),
        "SQL update": lambda s: s.execute(text("UPDATE review_audit SET actor = 'mallory'")),
        "SQL delete": lambda s: s.execute(text("DELETE FROM review_audit")),
        "comment update": lambda s: setattr(s.scalars(select(ReviewComment)).one(), "text", "rewritten"),
        "comment delete": lambda s: s.delete(s.scalars(select(ReviewComment)).one()),
    }
    for name, attempt in attempts.items():
        with pytest.raises(AppendOnlyError):
            with store.session() as s:
                attempt(s)
                s.flush()
        print("refused:", name)

    # below SQLAlchemy, straight through the database driver: the triggers refuse it
    for sql in ("UPDATE review_audit SET actor = 'mallory'", "DELETE FROM review_audit", "UPDATE review_comment SET text = 'x'"):
        raw = store.engine.raw_connection()
        try:
            cur = raw.cursor()
            with pytest.raises(Exception, match="append-only"):
                cur.execute(sql)
            raw.rollback()
        finally:
            raw.close()

    with store.session() as s:
        entry = s.scalars(select(AuditEntry)).one()
        assert entry.actor == "cli"
        assert s.scalars(select(ReviewComment)).one().text == "note"
        s.add(AuditEntry(actor="alice", action="note"))  # appending still works
    with store.session() as s:
        assert len(s.scalars(select(AuditEntry)).all()) == 2

"""The review queue (issue 10, item 4): which grades need an analyst, in which order, and where an
analyst finds them — the `NeedsReview` column of element-scores.csv, the `/review` page, the
element lists and the JSON API. Real data: Apple's policies assessed by `run.assess`; a
status the grader may store with a judgment ("no readable document") is written into the stored
judgment the way the grader stores it (``probabilities["status"]``)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

from rightsindex.formats import elementcsv
from rightsindex import methodology as m
from rightsindex import review
from rightsindex.corpus.ingest import ingest_manifest
from rightsindex.corpus.manifest import load_manifest
from rightsindex.formats.elementcsv import EXTRA_COLUMNS
from rightsindex.review.results import element_rows
from rightsindex.evidence.previous_answers import read_prior
from rightsindex.run.outputs import write_outputs
from rightsindex.review import queue as rq
from rightsindex.store import Store
from rightsindex.store.models import Assessment, CompanyRun, Document, Judgment, ReviewDecision
from rightsindex.web import create_app

from .test_web import login
from .webdata import PASSWORD, assess_apple, copy_db

METH = m.load("rdr-2022")
NO_DOC = "no readable document"


# -- the rule ---------------------------------------------------------------------------------------


def test_the_rule_decides_what_needs_review():
    below, at = rq.REVIEW_BELOW - 0.01, rq.REVIEW_BELOW
    assert rq.needs_review("yes", below, None, False)
    assert not rq.needs_review("yes", at, None, False)  # at the threshold: confident enough
    assert not rq.needs_review("no disclosure found", 0.99, None, False)
    assert rq.needs_review("no disclosure found", 0.99, NO_DOC, False)  # a status always asks for a person
    assert rq.needs_review("partial", None, None, False)  # no confidence: nothing says it is right
    assert not rq.needs_review("NA", 0.1, NO_DOC, False)  # not applicable: nothing to review
    assert not rq.needs_review("yes", 0.1, NO_DOC, True)  # an analyst decided it
    assert not rq.needs_review("yes", float("nan"), None, True)
    assert rq.needs_review("yes", float("nan"), None, False)


def test_a_final_decision_counts_unless_it_is_flagged_for_re_review():
    decided = {"result": "yes", "needs_rereview": False}
    flagged = {"result": "yes", "needs_rereview": True}
    assert rq.row_review("yes", 0.2, {"status": NO_DOC}, None) == (NO_DOC, True)
    assert rq.row_review("yes", None, {"status": NO_DOC}, decided) == (NO_DOC, False)
    assert rq.row_review("yes", None, {}, flagged) == (rq.REREVIEW, True)
    assert rq.row_review("yes", 0.9, {"yes": 0.9, "why": []}, None) == (None, False)
    assert rq.judgment_status({"status": "  "}) is None and rq.judgment_status(None) is None
    assert rq.judgment_status({"status": False}) is None


def test_the_sort_puts_the_most_doubtful_first():
    cases = {
        "decided": ("yes", None, None, True),
        "na": ("NA", None, None, False),
        "confident": ("yes", 0.95, None, False),
        "fairly sure": ("yes", 0.8, None, False),
        "doubtful": ("partial", 0.4, None, False),
        "doubtful with a status": ("partial", 0.4, NO_DOC, False),
        "very doubtful": ("yes", 0.2, None, False),
        "no confidence": ("yes", None, None, False),
        "status, confident": ("yes", 0.9, NO_DOC, False),
    }
    order = sorted(cases, key=lambda k: rq.sort_key(*cases[k]))
    assert order == ["no confidence", "very doubtful", "doubtful with a status", "doubtful", "status, confident",
                     "fairly sure", "confident", "decided", "na"]


# -- real data --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    return assess_apple(tmp_path_factory.mktemp("queue"))


@pytest.fixture
def apple(assessed, tmp_path):
    """A private copy of the assessed store, its documents and manifest."""
    shutil.copytree(assessed["tmp"] / "docs", tmp_path / "docs")
    shutil.copyfile(assessed["manifest"], tmp_path / "manifest.yaml")
    url = copy_db(assessed["db_path"], tmp_path / "web.sqlite")
    store = Store.open(url)
    yield {**assessed, "store": store, "url": url, "tmp": tmp_path, "manifest": tmp_path / "manifest.yaml"}
    store.close()


def judgment(s, aid: int, level: str, element: str) -> Judgment:
    run = s.scalars(select(CompanyRun).where(CompanyRun.assessment_id == aid, CompanyRun.company_key == "Apple")).one()
    return s.scalars(select(Judgment).where(Judgment.run_id == run.id, Judgment.level == level, Judgment.element == element)).one()


def set_status(store, aid: int, level: str, element: str, status: str, confidence: float | None = "keep") -> None:
    """Store a status with a judgment the way a grader stores it (``probabilities["status"]``)."""
    with store.session() as s:
        j = judgment(s, aid, level, element)
        j.probabilities = {**(j.probabilities or {}), "status": status}
        if confidence != "keep":
            j.confidence = confidence


def where(row: dict, aid: int) -> dict:
    return dict(assessment_id=aid, company_key=row["Company"], level=row["Service"], element=row["Element"])


def csv_rows(path) -> tuple[list[str], list[dict]]:
    text = path.read_text("utf-8")
    return next(csv.reader(io.StringIO(text))), list(csv.DictReader(io.StringIO(text)))


def test_element_scores_csv_says_which_rows_need_review(apple, cli):
    store, aid, out = apple["store"], apple["assessment_id"], apple["tmp"] / "out"
    rows, _ = element_rows(store, aid)
    confident = next(r for r in rows if r["Result"] != "NA" and float(r["Confidence"]) >= rq.REVIEW_BELOW)
    decided = next(r for r in rows if r["NeedsReview"] == "yes")
    set_status(store, aid, confident["Service"], confident["Element"], NO_DOC)
    with store.session() as s:
        review.accept(s, "alice", **where(decided, aid))
    write_outputs(store, aid, out)

    header, written = csv_rows(out / "element-scores.csv")
    # RDR's columns first, then ours, NeedsReview after the columns that were there before it
    assert header == [*elementcsv.COLUMNS, "Confidence", "Evidence", "PriorResult", "PriorRelation", "Reviewed", "NeedsReview", "AsOf"]
    assert tuple(header[len(elementcsv.COLUMNS):]) == EXTRA_COLUMNS
    by_key = {(r["Service"], r["Element"]): r for r in written}
    for r in written:
        conf = None if r["Confidence"] == "NA" else float(r["Confidence"])
        status = NO_DOC if (r["Service"], r["Element"]) == (confident["Service"], confident["Element"]) else None
        if conf is not None and abs(conf - rq.REVIEW_BELOW) < 0.0006:
            continue  # the CSV shows 3 decimals: 0.700 may stand for 0.6996, below the threshold
        assert r["NeedsReview"] == ("yes" if rq.needs_review(r["Result"], conf, status, r["Reviewed"] == "yes") else "no"), (r["Element"], r["Confidence"])
    assert {r["NeedsReview"] for r in written if r["Result"] == "NA"} == {"no"}
    assert by_key[(confident["Service"], confident["Element"])]["NeedsReview"] == "yes"  # its status
    assert by_key[(decided["Service"], decided["Element"])]["NeedsReview"] == "no"  # an analyst accepted it
    needing = [r for r in written if r["NeedsReview"] == "yes"]
    assert needing and len(needing) < len([r for r in written if r["Result"] != "NA"])

    # the published site's CSV is the same
    from rightsindex.publish.site import publish_site

    published = publish_site(apple["url"], apple["tmp"] / "site", aid)
    site_header, site_rows = csv_rows(Path(published["files"]["element-scores.csv"]))
    assert site_header == header and [r["NeedsReview"] for r in site_rows] == [r["NeedsReview"] for r in written]

    # the CSV is still input for `score` and for `--prior`
    res = cli("score", out / "element-scores.csv", "--methodology", "rdr-2022", "--format", "json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["companies"]["Apple"]["total"] == json.loads((out / "scores.json").read_text("utf-8"))["companies"]["Apple"]["total"]
    prior = read_prior([out / "element-scores.csv"], METH)["Apple"]
    assert len(prior) == len(written) and prior[(decided["Service"], decided["Element"])].result == decided["Result"]


def test_a_policy_change_puts_a_decided_grade_back_in_the_queue(apple):
    """A final decision whose passage disappears from a newer version is flagged "needs re-review"
    (review.flag_stale_decisions): the grade needs review again, with that status."""
    store, aid, tmp = apple["store"], apple["assessment_id"], apple["tmp"]
    privacy = tmp / "docs/Apple/apple-privacy-policy.md"
    raw = privacy.read_text("utf-8")
    rows, _ = element_rows(store, aid)
    with store.session() as s:
        doc = s.scalars(select(Document).where(Document.key == "docs/Apple/apple-privacy-policy.md")).one()
        gone = next(p for p in doc.versions[-1].passages if p.kind == "paragraph" and len(p.text) > 120 and p.text[:100] in raw)
        row = next(r for r in rows if r["Service"] == "Group" and r["NeedsReview"] == "yes")
        review.change_grade(s, "alice", result="partial", **where(row, aid))
        review.attach_evidence(s, "alice", passage_id=gone.id, **where(row, aid))
        gone_text = gone.text
    key = ("Apple", row["Service"], row["Element"])
    decided = {(r["Service"], r["Element"]): r for r in element_rows(store, aid)[0]}
    assert decided[key[1:]]["NeedsReview"] == "no"
    with store.session() as s:
        assert key not in rq.statuses(s, aid)

    privacy.write_text(raw.replace(gone_text[:100], "We have rewritten this paragraph entirely. "), "utf-8")
    assert ingest_manifest(store, load_manifest(apple["manifest"])).new_versions == 1
    with store.session() as s:
        assert review.flag_stale_decisions(s) == 1
        assert rq.statuses(s, aid)[key] == rq.REREVIEW
    after = {(r["Service"], r["Element"]): r for r in element_rows(store, aid)[0]}
    assert (after[key[1:]]["Result"], after[key[1:]]["Reviewed"], after[key[1:]]["NeedsReview"]) == ("partial", "yes", "yes")
    with store.session() as s:  # looking at it again confirms it
        review.accept(s, "alice", **where(row, aid))
        assert key not in rq.statuses(s, aid)
    assert {(r["Service"], r["Element"]): r for r in element_rows(store, aid)[0]}[key[1:]]["NeedsReview"] == "no"


def test_statuses_are_read_from_the_stored_judgments_on_sqlite_and_postgresql(db_url):
    store = Store.open(db_url)
    with store.session() as s:
        a = Assessment(key="k", index="t", methodology="rdr-2022", manifest_sha256="0" * 64, model_version="m")
        s.add(a)
        s.flush()
        run = CompanyRun(assessment_id=a.id, company_key="Acme", cache_key="c", meta={})
        s.add(run)
        s.flush()
        s.add_all([
            Judgment(run_id=run.id, level="Group", element="G01.01", result="no disclosure found", confidence=0.2,
                     probabilities={"status": NO_DOC, "why": {"missing": "a document"}}, evidence=[]),
            Judgment(run_id=run.id, level="Group", element="G01.02", result="yes", confidence=0.9,
                     probabilities={"yes": 0.9, "why": [["prior", 1.2]]}, evidence=[]),
            Judgment(run_id=run.id, level="Group", element="G01.03", result="yes", confidence=0.9,
                     probabilities={"status": ""}, evidence=[]),
            Judgment(run_id=run.id, level="Group", element="G02.01", result="yes", confidence=0.9,
                     probabilities={"status": None}, evidence=[]),
        ])
        s.add(ReviewDecision(methodology="rdr-2022", company_key="Acme", level="Group", element="G02.02", step="final",
                             result="yes", created_by="alice", updated_by="alice", needs_rereview=True, rereview_reason="changed"))
        s.add(ReviewDecision(methodology="rdr-2022", company_key="Acme", level="Group", element="G02.03", step="primary",
                             result="yes", created_by="alice", updated_by="alice", needs_rereview=True, rereview_reason="changed"))
        aid = a.id
    with store.session() as s:
        assert rq.statuses(s, aid) == {("Acme", "Group", "G01.01"): NO_DOC, ("Acme", "Group", "G02.02"): rq.REREVIEW}
        assert rq.statuses(s, aid + 1) == {}
    store.close()


# -- the web app and the API ------------------------------------------------------------------------


@pytest.fixture
def site(apple, monkeypatch):
    """Apple's assessment with one judgment stored under a status and one evidence passage made
    hostile, three accounts, and a fresh app (created after the changes: its caches start empty)."""
    monkeypatch.delenv("RIGHTSINDEX_SECRET", raising=False)
    store, aid = apple["store"], apple["assessment_id"]
    for name, role in (("alice", "analyst"), ("victor", "viewer")):
        review.add_user(store, name, role, PASSWORD)
    rows, _ = element_rows(store, aid)
    confident = next(r for r in rows if r["Result"] != "NA" and float(r["Confidence"]) >= 0.9 and r["Category"] == "P")
    set_status(store, aid, confident["Service"], confident["Element"], NO_DOC, confidence=0.0)  # below every graded confidence
    hostile = next(r for r in rows if r["NeedsReview"] == "yes" and json.loads(r["Evidence"]))
    with store.session() as s:
        j = judgment(s, aid, hostile["Service"], hostile["Element"])
        first = dict(j.evidence[0])
        first["text"] = '<script>window.__pwned = 1</script><img src=x onerror="alert(1)"> We share data. ' + first["text"]
        j.evidence = [first, *j.evidence[1:]]
    return {**apple, "app": create_app(apple["url"]), "status_row": confident, "hostile_row": hostile,
            "rows": element_rows(store, aid)[0]}


def queue_rows(html: str) -> list[dict]:
    """The items of a queue page, in order."""
    out = []
    for mo in re.finditer(r'<tr data-testid="queue-item" data-company="([^"]*)" data-level="([^"]*)" data-element="([^"]*)">(.*?)</tr>', html, re.S):
        conf = re.search(r'data-testid="queue-confidence">(\d+)%', mo.group(4))
        out.append({"company": mo.group(1), "level": mo.group(2), "element": mo.group(3), "confidence": int(conf.group(1)) if conf else None,
                    "reason": re.search(r'data-testid="reason">([^<]*)<', mo.group(4)).group(1), "html": mo.group(4)})
    return out


def whole_queue(c: TestClient, query: str = "") -> list[tuple[str, str]]:
    """(level, element) of every item of the queue, following its pages."""
    out, page = [], 1
    while True:
        html = c.get(f"/review?{query}&page={page}").text
        out += [(i["level"], i["element"]) for i in queue_rows(html)]
        if 'data-testid="next-page"' not in html:
            return out
        page += 1


def expected_queue(site) -> list[tuple[str, str]]:
    store = Store.open(site["url"])
    rows, _ = element_rows(store, site["assessment_id"])
    with store.session() as s:
        statuses = rq.statuses(s, site["assessment_id"])
    store.close()
    return [(it.level, it.element) for it in rq.queue(rows, statuses)]


def test_the_queue_page_lists_doubtful_grades_least_confident_first(site):
    c = TestClient(site["app"])
    login(c, "alice")
    expected = expected_queue(site)
    assert len(expected) > 50  # more than one page on this assessment
    page1 = c.get("/review")
    assert page1.status_code == 200
    items = queue_rows(page1.text)
    assert [(i["level"], i["element"]) for i in items] == expected[:50]
    assert f'data-testid="queue-count" title="grades that need review">{len(expected)}<' in page1.text  # the navigation
    assert f"<strong>{len(expected)}</strong> grades need review" in page1.text
    # the grade stored with a status comes first (confidence 0%), and says why it is there
    status_row = site["status_row"]
    assert (items[0]["level"], items[0]["element"], items[0]["confidence"], items[0]["reason"]) == (status_row["Service"], status_row["Element"], 0, NO_DOC)
    confidences = [i["confidence"] for i in items]
    assert confidences == sorted(confidences) and all(v < rq.REVIEW_BELOW * 100 for v in confidences)
    # every item links to its element page, with the question and the first cited passage
    first = items[1]
    el = METH.elements[first["element"]]
    assert f'href="/companies/Apple/elements/{first["element"]}?level={first["level"]}&amp;assessment={site["assessment_id"]}"' in first["html"]
    assert str(escape(el.question)) in first["html"]
    assert "docs/Apple/apple-" in first["html"] or "no passage cited" in first["html"]
    # pages
    last = (len(expected) - 1) // 50 + 1
    assert 'data-testid="next-page"' in page1.text and f"page 1 of {last}" in page1.text
    tail = queue_rows(c.get(f"/review?page={last}").text)
    assert [(i["level"], i["element"]) for i in tail] == expected[(last - 1) * 50:]
    assert queue_rows(c.get("/review?page=999").text) == tail  # past the end: the last page
    assert c.get("/review?page=0").status_code == 422


def test_the_queue_escapes_policy_text(site):
    c = TestClient(site["app"])
    login(c, "alice")
    hostile = site["hostile_row"]
    html, page = "", 1
    while True:  # every page of the queue
        part = c.get(f"/review?page={page}").text
        html += part
        if 'data-testid="next-page"' not in part:
            break
        page += 1
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert "<script>window.__pwned" not in html and "<img src=x" not in html
    assert (hostile["Service"], hostile["Element"]) in expected_queue(site)


def test_the_queue_filters_by_company_category_level_and_status(site):
    c = TestClient(site["app"])
    login(c, "victor")
    expected = expected_queue(site)
    for query, keep in (
        ("category=P", lambda lvl, el: METH.indicators[METH.elements[el].indicator].category == "P"),
        ("category=g", lambda lvl, el: METH.indicators[METH.elements[el].indicator].category == "G"),
        ("level=Group", lambda lvl, el: lvl == "Group"),
        ("company=Apple&level=iCloud&category=F", lambda lvl, el: lvl == "iCloud" and METH.elements[el].indicator.startswith("F")),
    ):
        want = [k for k in expected if keep(*k)]
        assert want, query
        assert whole_queue(c, query) == want, query
    status_row = site["status_row"]
    only = queue_rows(c.get(f"/review?status={NO_DOC.replace(' ', '+')}").text)
    assert [(i["level"], i["element"]) for i in only] == [(status_row["Service"], status_row["Element"])]
    low = c.get("/review?status=low+confidence&category=P").text
    assert (status_row["Service"], status_row["Element"]) not in [(i["level"], i["element"]) for i in queue_rows(low)]
    assert 'data-testid="queue-empty"' in c.get("/review?level=Nowhere").text
    assert c.get("/review?category=X").status_code == 422
    assert c.get("/review?company=Nobody").status_code == 404
    assert "queue-count" not in c.get("/review").text  # the count is for analysts


def test_a_final_decision_takes_a_grade_out_of_the_queue(site):
    aid = site["assessment_id"]
    c = TestClient(site["app"])
    token = login(c, "alice")
    before = expected_queue(site)
    level, element = before[1]
    page = c.get(f"/companies/Apple/elements/{element}?level={level}&assessment={aid}")
    assert 'data-testid="queue-note"' in page.text and "Needs review" in page.text
    nxt = re.search(r'data-testid="queue-next">next: ([^ ]+) · ([^ ]+) →', page.text)
    assert (METH.elements[before[2][1]].label, before[2][0]) == nxt.groups()
    # a primary-research decision does not count; the final one does
    url = f"/review/Apple/{element}?level={level}&assessment={aid}"
    r = c.post(url, data={"action": "accept", "step": "primary", "csrf_token": token}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and (level, element) in [(i["level"], i["element"]) for i in queue_rows(c.get("/review").text)]
    r = c.post(url, data={"action": "accept", "step": "final", "csrf_token": token}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "Decided by an analyst: not in the review queue" in r.text
    assert f'hx-swap-oob="true">{len(before) - 1}<' in r.text  # the navigation's count follows
    assert whole_queue(c) == [k for k in before if k != (level, element)]
    card = c.get(f"/companies/Apple?assessment={aid}").text
    assert f"<strong>{len(before) - 1}</strong> of" in card and f'href="/review?assessment={aid}&amp;company=Apple"' in card


def test_the_indicator_page_sorts_its_elements_by_uncertainty(site):
    c = TestClient(site["app"])
    login(c, "victor")
    status_row = site["status_row"]
    ind = METH.elements[status_row["Element"]].indicator
    plain = c.get(f"/companies/Apple/indicators/{ind}").text
    doubtful = c.get(f"/companies/Apple/indicators/{ind}?sort=uncertainty").text
    label = METH.elements[status_row["Element"]].label

    def order(html):
        return re.findall(r"<tr><td><strong>([^<]+)</strong>", html)

    assert order(plain) == [METH.elements[e].label for e in METH.indicators[ind].elements]
    assert order(doubtful)[0] == label and sorted(order(doubtful)) == sorted(order(plain))
    assert 'data-testid="needs-review"' in doubtful and "least confident first</strong>" in doubtful


def test_the_api_sorts_filters_and_lists_the_queue(site):
    aid = site["assessment_id"]
    c = TestClient(site["app"])
    login(c, "victor")
    expected = expected_queue(site)
    base = f"/api/assessments/{aid}/companies/Apple/elements"
    everything = c.get(base).json()
    assert {"confidence", "needs_review", "status"} <= set(everything[0]) and everything[0]["NeedsReview"] in ("yes", "no")
    assert [(r["Service"], r["Element"]) for r in everything] == [(r["Service"], r["Element"]) for r in site["rows"]]  # methodology order
    doubtful = c.get(base + "?sort=uncertainty&needs_review=true").json()
    assert [(r["Service"], r["Element"]) for r in doubtful] == expected
    assert all(r["needs_review"] for r in doubtful)
    assert doubtful[0]["status"] == NO_DOC and doubtful[0]["confidence"] == 0.0
    rest = c.get(base + "?needs_review=false").json()
    assert len(rest) + len(doubtful) == len(everything) and not any(r["needs_review"] for r in rest)
    ordered = c.get(base + "?sort=uncertainty").json()
    assert [(r["Service"], r["Element"]) for r in ordered[: len(expected)]] == expected and ordered[-1]["Result"] == "NA"
    assert c.get(base + "?sort=random").status_code == 422

    q = c.get(f"/api/assessments/{aid}/review-queue?limit=10&offset=5").json()
    assert (q["total"], q["offset"], q["limit"], q["review_below"]) == (len(expected), 5, 10, rq.REVIEW_BELOW)
    assert [(i["level"], i["element"]) for i in q["items"]] == expected[5:15]
    assert [i["position"] for i in q["items"]] == list(range(6, 16))
    assert q["counts"]["reason"][NO_DOC] == 1 and sum(q["counts"]["company"].values()) == len(expected)
    item = q["items"][0]
    assert item["url"].startswith(f"/companies/Apple/elements/{item['element']}") and c.get(item["api"]).json()["needs_review"] is True
    p = c.get(f"/api/assessments/{aid}/review-queue?category=P&level=iCloud").json()
    assert p["items"] and all(i["category"] == "P" and i["level"] == "iCloud" for i in p["items"])
    assert c.get(f"/api/assessments/{aid}/review-queue?category=Z").status_code == 422
    assert c.get(f"/api/assessments/{aid}/review-queue?limit=0").status_code == 422
    assert c.get(f"/api/assessments/{aid + 99}/review-queue").status_code == 404
    assert c.get(f"/api/assessments/{aid}/review-queue?company=Nobody").status_code == 404

    schema = c.get("/openapi.json").json()
    op = schema["paths"]["/api/assessments/{assessment_id}/review-queue"]["get"]
    assert {prm["name"] for prm in op["parameters"]} >= {"company", "category", "level", "status", "limit", "offset"}
    elements_op = schema["paths"]["/api/assessments/{assessment_id}/companies/{company}/elements"]["get"]
    assert {prm["name"] for prm in elements_op["parameters"]} >= {"sort", "needs_review"}
    assert "ReviewQueueOut" in schema["components"]["schemas"]
    assert "/api/assessments/{assessment_id}/review-queue" in c.get("/docs").text


def test_the_public_edition_shows_the_queue_read_only(site):
    aid = site["assessment_id"]
    c = TestClient(create_app(site["url"], public=True))
    page = c.get("/review")
    assert page.status_code == 200 and "Public edition" in page.text
    assert "not been checked by a person yet" in page.text and "queue-count" not in page.text
    assert [(i["level"], i["element"]) for i in queue_rows(page.text)] == expected_queue(site)[:50]
    level, element = expected_queue(site)[0]
    el = c.get(f"/companies/Apple/elements/{element}?level={level}&assessment={aid}").text
    assert 'data-testid="queue-note"' in el and "review-panel" not in el
    assert c.get(f"/api/assessments/{aid}/review-queue").json()["total"] == len(expected_queue(site))

"""The web app as a browser and an API client see it (FastAPI TestClient, real assessed data)."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rightsindex import methodology as m
from rightsindex import review
from rightsindex.review import AccountError, add_user, authenticate
from rightsindex.store import Store
from rightsindex.store.models import AppSetting, User
from rightsindex.web import create_app
from rightsindex.web.security import CSP

from .webdata import PASSWORD, add_chinese_history, add_hostile_documents, assess_apple, copy_db


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """Apple assessed; Baidu's Chinese policy in two versions; hostile documents; three accounts."""
    tmp = tmp_path_factory.mktemp("web")
    d = assess_apple(tmp)
    d["zh_doc"] = add_chinese_history(d["db_url"], tmp)
    d["hostile"] = add_hostile_documents(d["db_url"], tmp)
    store = Store.open(d["db_url"])
    for name, role in (("alice", "analyst"), ("victor", "viewer"), ("ada", "admin")):
        add_user(store, name, role, PASSWORD)
    store.close()
    return d


@pytest.fixture
def site(base, tmp_path, monkeypatch):
    """A private copy of the database behind a fresh app."""
    monkeypatch.delenv("RIGHTSINDEX_SECRET", raising=False)
    url = copy_db(base["db_path"], tmp_path / "site.sqlite")
    return {**base, "url": url, "app": create_app(url)}


def csrf_in(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client: TestClient, user: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    form = client.get("/login")
    r = client.post("/login", data={"username": user, "password": password, "csrf_token": csrf_in(form.text), "next": "/ranking"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_in(client.get("/ranking").text)


def first_element(site, *, level="Group", result="no disclosure found") -> tuple[str, str]:
    """(element, indicator) of a Group-level element with this automated result."""
    from rightsindex.review.results import element_rows

    store = Store.open(site["url"])
    rows, _ = element_rows(store, site["assessment_id"])
    store.close()
    meth = m.load("rdr-2022")
    for r in rows:
        el = meth.elements[r["Element"]]
        ind = meth.indicators[el.indicator]
        if r["Service"] == level and r["Result"] == result and ind.top_level and ind.scoring_scope == "company" and not el.reversed:
            return r["Element"], r["Indicator"]
    raise AssertionError(f"no {result!r} element at {level}")


# -- accounts -------------------------------------------------------------------------------------


def test_accounts_store_only_argon2_hashes(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'a.sqlite'}")
    add_user(store, "alice", "analyst", PASSWORD)
    with store.session() as s:
        u = s.scalars(select(User)).one()
        assert u.password_hash.startswith("$argon2id$") and PASSWORD not in u.password_hash
        assert authenticate(s, "alice", PASSWORD).username == "alice"
        assert authenticate(s, "alice", PASSWORD + "x") is None
        assert authenticate(s, "nobody", PASSWORD) is None
    for args, message in [
        (("alice", "analyst", PASSWORD), "exists already"),
        (("bob", "editor", PASSWORD), "role"),
        (("bob", "viewer", "short"), "at least"),
        (("bad name!", "viewer", PASSWORD), "user name"),
    ]:
        with pytest.raises(AccountError, match=message):
            add_user(store, *args)
    store.close()


def test_the_session_secret_comes_from_the_environment_or_the_database(base, tmp_path, monkeypatch):
    monkeypatch.delenv("RIGHTSINDEX_SECRET", raising=False)
    url = copy_db(base["db_path"], tmp_path / "s.sqlite")
    c1 = TestClient(create_app(url))
    login(c1, "alice")
    store = Store.open(url)
    with store.session() as s:
        stored = s.get(AppSetting, "session_secret").value
    assert len(stored) >= 48
    # a restarted app (same database) accepts the session; a tampered cookie is refused
    c2 = TestClient(create_app(url), cookies={"ri_session": c1.cookies["ri_session"]})
    assert c2.get("/ranking", follow_redirects=False).status_code == 200
    c3 = TestClient(create_app(url), cookies={"ri_session": c1.cookies["ri_session"][:-2] + "xx"})
    assert c3.get("/ranking", follow_redirects=False).status_code == 303
    # with RIGHTSINDEX_SECRET the old signatures no longer hold
    monkeypatch.setenv("RIGHTSINDEX_SECRET", "another secret of enough length")
    c4 = TestClient(create_app(url), cookies={"ri_session": c1.cookies["ri_session"]})
    assert c4.get("/ranking", follow_redirects=False).status_code == 303


# -- sign in, roles, CSRF ---------------------------------------------------------------------------


def test_everything_needs_sign_in_except_the_login_page(site):
    c = TestClient(site["app"])
    r = c.get("/ranking", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=%2Franking")
    assert c.get("/api/assessments").status_code == 401
    assert c.get("/docs", follow_redirects=False).status_code == 303
    assert c.get(f"/documents/{site['zh_doc']}", follow_redirects=False).status_code == 303
    assert c.get("/login").status_code == 200
    assert c.get("/static/app.css").status_code == 200


def test_sign_in_and_out(site):
    c = TestClient(site["app"])
    form = c.get("/login")
    bad = c.post("/login", data={"username": "alice", "password": "wrong password!", "csrf_token": csrf_in(form.text)})
    assert bad.status_code == 401 and "Wrong user name or password" in bad.text
    r = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_in(form.text), "next": "/companies/Apple"},
               follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/companies/Apple")
    cookie = r.headers["set-cookie"]
    assert "ri_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    page = c.get("/ranking")
    assert page.status_code == 200 and "alice · analyst" in page.text
    token = csrf_in(page.text)
    old_cookie = c.cookies["ri_session"]

    assert c.post("/logout", follow_redirects=False).status_code == 403  # no CSRF token
    out = c.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert c.get("/ranking", follow_redirects=False).status_code == 303
    # the old cookie is dead: the session is gone from the database, not only from the browser
    again = TestClient(site["app"], cookies={"ri_session": old_cookie})
    assert again.get("/ranking", follow_redirects=False).status_code == 303


def test_session_cookie_is_secure_over_https(site):
    c = TestClient(site["app"], base_url="https://testserver")
    form = c.get("/login")
    r = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_in(form.text)}, follow_redirects=False)
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_the_login_form_needs_its_csrf_token_and_only_follows_local_targets(site):
    c = TestClient(site["app"])
    c.get("/login")
    assert c.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 403
    form = c.get("/login")
    r = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_in(form.text), "next": "//evil.example/x"},
               follow_redirects=False)
    assert r.headers["location"] == "/"


def test_a_viewer_reads_but_cannot_change_anything(site):
    element, _ = first_element(site)
    aid = site["assessment_id"]
    c = TestClient(site["app"])
    token = login(c, "victor")
    page = c.get(f"/companies/Apple/elements/{element}?level=Group&assessment={aid}")
    assert page.status_code == 200 and 'data-testid="review-panel"' not in page.text
    assert "Audit trail" in page.text
    r = c.post(f"/review/Apple/{element}?level=Group&assessment={aid}", data={"action": "change", "result": "yes", "step": "final", "csrf_token": token})
    assert r.status_code == 403
    api = c.post(f"/api/assessments/{aid}/companies/Apple/elements/{element}/review?level=Group", json={"action": "change", "result": "yes"},
                 headers={"X-CSRF-Token": token})
    assert api.status_code == 403
    store = Store.open(site["url"])
    with store.session() as s:
        assert review.final_decisions(s, aid) == {}
    store.close()


def test_state_changes_need_the_session_csrf_token(site):
    element, _ = first_element(site)
    aid = site["assessment_id"]
    url = f"/review/Apple/{element}?level=Group&assessment={aid}"
    c = TestClient(site["app"])
    token = login(c, "alice")
    form = {"action": "comment", "comment": "Looks right.", "step": "final"}
    assert c.post(url, data=form).status_code == 403
    assert c.post(url, data={**form, "csrf_token": "forged"}).status_code == 403
    assert c.post(url, data=form, headers={"X-CSRF-Token": token, "Origin": "https://evil.example"}).status_code == 403
    # another user's token does not work either
    other = TestClient(site["app"])
    other_token = login(other, "ada")
    assert c.post(url, data={**form, "csrf_token": other_token}).status_code == 403
    # htmx sends it as a header; a plain form as a field
    assert c.post(url, data=form, headers={"X-CSRF-Token": token, "HX-Request": "true"}).status_code == 200
    assert c.post(url, data={**form, "csrf_token": token}, follow_redirects=False).status_code == 303
    audit = c.get(f"/api/assessments/{aid}/companies/Apple/elements/{element}/audit?level=Group").json()
    assert [(a["actor"], a["action"]) for a in audit] == [("alice", "comment"), ("alice", "comment")]


def test_an_override_updates_the_indicator_and_the_total(site):
    element, indicator = first_element(site)
    aid = site["assessment_id"]
    c = TestClient(site["app"])
    token = login(c, "alice")
    before = c.get(f"/api/assessments/{aid}/scores").json()["companies"]["Apple"]
    r = c.post(f"/review/Apple/{element}?level=Group&assessment={aid}",
               data={"action": "change", "result": "yes", "step": "final", "comment": "Stated plainly."},
               headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert r.status_code == 200
    after = c.get(f"/api/assessments/{aid}/scores").json()["companies"]["Apple"]
    assert after["indicators"][indicator] > before["indicators"][indicator]
    assert after["total"] > before["total"]
    assert f'data-testid="total-score">{after["total"]:.1f}<' in r.text  # the htmx fragment shows the new total
    assert 'data-testid="notice">Grade saved.' in r.text
    assert "change (final): no disclosure found (automated) → yes" in r.text
    detail = c.get(f"/api/assessments/{aid}/companies/Apple/elements/{element}?level=Group").json()
    assert (detail["result"], detail["reviewed"], detail["automated"]["result"]) == ("yes", True, "no disclosure found")
    assert detail["decisions"]["final"]["by"] == "alice"
    # a bad action is reported, not applied
    bad = c.post(f"/review/Apple/{element}?level=Group&assessment={aid}", data={"action": "attach", "passage_id": "abc", "step": "final"},
                 headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert bad.status_code == 422 and "is not a number" in bad.text


def test_the_api_reviews_with_the_csrf_header(site):
    element, _ = first_element(site)
    aid = site["assessment_id"]
    c = TestClient(site["app"])
    login(c, "ada")
    me = c.get("/api/me").json()
    assert me["role"] == "admin"
    url = f"/api/assessments/{aid}/companies/Apple/elements/{element}/review?level=Group"
    assert c.post(url, json={"action": "change", "result": "partial"}).status_code == 403
    r = c.post(url, json={"action": "change", "result": "partial", "step": "review"}, headers={"X-CSRF-Token": me["csrf_token"]})
    assert r.status_code == 200 and r.json()["decisions"]["review"]["result"] == "partial"
    assert r.json()["result"] == "no disclosure found"  # the review step does not count in scores
    bad = c.post(url, json={"action": "detach", "passage_id": 1}, headers={"X-CSRF-Token": me["csrf_token"]})
    assert bad.status_code == 422 and "not attached" in bad.json()["detail"]


# -- public mode ------------------------------------------------------------------------------------


def test_public_mode_is_read_only_without_sign_in(site):
    app = create_app(site["url"], public=True)
    for route in app.routes:
        assert set(getattr(route, "methods", None) or {"GET"}) <= {"GET", "HEAD"}, route.path
    c = TestClient(app)
    element, _ = first_element(site)
    assert c.get("/ranking").status_code == 200
    page = c.get(f"/companies/Apple/elements/{element}?level=Group")
    assert page.status_code == 200
    assert "review-panel" not in page.text and "Audit trail" not in page.text and "Sign in" not in page.text
    assert "Public edition" in page.text
    assert c.post("/login", data={"username": "alice", "password": PASSWORD}).status_code in (404, 405)
    assert c.post(f"/review/Apple/{element}?level=Group&assessment=1", data={"action": "accept"}).status_code in (404, 405)
    assert c.get("/api/me").status_code == 404
    assert c.get("/api/assessments").status_code == 200
    schema = c.get("/openapi.json").json()
    assert all(set(ops) <= {"get"} for ops in schema["paths"].values())


# -- pages ------------------------------------------------------------------------------------------


def test_pages_render_real_data(site):
    aid = site["assessment_id"]
    c = TestClient(site["app"])
    login(c, "victor")
    ranking = c.get("/ranking")
    assert ranking.status_code == 200
    assert "Apple Inc." in ranking.text and "<svg" in ranking.text and "Governance" in ranking.text and "Privacy" in ranking.text
    assert 'class="cell sc-' in ranking.text  # colour scale
    assert c.get("/ranking?sort=P&order=asc").status_code == 200
    assert c.get("/ranking?edition=1999").status_code == 404

    card = c.get("/companies/Apple")
    assert card.status_code == 200
    assert 'data-testid="scorecard"' in card.text and "iCloud" in card.text and "P1a" in card.text
    assert "Apple Inc.: total and category scores" in card.text  # labelled chart
    ind = c.get("/companies/Apple/indicators/P01")
    assert ind.status_code == 200 and "P1a" in ind.text

    element, _ = first_element(site, result="yes")
    page = c.get(f"/companies/Apple/elements/{element}?level=Group&assessment={aid}")
    assert page.status_code == 200
    assert 'data-testid="question"' in page.text and "RDR guidance" in page.text
    assert 'data-testid="confidence"' in page.text
    assert "<mark>" in page.text  # the evidence passage, highlighted inside its context
    assert re.search(r'href="/documents/\d+/versions/1\?hl=\d+#p\d+"', page.text)

    docs = c.get("/documents")
    assert docs.status_code == 200 and "百度App隐私政策" in docs.text


def test_a_list_cited_whole_is_highlighted_passage_by_passage(site):
    """An evidence unit (a lead-in and its list items) shows every one of its passages marked."""
    from rightsindex.store.models import Judgment, Passage

    store = Store.open(site["url"])
    with store.session() as s:
        found = None
        for j in s.scalars(select(Judgment).where(Judgment.run_id == site["assessment_id"], Judgment.level == "Group")):
            for i, e in enumerate(j.evidence or []):
                if len(e.get("passage_ids") or []) > 2 and j.result != "NA":
                    found = (j.element, i, [s.get(Passage, pid).text for pid in e["passage_ids"]])
                    break
            if found:
                break
    store.close()
    assert found, "no list among the evidence"
    element, position, texts = found
    c = TestClient(site["app"])
    login(c, "victor")
    page = c.get(f"/companies/Apple/elements/{element}?level=Group&assessment={site['assessment_id']}")
    assert page.status_code == 200
    def words(text: str) -> str:  # markup and Markdown emphasis aside
        return " ".join(re.findall(r"[A-Za-z0-9]+", re.sub(r"<[^>]+>", " ", text)))

    marked = [words(m) for m in re.findall(r"<mark>(.*?)</mark>", page.text, re.S)]
    for text in texts:  # each passage of the list inside a <mark>, from its first words
        start = " ".join(words(text).split()[:8])
        assert any(m.startswith(start) for m in marked), (text[:80], position)


def test_a_chinese_document_diff(site):
    c = TestClient(site["app"])
    login(c, "victor")
    doc = site["zh_doc"]
    page = c.get(f"/documents/{doc}")
    assert page.status_code == 200
    assert "2 versions" in page.text and "v1" in page.text and "v2" in page.text
    assert "<ins>公司</ins>" in page.text  # character-level change inside a Chinese passage
    assert "<ins>我们会在变更生效前通过弹窗通知您本政策的重大变更。</ins>" in page.text
    assert 'data-testid="diff-counts"' in page.text
    v1 = c.get(f"/documents/{doc}/versions/1")
    assert v1.status_code == 200 and "隐私政策" in v1.text and 'lang="zh"' in v1.text
    api = c.get(f"/api/documents/{doc}/diff?from=1&to=2").json()
    assert api["counts"]["changed"] >= 1 and api["counts"]["added"] == 1
    assert any(op == 1 and "公司" in t for ch in api["changes"] for op, t in ch["inline"])


def test_untrusted_text_is_inert(site):
    c = TestClient(site["app"])
    login(c, "alice")
    raw = site["hostile"]["hostile-raw.md"]
    for url in (f"/documents/{raw}", f"/documents/{raw}/versions/1", f"/documents/{site['hostile']['hostile.html']}", "/documents"):
        page = c.get(url)
        assert page.status_code == 200
        html = page.text
        assert "window.__pwned" not in html or "&lt;script&gt;window.__pwned" in html or "window.__pwned = 2" in html
        assert "<script>window" not in html and "<img src" not in html and "<iframe" not in html and "<svg onload" not in html
        assert 'href="javascript:' not in html
        # the only scripts are our own files; no inline script, no inline style, no event handler
        assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/htmx.min.js" defer>']
        assert not re.search(r"\sstyle=", html) and not re.search(r"<[^>]+\son[a-z]+=", html)
    text = c.get(f"/documents/{raw}/versions/1").text
    assert "&lt;script&gt;window.__pwned = 1" in text and "{{ 7 * 7 }}" in text
    assert "Hostile &lt;script&gt;alert(&#39;TITLE&#39;)&lt;/script&gt; markup" in text


def test_security_headers_on_every_response(site):
    c = TestClient(site["app"])
    for url in ("/login", "/ranking", "/static/app.css", "/api/assessments", "/nowhere"):
        r = c.get(url, follow_redirects=False)
        assert r.headers["content-security-policy"] == CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in CSP and "frame-ancestors 'none'" in CSP and "default-src 'none'" in CSP
    assert "http" not in CSP and "unsafe" not in CSP


def test_head_answers_like_get_without_a_body(site):
    c = TestClient(site["app"])
    login(c, "victor")
    for url in ("/healthz", "/ranking", "/static/app.css", "/api/assessments"):
        got, head = c.get(url, follow_redirects=False), c.head(url, follow_redirects=False)
        assert head.status_code == got.status_code == 200, url
        assert head.content == b"" and got.content, url
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-security-policy"] == CSP
    anonymous = TestClient(site["app"])
    r = anonymous.head("/ranking", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = anonymous.head("/login")
    assert r.status_code == 200 and r.content == b"" and r.headers["content-type"].startswith("text/html")


# -- JSON API ---------------------------------------------------------------------------------------


def test_the_json_api(site):
    aid = site["assessment_id"]
    c = TestClient(site["app"])
    login(c, "victor")
    assessments = c.get("/api/assessments").json()
    assert assessments[0]["id"] == aid and assessments[0]["companies"] == ["Apple"]
    scores = c.get(f"/api/assessments/{aid}/scores").json()
    written = json.loads((site["out"] / "scores.json").read_text("utf-8"))
    assert scores["companies"]["Apple"]["total"] == written["companies"]["Apple"]["total"]
    assert scores["companies"]["Apple"]["indicators"] == written["companies"]["Apple"]["indicators"]
    ranking = c.get("/api/ranking").json()
    assert ranking["companies"][0]["company"] == "Apple" and set(ranking["companies"][0]["categories"]) == {"G", "F", "P"}
    element, _ = first_element(site, result="yes")
    detail = c.get(f"/api/assessments/{aid}/companies/Apple/elements/{element}?level=Group").json()
    assert detail["result"] == "yes" and detail["evidence"] and {"passage_id", "version_id", "text"} <= set(detail["evidence"][0])
    assert c.get(f"/api/assessments/{aid}/companies/Apple/elements/X99.01?level=Group").status_code == 404
    rows = c.get(f"/api/assessments/{aid}/companies/Apple/elements").json()
    assert {r["Service"] for r in rows} == {"Group", "OpCom", "iCloud"}
    docs = c.get("/api/documents?company=Apple").json()
    doc = c.get(f"/api/documents/{docs[0]['id']}").json()
    assert doc["versions"][0]["seq"] == 1
    version = c.get(f"/api/documents/{docs[0]['id']}/versions/1").json()
    assert version["passages"] and version["text"]
    schema = c.get("/openapi.json").json()
    assert "/api/assessments/{assessment_id}/scores" in schema["paths"]
    assert "post" in schema["paths"]["/api/assessments/{assessment_id}/companies/{company}/elements/{element}/review"]
    api_docs = c.get("/docs")
    assert api_docs.status_code == 200 and "/api/documents/{doc_id}/diff" in api_docs.text


def test_a_scorecard_shows_the_change_since_the_previous_assessment(site):
    """A later assessment of the same company (here: its judgments with one answer changed) gives
    the year-over-year change per indicator and the elements that moved."""
    from rightsindex.store.models import Assessment, CompanyRun, Judgment

    element, indicator = first_element(site, result="yes")
    store = Store.open(site["url"])
    with store.session() as s:
        old = s.get(Assessment, site["assessment_id"])
        new = Assessment(key="later", index="2027", methodology=old.methodology, manifest_path=old.manifest_path,
                         manifest_sha256=old.manifest_sha256, model_version=old.model_version, status="done")
        s.add(new)
        s.flush()
        old_run = old.runs[0]
        run = CompanyRun(assessment_id=new.id, company_key="Apple", cache_key="later", meta={})
        s.add(run)
        s.flush()
        for j in old_run.judgments:
            moved = j.level == "Group" and j.element == element
            s.add(Judgment(run_id=run.id, level=j.level, service_kind=j.service_kind, element=j.element,
                           result="no disclosure found" if moved else j.result, confidence=j.confidence,
                           probabilities=j.probabilities, evidence=[] if moved else j.evidence, comment=j.comment))
        new_id = new.id
    store.close()
    c = TestClient(site["app"])
    login(c, "victor")
    ranking = c.get("/ranking")
    assert "2027 — assessment #" in ranking.text and 'href="/ranking?edition=2026"' in ranking.text
    card = c.get(f"/companies/Apple?assessment={new_id}")
    assert card.status_code == 200
    assert f"What changed since assessment #{site['assessment_id']}" in card.text
    moved = card.text[card.text.index('data-testid="moved"'):]
    assert m.load("rdr-2022").elements[element].label in moved[:3000]
    assert "delta-down" in card.text  # the indicator fell
    old_card = c.get(f"/companies/Apple?assessment={site['assessment_id']}")
    assert "What changed since" not in old_card.text


def test_cached_scores_follow_review_changes_exactly(site, monkeypatch):
    """The app updates its cached scores after review changes instead of recomputing everything;
    the result equals a full computation by review.results.element_rows + scoring.score_all."""
    from rightsindex.review.results import element_rows
    from rightsindex.scoring import score_all
    from rightsindex.web.data import Data

    aid = site["assessment_id"]
    data = site["app"].state.ctx.data
    data.scored(aid)  # warm
    full_runs = []
    original = Data._full
    monkeypatch.setattr(Data, "_full", lambda self, a: full_runs.append(a) or original(self, a))
    silent, _ = first_element(site)
    disclosed, _ = first_element(site, result="yes")
    store = Store.open(site["url"])
    with store.session() as s:
        where = dict(assessment_id=aid, company_key="Apple", level="Group")
        review.change_grade(s, "alice", element=silent, result="partial", comment="Some of it.", **where)
        review.change_grade(s, "alice", element=disclosed, result="no", step="primary", **where)  # not final: no effect
        review.accept(s, "alice", element=disclosed, **where)
        pid = review.decisions_for(s, "rdr-2022", "Apple", "Group", disclosed)["final"].evidence[0]["passage_id"]
        review.detach_evidence(s, "alice", element=disclosed, passage_id=pid, **where)
        review.change_grade(s, "bob", element=disclosed, result="NA", **where)
    patched = data.scored(aid)
    assert full_runs == []
    rows, results = element_rows(store, aid)
    store.close()
    assert patched.rows == rows
    fresh = score_all(patched.methodology, results)
    assert {c: v.as_dict() for c, v in patched.scores.items()} == {c: v.as_dict() for c, v in fresh.items()}


def test_an_expired_session_asks_to_sign_in_again(site):
    element, _ = first_element(site)
    c = TestClient(site["app"], cookies={"ri_session": "not-a-valid-session"})
    url = f"/review/Apple/{element}?level=Group&assessment={site['assessment_id']}"
    r = c.post(url, data={"action": "accept", "csrf_token": "x"}, headers={"HX-Request": "true"}, follow_redirects=False)
    assert (r.status_code, r.headers["hx-redirect"]) == (401, "/login")
    r = c.post(url, data={"action": "accept", "csrf_token": "x"}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    api = c.post(f"/api/assessments/{site['assessment_id']}/companies/Apple/elements/{element}/review?level=Group", json={"action": "accept"})
    assert api.status_code == 401

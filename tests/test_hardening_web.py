"""The web app and the store under hostile use (issue 13, items 6, 7 and 9): oversized ids, errors
without security headers, rewriting the audit log, and login throttling shared by workers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from rightsindex.review import add_user
from rightsindex.store import Store
from rightsindex.store.models import AuditEntry, ReviewComment
from rightsindex.web import create_app

from .webdata import PASSWORD

BIG = "9" * 40


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client: TestClient, user: str, password: str = PASSWORD) -> int:
    form = client.get("/login")
    r = client.post("/login", data={"username": user, "password": password, "csrf_token": _csrf(form.text), "next": "/"},
                    follow_redirects=False)
    return r.status_code


@pytest.fixture
def empty_site(tmp_path, monkeypatch):
    monkeypatch.delenv("RIGHTSINDEX_SECRET", raising=False)
    monkeypatch.setenv("RIGHTSINDEX_WEB_WARM", "0")
    url = f"sqlite:///{tmp_path / 'site.sqlite'}"
    store = Store.open(url)
    add_user(store, "alice", "analyst", PASSWORD)
    store.close()
    return url


def _int_routes(app):
    """(method, path template, path int params, query int params, other required query params) of
    every route that takes an integer."""
    def walk(routes, prefix=""):
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI >= 0.16x keeps included routers
            if included is not None:
                yield from walk(included.routes, prefix + getattr(route.include_context, "prefix", ""))
            elif getattr(route, "dependant", None) is not None:
                yield prefix + route.path, route

    out = []
    for path, route in walk(app.routes):
        dependant = route.dependant
        ints_path = [p.name for p in dependant.path_params if "int" in str(p.field_info.annotation)]
        ints_query = [p.alias for p in dependant.query_params if "int" in str(p.field_info.annotation)]
        required = [p.alias for p in dependant.query_params if p.field_info.is_required() and p.alias not in ints_query]
        if ints_path or ints_query:
            for method in route.methods:
                out.append((method, path, ints_path, ints_query, required))
    return out


@pytest.mark.parametrize("public", [False, True])
def test_oversized_ids_are_refused_not_crashing_and_carry_security_headers(empty_site, public):
    app = create_app(empty_site, public=public)
    client = TestClient(app, raise_server_exceptions=False)
    if not public:
        assert _login(client, "alice") == 303
    routes = [r for r in _int_routes(app) if r[0] == "GET"]
    assert len(routes) >= 9
    tried = 0
    for method, template, ints_path, ints_query, required in routes:
        for target in [*ints_path, *ints_query]:
            path = template
            for name in re.findall(r"{(\w+)}", template):
                path = path.replace("{" + name + "}", BIG if name == target or name in ints_path else "Apple")
            query = {q: BIG if q == target else "1" for q in ints_query if q == target or q in required}
            query.update({q: "Group" for q in required if q not in query})
            r = client.get(path, params=query)
            tried += 1
            assert r.status_code in (404, 422), (path, query, r.status_code, r.text[:300])
            assert r.headers.get("content-security-policy", "").startswith("default-src 'none'"), path
            assert r.headers.get("x-frame-options") == "DENY", path
    assert tried >= 12


def test_the_review_form_refuses_an_oversized_passage_id(empty_site):
    app = create_app(empty_site)
    client = TestClient(app, raise_server_exceptions=False)
    assert _login(client, "alice") == 303
    token = _csrf(client.get("/documents").text)  # the sign-out form carries the session's token
    r = client.post(f"/review/Apple/G01.01?level=Group&assessment={BIG}", data={"action": "attach", "passage_id": "1", "csrf_token": token})
    assert r.status_code == 422 and "content-security-policy" in r.headers
    r = client.post("/review/Apple/G01.01?level=Group&assessment=1", data={"action": "attach", "passage_id": BIG, "csrf_token": token})
    assert r.status_code in (404, 422) and "content-security-policy" in r.headers


def test_an_unexpected_error_is_a_500_with_the_security_headers(empty_site):
    app = create_app(empty_site, public=True)

    def boom():
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    app.add_api_route("/api/boom", boom)
    client = TestClient(app, raise_server_exceptions=False)
    for path in ("/boom", "/api/boom"):
        r = client.get(path)
        assert r.status_code == 500
        assert r.headers["content-security-policy"].startswith("default-src 'none'")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "a bug" not in r.text  # nothing of the exception leaks
    assert client.get("/api/boom").json() == {"detail": "internal error"}


# -- item 6: the audit log cannot be rewritten with REPLACE or TRUNCATE ----------------------------


def test_replace_and_truncate_cannot_rewrite_the_audit_log(db_url):
    store = Store.open(db_url)
    add_user(store, "alice", "analyst", PASSWORD)  # one audit entry
    with store.session() as s:
        s.add(ReviewComment(methodology="rdr-2022", company_key="Apple", level="Group", element="G01.01", author="alice", text="note"))
    with store.session() as s:
        audit_id = s.scalars(select(AuditEntry.id)).one()
        comment_id = s.scalars(select(ReviewComment.id)).one()
    sqlite = store.engine.dialect.name == "sqlite"
    attempts = [
        f"INSERT OR REPLACE INTO review_audit (id, at, actor, action) VALUES ({audit_id}, '2020-01-01', 'mallory', 'user-add')",
        f"REPLACE INTO review_comment (id, methodology, company_key, level, element, author, created_at, text) "
        f"VALUES ({comment_id}, 'rdr-2022', 'Apple', 'Group', 'G01.01', 'mallory', '2020-01-01', 'rewritten')",
    ] if sqlite else ["TRUNCATE review_audit", "TRUNCATE TABLE review_comment", "TRUNCATE review_audit, review_comment"]
    for sql in attempts:  # straight through the driver: the database itself refuses
        raw = store.engine.raw_connection()
        try:
            with pytest.raises(Exception, match="append-only"):
                raw.cursor().execute(sql)
            raw.rollback()
        finally:
            raw.close()
    for sql in attempts:  # and through SQLAlchemy, before the database is asked
        with pytest.raises(Exception, match="append-only"):
            with store.session() as s:
                s.execute(text(sql))
    with store.session() as s:
        entry = s.get(AuditEntry, audit_id)
        assert (entry.actor, entry.action) == ("cli", "user-add")
        assert s.get(ReviewComment, comment_id).text == "note"
        s.add(AuditEntry(actor="alice", action="note"))  # appending still works
    with store.session() as s:
        assert len(s.scalars(select(AuditEntry)).all()) == 2
    store.close()


# -- item 9: login throttling per address, per account and overall, shared by workers ---------------


def _attempt(app, address: str, user: str, password: str) -> int:
    client = TestClient(app, client=(address, 50000))
    return _login(client, user, password)


def test_login_throttling_is_shared_by_workers_and_never_locks_out_a_real_user(empty_site):
    per_pair, per_address = 5, 20  # review.login_throttle.PER_PAIR, PER_ADDRESS
    store = Store.open(empty_site)
    add_user(store, "bob", "viewer", PASSWORD)
    store.close()
    worker_a, worker_b = create_app(empty_site), create_app(empty_site)  # two workers, one database

    # guessing one account from one address: refused after PER_PAIR failures, on every worker
    for i in range(per_pair):
        assert _attempt(worker_a if i % 2 else worker_b, "203.0.113.9", "alice", f"wrong {i}") == 401
    assert _attempt(worker_a, "203.0.113.9", "alice", PASSWORD) == 429
    assert _attempt(worker_b, "203.0.113.9", "alice", PASSWORD) == 429
    # ... but alice, from her own address, signs in
    assert _attempt(worker_b, "198.51.100.7", "alice", PASSWORD) == 303

    # spraying many user names from one address: refused after PER_ADDRESS failures in all
    for i in range(per_address - per_pair):
        assert _attempt(worker_a, "203.0.113.9", f"user{i}", "wrong") == 401
    r = TestClient(worker_b, client=("203.0.113.9", 1))
    form = r.get("/login")
    resp = r.post("/login", data={"username": "bob", "password": PASSWORD, "csrf_token": _csrf(form.text)}, follow_redirects=False)
    assert resp.status_code == 429 and int(resp.headers["retry-after"]) > 0
    assert "Too many failed sign-ins from your address. Try again in 15 minutes." in resp.text
    assert _attempt(worker_a, "198.51.100.8", "bob", PASSWORD) == 303  # bob elsewhere is not affected


def test_a_distributed_attack_slows_failing_addresses_only_and_expires(empty_site):
    from rightsindex.review import login_throttle as lt
    from rightsindex.store.models import utcnow

    store = Store.open(empty_site)
    now = utcnow()
    with store.session() as s:  # a botnet: one failure per address, on alice and on everyone
        for i in range(lt.GLOBAL):
            lt.failed(s, "alice" if i < lt.PER_USERNAME else f"u{i}", f"10.0.{i // 250}.{i % 250}", now=now)
    with store.session() as s:
        assert not lt.check(s, "alice", "10.0.0.1", now=now).allowed  # failed on alice before
        assert not lt.check(s, "zoe", "10.0.0.30", now=now).allowed  # failed before: global limit
        assert lt.check(s, "bob", "192.0.2.1", now=now).allowed  # another account from a clean address
        # alice is under attack: new browsers wait whatever their address (issue 20, item 9) ...
        assert not lt.check(s, "alice", "192.0.2.1", now=now).allowed
        # ... the browser she signed in from before does not
        assert lt.check(s, "alice", "192.0.2.1", now=now, device="her-browser").allowed
        later = now + lt.WINDOW + timedelta(seconds=1)
        assert lt.check(s, "alice", "10.0.0.1", now=later).allowed  # not for good
    store.close()

"""The web app before any route reads a request (issue 20, items 3 and 13): sign-in before the body,
bodies bounded (413), ids with control characters refused (422), and feed links from the configured
public address, never from the request's Host header."""

from __future__ import annotations

import re

import feedparser
import pytest
from fastapi.testclient import TestClient

from rightsindex.corpus.limits import MAX_REQUEST_BYTES
from rightsindex.review import add_user
from rightsindex.store import Store
from rightsindex.web import create_app

from .webdata import PASSWORD

REVIEW = "/api/assessments/1/companies/Apple/elements/P1a.1/review?level=Group"


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.delenv("RIGHTSINDEX_SECRET", raising=False)
    monkeypatch.delenv("RIGHTSINDEX_BASE_URL", raising=False)
    monkeypatch.setenv("RIGHTSINDEX_WEB_WARM", "0")
    url = f"sqlite:///{tmp_path / 'guard.sqlite'}"
    store = Store.open(url)
    add_user(store, "alice", "analyst", PASSWORD)
    store.close()
    return url


class _Stream:
    """A request body handed over in 64 KiB chunks, counting how many the server took."""

    def __init__(self, total: int):
        self.total, self.taken = total, 0

    def __iter__(self):
        chunk = b"x" * 65536
        sent = 0
        while sent < self.total:
            self.taken += 1
            sent += len(chunk)
            yield chunk


def _signed_in(url) -> tuple[TestClient, str]:
    client = TestClient(create_app(url), raise_server_exceptions=False)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    r = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    csrf = client.get("/api/me").json()["csrf_token"]
    return client, csrf


def test_an_anonymous_body_is_refused_before_it_is_read(site):
    client = TestClient(create_app(site), raise_server_exceptions=False)
    body = _Stream(64 * 2**20)  # 64 MiB, never gathered
    r = client.post(REVIEW, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 401 and r.json() == {"detail": "sign in first"}
    assert body.taken <= 2, body.taken
    r = client.post("/review/Apple/P1a.1?level=Group&assessment=1", content=_Stream(2 * 2**20),
                    headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "content-security-policy" in r.headers


def test_a_body_over_the_limit_is_413_even_when_signed_in(site):
    client, csrf = _signed_in(site)
    big = b'{"action": "comment", "comment": "' + b"a" * (MAX_REQUEST_BYTES + 10) + b'"}'
    r = client.post(REVIEW, content=big, headers={"content-type": "application/json", "x-csrf-token": csrf})
    assert r.status_code == 413, r.text[:200]
    assert "content-security-policy" in r.headers
    r = client.post(REVIEW, content=_Stream(32 * 2**20), headers={"content-type": "application/json", "x-csrf-token": csrf})
    assert r.status_code == 413, r.text[:200]  # chunked: no Content-Length
    # the login form too
    anon = TestClient(create_app(site), raise_server_exceptions=False)
    r = anon.post("/login", content=_Stream(4 * 2**20), headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


@pytest.mark.parametrize("public", [True, False])
@pytest.mark.parametrize("target", ["/changes.atom?company=%00", "/changes?company=%00", "/documents?company=a%00b",
                                    "/api/changes?company=%01", "/companies/Ap%00ple", "/changes.atom?company=" + "A" * 9000])
def test_an_id_with_a_control_character_is_refused_not_a_500(site, public, target):
    client = TestClient(create_app(site, public=public), raise_server_exceptions=False)
    if not public:
        _signed_in_client, _ = _signed_in(site)
        client = _signed_in_client
    r = client.get(target)
    assert r.status_code == 422, (target, r.status_code, r.text[:200])
    assert "content-security-policy" in r.headers


def test_feed_links_come_from_the_configured_address_not_the_host_header(site, monkeypatch):
    client = TestClient(create_app(site, public=True))
    r = client.get("/changes.atom", headers={"host": "evil.example"})
    assert r.status_code == 200 and "evil.example" not in r.text
    assert not feedparser.parse(r.text).bozo
    monkeypatch.setenv("RIGHTSINDEX_BASE_URL", "https://index.example.org/ri/")
    client = TestClient(create_app(site, public=True))
    r = client.get("/changes.atom?company=Apple", headers={"host": "evil.example"})
    assert "evil.example" not in r.text
    links = [link.href for link in feedparser.parse(r.text).feed.links]
    assert "https://index.example.org/ri/changes" in links
    assert "https://index.example.org/ri/changes.atom?company=Apple" in links


def test_a_streamed_body_is_counted_as_it_comes_never_gathered():
    """The guard in front of a route that reads the whole body: the server stops taking chunks as
    soon as they pass the limit (as uvicorn hands them over), and answers 413."""
    import asyncio

    from starlette.requests import Request

    from rightsindex.web.request_guard import RequestGuard

    class SignedIn:
        def principal(self, request):
            return type("P", (), {"authenticated": True})()

    async def route(scope, receive, send):  # reads everything, as a JSON or form route would
        await Request(scope, receive).body()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    taken, sent = 0, []

    async def receive():
        nonlocal taken
        taken += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}  # endless

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/x", "query_string": b"", "headers": [(b"content-type", b"application/json")]}
    asyncio.run(RequestGuard(route, auth=SignedIn(), public=False)(scope, receive, send))
    assert sent[0]["status"] == 413
    assert taken <= MAX_REQUEST_BYTES // 65536 + 1

"""Sign-in throttling that rotating addresses cannot get around (issue 20, item 9): forwarding
headers believed only from configured proxies, and a limit per account whatever the address,
without locking its owner out."""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from rightsindex.review import add_user
from rightsindex.review import login_throttle as lt
from rightsindex.store import Store
from rightsindex.web import create_app

from .webdata import PASSWORD


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.delenv("RIGHTSINDEX_SECRET", raising=False)
    monkeypatch.delenv("RIGHTSINDEX_FORWARDED_ALLOW_IPS", raising=False)
    monkeypatch.setenv("RIGHTSINDEX_WEB_WARM", "0")
    url = f"sqlite:///{tmp_path / 'throttle.sqlite'}"
    store = Store.open(url)
    add_user(store, "alice", "analyst", PASSWORD)
    store.close()
    return url


def _login(client, user: str, password: str) -> int:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    return client.post("/login", data={"username": user, "password": password, "csrf_token": token}, follow_redirects=False).status_code


def test_forty_wrong_passwords_from_rotating_addresses_hit_429_and_the_owner_still_signs_in(site):
    app = create_app(site)
    owner = TestClient(app, client=("198.51.100.7", 1))
    assert _login(owner, "alice", PASSWORD) == 303  # alice signed in from this browser before
    owner.cookies.delete("ri_session")

    statuses = [_login(TestClient(app, client=(f"203.0.113.{i}", 1)), "alice", f"guess {i}") for i in range(40)]
    assert statuses[: lt.PER_USERNAME] == [401] * lt.PER_USERNAME
    assert set(statuses[lt.PER_USERNAME:]) == {429}, statuses
    # even the right password, from a browser new to the account, waits
    assert _login(TestClient(app, client=("192.0.2.55", 1)), "alice", PASSWORD) == 429
    # the owner's browser, from a new address too, signs in
    owner_elsewhere = TestClient(app, client=("192.0.2.99", 1), cookies=owner.cookies)
    assert _login(owner_elsewhere, "alice", PASSWORD) == 303


def test_a_device_token_is_limited_on_its_own_and_nobody_is_locked_out_for_good(site):
    from rightsindex.store.models import utcnow

    store = Store.open(site)

    now = utcnow()
    with store.session() as s:
        for i in range(lt.PER_PAIR):
            lt.failed(s, "alice", f"10.9.0.{i}", now=now, device="dev1")
    with store.session() as s:
        assert not lt.check(s, "alice", "10.9.0.77", now=now, device="dev1").allowed  # a stolen token is no master key
        assert lt.check(s, "alice", "10.9.0.77", now=now, device="dev2").allowed
        assert lt.check(s, "alice", "10.9.0.77", now=now).allowed  # device failures do not count against the account
        for i in range(lt.PER_USERNAME):
            lt.failed(s, "alice", f"10.8.0.{i}", now=now)
    with store.session() as s:
        assert not lt.check(s, "alice", "192.0.2.1", now=now).allowed
        assert lt.check(s, "alice", "192.0.2.1", now=now + lt.WINDOW + __import__("datetime").timedelta(seconds=1)).allowed
    store.close()


def test_serve_believes_forwarding_headers_only_from_configured_proxies(monkeypatch):
    from rightsindex.web.app import uvicorn_options

    assert uvicorn_options()["proxy_headers"] is False
    monkeypatch.setenv("RIGHTSINDEX_FORWARDED_ALLOW_IPS", "10.0.0.2")
    opts = uvicorn_options()
    assert opts["proxy_headers"] is True and opts["forwarded_allow_ips"] == "10.0.0.2"
    assert uvicorn_options(forwarded_allow_ips="")["proxy_headers"] is False


def test_rotating_x_forwarded_for_from_loopback_does_not_reset_the_count(site, monkeypatch):
    import uvicorn

    from rightsindex.web.app import uvicorn_options

    monkeypatch.setenv("RIGHTSINDEX_DB", site)
    opts = {k: v for k, v in uvicorn_options(port=0).items() if k not in ("workers", "timeout_worker_healthcheck")}
    opts["log_level"] = "warning"
    server = uvicorn.Server(uvicorn.Config("rightsindex.web:create_app_from_env", **opts))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        statuses = []
        for i in range(lt.PER_PAIR + 2):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"x-forwarded-for": f"203.0.113.{i}"}) as client:
                statuses.append(_login(client, "alice", f"guess {i}"))
        assert statuses[: lt.PER_PAIR] == [401] * lt.PER_PAIR
        assert statuses[lt.PER_PAIR:] == [429, 429], statuses  # counted on the connection's address
    finally:
        server.should_exit = True
        thread.join(timeout=30)

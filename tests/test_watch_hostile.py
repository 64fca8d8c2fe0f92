"""``watch`` and its feed when things go wrong (issue 20, items 7 and 19): a fetch that fails is an
error that moves nothing, a control character in stored text never breaks the feed, and no error
exits with 1 ("a grade moved")."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import feedparser
import pytest
import yaml

from .conftest import ROOT, run_cli

EXAMPLE = ROOT / "examples" / "corpus-2026"
POLICY = EXAMPLE / "docs" / "Apple" / "apple-privacy-policy.md"


class _Flaky(ThreadingHTTPServer):
    """Serves one policy, or 404 while ``down``."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.body = POLICY.read_bytes()
        self.down = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/privacy.md"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        server: _Flaky = self.server  # type: ignore[assignment]
        if server.down or self.path != "/privacy.md":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/markdown; charset=utf-8")
        self.send_header("Content-Length", str(len(server.body)))
        self.end_headers()
        self.wfile.write(server.body)


@pytest.fixture(scope="module")
def flaky(tmp_path_factory):
    """Four passes of ``watch`` over Apple's privacy policy at a URL: down, up, down, up."""
    tmp = tmp_path_factory.mktemp("flaky")
    server = _Flaky()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    manifest = {"index": "2026", "methodology": "rdr-2022", "companies": [{
        "id": "Apple", "name": "Apple Inc.", "type": "Digital Platform", "services": [{"id": "iCloud", "kind": "cloud storage"}],
        "documents": [{"url": server.url, "title": "Apple Privacy Policy", "type": "privacy-policy", "language": "en"}]}]}
    path = tmp / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest), "utf-8")
    db = f"sqlite:///{tmp / 'watch.sqlite'}"
    passes = []
    for down in (True, False, True, False):
        server.down = down
        res = run_cli("watch", path, "--db", db, "--out", tmp / "out", "--allow-private")
        feed = tmp / "out" / "feed.atom"
        passes.append((res, feed.read_text("utf-8") if feed.exists() else None))
    server.shutdown()
    return passes


def test_a_failed_fetch_is_an_error_and_moves_nothing(flaky):
    (down1, feed1), (up1, feed2), (down2, feed3), (up2, feed4) = flaky
    assert down1.returncode == 2, (down1.stdout, down1.stderr)
    assert "HTTP 404" in down1.stderr and "privacy.md" in down1.stderr
    # the pass over a partial corpus is no baseline: the first good pass is
    assert up1.returncode == 0, (up1.stdout, up1.stderr)
    assert "first pass: baseline recorded" in up1.stdout
    assert down2.returncode == 2, (down2.stdout, down2.stderr)
    assert up2.returncode == 0, (up2.stdout, up2.stderr)
    assert "0 grade(s) moved" in up2.stdout
    for feed in (feed2, feed3, feed4):
        if feed is not None:
            assert feedparser.parse(feed).entries == []  # no false "improved"


def _change(company: str, element: str = "P3a.1", comment: str = "A comment."):
    from datetime import datetime, timezone

    from rightsindex.store.models import GradeChange

    return GradeChange(
        id=7, at=datetime(2026, 1, 2, tzinfo=timezone.utc), assessment_id=2, previous_assessment_id=1, manifest_path="/m.yaml",
        company_key=company, level="Group", element=element, before="no", after="yes", direction="improved",
        document="docs/a.md", comment=comment, excerpt="added: \x1b[31mred\x1b[0m text", detail={"label": f"{element} \x07"},
    )


@pytest.mark.parametrize("company", ["Acme\x01Corp", "Acme\x1b[2JCorp", "Acme\ufffeCorp", "Ac\u202eme"])
def test_a_control_character_never_breaks_the_feed(company):
    from rightsindex.publish.feed import atom_feed, changes_json

    atom = atom_feed([_change(company)], title=f"feed for {company}", feed_id="urn:x", base_url="https://index.example.org")
    parsed = feedparser.parse(atom)
    assert not parsed.bozo, parsed.bozo_exception
    entry = parsed.entries[0]
    assert "Acme" in entry.title or "Ac" in entry.title
    assert "\x1b" not in atom and "\x01" not in atom and "\u202e" not in atom
    assert "U+" in entry.title  # the hidden character is shown, not dropped silently
    assert "\x1b" not in changes_json([_change(company)])


def test_the_web_feed_survives_a_control_character_in_a_company_id(tmp_path):
    from fastapi.testclient import TestClient

    from rightsindex.store import Store
    from rightsindex.web import create_app

    url = f"sqlite:///{tmp_path / 'feed.sqlite'}"
    from rightsindex.store.models import Assessment

    store = Store.open(url)
    with store.session() as s:  # two passes of a manifest (as stored before ids were checked at the door)
        for i in (1, 2):
            s.add(Assessment(id=i, key=f"k{i}", index="2026", methodology="rdr-2022", manifest_sha256="0" * 64, model_version="x",
                             status="done"))
        s.flush()
        c = _change("Acme\x01Corp")
        c.id = None
        s.add(c)
    store.close()
    client = TestClient(create_app(url, public=True), raise_server_exceptions=False)
    r = client.get("/changes.atom")
    assert r.status_code == 200, r.text[:300]
    assert not feedparser.parse(r.text).bozo
    assert client.get("/changes").status_code == 200

"""Grades over time from the command line: ``assess --as-of`` several dates (a score series),
``compare`` (RDR's year-on-year CSV) and ``watch`` (conditional re-fetch, the Atom feed, the exit
status), on real versions of the WeChat privacy policy."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import feedparser
import pytest
import yaml

from rightsindex import methodology as m

from .conftest import FIXTURES
from .wechat import BUNDLE, EXAMPLE, url_manifest, versions, without_retention

ATOM = "{http://www.w3.org/2005/Atom}"


# -- a series of dates ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    from .conftest import run_cli

    tmp = tmp_path_factory.mktemp("series")
    db = f"sqlite:///{tmp / 'wechat.sqlite'}"
    res = run_cli("corpus", "import-ota", BUNDLE, "--service", "WeChat", "--company", "Tencent", "--document", "wechat-privacy-policy.md", "--db", db)
    assert res.returncode == 0, res.stderr
    res = run_cli("assess", EXAMPLE / "manifest.yaml", "--out", tmp / "out", "--db", db, "--as-of", "2023-01-01,2021-11-01")
    assert res.returncode == 0, res.stderr
    return tmp, db, res


def test_several_dates_give_a_score_series_per_company_indicator_and_element(series):
    tmp, db, res = series
    out = tmp / "out"
    data = json.loads((out / "history.json").read_text("utf-8"))
    assert data["dates"] == ["2021-11-01", "2023-01-01"]  # sorted
    tencent = data["companies"]["Tencent"]
    assert len(tencent["total"]) == 2 and all(isinstance(v, float) for v in tencent["total"])
    assert set(tencent["categories"]) == {"G", "F", "P"} and "P06" in tencent["indicators"]
    assert len(tencent["elements"]["WeChat|P06.01"]) == 2
    with open(out / "history.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["AsOf"], r["Scope"], r["Id"]) for r in rows} >= {("2021-11-01", "total", "total"), ("2023-01-01", "indicator", "P06")}
    for day in data["dates"]:  # each date's own outputs
        assert (out / day / "element-scores.csv").is_file() and (out / day / "scores.json").is_file()
    assert (out / "history-Tencent.svg").read_text("utf-8").startswith("<svg")
    # the second date was re-graded from the first, change-aware
    assert "re-graded" in res.stderr


def test_compare_names_assessments_by_date(series, cli):
    tmp, db, _ = series
    res = cli("compare", "2021-11-01", "2023-01-01", "--db", db, "--format", "json", "--all")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert (data["from"]["as_of"], data["to"]["as_of"]) == ("2021-11-01", "2023-01-01")
    assert len(data["items"]) > 300 and data["moved"] == sum(1 for i in data["items"] if i["direction"] in ("improved", "declined", "changed"))
    bad = cli("compare", "2019-01-01", "2023-01-01", "--db", db)
    assert bad.returncode == 2 and "no assessment graded the policies in force on 2019-01-01" in " ".join(bad.stderr.split())


def test_compare_resolves_dates_by_the_versions_in_force(series, cli, tmp_path):
    """Issue 20, item 17: with an assessment of the current versions (made today) beside as-of
    ones, a date after the last policy change names the current one, not the latest as-of
    assessment made "before" it; two dates with the same versions in force name the same
    assessment (nothing moved); a date no assessment graded is refused by name."""
    import sqlite3

    tmp, db, _ = series
    copy = tmp_path / "copy.sqlite"
    src = sqlite3.connect(db.removeprefix("sqlite:///"))
    with sqlite3.connect(copy) as dst:
        src.backup(dst)
    src.close()
    db = f"sqlite:///{copy}"
    full = cli("assess", EXAMPLE / "manifest.yaml", "--out", tmp_path / "out", "--db", db)
    assert full.returncode == 0, full.stderr
    res = cli("compare", "2023-01-01", "2026-08-07", "--db", db, "--format", "json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["from"]["as_of"] == "2023-01-01"
    assert data["to"]["as_of"] is None and data["to"]["id"] == max(data["from"]["id"], data["to"]["id"])  # the current versions
    assert all(i["after_versions"][0]["version"] == 20 for i in data["items"] if i["after_versions"])
    same = cli("compare", "2026-08-07", "2026-09-01", "--db", db, "--format", "json")
    assert same.returncode == 0, same.stderr
    both = json.loads(same.stdout)
    assert both["from"]["id"] == both["to"]["id"] == data["to"]["id"] and both["moved"] == 0
    gap = cli("compare", "2023-01-01", "2024-06-01", "--db", db)
    assert gap.returncode == 2
    assert "no assessment graded the policies in force on 2024-06-01" in " ".join(gap.stderr.split())


# -- watch -----------------------------------------------------------------------------------------------


class _Policy(ThreadingHTTPServer):
    """Serves one policy page with an ETag, answering conditional requests with 304."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.body = b""
        self.conditional = 0  # requests that carried If-None-Match

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/privacy.md"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        server: _Policy = self.server  # type: ignore[assignment]
        if self.path != "/privacy.md":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        etag = '"' + hashlib.sha256(server.body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match"):
            server.conditional += 1
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/markdown; charset=utf-8")
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(server.body)))
        self.end_headers()
        self.wfile.write(server.body)


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """Three passes of ``watch`` over a URL document: the policy without its retention statements
    (baseline), the real policy (they appear), and no change at all."""
    from .conftest import run_cli

    tmp = tmp_path_factory.mktemp("watch")
    server = _Policy()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    manifest = url_manifest(tmp, server.url)
    db = f"sqlite:///{tmp / 'watch.sqlite'}"
    real = versions()["2026-08-06"]
    passes = []
    for body in (without_retention(real), real, real):
        server.body = body.encode("utf-8")
        res = run_cli("watch", manifest, "--db", db, "--out", tmp / "out", "--allow-private", "--base-url", "https://index.example.org")
        passes.append((res, server.conditional, (tmp / "out" / "feed.atom").read_text("utf-8")))
    server.shutdown()
    return tmp, db, passes


def test_watch_exit_status_says_whether_a_grade_moved(watched):
    _, _, passes = watched
    first, second, third = (p[0] for p in passes)
    assert first.returncode == 0, first.stderr
    assert "first pass: baseline recorded" in first.stdout
    assert second.returncode == 1, second.stderr  # 1: a grade moved
    assert "new version: Tencent" in second.stdout and "moved: Tencent · WeChat · P" in second.stdout
    assert third.returncode == 0, third.stderr
    assert "0 new version(s), 0 grade(s) moved" in third.stdout


def test_watch_refetches_with_conditional_requests(watched):
    _, _, passes = watched
    assert [p[1] for p in passes] == [0, 1, 2]  # every pass after the first asks If-None-Match


def test_watch_writes_a_valid_atom_feed_of_the_grades_that_moved(watched):
    tmp, _, passes = watched
    text = passes[1][2]
    root = ET.fromstring(text.encode("utf-8"))  # well-formed XML
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{tag}") is not None and root.find(f"{ATOM}{tag}").text
    parsed = feedparser.parse(text)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    changes = json.loads((tmp / "out" / "changes.json").read_text("utf-8"))["changes"]
    assert len(parsed.entries) == len(changes) > 0
    ids = {e.id for e in parsed.entries}
    assert len(ids) == len(parsed.entries) and all(i.startswith("urn:uuid:") for i in ids)
    for e, c in zip(parsed.entries, changes):
        assert e.title == f"Tencent · {c['level']} · {c['label']}: {c['before']} → {c['after']} ({c['direction']})"
        assert c["comment"] in e.content[0].value and e.link.startswith("https://index.example.org/companies/Tencent/elements/")
        assert c["document"] == EXAMPLE_URL_KEY(tmp) and c["diff"]
    assert passes[2][2].count("<entry>") == len(parsed.entries)  # the quiet pass adds nothing


def EXAMPLE_URL_KEY(tmp) -> str:
    return yaml.safe_load((tmp / "manifest.yaml").read_text("utf-8"))["companies"][0]["documents"][0]["url"]


def test_compare_writes_rdrs_year_on_year_csv(watched, cli):
    _, db, _ = watched
    res = cli("compare", "1", "2", "--db", db, "--format", "csv", "--all")
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    with open(FIXTURES / "rdr2020" / "2020-yoy-vs-2019-elements.csv", encoding="utf-8", newline="") as fh:
        rdr = csv.DictReader(fh)
        rdr_columns = rdr.fieldnames
        rdr_rows = list(rdr)
    header = next(csv.reader(io.StringIO(res.stdout)))
    assert header[: len(rdr_columns)] == rdr_columns  # RDR's columns first, in RDR's order
    meth = m.load("rdr-2022")
    assert {r["SameAsPrevious"] for r in rdr_rows} <= {"Yes", "No", ""} and {r["SameAsPrevious"] for r in rows} == {"Yes", "No"}
    assert {r["NewElement"] for r in rows} == {"False"}
    for r in rows:
        el = meth.elements[r["Element"]]
        assert r["ElementLabel"] == el.label and r["CompanySheet"] == "Tencent" and r["ColumnLabel"] in ("Group", "WeChat")
        if r["SameAsPrevious"] == "Yes":
            assert r["YoYComment"] == "No change." and r["PreviousResult"] == r["Result"]
        else:
            assert r["YoYComment"].startswith(("This is an improvement to ", "This is a decline to ", "This is a change to "))
            assert r["Direction"] in ("improved", "declined", "changed") and r["Diff"]
    moved = [r for r in rows if r["SameAsPrevious"] == "No"]
    assert moved and any(re.search(r"added(?: to “[^”]*”)?: “", r["YoYComment"]) and "retain" in r["YoYComment"].lower() for r in moved)
    only_moved = cli("compare", "1", "2", "--db", db, "--format", "csv")
    assert len(list(csv.DictReader(io.StringIO(only_moved.stdout)))) == len(moved)
    table = cli("compare", "1", "2", "--db", db)
    assert table.returncode == 0 and f"{len(moved)} element(s) moved from #1" in " ".join(table.stdout.split())


# -- the web app shows the same ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web(watched):
    from fastapi.testclient import TestClient

    from rightsindex.web import create_app

    _, db, _ = watched
    return TestClient(create_app(db, public=True))


def test_the_web_app_serves_the_same_feed(watched, web):
    tmp, _, _ = watched
    changes = json.loads((tmp / "out" / "changes.json").read_text("utf-8"))["changes"]
    api = web.get("/api/changes")
    assert api.status_code == 200
    assert [(c["company"], c["level"], c["element"], c["before"], c["after"]) for c in api.json()["changes"]] == [
        (c["company"], c["level"], c["element"], c["before"], c["after"]) for c in changes
    ]
    atom = web.get("/changes.atom")
    assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(atom.text)
    assert not parsed.bozo and len(parsed.entries) == len(changes)
    page = web.get("/changes")
    assert page.status_code == 200 and page.text.count('<li><strong><a href="/companies/Tencent/elements/') == len(changes)
    assert changes[0]["comment"].replace("“", "&#34;")[:20] in page.text or changes[0]["comment"][:20] in page.text


def test_the_scorecard_says_what_changed_and_draws_scores_over_time(web):
    page = web.get("/companies/Tencent?assessment=2")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="what-changed"' in html and "What changed since assessment #1" in html
    moved = html.split('data-testid="moved"')[1].split("</table>")[0]
    assert moved.count("<tr class=") >= 1 and "This is " in moved and ("added:" in moved or "removed:" in moved or "changed" in moved)
    assert 'data-testid="over-time"' in html and "<svg class=\"chart over-time\"" in html
    assert html.count('<circle cx=') >= 2 * 4  # two assessments × total, G, F, P
    indicator = web.get("/companies/Tencent/indicators/P6?assessment=2")
    assert indicator.status_code == 200 and 'data-testid="over-time"' in indicator.text


def test_the_published_site_says_what_changed_and_draws_scores_over_time(watched, tmp_path):
    from rightsindex.publish.site import publish_site

    _, db, _ = watched
    publish_site(db, tmp_path / "site", 2)
    company = (tmp_path / "site" / "company" / "Tencent" / "index.html").read_text("utf-8")
    assert 'id="changes">What changed since' in company and "(assessment #1)" in company
    section = company.split('id="changes"')[1].split("</table>")[0]
    assert section.count("<tr><td class=\"ind\">") >= 1 and "This is " in section
    assert (tmp_path / "site" / "company" / "Tencent" / "over-time.svg").read_text("utf-8").startswith("<svg")
    assert 'src="over-time.svg"' in company
    p6 = (tmp_path / "site" / "company" / "Tencent" / "P06.html").read_text("utf-8")
    assert '<svg class="sparkline"' in p6

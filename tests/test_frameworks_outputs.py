"""``assess --framework`` end to end on a real policy that loses its retention period between two
runs: framework-scores.csv and .json parse and keep their contract, the web app and the static
site show the duties and the crosswalk both ways, and ``compare --duties`` / the feed say which
duty moved and which passage is behind it."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from .conftest import FIXTURES, run_cli

HERE = FIXTURES / "frameworks"
COMPANY = "=Apple"  # a name a spreadsheet would run as a formula: every CSV must neutralise it


def _manifest(tmp):
    import yaml

    raw = {
        "index": "test", "methodology": "rdr-2022",
        "companies": [{"id": COMPANY, "name": "Apple Inc.", "type": "Digital Platform", "services": [{"id": "Apple", "kind": "other"}],
                       "documents": [{"path": "privacy.md", "title": "Apple Privacy Policy", "type": "privacy-policy", "language": "en"}]}],
    }
    path = tmp / "manifest.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fw-outputs")
    manifest = _manifest(tmp)
    db = f"sqlite:///{tmp / 'store.sqlite'}"
    shutil.copyfile(HERE / "apple-privacy-excerpt.md", tmp / "privacy.md")
    first = run_cli("assess", manifest, "--out", tmp / "a", "--db", db, "--framework", "rdr-2022,gdpr-notice,pipl-notice")
    assert first.returncode == 0, first.stderr[-2000:]
    shutil.copyfile(HERE / "apple-privacy-excerpt-without-retention.md", tmp / "privacy.md")
    second = run_cli("assess", manifest, "--out", tmp / "b", "--db", db, "--framework", "gdpr-notice,pipl-notice")
    assert second.returncode == 0, second.stderr[-2000:]
    return {"tmp": tmp, "db": db, "first": first, "second": second}


def test_framework_scores_csv_keeps_its_contract(runs):
    from rightsindex.formats.frameworkcsv import FRAMEWORK_COLUMNS, read_framework_rows
    from rightsindex.methodology import frameworks

    path = runs["tmp"] / "a" / "framework-scores.csv"
    assert "framework scores:" in runs["first"].stdout
    with open(path, encoding="utf-8", newline="") as fh:
        raw = list(csv.reader(fh))
    assert tuple(raw[0]) == FRAMEWORK_COLUMNS
    assert {r[0] for r in raw[1:]} == {"'" + COMPANY}, "the company cell is neutralised"
    rows = read_framework_rows(path)
    expected = [(f, i) for f in ("gdpr-notice", "pipl-notice") for i in frameworks.load(f).items]
    assert [(r["Framework"], r["Item"]) for r in rows] == expected  # one row per service × item, in order
    assert {r["Company"] for r in rows} == {COMPANY} and {r["Service"] for r in rows} == {"Apple"}
    for r in rows:
        assert r["Article"] == frameworks.load(r["Framework"]).item(r["Item"]).article
        assert r["Evidence"], "the first passage (earning it, or the closest) is always cited"
        assert set(r["Evidence"][0]) >= {"path", "version", "start", "end", "text"}
    retention = next(r for r in rows if (r["Framework"], r["Item"]) == ("gdpr-notice", "retention"))
    assert retention["Result"] in ("disclosed", "partly disclosed") and "retain" in retention["Evidence"][0]["text"].lower()


def test_framework_scores_json_lists_missing_duties_with_the_closest_passage(runs):
    doc = json.loads((runs["tmp"] / "b" / "framework-scores.json").read_text("utf-8"))
    svc = doc["companies"][COMPANY]["services"]["Apple"]
    gdpr = svc["gdpr-notice"]
    assert set(doc["frameworks"]) == {"gdpr-notice", "pipl-notice"}
    assert 0 <= gdpr["completeness"] <= 1 and len(gdpr["items"]) == 14
    missing = {m["item"]: m for m in gdpr["missing"]}
    assert "retention" in missing, "the period was taken out of the policy"
    assert missing["retention"]["closest"]["text"] and missing["retention"]["why"]
    assert gdpr["items"]["retention"]["result"] == "not found"


def test_compare_duties_names_the_duty_that_moved(runs):
    cmd = run_cli("compare", "1", "2", "--db", runs["db"], "--duties", "--format", "json")
    assert cmd.returncode == 0, cmd.stderr
    moved = {(d["framework"], d["item"]): d for d in json.loads(cmd.stdout)["duties"]}
    assert moved[("gdpr-notice", "retention")]["after"] == "not found"
    assert moved[("gdpr-notice", "retention")]["direction"] == "declined"
    assert "retain" in moved[("gdpr-notice", "retention")]["passage"]["text"].lower(), "the passage that earned it before"
    csv_out = run_cli("compare", "1", "2", "--db", runs["db"], "--duties", "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("Company,Service,Framework,Item,Article,PreviousResult,Result")
    assert "'" + COMPANY in csv_out


def test_web_app_shows_duties_and_the_crosswalk_both_ways(runs):
    from fastapi.testclient import TestClient

    from rightsindex.web import create_app

    client = TestClient(create_app(runs["db"], public=True))
    page = client.get("/frameworks/gdpr-notice?assessment=1")
    assert page.status_code == 200 and 'data-testid="framework-table"' in page.text and "retention" in page.text
    item = client.get("/frameworks/gdpr-notice/items/retention?assessment=1")
    assert item.status_code == 200 and 'data-testid="first-passage"' in item.text
    assert 'data-testid="crosswalk"' in item.text and "P6.1" in item.text  # the RDR element that asks the same
    assert "this duty:" in item.text, "beside each company's RDR answer at a service, the duty's answer there"
    element = client.get("/companies/%3DApple/elements/P06.01?level=Apple&assessment=1")
    assert element.status_code == 200 and 'data-testid="duties"' in element.text and "13(2)(a)" in element.text
    api = client.get("/api/assessments/2/frameworks").json()
    assert api["companies"][COMPANY]["services"]["Apple"]["gdpr-notice"]["items"]["retention"]["result"] == "not found"
    assert client.get("/frameworks/no-such-law").status_code == 404


def test_static_site_and_pdf_carry_the_duties(runs, tmp_path):
    site = tmp_path / "site"
    cmd = run_cli("publish", "--db", runs["db"], "--out", site)
    assert cmd.returncode == 0, cmd.stderr
    page = (site / "frameworks" / "gdpr-notice.html").read_text("utf-8")
    assert "GDPR Art. 13(2)(a)" in page and "not found" in page
    assert (site / "data" / "framework-scores.csv").is_file()
    assert "frameworks/gdpr-notice.html" in (site / "index.html").read_text("utf-8")
    from pypdf import PdfReader

    text = " ".join(" ".join((pg.extract_text() or "").split()) for pg in PdfReader(next((site / "pdf").glob("*.pdf"))).pages)
    assert "Notice duties" in text and "GDPR Art. 13(2)(a)" in text, "the PDF scorecard has a section per framework"
    assert "PIPL Art. 39" in text
    company = next((site / "company").glob("*/index.html")).read_text("utf-8")
    assert "frameworks/gdpr-notice.html" in company and "frameworks/pipl-notice.html" in company


def test_a_framework_that_is_not_shipped_is_refused(tmp_path):
    shutil.copyfile(HERE / "apple-privacy-excerpt.md", tmp_path / "privacy.md")
    cmd = run_cli("assess", _manifest(tmp_path), "--out", tmp_path / "o", "--framework", "ccpa-notice")
    assert cmd.returncode == 2 and "unknown framework 'ccpa-notice'" in cmd.stderr
    cmd = run_cli("assess", _manifest(tmp_path), "--out", tmp_path / "o", "--framework", "rdr-2020")
    assert cmd.returncode == 2 and "graded on rdr-2022" in cmd.stderr

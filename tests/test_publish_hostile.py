"""`publish` under hostile names and interruptions (issue 20, items 10 and 14): a company name that
looks like TeX, and a publication killed half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "corpus-2026"
TEX_NAME = r"Dollar $x^$ \$ $\frac{1}{$ Corp"  # mathtext would parse (and fail on) this


def test_chart_labels_are_plain_text_never_mathtext():
    from rightsindex.publish import charts

    companies = [{"id": "x", "label": TEX_NAME, "total": 40.0, "categories": {"G": 1.0, "F": 2.0, "P": 3.0}}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        svg = charts.ranking_chart(companies, title=TEX_NAME)
        plain = charts.ranking_chart([{**companies[0], "label": "Dollar x Corp"}], title="t")
    assert svg.count("<use ") > plain.count("<use ")  # every character drawn, the dollars too
    series = charts.over_time(["2024-01-01", "2025-01-01"], [("total", [10.0, 20.0])], title="t", salt="s", names={"total": TEX_NAME})
    assert "<svg" in series


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    """Apple's privacy policy assessed under a company name that looks like TeX."""
    pytest.importorskip("weasyprint")
    from rightsindex.run import assess

    tmp = tmp_path_factory.mktemp("hostile-publish")
    doc = "docs/Apple/apple-privacy-policy.md"
    (tmp / doc).parent.mkdir(parents=True)
    (tmp / doc).write_text((EXAMPLE / doc).read_text("utf-8"), "utf-8")
    manifest = {"index": "2026", "methodology": "rdr-2022", "companies": [{
        "id": "Dollar", "name": TEX_NAME, "type": "Digital Platform", "services": [{"id": "iCloud", "kind": "cloud storage"}],
        "documents": [{"path": doc, "title": "Privacy $\\alpha$ Policy", "language": "en"}]}]}
    (tmp / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), "utf-8")
    db = f"sqlite:///{tmp / 'ri.sqlite'}"
    assess(tmp / "manifest.yaml", tmp / "out", db=db)
    return {"tmp": tmp, "db": db}


def test_a_company_named_like_tex_is_published(assessed):
    from pypdf import PdfReader

    from rightsindex.publish.site import publish_site

    result = publish_site(assessed["db"], assessed["tmp"] / "site")
    company = result["companies"]["Dollar"]
    assert Path(company["page"]).is_file() and Path(result["files"]["element-scores.csv"]).is_file()
    text = " ".join(p.extract_text() or "" for p in PdfReader(company["pdf"]).pages)
    assert TEX_NAME in text


def _stale(parent: Path, name: str) -> list[Path]:
    return sorted(p for p in parent.iterdir() if p.name.startswith(f".{name}.publishing-") or p.name.startswith(f".{name}.old-"))


def test_a_killed_publish_leaves_nothing_behind_after_the_next_one(assessed):
    tmp = assessed["tmp"]
    out = tmp / "killed-site"
    # a publish killed while it renders: its half-built copy stays beside the site
    proc = subprocess.Popen([sys.executable, "-m", "rightsindex", "publish", "--db", assessed["db"], "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUTF8": "1"})
    deadline = time.monotonic() + 120
    while not _stale(tmp, out.name) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert _stale(tmp, out.name), "publish never started building"
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = _stale(tmp, out.name)
    assert left and not out.exists()

    # a copy another publish is still building is never touched
    from rightsindex.publish.site import publish_site
    from rightsindex.publish.staging import staging_dir

    with staging_dir(out) as busy:
        result = publish_site(assessed["db"], out)
        assert busy.is_dir()
    assert Path(result["files"]["index"]).is_file()
    assert _stale(tmp, out.name) == []  # the killed copy is gone, and the one in use once it was let go

"""The RDR methodologies ship as data and are regenerated exactly by the project's importer."""

import json

import pytest

from rightsindex import methodology as m
from rightsindex.methodology import importer

from .conftest import ROOT


@pytest.mark.parametrize("mid", ["rdr-2020", "rdr-2022"])
def test_shipped_methodology_has_rdr_structure(mid):
    meth = m.load(mid)
    assert len(meth.elements) == 335
    assert len(meth.indicators) == 70
    assert [c.id for c in meth.categories] == ["G", "F", "P"]
    g4 = meth.indicator("G4")
    assert g4.is_family and g4.children == ("G04a", "G04b", "G04c", "G04d", "G04e")
    assert meth.indicator("G04a").family == "G04"
    # 37 top-level indicators: G1-G6, F1-F13, P1-P18 (families count once)
    assert len(meth.top_level_indicators()) == 37
    assert meth.indicator("G2").scoring_scope == "full"
    assert meth.indicator("P1a").scoring_scope == "services"
    assert meth.indicator("G1").scoring_scope == "company"
    assert meth.indicator("F11").scoring_scope == "services"
    assert {e.id for e in meth.elements.values() if e.reversed} == {"F09.02", "F11.01"}
    assert meth.indicator("F9").excluded_company_kinds == ("internet",)
    assert meth.glossary["account"].term.startswith("Account")
    assert meth.element("F8.1").glossary == ("clearlydisclose", "contentrestriction")


def test_ids_are_accepted_in_rdr_short_form():
    meth = m.load("rdr-2022")
    assert meth.element("G4a.3").id == "G04a.03"
    assert meth.element("G04a.03").label == "G4a.3"
    assert meth.indicator("p3a").id == "P03a"
    with pytest.raises(m.MethodologyError, match="no element 'G99.01'"):
        meth.element("G99.01")


def test_unknown_methodology_is_a_clear_error():
    with pytest.raises(m.MethodologyError, match="unknown methodology 'rdr-1999'.*rdr-2020, rdr-2022"):
        m.load("rdr-1999")


def test_applicability_follows_exclusions():
    meth = m.load("rdr-2020")
    # F9 (network management) is asked of telcos only
    assert meth.element_applies("F09.01", "telecom", "mobile", "Prepaid mobile")
    assert not meth.element_applies("F09.01", "internet", "search", "Google Search")
    # G1 has company scope: never asked of a service
    assert meth.element_applies("G01.01", "internet", None, "Group")
    assert not meth.element_applies("G01.01", "internet", "search", "Google Search")
    # element-level exclusion by company type, and (2022) indicator-level exclusion by service
    assert not meth.element_applies("F08.01", "telecom", "mobile", "Prepaid mobile")
    assert m.load("rdr-2022").indicator("F4b").excluded_services == ("search",)
    assert not m.load("rdr-2022").element_applies("F04b.01", "internet", "search", "Google Search")
    assert meth.element_applies("F04b.01", "internet", "search", "Google Search")


@pytest.mark.parametrize("year", ["2020", "2022"])
def test_importer_regenerates_shipped_file(year, fixtures, tmp_path):
    scores = sorted((fixtures / "rdr2020" / "element-scores").glob("*.csv")) if year == "2020" else []
    data = importer.import_rdr(ROOT / "data" / "rdr", year, element_scores=scores)
    out = tmp_path / f"rdr-{year}.json"
    importer.write(data, out)
    shipped = ROOT / "src" / "rightsindex" / "methodology" / "data" / f"rdr-{year}.json"
    assert json.loads(out.read_text("utf-8")) == json.loads(shipped.read_text("utf-8"))


def test_importer_rejects_files_of_another_shape(tmp_path):
    (tmp_path / "2020").mkdir()
    (tmp_path / "2020" / "2020-rdr-index-11-meta-elements.csv").write_text("a,b\n1,2\n")
    (tmp_path / "2020" / "2020-rdr-index-12-meta-indicators.csv").write_text("a,b\n1,2\n")
    with pytest.raises(m.MethodologyError, match="missing column"):
        importer.import_rdr(tmp_path, "2020")


def test_cli_show_prints_indicator_with_elements_and_guidance(cli):
    res = cli("methodology", "show", "rdr-2022", "F11")
    assert res.returncode == 0, res.stderr
    assert "Identity policy" in res.stdout
    assert "F11.1" in res.stdout and "reversed scoring" in res.stdout
    assert "Research guidance" in res.stdout


def test_cli_show_unknown_indicator_fails(cli):
    res = cli("methodology", "show", "rdr-2022", "Z9")
    assert res.returncode != 0
    assert "no indicator 'Z9'" in res.stderr

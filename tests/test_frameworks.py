"""Notice frameworks (GDPR Art. 13/14, PIPL) ship as data beside RDR's methodologies, with item ids
that other tools rely on, questions in English and Chinese, and a crosswalk to RDR's elements."""

import json

import pytest

from rightsindex import methodology as m
from rightsindex.methodology import frameworks

from .conftest import run_cli

GDPR_ITEMS = {
    "controller-contact": "13(1)(a)", "dpo-contact": "13(1)(b)", "purposes-legal-basis": "13(1)(c)",
    "legitimate-interests": "13(1)(d)", "recipients": "13(1)(e)", "international-transfers": "13(1)(f)",
    "retention": "13(2)(a)", "data-subject-rights": "13(2)(b)", "withdraw-consent": "13(2)(c)",
    "complaint-authority": "13(2)(d)", "statutory-requirement": "13(2)(e)", "automated-decisions": "13(2)(f)",
    "data-categories": "14(1)(d)", "data-sources": "14(2)(f)",
}
PIPL_ITEMS = {
    "handler-contact": "17(1)", "purposes-methods": "17(2)", "data-categories": "17(2)", "retention": "17(2)",
    "exercise-rights": "17(3)", "policy-changes": "17 (para. 2)", "recipients": "23", "automated-decisions": "24",
    "sensitive-information": "28–30", "minors": "31", "cross-border": "39", "security-measures": "51",
}


@pytest.mark.parametrize("fid, law, expected", [("gdpr-notice", "GDPR", GDPR_ITEMS), ("pipl-notice", "PIPL", PIPL_ITEMS)])
def test_framework_items_are_the_contract(fid, law, expected):
    fw = frameworks.load(fid)
    assert list(fw.items) == list(expected)
    for item in fw.items.values():
        assert item.article.startswith(f"{law} Art") and item.article.endswith(expected[item.id])
        assert item.question["en"].endswith("?") and item.question["zh"]
        assert set(item.criteria) == set(frameworks.RESULTS)


def test_crosswalk_points_at_real_elements_and_items_both_ways():
    rdr = m.load("rdr-2022")
    for fid in frameworks.available():
        for item in frameworks.load(fid).items.values():
            for target, ids in item.crosswalk.items():
                for i in ids:
                    if target == "rdr-2022":
                        assert i in rdr.elements, (item.short, i)
                    else:
                        assert i in frameworks.load(target).items, (item.short, target, i)
    # retention ↔ P6, access ↔ P8; government demands are RDR-only
    assert {i.short for i in frameworks.overlapping("P06.01")} == {"GDPR 13(2)(a) retention", "PIPL 17(2) retention"}
    assert "data-subject-rights" in {i.id for i in frameworks.overlapping("P08.01")}
    assert frameworks.overlapping("P10a.01") == []


def test_frameworks_are_not_methodologies():
    assert m.available() == ["rdr-2020", "rdr-2022"]
    assert frameworks.available() == ["gdpr-notice", "pipl-notice"]
    with pytest.raises(m.MethodologyError, match="notice framework.*--framework pipl-notice"):
        m.load("pipl-notice")
    with pytest.raises(m.MethodologyError, match="no item 'nope'"):
        frameworks.load("gdpr-notice").item("nope")


def test_a_framework_file_is_all_a_new_framework_needs():
    raw = json.loads(frameworks.data_dir().joinpath("pipl-notice.json").read_text("utf-8"))
    raw["id"] = "test-notice"
    raw["items"] = raw["items"][:1]
    fw = frameworks.from_dict(raw)
    assert list(fw.items) == ["handler-contact"] and fw.item("handler-contact").framework == "test-notice"
    del raw["items"][0]["criteria"]["partly disclosed"]
    with pytest.raises(m.MethodologyError, match="partly disclosed"):
        frameworks.from_dict(raw)


def test_methodology_list_and_show_include_the_frameworks():
    listed = run_cli("methodology", "list").stdout
    assert "gdpr-notice\t" in listed and "pipl-notice\t" in listed and "14 items" in listed
    shown = run_cli("methodology", "show", "pipl-notice", "cross-border").stdout
    assert "PIPL Art. 39" in shown and "境外接收方" in shown and "gdpr-notice: international-transfers" in shown
    data = json.loads(run_cli("methodology", "show", "gdpr-notice", "--json").stdout)
    assert [i["id"] for i in data["items"]] == list(GDPR_ITEMS)
    bad = run_cli("methodology", "show", "gdpr-notice", "nope")
    assert bad.returncode == 2 and "no item 'nope'" in bad.stderr


@pytest.mark.parametrize("duty, rdr, expected", [
    ("disclosed", "yes", None), ("partly disclosed", "partial", None), ("not found", "no disclosure found", None),
    ("not found", "no", None),  # "no" earns no credit either: the two agree
    ("disclosed", "no disclosure found", "the duty is disclosed, RDR gives no credit"),
    ("not found", "yes", "RDR gives credit, the duty is not found"),
    ("disclosed", "NA", None), (None, "yes", None),  # nothing to compare with
])
def test_crosswalk_says_where_rdr_and_the_law_disagree(duty, rdr, expected):
    from rightsindex.publish.frameworks import crosswalk_answers, disagreement

    assert disagreement(duty, rdr) == expected
    assert disagreement(duty, rdr, reversed_element=True) is None  # credit for not doing something: no duty asks that
    if duty is not None:
        row = {"Company": "Apple", "Service": "Apple", "Framework": "gdpr-notice", "Item": "retention", "Result": duty, "Evidence": []}
        (answer,) = [a for a in crosswalk_answers([row], "Apple", "P06.01", "Apple", rdr) if a["item"] == "retention"]
        assert answer["disagree"] == expected

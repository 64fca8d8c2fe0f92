"""`rightsindex assess`: the main job, on real policies (English and Chinese)."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
import yaml

from rightsindex.formats import elementcsv
from rightsindex import methodology as m
from rightsindex.corpus.extract import normalise_text
from rightsindex.run import assess

from .conftest import ROOT, company_manifest, example_subset

EXAMPLE = ROOT / "examples" / "corpus-2026"
DOCS = EXAMPLE / "docs"


def make_manifest(tmp_path, docs: dict[str, str], company="Apple", services=(("iCloud", "cloud storage"),), name="manifest.yaml"):
    """A manifest over copies of example documents: {manifest path: example path}."""
    entries = []
    for rel, src in docs.items():
        dst = tmp_path / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DOCS / src, dst)
        entries.append({"path": rel, "title": src.rsplit("/", 1)[-1], "levels": ["Group", *(s for s, _ in services)]})
    return company_manifest(tmp_path / name, company, services, entries)


def rows_of(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def two_companies(tmp_path_factory):
    """Apple (English) and Baidu (Chinese) assessed once through the command line."""
    tmp = tmp_path_factory.mktemp("assess")
    mpath = example_subset(tmp, ("Apple", "Baidu"))
    from .conftest import run_cli

    res = run_cli("assess", mpath, "--out", tmp / "out")
    assert res.returncode == 0, res.stderr
    return tmp, mpath, res


def test_assess_writes_the_contract_outputs(two_companies):
    tmp, mpath, res = two_companies
    out = tmp / "out"
    assert "report:" in res.stdout and "Apple" in res.stdout and "Baidu" in res.stdout
    header = next(csv.reader(open(out / "element-scores.csv", encoding="utf-8")))
    assert tuple(header[: len(elementcsv.COLUMNS)]) == elementcsv.COLUMNS
    assert header[len(elementcsv.COLUMNS) :][:2] == ["Confidence", "Evidence"]
    rows = rows_of(out / "element-scores.csv")
    meth = m.load("rdr-2022")
    # one row per company × level × element, N/A rows included
    levels = {"Apple": 2 + 3, "Baidu": 2 + 2}
    assert len(rows) == sum(levels.values()) * len(meth.elements)
    assert {r["Result"] for r in rows} <= {"yes", "partial", "no", "no disclosure found", "NA"}
    # the CSV is valid input for `score`, and `score` agrees with scores.json
    data = elementcsv.read([out / "element-scores.csv"], meth)
    from rightsindex.scoring import score_all

    rescored = {k: v.as_dict() for k, v in score_all(meth, data.results).items()}
    scores = json.loads((out / "scores.json").read_text("utf-8"))
    for company in ("Apple", "Baidu"):
        assert scores["companies"][company]["total"] == rescored[company]["total"]
        assert set(scores["companies"][company]["categories"]) == {"G", "F", "P"}
    html = (out / "report" / "index.html").read_text("utf-8")
    assert "Baidu" in html and "<script" not in html


def test_every_credit_judgment_cites_a_passage_of_its_documents(two_companies):
    tmp, mpath, _ = two_companies
    manifest = yaml.safe_load(mpath.read_text("utf-8"))
    texts = {d["path"]: normalise_text((tmp / d["path"]).read_text("utf-8")) for c in manifest["companies"] for d in c["documents"]}
    levels_of = {d["path"]: set(d.get("levels") or []) for c in manifest["companies"] for d in c["documents"]}
    credit = [r for r in rows_of(tmp / "out" / "element-scores.csv") if r["Result"] in ("yes", "partial", "no")]
    assert len(credit) > 50
    for r in credit:
        evidence = json.loads(r["Evidence"])
        assert evidence, r["Element"]
        for e in evidence:
            assert texts[e["path"]][e["start"] : e["end"]] == e["text"]
            assert r["Service"] in levels_of[e["path"]] or not levels_of[e["path"]]
        assert 0.0 < float(r["Confidence"]) <= 1.0


def test_a_list_is_cited_whole_with_the_passage_that_introduces_it(two_companies):
    """Evidence units: list items join the passage before them in the same section (up to
    UNIT_MAX_CHARS), every unit is one contiguous span of one version, and cited spans are units."""
    from rightsindex.evidence.passages import UNIT_MAX_CHARS, load_company_passages
    from rightsindex.store import Store

    tmp, _, _ = two_companies
    store = Store.open(f"sqlite:///{tmp / 'out' / 'rightsindex.sqlite'}")
    try:
        with store.session() as s:
            cp = load_company_passages(s, "Apple")
    finally:
        store.close()
    unit_of, members = cp.units()
    assert sorted(i for m in members for i in m) == list(range(len(cp.rows)))
    lists = [m for m in members if len(m) > 1]
    assert lists, "the Apple documents have lists"
    for m in members:
        rows = [cp.rows[i] for i in m]
        start, end, text = cp.unit_span(int(unit_of[m[0]]))
        assert text == cp.texts[rows[0].version_id][start:end]
        assert all(r.text in text for r in rows)
        if len(m) > 1:
            assert {r.version_id for r in rows} == {rows[0].version_id} and {r.heading for r in rows} == {rows[0].heading}
            assert all(r.kind == "item" for r in rows[1:]) and end - start <= UNIT_MAX_CHARS
    spans = {(cp.rows[m[0]].path, *cp.unit_span(int(unit_of[m[0]]))[:2]) for m in members}
    cited = [e for r in rows_of(tmp / "out" / "element-scores.csv") if r["Company"] == "Apple" for e in json.loads(r["Evidence"])]
    assert cited and all((e["path"], e["start"], e["end"]) in spans for e in cited)
    whole = {(cp.rows[m[0]].path, *cp.unit_span(int(unit_of[m[0]]))[:2]) for m in lists}
    assert any((e["path"], e["start"], e["end"]) in whole for e in cited), "some evidence is a whole list"


# English questions and words that their answer in a Chinese privacy policy must contain
CHINESE_ANSWERS = {
    "P06.01": ("保存", "存储"),  # retention of user information (store / keep)
    "P15.01": ("安全事件",),  # data breaches (security incidents)
    "P02a.01": ("变更",),  # changes to the privacy policy
    "P04.01": ("共享",),  # sharing of user information
}


def assert_finds_chinese_answers(rows: list[dict], company: str, service: str) -> None:
    """Each question of CHINESE_ANSWERS has a passage with one of its words among its first three."""
    by_element = {r["Element"]: r for r in rows if (r["Company"], r["Service"]) == (company, service)}
    for element, words in CHINESE_ANSWERS.items():
        top3 = " ".join(e["text"] for e in json.loads(by_element[element]["Evidence"])[:3])
        assert any(w in top3 for w in words), (element, top3[:300])


def test_english_questions_find_the_passages_of_a_chinese_policy(two_companies):
    tmp, _, _ = two_companies
    assert_finds_chinese_answers(rows_of(tmp / "out" / "element-scores.csv"), "Baidu", "Baidu Netdisk")


def test_english_questions_find_the_passages_of_tencents_chinese_policy(tmp_path):
    """Tencent's QQ privacy guidelines (CAPP-130, Chinese only): the same questions, another company."""
    mpath = make_manifest(tmp_path, {"docs/qq.md": "Tencent/qq-privacy-policy-zh.md"}, company="Tencent", services=(("QQ", "messaging"),))
    assert_finds_chinese_answers(rows_of(assess(mpath, tmp_path / "out").files["element-scores.csv"]), "Tencent", "QQ")


def test_a_rerun_on_unchanged_documents_reuses_stored_work(two_companies, cli):
    tmp, mpath, _ = two_companies
    again = cli("assess", mpath, "--out", tmp / "out")
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("(reused") + again.stderr.count("resumed") >= 2
    assert rows_of(tmp / "out" / "element-scores.csv")


@pytest.mark.slow
def test_an_interrupted_run_continues_where_it_stopped(tmp_path):
    mpath = make_manifest(tmp_path, {"docs/a.md": "Apple/apple-human-rights-policy.md"})
    raw = yaml.safe_load(mpath.read_text("utf-8"))
    second = dict(raw["companies"][0], id="AppleTwo", name="Apple two")
    raw["companies"].append(second)
    mpath.write_text(yaml.safe_dump(raw), "utf-8")

    class Stop(Exception):
        pass

    def stop_after_first(kind, data):
        if kind == "company":
            raise Stop

    with pytest.raises(Stop):
        assess(mpath, tmp_path / "out", on_event=stop_after_first)
    seen = []
    result = assess(mpath, tmp_path / "out", on_event=lambda kind, data: seen.append((kind, data)))
    graded = [d for k, d in seen if k == "company"]
    assert [d["reused"] for d in graded] == ["resumed", None]  # the first is kept, the second graded
    assert len(rows_of(result.files["element-scores.csv"])) == 2 * 3 * 335


def test_a_document_change_moves_the_grade(tmp_path):
    """The company's human-rights policy is replaced by terms that make no such commitment."""
    mpath = make_manifest(tmp_path, {"docs/policy.md": "Apple/apple-human-rights-policy.md"})
    first = assess(mpath, tmp_path / "v1")
    before = {(r["Service"], r["Element"]): r for r in rows_of(first.files["element-scores.csv"])}
    assert before[("Group", "G01.01")]["Result"] == "yes"
    assert "human rights" in before[("Group", "G01.01")]["Evidence"].lower()

    shutil.copyfile(DOCS / "Apple/app-store-terms-of-service.md", tmp_path / "docs/policy.md")
    second = assess(mpath, tmp_path / "v2", prior=[first.files["element-scores.csv"]])
    after = {(r["Service"], r["Element"]): r for r in rows_of(second.files["element-scores.csv"])}
    g11 = after[("Group", "G01.01")]
    assert g11["Result"] == "no disclosure found"
    assert (g11["PriorResult"], g11["PriorRelation"]) == ("yes", "changed")
    assert "passages cited for the previous answer changed or were removed" in g11["Comment"]
    scores1 = json.loads((tmp_path / "v1" / "scores.json").read_text())["companies"]["Apple"]
    scores2 = json.loads((tmp_path / "v2" / "scores.json").read_text())["companies"]["Apple"]
    assert scores2["indicators"]["G01"] < scores1["indicators"]["G01"]


def test_prior_on_unchanged_documents_is_confirmed_or_carried(tmp_path):
    mpath = make_manifest(tmp_path, {"docs/policy.md": "Apple/apple-human-rights-policy.md"})
    first = assess(mpath, tmp_path / "v1")
    second = assess(mpath, tmp_path / "v2", prior=[first.files["element-scores.csv"]])
    a = {(r["Service"], r["Element"]): r["Result"] for r in rows_of(first.files["element-scores.csv"])}
    rows = rows_of(second.files["element-scores.csv"])
    assert {(r["Service"], r["Element"]): r["Result"] for r in rows} == a
    relations = {r["PriorRelation"] for r in rows if r["Result"] != "NA"}
    assert relations <= {"confirmed", "carried"} and "confirmed" in relations


def test_a_bad_prior_is_refused_with_its_line(tmp_path, cli):
    mpath = make_manifest(tmp_path, {"docs/policy.md": "Apple/apple-human-rights-policy.md"})
    bad = tmp_path / "prior.csv"
    bad.write_text(",".join(elementcsv.COLUMNS) + "\n2020,Digital Platform,Apple,Apple,G,G01,1,NA,G01.01,1,Company,Group,Group,Group,maybe,,NA\n", "utf-8")
    res = cli("assess", mpath, "--out", tmp_path / "out", "--prior", bad)
    assert res.returncode != 0
    assert "prior.csv, line 2, field Result" in " ".join(res.stderr.split())


@pytest.mark.slow
def test_workers_grade_companies_in_parallel_with_the_same_results(tmp_path):
    mpath = make_manifest(tmp_path, {"docs/a.md": "Apple/apple-human-rights-policy.md"})
    raw = yaml.safe_load(mpath.read_text("utf-8"))
    raw["companies"].append(dict(raw["companies"][0], id="AppleTwo", name="Apple two"))
    mpath.write_text(yaml.safe_dump(raw), "utf-8")
    parallel = assess(mpath, tmp_path / "par", workers=2)
    assert set(parallel.companies) == {"Apple", "AppleTwo"}
    sequential = assess(mpath, tmp_path / "seq", db=f"sqlite:///{tmp_path / 'seq.sqlite'}")
    key = lambda r: (r["Company"], r["Service"], r["Element"])  # noqa: E731
    par = {key(r): r["Result"] for r in rows_of(parallel.files["element-scores.csv"])}
    seq = {key(r): r["Result"] for r in rows_of(sequential.files["element-scores.csv"])}
    assert par == seq
    assert {v for (c, _, _), v in par.items() if c == "Apple"} == {v for (c, _, _), v in par.items() if c == "AppleTwo"}


def test_a_list_cited_whole_is_changed_when_one_of_its_items_goes():
    """The previous answer cited a list whole; the new version drops one item. The other passages
    are still there verbatim, but the cited text is not: the prior must be re-graded, not carried."""
    import numpy as np

    from rightsindex.evidence.previous_answers import Prior, _prior_passages
    from rightsindex.evidence.passages import CompanyPassages, PassageRow

    def version(vid: int, parts: list[tuple[str, str]]) -> tuple[str, list[PassageRow]]:
        text, rows = "", []
        for n, (kind, body) in enumerate(parts):
            start = len(text)
            text += body + "\n"
            rows.append(PassageRow(n, vid, vid, "docs/p.md", "privacy-policy", None, start, start + len(body), kind,
                                   "What we share", "en", body, f"{vid}-{n}"))
        return text, rows

    lead = ("paragraph", "We share your information with the following parties:")
    items = [("item", "* advertisers who show you ads"), ("item", "* law enforcement when the law requires it"),
             ("item", "* our service providers")]
    old_text, old_rows = version(1, [lead, *items])
    old = CompanyPassages("X", old_rows, versions={"docs/p.md": 1}, texts={1: old_text})
    unit_of, members = old.units()
    assert members == [[0, 1, 2, 3]]
    cited = old.unit_span(0)[2]
    prior = Prior("yes", (("docs/p.md", cited),))
    same = CompanyPassages("X", old_rows, versions={"docs/p.md": 1}, texts={1: old_text})
    assert _prior_passages(prior, same, np.arange(4)) == (True, [0, 1, 2, 3])
    new_text, new_rows = version(2, [lead, items[0], items[2]])
    new = CompanyPassages("X", new_rows, versions={"docs/p.md": 2}, texts={2: new_text})
    assert _prior_passages(prior, new, np.arange(3)) == (False, [])


def test_stored_judgments_are_reused_only_under_the_same_evidence_selection(tmp_path, monkeypatch):
    """Same documents, same models: reused. Evidence chosen another way (a new EVIDENCE_VERSION):
    graded again, so stored evidence never mixes two ways of citing."""
    from rightsindex.evidence import versioning

    mpath = make_manifest(tmp_path, {"docs/policy.md": "Apple/apple-human-rights-policy.md"})
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    first = assess(mpath, tmp_path / "a", db=db)
    assert first.companies["Apple"]["reused"] is None
    assert assess(mpath, tmp_path / "b", db=db).companies["Apple"]["reused"] is not None
    monkeypatch.setattr(versioning, "EVIDENCE_VERSION", versioning.EVIDENCE_VERSION + 1)
    again = assess(mpath, tmp_path / "c", db=db)
    assert again.companies["Apple"]["reused"] is None
    assert versioning.model_version().endswith(f"+ev.{versioning.EVIDENCE_VERSION}")


def test_a_prior_in_rdrs_format_leads_the_evidence_with_what_its_comment_quoted(tmp_path):
    """RDR's files have no Evidence column, but their comments quote the policy. Where the previous
    answer stands, the passage the comment quoted is cited first, even if the ranker put it lower."""
    mpath = make_manifest(tmp_path, {"docs/policy.md": "Apple/apple-human-rights-policy.md"})
    first = assess(mpath, tmp_path / "v1")
    rows = rows_of(first.files["element-scores.csv"])
    row = next(r for r in rows if (r["Service"], r["Element"]) == ("Group", "G01.01"))
    assert row["Result"] == "yes"
    ranked = json.loads(row["Evidence"])
    quoted = ranked[-1]["text"]  # the ranker's fifth
    assert quoted not in ranked[0]["text"]
    # the previous edition as RDR publishes it: its columns only, a researcher's comment
    prior = tmp_path / "rdr-prior.csv"
    with prior.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=elementcsv.COLUMNS, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            if r is row:
                r = {**r, "Comment": f'Yes. The policy states, "{" ".join(quoted.split()[:40])}" (Source 1).'}
            w.writerow(r)
    second = assess(mpath, tmp_path / "v2", prior=[prior])
    after = next(r for r in rows_of(second.files["element-scores.csv"]) if (r["Service"], r["Element"]) == ("Group", "G01.01"))
    assert (after["Result"], after["PriorRelation"]) == ("yes", "confirmed")
    evidence = json.loads(after["Evidence"])
    assert evidence[0]["text"] == quoted and len(evidence) == len(ranked)


@pytest.mark.slow
def test_a_comment_that_quotes_nothing_borrows_the_quotes_of_the_same_question_elsewhere(tmp_path):
    """Two services share a privacy policy; last edition's comment quotes it for one service and
    says "see iCloud" for the other: both cite the quoted passage first."""
    services = (("iCloud", "cloud storage"), ("iMessage", "messaging"))
    mpath = make_manifest(tmp_path, {"docs/privacy.md": "Apple/apple-privacy-policy.md"}, services=services)
    rows = rows_of(assess(mpath, tmp_path / "v1").files["element-scores.csv"])
    by = {(r["Service"], r["Element"]): r for r in rows}
    element = next(e for (lvl, e), r in by.items() if lvl == "iCloud" and r["Result"] in ("yes", "partial")
                   and by[("iMessage", e)]["Result"] == r["Result"] and len(json.loads(r["Evidence"])) == 5)
    quoted = json.loads(by[("iCloud", element)]["Evidence"])[-1]["text"]
    prior = tmp_path / "rdr-prior.csv"
    with prior.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=elementcsv.COLUMNS, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            if (r["Service"], r["Element"]) == ("iCloud", element):
                r = {**r, "Comment": f'The policy says, "{" ".join(quoted.split()[:40])}".'}
            elif (r["Service"], r["Element"]) == ("iMessage", element):
                r = {**r, "Comment": "See iCloud."}
            else:
                r = {**r, "Comment": ""}  # no other quotes to borrow
            w.writerow(r)
    after = {(r["Service"], r["Element"]): r for r in rows_of(assess(mpath, tmp_path / "v2", prior=[prior]).files["element-scores.csv"])}
    for level in ("iCloud", "iMessage"):
        assert json.loads(after[(level, element)]["Evidence"])[0]["text"] == quoted, level

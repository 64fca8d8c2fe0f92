"""Hostile and careless input to ingestion (issue 13, items 1, 2, 3, 5, 12): each is refused with a
one-line error naming what is wrong, or handled in bounded work, and loses nothing else.

Big pathological documents come from the recipes in tests/hostile.py (kept small here; the sizes of
the issue are measured by benchmarks/hostile.py).
"""

from __future__ import annotations

import os
import shutil

import pytest
import yaml
from sqlalchemy import select

from rightsindex.corpus.extract import extract
from rightsindex.corpus.ingest import ingest_manifest
from rightsindex.corpus.manifest import ManifestError, load_manifest
from rightsindex.store import Store
from rightsindex.store.models import Document

from . import hostile


def _write_docs(folder, names):
    for name in names:
        (folder / name).write_bytes(hostile.good_policy(name))


def _manifest(tmp_path, documents, *, services=None, extra=None, name="manifest.yaml"):
    raw = {
        "index": "test",
        "methodology": "rdr-2022",
        "companies": [{"id": "Acme", "name": "Acme", "type": "Digital Platform",
                       "services": services or [{"id": "Cloud", "kind": "cloud storage"}], "documents": documents}],
        **(extra or {}),
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), "utf-8")
    return path


# -- item 1: YAML bombs and odd YAML types in document fields ---------------------------------------


def test_yaml_alias_bomb_set_binary_and_recursive_alias_are_refused_per_document(tmp_path):
    shutil.copyfile(hostile.FIXTURES / "alias-bomb.yaml", tmp_path / "manifest.yaml")
    _write_docs(tmp_path, ["good.md", "bomb.md", "set.md", "binary.md", "recursive.md", "good-too.md"])
    manifest = load_manifest(tmp_path / "manifest.yaml")
    problems = {d.key: d.problem for d in manifest.companies[0].documents}
    assert problems["good.md"] is None and problems["good-too.md"] is None
    assert "document 'bomb.md': extra[0]: a nested list cannot be kept as metadata" in problems["bomb.md"]
    assert "document 'set.md': tags: a set (!!set)" in problems["set.md"]
    assert "document 'binary.md': blob: binary data (!!binary)" in problems["binary.md"]
    assert "document 'recursive.md': loop[1]: a nested list" in problems["recursive.md"]
    assert all("\n" not in p for p in problems.values() if p)
    assert any("anchors: not a known field" in w for w in manifest.warnings)

    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    report = ingest_manifest(store, manifest)
    assert {o.key: o.status for o in report.outcomes} == {
        "good.md": "new", "bomb.md": "error", "set.md": "error", "binary.md": "error", "recursive.md": "error",
        "good-too.md": "new",
    }
    with store.session() as s:
        assert sorted(d.key for d in s.scalars(select(Document))) == ["good-too.md", "good.md"]
    store.close()


def test_plain_metadata_is_kept(tmp_path):
    _write_docs(tmp_path, ["a.md"])
    path = _manifest(tmp_path, [{"path": "a.md", "source_nr": 23, "ota": "contrib:X@1", "tags": ["a", "b"],
                                 "checked": True, "seen": "2024-01-02"}])
    doc = load_manifest(path).companies[0].documents[0]
    assert doc.problem is None
    assert doc.meta == {"source_nr": 23, "ota": "contrib:X@1", "tags": ["a", "b"], "checked": True, "seen": "2024-01-02"}


# -- item 12: manifest errors and warnings ----------------------------------------------------------


def test_an_impossible_date_is_a_one_line_error_naming_manifest_company_document_and_field(tmp_path, cli):
    _write_docs(tmp_path, ["a.md"])
    path = tmp_path / "manifest.yaml"
    path.write_text(
        "index: t\nmethodology: rdr-2022\ncompanies:\n- id: Acme\n  type: Digital Platform\n"
        "  services: [{id: Cloud, kind: cloud storage}]\n  documents:\n  - path: a.md\n    version_date: 2025-13-01\n",
        "utf-8",
    )
    with pytest.raises(ManifestError) as exc:
        load_manifest(path)
    assert str(exc.value) == f"{path}: company 'Acme': document 'a.md': version_date: '2025-13-01' is not a date (YYYY-MM-DD)"
    res = cli("corpus", "add", path, "--db", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [f"error: {exc.value}"]
    assert "Traceback" not in res.stderr


def test_unknown_keys_warn_with_the_closest_known_key(tmp_path, cli):
    _write_docs(tmp_path, ["a.md"])
    path = _manifest(tmp_path, [{"path": "a.md", "titel": "A policy", "source": "kept quietly"}],
                     services=[{"id": "Cloud", "kind": "cloud storage", "knd": "x"}], extra={"methodolgy": "x"})
    warnings = load_manifest(path).warnings
    assert f"{path}: methodolgy: not a known field, ignored; did you mean methodology?" in warnings
    assert f"{path}: company 'Acme': service 'Cloud': knd: not a known field, ignored; did you mean kind?" in warnings
    assert f"{path}: company 'Acme': document 'a.md': titel: not a known field, kept as metadata; did you mean title?" in warnings
    assert not any("source" in w for w in warnings)  # other keys are metadata by contract
    res = cli("corpus", "add", path, "--db", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert res.returncode == 0, res.stderr
    assert "did you mean title?" in " ".join(res.stderr.split())


def test_an_unknown_service_kind_is_refused_with_the_known_kinds(tmp_path):
    _write_docs(tmp_path, ["a.md"])
    path = _manifest(tmp_path, [{"path": "a.md"}], services=[{"id": "Drive", "kind": "clod storage"}])
    with pytest.raises(ManifestError) as exc:
        load_manifest(path)
    msg = str(exc.value)
    assert msg.startswith(f"{path}: company 'Acme': service 'Drive': kind: unknown service kind 'clod storage'; did you mean 'cloud storage'?")
    assert "known kinds: " in msg and "mobile ecosystem" in msg and "other" in msg and "\n" not in msg


def test_a_service_of_no_rdr_type_gets_no_service_type_specific_question():
    from rightsindex import methodology as m

    meth = m.load("rdr-2022")
    for element in ("P04.05", "P04.07", "P08.07", "P08.08", "F01b.04", "P14.05", "F04b.01", "G06b.01"):
        assert not meth.element_applies(element, "internet", "other", "Portal"), element
        assert meth.service_specific(element)
    assert meth.element_applies("P04.05", "internet", "mobileEcosystem", "iOS")
    for element in ("P01a.01", "P03a.01", "F01a.01"):  # asked of every service type
        assert meth.element_applies(element, "internet", "other", "Portal"), element


def test_the_example_manifest_names_known_kinds_and_the_app_store_is_a_mobile_ecosystem():
    from .conftest import ROOT

    manifest = load_manifest(ROOT / "examples" / "corpus-2026" / "manifest.yaml")
    assert manifest.warnings == ()
    kinds = {(c.id, s.id): s.rdr_type for c in manifest.companies for s in c.services}
    assert kinds[("Apple", "App Store")] == "mobileEcosystem"
    assert kinds[("Amazon", "Alexa")] == "pda"


# -- item 5: paths stay inside the manifest's folder -----------------------------------------------


def test_paths_outside_the_manifest_folder_are_refused(tmp_path):
    inside = tmp_path / "corpus"
    inside.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.md").write_bytes(hostile.good_policy("Secret"))
    _write_docs(inside, ["a.md"])
    os.symlink(outside / "secret.md", inside / "link.md")
    os.symlink("/etc/passwd", inside / "passwd.md")
    cases = {
        "../" * 20 + "etc/passwd": "/etc/passwd",
        "/etc/passwd": "/etc/passwd",
        "../elsewhere/secret.md": str(outside / "secret.md"),
        "link.md": str(outside / "secret.md"),
        "passwd.md": "/etc/passwd",
    }
    path = _manifest(inside, [{"path": "a.md"}, *({"path": rel} for rel in cases)])
    docs = load_manifest(path).companies[0].documents
    assert docs[0].problem is None
    for doc, (rel, target) in zip(docs[1:], cases.items(), strict=True):
        assert f"document '{rel}': path: {target} is outside the manifest's folder" in (doc.problem or ""), rel
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    report = ingest_manifest(store, load_manifest(path))
    assert [o.status for o in report.outcomes] == ["new"] + ["error"] * len(cases)  # nothing outside was read
    with store.session() as s:
        assert [d.key for d in s.scalars(select(Document))] == ["a.md"]
    store.close()
    # an explicit root allows it
    path = _manifest(inside, [{"path": "a.md"}, {"path": "link.md"}, {"path": "../elsewhere/secret.md"}])
    docs = load_manifest(path, allow_roots=[outside]).companies[0].documents
    assert [d.path for d in docs[1:]] == [outside / "secret.md"] * 2 and not any(d.problem for d in docs)


def test_cli_refuses_a_path_outside_and_accepts_it_with_allow_root(tmp_path, cli):
    inside = tmp_path / "corpus"
    inside.mkdir()
    (tmp_path / "other.md").write_bytes(hostile.good_policy("Other"))
    path = _manifest(inside, [{"path": "../other.md"}])
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    res = cli("corpus", "add", path, "--db", db)
    assert res.returncode == 1 and "is outside the manifest's folder" in " ".join(res.stderr.split())
    assert "errors: 1" in res.stdout
    res = cli("corpus", "add", path, "--db", db, "--allow-root", tmp_path)
    assert res.returncode == 0, res.stderr
    assert "new versions: 1" in res.stdout


# -- item 2: sentence splitting in linear time, and a time budget -----------------------------------


def test_pysbd_never_sees_more_than_a_bounded_piece_and_offsets_stay_exact(monkeypatch):
    from rightsindex.corpus import segment as seg

    seen: list[int] = []
    real = seg._pysbd()

    class Spy:
        def processor(self, text):
            seen.append(len(text))
            return real.processor(text)

        def segment(self, text):
            seen.append(len(text))
            return real.segment(text)

    monkeypatch.setattr(seg, "_pysbd", lambda: Spy())
    text = hostile.unique_sentences(60_000, seed=2).decode()
    passages = seg.segment(text, language="en", detect=False)
    assert seen and max(seen) <= 2000
    assert all(text[p.start : p.end] == p.text for p in passages)
    sentences = [p.text[s:e] for p in passages if p.kind != "heading" for s, e in p.sentences]
    assert len(sentences) == text.count("(clause ")  # every sentence found, none cut
    assert all(s.endswith(").") for s in sentences)
    assert all(len(p.text) <= 1600 for p in passages)


def test_a_paragraph_of_dense_sentence_ends_is_split_without_pysbd(monkeypatch):
    from rightsindex.corpus import segment as seg

    monkeypatch.setattr(seg, "_pysbd", lambda: pytest.fail("pysbd is slowest on text like this"))
    text = hostile.dense_periods(20_000).decode().strip()
    passages = seg.segment(text, language="en", detect=False)
    assert sum(len(p.sentences) for p in passages) == 20_000
    assert all(p.text[s:e] == "a." for p in passages for s, e in p.sentences)


def test_a_document_over_its_time_budget_is_reported_and_the_rest_ingested(tmp_path, monkeypatch):
    from rightsindex.corpus.extract import budget

    clock = iter(range(0, 10**9, 1))  # one second passes at every look at the clock

    monkeypatch.setattr(budget.time, "monotonic", lambda: float(next(clock)))
    monkeypatch.setenv("RIGHTSINDEX_DOCUMENT_SECONDS", "40")
    _write_docs(tmp_path, ["a.md", "c.md"])
    (tmp_path / "b.md").write_bytes(hostile.unique_sentences(200_000))
    path = _manifest(tmp_path, [{"path": "a.md", "language": "en"}, {"path": "b.md", "language": "en"},
                                {"path": "c.md", "language": "en"}])
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    report = ingest_manifest(store, load_manifest(path))
    outcomes = {o.key: o for o in report.outcomes}
    assert outcomes["a.md"].status == "new" and outcomes["c.md"].status == "new"
    assert outcomes["b.md"].status == "error"
    assert outcomes["b.md"].message.startswith("document over its time budget: more than 40 s to extract and segment")
    with store.session() as s:
        assert sorted(d.key for d in s.scalars(select(Document)) if d.versions) == ["a.md", "c.md"]
    store.close()


def test_the_budget_is_inert_outside_ingestion():
    from rightsindex.corpus.extract import budget

    budget.check("anything")  # no budget: nothing to check
    with budget.document_budget(0.0):
        import time

        time.sleep(0.01)
        with pytest.raises(budget.BudgetExceeded, match="stopped during testing"):
            budget.check("testing")


# -- item 3: deep HTML nesting is bounded before parsing --------------------------------------------


def _depth(tree) -> int:
    deepest, stack = 0, [(tree.root, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        child = node.child
        while child is not None:
            stack.append((child, d + 1))
            child = child.next
    return deepest


@pytest.mark.parametrize("recipe, n, letter", [(hostile.unclosed_divs, 20_000, "x"), (hostile.div_span_b, 8_000, "q")])
def test_unclosed_nesting_is_capped_and_keeps_all_text(monkeypatch, recipe, n, letter):
    import selectolax.lexbor as lexbor

    parsed = []
    real = lexbor.LexborHTMLParser

    def spy(html, *a, **kw):
        tree = real(html, *a, **kw)
        parsed.append(tree)
        return tree

    monkeypatch.setattr(lexbor, "LexborHTMLParser", spy)
    ex = extract(recipe(n), filename="deep.html")
    assert parsed and max(_depth(t) for t in parsed) <= 520
    assert ex.text.count(letter) == n  # nothing of the text lost
    assert "Privacy policy before the pile." in ex.text


def test_a_real_page_is_not_changed_by_the_cap(fixtures):
    from rightsindex.corpus.extract.html_depth import cap_nesting

    html = (fixtures / "extract" / "deepseek-privacy.html").read_text("utf-8")
    assert cap_nesting(html) == (html, 0)
    nested = "<ul>" + "<li>item<ul>" * 100 + "</ul></li>" * 100 + "</ul>"
    assert cap_nesting(nested * 20) == (nested * 20, 0)  # deep but within the limit


def test_a_document_cut_into_too_many_passages_is_refused(monkeypatch):
    from rightsindex.corpus.extract import budget
    from rightsindex.corpus import segment as seg

    monkeypatch.setattr(seg, "MAX_PASSAGES", 100)
    text = "\n\n".join(f"Rule {i} applies." for i in range(150))
    with pytest.raises(budget.TooManyPassages, match="more than 100 passages"):
        seg.segment(text, language="en", detect=False)
    assert len(seg.segment(text[: text.index("Rule 90")], language="en", detect=False)) == 90


def test_a_page_with_very_many_elements_skips_trafilatura(monkeypatch):
    import trafilatura

    from rightsindex.corpus.extract import html as ex

    monkeypatch.setattr(ex, "MAX_TRAFILATURA_TAGS", 500)
    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: pytest.fail("trafilatura is superlinear in elements"))
    out = extract(hostile.many_paragraphs(1000), filename="wide.html")
    assert out.text.count("Paragraph ") == 1000

"""Notice duties are graded from real policies: a duty is disclosed only where a cited passage
carries it, that passage first; take the passage away and the duty is not found.

Fixtures (tests/fixtures/frameworks, see NOTICE): an excerpt of Baidu Netdisk's Chinese privacy
policy (CAPP-130) with and without its cross-border section; an excerpt of Apple's privacy policy
(Open Terms Archive) with and without its retention period; TikTok's cookies policy (OTA)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import FIXTURES, company_manifest

HERE = FIXTURES / "frameworks"


def grade(tmp: Path, company: str, service: tuple[str, str], docs: list[dict], frameworks: list[str]):
    from rightsindex.corpus.ingest import ingest_manifest
    from rightsindex.corpus.manifest import load_manifest
    from rightsindex.evidence.frameworks import ItemReader, grade_items
    from rightsindex.evidence.passages import embed_company, load_company_passages
    from rightsindex.evidence.support import MemoryCache, SupportJudge
    from rightsindex.methodology import frameworks as F
    from rightsindex.store import Store

    for d in docs:
        shutil.copyfile(HERE / d["path"], tmp / d["path"])
    manifest = load_manifest(company_manifest(tmp / "manifest.yaml", company, [service], docs))
    store = Store.open(f"sqlite:///{tmp / 'store.sqlite'}")
    ingest_manifest(store, manifest)
    with store.session() as s:
        cp = load_company_passages(s, company)
        embed_company(s, cp)
    reader = ItemReader(SupportJudge.default(MemoryCache()))
    js = grade_items([F.load(f) for f in frameworks], manifest.companies[0], cp, reader)
    return {(j.framework, j.item): j for j in js}


def doc(path: str, type_: str, language: str, title: str) -> dict:
    return {"path": path, "type": type_, "language": language, "title": title}


@pytest.fixture(scope="module")
def netdisk(tmp_path_factory):
    out = {}
    for name, path in [("with", "baidu-netdisk-zh-excerpt.md"), ("without", "baidu-netdisk-zh-excerpt-without-cross-border.md")]:
        tmp = tmp_path_factory.mktemp(f"netdisk-{name}")
        out[name] = grade(tmp, "Baidu", ("Baidu Netdisk", "cloud storage"), [doc(path, "privacy-policy", "zh", "百度网盘隐私政策")], ["pipl-notice"])
    return out


def test_chinese_policy_discloses_cross_border_with_its_section_and_not_without(netdisk):
    j = netdisk["with"][("pipl-notice", "cross-border")]
    assert j.result in ("disclosed", "partly disclosed"), j.why
    assert j.article == "PIPL Art. 39" and j.level == "Baidu Netdisk"
    first = j.evidence[0]
    assert "境内" in first["text"] or "境外" in first["text"] or "跨境" in first["text"]
    assert first["language"] == "zh"
    gone = netdisk["without"][("pipl-notice", "cross-border")]
    assert gone.result == "not found", gone.evidence[:1]
    assert gone.why and "PIPL 39 cross-border" in gone.why[0]


def test_the_rest_of_the_chinese_policy_is_graded_alike_with_or_without_the_section(netdisk):
    for (fid, item), a in netdisk["with"].items():
        if item != "cross-border":
            assert a.result == netdisk["without"][(fid, item)].result, (item, a.why, netdisk["without"][(fid, item)].why)
    # what the excerpt plainly says is found, in Chinese, with the passage that says it first
    for item, words in [("handler-contact", ("邮政编码", "地址", "联系", "上地")), ("minors", ("未成年", "14周岁")),
                        ("policy-changes", ("变更", "修订")), ("security-measures", ("安全",))]:
        j = netdisk["with"][("pipl-notice", item)]
        assert j.result in ("disclosed", "partly disclosed"), (item, j.why)
        assert any(w in j.evidence[0]["text"] for w in words), (item, j.evidence[0]["text"])


@pytest.fixture(scope="module")
def apple(tmp_path_factory):
    out = {}
    for name, path in [("with", "apple-privacy-excerpt.md"), ("without", "apple-privacy-excerpt-without-retention.md")]:
        tmp = tmp_path_factory.mktemp(f"apple-{name}")
        out[name] = grade(tmp, "Apple", ("Apple", "other"), [doc(path, "privacy-policy", "en", "Apple Privacy Policy")], ["gdpr-notice"])
    return out


def test_english_notice_discloses_retention_with_its_period_and_not_without(apple):
    j = apple["with"][("gdpr-notice", "retention")]
    assert j.result in ("disclosed", "partly disclosed"), j.why
    assert "retain" in j.evidence[0]["text"].lower()
    assert j.why[0].startswith("Earned by the first cited passage")
    gone = apple["without"][("gdpr-notice", "retention")]
    assert gone.result == "not found", gone.evidence[:1]
    assert gone.evidence, "the closest passage is cited for the record"


def test_english_notice_other_duties_stand_without_the_retention_period(apple):
    for item in ("data-subject-rights", "withdraw-consent", "complaint-authority", "automated-decisions"):
        a, b = apple["with"][("gdpr-notice", item)], apple["without"][("gdpr-notice", item)]
        assert a.result != "not found" and b.result != "not found", (item, a.why, b.why)


def test_a_cookie_notice_does_not_satisfy_controller_identity_or_rights(tmp_path):
    js = grade(tmp_path, "ByteDance", ("TikTok", "video"), [doc("tiktok-cookies-policy.md", "trackers-policy", "en", "TikTok Cookies Policy")],
               ["gdpr-notice", "pipl-notice"])
    for key in [("gdpr-notice", "controller-contact"), ("gdpr-notice", "dpo-contact"), ("gdpr-notice", "data-subject-rights"),
                ("gdpr-notice", "complaint-authority"), ("pipl-notice", "handler-contact"), ("pipl-notice", "exercise-rights")]:
        assert js[key].result == "not found", (key, js[key].why)
    # what a cookie notice is about it can disclose: how long cookies keep their data
    kept = js[("gdpr-notice", "retention")]
    assert kept.result != "not found" and "retention period" in kept.evidence[0]["text"]
    # and a contact line it does hold is read, but cannot earn a duty of the notice
    contact = js[("pipl-notice", "handler-contact")]
    assert "cannot carry this duty" in contact.why[0] or contact.probability < 0.5

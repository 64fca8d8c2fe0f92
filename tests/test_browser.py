"""The web app in a real browser (Playwright driving Debian's Chromium) against uvicorn on loopback:
an analyst overrides a grade and sees the scores move; a viewer cannot change anything; hostile
policy text stays inert. Screenshots go to test-artifacts/screenshots/.

Skipped locally when Chromium or Playwright is missing; fails in CI (CI=true).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT
from .webdata import PASSWORD, add_chinese_history, add_hostile_documents, assess_apple

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "test-artifacts" / "screenshots"


def _need(condition: bool, why: str) -> None:
    if not condition:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"browser tests need {why} in CI")
        pytest.skip(f"{why} unavailable")


try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    _need(sync_playwright is not None, "the Python package playwright")
    _need(Path(CHROMIUM).exists(), f"Chromium ({CHROMIUM}, Debian package chromium)")
    from sqlalchemy import select

    from rightsindex import methodology as m
    from rightsindex.review.results import element_rows
    from rightsindex.review import add_user
    from rightsindex.store import Store
    from rightsindex.store.models import Document

    tmp = tmp_path_factory.mktemp("browser")
    d = assess_apple(tmp)
    d["zh_doc"] = add_chinese_history(d["db_url"], tmp)
    d["hostile"] = add_hostile_documents(d["db_url"], tmp)
    store = Store.open(d["db_url"])
    add_user(store, "alice", "analyst", PASSWORD)
    add_user(store, "victor", "viewer", PASSWORD)
    meth = m.load("rdr-2022")
    rows, _ = element_rows(store, d["assessment_id"])
    silent = [r for r in rows if r["Service"] == "Group" and r["Result"] == "no disclosure found"
              and meth.indicators[r["Indicator"]].top_level and meth.indicators[r["Indicator"]].scoring_scope == "company"
              and not meth.elements[r["Element"]].reversed]
    d["element"], d["indicator"] = silent[0]["Element"], silent[0]["Indicator"]
    d["other_element"] = silent[1]["Element"]
    d["third_element"] = silent[2]["Element"]
    with store.session() as s:
        raw = s.get(Document, d["hostile"]["hostile-raw.md"])
        d["hostile_passage"] = next(p.id for p in raw.versions[-1].passages if "__pwned = 1" in p.text)
        d["apple_docs"] = list(s.scalars(select(Document.id).where(Document.key.like("docs/Apple/apple-%"))))
        policy = s.scalars(select(Document).where(Document.key == "docs/Apple/apple-privacy-policy.md")).one()
        d["apple_passage"] = next(p.id for p in policy.versions[-1].passages if p.kind == "paragraph")
    store.close()

    port = _free_port()
    env = {**os.environ, "PYTHONUTF8": "1"}
    env.pop("RIGHTSINDEX_SECRET", None)
    code = f"from rightsindex.web import serve; serve({d['db_url']!r}, '127.0.0.1', {port})"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the web server did not start: " + (proc.stdout.read() or b"").decode(errors="replace")[-2000:])
        time.sleep(0.2)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield {**d, "base": base}
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser(site):
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, site):
    """A fresh browser profile; records dialogs and console errors (a CSP refusal is one)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=site["base"])
    pg = context.new_page()
    pg.dialogs, pg.errors = [], []

    def on_dialog(dialog):
        pg.dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.on("console", lambda msg: pg.errors.append(f"{msg.text} @ {msg.location} on {pg.url}") if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    yield pg
    context.close()


def sign_in(page, user: str, target: str = "/ranking") -> None:
    page.goto(target)
    expect(page).to_have_url(re.compile(r".*/login.*"))
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.get_by_test_id("user")).to_contain_text(user)


def test_an_analyst_overrides_a_grade_and_the_scores_follow(page, site):
    element, indicator, aid = site["element"], site["indicator"], site["assessment_id"]
    sign_in(page, "alice")
    expect(page).to_have_url(site["base"] + "/ranking")
    expect(page.get_by_test_id("ranking")).to_contain_text("Apple Inc.")
    page.screenshot(path=str(SHOTS / "ranking.png"), full_page=True)

    page.get_by_test_id("ranking").get_by_role("link", name="Apple Inc.").click()
    expect(page.get_by_test_id("scorecard")).to_be_visible()
    page.screenshot(path=str(SHOTS / "scorecard.png"), full_page=True)

    # scorecard → indicator → the element at the Group level
    page.locator(f'tr[data-indicator="{indicator}"] a').first.click()
    page.locator(f'a[href*="/elements/{element}?level=Group"]').first.click()
    expect(page.get_by_test_id("question")).to_be_visible()
    expect(page.get_by_test_id("result")).to_have_text("No disclosure found")
    indicator_before = page.get_by_test_id("indicator-score").inner_text()
    total_before = page.get_by_test_id("total-score").inner_text()
    page.screenshot(path=str(SHOTS / "element.png"), full_page=True)

    # override: final step, "yes", with a rationale (htmx swaps the element body in place)
    page.get_by_test_id("step").select_option("final")
    page.get_by_test_id("grade-yes").check()
    page.fill("#rationale", "The policy states it plainly.")
    page.get_by_test_id("save-grade").click()
    expect(page.get_by_test_id("notice")).to_have_text("Grade saved.")
    expect(page.get_by_test_id("result")).to_have_text("Yes")
    expect(page.get_by_test_id("indicator-score")).not_to_have_text(indicator_before)
    expect(page.get_by_test_id("total-score")).not_to_have_text(total_before)
    assert float(page.get_by_test_id("indicator-score").inner_text()) > float(indicator_before)
    total_after = page.get_by_test_id("total-score").inner_text()
    assert float(total_after) > float(total_before)
    expect(page.get_by_test_id("audit")).to_contain_text("alice")
    expect(page.get_by_test_id("audit")).to_contain_text("change (final): no disclosure found (automated) → yes")
    expect(page.get_by_test_id("decisions")).to_contain_text("Final")
    page.screenshot(path=str(SHOTS / "element-overridden.png"), full_page=True)

    # it is stored: a reload and the ranking show the same
    page.reload()
    expect(page.get_by_test_id("result")).to_have_text("Yes")
    page.goto(f"/ranking?assessment={aid}")
    expect(page.locator('tr[data-company="Apple"] [data-testid=total]')).to_have_text(total_after)

    page.get_by_test_id("logout").click()
    expect(page).to_have_url(site["base"] + "/login")
    page.goto("/ranking")
    expect(page).to_have_url(re.compile(r".*/login\?next=.*"))
    assert page.dialogs == [] and page.errors == []


def test_an_analyst_works_through_the_review_queue(page, site):
    """The queue in the navigation → its least confident grade → accepted in the review panel →
    the count drops at once and the grade has left the queue."""
    aid = site["assessment_id"]
    sign_in(page, "alice", f"/companies/Apple?assessment={aid}")
    count = int(page.get_by_test_id("queue-count").inner_text())
    assert count > 0
    page.get_by_test_id("nav-queue").click()
    expect(page.get_by_test_id("queue")).to_be_visible()
    items = page.get_by_test_id("queue-item")
    expect(items).to_have_count(min(count, 50))
    shown = [int(c.rstrip("%")) for c in page.get_by_test_id("queue-confidence").all_inner_texts() if c.strip().endswith("%")]
    assert shown == sorted(shown)  # least confident first
    page.screenshot(path=str(SHOTS / "review-queue.png"), full_page=True)
    first = items.first
    level, element = first.get_attribute("data-level"), first.get_attribute("data-element")
    first.get_by_test_id("queue-link").click()

    expect(page).to_have_url(re.compile(rf".*/companies/Apple/elements/{re.escape(element)}\?level={re.escape(level)}&assessment={aid}$"))
    expect(page.get_by_test_id("queue-note")).to_contain_text("Needs review")
    # the panel opens at the final step (choosing it again would race an htmx reload against the click)
    expect(page.get_by_test_id("step")).to_have_value("final")
    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("notice")).to_have_text("Grade accepted.")
    expect(page.get_by_test_id("queue-note")).to_contain_text("Decided by an analyst")
    expect(page.get_by_test_id("queue-count")).to_have_text(str(count - 1))  # the navigation, swapped out of band
    page.screenshot(path=str(SHOTS / "review-queue-accepted.png"), full_page=True)

    page.get_by_test_id("queue-back").click()
    expect(page.get_by_test_id("queue-total")).to_contain_text(f"{count - 1} grade")
    expect(page.locator(f'[data-testid=queue-item][data-level="{level}"][data-element="{element}"]')).to_have_count(0)
    expect(page.get_by_test_id("queue-count")).to_have_text(str(count - 1))
    assert page.dialogs == [] and page.errors == []


def test_a_viewer_cannot_change_anything(page, site):
    element, aid = site["other_element"], site["assessment_id"]
    sign_in(page, "victor", f"/companies/Apple/elements/{element}?level=Group&assessment={aid}")
    expect(page.get_by_test_id("question")).to_be_visible()
    assert page.get_by_test_id("review-panel").count() == 0
    # even a hand-made request with the viewer's own CSRF token is refused
    status = page.evaluate(
        """async ([url]) => {
            const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
            const body = new URLSearchParams({action: 'change', result: 'yes', step: 'final', csrf_token: token});
            const r = await fetch(url, {method: 'POST', body, headers: {'X-CSRF-Token': token}});
            return r.status;
        }""",
        [f"/review/Apple/{element}?level=Group&assessment={aid}"],
    )
    assert status == 403
    page.reload()
    expect(page.get_by_test_id("result")).to_have_text("No disclosure found")
    assert page.dialogs == []


def test_document_history_and_a_chinese_diff(page, site):
    sign_in(page, "victor", f"/documents/{site['zh_doc']}?from=1&to=2")
    expect(page.get_by_test_id("diff-counts")).to_contain_text("1 added")
    expect(page.get_by_test_id("diff").locator("ins").first).to_be_visible()
    expect(page.get_by_test_id("diff")).to_contain_text("我们会在变更生效前通过弹窗通知您本政策的重大变更。")
    page.screenshot(path=str(SHOTS / "diff.png"), full_page=False)
    page.goto(f"/documents/{site['zh_doc']}/versions/2")
    expect(page.get_by_test_id("version-text")).to_contain_text("隐私政策")
    page.screenshot(path=str(SHOTS / "version-zh.png"), full_page=False)
    assert page.errors == []


def test_hostile_documents_stay_inert(page, site):
    aid, element, pid = site["assessment_id"], site["other_element"], site["hostile_passage"]
    raw, html_doc = site["hostile"]["hostile-raw.md"], site["hostile"]["hostile.html"]
    sign_in(page, "alice", f"/documents/{raw}/versions/1")
    # the analyst makes a hostile passage evidence of an element, through the review panel
    page.goto(f"/companies/Apple/elements/{element}?level=Group&assessment={aid}")
    page.get_by_test_id("attach-id").fill(str(pid))
    page.get_by_test_id("attach").click()
    expect(page.get_by_test_id("notice")).to_have_text("Passage attached.")
    for url in (f"/companies/Apple/elements/{element}?level=Group&assessment={aid}", f"/documents/{raw}/versions/1",
                f"/documents/{html_doc}/versions/1", f"/documents/{raw}", "/documents"):
        page.goto(url)
        page.wait_for_timeout(300)  # time for anything that would run (onerror, onload, iframes)
        assert page.evaluate("typeof window.__pwned") == "undefined", url
        assert page.locator("iframe, object, embed, img[src='x']").count() == 0, url
        assert page.locator("a[href^='javascript:']").count() == 0, url
    page.goto(f"/documents/{raw}/versions/1")
    shown = page.get_by_test_id("version-text").inner_text()
    assert "<script>window.__pwned = 1; alert('SCRIPT_RAN')</script>" in shown  # shown as text
    assert '<img src="x" onerror="window.__pwned = 2' in shown
    assert "{{ 7 * 7 }}" in shown
    page.goto(f"/companies/Apple/elements/{element}?level=Group&assessment={aid}")
    hostile = page.locator(f'article[data-passage="{pid}"]')
    expect(hostile).to_contain_text("<script>window.__pwned = 1")
    hostile.scroll_into_view_if_needed()
    hostile.screenshot(path=str(SHOTS / "hostile-evidence.png"))
    assert page.dialogs == []
    assert not [e for e in page.errors if "Content Security Policy" in e or "Refused" in e]


def test_the_review_panel_keeps_the_chosen_research_step(page, site):
    """Issue 13, item 11: choosing "Primary research" and then attaching, detaching and accepting
    records every action at the primary step (the select no longer snaps back to "Final")."""
    element, aid, pid = site["third_element"], site["assessment_id"], site["apple_passage"]
    sign_in(page, "alice", f"/companies/Apple/elements/{element}?level=Group&assessment={aid}")
    step = page.get_by_test_id("step")
    expect(step).to_have_value("final")
    step.select_option("primary")  # htmx brings the panel of that step
    expect(page.get_by_test_id("step-evidence-source")).to_have_text("(Primary research: from the automated grade)")
    page.get_by_test_id("attach-id").fill(str(pid))
    page.get_by_test_id("attach").click()
    expect(page.get_by_test_id("notice")).to_have_text("Passage attached.")
    expect(page.get_by_test_id("step")).to_have_value("primary")
    expect(page.get_by_test_id("step-evidence-source")).to_have_text("(Primary research)")
    expect(page.get_by_test_id("audit")).to_contain_text(f"attach (primary)")
    expect(page.get_by_test_id(f"detach-{pid}")).to_be_visible()  # the primary decision's passages are listed

    page.get_by_test_id(f"detach-{pid}").click()
    expect(page.get_by_test_id("notice")).to_have_text("Passage detached.")
    expect(page.get_by_test_id("step")).to_have_value("primary")
    expect(page.get_by_test_id("audit")).to_contain_text(f"detach (primary): no disclosure found; detached passage {pid}")

    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("notice")).to_have_text("Grade accepted.")
    expect(page.get_by_test_id("step")).to_have_value("primary")
    audit = page.get_by_test_id("audit").inner_text()
    assert "accept (primary)" in audit and "(final)" not in audit
    expect(page.get_by_test_id("decisions")).to_contain_text("Primary research")
    expect(page.get_by_test_id("result")).to_have_text("No disclosure found")  # only the final step counts

    # a reload starts at the final step again; choosing a step shows that step's passages
    page.reload()
    expect(page.get_by_test_id("step")).to_have_value("final")
    expect(page.get_by_test_id("step-evidence-source")).to_have_text("(Final: from Primary research)")
    page.get_by_test_id("step").select_option("review")
    expect(page.get_by_test_id("step-evidence-source")).to_have_text("(Review: from Primary research)")
    expect(page.get_by_test_id("step")).to_have_value("review")
    assert page.get_by_test_id(f"detach-{pid}").count() == 0
    page.screenshot(path=str(SHOTS / "review-primary-step.png"), full_page=True)
    assert page.errors == [] and page.dialogs == []


def test_the_per_service_chart_is_drawn_at_full_size(page, site):
    """Issue 13, item 14: the scorecard's per-service chart was squeezed into half a column (its
    11 px labels drawn at 7 px)."""
    sign_in(page, "victor", f"/companies/Apple?assessment={site['assessment_id']}")
    chart = page.locator("figure", has_text="Per service").locator("svg")
    expect(chart).to_be_visible()
    drawn = chart.bounding_box()["width"]
    native = float(chart.get_attribute("viewBox").split()[2])
    assert drawn >= 0.95 * native, (drawn, native)


def test_the_report_fits_the_window_and_reads_as_text(page, tmp_path):
    """Issue 13, item 14: one unbroken passage made the report 3,878 px wide; Markdown showed raw."""
    from rightsindex import methodology as m
    from rightsindex.publish.report import write_report

    meth = m.load("rdr-2022")
    url = "https://www.example.com/legal?q=" + "abcdefghij" * 400  # no break opportunity in 4,000 characters
    rows = [
        {"Company": "Acme", "Element": "P01a.01", "Service": "Group", "Result": "yes", "Confidence": "0.900",
         "PriorRelation": "NA", "PriorResult": "NA", "Reviewed": "no",
         "Evidence": json.dumps([{"path": "docs/a.md", "version": 1, "start": 0, "end": 10,
                                  "text": f"See the [Conditions of Use]({url}) and **our** notice. " + "We collect data. " * 80}])},
        {"Company": "Acme", "Element": "P01a.02", "Service": "Group", "Result": "no disclosure found", "Confidence": "0.700",
         "PriorRelation": "NA", "PriorResult": "NA", "Reviewed": "no",
         "Evidence": json.dumps([{"path": "docs/a.md", "version": 1, "start": 0, "end": 10, "text": url}])},
    ]
    scores = {"index": "t", "assessment": {"id": 1, "model": "m"}, "companies": {"Acme": {
        "label": "Acme", "type": "Digital Platform", "rank": 1, "total": 20.549, "categories": {"G": 1.0, "F": 2.0, "P": 3.0},
        "indicators": {}}}}
    path = tmp_path / "report" / "index.html"
    write_report(path, meth, scores, rows)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(path.as_uri())
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    text = page.locator("body").inner_text()
    assert "Conditions of Use" in text and "](" not in text and "**" not in text
    assert "Closest passages (1; none was judged to disclose this)" in text
    assert "Total 20.6 ·" in text

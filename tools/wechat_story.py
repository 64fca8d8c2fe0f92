"""Grade the WeChat privacy policy version by version, 2020–2026, and write the story (run from the
repository root; the time it took is printed and written into the README with the commit):

    python tools/wechat_story.py [--out /tmp/wechat-story]

Does what the README's "WeChat 2020–2026" section shows with two commands — ``corpus import-ota``
of ``examples/wechat-2020-2026/wechat-privacy-policy.bundle`` under the manifest's document, then
``history --versions`` — and writes, for the README:

- ``examples/wechat-2020-2026/story.md``: scores per version (total, privacy, P3a–P6), and every
  move of a P3–P6 answer with the passages behind it;
- ``examples/wechat-2020-2026/p3-p6.svg``: the P3–P6 indicator scores over time;
- the README's block between ``<!-- wechat-story: … -->`` and ``<!-- /wechat-story -->``: a copy of
  ``story.md`` (a test holds the two equal), and the line under the commands that says how long
  this took, on which commit and machine.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

EXAMPLE = Path("examples/wechat-2020-2026")
README = Path("README.md")
BLOCK = re.compile(r"(<!-- wechat-story: [^\n]*-->\n)(.*?)(<!-- /wechat-story -->)", re.S)
TIMING = re.compile(r"^\(measured: .*?\)$", re.M)


def readme_block(text: str) -> str:
    """The README's copy of ``story.md``."""
    m = BLOCK.search(text)
    if m is None:
        raise SystemExit("README.md has no <!-- wechat-story: … --> … <!-- /wechat-story --> block")
    return m.group(2)


def update_readme(story: str, seconds: float) -> None:
    text = README.read_text("utf-8")
    readme_block(text)
    text = BLOCK.sub(lambda m: m.group(1) + story + m.group(3), text, count=1)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip() or "unknown"
    line = (f"(measured: {seconds:.0f} s for the import and all {{n}} versions on commit {commit}, "
            f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}; `python tools/wechat_story.py` re-runs it and rewrites the table below)")
    n = story.count("\n| 20")
    text, k = TIMING.subn(line.format(n=n), text, count=1)
    if not k:
        raise SystemExit("README.md has no '(measured: …)' line under the WeChat commands")
    README.write_text(text, "utf-8")
INDICATORS = ("P03a", "P03b", "P04", "P05", "P06")  # collection, inference, sharing, purposes, retention


def import_wechat(out: Path) -> str:
    """A store in ``out`` holding the WeChat privacy policy's recorded history (the example's OTA
    bundle) under the manifest's document, as ``corpus import-ota --document`` files it; its URL."""
    from rightsindex.corpus.ota.importer import import_history
    from rightsindex.corpus.ota.repository import history as ota_history
    from rightsindex.corpus.ota.repository import open_repo
    from rightsindex.store import Store

    db = f"sqlite:///{(out / 'rightsindex.sqlite').resolve()}"
    out.mkdir(parents=True, exist_ok=True)
    store = Store.open(db)
    versions, _ = ota_history(open_repo(EXAMPLE / "wechat-privacy-policy.bundle"), "WeChat", "Privacy Policy")
    import_history(store, versions, service="WeChat", terms_type="Privacy Policy", company="Tencent", document="wechat-privacy-policy.md")
    store.close()
    return db


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=None)
    out = ap.parse_args().out or Path(tempfile.mkdtemp(prefix="wechat-story-"))

    from rightsindex import methodology as m
    from rightsindex.timeline.compare import compare, excerpt
    from rightsindex.formats.files import atomic_write_text
    from rightsindex.run.dates import assess_dates
    from rightsindex.publish.charts import over_time
    from rightsindex.store import Store

    started = time.monotonic()
    db = import_wechat(out)
    result = assess_dates(EXAMPLE / "manifest.yaml", out, "versions", db=db)
    meth = m.load("rdr-2022")
    data = result.series
    tencent = data["companies"]["Tencent"]
    dates = data["dates"]

    def f(v):
        return "–" if v is None else f"{v:.1f}"

    lines = [
        "<!-- written by tools/wechat_story.py: do not edit by hand -->",
        "",
        "| version in force from | total | privacy (P) | " + " | ".join(f"{meth.indicators[i].short} {meth.indicators[i].label.split(' ')[0].lower()}" for i in INDICATORS) + " |",
        "|---|---:|---:|" + "---:|" * len(INDICATORS),
    ]
    for k, d in enumerate(dates):
        lines.append(f"| {d} | {f(tencent['total'][k])} | {f(tencent['categories']['P'][k])} | " + " | ".join(f(tencent["indicators"][i][k]) for i in INDICATORS) + " |")
    lines += ["", "Every move of a P3–P6 answer (WeChat service level), with the passages behind it:", ""]
    store = Store.open(db)
    ids = [data["assessments"][d] for d in dates]
    moves = 0
    for a, b in zip(ids, ids[1:]):
        cmp = compare(store, a, b)
        for mv in cmp.moved:
            if mv.indicator not in INDICATORS:
                continue
            moves += 1
            lines.append(f"- **{cmp.b['label']}, {mv.element_label} ({mv.level})**: {mv.before} → {mv.after}. {mv.comment}")
            for d in mv.diff[:2]:
                lines.append(f"  - {excerpt(d, 200)}")
    if not moves:
        lines.append("- (none)")
    store.close()
    seconds = time.monotonic() - started
    story = "\n".join(lines) + "\n"
    atomic_write_text(EXAMPLE / "story.md", story)
    update_readme(story, seconds)
    svg = over_time(dates, [(i, tencent["indicators"][i]) for i in INDICATORS], title="WeChat: P3–P6 scores by policy version",
                    salt="wechat-story", names={i: f"{meth.indicators[i].short} {meth.indicators[i].label.split(' ')[0].lower()}" for i in INDICATORS})
    atomic_write_text(EXAMPLE / "p3-p6.svg", svg)
    print(f"wrote {EXAMPLE / 'story.md'} ({len(dates)} versions, {moves} P3–P6 moves, {seconds:.0f} s), {EXAMPLE / 'p3-p6.svg'} "
          f"and the README's copy; work folder {out}")


if __name__ == "__main__":
    main()

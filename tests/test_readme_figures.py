"""The README's figures come from commands that re-run them: the WeChat story table is a copy of
what ``tools/wechat_story.py`` wrote last, and that run is labelled with its commit and machine."""

from __future__ import annotations

import re

from .conftest import ROOT, load_script


def test_the_readme_shows_the_wechat_story_the_tool_wrote_last():
    tool = load_script("tools/wechat_story.py")
    readme = (ROOT / "README.md").read_text("utf-8")
    story = (ROOT / "examples" / "wechat-2020-2026" / "story.md").read_text("utf-8")
    assert tool.readme_block(readme) == story
    # and the table has one row per recorded version, each with a total
    rows = [line for line in story.splitlines() if re.match(r"\| 20\d\d-\d\d-\d\d \| \d", line)]
    assert len(rows) == 20


def test_the_wechat_timing_says_which_commit_and_machine_measured_it():
    readme = (ROOT / "README.md").read_text("utf-8")
    m = re.search(r"^\(measured: (\d+) s for the import and all 20 versions on commit ([0-9a-f]{7,}), (\d+) cores, (\d{4}-\d\d-\d\d);", readme, re.M)
    assert m, "the WeChat commands' timing line is missing or unlabelled"

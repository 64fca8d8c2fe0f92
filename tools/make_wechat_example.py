"""Cut the WeChat 2020–2026 example out of the Open Terms Archive sample (run from the repository root).

    python tools/make_wechat_example.py [--bundle tests/fixtures/ota/contrib-versions-sample.bundle]

Reads the recorded history of ``WeChat/Privacy Policy.md`` (OTA's contrib-versions collection, as
kept in the test fixture bundle, itself cut from ``../shared/data/ota``) and writes
``examples/wechat-2020-2026/``:

- ``wechat-privacy-policy.bundle`` — a git bundle in OTA's versions-repository format holding the
  versions recorded from 2020-09-03 (the version RDR 2020's research cut-off, 2020-09-15, saw)
  to 2026-08-06, with the two extraction-only commits of that period (a "Refilter" on 2022-09-09,
  a "technical or declaration upgrade" on 2025-09-23), which ``import-ota`` skips. Left out: the 2,743-character
  summary page and the 17,312-character partial page OTA sometimes captured instead of the
  policy (2020-11 and 2021-01), which are capture failures, not versions of the policy, and the
  policy's unchanged return after them. Texts, subjects, bodies and dates are OTA's; each
  commit message also names the commit of the sample bundle it was cut from.
- ``wechat-privacy-policy.md`` — the latest text (2026-08-06), the manifest's document.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

OUT = Path("examples/wechat-2020-2026")
FILE = "WeChat/Privacy Policy.md"
SINCE = "2020-09-03"
MIN_CHARS = 30_000  # partial captures are 2,743 and 17,312 characters; the policy 46,000–68,000


def git(*args: str, cwd: Path, env: dict | None = None, input: bytes | None = None) -> bytes:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    cmd = ["git", "-c", "user.name=Open Terms Archive", "-c", "user.email=bot@opentermsarchive.org", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(cmd, cwd=cwd, env={**base, **(env or {})}, check=True, capture_output=True, input=input).stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", type=Path, default=Path("tests/fixtures/ota/contrib-versions-sample.bundle"))
    bundle = ap.parse_args().bundle.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        git("clone", "--quiet", str(bundle), str(src), cwd=Path(tmp))
        log = git("log", "--reverse", "--format=%H%x1f%aI%x1f%s%x1f%b%x1e", "--", FILE, cwd=src).decode()
        commits = []
        for rec in log.split("\x1e"):
            rec = rec.strip("\n")
            if not rec:
                continue
            sha, when, subject, body = rec.split("\x1f", 3)
            if when[:10] < SINCE:
                continue
            text = git("show", f"{sha}:{FILE}", cwd=src)
            if len(text.decode("utf-8")) < MIN_CHARS or (commits and commits[-1][4] == text):
                continue  # the summary page, or the policy coming back after it unchanged
            commits.append((sha, when, subject, body.strip(), text))
        dst = Path(tmp) / "dst"
        dst.mkdir()
        git("init", "--quiet", "-b", "main", cwd=dst)
        for sha, when, subject, body, text in commits:
            (dst / FILE).parent.mkdir(parents=True, exist_ok=True)
            (dst / FILE).write_bytes(text)
            git("add", FILE, cwd=dst)
            original = [line for line in body.splitlines() if line.strip()]
            message = "\n\n".join([subject, *(["\n".join(original)] if original else []),
                                   f"Cut for rightsindex from the Open Terms Archive contrib-versions sample (commit {sha} of the sample bundle)."])
            git("commit", "--quiet", "-m", message, cwd=dst, env={"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when})
        OUT.mkdir(parents=True, exist_ok=True)
        target = OUT / "wechat-privacy-policy.bundle"
        if target.exists():
            target.unlink()
        git("bundle", "create", str(target.resolve()), "HEAD", "main", cwd=dst)
        (OUT / "wechat-privacy-policy.md").write_bytes(commits[-1][4])
        print(f"wrote {target} ({target.stat().st_size:,} bytes, {len(commits)} commits, {commits[0][1][:10]} … {commits[-1][1][:10]})")
        for sha, when, subject, _, text in commits:
            print(f"  {when[:19]}  {len(text):>6} bytes  {subject}")


if __name__ == "__main__":
    main()

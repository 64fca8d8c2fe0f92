"""WeChat's English and Chinese privacy policies on the GDPR and PIPL notice duties, 2020 → 2026:
which duties appeared and when (run from the repository root; several minutes on 2 cores).

    python tools/wechat_frameworks.py [--out /tmp/wechat-duties]

Does what the README's "Notice duties: GDPR and PIPL" section shows with two commands —
``corpus import-ota`` of ``examples/wechat-2020-2026/wechat-privacy-policy.bundle`` under the
English policy, then ``history --versions --framework gdpr-notice,pipl-notice`` on
``examples/wechat-2020-2026/manifest-frameworks.yaml`` — and writes
``examples/wechat-2020-2026/duties.md``: per policy (service) and duty, the answer at every
version date, and the sentence "… disclosed since DATE, passage …" for each.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

EXAMPLE = Path("examples/wechat-2020-2026")
SHORT = {"disclosed": "✓", "partly disclosed": "½", "not found": "·"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=None)
    out = ap.parse_args().out or Path(tempfile.mkdtemp(prefix="wechat-duties-"))

    from wechat_story import import_wechat  # tools/ is on the path when run as a script

    from rightsindex.formats.files import atomic_write_text
    from rightsindex.methodology import frameworks
    from rightsindex.run.dates import assess_dates
    from rightsindex.store import Store
    from rightsindex.timeline.duties import duty_history, since_lines

    db = import_wechat(out)
    result = assess_dates(EXAMPLE / "manifest-frameworks.yaml", out, "versions", db=db, frameworks=["gdpr-notice", "pipl-notice"])
    dates = [d.isoformat() for d in result.dates]
    store = Store.open(db)
    history = duty_history(store, [result.assessments[d] for d in result.dates])
    store.close()

    def at(line, day: str) -> str:
        cur = None
        for seg in line.segments:
            if seg["from"] <= day:
                cur = seg["result"]
        return SHORT.get(cur, "–") if cur else "–"

    lines = ["<!-- written by tools/wechat_frameworks.py: do not edit by hand -->", ""]
    for fid in ("gdpr-notice", "pipl-notice"):
        fw = frameworks.load(fid)
        for service in ("WeChat (English policy)", "WeChat (Chinese policy)"):
            rows = [h for h in history if h.framework == fid and h.service == service]
            if not rows:
                continue
            shown = [d for d in dates if any(at(h, d) != "–" for h in rows)]
            lines += [f"**{fw.name} — {service}** (✓ disclosed, ½ partly disclosed, · not found)", "",
                      "| duty | " + " | ".join(shown) + " |", "|---|" + "---|" * len(shown)]
            for it in fw.items.values():
                h = next((x for x in rows if x.item == it.id), None)
                if h is not None:
                    lines.append(f"| {it.article} {it.id} | " + " | ".join(at(h, d) for d in shown) + " |")
            lines.append("")
    lines += ["Since when, with the passage behind the latest answer:", ""]
    lines += [f"- {s}" for s in since_lines(history, passage_chars=140)]
    atomic_write_text(EXAMPLE / "duties.md", "\n".join(lines) + "\n")
    print(f"wrote {EXAMPLE / 'duties.md'} ({len(dates)} dates, {len(history)} duties); work folder {out}")


if __name__ == "__main__":
    main()

"""Cut the RDR 2020 test fixtures from ../shared/data/rdr (run from the repository root).

Copies the element scores of a few real companies (a telco among them) and the rows of RDR's
published score files that concern them, unchanged. Data: Ranking Digital Rights, CC BY 4.0.

    python tools/cut_rdr_fixtures.py [--data ../shared/data/rdr]
"""

import argparse
import csv
import shutil
from pathlib import Path

COMPANIES = {"ATT": "AT&T", "Twitter": "Twitter", "Alibaba": "Alibaba"}
OUT = Path("tests/fixtures/rdr2020")


def cut(src: Path, dst: Path, keep) -> None:
    with src.open(encoding="utf-8-sig", newline="") as fh, dst.open("w", encoding="utf-8", newline="") as out:
        reader = csv.DictReader(fh)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(r for r in reader if keep(r))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("../shared/data/rdr"))
    data = ap.parse_args().data / "2020"
    (OUT / "element-scores").mkdir(parents=True, exist_ok=True)
    for cid in COMPANIES:
        name = f"2020-rdr-index-06-element-scores-{cid}.csv"
        shutil.copyfile(data / "element-scores" / name, OUT / "element-scores" / name)
    for name in ("03-total-scores", "04-indicator-scores", "05-level-scores"):
        cut(data / f"2020-rdr-index-{name}.csv", OUT / f"2020-rdr-index-{name}.csv", lambda r: r["Company"] in COMPANIES)
    # RDR's year-on-year comparison with 2019 (the shape of `rightsindex compare --format csv`)
    cut(data / "2020-yoy-vs-2019-elements.csv", OUT / "2020-yoy-vs-2019-elements.csv", lambda r: r["CompanySheet"] == "Twitter")
    cut(
        data / "2020-rdr-index-01-quick-overview.csv",
        OUT / "2020-rdr-index-01-quick-overview.csv",
        lambda r: r["Company"] in COMPANIES.values(),
    )


if __name__ == "__main__":
    main()

"""The review queue on a large assessment: page, filter, API and navigation-count times.

    python benchmarks/review_queue.py [--db sqlite:///out/rightsindex.sqlite] [--copies 20] [--repeat 20]

Without ``--db`` it first assesses the bundled example corpus (examples/corpus-2026, five
companies, about a minute). It then makes a large assessment from the latest one: every company
run copied ``--copies`` times under new company ids (``Apple~3``), judgments and all, so the
queue holds ``copies`` × the original number of rows. Times (median of ``--repeat``, in process,
FastAPI's TestClient, signed in as an analyst):

- the first scoring of the large assessment (``Data.scored``: element rows, scores, statuses);
- ``/review`` (first page, the last page, filtered by company and category), the JSON queue and
  the elements endpoint sorted by uncertainty;
- the navigation count (``review_queue.nav_count``) that every analyst page computes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
MANIFEST = HERE.parent / "examples" / "corpus-2026" / "manifest.yaml"
PASSWORD = "benchmark passphrase, made up here"


def enlarge(url: str, copies: int) -> tuple[int, int]:
    """A new assessment holding every run of the latest one ``copies`` times. Returns (id, rows)."""
    from sqlalchemy import select

    from rightsindex.store import Store
    from rightsindex.store.models import Assessment, Company, CompanyRun, Judgment

    store = Store.open(url)
    with store.session() as s:
        src = s.scalars(select(Assessment).where(Assessment.status == "done").order_by(Assessment.id.desc())).first()
        big = Assessment(key=f"bench-{time.time()}", index=src.index, methodology=src.methodology, manifest_path="",
                         manifest_sha256=src.manifest_sha256, model_version=src.model_version, status="done", meta={})
        s.add(big)
        s.flush()
        rows = 0
        for run in src.runs:
            comp = s.scalars(select(Company).where(Company.key == run.company_key)).one()
            for i in range(copies):
                key = f"{run.company_key}~{i}"
                if s.scalars(select(Company).where(Company.key == key)).first() is None:
                    s.add(Company(key=key, name=f"{comp.name} ({i})", type=comp.type))
                new = CompanyRun(assessment_id=big.id, company_key=key, cache_key=f"bench-{big.id}-{key}", meta={})
                s.add(new)
                s.flush()
                s.add_all(Judgment(run_id=new.id, level=j.level, service_kind=j.service_kind, element=j.element, result=j.result,
                                   confidence=j.confidence, probabilities=j.probabilities, evidence=j.evidence,
                                   prior_result=j.prior_result, prior_relation=j.prior_relation, comment=j.comment)
                          for j in run.judgments)
                rows += len(run.judgments)
        big_id = big.id
    store.close()
    return big_id, rows


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db")
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()

    from fastapi.testclient import TestClient

    from rightsindex.review import add_user
    from rightsindex.store import Store
    from rightsindex.web import create_app
    from rightsindex.web.queue_data import nav_count

    tmp = Path(tempfile.mkdtemp(prefix="queue-bench-"))
    url = args.db
    if url is None:
        from rightsindex.run import assess

        t = time.perf_counter()
        assess(MANIFEST, tmp / "out", db=f"sqlite:///{tmp / 'bench.sqlite'}")
        url = f"sqlite:///{tmp / 'bench.sqlite'}"
        print(f"assessed the example corpus in {time.perf_counter() - t:.0f} s")
    aid, rows = enlarge(url, args.copies)
    store = Store.open(url)
    try:
        add_user(store, "bench-analyst", "analyst", PASSWORD)
    except Exception:  # noqa: BLE001 - already there from an earlier run
        pass
    store.close()

    app = create_app(url)
    ctx = app.state.ctx
    t = time.perf_counter()
    sc = ctx.data.scored(aid)
    first = time.perf_counter() - t
    queued = sum(1 for r in sc.rows if r["NeedsReview"] == "yes")
    company = next(r["Company"] for r in sc.rows if r["NeedsReview"] == "yes")
    pages = (queued - 1) // 50 + 1
    print(f"assessment #{aid}: {rows} element rows, {len(sc.levels)} companies, {queued} need review ({pages} pages)")
    print(f"first scoring of the assessment (rows, scores, statuses): {first:.2f} s")

    c = TestClient(app)
    form = c.get("/login").text
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    c.post("/login", data={"username": "bench-analyst", "password": PASSWORD, "csrf_token": token, "next": "/ranking"})
    checks = {
        "/review (first page)": f"/review?assessment={aid}",
        f"/review (page {pages})": f"/review?assessment={aid}&page={pages}",
        "/review?company=…&category=P": f"/review?assessment={aid}&company={company}&category=P",
        "GET /api/…/review-queue?limit=50": f"/api/assessments/{aid}/review-queue?limit=50",
        "GET /api/…/elements?sort=uncertainty": f"/api/assessments/{aid}/companies/{company}/elements?sort=uncertainty&needs_review=true",
    }
    for name, path in checks.items():
        r = c.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        print(f"{name}: {median_ms(lambda: c.get(path), args.repeat):.0f} ms (median of {args.repeat})")

    class Req:  # what nav_count reads of a request
        query_params = {"assessment": str(aid)}

    print(f"navigation count per analyst page: {median_ms(lambda: nav_count(ctx.data, ctx.store, Req), args.repeat):.1f} ms")


if __name__ == "__main__":
    main()

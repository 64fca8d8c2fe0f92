"""Load on the web app: the ranking and element pages under concurrent clients, on loopback.

    python benchmarks/web_load.py [--db sqlite:///out/rightsindex.sqlite] [--clients 50] [--seconds 30] [--workers 2]

Without ``--db`` it first runs ``rightsindex assess`` on ../shared/data/corpus-2026/manifest.yaml
into a temporary folder (several minutes); pass ``--db`` to reuse an assessed database. The app
runs under uvicorn in a subprocess (``--workers`` processes, read-only public mode, so no account
is needed and nothing is written); ``--clients`` concurrent httpx clients request ranking pages
(every sort order) and element pages (random company × level × element of the latest
assessment) for ``--seconds``. Prints requests per second, p50/p95/p99 latency per page kind and
the number of errors (non-200 responses and transport failures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

HERE = Path(__file__).resolve().parent
DEFAULT_MANIFEST = HERE.parent.parent / "shared" / "data" / "corpus-2026" / "manifest.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assessed_db(manifest: Path) -> str:
    out = Path(tempfile.mkdtemp(prefix="web-load-"))
    print(f"assessing {manifest} into {out} (pass --db to reuse a database) …", flush=True)
    subprocess.run([sys.executable, "-m", "rightsindex", "assess", str(manifest), "--out", str(out)], check=True)
    return f"sqlite:///{out / 'rightsindex.sqlite'}"


def start_server(db: str, port: int, workers: int) -> subprocess.Popen:
    code = f"from rightsindex.web import serve; serve({db!r}, '127.0.0.1', {port}, public=True, workers={workers})"
    env = {**os.environ, "PYTHONUTF8": "1"}
    log = tempfile.NamedTemporaryFile(prefix="web-load-server-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=log)
    proc.log_path = log.name
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited: " + Path(log.name).read_text(errors="replace")[-2000:])
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start within 60 s")


def targets(base: str, sample: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=120) as c:
        ranking = c.get("/api/ranking").json()
        aid = ranking["assessment"]
        elements = []
        for company in ranking["companies"]:
            rows = c.get(f"/api/assessments/{aid}/companies/{quote(company['company'], safe='')}/elements").json()
            elements += [r for r in rows if r["Result"] != "NA"]
    picks = rng.sample(elements, min(sample, len(elements)))
    element_urls = [
        f"/companies/{quote(r['Company'], safe='')}/elements/{quote(r['Element'], safe='')}?level={quote(r['Service'], safe='')}&assessment={aid}"
        for r in picks
    ]
    ranking_urls = [f"/ranking?assessment={aid}&sort={s}&order={o}" for s in ("total", "G", "F", "P", "label", "rank") for o in ("asc", "desc")]
    return ranking_urls, element_urls


async def run_load(base: str, ranking_urls: list[str], element_urls: list[str], clients: int, seconds: float, seed: int) -> dict:
    latencies: dict[str, list[float]] = {"ranking": [], "element": []}
    errors: dict[str, int] = {}
    slowest = [0.0, ""]
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(i: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(seed + i)
        while time.perf_counter() < deadline:
            kind = "ranking" if rng.random() < 0.5 else "element"
            url = rng.choice(ranking_urls if kind == "ranking" else element_urls)
            t0 = time.perf_counter()
            try:
                r = await http.get(url)
                ok = r.status_code == 200
                key = None if ok else f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                ok, key = False, type(exc).__name__
            dt = time.perf_counter() - t0
            if dt > slowest[0]:
                slowest[:] = [dt, url]
            if ok:
                latencies[kind].append(dt)
            else:
                errors[key] = errors.get(key, 0) + 1

    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        await asyncio.gather(*(client(i, http) for i in range(clients)))
    elapsed = time.perf_counter() - t0
    return {"latencies": latencies, "errors": errors, "elapsed": elapsed, "slowest": slowest}


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="an assessed database URL (default: assess the shared 2026 corpus first)")
    ap.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sample", type=int, default=300, help="element pages to draw from")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = ap.parse_args()

    db = args.db or assessed_db(args.manifest)
    port = free_port()
    server = start_server(db, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        ranking_urls, element_urls = targets(base, args.sample, args.seed)
        # warm up every worker (scores are computed once per worker and review change, then cached)
        with httpx.Client(base_url=base, timeout=300) as c:
            for url in ranking_urls[:2] * (2 * args.workers) + element_urls[:4]:
                c.get(url)
        res = asyncio.run(run_load(base, ranking_urls, element_urls, args.clients, args.seconds, args.seed))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    lat = res["latencies"]
    total_ok = sum(len(v) for v in lat.values())
    total_err = sum(res["errors"].values())
    figures = {
        "clients": args.clients, "seconds": round(res["elapsed"], 1), "workers": args.workers,
        "requests": total_ok + total_err, "rps": round((total_ok + total_err) / res["elapsed"], 1), "errors": total_err,
        "error_kinds": res["errors"],
    }
    print(f"{args.clients} clients, {res['elapsed']:.1f} s, {args.workers} uvicorn workers, {len(element_urls)} element pages, db {db}")
    print(f"{'page':10} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind in ("ranking", "element"):
        v = lat[kind]
        p50, p95, p99 = (pct(v, q) for q in (50, 95, 99))
        figures[kind] = {"requests": len(v), "p50_ms": p50 and round(p50 * 1000, 1), "p95_ms": p95 and round(p95 * 1000, 1),
                         "p99_ms": p99 and round(p99 * 1000, 1)}
        fmt = lambda x: "-" if x is None else f"{x * 1000:.0f}"  # noqa: E731
        print(f"{kind:10} {len(v):>9} {fmt(p50):>8} {fmt(p95):>8} {fmt(p99):>8}")
    every = lat["ranking"] + lat["element"]
    figures["all"] = {"p50_ms": round((pct(every, 50) or 0) * 1000, 1), "p95_ms": round((pct(every, 95) or 0) * 1000, 1)}
    print(f"all        {len(every):>9} {figures['all']['p50_ms']:>8.0f} {figures['all']['p95_ms']:>8.0f}")
    figures["slowest"] = {"ms": round(res["slowest"][0] * 1000, 1), "url": res["slowest"][1]}
    print(f"throughput {figures['rps']} requests/s; errors: {total_err} {res['errors'] or ''}")
    print(f"slowest request: {figures['slowest']['ms']:.0f} ms {figures['slowest']['url']}")
    restarts = Path(server.log_path).read_text(errors="replace").count("Child process") if Path(server.log_path).exists() else 0
    if restarts:
        print(f"uvicorn restarted a worker {restarts} time(s): see {server.log_path}")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()

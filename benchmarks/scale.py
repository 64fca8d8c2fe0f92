"""Scale benchmark: ingest and grade ≥ 1,000 real documents serially, on a LocalCluster of 2
workers, and on an external `dask scheduler` + 2 `dask worker` processes with PostgreSQL.

    python benchmarks/scale.py                      # the full run (long: see README, "Scale")
    python benchmarks/scale.py --quick              # a small smoke run (a few minutes)
    python benchmarks/scale.py --modes serial,local --json scale.json

The corpus (built once under ``--work``, default a temporary folder):

- Open Terms Archive ``contrib-versions.bundle`` (../shared/data/ota): every document at HEAD
  (877 of 386 services), each with its versions recorded since ``--since`` plus the one in force
  then, imported with ``corpus import-ota --mapping`` (each OTA service a company of its own);
- the 2026 corpus (../shared/data/corpus-2026: 85 documents, 19 companies) and the RDR 2020
  pack's texts (../shared/data/packs/rdr-2020: 45 documents, 7 companies), as companies
  ``2026 <id>`` and ``2020 <id>``;

all in one rdr-2022 manifest, assessed with ``assess`` (ingest, embed, grade, publish).

Each mode runs in a process of its own (fresh database, clean peak-memory figures) with one
thread per process, as each worker has: (a) ``serial``: SQLite, tasks run in the process;
(b) ``local``: SQLite, Dask LocalCluster with ``--workers`` processes; (c) ``cluster``:
PostgreSQL (a throw-away server, tests/pg.py) and ``dask scheduler`` + ``--workers`` ``dask
worker`` processes on 127.0.0.1, started with Dask's command line.

Reported per mode: wall seconds per stage, documents/s and companies/s over import + assess,
peak memory per worker process (ru_maxrss), database size. From the serial run's per-task costs
(coordinator time S, task time P and longest task L per stage) the model predicts the time with
N workers, T(N) = S + Σ_stage max(P_stage / N, L_stage), for N = 2, 8, 32, 128; the prediction
for N = 2 is printed next to the measurements. ``--json`` writes everything.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "data"
THREADS = {"RIGHTSINDEX_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
MODES = ("serial", "local", "cluster")
STAGES = ("import", "ingest", "embed", "grade", "publish")


# -- the corpus ------------------------------------------------------------------------------------


def build_corpus(args, work: Path) -> dict:
    """Write work/corpus/manifest.yaml (+ docs) and work/mapping.yaml; returns counts."""
    import yaml

    from rightsindex.corpus.ota.repository import list_documents, open_repo
    from rightsindex.corpus.ota.collection import collection_histories
    from rightsindex.corpus.ota.mapping import parse_mapping, write_manifest

    corpus = work / "corpus"
    if (corpus / "manifest.yaml").is_file() and (work / "corpus.json").is_file():
        return json.loads((work / "corpus.json").read_text())
    shutil.rmtree(corpus, ignore_errors=True)
    mapping_raw = {"index": "scale", "methodology": "rdr-2022", "collection": "contrib", "companies": [], "unmapped": "company", "unmapped_kind": "other"}
    (work / "mapping.yaml").write_text(yaml.safe_dump(mapping_raw), "utf-8")
    mapping = parse_mapping(mapping_raw)
    repo = open_repo(args.bundle, workdir=work / "git")
    docs = list_documents(repo)
    if args.ota_documents:
        docs = docs[:: max(1, len(docs) // args.ota_documents)][: args.ota_documents]
    ota = write_manifest(mapping, collection_histories(repo, docs), corpus)
    manifest = yaml.safe_load(ota.path.read_text("utf-8"))
    extra = 0
    for label, source in (("2026", args.corpus_2026), ("2020", args.pack)):
        raw = yaml.safe_load((source / "manifest.yaml").read_text("utf-8"))
        companies = raw["companies"][: args.extra_companies] if args.extra_companies else raw["companies"]
        for c in companies:
            c["id"] = f"{label} {c['id']}"
            for d in c["documents"]:
                dst = corpus / label / d["path"]
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source / d["path"], dst)
                d["path"] = f"{label}/{d['path']}"
                extra += 1
            manifest["companies"].append(c)
    (corpus / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), "utf-8")
    info = {
        "ota_documents": len(docs),
        "documents": ota.documents + extra,
        "companies": len(manifest["companies"]),
        "documents_skipped": ota.skipped,
        "docs": [list(d) for d in docs],
    }
    (work / "corpus.json").write_text(json.dumps(info), "utf-8")
    return info


# -- one mode, in a process of its own --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(work: Path, workers: int) -> tuple[str, list[subprocess.Popen]]:
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or "dask"
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, **THREADS}
    logs = work / "dask-logs"
    logs.mkdir(exist_ok=True)
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              env=env, stdout=open(logs / "scheduler.log", "wb"), stderr=subprocess.STDOUT)]
    for i in range(workers):
        procs.append(subprocess.Popen(
            [dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--name", f"w{i + 1}",
             "--local-directory", str(work / f"dask-w{i + 1}")],
            env=env, stdout=open(logs / f"worker{i + 1}.log", "wb"), stderr=subprocess.STDOUT,
        ))
    return address, procs


def db_size(url: str) -> int:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        p = Path(u.database)
        return sum(f.stat().st_size for f in (p, Path(f"{p}-wal")) if f.exists())
    engine = create_engine(url)
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    return int(size)


def run_mode(args, work: Path, mode: str) -> dict:
    from rightsindex.corpus.ota.importer import import_collection
    from rightsindex.corpus.ota.mapping import load_mapping
    from rightsindex.run import assess
    from rightsindex.run.runner import open_runner, peak_rss
    from rightsindex.store import Store

    corpus = json.loads((work / "corpus.json").read_text())
    mdir = work / mode
    shutil.rmtree(mdir, ignore_errors=True)
    mdir.mkdir(parents=True)
    procs: list[subprocess.Popen] = []
    pg = None
    try:
        if mode == "cluster":
            sys.path.insert(0, str(ROOT))
            from tests.pg import TempPostgres

            pg = TempPostgres()
            pg.start()
            url = pg.new_database("scale")
            scheduler, procs = start_cluster(mdir, args.workers)
            workers = 1
        else:
            url = f"sqlite:///{mdir / 'scale.sqlite'}"
            scheduler, workers = None, (args.workers if mode == "local" else 1)
        times: dict[str, float] = {}
        marks: dict[str, float] = {}
        t_all = time.perf_counter()
        with open_runner(workers, scheduler, store_url=url, worker_timeout=300) as runner:
            t0 = time.perf_counter()
            store = Store.open(url)
            imported = import_collection(
                store, args.bundle, runner=runner, store_url=url, mapping=load_mapping(work / "mapping.yaml"),
                since=args.since, documents=[tuple(d) for d in corpus["docs"]],
            ) if corpus["ota_documents"] else []
            store.close()
            times["import"] = time.perf_counter() - t0

            def on_event(kind: str, data: dict) -> None:
                now = time.perf_counter()
                marks.setdefault(kind, now)
                marks[f"last {kind}"] = now

            t0 = time.perf_counter()
            result = assess(work / "corpus" / "manifest.yaml", mdir / "out", db=url, runner=runner, on_event=on_event)
            t_end = time.perf_counter()
            times["assess"] = t_end - t0
            memory = runner.peak_memory()
            stats = runner.stats
        total = time.perf_counter() - t_all
        st = {k: dict(v) for k, v in stats.items()}
        for k in ("ingest", "embed", "grade", "publish"):
            times[k] = st.get(k, {}).get("wall", 0.0)
        times["assess other"] = times["assess"] - sum(times[k] for k in ("ingest", "embed", "grade", "publish"))
        work_seconds = times["import"] + times["assess"]
        docs = corpus["documents"]
        out = {
            "mode": mode,
            "workers": args.workers if mode != "serial" else 1,
            "database": "postgresql" if mode == "cluster" else "sqlite",
            "documents": docs,
            "ota_versions_read": sum(r.read for r in imported),
            "ota_versions_added": sum(r.added for r in imported),
            "companies": len(result.companies),
            "judgments": sum(c["judgments"] for c in result.companies.values()),
            "ingest_errors": len(result.ingest.errors),
            "seconds": {k: round(v, 1) for k, v in times.items()},
            "seconds_import_and_assess": round(work_seconds, 1),
            "seconds_total_with_cluster_start": round(total, 1),
            "documents_per_second": round(docs / work_seconds, 3),
            "companies_per_second": round(len(result.companies) / work_seconds, 4),
            "peak_memory_mib": {k: round(v / 2**20) for k, v in memory.items()},
            "coordinator_peak_memory_mib": round(peak_rss() / 2**20),
            "database_bytes": db_size(url),
            "runner_stats": st,
            "element_scores_sha256": __import__("hashlib").sha256(result.files["element-scores.csv"].read_bytes()).hexdigest(),
        }
        return out
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        if pg is not None:
            pg.stop()


# -- the model ---------------------------------------------------------------------------------------


def model(serial: dict, ns=(1, 2, 8, 32, 128)) -> dict:
    """T(N) = S + Σ_stage max(P_stage / N, L_stage), from the serial run's task costs."""
    st = serial["runner_stats"]
    total = serial["seconds_import_and_assess"]
    parallel = {k: v["task_seconds"] for k, v in st.items()}
    longest = {k: v["longest"] for k, v in st.items()}
    s = total - sum(parallel.values())
    out = {"serial_seconds": round(s, 1), "task_seconds": {k: round(v, 1) for k, v in parallel.items()},
           "longest_task": {k: round(v, 1) for k, v in longest.items()}, "serial_fraction": round(s / total, 4), "predicted": {}}
    for n in ns:
        t = s + sum(max(parallel[k] / n, longest[k]) for k in parallel)
        out["predicted"][n] = {
            "seconds": round(t, 1),
            "documents_per_second": round(serial["documents"] / t, 3),
            "companies_per_second": round(serial["companies"] / t, 4),
            "speedup": round(total / t, 2),
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a smoke run: 40 OTA documents, 2 companies of each other corpus, versions since 2026-07-01")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated: serial, local, cluster")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--since", type=date.fromisoformat, default=None, help="OTA versions recorded since (default 2026-03-01; --quick 2026-07-01)")
    ap.add_argument("--ota-documents", type=int, default=None, help="take this many OTA documents (spread over the collection); default all")
    ap.add_argument("--extra-companies", type=int, default=None, help="take the first N companies of the 2026 corpus and of the pack")
    ap.add_argument("--bundle", type=Path, default=SHARED / "ota" / "contrib-versions.bundle")
    ap.add_argument("--corpus-2026", type=Path, default=SHARED / "corpus-2026")
    ap.add_argument("--pack", type=Path, default=SHARED / "packs" / "rdr-2020")
    ap.add_argument("--work", type=Path, help="working folder (kept; the corpus is built once); default: a temporary one")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--run-mode", choices=MODES, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.quick:
        args.ota_documents = args.ota_documents or 40
        args.extra_companies = args.extra_companies or 2
        args.since = args.since or date(2026, 7, 1)
    args.since = args.since or date(2026, 3, 1)

    if args.run_mode:  # a child: one mode, JSON on the last line of stdout
        print(json.dumps(run_mode(args, args.work, args.run_mode)))
        return 0

    for p in (args.bundle, args.corpus_2026 / "manifest.yaml", args.pack / "manifest.yaml"):
        if not p.exists():
            print(f"missing {p} (the shared data folder, ../shared/data)", file=sys.stderr)
            return 2
    tmp = None
    if args.work is None:
        tmp = tempfile.TemporaryDirectory(prefix="ri-scale-")
        args.work = Path(tmp.name)
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = build_corpus(args, args.work)
    print(f"corpus: {corpus['documents']} documents ({corpus['ota_documents']} from OTA, versions since {args.since}), {corpus['companies']} companies", flush=True)
    results: dict[str, dict] = {}
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        cmd = [sys.executable, __file__, "--run-mode", mode, "--work", str(args.work), "--workers", str(args.workers),
               "--since", args.since.isoformat(), "--bundle", str(args.bundle)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **THREADS, "COLUMNS": "120"})
        if proc.returncode != 0:
            print(f"{mode}: failed\n{proc.stderr[-4000:]}", file=sys.stderr)
            return 1
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
        r = results[mode]
        print(
            f"{mode:>8}: {r['seconds_import_and_assess']:8.1f} s  {r['documents_per_second']:6.3f} documents/s  "
            f"{r['companies_per_second']:7.4f} companies/s  stages {r['seconds']}  memory MiB {r['peak_memory_mib']}  "
            f"database {r['database_bytes'] / 2**20:.0f} MiB  ({time.perf_counter() - t0:.0f} s with start-up)",
            flush=True,
        )
    report: dict = {"corpus": {k: v for k, v in corpus.items() if k != "docs"}, "since": args.since.isoformat(), "results": results,
                    "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()}}
    if "serial" in results:
        report["model"] = model(results["serial"])
        serial_t = results["serial"]["seconds_import_and_assess"]
        for mode in ("local", "cluster"):
            if mode in results:
                results[mode]["speedup_vs_serial"] = round(serial_t / results[mode]["seconds_import_and_assess"], 2)
        m = report["model"]
        print(f"model: serial part {m['serial_seconds']} s ({m['serial_fraction']:.1%}); task seconds {m['task_seconds']}; longest task {m['longest_task']}")
        for n, p in m["predicted"].items():
            print(f"  N={n:>3}: {p['seconds']:8.1f} s  {p['documents_per_second']:7.3f} documents/s  {p['companies_per_second']:7.4f} companies/s  ×{p['speedup']}")
        for mode in ("local", "cluster"):
            if mode in results:
                print(f"measured {mode} ({args.workers} workers): ×{results[mode]['speedup_vs_serial']} (model ×{m['predicted'][2]['speedup'] if args.workers == 2 else '?'})")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())

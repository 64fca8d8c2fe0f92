"""``rightsindex train``: rebuild the grader's knowledge and models from ``../shared/data``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from .common import app, err, fail


@app.command("train")
def train_cmd(
    pack: Path = typer.Option(Path("../shared/data/packs/rdr-2020"), "--pack", help="Evaluation pack (manifest + gold/)."),
    rdr: Path = typer.Option(Path("../shared/data/rdr/2020/element-scores"), "--rdr", help="RDR element results whose quotes and answers the grader learns from."),
    capp: Optional[Path] = typer.Option(Path("../shared/data/capp130/annotation"), "--capp", help="CAPP-130 annotation folder (Chinese expansions)."),
    rebuild_knowledge: bool = typer.Option(False, "--rebuild-knowledge", help="Re-embed quotes and queries even if knowledge.npz exists."),
    rebuild_multi: bool = typer.Option(False, "--rebuild-multi", help="Retrain the multilingual passage judge even if support_multi.json exists."),
    judge_dir: Optional[Path] = typer.Option(None, "--judge", help="English passage judge whose readings the decision model learns from (default: the shipped one; for stacking, one built by tools/train_support.py without the pack's companies)."),
    db: Optional[str] = typer.Option(None, "--db", help="Database for the pack's documents (default: a temporary SQLite file)."),
) -> None:
    """Build the grader's knowledge and models from public data; writes them into the package.

    The English passage judge (a cross-encoder) is built separately by tools/train_support.py,
    which needs torch; everything here runs on the package's own dependencies."""
    import tempfile
    import time

    from .. import methodology as m
    from ..evidence import knowledge as knowledge_mod
    from ..evidence import train as train_mod
    from ..evidence.evaluate import agreement_report
    from ..store import Store

    if not pack.is_dir() or not rdr.is_dir():
        raise fail(f"training data not found: {pack} and {rdr} must exist (see ../shared/data)")
    meth20, meth22 = m.load("rdr-2020"), m.load("rdr-2022")
    if rebuild_knowledge or not knowledge_mod.KNOWLEDGE_FILE.is_file():
        kn = knowledge_mod.build([meth20, meth22], sorted(rdr.glob("*.csv")), capp_dir=capp, progress=lambda s: err.print(s))
        kn.save()
        knowledge_mod.load.cache_clear()
        err.print(f"wrote {knowledge_mod.KNOWLEDGE_FILE}")
    from ..evidence import support as support_mod

    if capp is not None and capp.is_dir() and (rebuild_multi or not support_mod.MULTI_FILE.is_file()):
        from ..evidence.capp import train_multi_judge

        multi, report = train_multi_judge(capp, meth22, knowledge_mod.load().for_methodology("rdr-2022"), log=lambda s: err.print(s), cache_dir=Path("build") / "cache")
        multi.save(support_mod.MULTI_FILE, trained_on=report)
        support_mod.multi_judge.cache_clear()
        err.print(f"wrote {support_mod.MULTI_FILE}")
    kn = knowledge_mod.load().for_methodology("rdr-2020")
    cross = support_mod.CrossEncoder(judge_dir) if judge_dir else support_mod.cross_encoder()
    if cross is None:
        raise fail(f"{support_mod.SUPPORT_EN_DIR} is missing: build the English passage judge with tools/train_support.py first")
    # RIGHTSINDEX_JUDGE_CACHE=DIR keeps the judge's readings between training runs (benchmarks share it)
    judge = support_mod.SupportJudge(cross, support_mod.multi_judge(), support_mod.MemoryCache.for_judge(cross, os.environ.get("RIGHTSINDEX_JUDGE_CACHE")))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(db or f"sqlite:///{Path(tmp) / 'pack.sqlite'}")
        p = train_mod.load_pack(pack, store, meth20, kn, log=lambda s: err.print(s))
        cv = train_mod.cross_validate(p, meth20, kn, log=lambda s: err.print(s), judge=judge)
        judge.cache.save()
        store.close()
    grader = cv.grader
    rdr_root = rdr.parent.parent  # …/rdr/2020/element-scores → …/rdr
    if (rdr_root / "2019").is_dir():
        with tempfile.TemporaryDirectory() as tmp:
            prior_csv, _ = train_mod.previous_edition(rdr_root, set(p.companies), Path(tmp) / "prior.csv")
            with prior_csv.open(encoding="utf-8") as fh:
                import csv as _csv

                priors = {
                    (r["Company"], r["Composite"] if r["Branch"] == "Company" else r["Service"], r["Element"]): r["Result"]
                    for r in _csv.DictReader(fh)
                }
        grader.override_threshold, table = train_mod.tune_override(meth20, cv, p.labels, priors)
        err.print("override threshold → agreement on rows with a previous answer: " + ", ".join(f"{k}: {v:.3f}" for k, v in table.items()))
    grader.version = f"rdr2020pack-{time.strftime('%Y%m%d')}"
    grader.save()
    predicted = {k: j.result for k, j in cv.oof.items()}
    rep_a = agreement_report(meth20, [g for g in p.labels if g.all_cited_available], predicted)
    rep = agreement_report(meth20, p.labels, predicted)
    print(f"wrote grader {grader.version}: ranker {grader.ranker}, temperature {grader.classifier.temperature:.2f}, override threshold {grader.override_threshold}")
    print(f"company-split credit-class agreement: subset (a) {rep_a['all'].line()}; all rows {rep['all'].line()}")


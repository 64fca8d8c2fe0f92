"""Run: ``assess``, the one orchestration used by the CLI, the web app and the distributed workers,
and the runs built on it.

manifest → corpus (ingest, versions) → evidence (retrieve, read, grade, cite) → store (judgments,
re-graded change-aware by ``timeline``) → scoring → outputs (``element-scores.csv``,
``scores.json``, ``report/index.html``).

- ``assessment`` ``assess()``: resumable; one assessment per set of inputs
- ``stages``   the parts around grading: versions to grade, embedding tasks, work sizes
- ``runner``   where tasks run: in this process, a Dask LocalCluster, or an existing cluster
- ``outputs``  the files ``assess`` writes
- ``dates``    ``assess_dates``: one assessment per date, and the score series
- ``watch``    ``watch_once``: one watch pass (assess, record the moves, write the feed)
"""

from .assessment import DEFAULT_DB_NAME, AssessError, AssessResult, assess, assess_company
from .dates import HistoryResult, assess_dates
from .outputs import write_outputs
from .runner import DaskRunner, RunnerError, SerialRunner, open_runner
from .watch import WatchResult, watch_once

__all__ = [
    "DEFAULT_DB_NAME",
    "AssessError",
    "AssessResult",
    "DaskRunner",
    "HistoryResult",
    "RunnerError",
    "SerialRunner",
    "WatchResult",
    "assess",
    "assess_company",
    "assess_dates",
    "open_runner",
    "watch_once",
    "write_outputs",
]

"""Timeline: policies and grades over time. Grades nothing by itself (it asks ``evidence`` through
``run``); it reads versions, runs and judgments from the store and says what moved and why.

- ``regrade``          change-aware re-grading: an earlier run of the same lineage is the base;
                       an answer moves only where the passages it rests on changed
- ``earlier_edition``  an earlier edition's answers of ours (``--prior`` with our own CSV) and
                       the texts they were graded on, as the base of re-grading
- ``assessments``      which assessment speaks for what: the day it shows, the default one
                       (latest of the current versions), the one for a date (by the versions
                       in force), the one before it
- ``compare``          two assessments (ids or dates): the elements that moved, which way, the
                       versions on both sides and the passage diff behind it; RDR's year-on-year CSV
- ``history``          dates versions came into force; score series over several assessments
- ``watch``            what a watch pass records: the moves since the previous pass, in the feed
- ``feed``             the feed of grade-affecting changes, as data

The versions in force on a date are ``corpus.versions.version_in_force``; grading as of dates
and a watch pass are orchestrations (``run.dates``, ``run.watch``).
"""

from .assessments import (
    AssessmentError,
    assessment_day,
    default_assessment,
    previous_assessment,
    resolve_assessment,
    shown,
)
from .compare import CompareError, Comparison, Move, yoy_csv
from .earlier_edition import prior_base, prior_stores, read_prior_answers
from .feed import change_dict, recent_changes
from .history import HistoryError, company_series, parse_dates, series, version_dates
from .regrade import RESTS_ON, Side, find_base, substance
from .watch import WatchError, parse_interval, previous_pass, record_moves

__all__ = [
    "RESTS_ON",
    "AssessmentError",
    "CompareError",
    "Comparison",
    "HistoryError",
    "Move",
    "Side",
    "WatchError",
    "assessment_day",
    "change_dict",
    "company_series",
    "default_assessment",
    "find_base",
    "parse_dates",
    "parse_interval",
    "previous_assessment",
    "previous_pass",
    "prior_base",
    "prior_stores",
    "read_prior_answers",
    "recent_changes",
    "record_moves",
    "resolve_assessment",
    "series",
    "shown",
    "substance",
    "version_dates",
    "yoy_csv",
]

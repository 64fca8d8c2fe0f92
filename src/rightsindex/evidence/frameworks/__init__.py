"""Grading legal notice duties (GDPR Art. 13/14, PIPL) from the passages RDR grading reads.

- ``windows``: a company's windows in both languages (what is read);
- ``heads``: per framework and language, a linear reader per item (words and embedding);
- ``reader``: heads plus the passage judge, combined and thresholded per item;
- ``grade``: company × service × item judgments — disclosed only where a cited passage is read as
  carrying the duty, that passage first; otherwise the closest passage and why it was not enough;
- ``sources``, ``corpora``, ``train``, ``evaluate``: where readers learn (CAPP-130, ToS;DR, RDR
  quotes, labelled English policies), how they are fitted and how they are measured.

The frameworks themselves (items, articles, questions, criteria, crosswalks) are data:
``methodology.frameworks``.
"""

from .grade import RESULTS, ItemJudgment, company_levels, grade_items
from .heads import ItemHeads, readers_version, shipped
from .reader import ItemReader, Scores
from .windows import CompanyWindows, company_windows

__all__ = ["RESULTS", "ItemJudgment", "ItemHeads", "ItemReader", "Scores", "CompanyWindows", "company_levels", "company_windows", "grade_items", "readers_version", "shipped"]

"""Publishing: score files, reports, the static site, PDF scorecards, charts, series and the feed.
Computes no grades: it renders what ``review.results`` and ``scoring`` give.

- ``scores``      the ``scores.json`` and scores CSV shapes; the one display rounding rule
- ``report``      the one-page report ``assess`` writes
- ``site``        ``publish_site``: a whole assessment as a static site (what it shows is read by
                  ``site_data``; a company's views are built by ``site_views``)
- ``over_time``   the site's "what changed" section and scores over time
- ``series``      score series as files (``history.csv``, ``history.json``, charts)
- ``feed``        the feed of grade changes as Atom and JSON
- ``charts``      matplotlib SVG charts; ``pdf``: WeasyPrint rendering, offline; ``text``: policy
                  text for reading
"""

from .feed import atom_feed, changes_json, feed_id_for
from .report import write_report
from .scores import display_score, display_value, scores_csv, scores_json
from .series import write_series
from .site import publish_site, summary
from .site_data import PublishError

__all__ = [
    "PublishError",
    "atom_feed",
    "changes_json",
    "display_score",
    "display_value",
    "feed_id_for",
    "publish_site",
    "scores_csv",
    "scores_json",
    "summary",
    "write_report",
    "write_series",
]

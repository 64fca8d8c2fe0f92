"""Publishing: score files, reports, exports. Computes no grades.

- ``scores``: the ``scores.json`` and scores CSV shapes;
- ``report``: the plain one-page report ``assess`` writes;
- ``site``: ``publish_site``, a whole assessment as a static site with data files and PDF scorecards;
- ``charts``: matplotlib SVG charts; ``pdf``: WeasyPrint rendering, offline.
"""

"""The command line: a thin skin over the package's stages, one module per command group.

- ``common``       the Typer app, its groups, consoles, one-line errors, the store opener
- ``score``        ``score``: aggregation only
- ``assess``       ``assess``: the main job
- ``publish``      ``publish``: static site, data files, PDF scorecards
- ``web``          ``serve`` and ``user``
- ``train``        ``train``: rebuild models and knowledge
- ``time``         ``history``, ``compare``, ``watch``
- ``methodology``  ``methodology list / show / import-rdr``
- ``corpus``       ``corpus add / list / show / diff / import-ota / ota-manifest``

Commands are registered on ``app`` when their module is imported, in the order ``--help`` lists them.
"""

from . import score, assess, publish, web, train, time, methodology, corpus  # noqa: F401,I001  (registers the commands, in this order)
from .common import app, run

__all__ = ["app", "run"]

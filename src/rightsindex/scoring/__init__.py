"""RDR aggregation as pure functions: element results → level → indicator → category → total.

Rules (from RDR's methodology and checked against every published 2020 score by
``benchmarks/rdr_aggregation.py``):

- element: yes = 100, partial = 50, no = 0, no disclosure found = 0, N/A excluded; reversed
  elements score yes = 0 and no = 100;
- level score (Group, OpCom, each service) = mean of its element scores;
- services score = mean over services, where a telco's prepaid and postpaid mobile services are
  first merged into one mobile service (mean of the two);
- indicator score by scoring scope: ``company`` = mean(Group, OpCom), ``full`` = mean(Group, OpCom,
  services), ``services`` = services alone; a family (G4, F1, …) = mean of its sub-indicators;
- category (G, F, P) = mean of its top-level indicators (a family counts once);
- total = mean of all top-level indicators (not the mean of G, F and P).

Every mean skips N/A (``None``); a mean of nothing is ``None``.
"""

from . import aggregate
from .aggregate import *  # noqa: F403  (the face shows the module's public names)

__all__ = list(aggregate.__all__)

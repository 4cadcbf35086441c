"""The demo organisation, Tessera: its sources as data (catalog, docs, runbooks, templates, the
cluster's seed state, the spend model) and the code that serves them (``demo.standins``, ``demo.cost``).

No tool family imports this package: :mod:`demo.wiring` hands the demo's cluster and cost data to
the families through the seams they expose, when the settings select the demo organisation.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
# The day the demo organisation's story is written for (the planted cost anomaly, the cluster's
# failures). Tests and evals pin "today" to it, so "last month" means the same whenever they run.
DEMO_TODAY = date(2026, 11, 24)

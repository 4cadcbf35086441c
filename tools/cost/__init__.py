"""Cost and FinOps: FOCUS billing exports (DuckDB), the OpenCost Allocation API, anomalies, forecasts,
rightsizing, showback and charts.

Importing this package is cheap on purpose: DuckDB, statsmodels and matplotlib are imported inside
the functions that need them, and the cost service is created lazily with ``runtime.service``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.registry import ToolFamily, guidance_of, lazy

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime


def _enabled(runtime: FamilyRuntime) -> bool:
    """On with configured exports or OpenCost, or with the cost data the process was wired with (the demo's)."""
    from tools.cost.provided import provided_cost_data

    settings = runtime.settings
    return bool(settings.focus or settings.opencost_url) or provided_cost_data(runtime) is not None


family = ToolFamily(
    name="cost",
    guidance=guidance_of(__name__),
    tools=lazy("tools.cost.tools:build_tools"),
    intents=lazy("tools.cost.intents:build_intents"),
    enabled=_enabled,
    unconfigured="no cost data is configured — set PORTAL_AGENT_FOCUS to FOCUS billing exports (CSV or Parquet) "
    "or PORTAL_AGENT_OPENCOST_URL to an OpenCost API",
)

"""The demo's cost data as the cost family's provided sources (``tools.cost.provided.ProvidedCostData``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from demo.cost.opencost import DemoOpenCost


class DemoCostData:
    label = "demo"
    focus_source = "demo FOCUS exports (AWS + ClickHouse Cloud, generated for Tessera)"

    def focus_exports(self, data_dir: Path, today: date) -> list[Path]:
        from demo.cost.exports import ensure_demo_exports

        return ensure_demo_exports(data_dir, today)

    def opencost(self, today: date) -> DemoOpenCost:
        return DemoOpenCost(today)

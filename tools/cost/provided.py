"""Cost data the process is wired with instead of configured sources (the demo organisation's).

Whoever wires the process registers a :class:`ProvidedCostData` as the runtime service
``PROVIDED_COST_DATA``; with none configured, the family answers from it: FOCUS exports it writes
into the data directory, and an OpenCost answering like :class:`tools.cost.opencost.OpenCostClient`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from tools.cost.opencost import Allocation

PROVIDED_COST_DATA = "cost.provided_data"


class ProvidedOpenCost(Protocol):
    source: str

    def allocation(self, **params: Any) -> tuple[list[dict[str, Allocation]], dict]: ...


class ProvidedCostData(Protocol):
    label: str  # named where a configured source would show its URL ("demo")
    focus_source: str  # how answers cite the provided FOCUS exports

    def focus_exports(self, data_dir: Path, today: date) -> list[Path]:
        """FOCUS export files or folders whose data ends on ``today``, written under ``data_dir``."""
        ...

    def opencost(self, today: date) -> ProvidedOpenCost: ...


def provided_cost_data(runtime: FamilyRuntime) -> ProvidedCostData | None:
    return runtime.service(PROVIDED_COST_DATA, lambda: None)

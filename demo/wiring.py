"""How the demo organisation reaches the tool families: the one place its code is wired in.

The runtime calls :func:`wire` when the settings select the demo (``settings.uses_demo``). It
registers the demo's stand-ins as the services the families look their provided sources up by;
nothing is started or generated here, only when a tool first needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from demo.cost.sources import DemoCostData
from demo.standins.kubernetes_api.cluster import StandInCluster
from tools.cost.provided import PROVIDED_COST_DATA
from tools.kubernetes.clusters import PROVIDED_CLUSTER

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime


def wire(runtime: FamilyRuntime) -> None:
    """Give ``runtime``'s families the demo cluster (``tessera-prod``) and the demo's cost data."""
    runtime.service(PROVIDED_CLUSTER, lambda: StandInCluster(runtime))
    runtime.service(PROVIDED_COST_DATA, DemoCostData)

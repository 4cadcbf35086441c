"""The approval-gated changes, one module each, behind one interface (:class:`base.Remediation`).

``REMEDIATIONS`` maps each mutating tool's name to its remediation; the family's tools are built
from it, so adding a change is one module and one entry here.
"""

from __future__ import annotations

from tools.kubernetes.remediations import cordon, delete_pod, restart, rollback, scale
from tools.kubernetes.remediations.base import Change, Planned, Remediation

REMEDIATIONS: dict[str, Remediation] = {
    "k8s_rollout_restart": restart.remediation,
    "k8s_scale": scale.remediation,
    "k8s_rollback": rollback.remediation,
    "k8s_delete_pod": delete_pod.remediation,
    "k8s_cordon": cordon.remediation,
}

__all__ = ["REMEDIATIONS", "Change", "Planned", "Remediation"]

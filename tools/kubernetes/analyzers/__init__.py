"""Deterministic analyzers, one per failure mode, behind one interface (:class:`base.Analyzer`).

:func:`analyze` runs them all over a snapshot and orders the findings: most severe first, then by
each analyzer's ``order`` (a stuck rollout explains its crashing pods, so it comes first).
"""

from __future__ import annotations

from tools.kubernetes.analyzers import (
    conditions,
    container_state,
    crashloop,
    hpa_max,
    imagepull,
    oomkilled,
    pending,
    probes,
    progress_deadline,
    restarts,
)
from tools.kubernetes.analyzers.base import SEVERITY_RANK, Analyzer, Evidence, Finding, Remediation, Snapshot

ANALYZERS: list[Analyzer] = [
    conditions.replica_failure,
    conditions.job_failed,
    progress_deadline.analyzer,
    crashloop.analyzer,
    oomkilled.analyzer,
    imagepull.analyzer,
    pending.analyzer,
    probes.analyzer,
    hpa_max.analyzer,
    conditions.hpa_conditions,
    conditions.pvc_pending,
    restarts.analyzer,
    container_state.analyzer,  # last: what no specific analyzer names
]
# Run only when every other analyzer found nothing: the Warning events, by count.
FALLBACK: Analyzer = conditions.warning_events
ORDER = {a.name: a.order for a in [*ANALYZERS, FALLBACK]}


def analyze(snapshot: Snapshot, analyzers: list[Analyzer] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    for analyzer in analyzers or ANALYZERS:
        findings.extend(analyzer.analyze(snapshot))
    # The fallback speaks only of pods no specific analyzer has explained.
    explained = {e.object for f in findings if f.analyzer != container_state.analyzer.name for e in f.evidence}
    findings = [
        f
        for f in findings
        if f.analyzer != container_state.analyzer.name or not {e.object for e in f.evidence} & explained
    ]
    if not findings and analyzers is None:
        findings = FALLBACK.analyze(snapshot)
    return sorted(findings, key=lambda f: (SEVERITY_RANK[f.severity], ORDER.get(f.analyzer, 99)))


__all__ = ["ANALYZERS", "Analyzer", "Evidence", "Finding", "Remediation", "Snapshot", "analyze"]

"""What an object's own conditions and events say, for the failures no container state shows.

- ``ReplicaFailure``: a Deployment whose ReplicaSet cannot create pods (``ReplicaFailure=True``,
  e.g. ``FailedCreate``: a missing service account, a quota, an admission webhook); it has no pods
  to look at, so the condition is the whole story.
- ``JobFailed``: a Job with ``Failed=True`` (``BackoffLimitExceeded``, ``DeadlineExceeded``), with
  the exit codes of the pods it owns.
- ``HPACannotScale``: an HPA whose ``AbleToScale`` or ``ScalingActive`` is False (it cannot read
  its target's scale, or its metrics).
- ``PVCPending``: a claim that is not bound, with its storage class and what its events say.
- ``WarningEvents``: the fallback when nothing else found a problem: the Warning events recorded
  for the objects, by count (an object known only from its events, a node, a probe that failed
  a while ago).
"""

from __future__ import annotations

from typing import Any

from tools.kubernetes.analyzers.base import (
    Analyzer,
    Evidence,
    Finding,
    Remediation,
    Snapshot,
    condition,
    container_statuses,
    event_text,
    is_ready,
    pod_ref,
    ref,
)


def _condition_evidence(obj: dict[str, Any], kind: str, c: dict[str, Any]) -> Evidence:
    value = f"{c.get('status')} {c.get('reason') or ''}".strip()
    if c.get("message"):
        value += f": {' '.join(str(c['message']).split())[:300]}"
    return Evidence(object=ref(obj, kind), field=f"status.conditions[{c.get('type')}]", value=value)


class ReplicaFailureAnalyzer(Analyzer):
    name = "replica_failure"
    mode = "ReplicaFailure"
    order = 4  # it explains the stuck rollout and the missing pods

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        findings = []
        for w in snapshot.all_workloads():
            c = condition(w, "ReplicaFailure")
            if not c or c.get("status") != "True":
                continue
            evidence = [_condition_evidence(w, w.get("kind") or "Deployment", c)]
            owned = [rs for rs in snapshot.replicasets if _owned_by(rs, w)]
            for rs in [*owned, w]:
                for ev in snapshot.events_for(rs, reasons=("FailedCreate",))[:1]:
                    evidence.append(Evidence(object=ref(rs), event=event_text(ev, 200)))
            message = " ".join(str(c.get("message") or "").split())
            findings.append(
                self.finding(
                    severity="critical",
                    summary=f"{ref(w)} cannot create its pods ({c.get('reason')}): {message[:240]}",
                    evidence=evidence,
                    remediations=[Remediation(text="fix what the message names (service account, quota, policy)")],
                )
            )
        return findings


def _owned_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    name = (owner.get("metadata") or {}).get("name")
    return any(o.get("name") == name for o in (obj.get("metadata") or {}).get("ownerReferences") or [])


class JobFailedAnalyzer(Analyzer):
    name = "job_failed"
    mode = "JobFailed"
    order = 6

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        findings = []
        for job in snapshot.jobs:
            c = condition(job, "Failed")
            if not c or c.get("status") != "True":
                continue
            status, spec = job.get("status") or {}, job.get("spec") or {}
            evidence = [
                _condition_evidence(job, "Job", c),
                Evidence(
                    object=ref(job, "Job"),
                    field="status.failed / spec.backoffLimit",
                    value=f"{status.get('failed', 0)} / {spec.get('backoffLimit', 6)}",
                ),
            ]
            codes = []
            for p in snapshot.pods:
                if not _owned_by(p, job):
                    continue
                for cs in container_statuses(p):
                    term = (cs.get("state") or {}).get("terminated") or (cs.get("lastState") or {}).get("terminated")
                    if term and term.get("exitCode") not in (None, 0):
                        codes.append(f"{term.get('exitCode')} ({term.get('reason')})")
                        evidence.append(
                            Evidence(
                                object=pod_ref(p),
                                field=f"status.containerStatuses[{cs.get('name')}].terminated",
                                value=f"reason={term.get('reason')} exitCode={term.get('exitCode')}",
                            )
                        )
            message = " ".join(str(c.get("message") or "").split())
            summary = f"Job {job['metadata'].get('name')} failed ({c.get('reason')}): {message[:200]}"
            if codes:
                summary += f"; its pods exited with {', '.join(dict.fromkeys(codes))}"
            findings.append(
                self.finding(
                    severity="critical",
                    summary=summary,
                    evidence=evidence[:6],
                    remediations=[Remediation(text="read the failed pods' logs; fix the cause, then re-run the Job")],
                )
            )
        return findings


class HPAConditionsAnalyzer(Analyzer):
    name = "hpa_conditions"
    mode = "HPACannotScale"
    order = 34

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        findings = []
        for hpa in snapshot.hpas:
            failing = [condition(hpa, t) for t in ("AbleToScale", "ScalingActive")]
            failing = [c for c in failing if c and c.get("status") == "False"]
            if not failing:
                continue
            target = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
            words = "; ".join(
                f"{c.get('type')}=False {c.get('reason')}: {' '.join(str(c.get('message') or '').split())[:200]}"
                for c in failing
            )
            findings.append(
                self.finding(
                    severity="warning",
                    summary=f"HPA {hpa['metadata'].get('name')} (target {target.get('kind')}/{target.get('name')}) "
                    f"cannot scale: {words}",
                    evidence=[_condition_evidence(hpa, "HorizontalPodAutoscaler", c) for c in failing],
                    remediations=[
                        Remediation(
                            text="check that the target exists and that the metrics API (metrics-server) answers"
                        )
                    ],
                )
            )
        return findings


class PVCPendingAnalyzer(Analyzer):
    name = "pvc_pending"
    mode = "PVCPending"
    order = 30

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        findings = []
        for pvc in snapshot.pvcs:
            spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
            if status.get("phase") not in ("Pending", "Lost"):
                continue
            pvc_ref = ref(pvc, "PersistentVolumeClaim")
            cls = spec.get("storageClassName") or "(the default class)"
            evidence = [
                Evidence(object=pvc_ref, field="status.phase", value=str(status.get("phase"))),
                Evidence(object=pvc_ref, field="spec.storageClassName", value=cls),
            ]
            events = [e for e in snapshot.events_for(pvc) if e.get("type") == "Warning"] or snapshot.events_for(pvc)
            evidence += [Evidence(object=pvc_ref, event=event_text(e, 200)) for e in events[:2]]
            summary = f"PVC {pvc['metadata'].get('name')} is {status.get('phase')} (storage class {cls})"
            if events:
                summary += f": {event_text(events[0], 200)}"
            else:
                summary += "; no events about it were recorded"
            findings.append(
                self.finding(
                    severity="warning",
                    summary=summary,
                    evidence=evidence,
                    remediations=[
                        Remediation(text="check that the storage class exists and its provisioner runs, or bind a PV")
                    ],
                )
            )
        return findings


class WarningEventsAnalyzer(Analyzer):
    """The fallback: run by :func:`analyze` only when no other analyzer found anything."""

    name = "warning_events"
    mode = "WarningEvents"
    order = 90

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        warnings = [e for e in snapshot.events if e.get("type") == "Warning"]
        live = [p for p in snapshot.pods if (p.get("status") or {}).get("phase") != "Succeeded"]
        if not warnings or (live and all(is_ready(p) for p in live) and not snapshot.subjects):
            return []  # healthy pods: old warnings are history, not a diagnosis
        warnings.sort(key=lambda e: -(e.get("count") or (e.get("series") or {}).get("count") or 1))
        top = warnings[0]
        inv = top.get("involvedObject") or top.get("regarding") or {}
        evidence = [
            Evidence(
                object=f"{inv.get('kind')} {inv['namespace'] + '/' if inv.get('namespace') else ''}{inv.get('name')}",
                event=event_text(e, 240),
            )
            for e in warnings[:5]
            for inv in [e.get("involvedObject") or e.get("regarding") or {}]
        ]
        reasons = ", ".join(dict.fromkeys(str(e.get("reason")) for e in warnings))
        return [
            self.finding(
                severity="warning",
                summary=f"{len(warnings)} Warning event(s) recorded ({reasons}); the most frequent: "
                f"{event_text(top, 200)} (about {inv.get('kind')} {inv.get('name')})",
                evidence=evidence,
            )
        ]


replica_failure = ReplicaFailureAnalyzer()
job_failed = JobFailedAnalyzer()
hpa_conditions = HPAConditionsAnalyzer()
pvc_pending = PVCPendingAnalyzer()
warning_events = WarningEventsAnalyzer()

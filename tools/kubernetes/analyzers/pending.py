"""Pending / Unschedulable: the scheduler cannot place a pod; quote its reason."""

from __future__ import annotations

import re

from tools.kubernetes.analyzers.base import (
    Analyzer,
    Evidence,
    Finding,
    Remediation,
    Snapshot,
    condition,
    container_statuses,
    event_text,
    pod_ref,
)

INSUFFICIENT = re.compile(r"Insufficient ([\w/-]+(?:\.[\w/-]+)*)")


def _fixes(message: str, pod: dict) -> list[Remediation]:
    out: list[Remediation] = []
    for resource in dict.fromkeys(INSUFFICIENT.findall(message)):
        if "gpu" in resource:
            out.append(
                Remediation(
                    text=f"no node has free {resource}: scale up (or re-create) the GPU node group, "
                    "or lower the pod's GPU request"
                )
            )
        else:
            out.append(
                Remediation(
                    text=f"not enough {resource} on any node: add nodes (cluster autoscaler / node "
                    f"group size) or lower the pod's {resource} request"
                )
            )
    low = message.lower()
    if "affinity" in low or "selector" in low:
        selector = (pod.get("spec") or {}).get("nodeSelector")
        out.append(
            Remediation(
                text="no node matches the pod's node affinity/selector"
                + (f" {selector}" if selector else "")
                + ": fix the selector or label nodes"
            )
        )
    if "taint" in low:
        out.append(
            Remediation(text="nodes carry taints the pod does not tolerate: add a toleration or use other nodes")
        )
    if "persistentvolumeclaim" in low:
        out.append(Remediation(text="a PersistentVolumeClaim is not bound: check the storage class and the PVC"))
    if "free ports" in low:
        out.append(Remediation(text="the requested host port is taken on every node: drop hostPort or add nodes"))
    if not out:
        out.append(Remediation(text="read the scheduler's message and adjust requests, affinity or capacity"))
    return out


class PendingAnalyzer(Analyzer):
    name = "pending"
    mode = "Unschedulable"
    order = 25

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        hits = []
        for p in snapshot.pods:
            if (p.get("status") or {}).get("phase") != "Pending":
                continue
            if any(
                (cs.get("state") or {}).get("waiting", {}).get("reason")
                not in (None, "ContainerCreating", "PodInitializing")
                for cs in container_statuses(p, init=True)
            ):
                continue  # an image or config problem, not scheduling
            sched = condition(p, "PodScheduled")
            events = snapshot.events_for(p, reasons=("FailedScheduling",))
            if (sched and sched.get("status") == "False") or events:
                hits.append((p, sched, events))
        if not hits:
            return []
        p, sched, events = hits[0]
        message = (sched or {}).get("message") or (events[0].get("message") if events else "") or ""
        evidence = [Evidence(object=pod_ref(p), field="status.phase", value="Pending")]
        if sched:
            evidence.append(
                Evidence(
                    object=pod_ref(p), field="status.conditions[PodScheduled]", value=f"False/{sched.get('reason', '')}"
                )
            )
        if events:
            evidence.append(Evidence(object=pod_ref(p), event=event_text(events[0], 200)))
        elif message:
            evidence.append(
                Evidence(object=pod_ref(p), field="status.conditions[PodScheduled].message", value=message[:200])
            )
        requests = {}
        for c in (p.get("spec") or {}).get("containers") or []:
            requests.update(((c.get("resources") or {}).get("requests")) or {})
        for resource in INSUFFICIENT.findall(message):
            if resource in requests:
                evidence.append(
                    Evidence(
                        object=pod_ref(p),
                        field=f"spec.containers[].resources.requests.{resource}",
                        value=str(requests[resource]),
                    )
                )
        short = message.split(" preemption:")[0].strip()
        summary = f"{len(hits)} pod(s) cannot be scheduled (Pending/Unschedulable): {short or 'no reason given'}"
        return [
            self.finding(
                severity="critical",
                summary=summary,
                evidence=evidence,
                remediations=_fixes(message, p),
            )
        ]


analyzer = PendingAnalyzer()

"""Any container that failed in a way no specific analyzer names: the kubelet's own words.

The specific analyzers know CrashLoopBackOff, OOMKilled, image pulls, scheduling and probes. A pod
can also fail with ``RunContainerError``, ``CreateContainerConfigError``, a ``StartError`` exit
code, an init container that keeps failing, a volume that will not mount (``ContainerCreating``
with ``FailedMount`` events) or a Job pod that exited non-zero. This analyzer reports those from
the fields and events themselves, so a failing pod is never called healthy for want of a rule.
It runs last and stays quiet when a specific analyzer already explained the same pod.
"""

from __future__ import annotations

from typing import Any

from tools.kubernetes.analyzers.base import (
    Analyzer,
    Evidence,
    Finding,
    Snapshot,
    container_statuses,
    event_text,
    pod_ref,
)

EXPLAINED = {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"}
BENIGN_WAITING = {"PodInitializing"}
EVENT_REASONS = ("FailedMount", "FailedAttachVolume", "Failed", "FailedCreatePodSandBox", "BackOff", "Unhealthy")


def _problems(p: dict[str, Any]) -> list[tuple[str, str, list[Evidence]]]:
    out = []
    status = p.get("status") or {}
    for cs in container_statuses(p, init=True):
        name = cs.get("name")
        where = "initContainerStatuses" if cs in (status.get("initContainerStatuses") or []) else "containerStatuses"
        state = cs.get("state") or {}
        # What the container is doing now: a running container that once failed is the restart
        # analyzer's (HighRestarts), not a failure of its own.
        waiting, terminated = state.get("waiting") or {}, state.get("terminated") or {}
        if waiting and not terminated:
            terminated = (cs.get("lastState") or {}).get("terminated") or {}
        field = f"status.{where}[{name}]"
        if waiting.get("reason") and waiting["reason"] not in EXPLAINED | BENIGN_WAITING:
            evidence = [Evidence(object=pod_ref(p), field=f"{field}.state.waiting.reason", value=waiting["reason"])]
            if waiting.get("message"):
                evidence.append(
                    Evidence(
                        object=pod_ref(p), field=f"{field}.state.waiting.message", value=str(waiting["message"])[:300]
                    )
                )
            out.append((str(waiting["reason"]), str(name), evidence))
        if terminated and (terminated.get("exitCode") or 0) != 0:
            key = "state" if state.get("terminated") else "lastState"  # the last failure of a waiting one
            evidence = [
                Evidence(
                    object=pod_ref(p),
                    field=f"{field}.{key}.terminated",
                    value=f"reason={terminated.get('reason')} exitCode={terminated.get('exitCode')}",
                )
            ]
            if terminated.get("message"):
                evidence.append(
                    Evidence(
                        object=pod_ref(p),
                        field=f"{field}.{key}.terminated.message",
                        value=str(terminated["message"])[:300],
                    )
                )
            if cs.get("restartCount"):
                evidence.append(
                    Evidence(object=pod_ref(p), field=f"{field}.restartCount", value=str(cs["restartCount"]))
                )
            out.append((str(terminated.get("reason") or "Error"), str(name), evidence))
    return out


class ContainerStateAnalyzer(Analyzer):
    name = "container_state"
    mode = "ContainerFailed"
    order = 90

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        findings: list[Finding] = []
        for p in snapshot.pods:
            problems = _problems(p)
            events = snapshot.events_for(p, reasons=EVENT_REASONS)
            if not problems and not (events and (p.get("status") or {}).get("phase") in ("Pending", "Failed")):
                continue
            evidence = [e for _, _, found in problems for e in found]
            evidence += [Evidence(object=pod_ref(p), event=event_text(e, 240)) for e in events[:3]]
            phase = (p.get("status") or {}).get("phase") or "?"
            if problems:
                reason, container, _ = problems[0]
                summary = (
                    f"container {container} of pod {p['metadata'].get('name')} failed: {reason} (pod phase {phase})"
                )
            else:
                reason = str(events[0].get("reason"))
                summary = f"pod {p['metadata'].get('name')} is {phase}: {event_text(events[0], 200)}"
            findings.append(
                Finding(mode=reason, analyzer=self.name, severity="warning", summary=summary, evidence=evidence[:6])
            )
        return findings[:3]


analyzer = ContainerStateAnalyzer()

"""High restart counts on containers that are up now: something kills them periodically."""

from __future__ import annotations

from tools.kubernetes.analyzers.base import (
    Analyzer,
    Evidence,
    Finding,
    Remediation,
    Snapshot,
    container_spec,
    container_statuses,
    event_text,
    pod_ref,
)

THRESHOLD = 5


class RestartsAnalyzer(Analyzer):
    name = "restarts"
    mode = "HighRestarts"
    order = 40

    def __init__(self, threshold: int = THRESHOLD):
        self.threshold = threshold

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        hits = []
        for p in snapshot.pods:
            for cs in container_statuses(p):
                waiting = ((cs.get("state") or {}).get("waiting") or {}).get("reason")
                last = (cs.get("lastState") or {}).get("terminated") or {}
                if waiting == "CrashLoopBackOff" or last.get("reason") == "OOMKilled":
                    continue  # the crash-loop and OOM analyzers explain these
                if (cs.get("restartCount") or 0) >= self.threshold:
                    hits.append((p, cs, last))
        if not hits:
            return []
        hits.sort(key=lambda h: -(h[1].get("restartCount") or 0))
        p, cs, last = hits[0]
        container = cs.get("name")
        counts = ", ".join(f"{h[0]['metadata']['name']}={h[1].get('restartCount')}" for h in hits[:4])
        evidence = [
            Evidence(
                object=pod_ref(p),
                field=f"status.containerStatuses[{container}].restartCount",
                value=str(cs.get("restartCount")),
            )
        ]
        if last:
            evidence.append(
                Evidence(
                    object=pod_ref(p),
                    field=f"status.containerStatuses[{container}].lastState.terminated",
                    value=f"{last.get('reason')} exitCode {last.get('exitCode')} at {last.get('finishedAt')}",
                )
            )
        liveness = [
            e
            for e in snapshot.events_for(p, reasons=("Unhealthy", "Killing"))
            if "liveness" in str(e.get("message")).lower()
        ]
        probe = container_spec(p, container).get("livenessProbe") or {}
        cause = "the previous exit is not explained by an event"
        remediations: list[Remediation] = []
        if liveness:
            evidence.append(Evidence(object=pod_ref(p), event=event_text(liveness[0], 170)))
            evidence.append(
                Evidence(
                    object=pod_ref(p),
                    field=f"spec.containers[{container}].livenessProbe.timeoutSeconds",
                    value=str(probe.get("timeoutSeconds", 1)),
                )
            )
            cause = "the kubelet restarts it after failed liveness probes"
            if (
                "deadline exceeded" in str(liveness[0].get("message")).lower()
                or "timeout" in str(liveness[0].get("message")).lower()
            ):
                cause += f" that time out (timeoutSeconds {probe.get('timeoutSeconds', 1)})"
                remediations.append(
                    Remediation(
                        text=f"raise the liveness probe timeoutSeconds (now {probe.get('timeoutSeconds', 1)}) to ~5 or "
                        "serve the health endpoint from a thread the work cannot block"
                    )
                )
        remediations.append(Remediation(text="read the previous container's logs around the restarts"))
        summary = f"container {container} restarted {cs.get('restartCount')} times ({counts}); {cause}"
        return [
            self.finding(
                severity="warning",
                summary=summary,
                evidence=evidence,
                remediations=remediations,
            )
        ]


analyzer = RestartsAnalyzer()

"""Failing readiness or liveness probes: containers run but are not ready, or are being killed."""

from __future__ import annotations

from tools.kubernetes.analyzers.base import (
    Analyzer,
    Evidence,
    Finding,
    Remediation,
    Snapshot,
    container_spec,
    container_statuses,
    error_lines,
    event_text,
    is_ready,
    pod_ref,
)


def _probe_text(probe: dict) -> str:
    if not probe:
        return "none"
    if "httpGet" in probe:
        target = f"HTTP GET :{probe['httpGet'].get('port')}{probe['httpGet'].get('path', '/')}"
    elif "tcpSocket" in probe:
        target = f"TCP :{probe['tcpSocket'].get('port')}"
    elif "exec" in probe:
        target = "exec " + " ".join(probe["exec"].get("command") or [])[:60]
    elif "grpc" in probe:
        target = f"gRPC :{probe['grpc'].get('port')}"
    else:
        target = "?"
    return f"{target} timeout {probe.get('timeoutSeconds', 1)}s period {probe.get('periodSeconds', 10)}s"


class ProbesAnalyzer(Analyzer):
    name = "probes"
    mode = "ReadinessProbeFailing"
    order = 30

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        unready = []
        for p in snapshot.pods:
            if (p.get("status") or {}).get("phase") != "Running" or is_ready(p):
                continue
            for cs in container_statuses(p):
                last = ((cs.get("lastState") or {}).get("terminated") or {}).get("reason")
                if (cs.get("state") or {}).get("running") and not cs.get("ready") and last != "OOMKilled":
                    unready.append((p, cs))  # just OOM-killed and restarting: the OOMKilled analyzer's
        if not unready:
            return []
        p, cs = unready[0]
        container = cs.get("name")
        probe = container_spec(p, container).get("readinessProbe") or {}
        events = [
            e for e in snapshot.events_for(p, reasons=("Unhealthy",)) if "readiness" in str(e.get("message")).lower()
        ]
        evidence = [
            Evidence(object=pod_ref(p), field=f"status.containerStatuses[{container}].ready", value="false"),
            Evidence(object=pod_ref(p), field="status.conditions[Ready]", value="False/ContainersNotReady"),
            Evidence(object=pod_ref(p), field=f"spec.containers[{container}].readinessProbe", value=_probe_text(probe)),
        ]
        if events:
            evidence.append(Evidence(object=pod_ref(p), event=event_text(events[0], 160)))
        log = snapshot.logs.get((p["metadata"]["name"], container, False)) or ""
        lines = error_lines(log, limit=1) if log else []
        for line in lines:
            evidence.append(Evidence(object=pod_ref(p), log=line))
        total = len(snapshot.pods)
        pods = len({q["metadata"]["name"] for q, _ in unready})
        summary = (
            f"{pods}/{total} pod(s) are running but not ready: the readiness probe "
            f"({_probe_text(probe).split(' timeout')[0] if probe else 'none'}) fails"
        )
        if events:
            summary += f" ({' '.join(str(events[0].get('message')).split())[:120]})"
        if lines:
            summary += f"; the app logs: {lines[0][-140:]}"
        if pods == total:
            summary += "; the Service has no ready endpoints"
        remediations = [
            Remediation(
                text="fix what the readiness endpoint reports (a dependency, a pool, a slow start) — the "
                "log line above names it"
            ),
            Remediation(
                text="restart the pods once the cause is fixed",
                tool="k8s_rollout_restart",
                args={"name": snapshot.name},
            ),
            Remediation(
                text="if the app is slow to start, raise initialDelaySeconds/timeoutSeconds or add a startupProbe"
            ),
        ]
        return [
            self.finding(
                severity="critical" if pods == total else "warning",
                summary=summary,
                evidence=evidence,
                remediations=remediations,
            )
        ]


analyzer = ProbesAnalyzer()

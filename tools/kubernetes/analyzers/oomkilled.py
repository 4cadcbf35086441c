"""OOMKilled: the kernel killed a container at its memory limit; compare the limit with usage."""

from __future__ import annotations

import re

from tools.kubernetes.analyzers.base import (
    Analyzer,
    Evidence,
    Finding,
    Remediation,
    Snapshot,
    container_spec,
    container_statuses,
    error_lines,
    pod_ref,
)

USAGE = re.compile(r"(\d+(?:\.\d+)?\s*[KMG]i?B?)\s+(?:of|/)\s+(\d+(?:\.\d+)?\s*[KMG]i?B?)", re.IGNORECASE)


def _double(quantity: str) -> str:
    m = re.fullmatch(r"(\d+)([A-Za-z]*)", quantity or "")
    if not m:
        return "a higher value"
    return f"{int(m[1]) * 2}{m[2]}"


class OOMKilledAnalyzer(Analyzer):
    name = "oomkilled"
    mode = "OOMKilled"
    order = 15

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        hits = []
        for p in snapshot.pods:
            for cs in container_statuses(p, init=True):
                for where in ("lastState", "state"):
                    term = (cs.get(where) or {}).get("terminated") or {}
                    if term.get("reason") == "OOMKilled":
                        hits.append((p, cs, where, term))
        if not hits:
            return []
        p, cs, where, term = max(hits, key=lambda h: h[1].get("restartCount") or 0)
        container = cs.get("name")
        resources = container_spec(p, container).get("resources") or {}
        limit = (resources.get("limits") or {}).get("memory")
        request = (resources.get("requests") or {}).get("memory")
        evidence = [
            Evidence(
                object=pod_ref(p),
                field=f"status.containerStatuses[{container}].{where}.terminated.reason",
                value=f"OOMKilled (exitCode {term.get('exitCode', 137)})",
            ),
            Evidence(
                object=pod_ref(p),
                field=f"spec.containers[{container}].resources.limits.memory",
                value=str(limit) if limit else "none (node memory pressure)",
            ),
        ]
        if request:
            evidence.append(
                Evidence(
                    object=pod_ref(p),
                    field=f"spec.containers[{container}].resources.requests.memory",
                    value=str(request),
                )
            )
        if cs.get("restartCount"):
            evidence.append(
                Evidence(
                    object=pod_ref(p),
                    field=f"status.containerStatuses[{container}].restartCount",
                    value=str(cs["restartCount"]),
                )
            )
        usage = None
        log = snapshot.logs.get((p["metadata"]["name"], container, True)) or ""
        for line in reversed(log.splitlines()):
            m = USAGE.search(line)
            if m and ("heap" in line.lower() or "memory" in line.lower() or "usage" in line.lower()):
                usage = m.group(0)
                evidence.append(Evidence(object=pod_ref(p), log=line.strip()[:200]))
                break
        if usage is None:
            for line in error_lines(log, limit=1) if log else []:
                evidence.append(Evidence(object=pod_ref(p), log=line))
        pods = len({h[0]["metadata"]["name"] for h in hits})
        summary = (
            f"container {container} was OOMKilled in {pods} pod(s): it reached its memory limit "
            f"{limit or '(none set)'}"
            + (f" (last seen usage {usage})" if usage else "")
            + (f"; request {request}" if request else "")
        )
        env = {e.get("name"): e.get("value") for e in container_spec(p, container).get("env") or []}
        remediations = [
            Remediation(
                text=f"raise the memory limit of {container} (e.g. {limit} → {_double(limit)})"
                if limit
                else "set a memory limit and request that fit the workload"
            )
        ]
        for key, value in env.items():
            if key and "BATCH" in key.upper() and value:
                remediations.append(Remediation(text=f"lower {key} (now {value}) to reduce peak memory"))
        remediations.append(Remediation(text="check for a memory leak or an unbounded cache if usage grows steadily"))
        return [
            self.finding(
                severity="critical" if pods > 1 or not cs.get("ready") else "warning",
                summary=summary,
                evidence=evidence,
                remediations=remediations,
                runbooks=["oomkilled"],
            )
        ]


analyzer = OOMKilledAnalyzer()

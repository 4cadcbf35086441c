"""CrashLoopBackOff: a container keeps exiting; show its exit code and its last log lines."""

from __future__ import annotations

from tools.kubernetes.analyzers.base import (
    Analyzer,
    Evidence,
    Finding,
    Remediation,
    Snapshot,
    error_lines,
    event_text,
    pod_ref,
    waiting_containers,
)

EXIT_HINTS = {
    1: "the application exited with an error (see its last log lines)",
    2: "misuse of a shell builtin or bad arguments",
    126: "the command is not executable",
    127: "the command was not found in the image",
    128: "the container could not start (invalid exit argument / start error)",
    134: "abort (SIGABRT)",
    137: "killed with SIGKILL (out of memory, or a failed liveness probe)",
    139: "segmentation fault (SIGSEGV)",
    143: "terminated with SIGTERM",
}


class CrashLoopAnalyzer(Analyzer):
    name = "crashloop"
    mode = "CrashLoopBackOff"
    order = 10

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        crashing = [(p, cs) for p, cs, _ in waiting_containers(snapshot, ("CrashLoopBackOff",))]
        if not crashing:
            return []
        # OOM kills that crash-loop are the OOMKilled analyzer's, not ours.
        crashing = [
            (p, cs)
            for p, cs in crashing
            if ((cs.get("lastState") or {}).get("terminated") or {}).get("reason") != "OOMKilled"
        ]
        if not crashing:
            return []
        p, cs = max(crashing, key=lambda pc: pc[1].get("restartCount") or 0)
        term = (cs.get("lastState") or {}).get("terminated") or (cs.get("state") or {}).get("terminated") or {}
        code = term.get("exitCode")
        container = cs.get("name")
        evidence = [
            Evidence(
                object=pod_ref(p),
                field=f"status.containerStatuses[{container}].state.waiting.reason",
                value="CrashLoopBackOff",
            ),
            Evidence(
                object=pod_ref(p),
                field=f"status.containerStatuses[{container}].restartCount",
                value=str(cs.get("restartCount", 0)),
            ),
        ]
        if code is not None:
            evidence.append(
                Evidence(
                    object=pod_ref(p),
                    field=f"status.containerStatuses[{container}].lastState.terminated.exitCode",
                    value=f"{code} ({term.get('reason', '')})".replace(" ()", ""),
                )
            )
        said = " ".join(str(term.get("message") or "").split())
        if said:  # the runtime's or the app's own last words ("exec: \"wge\": executable file not found")
            evidence.append(
                Evidence(
                    object=pod_ref(p),
                    field=f"status.containerStatuses[{container}].lastState.terminated.message",
                    value=said[:300],
                )
            )
        log = snapshot.logs.get((p["metadata"]["name"], container, True)) or ""
        lines = error_lines(log, limit=2) if log else []
        for line in lines:
            evidence.append(Evidence(object=pod_ref(p), log=line))
        backoff = snapshot.events_for(p, reasons=("BackOff",))
        if backoff:
            evidence.append(Evidence(object=pod_ref(p), event=event_text(backoff[0], 140)))
        others = len({q["metadata"]["name"] for q, _ in crashing}) - 1
        hint = EXIT_HINTS.get(code, "") if code is not None else ""
        summary = (
            f"container {container} is crash-looping in {others + 1} pod(s): it exits with code {code}"
            f"{' — ' + hint if hint else ''}"
            if code is not None
            else f"container {container} is crash-looping in {others + 1} pod(s)"
        )
        if lines:
            summary += f"; last error: {lines[-1][-160:]}"
        elif said:
            summary += f"; its last termination said: {said[:200]}"
        remediations = [
            Remediation(
                text="read the previous container's logs and fix the cause (config, dependency, code) before restarting"
            )
        ]
        if snapshot.deployments:
            dep = snapshot.deployments[0]
            remediations.insert(
                0,
                Remediation(
                    text="roll back to the previous revision if the crash started with the latest rollout",
                    tool="k8s_rollback",
                    args={"name": snapshot.name, "namespace": dep["metadata"].get("namespace")},
                ),
            )
        return [
            self.finding(
                severity="critical",
                summary=summary,
                evidence=evidence,
                remediations=remediations,
                runbooks=["crashloop"],
            )
        ]


analyzer = CrashLoopAnalyzer()

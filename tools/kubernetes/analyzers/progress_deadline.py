"""A rollout that does not progress (ProgressDeadlineExceeded): say which ReplicaSet and why."""

from __future__ import annotations

from tools.kubernetes.analyzers.base import (
    Analyzer,
    Evidence,
    Finding,
    Remediation,
    Snapshot,
    condition,
    container_statuses,
    event_text,
    owner_name,
    pod_ref,
    ref,
)

REVISION = "deployment.kubernetes.io/revision"


class ProgressDeadlineAnalyzer(Analyzer):
    name = "progress_deadline"
    mode = "ProgressDeadlineExceeded"
    order = 5

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        findings = []
        for dep in snapshot.deployments:
            cond = condition(dep, "Progressing")
            if not cond or cond.get("reason") != "ProgressDeadlineExceeded":
                continue
            dep_ref = ref(dep, "Deployment")
            status = dep.get("status") or {}
            evidence = [
                Evidence(
                    object=dep_ref,
                    field="status.conditions[Progressing]",
                    value=f"{cond.get('status')}/ProgressDeadlineExceeded: {cond.get('message', '')}"[:200],
                ),
                Evidence(
                    object=dep_ref,
                    field="status.updatedReplicas/readyReplicas/replicas",
                    value=f"{status.get('updatedReplicas', 0)}/{status.get('readyReplicas', 0)}/"
                    f"{status.get('replicas', 0)}",
                ),
            ]
            revs = sorted(
                ((int((r["metadata"].get("annotations") or {}).get(REVISION, 0)), r) for r in snapshot.replicasets),
                key=lambda t: t[0],
            )
            new_rs = revs[-1][1] if revs else None
            blocked = ""
            if new_rs is None:  # no ReplicaSet at hand: the image the Deployment asks for
                containers = (((dep.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")
                image = ", ".join(str(c.get("image", "")) for c in containers or [])
                if image:
                    evidence.append(Evidence(object=dep_ref, field="spec.template...image", value=image))
            if new_rs is not None:
                image = ", ".join(c.get("image", "") for c in new_rs["spec"]["template"]["spec"].get("containers", []))
                evidence.append(Evidence(object=ref(new_rs, "ReplicaSet"), field="spec.template...image", value=image))
                for p in snapshot.pods:
                    if owner_name(p) != new_rs["metadata"]["name"]:
                        continue
                    for cs in container_statuses(p, init=True):
                        waiting = (cs.get("state") or {}).get("waiting") or {}
                        if waiting.get("reason") and waiting.get("reason") != "ContainerCreating":
                            blocked = f"{waiting['reason']}: {waiting.get('message', '')}".strip(": ")
                            evidence.append(
                                Evidence(
                                    object=pod_ref(p),
                                    field=f"status.containerStatuses[{cs.get('name')}].state.waiting",
                                    value=blocked[:200],
                                )
                            )
                            failed = snapshot.events_for(p, reasons=("Failed",))
                            if failed:
                                evidence.append(Evidence(object=pod_ref(p), event=event_text(failed[0], 160)))
                            break
                    if blocked:
                        break
            old_ready = [r for _, r in revs[:-1] if (r.get("status") or {}).get("readyReplicas")]
            summary = f"the rollout of {snapshot.name} is stuck: {cond.get('message', 'progress deadline exceeded')}"
            if blocked:
                summary += f" — its new pods fail with {blocked}"
            if old_ready:
                summary += (
                    f"; the previous ReplicaSet {old_ready[-1]['metadata']['name']} still serves "
                    f"{old_ready[-1]['status'].get('readyReplicas')} ready pod(s)"
                )
            remediations = []
            if "configmap" in blocked.lower() or "secret" in blocked.lower():
                remediations.append(Remediation(text="create the missing ConfigMap/Secret the new version expects"))
            remediations.append(
                Remediation(
                    text="roll back to the previous revision (rollout undo)",
                    tool="k8s_rollback",
                    args={"name": snapshot.name, "namespace": dep["metadata"].get("namespace")},
                )
            )
            findings.append(
                self.finding(
                    severity="critical",
                    summary=summary,
                    evidence=evidence,
                    remediations=remediations,
                )
            )
        return findings


analyzer = ProgressDeadlineAnalyzer()

"""ImagePullBackOff / ErrImagePull: the kubelet cannot pull an image; say why (tag, auth, registry)."""

from __future__ import annotations

from tools.kubernetes.analyzers.base import (
    Analyzer,
    Evidence,
    Finding,
    Remediation,
    Snapshot,
    event_text,
    pod_ref,
    waiting_containers,
)

REASONS = ("ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull")


def _cause(text: str) -> tuple[str, str]:
    low = text.lower()
    if "manifest unknown" in low or "not found" in low or "manifest for" in low:
        return (
            "the image tag does not exist in the registry",
            "fix the image tag (publish it, or point to one that exists)",
        )
    if "unauthorized" in low or "authentication required" in low or "denied" in low or "403" in low:
        return (
            "the registry refused the credentials",
            "fix imagePullSecrets / registry credentials for the service account",
        )
    if "x509" in low or "certificate" in low:
        return "the registry's TLS certificate is not trusted", "fix the registry certificate or the node trust store"
    if "no such host" in low or "dial tcp" in low or "i/o timeout" in low or "connection refused" in low:
        return "the registry is unreachable from the node", "check the registry address and node egress/DNS"
    if "invalidimagename" in low or "invalid reference format" in low:
        return "the image name is malformed", "fix the image reference"
    return "the image could not be pulled", "check the image reference and registry access"


class ImagePullAnalyzer(Analyzer):
    name = "imagepull"
    mode = "ImagePullBackOff"
    order = 20

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        hits = waiting_containers(snapshot, REASONS)
        if not hits:
            return []
        p, cs, waiting = hits[0]
        container = cs.get("name")
        image = cs.get("image") or ""
        evidence = [
            Evidence(
                object=pod_ref(p),
                field=f"status.containerStatuses[{container}].state.waiting.reason",
                value=waiting.get("reason"),
            ),
            Evidence(object=pod_ref(p), field=f"spec.containers[{container}].image", value=image),
        ]
        failed = [
            e
            for e in snapshot.events_for(p, reasons=("Failed",))
            if "pull" in str(e.get("message")).lower() or "image" in str(e.get("message")).lower()
        ]
        detail = " ".join(str(e.get("message")) for e in failed) + " " + str(waiting.get("message") or "")
        if failed:
            best = max(failed, key=lambda e: len(str(e.get("message") or "")))
            evidence.append(Evidence(object=pod_ref(p), event=event_text(best, 200)))
        elif waiting.get("message"):
            evidence.append(
                Evidence(
                    object=pod_ref(p),
                    field=f"status.containerStatuses[{container}].state.waiting.message",
                    value=str(waiting["message"])[:200],
                )
            )
        cause, fix = _cause(detail)
        pods = len({h[0]["metadata"]["name"] for h in hits})
        summary = f"image {image} cannot be pulled for {pods} pod(s) ({waiting.get('reason')}): {cause}"
        remediations = [Remediation(text=fix)]
        if snapshot.deployments and len(snapshot.replicasets) > 1:
            remediations.append(
                Remediation(
                    text="or roll back to the previous revision's image",
                    tool="k8s_rollback",
                    args={"name": snapshot.name},
                )
            )
        return [
            self.finding(
                severity="critical",
                summary=summary,
                evidence=evidence,
                remediations=remediations,
            )
        ]


analyzer = ImagePullAnalyzer()

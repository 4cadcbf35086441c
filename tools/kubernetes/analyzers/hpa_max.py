"""An HPA pinned at its maximum: demand exceeds what the autoscaler may give."""

from __future__ import annotations

from tools.kubernetes.analyzers.base import Analyzer, Evidence, Finding, Remediation, Snapshot, condition, ref


def _cpu(hpa: dict) -> tuple[int | None, int | None]:
    target = current = None
    for metric in (hpa.get("spec") or {}).get("metrics") or []:
        res = metric.get("resource") or {}
        if res.get("name") == "cpu":
            target = (res.get("target") or {}).get("averageUtilization")
    for metric in (hpa.get("status") or {}).get("currentMetrics") or []:
        res = metric.get("resource") or {}
        if res.get("name") == "cpu":
            current = (res.get("current") or {}).get("averageUtilization")
    return target, current


class HPAMaxAnalyzer(Analyzer):
    name = "hpa_max"
    mode = "HPAAtMax"
    order = 35

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        findings = []
        for hpa in snapshot.hpas:
            spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
            hi = spec.get("maxReplicas")
            current = status.get("currentReplicas")
            limited = condition(hpa, "ScalingLimited")
            too_many = bool(limited and limited.get("status") == "True" and limited.get("reason") == "TooManyReplicas")
            target, cpu = _cpu(hpa)
            over = target is not None and cpu is not None and cpu > target
            if hi is None or current is None or current < hi or not (too_many or over):
                continue
            hpa_ref = ref(hpa, "HorizontalPodAutoscaler")
            evidence = [
                Evidence(
                    object=hpa_ref,
                    field="status.currentReplicas / spec.maxReplicas",
                    value=f"{current} / {hi} (min {spec.get('minReplicas', 1)})",
                )
            ]
            if cpu is not None:
                evidence.append(
                    Evidence(
                        object=hpa_ref,
                        field="status.currentMetrics[cpu].averageUtilization",
                        value=f"{cpu}% (target {target}%)",
                    )
                )
            if limited:
                evidence.append(
                    Evidence(
                        object=hpa_ref,
                        field="status.conditions[ScalingLimited]",
                        value=f"{limited.get('status')}/{limited.get('reason')}",
                    )
                )
            summary = (
                f"the autoscaler of {snapshot.name} is pinned at its maximum of {hi} replicas"
                + (f" with CPU at {cpu}% against a {target}% target" if cpu is not None else "")
                + ": demand exceeds the allowed capacity, so latency rises"
            )
            suggested = max(hi + 2, round(hi * (cpu or target or 1) / (target or cpu or 1)) + 1)
            remediations = [
                Remediation(
                    text=f"raise maxReplicas (e.g. {hi} → {suggested})",
                    tool="k8s_scale",
                    args={"name": snapshot.name, "replicas": suggested},
                ),
                Remediation(text="check downstream saturation (databases, search cluster) before adding replicas"),
            ]
            findings.append(
                self.finding(
                    severity="warning",
                    summary=summary,
                    evidence=evidence,
                    remediations=remediations,
                    runbooks=["high-latency"],
                )
            )
        return findings


analyzer = HPAMaxAnalyzer()

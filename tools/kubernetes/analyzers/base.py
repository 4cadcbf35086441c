"""The one interface every analyzer implements, and what they see and produce.

An analyzer looks at a :class:`Snapshot` (the API objects of one workload, as the API served
them, plus the few log tails the diagnosis fetched) and returns :class:`Finding` s. Analyzers are
deterministic and do no I/O, so they are tested on real-shaped objects and on real captures.
Every finding carries its evidence (which object, which field or event, the value) and what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

Severity = Literal["critical", "warning", "info"]
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


class Evidence(BaseModel):
    object: str = Field(description='"Kind namespace/name"')
    field: str | None = Field(None, description="JSON path of the field, e.g. status.containerStatuses[app]...")
    value: str | None = None
    event: str | None = Field(None, description='An Event, as "Reason (xN): message"')
    log: str | None = Field(None, description="A log line")

    def line(self) -> str:
        parts = [self.object]
        if self.field:
            parts.append(f"{self.field}={self.value}" if self.value is not None else self.field)
        if self.event:
            parts.append(f"event {self.event}")
        if self.log:
            parts.append(f"log: {self.log}")
        return " · ".join(parts)


class Remediation(BaseModel):
    text: str
    tool: str | None = Field(None, description="A portal tool that performs it (needs approval)")
    args: dict[str, Any] | None = None


class Finding(BaseModel):
    mode: str = Field(description="Failure mode, e.g. CrashLoopBackOff")
    analyzer: str
    severity: Severity
    summary: str
    evidence: list[Evidence]
    remediations: list[Remediation] = Field(default_factory=list)
    runbooks: list[str] = Field(default_factory=list)

    def compact(self) -> dict[str, Any]:
        """What a model or the planner needs, in few tokens."""
        out: dict[str, Any] = {
            "mode": self.mode,
            "severity": self.severity,
            "summary": self.summary,
            "evidence": [e.line() for e in self.evidence],
        }
        if self.remediations:
            out["remediations"] = [r.text + (f" [tool {r.tool}]" if r.tool else "") for r in self.remediations]
        if self.runbooks:
            out["runbooks"] = self.runbooks
        return out


@dataclass
class Snapshot:
    """One workload's objects. ``logs`` maps ``(pod, container, previous)`` to a log tail."""

    name: str
    namespace: str | None = None
    deployments: list[dict[str, Any]] = field(default_factory=list)
    statefulsets: list[dict[str, Any]] = field(default_factory=list)
    daemonsets: list[dict[str, Any]] = field(default_factory=list)
    cronjobs: list[dict[str, Any]] = field(default_factory=list)
    replicasets: list[dict[str, Any]] = field(default_factory=list)
    pods: list[dict[str, Any]] = field(default_factory=list)
    hpas: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    pvcs: list[dict[str, Any]] = field(default_factory=list)
    # objects known only from their events (a deleted pod, a node), or a ReplicaSet named by its pods
    subjects: list[dict[str, Any]] = field(default_factory=list)
    whole_namespace: bool = False  # every object of ``namespace``, not one workload's
    events: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[tuple[str, str, bool], str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # kinds the cluster would not list (404/403)

    def events_for(self, obj: dict[str, Any], *, reasons: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        meta = obj.get("metadata", {})
        out = []
        for ev in self.events:
            inv = ev.get("involvedObject") or ev.get("regarding") or {}
            same = (inv.get("uid") and inv.get("uid") == meta.get("uid")) or (
                inv.get("name") == meta.get("name") and inv.get("kind", obj.get("kind")) == obj.get("kind")
            )
            if same and (reasons is None or ev.get("reason") in reasons):
                out.append(ev)
        return sorted(out, key=lambda e: -(e.get("count") or 1))

    def all_workloads(self) -> list[dict[str, Any]]:
        return [*self.deployments, *self.statefulsets, *self.daemonsets]


class Analyzer:
    """Subclasses set ``name``, ``mode``, ``order`` and implement :meth:`analyze`."""

    name: ClassVar[str]
    mode: ClassVar[str]
    order: ClassVar[int] = 50  # among equally severe findings, lower comes first

    def analyze(self, snapshot: Snapshot) -> list[Finding]:
        raise NotImplementedError

    def finding(self, **fields: Any) -> Finding:
        """A finding of this analyzer's failure mode."""
        return Finding(mode=self.mode, analyzer=self.name, **fields)


# --- helpers shared by analyzers -------------------------------------------------------------
def ref(obj: dict[str, Any], kind: str | None = None) -> str:
    meta = obj.get("metadata", {})
    ns = meta.get("namespace")
    return f"{kind or obj.get('kind', 'Object')} {ns + '/' if ns else ''}{meta.get('name', '?')}"


def pod_ref(p: dict[str, Any]) -> str:
    return ref(p, "Pod")


def container_statuses(p: dict[str, Any], *, init: bool = False) -> list[dict[str, Any]]:
    status = p.get("status") or {}
    out = list(status.get("containerStatuses") or [])
    if init:
        out += list(status.get("initContainerStatuses") or [])
    return out


def waiting_containers(
    snapshot: Snapshot, reasons: set[str] | frozenset[str] | tuple[str, ...]
) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(pod, container status, waiting state) for every container waiting for one of ``reasons``."""
    hits = []
    for p in snapshot.pods:
        for cs in container_statuses(p, init=True):
            waiting = (cs.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in reasons:
                hits.append((p, cs, waiting))
    return hits


def container_spec(p: dict[str, Any], name: str) -> dict[str, Any]:
    spec = p.get("spec") or {}
    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        if c.get("name") == name:
            return c
    return {}


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any] | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def is_ready(p: dict[str, Any]) -> bool:
    c = condition(p, "Ready")
    return bool(c and c.get("status") == "True")


def event_text(ev: dict[str, Any], limit: int = 220) -> str:
    count = ev.get("count") or (ev.get("series") or {}).get("count") or 1
    message = " ".join(str(ev.get("message") or ev.get("note") or "").split())
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    return f"{ev.get('reason')} (x{count}): {message}"


ERROR_LINE = re.compile(
    r"\b(error|fatal|panic|exception|traceback|failed|refused|denied|not set|invalid|"
    r"oom|out of memory|killed|exhausted|timeout|timed out|cannot|unable)\b",
    re.IGNORECASE,
)


def error_lines(text: str, limit: int = 3) -> list[str]:
    """The last ``limit`` lines that look like errors, in order; else the last lines."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if ERROR_LINE.search(line)]
    chosen = errors[-limit:] if errors else lines[-limit:]
    return [c if len(c) <= 240 else c[:239] + "…" for c in chosen]


def owner_name(p: dict[str, Any]) -> str | None:
    for o in p.get("metadata", {}).get("ownerReferences") or []:
        return o.get("name")
    return None

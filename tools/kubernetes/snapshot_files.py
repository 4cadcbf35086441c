"""Reading a captured cluster from files: the shapes people actually have, into one set of objects.

Accepted per file (``.json``, ``.yaml``, ``.yml``; a folder means every such file below it):
single objects; ``kind: List`` and ``<Kind>List`` with ``items`` (items without ``kind`` get it
from the list kind, PodList → Pod); multi-document YAML; watch streams (``{"type": "ADDED",
"object": {...}}``, one JSON document per line or YAML documents) applied in order, so a
``DELETED`` removes and a ``MODIFIED`` replaces; Replicated support bundles
(``cluster-resources/<kind>/<namespace>.json``) and ``kubectl get -o json`` output, which are
lists. An object with ``metadata.name`` but no ``kind`` takes its kind from its folder's name
(``pods/``, ``pod/``) when that names a kind. Documents that are not Kubernetes objects
(``cluster_version.json``, a LICENSE) are skipped quietly; a file that does not parse is reported
by name (and line, when the parser gives one) and the other files still load.

Duplicates: files are read in sorted path order, and when the same kind/namespace/name appears
again (outside a watch stream) the later one is kept and a warning names both files, so the
result never depends on the order a folder happens to list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUFFIXES = (".json", ".yaml", ".yml")
WATCH_TYPES = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK"}
HPA_V1_CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"
HPA_V1_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics"
# libyaml's safe loader when installed (captures are large), else the pure-Python one: same results
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Key = tuple[str, str, str]  # kind, namespace ("" when cluster-scoped), name


@dataclass
class Loaded:
    """The objects of one snapshot, where each came from, and what could not be read."""

    objects: dict[Key, dict[str, Any]] = field(default_factory=dict)
    origin: dict[Key, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    files: int = 0
    skipped_files: list[str] = field(default_factory=list)  # read fine, but held no Kubernetes object

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kind, _, _ in self.objects:
            out[kind] = out.get(kind, 0) + 1
        return dict(sorted(out.items()))


def snapshot_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def load(root: Path) -> Loaded:
    """Every object below ``root`` (a file or folder). Raises only when ``root`` does not exist."""
    if not root.exists():
        raise FileNotFoundError(f"kubernetes snapshot {root}: no such file or folder")
    out = Loaded()
    for path in snapshot_files(root):
        out.files += 1
        shown = str(path.relative_to(root)) if path != root else str(path)
        try:
            documents = _documents(path)
        except (ValueError, yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
            out.warnings.append(f"kubernetes snapshot: {path}: not loaded: {_where(exc)}")
            continue
        found = False
        for doc in documents:
            found |= _take(out, doc, shown, _folders(root, path))
        if not found:
            out.skipped_files.append(shown)
    return out


def _where(exc: BaseException) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {getattr(exc, 'problem', None) or exc}"
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    return f"{type(exc).__name__}: {exc}"


def _documents(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as whole:
            lines = [line for line in text.splitlines() if line.strip()]
            if len(lines) < 2:
                raise
            try:  # a watch stream or JSON Lines: one document per line
                return [json.loads(line) for line in lines]
            except json.JSONDecodeError:
                raise whole from None
    return [d for d in yaml.load_all(text, Loader=SAFE_LOADER) if d is not None]


# Folder names that say which kind a kindless object is (support bundles, insights archives).
FOLDER_KINDS = {
    "pod": "Pod",
    "pods": "Pod",
    "deployment": "Deployment",
    "deployments": "Deployment",
    "replicaset": "ReplicaSet",
    "replicasets": "ReplicaSet",
    "statefulset": "StatefulSet",
    "statefulsets": "StatefulSet",
    "daemonset": "DaemonSet",
    "daemonsets": "DaemonSet",
    "job": "Job",
    "jobs": "Job",
    "cronjob": "CronJob",
    "cronjobs": "CronJob",
    "event": "Event",
    "events": "Event",
    "service": "Service",
    "services": "Service",
    "node": "Node",
    "nodes": "Node",
    "ingress": "Ingress",
    "ingresses": "Ingress",
    "horizontalpodautoscaler": "HorizontalPodAutoscaler",
    "horizontalpodautoscalers": "HorizontalPodAutoscaler",
    "hpa": "HorizontalPodAutoscaler",
}


def _folders(root: Path, path: Path) -> tuple[str, ...]:
    """The folders between ``root`` and the file, nearest first (``config/pod/<namespace>/x.json``)."""
    if path == root:
        return (path.parent.name,)
    return tuple(reversed(path.relative_to(root).parent.parts))


def _kind_from_folder(folders: tuple[str, ...]) -> str | None:
    return next((FOLDER_KINDS[f.lower()] for f in folders[:2] if f.lower() in FOLDER_KINDS), None)


def _take(out: Loaded, doc: Any, shown: str, folder: tuple[str, ...], list_kind: str | None = None) -> bool:
    """Add what ``doc`` holds; True when it was a Kubernetes object, list or watch event."""
    if not isinstance(doc, dict):
        return False
    if doc.get("type") in WATCH_TYPES and isinstance(doc.get("object"), dict):
        obj = _object(doc["object"], None, folder)
        if obj is None:
            return False
        key = _key(obj)
        if doc["type"] == "DELETED":
            out.objects.pop(key, None)
            out.origin.pop(key, None)
        elif doc["type"] != "BOOKMARK":
            out.objects[key] = obj  # a watch replays one object's history: the last state wins quietly
            out.origin[key] = shown
        return True
    kind = str(doc.get("kind") or "")
    if isinstance(doc.get("items"), list) and (kind == "List" or kind.endswith("List") or "apiVersion" in doc):
        item_kind = kind[: -len("List")] if kind.endswith("List") and kind != "List" else None
        for item in doc["items"]:
            _take(out, item, shown, folder, item_kind or _kind_from_folder(folder))
        return True
    obj = _object(doc, list_kind, folder)
    if obj is None:
        return False
    key = _key(obj)
    if key in out.objects and out.origin.get(key) != shown:
        out.warnings.append(
            f"kubernetes snapshot: {key[0]} {key[1] + '/' if key[1] else ''}{key[2]} is in both "
            f"{out.origin[key]} and {shown}; the later one ({shown}) is used"
        )
    elif key in out.objects:
        out.warnings.append(
            f"kubernetes snapshot: {key[0]} {key[1] + '/' if key[1] else ''}{key[2]} appears twice in "
            f"{shown}; the later one is used"
        )
    out.objects[key] = obj
    out.origin[key] = shown
    return True


def _object(doc: dict[str, Any], list_kind: str | None, folder: tuple[str, ...]) -> dict[str, Any] | None:
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        return None
    kind = doc.get("kind") or list_kind or _kind_from_folder(folder)
    if not kind:
        return None
    obj = dict(doc)
    obj["kind"] = kind
    obj["metadata"] = dict(meta)
    if kind == "HorizontalPodAutoscaler" and str(doc.get("apiVersion", "")).endswith("/v1"):
        obj = _hpa_v2(obj)
    return obj


def _key(obj: dict[str, Any]) -> Key:
    meta = obj["metadata"]
    return obj["kind"], str(meta.get("namespace") or ""), str(meta["name"])


def _hpa_v2(hpa: dict[str, Any]) -> dict[str, Any]:
    """An autoscaling/v1 HPA in the v2 shape a v2 API would serve (conditions live in an annotation in v1)."""
    annotations = dict(hpa["metadata"].get("annotations") or {})
    spec = dict(hpa.get("spec") or {})
    status = dict(hpa.get("status") or {})
    target = spec.pop("targetCPUUtilizationPercentage", None)
    if target is not None and not spec.get("metrics"):
        spec["metrics"] = [_cpu_metric("target", {"type": "Utilization", "averageUtilization": target})]
    current = status.pop("currentCPUUtilizationPercentage", None)
    if current is not None and not status.get("currentMetrics"):
        status["currentMetrics"] = [_cpu_metric("current", {"averageUtilization": current})]
    for annotation, field_name in ((HPA_V1_CONDITIONS, "conditions"), (HPA_V1_METRICS, "currentMetrics")):
        raw = annotations.get(annotation)
        if raw and not status.get(field_name):
            try:
                parsed = json.loads(raw)
            except (TypeError, ValueError):
                continue  # a malformed annotation loses only itself
            if isinstance(parsed, list):
                status[field_name] = parsed
    return {**hpa, "apiVersion": "autoscaling/v2", "spec": spec, "status": status}


def _cpu_metric(side: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Resource", "resource": {"name": "cpu", side: value}}

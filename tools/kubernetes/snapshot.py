"""A read-only cluster loaded from files, behind the same narrow interface as :class:`client.Kube`.

The family's tools and analyzers only call ``list``, ``get``, ``logs`` and (for remediations)
``patch`` / ``delete_pod``; :class:`SnapshotKube` answers the reads from the objects
:mod:`snapshot_files` loaded, with label and field selectors evaluated as the API server does,
and refuses every write with one line, so nothing downstream needs to know the difference.
Timestamps are served as captured: nothing here compares them with the wall clock.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.kubernetes.errors import KubeError
from tools.kubernetes.snapshot_files import Loaded, load

if TYPE_CHECKING:
    from tools.kubernetes.clusters import Clusters

log = logging.getLogger(__name__)

SET_RE = re.compile(r"^\s*(!)?\s*([\w./-]+)\s*(?:(notin|in)\s*\(([^)]*)\)|(==|=|!=)\s*([\w./-]*))?\s*$")


def read_only_message(cluster: str) -> str:
    return f"{cluster} is a read-only snapshot loaded from files; it can't be changed"


def _requirements(selector: str) -> list[str]:
    """Split on the commas that separate requirements, not those inside ``in (a,b)``."""
    parts, depth, current = [], 0, ""
    for ch in selector:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p for p in parts if p.strip()]


def matches_labels(labels: dict[str, str], selector: str | None) -> bool:
    """Label-selector semantics: ``k=v``, ``k==v``, ``k!=v``, ``k in (…)``, ``k notin (…)``, ``k``, ``!k``."""
    for req in _requirements(selector or ""):
        m = SET_RE.match(req)
        if not m:
            raise KubeError(f"invalid label selector {selector!r}: cannot read {req.strip()!r}", kind="bad_request")
        negate, key, set_op, values, op, value = m.groups()
        present = key in labels
        if set_op:
            wanted = {v.strip() for v in values.split(",") if v.strip()}
            ok = (labels.get(key) in wanted) if set_op == "in" else (labels.get(key) not in wanted)
        elif op:
            ok = labels.get(key) == value if op in ("=", "==") else labels.get(key) != value
        else:
            ok = not present if negate else present
        if not ok:
            return False
    return True


def _field(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def matches_fields(obj: dict[str, Any], selector: str | None) -> bool:
    """Field selectors (``metadata.name=x``, ``involvedObject.uid=…``, ``status.phase!=Running``) on any path."""
    for req in _requirements(selector or ""):
        m = re.match(r"^\s*([\w.]+)\s*(==|=|!=)\s*(.*?)\s*$", req)
        if not m:
            raise KubeError(f"invalid field selector {selector!r}: cannot read {req.strip()!r}", kind="bad_request")
        path, op, value = m.groups()
        if (_field(obj, path) == value) != (op in ("=", "==")):
            return False
    return True


class SnapshotKube:
    """One snapshot cluster. Same methods and ``cluster`` attribute as :class:`client.Kube`."""

    def __init__(self, clusters: Clusters, cluster: str, loaded: Loaded):
        self.clusters = clusters
        self.cluster = cluster
        self.loaded = loaded

    def _kind(self, kind: str) -> None:
        from tools.kubernetes.client import readable_kind

        readable_kind(kind)

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        self._kind(kind)
        out = [
            obj
            for (k, ns, _), obj in sorted(self.loaded.objects.items())
            if k == kind
            and (not namespace or ns == namespace)
            and matches_labels(obj["metadata"].get("labels") or {}, label_selector)
            and matches_fields(obj, field_selector)
        ]
        return [dict(o) for o in (out[:limit] if limit else out)]

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any]:
        self._kind(kind)
        obj = self.loaded.objects.get((kind, namespace or "", name))
        if obj is None:
            where = f"{namespace}/" if namespace else ""
            raise KubeError(
                f"cluster {self.cluster}: not found while trying to read {kind} {where}{name}: "
                "the snapshot holds no such object.",
                status=404,
                kind="not_found",
            )
        return dict(obj)

    def logs(
        self, namespace: str, pod: str, container: str | None = None, *, tail: int = 100, previous: bool = False
    ) -> str:
        raise KubeError(
            f"cluster {self.cluster}: the snapshot holds no container logs (pod {namespace}/{pod})", kind="not_found"
        )

    def patch(self, kind: str, namespace: str | None, name: str, body: Any, **_: Any) -> dict[str, Any]:
        raise KubeError(read_only_message(self.cluster), kind="read_only")

    def delete_pod(self, namespace: str, name: str, *, dry_run: bool) -> dict[str, Any]:
        raise KubeError(read_only_message(self.cluster), kind="read_only")


class Snapshots:
    """The loaded files of each snapshot cluster, read once per runtime (thread-safe, lazily).

    Load warnings (unparsable files, duplicates) are logged here and kept in ``Clusters.problems``.
    """

    def __init__(self) -> None:
        self._loaded: dict[str, Loaded] = {}
        self._lock = threading.Lock()

    def get(self, path: Path) -> Loaded:
        key = str(path)
        with self._lock:
            if key not in self._loaded:
                try:
                    loaded = load(path)
                except FileNotFoundError as exc:
                    raise KubeError(str(exc), kind="config") from exc
                for warning in loaded.warnings:  # once per snapshot, where operators look
                    log.warning("%s", warning)
                log.info("kubernetes snapshot %s: %s from %d file(s)", path, loaded.counts(), loaded.files)
                self._loaded[key] = loaded
            return self._loaded[key]

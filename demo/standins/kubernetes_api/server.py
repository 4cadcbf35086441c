"""A local Kubernetes API stand-in over HTTP, for the demo and the tests.

It speaks the subset of the real REST protocol the ``kubernetes`` client uses for our tools:
lists with label and field selectors, gets, pod logs (``tailLines``, ``previous``, ``container``),
strategic-merge / merge / JSON patches (also on the ``scale`` subresource), deletes, and
``dryRun=All`` on every write. It checks a bearer token (401) and a role per token (403 for
writes by a ``viewer``), so RBAC failures follow the real path. Tests may inject faults (any
status, or a delay for timeouts) and read the request log.

The admin token is generated for each server (``secrets.token_urlsafe``): anyone on the host can
reach a loopback port, so the credential is what keeps them from reading the demo's Secrets or
writing around the approval gate. It is handed out only through :meth:`Server.kubeconfig`, which
the demo writes into its private data directory.

It binds to loopback on a free port and runs in a daemon thread.
"""

from __future__ import annotations

import copy
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from demo.standins.kubernetes_api.state import CLUSTER_SCOPED, RESOURCES, ApiError, ClusterState

PATH = re.compile(
    r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?:/namespaces/(?P<ns>[^/]+))?/(?P<resource>[^/]+)(?:/(?P<name>[^/]+))?(?:/(?P<sub>[^/]+))?/?$"
)


@dataclass
class Fault:
    """Make matching requests fail: ``status`` (with ``message``) or sleep ``delay`` seconds first."""

    method: str
    path: str  # regular expression, searched in the request path
    status: int | None = None
    message: str = "injected fault"
    delay: float = 0.0
    times: int = 1_000_000

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.method in (method, "*") and re.search(self.path, path) is not None


@dataclass
class Server:
    state: ClusterState
    tokens: dict[str, str] = field(default_factory=dict)  # bearer token -> role; the admin token is added
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0
    persist: Path | None = None  # save the state here after every real (not dry-run) change
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.tokens.setdefault(self.admin_token, "admin")

    def role_of(self, token: str) -> str | None:
        """The role of a bearer token, compared in constant time (no timing oracle on the token)."""
        found = None
        for known, role in self.tokens.items():
            if token and hmac.compare_digest(known.encode(), token.encode()):
                found = role
        return found

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Server:
        handler = type("Handler", (_Handler,), {"server_ref": self})
        self._httpd = ThreadingHTTPServer((self.host, 0), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="k8s-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def kubeconfig(
        self, context: str = "tessera-prod", token: str | None = None, namespace: str = "default"
    ) -> dict[str, Any]:
        """A kubeconfig for this server, with the admin token unless another ``token`` is given."""
        token = token or self.admin_token
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": context,
            "clusters": [{"name": context, "cluster": {"server": self.url}}],
            "users": [{"name": f"{context}-user", "user": {"token": token}}],
            "contexts": [
                {"name": context, "context": {"cluster": context, "user": f"{context}-user", "namespace": namespace}}
            ],
        }

    def mutations(self) -> list[tuple[str, str, dict[str, list[str]]]]:
        return [r for r in self.requests if r[0] in ("PATCH", "PUT", "POST", "DELETE")]


def start_demo_server(folder: Path, persist: Path | None = None) -> Server:
    return Server(ClusterState.from_dir(folder, persist), persist=persist).start()


class _Handler(BaseHTTPRequestHandler):
    server_ref: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # --- plumbing ------------------------------------------------------------------------------
    def _send(self, code: int, body: Any, content_type: str = "application/json") -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self._headers_buffer.append(b"\r\n" + data)  # one write: headers and body together
            self.flush_headers()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            self.close_connection = True

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def _handle(self, method: str) -> None:
        srv = self.server_ref
        url = urlparse(self.path)
        query = parse_qs(url.query)
        srv.requests.append((method, url.path, query))
        body = self._body() if method in ("PATCH", "PUT", "POST", "DELETE") else None
        for fault in srv.faults:
            if fault.matches(method, url.path):
                fault.times -= 1
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.status:
                    reason = {
                        401: "Unauthorized",
                        403: "Forbidden",
                        404: "NotFound",
                        409: "Conflict",
                        500: "InternalError",
                        503: "ServiceUnavailable",
                    }.get(fault.status, "Unknown")
                    return self._send(fault.status, ApiError(fault.status, reason, fault.message).status())
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        role = srv.role_of(token)
        if role is None:
            return self._send(401, ApiError(401, "Unauthorized", "Unauthorized").status())
        try:
            if url.path in ("/version", "/version/"):
                return self._send(
                    200,
                    {
                        "major": "1",
                        "minor": "31",
                        "gitVersion": "v1.31.2-portal-agent-standin",
                        "platform": "linux/amd64",
                    },
                )
            match = PATH.match(url.path)
            if not match:
                raise ApiError(404, "NotFound", f"the server could not find the requested resource ({url.path})")
            group = match["group"] or ""
            resource, ns, name, sub = match["resource"], match["ns"], match["name"], match["sub"]
            if (group, resource) not in RESOURCES:
                raise ApiError(404, "NotFound", f"the server could not find the requested resource ({resource})")
            kind = RESOURCES[(group, resource)]
            if method != "GET" and role != "admin":
                verb = {"PATCH": "patch", "DELETE": "delete", "PUT": "update", "POST": "create"}[method]
                user = f"system:serviceaccount:portal:{role}"
                where = f' in the namespace "{ns}"' if ns else " at the cluster scope"
                res = f"{resource}/{sub}" if sub else resource
                res = f'"{res}" in API group "{group}"'
                raise ApiError(
                    403,
                    "Forbidden",
                    f'{resource}{"." + group if group else ""} "{name}" is forbidden: '
                    f'User "{user}" cannot {verb} resource {res}{where}',
                )
            with srv.state.lock:
                if method == "GET":
                    return self._get(kind, resource, ns, name, sub, query)
                dry = "All" in query.get("dryRun", [])
                if method not in ("PATCH", "DELETE"):
                    raise ApiError(405, "MethodNotAllowed", f"{method} is not supported by this stand-in")
                if method == "PATCH":
                    self._patch(kind, ns or "", name, sub, body, dry)
                else:
                    self._delete(kind, ns or "", name, dry)
                if not dry and srv.persist is not None:
                    srv.state.save(srv.persist)
                return None
        except ApiError as exc:
            return self._send(exc.code, exc.status())
        except Exception as exc:  # a bug in the stand-in: answer like an API server would, 500
            return self._send(500, ApiError(500, "InternalError", f"{type(exc).__name__}: {exc}").status())

    do_GET = lambda self: self._handle("GET")  # noqa: E731
    do_PATCH = lambda self: self._handle("PATCH")  # noqa: E731
    do_DELETE = lambda self: self._handle("DELETE")  # noqa: E731
    do_PUT = lambda self: self._handle("PUT")  # noqa: E731
    do_POST = lambda self: self._handle("POST")  # noqa: E731

    # --- verbs ---------------------------------------------------------------------------------
    def _get(self, kind, resource, ns, name, sub, query) -> None:
        state = self.server_ref.state
        if name is None:
            items = state.list(kind, None if resource in CLUSTER_SCOPED or ns is None else ns)
            items = [
                i
                for i in items
                if _labels_match(i, query.get("labelSelector", [""])[0])
                and _fields_match(i, query.get("fieldSelector", [""])[0])
            ]
            limit = int(query.get("limit", ["0"])[0] or 0)
            if limit:
                items = items[:limit]
            return self._send(
                200,
                {
                    "kind": f"{kind}List",
                    "apiVersion": _api_version(kind),
                    "metadata": {"resourceVersion": str(state.resource_version)},
                    "items": copy.deepcopy(items),
                },
            )
        obj = state.get(kind, ns or "", name)
        if sub == "log":
            container = query.get("container", [None])[0] or obj["spec"]["containers"][0]["name"]
            previous = query.get("previous", ["false"])[0] == "true"
            text = state.log_for(ns, name, container, previous)
            tail = query.get("tailLines", [None])[0]
            if tail is not None:
                lines = text.splitlines(keepends=True)
                text = "".join(lines[-int(tail) :]) if int(tail) else ""
            return self._send(200, text, "text/plain")
        if sub == "scale":
            return self._send(200, _scale_of(obj))
        if sub:
            raise ApiError(404, "NotFound", f"subresource {sub} is not served by this stand-in")
        return self._send(200, copy.deepcopy(obj))

    def _patch(self, kind, ns, name, sub, body, dry) -> None:
        state = self.server_ref.state
        current = state.get(kind, ns, name)
        content_type = self.headers.get("Content-Type", "")
        if sub == "scale":
            if kind not in ("Deployment", "StatefulSet", "ReplicaSet"):
                raise ApiError(404, "NotFound", f"{kind} has no scale subresource")
            scale = _apply_patch(_scale_of(current), body, content_type)
            replicas = scale.get("spec", {}).get("replicas")
            if not isinstance(replicas, int) or replicas < 0:
                raise ApiError(
                    422,
                    "Invalid",
                    f'Scale.autoscaling "{name}" is invalid: spec.replicas: '
                    f"Invalid value: {replicas!r}: must be greater than or equal to 0",
                )
            updated = copy.deepcopy(current)
            updated["spec"]["replicas"] = replicas
            if not dry:
                self._store(updated, current)
            return self._send(200, _scale_of(updated))
        if sub:
            raise ApiError(404, "NotFound", f"subresource {sub} is not served by this stand-in")
        updated = _apply_patch(current, body, content_type)
        sent_rv = ((body or {}).get("metadata") or {}).get("resourceVersion") if isinstance(body, dict) else None
        if sent_rv and sent_rv != current["metadata"].get("resourceVersion"):
            raise ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {kind.lower()}s "{name}": the object '
                "has been modified; please apply your changes to the latest version "
                "and try again",
            )
        _validate(updated)
        if dry:
            return self._send(200, updated)
        stored = self._store(updated, current)
        return self._send(200, copy.deepcopy(stored))

    def _store(self, updated: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
        state = self.server_ref.state
        changed_template = updated.get("spec", {}).get("template") != current.get("spec", {}).get("template")
        if updated.get("spec") != current.get("spec"):
            updated["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
        stored = state._put(updated)
        state.after_change(stored, template_changed=changed_template)
        return state.get(stored["kind"], stored["metadata"].get("namespace", ""), stored["metadata"]["name"])

    def _delete(self, kind, ns, name, dry) -> None:
        state = self.server_ref.state
        obj = state.get(kind, ns, name)
        if dry:
            return self._send(200, copy.deepcopy(obj))
        state.delete(kind, ns, name)
        if kind == "Pod":
            state.replace_deleted_pod(obj)
        return self._send(200, copy.deepcopy(obj))


def _api_version(kind: str) -> str:
    from demo.standins.kubernetes_api.state import KIND_TO_RESOURCE

    group, _ = KIND_TO_RESOURCE[kind]
    versions = {
        "apps": "apps/v1",
        "autoscaling": "autoscaling/v2",
        "networking.k8s.io": "networking.k8s.io/v1",
        "batch": "batch/v1",
    }
    return versions.get(group, "v1")


def _scale_of(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": obj["metadata"]["name"],
            "namespace": obj["metadata"].get("namespace"),
            "resourceVersion": obj["metadata"].get("resourceVersion"),
        },
        "spec": {"replicas": obj["spec"].get("replicas", 0)},
        "status": {"replicas": obj.get("status", {}).get("replicas", 0)},
    }


def _validate(obj: dict[str, Any]) -> None:
    spec = obj.get("spec") or {}
    if "replicas" in spec and (not isinstance(spec["replicas"], int) or spec["replicas"] < 0):
        raise ApiError(
            422,
            "Invalid",
            f'{obj["kind"]} "{obj["metadata"]["name"]}" is invalid: spec.replicas: '
            "Invalid value: must be greater than or equal to 0",
        )
    if obj["kind"] == "HorizontalPodAutoscaler":
        lo, hi = spec.get("minReplicas", 1), spec.get("maxReplicas", 0)
        if hi < 1 or lo > hi:
            raise ApiError(
                422,
                "Invalid",
                f'HorizontalPodAutoscaler "{obj["metadata"]["name"]}" is invalid: '
                f"spec.maxReplicas: Invalid value: {hi}: must be greater than or equal "
                f"to `minReplicas` ({lo})",
            )


# --- patches ---------------------------------------------------------------------------------
def _apply_patch(obj: dict[str, Any], body: Any, content_type: str) -> dict[str, Any]:
    if body is None:
        raise ApiError(400, "BadRequest", "the patch body is empty")
    base = copy.deepcopy(obj)
    if "json-patch" in content_type:
        return _json_patch(base, body)
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "a merge patch must be a JSON object")
    return _merge(base, body, strategic="strategic" in content_type)


def _merge(target: Any, patch: Any, *, strategic: bool) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif (
            strategic
            and isinstance(value, list)
            and isinstance(target.get(key), list)
            and all(isinstance(v, dict) and "name" in v for v in value + target[key])
        ):
            merged = {item["name"]: item for item in target[key]}
            order = [item["name"] for item in target[key]]
            for item in value:
                if item["name"] in merged:
                    merged[item["name"]] = _merge(merged[item["name"]], item, strategic=True)
                else:
                    merged[item["name"]] = item
                    order.append(item["name"])
            target[key] = [merged[n] for n in order]
        else:
            target[key] = _merge(target.get(key), value, strategic=strategic)
    return target


def _json_patch(doc: dict[str, Any], ops: Any) -> dict[str, Any]:
    if not isinstance(ops, list):
        raise ApiError(400, "BadRequest", "a JSON patch must be a list of operations")
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.setdefault(part, {})
        last = parts[-1]
        kind = op["op"]
        if kind == "test":
            current = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if current != op.get("value"):
                raise ApiError(
                    409,
                    "Conflict",
                    f"the object has been modified: test of {op['path']} failed; "
                    "please apply your changes to the latest version and try again",
                )
        elif kind in ("add", "replace"):
            if isinstance(parent, list):
                parent.insert(int(last), op["value"]) if kind == "add" else parent.__setitem__(int(last), op["value"])
            else:
                parent[last] = copy.deepcopy(op["value"])
        elif kind == "remove":
            if isinstance(parent, list):
                parent.pop(int(last))
            else:
                parent.pop(last, None)
        else:
            raise ApiError(400, "BadRequest", f"unsupported JSON patch operation {kind!r}")
    return doc


# --- selectors -------------------------------------------------------------------------------
_SET = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _split_selector(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _labels_match(obj: dict[str, Any], selector: str) -> bool:
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in _split_selector(selector):
        m = _SET.match(term)
        if m:
            values = {v.strip() for v in m[3].split(",")}
            ok = labels.get(m[1]) in values
            if (m[2] == "in") != ok:
                return False
        elif "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def _field(obj: dict[str, Any], path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _fields_match(obj: dict[str, Any], selector: str) -> bool:
    for term in _split_selector(selector):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if str(_field(obj, k.strip()) or "") == v.strip():
                return False
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            if str(_field(obj, k.strip()) or "") != v.strip():
                return False
    return True

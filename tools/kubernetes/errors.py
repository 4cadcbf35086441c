"""Turn client exceptions into one clear sentence for the user (and the model).

Every failure that reaches a person says which cluster, what was attempted, and what to do:
unreachable API, timeouts, 401 (credentials), 403 (RBAC, with the API's own message), 404, 409
(conflict: someone else changed the object; nothing was applied), 422 (invalid change).
"""

from __future__ import annotations

import json
from typing import Any


class KubeError(Exception):
    """A failure talking to a cluster, already phrased for a person."""

    def __init__(self, message: str, *, status: int | None = None, kind: str = "error"):
        super().__init__(message)
        self.message = message
        self.status = status
        self.kind = kind


def _api_message(body: Any) -> str:
    if not body:
        return ""
    try:
        data = json.loads(body)
        return str(data.get("message") or "")
    except (ValueError, TypeError, AttributeError):
        return str(body)[:300]


def describe(exc: BaseException, *, cluster: str, action: str) -> KubeError:
    """``action`` is a phrase like "list pods in commerce" or "patch deployment commerce/checkout"."""
    if isinstance(exc, KubeError):
        return exc
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, TimeoutError

    if isinstance(exc, ApiException):
        status = exc.status or 0
        detail = _api_message(getattr(exc, "body", None)) or (exc.reason or "")
        if status == 401:
            return KubeError(
                f"cluster {cluster}: the credentials were rejected (401 Unauthorized) while trying to "
                f"{action}; refresh the kubeconfig token or certificate.",
                status=401,
                kind="auth",
            )
        if status == 403:
            return KubeError(
                f"cluster {cluster}: not allowed to {action} (403 Forbidden, RBAC): {detail}. Ask a "
                "cluster admin for the missing permission.",
                status=403,
                kind="forbidden",
            )
        if status == 404:
            return KubeError(
                f"cluster {cluster}: not found while trying to {action}: {detail or 'no such object'}.",
                status=404,
                kind="not_found",
            )
        if status == 409:
            return KubeError(
                f"cluster {cluster}: conflict while trying to {action}: {detail or 'the object changed'}."
                " Nothing was applied; read the current state and try again.",
                status=409,
                kind="conflict",
            )
        if status == 422:
            return KubeError(
                f"cluster {cluster}: the API refused the change ({action}): {detail}.", status=422, kind="invalid"
            )
        if status == 400:
            return KubeError(
                f"cluster {cluster}: bad request while trying to {action}: {detail}.", status=400, kind="bad_request"
            )
        if status == 0 and "timed out" in str(exc).lower():
            return KubeError(f"cluster {cluster}: timed out while trying to {action}.", kind="timeout")
        return KubeError(
            f"cluster {cluster}: the API answered {status} {exc.reason or ''} while trying to {action}: "
            f"{detail}".rstrip(": ")
            + ".",
            status=status,
            kind="api",
        )
    text = str(exc)
    reason = getattr(exc, "reason", None)
    if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError) or "timed out" in text.lower():
        return KubeError(
            f"cluster {cluster}: the API did not answer in time while trying to {action} (timeout). "
            "The cluster may be overloaded or unreachable; try again.",
            kind="timeout",
        )
    if isinstance(exc, MaxRetryError | NewConnectionError | ProtocolError | ConnectionError | OSError):
        return KubeError(
            f"cluster {cluster}: the API server is unreachable while trying to {action} "
            f"({type(reason or exc).__name__}). Check the kubeconfig server address, VPN and network.",
            kind="unreachable",
        )
    return KubeError(f"cluster {cluster}: {type(exc).__name__} while trying to {action}: {text}", kind="error")

"""The template filters Backstage's scaffolder adds to Nunjucks: parseRepoUrl, parseEntityRef, pick,
projectSlug. They behave like ``plugins/scaffolder-backend/src/lib/templating/filters`` so that real
templates (``${{ parameters.repoUrl | parseRepoUrl | pick('owner') }}``) render the same here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit


class TemplateValueError(ValueError):
    """A filter was given a value it cannot work with; the message names the value."""


# Hosts whose repo URLs name a project/workspace instead of an owner (Backstage's integrations).
_NO_OWNER_HOSTS = ("dev.azure.com", "bitbucket.org")


def parse_repo_url(repo_url: Any) -> dict[str, Any]:
    """``github.com?owner=o&repo=r`` → ``{host, owner, repo, organization?, workspace?, project?}``.

    Like Backstage, the value is a host followed by a query string (the RepoUrlPicker format); a
    missing ``repo`` (or ``owner`` on GitHub-like hosts) is an error naming the URL.
    """
    if not isinstance(repo_url, str) or not repo_url.strip():
        raise TemplateValueError(f"Invalid repo URL passed to parseRepoUrl: {repo_url!r}")
    text = repo_url.strip()
    parsed = urlsplit(text if "://" in text else f"https://{text}")
    host = parsed.netloc
    if not host:
        raise TemplateValueError(f"Invalid repo URL passed to parseRepoUrl: {repo_url!r}, missing host")
    query = {k: v[0] for k, v in parse_qs(parsed.query).items() if v}
    out: dict[str, Any] = {"host": host}
    for key in ("owner", "organization", "workspace", "project", "repo"):
        if query.get(key):
            out[key] = query[key]
    if "repo" not in out:
        raise TemplateValueError(f"Invalid repo URL passed to parseRepoUrl: {repo_url}, missing repo")
    if "owner" not in out and not any(host.endswith(h) for h in _NO_OWNER_HOSTS):
        raise TemplateValueError(f"Invalid repo URL passed to parseRepoUrl: {repo_url}, missing owner")
    return out


def parse_entity_ref(ref: Any, context: dict[str, Any] | None = None) -> dict[str, str]:
    """``group:default/team-a`` → ``{kind, namespace, name}``; defaults from ``context`` like Backstage."""
    if not isinstance(ref, str) or not ref.strip():
        raise TemplateValueError(f"Entity reference must be a non-empty string, got {ref!r}")
    context = context or {}
    text = ref.strip()
    kind: str | None = None
    if ":" in text:
        kind, text = text.split(":", 1)
    namespace: str | None = None
    if "/" in text:
        namespace, text = text.split("/", 1)
    kind = kind or context.get("defaultKind")
    namespace = namespace or context.get("defaultNamespace") or "default"
    if not kind:
        raise TemplateValueError(
            f"Entity reference {ref!r} had missing or empty kind (e.g. did not start with 'component:' or similar)"
        )
    if not text:
        raise TemplateValueError(f"Entity reference {ref!r} had missing or empty name")
    return {"kind": kind, "namespace": namespace, "name": text}


def pick(obj: Any, key: str) -> Any:
    """lodash ``get``: a dotted path into a mapping; missing → None (rendered as empty)."""
    current = obj
    for part in str(key).split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def project_slug(repo_url: Any) -> str:
    """``github.com?owner=o&repo=r`` → ``o/r`` (the ``github.com/project-slug`` annotation)."""
    parsed = parse_repo_url(repo_url)
    owner = parsed.get("owner") or parsed.get("workspace") or parsed.get("project") or ""
    return f"{owner}/{parsed['repo']}"


FILTERS = {
    "parseRepoUrl": parse_repo_url,
    "parseEntityRef": parse_entity_ref,
    "pick": pick,
    "projectSlug": project_slug,
}

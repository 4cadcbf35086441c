"""Catalog discovery on GitHub (or GitHub Enterprise) through PyGithub.

For each ``github_discovery`` entry — ``owner`` (an organisation or a user: all its repositories)
or ``owner/repo`` — the repository's ``catalog-info.yaml`` on its default branch is read, and
``Location`` targets inside it are followed within the same repository, as Backstage's GitHub
discovery does. Archived repositories are skipped. ``github_url`` points PyGithub at a GitHub
Enterprise API (``https://ghe.example.com/api/v3``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Any

from tools.catalog.loader import LoadError, LoadResult, entities_from_text

CATALOG_FILE = "catalog-info.yaml"
DEFAULT_API_URL = "https://api.github.com"
MAX_LOCATION_FILES = 50


class GitHubDiscoveryError(RuntimeError):
    pass


def make_client(base_url: str | None, token: str | None, timeout: int = 15, throttle: float | None = None) -> Any:
    """A PyGithub client. Discovery only makes serial GETs, which GitHub's rate-limit guidance allows
    without pauses, so PyGithub's default 0.25 s pause between requests is off unless ``throttle``
    is given (it would make a 500-repository organisation take two minutes to scan)."""
    from github import Auth, Github

    kwargs: dict[str, Any] = {
        "base_url": (base_url or DEFAULT_API_URL).rstrip("/"),
        "timeout": timeout,
        "retry": None,
        "seconds_between_requests": throttle,
    }
    if token:
        kwargs["auth"] = Auth.Token(token)
    return Github(**kwargs)


def discover(
    entries: Iterable[str],
    base_url: str | None = None,
    token: str | None = None,
    *,
    client: Any = None,
    catalog_path: str = CATALOG_FILE,
    throttle: float | None = None,
) -> LoadResult:
    """Entities from ``catalog-info.yaml`` files of the listed owners/repositories."""
    from github import GithubException

    gh = client or make_client(base_url, token, throttle=throttle)
    result = LoadResult()
    for entry in entries:
        entry = entry.strip().strip("/")
        if not entry:
            continue
        try:
            repos = [gh.get_repo(entry)] if "/" in entry else list(_owner_repos(gh, entry))
        except GithubException as exc:
            result.errors.append(LoadError(path=f"github:{entry}", reason=_describe(exc, entry)))
            continue
        for repo in repos:
            if getattr(repo, "archived", False):
                continue
            _load_repo(repo, catalog_path, result)
    return result


def _owner_repos(gh: Any, owner: str) -> Iterable[Any]:
    from github import GithubException

    try:
        org = gh.get_organization(owner)
        return org.get_repos()
    except GithubException as exc:
        if exc.status != 404:
            raise
    return gh.get_user(owner).get_repos()


def _load_repo(repo: Any, catalog_path: str, result: LoadResult) -> None:
    from github import GithubException

    queue = [catalog_path]
    seen: set[str] = set()
    while queue and len(seen) < MAX_LOCATION_FILES:
        path = posixpath.normpath(queue.pop(0)).lstrip("/")
        if path in seen:
            continue
        seen.add(path)
        try:
            content = repo.get_contents(path)
        except GithubException as exc:
            if exc.status == 404:
                if path != catalog_path:
                    result.errors.append(
                        LoadError(path=f"{repo.full_name}/{path}", reason="Location target not found in repository")
                    )
                continue
            result.errors.append(LoadError(path=f"{repo.full_name}/{path}", reason=_describe(exc, repo.full_name)))
            continue
        if isinstance(content, list):  # a directory
            continue
        url = content.html_url or f"{repo.html_url}/blob/{repo.default_branch}/{path}"
        text = content.decoded_content.decode("utf-8", errors="replace")
        loaded = entities_from_text(text, url, location=f"url:{url}")
        for entity in loaded.entities:
            entity.metadata.annotations.setdefault(
                "backstage.io/source-location", f"url:{repo.html_url}/tree/{repo.default_branch}/"
            )
            entity.metadata.annotations.setdefault("github.com/project-slug", repo.full_name)
            if entity.kind_lower == "location":
                spec = entity.spec
                targets = [spec["target"]] if isinstance(spec.get("target"), str) else []
                targets += [t for t in spec.get("targets") or [] if isinstance(t, str)]
                for target in targets:
                    if "://" in target or "*" in target:
                        result.errors.append(
                            LoadError(
                                path=url,
                                line=entity.source_line,
                                severity="warning",
                                reason=f"Location target {target!r} not followed (URL or glob in a repository)",
                            )
                        )
                        continue
                    queue.append(posixpath.join(posixpath.dirname(path), target))
        result.extend(loaded)


def _describe(exc: Any, what: str) -> str:
    status = getattr(exc, "status", None)
    data = getattr(exc, "data", None)
    message = data.get("message") if isinstance(data, dict) else None
    if status == 401:
        return f"GitHub refused the token for {what} (401); check PORTAL_AGENT_GITHUB_TOKEN"
    if status == 403:
        return f"GitHub denied access to {what} (403): {message or 'forbidden or rate limited'}"
    if status == 404:
        return f"GitHub has no organisation, user or repository {what!r} (404)"
    return f"GitHub error for {what}: {status} {message or exc}"

"""Catalog discovery on GitHub (or GitHub Enterprise) through PyGithub, and GitHub URLs read like
Backstage's GitHub integration reads them.

For each ``github_discovery`` entry — ``owner`` (an organisation or a user: all its repositories)
or ``owner/repo`` — the files matching ``catalog_path`` on the default branch are read: by default
the root ``catalog-info.yaml``; a glob such as ``/**/catalog-info.yaml`` (Backstage's GitHub
provider's ``catalogPath``) matches the repository's whole tree. ``Location`` targets are followed
as the file loader follows them: relative ones and globs against the Location's own URL, absolute
GitHub URLs of the same server in any repository. Archived repositories are skipped.
``github_url`` points PyGithub at a GitHub Enterprise API (``https://ghe.example.com/api/v3``).
"""

from __future__ import annotations

import glob
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from tools.catalog.loader import FileLoader, LoadError, LoadResult, Unreadable

CATALOG_PATH = "/catalog-info.yaml"
DEFAULT_API_URL = "https://api.github.com"
# A file URL on a GitHub server: https://<host>/<owner>/<repo>/(blob|tree|raw)/<ref>/<path>
FILE_URL = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/(?:blob|tree|raw)/(?P<ref>[^/]+)/(?P<path>.+)$")


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


def web_host(base_url: str | None) -> str:
    """The host of a GitHub server's web URLs, from its API URL (api.github.com → github.com)."""
    host = urlparse(base_url or DEFAULT_API_URL).hostname or "github.com"
    return "github.com" if host == "api.github.com" else host


def path_glob(pattern: str) -> re.Pattern[str]:
    """A repository-path glob as Backstage matches ``catalogPath``: ``**`` spans folders (also
    none: ``**/catalog-info.yaml`` matches the root file), ``*`` and ``?`` stay within one,
    ``{a,b}`` is either."""
    out, i = [], 0
    pattern = pattern.lstrip("/")
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "{" and "}" in pattern[i:]:
            end = pattern.index("}", i)
            out.append("(?:" + "|".join(re.escape(p) for p in pattern[i + 1 : end].split(",")) + ")")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


class GitHubUrlReader:
    """Reads ``https://<host>/<owner>/<repo>/blob/<ref>/<path>`` URLs of one GitHub server through its
    API, and finds the files a glob URL matches in the repository's tree. URLs of other hosts are
    :class:`Unreadable`: no integration here serves them."""

    def __init__(self, client: Any, hosts: Iterable[str]):
        self.client = client
        self.hosts = {h.lower() for h in hosts}
        self._repos: dict[str, Any] = {}
        self._trees: dict[tuple[str, str], list[str]] = {}

    def read(self, url: str) -> str:
        from github import GithubException

        repo, ref, path = self._parse(url)
        try:
            content = self._repo(repo).get_contents(path, ref=ref)
        except GithubException as exc:
            if exc.status == 404:
                raise FileNotFoundError(f"{repo} has no {path} at {ref}") from exc
            raise OSError(_describe(exc, repo)) from exc
        if isinstance(content, list):
            raise IsADirectoryError(f"{path} is a folder in {repo}")
        return content.decoded_content.decode("utf-8", errors="replace")

    def search(self, url: str) -> list[str]:
        repo, ref, pattern = self._parse(url)
        matcher = path_glob(pattern)
        base = url[: url.index(f"/{ref}/") + len(ref) + 2]
        return [base + path for path in self._tree(repo, ref) if matcher.match(path)]

    def know(self, repo: Any) -> str:
        """Serve a discovered repository (and its web host); the URL of its default branch's root."""
        self.hosts.add((urlparse(repo.html_url).hostname or "").lower())
        self._repos.setdefault(repo.full_name, repo)
        return f"{repo.html_url}/blob/{repo.default_branch}/"

    def _parse(self, url: str) -> tuple[str, str, str]:
        parsed = urlparse(url)
        match = FILE_URL.match(parsed.path)
        if (parsed.hostname or "").lower() not in self.hosts or match is None:
            raise Unreadable(url)
        return match["repo"], match["ref"], match["path"]

    def _repo(self, full_name: str) -> Any:
        if full_name not in self._repos:
            self._repos[full_name] = self.client.get_repo(full_name)
        return self._repos[full_name]

    def _tree(self, full_name: str, ref: str) -> list[str]:
        from github import GithubException

        key = (full_name, ref)
        if key not in self._trees:
            try:
                tree = self._repo(full_name).get_git_tree(ref, recursive=True)
            except GithubException as exc:
                raise OSError(_describe(exc, full_name)) from exc
            self._trees[key] = [item.path for item in tree.tree if item.type == "blob"]
        return self._trees[key]


def reader_for(base_url: str | None, token: str | None, hosts: Iterable[str] = ()) -> GitHubUrlReader:
    """A reader for the GitHub server whose API is at ``base_url``; ``hosts`` are its web hosts
    (by default the one its API URL implies: api.github.com → github.com)."""
    return GitHubUrlReader(make_client(base_url, token), list(hosts) or [web_host(base_url)])


def discover(
    entries: Iterable[str],
    base_url: str | None = None,
    token: str | None = None,
    *,
    client: Any = None,
    catalog_path: str = CATALOG_PATH,
    throttle: float | None = None,
) -> LoadResult:
    """Entities from the catalog files (``catalog_path``, glob allowed) of the listed owners/repositories."""
    from github import GithubException

    gh = client or make_client(base_url, token, throttle=throttle)
    reader = GitHubUrlReader(gh, [web_host(base_url)])
    loader = FileLoader(url_reader=reader)
    for entry in entries:
        entry = entry.strip().strip("/")
        if not entry:
            continue
        try:
            repos = [gh.get_repo(entry)] if "/" in entry else list(_owner_repos(gh, entry))
        except GithubException as exc:
            loader.result.errors.append(LoadError(path=f"github:{entry}", reason=_describe(exc, entry)))
            continue
        for repo in repos:
            if not getattr(repo, "archived", False):
                _load_repo(repo, catalog_path, reader, loader)
    return loader.result


def _owner_repos(gh: Any, owner: str) -> Iterable[Any]:
    from github import GithubException

    try:
        org = gh.get_organization(owner)
        return org.get_repos()
    except GithubException as exc:
        if exc.status != 404:
            raise
    return gh.get_user(owner).get_repos()


def _load_repo(repo: Any, catalog_path: str, reader: GitHubUrlReader, loader: FileLoader) -> None:
    """Load one repository's catalog files; a repository without any is silently skipped."""
    wanted = reader.know(repo) + catalog_path.lstrip("/")
    first = len(loader.result.entities)
    try:
        urls = reader.search(wanted) if glob.has_magic(wanted) or "{" in wanted else [wanted]
    except OSError as exc:
        loader.result.errors.append(LoadError(path=repo.full_name, reason=str(exc)))
        return
    origin = f"url:{wanted}"
    for url in urls:
        loader.load_url(url, origin=origin, missing_ok=True)
    for entity in loader.result.entities[first:]:
        entity.metadata.annotations.setdefault(
            "backstage.io/source-location", f"url:{repo.html_url}/tree/{repo.default_branch}/"
        )
        entity.metadata.annotations.setdefault("github.com/project-slug", repo.full_name)


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

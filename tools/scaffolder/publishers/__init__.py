"""Where publish:github sends a rendered tree: GitHub (or GitHub Enterprise) via PyGithub, or a git
repository on disk for the demo (repo URLs whose host is ``local``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tools.scaffolder.filters import parse_repo_url

LOCAL_HOST = "local"


@dataclass(frozen=True)
class RepoLocation:
    host: str
    owner: str
    repo: str

    @classmethod
    def parse(cls, repo_url: str) -> RepoLocation:
        parsed = parse_repo_url(repo_url)
        return cls(parsed["host"], parsed.get("owner") or parsed.get("organization") or "", parsed["repo"])

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.repo}"


@dataclass
class CreateOptions:
    description: str | None = None
    private: bool = True
    default_branch: str = "main"
    commit_message: str = "initial commit"
    topics: tuple[str, ...] = ()
    author_name: str = "portal-agent"
    author_email: str = "portal-agent@localhost"


@dataclass
class PullRequestOptions:
    branch: str
    title: str
    body: str = ""
    target_path: str = ""
    base: str | None = None
    draft: bool = False
    commit_message: str | None = None
    author_name: str = "portal-agent"
    author_email: str = "portal-agent@localhost"


class PublishBackend(Protocol):
    def create_repository(self, where: RepoLocation, source: Path, options: CreateOptions) -> dict[str, Any]:
        """Create the repository with ``source``'s files as its first commit; return the outputs."""

    def open_pull_request(self, where: RepoLocation, source: Path, options: PullRequestOptions) -> dict[str, Any]:
        """Commit ``source``'s files on a new branch and open a pull request; return the outputs."""

    def describe(self, where: RepoLocation) -> str:
        """Where this would publish, for previews."""


class Publishers:
    """Chooses the backend for a repo URL: ``local`` host → git on disk, else the GitHub API."""

    def __init__(
        self,
        *,
        repos_dir: Path,
        github_url: str | None = None,
        github_token: str | None = None,
        github_pace: tuple[float, float] | None = None,
    ):
        self.repos_dir = repos_dir
        self.github_url = github_url
        self.github_token = github_token
        self.github_pace = github_pace

    def for_location(self, where: RepoLocation) -> PublishBackend:
        if where.host == LOCAL_HOST:
            from tools.scaffolder.publishers.local import LocalGitPublisher

            return LocalGitPublisher(self.repos_dir)
        from tools.scaffolder.publishers.github import GitHubPublisher

        return GitHubPublisher(api_url_for(where.host, self.github_url), self.github_token, self.github_pace)


def api_url_for(host: str, configured: str | None) -> str:
    """GitHub's REST base URL for a host: the configured one, api.github.com, or GHE's /api/v3."""
    if configured:
        return configured.rstrip("/")
    if host in ("github.com", "www.github.com"):
        return "https://api.github.com"
    return f"https://{host}/api/v3"


def publishers_for(runtime: Any) -> Publishers:
    settings = runtime.settings
    token = settings.github_token.get_secret_value() if settings.github_token else None
    return Publishers(repos_dir=runtime.data_dir / "repos", github_url=settings.github_url, github_token=token)

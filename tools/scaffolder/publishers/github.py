"""publish:github and publish:github:pull-request through PyGithub (GitHub or GitHub Enterprise).

A new repository is created with ``auto_init`` (the Git Data API cannot write to an empty
repository), then the rendered tree replaces that first commit's tree in one commit on the default
branch. A pull request commits the tree on a new branch (under ``targetPath``) on top of the base
branch and opens the pull request. The token never appears in an output, a log line or an error.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from tools.scaffolder.actions.base import ActionError
from tools.scaffolder.publishers import CreateOptions, PullRequestOptions, RepoLocation


def _files(source: Path) -> list[tuple[str, bytes, str]]:
    out = []
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(source).as_posix()
            mode = "100755" if os.access(path, os.X_OK) else "100644"
            out.append((rel, path.read_bytes(), mode))
    return out


class GitHubPublisher:
    """``pace`` is PyGithub's (seconds between requests, seconds between writes); GitHub asks clients
    to space writes out to avoid secondary rate limits, a local stand-in does not need it."""

    def __init__(self, api_url: str, token: str | None, pace: tuple[float, float] | None = None):
        self.api_url = api_url
        self._token = token
        self.pace = pace

    def describe(self, where: RepoLocation) -> str:
        return f"GitHub repository {where.slug} via {self.api_url}"

    def _client(self):
        from github import Auth, Github

        if not self._token:
            raise ActionError("no GitHub token is configured (set PORTAL_AGENT_GITHUB_TOKEN)")
        kwargs = {}
        if self.pace is not None:
            kwargs = {"seconds_between_requests": self.pace[0], "seconds_between_writes": self.pace[1]}
        return Github(base_url=self.api_url, auth=Auth.Token(self._token), retry=None, timeout=30, **kwargs)

    def _tree(self, repo, files: list[tuple[str, bytes, str]], prefix: str = "") -> list[Any]:
        from github import InputGitTreeElement

        elements = []
        for rel, data, mode in files:
            path = f"{prefix.strip('/')}/{rel}" if prefix.strip("/") else rel
            try:  # text goes inline in the tree (one write for the whole tree); binary as blobs
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None and "\0" not in text:
                elements.append(InputGitTreeElement(path=path, mode=mode, type="blob", content=text))
            else:
                blob = repo.create_git_blob(base64.b64encode(data).decode("ascii"), "base64")
                elements.append(InputGitTreeElement(path=path, mode=mode, type="blob", sha=blob.sha))
        return elements

    def _wrap(self, what: str, exc: Exception) -> ActionError:
        from github import GithubException

        if isinstance(exc, GithubException):
            message = (exc.data or {}).get("message") if isinstance(exc.data, dict) else None
            return ActionError(f"{what} failed: GitHub answered {exc.status}: {message or 'error'}")
        return ActionError(f"{what} failed: {type(exc).__name__}: {exc}")

    def create_repository(self, where: RepoLocation, source: Path, options: CreateOptions) -> dict[str, Any]:
        from github import GithubException, InputGitAuthor

        gh = self._client()
        try:
            owner = gh.get_user(where.owner)
            kwargs = {"description": options.description or "", "private": options.private, "auto_init": True}
            if owner.type == "Organization":
                repo = gh.get_organization(where.owner).create_repo(where.repo, **kwargs)
            else:
                repo = gh.get_user().create_repo(where.repo, **kwargs)
            branch = repo.default_branch or "main"
            ref = repo.get_git_ref(f"heads/{branch}")
            parent = repo.get_git_commit(ref.object.sha)
            tree = repo.create_git_tree(self._tree(repo, _files(source)))
            author = InputGitAuthor(options.author_name, options.author_email)
            commit = repo.create_git_commit(options.commit_message, tree, [parent], author=author)
            ref.edit(commit.sha, force=True)
            if options.default_branch and options.default_branch != branch:
                repo.create_git_ref(f"refs/heads/{options.default_branch}", commit.sha)
                repo.edit(default_branch=options.default_branch)
                branch = options.default_branch
            if options.topics:
                repo.replace_topics(list(options.topics))
        except GithubException as exc:
            raise self._wrap(f"creating {where.slug}", exc) from exc
        except ActionError:
            raise
        except Exception as exc:  # transport errors (connection refused, timeouts)
            raise self._wrap(f"creating {where.slug}", exc) from exc
        return {
            "remoteUrl": repo.clone_url,
            "repoContentsUrl": f"{repo.html_url}/blob/{branch}",
            "commitHash": commit.sha,
        }

    def open_pull_request(self, where: RepoLocation, source: Path, options: PullRequestOptions) -> dict[str, Any]:
        from github import GithubException, InputGitAuthor

        gh = self._client()
        try:
            repo = gh.get_repo(where.slug)
            base = options.base or repo.default_branch
            base_ref = repo.get_git_ref(f"heads/{base}")
            base_commit = repo.get_git_commit(base_ref.object.sha)
            tree = repo.create_git_tree(self._tree(repo, _files(source), options.target_path), base_commit.tree)
            author = InputGitAuthor(options.author_name, options.author_email)
            commit = repo.create_git_commit(options.commit_message or options.title, tree, [base_commit], author=author)
            repo.create_git_ref(f"refs/heads/{options.branch}", commit.sha)
            pull = repo.create_pull(
                title=options.title, body=options.body, head=options.branch, base=base, draft=options.draft
            )
        except GithubException as exc:
            raise self._wrap(f"opening a pull request on {where.slug}", exc) from exc
        except ActionError:
            raise
        except Exception as exc:
            raise self._wrap(f"opening a pull request on {where.slug}", exc) from exc
        return {
            "remoteUrl": pull.html_url,
            "pullRequestNumber": pull.number,
            "targetBranchName": base,
            "commitHash": commit.sha,
        }

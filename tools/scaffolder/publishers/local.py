"""The demo's publish target: a git repository on disk (``<data dir>/repos/<owner>/<repo>``).

It uses the ``git`` command line, the same tool a person would use, so the result can be cloned,
inspected and tested like any repository. A pull request is a branch plus a JSON record under
``.git/portal-agent/pulls/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tools.scaffolder.actions.base import ActionError
from tools.scaffolder.publishers import CreateOptions, PullRequestOptions, RepoLocation


class LocalGitPublisher:
    def __init__(self, repos_dir: Path):
        self.repos_dir = repos_dir

    def path_of(self, where: RepoLocation) -> Path:
        for part in (where.owner, where.repo):
            if not part or "/" in part or part.startswith(".") or part in ("..",):
                raise ActionError(f"invalid repository name {where.slug!r}")
        return self.repos_dir / where.owner / where.repo

    def describe(self, where: RepoLocation) -> str:
        return f"local git repository {self.path_of(where)}"

    def _git(
        self,
        repo: Path,
        *args: str,
        author: tuple[str, str] = ("portal-agent", "portal-agent@localhost"),
    ) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": "portal-agent",
            "GIT_COMMITTER_EMAIL": "portal-agent@localhost",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        if done.returncode != 0:
            raise ActionError(f"git {' '.join(args[:2])} failed in {repo}: {done.stderr.strip()}")
        return done.stdout.strip()

    def create_repository(self, where: RepoLocation, source: Path, options: CreateOptions) -> dict[str, Any]:
        path = self.path_of(where)
        if path.exists() and any(path.iterdir()):
            raise ActionError(f"repository {where.slug} already exists at {path}")
        path.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, path, dirs_exist_ok=True)
        author = (options.author_name, options.author_email)
        self._git(path, "init", "-q", "-b", options.default_branch)
        if options.description:
            (path / ".git" / "description").write_text(options.description + "\n", encoding="utf-8")
        self._git(path, "add", "-A")
        self._git(path, "commit", "-q", "--allow-empty", "-m", options.commit_message, author=author)
        sha = self._git(path, "rev-parse", "HEAD")
        url = path.resolve().as_uri()
        return {"remoteUrl": url, "repoContentsUrl": f"{url}/blob/{options.default_branch}", "commitHash": sha}

    def open_pull_request(self, where: RepoLocation, source: Path, options: PullRequestOptions) -> dict[str, Any]:
        path = self.path_of(where)
        if not (path / ".git").is_dir():
            raise ActionError(f"repository {where.slug} does not exist at {path}")
        author = (options.author_name, options.author_email)
        base = options.base or self._git(path, "rev-parse", "--abbrev-ref", "HEAD")
        branches = self._git(path, "branch", "--list", options.branch)
        if branches:
            raise ActionError(f"branch {options.branch!r} already exists in {where.slug}")
        self._git(path, "checkout", "-q", "-b", options.branch, base)
        try:
            target = path / options.target_path if options.target_path else path
            shutil.copytree(source, target, dirs_exist_ok=True)
            self._git(path, "add", "-A")
            self._git(path, "commit", "-q", "-m", options.commit_message or options.title, author=author)
            sha = self._git(path, "rev-parse", "HEAD")
        finally:
            self._git(path, "checkout", "-q", "-f", base)
        pulls = path / ".git" / "portal-agent" / "pulls"
        pulls.mkdir(parents=True, exist_ok=True)
        number = len(list(pulls.glob("*.json"))) + 1
        record = {
            "number": number,
            "title": options.title,
            "body": options.body,
            "head": options.branch,
            "base": base,
            "draft": options.draft,
            "commit": sha,
        }
        (pulls / f"{number}.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
        url = path.resolve().as_uri()
        return {
            "remoteUrl": f"{url}/pull/{number}",
            "pullRequestNumber": number,
            "targetBranchName": base,
            "commitHash": sha,
        }

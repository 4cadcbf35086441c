"""publish:github and publish:github:pull-request.

They only run for real in a publishing run that went through the approval gate; in a dry run they
are skipped (as in Backstage) and their outputs are predicted from the repo URL so the dry run's
links and later steps still make sense.
"""

from __future__ import annotations

from typing import Any

from tools.scaffolder.actions.base import Action, ActionContext, ActionError, safe_child
from tools.scaffolder.filters import TemplateValueError
from tools.scaffolder.publishers import LOCAL_HOST, CreateOptions, PullRequestOptions, RepoLocation


def _location(input: dict[str, Any]) -> RepoLocation:
    try:
        where = RepoLocation.parse(str(input.get("repoUrl") or ""))
    except TemplateValueError as exc:
        raise ActionError(str(exc)) from exc
    allowed = input.get("allowedHosts")
    if allowed and where.host not in allowed and where.host != LOCAL_HOST:
        raise ActionError(f"repo URL host {where.host!r} is not one of the allowed hosts {allowed}")
    return where


def _backend(ctx: ActionContext, where: RepoLocation):
    if ctx.run.publisher is None:
        raise ActionError("no publish target is configured for this run")
    return ctx.run.publisher.for_location(where)


def _source(input: dict[str, Any], ctx: ActionContext):
    return safe_child(ctx.workspace, str(input.get("sourcePath") or "./"), "sourcePath")


def _author(input: dict[str, Any]) -> dict[str, str]:
    out = {}
    if input.get("gitAuthorName"):
        out["author_name"] = str(input["gitAuthorName"])
    if input.get("gitAuthorEmail"):
        out["author_email"] = str(input["gitAuthorEmail"])
    return out


def publish_github(input: dict[str, Any], ctx: ActionContext) -> None:
    where = _location(input)
    options = CreateOptions(
        description=input.get("description"),
        private=str(input.get("repoVisibility") or "private") != "public",
        default_branch=str(input.get("defaultBranch") or "master"),
        commit_message=str(input.get("gitCommitMessage") or "initial commit"),
        topics=tuple(input.get("topics") or ()),
        **_author(input),
    )
    source = _source(input, ctx)
    outputs = _backend(ctx, where).create_repository(where, source, options)
    ctx.run.published[outputs["repoContentsUrl"]] = source
    for name, value in outputs.items():
        ctx.output(name, value)
    ctx.info(f"published {where.slug} to {outputs['remoteUrl']}")


def publish_pull_request(input: dict[str, Any], ctx: ActionContext) -> None:
    where = _location(input)
    for key in ("branchName", "title"):
        if not input.get(key):
            raise ActionError(f"publish:github:pull-request needs input {key!r}")
    options = PullRequestOptions(
        branch=str(input["branchName"]),
        title=str(input["title"]),
        body=str(input.get("description") or ""),
        target_path=str(input.get("targetPath") or ""),
        base=input.get("targetBranchName"),
        draft=bool(input.get("draft")),
        commit_message=input.get("commitMessage"),
        **_author(input),
    )
    outputs = _backend(ctx, where).open_pull_request(where, _source(input, ctx), options)
    for name, value in outputs.items():
        ctx.output(name, value)
    ctx.info(f"opened pull request #{outputs['pullRequestNumber']} on {where.slug}: {outputs['remoteUrl']}")


def _web_base(where: RepoLocation, ctx: ActionContext) -> str:
    if where.host == LOCAL_HOST and ctx.run.publisher is not None:
        return (ctx.run.publisher.repos_dir / where.owner / where.repo).resolve().as_uri()
    return f"https://{where.host}/{where.owner}/{where.repo}"


def predict_github(input: dict[str, Any], ctx: ActionContext) -> dict[str, Any]:
    try:
        where = _location(input)
    except ActionError:
        return {"remoteUrl": "<example>", "repoContentsUrl": "<example>", "commitHash": "<example>"}
    base = _web_base(where, ctx)
    branch = str(input.get("defaultBranch") or "master")
    remote = base if where.host == LOCAL_HOST else f"{base}.git"
    return {"remoteUrl": remote, "repoContentsUrl": f"{base}/blob/{branch}", "commitHash": "<dry-run>"}


def predict_pull_request(input: dict[str, Any], ctx: ActionContext) -> dict[str, Any]:
    try:
        where = _location(input)
    except ActionError:
        return {"remoteUrl": "<example>", "pullRequestNumber": 0, "targetBranchName": "<example>"}
    return {
        "remoteUrl": f"{_web_base(where, ctx)}/pull/<new>",
        "pullRequestNumber": 0,
        "targetBranchName": input.get("targetBranchName") or "<default branch>",
    }


_REPO_URL = {"type": "string", "description": "host?owner=<owner>&repo=<repo>"}

ACTIONS = [
    Action(
        id="publish:github",
        handler=publish_github,
        predict=predict_github,
        publishes=True,
        description="Create a GitHub repository (or a local git repository for host 'local') with the "
        "workspace's files.",
        input_schema={
            "type": "object",
            "required": ["repoUrl"],
            "properties": {
                "repoUrl": _REPO_URL,
                "description": {"type": "string"},
                "defaultBranch": {"type": "string"},
                "repoVisibility": {"type": "string", "enum": ["private", "internal", "public"]},
                "gitCommitMessage": {"type": "string"},
                "sourcePath": {"type": "string"},
                "topics": {"type": "array", "items": {"type": "string"}},
                "allowedHosts": {"type": "array", "items": {"type": "string"}},
            },
        },
        output_schema={
            "type": "object",
            "properties": {
                "remoteUrl": {"type": "string"},
                "repoContentsUrl": {"type": "string"},
                "commitHash": {"type": "string"},
            },
        },
    ),
    Action(
        id="publish:github:pull-request",
        handler=publish_pull_request,
        predict=predict_pull_request,
        publishes=True,
        description="Commit the workspace's files on a new branch of an existing repository and open a pull request.",
        input_schema={
            "type": "object",
            "required": ["repoUrl", "branchName", "title"],
            "properties": {
                "repoUrl": _REPO_URL,
                "branchName": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "targetPath": {"type": "string"},
                "sourcePath": {"type": "string"},
                "draft": {"type": "boolean"},
                "targetBranchName": {"type": "string"},
                "commitMessage": {"type": "string"},
            },
        },
        output_schema={
            "type": "object",
            "properties": {
                "remoteUrl": {"type": "string"},
                "pullRequestNumber": {"type": "number"},
                "targetBranchName": {"type": "string"},
            },
        },
    ),
]

"""The action registry: the built-in actions this engine runs, and the Backstage actions it knows of.

Known-but-not-runnable actions (``publish:gitlab``, ``fetch:rails``, …) are skipped in a dry run
exactly as Backstage skips actions that do not support dry runs; a publishing run that needs one
is refused before anything is published. Any other action id is an error naming it.
"""

from __future__ import annotations

from tools.scaffolder.actions.base import Action, ActionError, UnknownActionError
from tools.scaffolder.actions.catalog import ACTIONS as _CATALOG
from tools.scaffolder.actions.fetch import ACTIONS as _FETCH
from tools.scaffolder.actions.files import ACTIONS as _FILES
from tools.scaffolder.actions.publish import ACTIONS as _PUBLISH

BUILTIN: dict[str, Action] = {a.id: a for a in [*_FETCH, *_FILES, *_CATALOG, *_PUBLISH]}

# Backstage (and its common modules) ship these; this engine cannot run them.
KNOWN_ELSEWHERE = {
    "fetch:rails": "runs `rails new` in a container",
    "publish:gitlab": "GitLab publishing",
    "publish:gitlab:merge-request": "GitLab publishing",
    "publish:bitbucket": "Bitbucket publishing",
    "publish:bitbucketCloud": "Bitbucket publishing",
    "publish:bitbucketServer": "Bitbucket publishing",
    "publish:bitbucketServer:pull-request": "Bitbucket publishing",
    "publish:azure": "Azure DevOps publishing",
    "publish:gerrit": "Gerrit publishing",
    "publish:gitea": "Gitea publishing",
    "github:actions:dispatch": "GitHub Actions dispatch",
    "github:pages:enable": "GitHub Pages settings",
    "github:repo:create": "GitHub repository settings",
    "github:repo:push": "git push",
    "github:webhook": "GitHub webhooks",
    "github:issues:label": "GitHub issues",
    "github:environment:create": "GitHub environments",
    "github:deployKey:create": "GitHub deploy keys",
    "github:autolinks:create": "GitHub autolinks",
    "notification:send": "Backstage notifications",
    "catalog:fetch": "catalog lookups from a template",
    "confluence:transform:markdown": "Confluence import",
    "gitlab:group:ensureExists": "GitLab groups",
    "gitlab:projectAccessToken:create": "GitLab tokens",
    "gitlab:projectDeployToken:create": "GitLab tokens",
    "gitlab:projectVariable:create": "GitLab variables",
}


def get_action(action_id: str) -> Action:
    if action_id in BUILTIN:
        return BUILTIN[action_id]
    if action_id in KNOWN_ELSEWHERE:
        return Action(
            id=action_id, description=KNOWN_ELSEWHERE[action_id], handler=_not_here(action_id), publishes=True
        )
    raise UnknownActionError(
        f"Template action with ID '{action_id}' is not registered. Available actions: " + ", ".join(sorted(BUILTIN))
    )


def runnable(action_id: str) -> bool:
    return action_id in BUILTIN


def _not_here(action_id: str):
    def handler(input, ctx):
        raise ActionError(
            f"action {action_id!r} ({KNOWN_ELSEWHERE[action_id]}) is a Backstage action that portal-agent cannot run"
        )

    return handler


__all__ = ["BUILTIN", "KNOWN_ELSEWHERE", "Action", "ActionError", "UnknownActionError", "get_action", "runnable"]

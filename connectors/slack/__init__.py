"""The Slack connector: a slack-bolt AsyncApp over :class:`agent.service.AgentService`.

Importing this package is cheap; slack-bolt is imported by the modules that need it
(``app``, ``http``, ``socket``), so the CLI and the web app only pay for it when Slack is on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contract.settings import Settings


def http_configured(settings: Settings) -> bool:
    """Whether HTTP events can be served: a bot token and a signing secret are both set."""
    return bool(settings.slack_bot_token and settings.slack_signing_secret)


def socket_configured(settings: Settings) -> bool:
    """Whether Socket Mode can run: a bot token and an app-level token are both set."""
    return bool(settings.slack_bot_token and settings.slack_app_token)

"""What a family needs to know about the chat model it may be handed (``FamilyRuntime.chat_model``).

The agent builds the model (``agent.model``); a family that asks one for text (the scaffolder
drafting a template) only needs the error it raises when the setting is unusable, and a message
for the user when a call fails.
"""

from __future__ import annotations

from contract.settings import Settings


class ModelConfigError(ValueError):
    """The model setting cannot be used as written."""


def describe_model_error(exc: Exception, settings: Settings) -> str:
    """A short message for the user when the model call failed (after the client's retries)."""
    where = settings.model_base_url or "the OpenAI API"
    kind = type(exc).__name__
    lineage = {cls.__name__ for cls in type(exc).__mro__}  # client wrappers subclass the openai errors
    if lineage & {"APIConnectionError", "APITimeoutError", "ConnectError", "TimeoutException"}:
        return (
            f"The language model ({settings.model}) at {where} could not be reached ({kind}). "
            "Check PORTAL_AGENT_MODEL_BASE_URL and that the server is up, or set PORTAL_AGENT_MODEL=offline."
        )
    if lineage & {"AuthenticationError", "PermissionDeniedError"}:
        return f"The language model at {where} refused the credentials ({kind}). Check the API key."
    if "RateLimitError" in lineage:
        return f"The language model at {where} is rate-limiting requests; try again in a moment."
    return f"The language model call failed: {kind}: {exc}"

"""The model factory: the offline planner by default, or any OpenAI-compatible chat model.

``PORTAL_AGENT_MODEL`` is ``offline``, ``openai:<model>`` (uses ``OPENAI_API_KEY``) or
``openai-compatible:<model>`` with ``PORTAL_AGENT_MODEL_BASE_URL`` (vLLM, Ollama, LiteLLM…).
"""

from __future__ import annotations

import os

from langchain_core.language_models import BaseChatModel

from agent.config import Settings
from agent.runtime import Runtime


class ModelConfigError(ValueError):
    """The model setting cannot be used as written."""


def create_model(runtime: Runtime) -> BaseChatModel:
    settings = runtime.settings
    spec = settings.model.strip()
    if spec in ("", "offline"):
        from agent.planner.model import OfflinePlanner

        return OfflinePlanner(runtime=runtime)
    provider, _, name = spec.partition(":")
    if not name:
        raise ModelConfigError(
            f"PORTAL_AGENT_MODEL={spec!r}: expected offline, openai:<model> or openai-compatible:<model>"
        )
    from langchain_openai import ChatOpenAI

    key = settings.model_api_key.get_secret_value() if settings.model_api_key else None
    if provider == "openai":
        key = key or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise ModelConfigError("openai models need OPENAI_API_KEY (or PORTAL_AGENT_MODEL_API_KEY)")
        return ChatOpenAI(
            model=name,
            api_key=key,
            base_url=settings.model_base_url,
            timeout=settings.model_timeout,
            max_retries=settings.model_max_retries,
        )
    if provider == "openai-compatible":
        if not settings.model_base_url:
            raise ModelConfigError("openai-compatible models need PORTAL_AGENT_MODEL_BASE_URL")
        return ChatOpenAI(
            model=name,
            api_key=key or "not-needed",
            base_url=settings.model_base_url,
            timeout=settings.model_timeout,
            max_retries=settings.model_max_retries,
        )
    raise ModelConfigError(f"unknown model provider {provider!r} in PORTAL_AGENT_MODEL={spec!r}")


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

"""The model factory: the offline planner by default, or any OpenAI-compatible chat model.

``PORTAL_AGENT_MODEL`` is ``offline``, ``openai:<model>`` (uses ``OPENAI_API_KEY``) or
``openai-compatible:<model>`` with ``PORTAL_AGENT_MODEL_BASE_URL`` (vLLM, Ollama, LiteLLM…).
"""

from __future__ import annotations

import os

from langchain_core.language_models import BaseChatModel

from agent.runtime import Runtime
from contract.chat_model import ModelConfigError


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

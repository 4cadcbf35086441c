"""Effective configuration: environment variables, then an optional ``portal-agent.yaml``.

Every source is a setting so that one process can be pointed at a real Backstage, cluster or
billing export without code changes. When no source at all is configured the embedded demo
organisation is used; as soon as one is configured, only configured sources are used.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

CONFIG_FILE_ENV = "PORTAL_AGENT_CONFIG"
DEFAULT_CONFIG_FILE = "portal-agent.yaml"

# Settings that name a place data comes from. If any is set, the demo organisation is off.
SOURCE_FIELDS = (
    "catalog",
    "docs",
    "kubeconfig",
    "kubernetes_snapshot",
    "focus",
    "opencost_url",
    "templates",
    "runbooks",
)


def _split_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


class _YamlFileSource(PydanticBaseSettingsSource):
    """Reads ``portal-agent.yaml`` (or the file named by ``PORTAL_AGENT_CONFIG``)."""

    def __init__(self, settings_cls: type[BaseSettings]):
        super().__init__(settings_cls)
        path = Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))
        self._data: dict[str, Any] = {}
        if path.is_file():
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(loaded, dict):
                raise ValueError(f"{path}: the configuration file must be a mapping of settings")
            self._data = {str(k).lower().replace("-", "_"): v for k, v in loaded.items()}

    def get_field_value(self, field, field_name):  # pragma: no cover - required by the base class
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_AGENT_", extra="ignore", populate_by_name=True)

    # --- model ---------------------------------------------------------------------------------
    model: str = Field("offline", description="offline | openai:<model> | openai-compatible:<model>")
    model_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server")
    model_api_key: SecretStr | None = Field(None, description="API key for the model (else OPENAI_API_KEY)")
    model_timeout: float = Field(60.0, description="Seconds before one model call is abandoned")
    model_max_retries: int = Field(2, description="Retries with exponential backoff on transient errors")

    # --- storage -------------------------------------------------------------------------------
    data_dir: Path = Field(Path(".portal-agent"), description="SQLite, indexes and the audit log")
    database_url: str | None = Field(None, description="postgresql://… keeps shared state in PostgreSQL (else SQLite)")
    audit_key: SecretStr | None = Field(
        None, description="Hex MAC key of the audit chain (replicas sharing PostgreSQL need the same one)"
    )

    # --- sources (comma-separated lists) -------------------------------------------------------
    catalog: list[str] = Field(default_factory=list, description="Catalog dirs, YAML files, Backstage URLs")
    backstage_token: SecretStr | None = Field(None, description="Bearer token for the Backstage API")
    docs: list[str] = Field(default_factory=list, description="Markdown folders and mkdocs sites")
    chroma_url: str | None = Field(None, description="Chroma server URL (else embedded PersistentClient)")
    kubeconfig: list[str] = Field(default_factory=list, description="Kubeconfig files (all contexts used)")
    kubernetes_snapshot: list[str] = Field(
        default_factory=list,
        description="Read-only cluster snapshots: files or folders of Kubernetes objects (JSON/YAML), one cluster each",
    )
    focus: list[str] = Field(default_factory=list, description="FOCUS billing exports (CSV/Parquet)")
    opencost_url: str | None = Field(None, description="OpenCost API base URL")
    templates: list[str] = Field(default_factory=list, description="Scaffolder template dirs or files")
    runbooks: list[str] = Field(default_factory=list, description="Runbook folders")
    github_url: str | None = Field(None, description="GitHub Enterprise API URL (else api.github.com)")
    github_token: SecretStr | None = Field(None, description="GitHub token for discovery and publishing")
    github_discovery: list[str] = Field(default_factory=list, description="owner or owner/repo to scan")
    github_catalog_path: str = Field(
        "/catalog-info.yaml", description="Catalog files discovery reads per repository (glob: /**/catalog-info.yaml)"
    )

    # --- connectors ----------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(None, description="Slack bot token (xoxb-…)")
    slack_signing_secret: SecretStr | None = Field(None, description="Slack signing secret (HTTP events)")
    slack_app_token: SecretStr | None = Field(None, description="Slack app-level token (xapp-…, Socket Mode)")
    slack_api_url: str | None = Field(None, description="Slack Web API base URL (proxies, tests)")
    slack_native_streaming: bool = Field(
        True, description="Stream answers with chat.startStream/appendStream/stopStream (else chat.update)"
    )
    slack_max_concurrent_turns: int | None = Field(
        None, ge=1, description="Slack turns run at once per process (default: 1 offline, 8 with an LLM)"
    )
    web_api_tokens: list[str] = Field(default_factory=list, description="token=user:default/name pairs")
    # --- MCP (issue 17): the same tokens identify MCP callers over HTTP ------------------------
    mcp_mutating_tools: bool = Field(
        False, description="List mutating tools over MCP (a call creates an approval request, never runs)"
    )
    mcp_user: str | None = Field(None, description="The catalog User an MCP client over stdio acts as")
    mcp_servers: SecretStr | None = Field(
        None,
        description='MCP servers whose tools become families: JSON {"name": {"url": …, "token": …} | '
        '{"command": …, "args": [...]}} or name=url,name=url',
    )
    web_allowed_origins: list[str] = Field(default_factory=list, description="CORS origins for the widget")
    # Added for the web connector (issue 8): only behind an authenticating proxy may these be trusted.
    web_trust_proxy_headers: bool = Field(
        False, description="Trust the identity header set by an authenticating reverse proxy (OIDC)"
    )
    web_trusted_identity_header: str = Field(
        "X-Forwarded-Email",
        pattern=r"^[A-Za-z0-9-]+$",
        description="The one header that proxy sets: the signed-in person's email (or catalog User name)",
    )
    web_forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description="Proxy addresses whose X-Forwarded-For/-Proto uvicorn believes (empty: none)",
    )
    web_rate_limit_per_minute: int = Field(30, ge=0, description="Runs and decisions per user per minute (0: off)")
    web_read_rate_limit_per_minute: int = Field(
        300, ge=0, description="Thread creation, lists, state and history reads per user per minute (0: off)"
    )
    web_max_request_bytes: int = Field(65536, gt=0, description="Largest accepted request body")

    # --- behaviour -----------------------------------------------------------------------------
    demo: bool = Field(False, description="Force the embedded demo organisation")
    read_only: bool = Field(False, description="Disable every mutating tool")
    admin_groups: list[str] = Field(default_factory=list, description="Groups that may approve anything")
    four_eyes_production: bool = Field(True, description="Requester may not approve in production")
    approval_ttl_minutes: int = Field(30, ge=0, description="How long an approval request stays valid")
    approval_claim_lease_seconds: int = Field(
        60, ge=1, description="How long a decision being applied holds its request before another may take it over"
    )
    claim_holder_lease_seconds: float = Field(
        30.0,
        gt=0,
        description="How long a replica on another host counts as alive after its last claim heartbeat",
    )
    slack_claim_lease_seconds: float = Field(
        45.0, gt=0, description="How long a replica's claim on a Slack delivery lasts before a retry may take it over"
    )
    tool_output_tokens: int = Field(2000, description="Cap on one tool output sent to the model")
    history_tokens: int = Field(6000, description="Cap on conversation history sent to the model")
    default_user: str = Field("user:default/guest", description="Principal for the CLI when --user is absent")

    # --- operations (agent/telemetry) ----------------------------------------------------------
    log_format: Literal["text", "json"] = Field(
        "text", description="text for people, json for a log pipeline: one object per line, secrets redacted"
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Least severe level logged")
    telemetry_otlp_endpoint: str | None = Field(
        None, description="OTLP/gRPC collector for traces of turns, model and tool calls (unset: no tracing)"
    )
    telemetry_service_name: str = Field("portal-agent", description="service.name of the traces")
    shutdown_grace_seconds: float = Field(
        25.0, ge=0, description="On SIGTERM: how long runs in progress may take to finish before the server exits"
    )

    # --- cost (tools/cost) ---------------------------------------------------------------------
    cost_entity_tags: list[str] = Field(
        default_factory=lambda: ["service", "app.kubernetes.io/name", "app"],
        description="Tag/label keys naming the catalog entity a charge belongs to, first match wins",
    )
    cost_team_tags: list[str] = Field(
        default_factory=lambda: ["team", "owner"], description="Tag/label keys naming the owning team"
    )
    cost_env_tags: list[str] = Field(
        default_factory=lambda: ["env", "environment"], description="Tag/label keys naming the environment"
    )
    demo_today: date | None = Field(
        None, description="Pin 'today' for cost periods and the demo data (which ends on it); evals pin it"
    )

    @field_validator(
        "catalog",
        "docs",
        "kubeconfig",
        "kubernetes_snapshot",
        "focus",
        "templates",
        "runbooks",
        "github_discovery",
        "admin_groups",
        "web_api_tokens",
        "web_allowed_origins",
        "web_forwarded_allow_ips",
        "cost_entity_tags",
        "cost_team_tags",
        "cost_env_tags",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value: Any) -> list[str]:
        return _split_list(value)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        return (init_settings, _NoDecodeEnv(settings_cls), _YamlFileSource(settings_cls))

    # -------------------------------------------------------------------------------------------
    @property
    def uses_demo(self) -> bool:
        """The demo organisation is used when forced, or when no source at all is configured."""
        if self.demo:
            return True
        return not any(getattr(self, name) for name in SOURCE_FIELDS)

    def masked(self) -> dict[str, Any]:
        """The effective configuration with every secret replaced by a mask, for display."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else ""
            elif name == "web_api_tokens":
                value = [f"********={v.split('=', 1)[-1]}" for v in value]
            elif isinstance(value, str) and "://" in value and "@" in value:
                value = _mask_url_credentials(value)
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        out["uses_demo"] = self.uses_demo
        return out


def _mask_url_credentials(url: str) -> str:
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:********@{host}"


class _NoDecodeEnv(PydanticBaseSettingsSource):
    """Environment variables read as plain strings, so lists may be written comma-separated."""

    def get_field_value(self, field, field_name):  # pragma: no cover - required by the base class
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        prefix = self.settings_cls.model_config.get("env_prefix", "")
        out: dict[str, Any] = {}
        for name in self.settings_cls.model_fields:
            raw = os.environ.get(f"{prefix}{name}".upper())
            if raw is not None and raw != "":
                out[name] = raw
        return out


class ConfigError(ValueError):
    """Settings that cannot be used, each named with its environment variable and what is wrong."""


def describe_errors(error: ValidationError) -> str:
    """One line per bad setting: ``name (PORTAL_AGENT_NAME): why, got value``."""
    prefix = Settings.model_config.get("env_prefix", "")
    lines = []
    for item in error.errors():
        name = ".".join(str(part) for part in item.get("loc", ())) or "settings"
        env = f"{prefix}{name}".upper()
        lines.append(f"{name} ({env}): {item.get('msg', 'invalid')}, got {item.get('input')!r}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and config file, with explicit overrides on top.

    Raises :class:`ConfigError` naming every setting that is out of range or malformed (a
    negative rate limit, a body limit of 0), rather than starting with a limit silently off.
    """
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc)) from exc

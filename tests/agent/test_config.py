from __future__ import annotations

import pytest

from contract.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    import os

    for key in list(os.environ):
        if key.startswith("PORTAL_AGENT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_use_the_demo_and_the_offline_model():
    settings = load_settings()
    assert settings.model == "offline"
    assert settings.uses_demo
    assert str(settings.data_dir) == ".portal-agent"


def test_comma_separated_environment_lists(monkeypatch):
    monkeypatch.setenv("PORTAL_AGENT_CATALOG", "a/, b.yaml ,https://backstage.example")
    settings = load_settings()
    assert settings.catalog == ["a/", "b.yaml", "https://backstage.example"]
    assert not settings.uses_demo


def test_any_configured_source_turns_the_demo_off_unless_forced(monkeypatch):
    monkeypatch.setenv("PORTAL_AGENT_FOCUS", "bills/")
    assert not load_settings().uses_demo
    monkeypatch.setenv("PORTAL_AGENT_DEMO", "true")
    assert load_settings().uses_demo


def test_yaml_file_and_environment_precedence(tmp_path, monkeypatch):
    (tmp_path / "portal-agent.yaml").write_text("model: openai:gpt-4o-mini\nread-only: true\ncatalog: [x.yaml]\n")
    settings = load_settings()
    assert settings.model == "openai:gpt-4o-mini" and settings.read_only and settings.catalog == ["x.yaml"]
    monkeypatch.setenv("PORTAL_AGENT_MODEL", "offline")
    assert load_settings().model == "offline"


def test_config_file_that_is_not_a_mapping_is_named(tmp_path):
    (tmp_path / "portal-agent.yaml").write_text("- a\n- b\n")
    with pytest.raises(ValueError, match=r"portal-agent\.yaml"):
        load_settings()


def test_masked_hides_every_secret(monkeypatch):
    monkeypatch.setenv("PORTAL_AGENT_SLACK_BOT_TOKEN", "xoxb-123-secret")
    monkeypatch.setenv("PORTAL_AGENT_GITHUB_TOKEN", "ghp_supersecret")
    monkeypatch.setenv("PORTAL_AGENT_DATABASE_URL", "postgresql://app:hunter2@db:5432/portal")
    monkeypatch.setenv("PORTAL_AGENT_WEB_API_TOKENS", "tok123=user:default/jane")
    masked = Settings().masked()
    text = repr(masked)
    for secret in ("xoxb-123-secret", "ghp_supersecret", "hunter2", "tok123"):
        assert secret not in text
    assert masked["database_url"] == "postgresql://app:********@db:5432/portal"
    assert masked["web_api_tokens"] == ["********=user:default/jane"]

"""Out-of-range settings are refused with the setting named, never silently accepted (issue 14)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contract.settings import ConfigError, Settings, load_settings
from tests.security.servers import Served


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("approval_ttl_minutes", -1),
        ("web_rate_limit_per_minute", -5),
        ("web_read_rate_limit_per_minute", -1),
        ("web_max_request_bytes", 0),
        ("web_max_request_bytes", -65536),
        ("web_trusted_identity_header", "X-Email: evil"),
    ],
)
def test_bad_values_are_refused_naming_the_setting(monkeypatch, tmp_path, name, value):
    with pytest.raises(ValidationError) as direct:
        Settings(data_dir=tmp_path, **{name: value})
    assert name in str(direct.value)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(f"PORTAL_AGENT_{name.upper()}", str(value))
    with pytest.raises(ConfigError) as loaded:
        load_settings()
    assert f"{name} (PORTAL_AGENT_{name.upper()})" in str(loaded.value)


def test_limits_of_zero_still_mean_off_where_documented(tmp_path):
    settings = Settings(data_dir=tmp_path, approval_ttl_minutes=0, web_rate_limit_per_minute=0)
    assert settings.web_rate_limit_per_minute == 0 and settings.approval_ttl_minutes == 0


@pytest.mark.slow
def test_serve_exits_with_the_bad_settings_named(tmp_path):
    server = Served(
        tmp_path,
        "bad",
        web_max_request_bytes="0",
        approval_ttl_minutes="-30",
        web_rate_limit_per_minute="-1",
    )
    done = server.run_cli("serve", "--port", "1", timeout=120)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    for env in ("PORTAL_AGENT_WEB_MAX_REQUEST_BYTES", "PORTAL_AGENT_APPROVAL_TTL_MINUTES"):
        assert env in done.stderr
    assert "PORTAL_AGENT_WEB_RATE_LIMIT_PER_MINUTE" in done.stderr
    assert "Traceback" not in done.stderr

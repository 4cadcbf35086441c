"""Secret masking (agent/redact.py): by name, by place and by shape, and what must stay readable."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from agent.redact import MASK, install_log_redaction, redact, redact_text, secret_name

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ.SflKxwRJSMeKKF2QT4fwpM"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm\n-----END RSA PRIVATE KEY-----"
BASIC = base64.b64encode(b"app:hunter2-basic").decode()

# (text, the secret that must go, what must stay)
MASKED = [
    ("DB_PASSWORD=hunter2", "hunter2", "DB_PASSWORD="),
    ('export DB_PASSWORD="hunter2" && run', "hunter2", "&& run"),
    ("db_password: hunter2", "hunter2", "db_password: "),
    ("PGPASSWORD=pg-s3cret psql -h db", "pg-s3cret", "psql -h db"),
    ("postgres://app:s3cr3t@db/x", "s3cr3t", "postgres://app:[redacted]@db/x"),
    ("redis://:r3dis-pw@cache:6379/0", "r3dis-pw", "@cache:6379/0"),
    ("mongodb+srv://svc:m0ng0pw@cluster0.example.net/app", "m0ng0pw", "svc:"),
    (f"Authorization: Basic {BASIC}", BASIC, "Authorization: Basic [redacted]"),
    ("authorization: Bearer abcdefghijklmnopqrstu", "abcdefghijklmnopqrstu", "Bearer [redacted]"),
    ("curl -H 'Authorization: token ghs_0123456789abcdefghijABCDEFGHIJ' x", "ghs_0123456789", "curl -H"),
    (f"got basic {BASIC} from the client", BASIC, "from the client"),
    ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI", "AWS_SECRET_ACCESS_KEY="),
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "aws_access_key_id"),
    (f"session {JWT} accepted", JWT, "accepted"),
    (f"key:\n{PEM}\nnext line", "MIIEpAIBAAKCAQEA", "next line"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE", "b3BlbnNzaC1rZXkt", ""),
    ('{"password": "hunter2", "user": "app"}', "hunter2", '"user": "app"'),
    ('{"apiKey":"k-1234567890"}', "k-1234567890", '"apiKey"'),
    ("client_secret: abc123xyz", "abc123xyz", "client_secret"),
    ("SLACK_SIGNING_SECRET=8f14e45fceea167a5a36dedd4bea2543", "8f14e45fceea", "SLACK_SIGNING_SECRET"),
    ("X-Api-Key: live-key-998877", "live-key-998877", "X-Api-Key"),
    ("Cookie: session=abc123; theme=dark", "abc123", "Cookie: "),
    ("{name: DB_PASSWORD, value: hunter2}", "hunter2", "name: DB_PASSWORD"),
    ("- name: DB_PASSWORD\n  value: hunter2\n- name: LOG_LEVEL\n  value: debug", "hunter2", "value: debug"),
    ('{"name":"STRIPE_API_KEY","value":"pk-in-env"}', "pk-in-env", "STRIPE_API_KEY"),
    # inside JSON-escaped text, as a tool result's log line travels to the model
    (json.dumps({"log": '{"password": "hunter2"} ok'}), "hunter2", "ok"),
    (json.dumps({"log": "2026-11-24 DB_PASSWORD=hunter2 connected"}), "hunter2", "connected"),
    (json.dumps({"log": "env: - name: STRIPE_SECRET\n  value: sk-in-env-123"}), "sk-in-env-123", "STRIPE_SECRET"),
    ("ERROR boot: DB_PASSWORD=hunter2 rejected", "hunter2", "rejected"),
    ("xoxb-1234567890-abcdefghij", "xoxb-1234567890", ""),
    ("ghp_abcdefghijklmnopqrstuvwxyz0123", "ghp_abcdef", ""),
]

UNTOUCHED = [
    "password policy docs",
    "token_budget: 3000",
    "max_tokens=4096",
    "history_tokens: 6000",
    "password_policy: see the handbook",
    "secretName: db-credentials",
    "valueFrom: {secretKeyRef: {name: db, key: password}}",
    "primary_key: id",
    "basic authentication is disabled",
    "Basic setup takes five minutes",
    "the token expired, ask for a new one",
    "PWD=/home/app",
    "password: ${DB_PASSWORD}",
    "password: {{ .Values.db.password }}",
    "url: https://docs.example.com/a:b",
    "https://grafana.tessera.example/d/pricing/pricing-overview",
    "replicas=3 ready=2",
    "bypass: false",
]


@pytest.mark.parametrize(("text", "secret", "kept"), MASKED)
def test_secrets_are_masked(text, secret, kept):
    out = redact_text(text)
    assert secret not in out and MASK in out
    assert kept in out


@pytest.mark.parametrize("text", UNTOUCHED)
def test_lookalikes_are_left_alone(text):
    assert redact_text(text) == text


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("aws_access_key_id", False),
        ("apiKey", True),
        ("APIKey", True),
        ("x-api-key", True),
        ("GITHUB_TOKEN", True),
        ("web_api_tokens", True),
        ("private_key", True),
        ("oauthClientSecret", True),
        ("credentials", True),
        ("token_budget", False),
        ("max_tokens", False),
        ("password_policy", False),
        ("secretName", False),
        ("key", False),
        ("PWD", False),
        ("MYSQL_PWD", True),
    ],
)
def test_secret_names(name, secret):
    assert secret_name(name) is secret


def test_structures_by_key_env_entry_and_secret_kind():
    value = {
        "env": [{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "LOG_LEVEL", "value": "debug"}],
        "secret": {"kind": "Secret", "data": {"tls.key": "LS0tLS1CRUdJTg==", "user": "YXBw"}},
        "token_budget": 3000,
        "password_policy_url": "https://docs.example.com/pw",
        "note": "dsn postgres://app:s3cr3t@db/x",
    }
    out = redact(value)
    assert out["env"][0] == {"name": "DB_PASSWORD", "value": MASK}
    assert out["env"][1] == {"name": "LOG_LEVEL", "value": "debug"}
    assert out["secret"]["data"] == {"tls.key": MASK, "user": MASK}
    assert out["token_budget"] == 3000 and out["password_policy_url"] == "https://docs.example.com/pw"
    assert out["note"] == "dsn postgres://app:[redacted]@db/x"


def test_secret_looking_keys_with_harmless_values_stay_readable():
    value = {"token_budget": "3000", "password_policy": "docs", "secretName": "db-creds", "max_tokens": "4096"}
    assert redact(value) == value


def test_large_inputs_stay_fast():
    import time

    text = ("x" * 5000 + ' a="b ') * 40 + "DB_PASSWORD=hunter2"
    started = time.perf_counter()
    out = redact_text(text)
    assert "hunter2" not in out and time.perf_counter() - started < 1.0


def test_every_log_record_is_redacted(caplog):
    install_log_redaction()
    install_log_redaction()  # idempotent
    log = logging.getLogger("tests.redact")
    with caplog.at_level(logging.INFO, logger="tests.redact"):
        log.info("connecting to %s with DB_PASSWORD=%s", "postgres://app:s3cr3t@db/x", "hunter2")
        try:
            raise RuntimeError("Authorization: Bearer abcdefghijklmnopqrstuvwxyz")
        except RuntimeError:
            log.exception("failed with token ghp_abcdefghijklmnopqrstuvwxyz0123")
    text = caplog.text
    assert "s3cr3t" not in text and "hunter2" not in text
    assert "abcdefghijklmnopqrstuvwxyz" not in text and "ghp_abcdef" not in text
    assert "postgres://app:[redacted]@db/x" in text and "RuntimeError" in text  # the rest is readable

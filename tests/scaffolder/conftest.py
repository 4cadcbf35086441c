"""Shared fixtures: a runtime with the demo organisation and only the scaffolder family, and the
locations of the real Backstage templates under ``../shared/fixtures`` (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.runtime import Runtime
from contract.settings import Settings
from tools.scaffolder import family

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / ".." / "shared" / "fixtures" / "backstage"
SOFTWARE_TEMPLATES = FIXTURES / "backstage__software-templates" / "scaffolder-templates"
DEMO_TEMPLATE = FIXTURES / "backstage__demo" / "demo-template" / "template" / "template.yaml"
DEMO_TEMPLATES = REPO / "demo" / "templates"


def make_runtime(data_dir: Path, **settings) -> Runtime:
    base = {"data_dir": data_dir, "demo": True, "admin_groups": ["team-platform"]}
    return Runtime(Settings(**{**base, **settings}), extra_families=[family], builtin_families=False)


@pytest.fixture
def runtime(tmp_path) -> Runtime:
    return make_runtime(tmp_path)

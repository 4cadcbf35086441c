"""The scaffolder's test inputs: the real Backstage templates in ``../shared/fixtures`` (skipped
when absent), the demo templates, and a runtime with the demo organisation and only the scaffolder."""

from __future__ import annotations

from pathlib import Path

from agent.runtime import Runtime
from contract.settings import Settings
from tests.support.paths import REPO, SHARED_FIXTURES
from tools.scaffolder import family

FIXTURES = SHARED_FIXTURES / "backstage"
SOFTWARE_TEMPLATES = FIXTURES / "backstage__software-templates" / "scaffolder-templates"
DEMO_TEMPLATE = FIXTURES / "backstage__demo" / "demo-template" / "template" / "template.yaml"
DEMO_TEMPLATES = REPO / "demo" / "templates"


def make_runtime(data_dir: Path, **settings) -> Runtime:
    base = {"data_dir": data_dir, "demo": True, "admin_groups": ["team-platform"]}
    return Runtime(Settings(**{**base, **settings}), extra_families=[family], builtin_families=False)

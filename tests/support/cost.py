"""The cost family's test inputs: the real billing exports in ``../shared/fixtures`` (skipped when
absent) and a runtime over given FOCUS files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.paths import SHARED_FIXTURES


def fixture_dir(name: str) -> Path:
    path = SHARED_FIXTURES / name
    if not path.is_dir():
        pytest.skip(f"shared fixtures folder {path} is absent (fresh clone)")
    return path


def focus_runtime(tmp_path: Path, *paths: Path, **settings):
    """A runtime over these FOCUS files only (cost family alone, no catalog), and a guest's context."""
    import tools.cost
    from agent.runtime import Runtime
    from contract.principal import Principal
    from contract.settings import Settings
    from contract.tooling import ToolContext

    runtime = Runtime(
        Settings(data_dir=tmp_path, focus=[str(p) for p in paths], **settings),
        builtin_families=False,
        extra_families=[tools.cost.family],
    )
    return runtime, ToolContext(runtime, Principal(ref="user:default/guest"))

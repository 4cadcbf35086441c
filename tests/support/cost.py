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


def focus_sample() -> Path:
    """The FOCUS 1.0 sample export (1,000 rows, September 2024)."""
    return fixture_dir("focus") / "focus_sample.csv"


def focus_sample_rows() -> list[dict[str, str]]:
    """The sample's rows as the csv module reads them: the independent side of every figure check."""
    import csv

    with focus_sample().open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def ask(service, question: str):
    """(turn, answer) of a guest's question."""
    turn = service.ask(question, service.principal("user:default/guest", via="test"))
    return turn, turn.answer


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

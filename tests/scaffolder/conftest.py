"""Fixtures of the scaffolder tests: a runtime with the demo organisation and only the scaffolder."""

from __future__ import annotations

import pytest

from agent.runtime import Runtime
from tests.support.scaffolder import make_runtime


@pytest.fixture
def runtime(tmp_path) -> Runtime:
    return make_runtime(tmp_path)

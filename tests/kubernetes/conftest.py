from __future__ import annotations

import pytest

from tests.support.kubernetes import runtime_for, start_server


@pytest.fixture
def server():
    srv = start_server()
    yield srv
    srv.stop()


@pytest.fixture
def runtime(tmp_path, server):
    return runtime_for(tmp_path, server)

"""The fixtures any test package may use, registered once for the whole suite by
``tests/conftest.py`` (``pytest_plugins``). A fixture only one package uses stays in that
package's conftest."""

from __future__ import annotations

import pytest

from demo import DEMO_TODAY


@pytest.fixture
def demo_today(monkeypatch) -> None:
    """Pin "today" to the demo organisation's day: every Settings built afterwards reads
    ``PORTAL_AGENT_DEMO_TODAY``, so no period depends on the day the tests run."""
    monkeypatch.setenv("PORTAL_AGENT_DEMO_TODAY", DEMO_TODAY.isoformat())


from tests.support.chroma import chroma_server  # noqa: E402,F401  (fixture)
from tests.support.postgres import postgres_server, postgres_url  # noqa: E402,F401  (fixtures)

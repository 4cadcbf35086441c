"""Where the test suite's inputs live: the repository, its demo organisation, the tests' own data
folders and the real-world fixtures in ``../shared/fixtures`` (absent in a user's fresh clone)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
SHARED_FIXTURES = REPO / ".." / "shared" / "fixtures"

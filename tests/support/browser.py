"""Debian's headless Chromium driven by Playwright, for the web widget's browser tests.

Never a downloaded browser: ``make test`` installs Debian's ``chromium``; without it the tests skip.
Screenshots are kept under ``tests/web/artifacts/`` (gitignored).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PORTAL_AGENT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "web" / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NEEDS_CHROMIUM = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)),
        reason=f"no system Chromium at {CHROMIUM} (apt-get install chromium)",
    ),
]


def launch(playwright):
    ARTIFACTS.mkdir(exist_ok=True)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def ask(page, text: str) -> None:
    box = page.get_by_role("textbox", name="Your question")
    box.fill(text)
    box.press("Enter")

"""Prompt texts live in ``prompts/*.md``; this module only reads and fills them."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@lru_cache(maxsize=32)
def load_prompt(name: str) -> str:
    path = PROMPTS_DIR / f"{name}.md"
    return path.read_text(encoding="utf-8").strip() if path.exists() else ""


def system_prompt(*, principal: str, via: str, families: list[str], company: str = "the company") -> str:
    """The system prompt plus each enabled family's guidance, if it has any."""
    text = load_prompt("system").format(company=company, principal=principal, via=via, today=date.today().isoformat())
    guidance = [load_prompt(name) for name in families]
    return "\n\n".join([text, *[g for g in guidance if g]])

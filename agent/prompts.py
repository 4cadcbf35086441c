"""The system prompt (``system_prompt.md``) plus the guidance of each family a turn uses (its guidance.md)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from tools.registry import family_guidance

SYSTEM_PROMPT = Path(__file__).resolve().parent / "system_prompt.md"


@lru_cache(maxsize=1)
def _system_text() -> str:
    return SYSTEM_PROMPT.read_text(encoding="utf-8").strip()


def system_prompt(*, principal: str, via: str, families: list[str], company: str = "the company") -> str:
    """The system prompt plus each enabled family's guidance, if it has any."""
    text = _system_text().format(company=company, principal=principal, via=via, today=date.today().isoformat())
    guidance = [family_guidance(name) for name in families]
    return "\n\n".join([text, *[g for g in guidance if g]])

"""Configuration from the environment, read once at start-up."""

import os
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Settings:
    database_url: str | None

    @property
    def database_host(self) -> str | None:
        return urlsplit(self.database_url).hostname if self.database_url else None


def load() -> Settings:
    return Settings(database_url=os.environ.get("DATABASE_URL"{% if values.database %}, ${{ values.databaseUrl | dump }}{% endif %}))

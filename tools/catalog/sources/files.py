"""Catalog entities from local directories and YAML files (Location targets followed)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tools.catalog.loader import LoadResult, UrlReader, load_paths


def load_files(paths: Iterable[str | Path], url_reader: UrlReader | None = None) -> LoadResult:
    return load_paths(paths, url_reader)

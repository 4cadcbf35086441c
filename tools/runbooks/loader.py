"""Loading every runbook of the configured folders into a :class:`RunbookLibrary`.

Sources: ``settings.runbooks`` (folders or single files), plus ``demo/runbooks/`` when the demo
organisation is in use. A file that cannot be parsed is reported with its path (and line) and the
reason; every other file still loads. Hugo section pages (``_index.md``) and repository files
(README, LICENSE…) are not runbooks and are skipped silently.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tools.runbooks.library import RunbookLibrary
from tools.runbooks.model import LoadProblem, Runbook
from tools.runbooks.parsers import RunbookError, parse_file

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime

log = logging.getLogger(__name__)

SERVICE_KEY = "runbooks.library"
MARKDOWN_SUFFIXES = (".md", ".markdown")
NOT_RUNBOOKS = ("_index", "index", "readme", "license", "changelog", "contributing", "code_of_conduct", "security")


def sources_for(runtime: FamilyRuntime) -> list[Path]:
    settings = runtime.settings
    paths = [Path(p).expanduser() for p in settings.runbooks]
    if settings.uses_demo:
        paths.append(runtime.demo_dir / "runbooks")
    return paths


def library_for(runtime: FamilyRuntime) -> RunbookLibrary:
    """The runtime's runbook library: loaded on first use, reloaded when a runbook file changes.

    Changes are looked for at most every ``RECHECK_SECONDS`` (a stat of each file), so editing a
    runbook takes effect without a restart and a busy chat does not stat the folder on every call.
    """
    cache = runtime.service(SERVICE_KEY, lambda: _Cached(sources_for(runtime)))
    return cache.get()


RECHECK_SECONDS = 5.0


class _Cached:
    def __init__(self, sources: list[Path]):
        self.sources = sources
        self.lock = threading.Lock()
        self.library: RunbookLibrary | None = None
        self.signature: tuple = ()
        self.checked = 0.0

    def get(self) -> RunbookLibrary:
        with self.lock:
            now = time.monotonic()
            if self.library is not None and now - self.checked < RECHECK_SECONDS:
                return self.library
            self.checked = now
            signature = _signature(self.sources)
            if self.library is None or signature != self.signature:
                self.library, self.signature = load_library(self.sources), signature
            return self.library


def _signature(sources: list[Path]) -> tuple:
    out = []
    for source in sources:
        files = [source] if source.is_file() else (candidate_files(source) if source.is_dir() else [])
        for path in files:
            try:
                stat = path.stat()
            except OSError:
                continue
            out.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


def load_library(sources: list[Path]) -> RunbookLibrary:
    runbooks: list[Runbook] = []
    problems: list[LoadProblem] = []
    for source in sources:
        if not source.exists():
            problems.append(LoadProblem(path=str(source), reason="runbook folder or file does not exist"))
            continue
        files = [source] if source.is_file() else candidate_files(source)
        for path in files:
            try:
                runbooks.append(parse_file(path))
            except RunbookError as exc:
                problems.append(LoadProblem(path=str(path), reason=exc.reason, line=exc.line))
            except OSError as exc:
                problems.append(LoadProblem(path=str(path), reason=f"cannot read: {exc}"))
    library = RunbookLibrary.build(runbooks, problems)
    for problem in library.problems:
        log.warning("runbook not loaded: %s", problem)
    return library


def candidate_files(folder: Path) -> list[Path]:
    """Markdown files, plus extension-less files that look like Markdown (upstream has one)."""
    out = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        stem = path.name.rsplit(".", 1)[0].lower() if path.suffix else path.name.lower()
        if stem in NOT_RUNBOOKS:
            continue
        if path.suffix.lower() in MARKDOWN_SUFFIXES or (not path.suffix and _looks_like_markdown(path)):
            out.append(path)
    return out


def _looks_like_markdown(path: Path) -> bool:
    try:
        with path.open("r", encoding="utf-8") as fh:
            head = fh.read(512)
    except (OSError, UnicodeDecodeError):
        return False
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    return first.startswith("#") or first == "---"

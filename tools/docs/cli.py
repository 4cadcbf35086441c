"""``portal-agent index [--rebuild]``: a Rich progress bar while indexing, then a summary table."""

from __future__ import annotations

import json
from typing import Any


def run_index(runtime: Any, *, rebuild: bool = False, json_output: bool = False) -> int:
    """Index and print; returns the exit code (0, or 1 when nothing at all could be indexed)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from tools.docs.indexer import index_runtime

    console = Console(stderr=json_output)
    labels = {"read": "reading pages", "embed": "embedding chunks"}
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=json_output,
    ) as progress:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(labels.get(stage, stage), total=total)
            progress.update(tasks[stage], completed=done, total=total)

        result = index_runtime(runtime, rebuild=rebuild, progress=report)
    if json_output:
        print(json.dumps(result.summary(), indent=2))
    else:
        table = Table(title="docs index" + (" (rebuilt)" if rebuild else ""), show_header=False)
        for label, value in [
            ("sites", result.sites),
            ("pages indexed", result.pages),
            ("new pages", result.pages_new),
            ("changed pages", result.pages_changed),
            ("unchanged pages", result.pages_unchanged),
            ("deleted pages", result.pages_deleted),
            ("chunks embedded", result.chunks_added),
            ("chunks removed", result.chunks_deleted),
            ("chunks in index", result.chunks_total),
            ("skipped files", len(result.skipped)),
            ("time", f"{result.seconds:.1f} s"),
        ]:
            table.add_row(label, str(value))
        if result.chunks_added:
            table.add_row("embedding throughput", f"{result.chunks_per_second:.0f} chunks/s")
        console.print(table)
        for item in result.skipped:
            console.print(f"[yellow]skipped[/] {escape(item.path)}: {escape(item.reason)}", highlight=False)
    return 0 if result.pages or not result.sites else 1

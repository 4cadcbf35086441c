"""``make bench``: every benchmark script (or ``--only`` some), each in a process of its own so that
none inherits another's warm caches, then one table of their figures against the design's bars.

    .venv/bin/python -m benchmarks [--only docs_indexing,cold_start] [--quick] [--results DIR]

Writes ``<results>/<timestamp>.json`` (default ``benchmarks/results/``, git-ignored) with the
machine, each script's status and duration, and every figure with its bar and verdict. A missed bar
is printed, never a failure: the exit status is non-zero only when a script itself failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks._bars import BARS, SECTION
from benchmarks._common import ROOT, cpu_model, format_value

HERE = Path(__file__).resolve().parent


def scripts() -> list[str]:
    """Every benchmark script: the package's modules, less the private ones (``_common``, ...)."""
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))


def run_script(name: str, quick: bool, timeout: float) -> tuple[list[dict], str, float]:
    """(figures, status, seconds) of one script run as ``python -m benchmarks.<name>``."""
    print(f"\n=== {name} ===", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        out = Path(tmp) / "figures.json"
        command = [sys.executable, "-m", f"benchmarks.{name}", "--figures", str(out), *(["--quick"] if quick else [])]
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
        try:
            status = "ok" if proc.wait(timeout=timeout) == 0 else f"exit {proc.returncode}"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the script and any server it started
            proc.wait()
            status = f"timeout after {timeout:.0f} s"
        seconds = time.perf_counter() - started
        figures = json.loads(out.read_text()) if out.is_file() else []
    return figures, status, seconds


def judged(results: dict[str, list[dict]]) -> list[dict]:
    """Every figure as a row: its bar from DESIGN.md (where the design sets one) and the verdict."""
    values = {f"{script}/{f['name']}": f["value"] for script, figures in results.items() for f in figures}
    rows = []
    for script, figures in results.items():
        for figure in figures:
            key = f"{script}/{figure['name']}"
            bar = BARS.get(key)
            rows.append(
                {
                    "script": script,
                    **figure,
                    "bar": bar.text(values) if bar else None,
                    "design_row": bar.row if bar else None,
                    "verdict": bar.verdict(figure["value"], values) if bar else None,
                }
            )
    return rows


def machine() -> dict[str, object]:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg()[0],
    }


def table(rows: list[dict], statuses: dict[str, dict], host: dict[str, object]) -> str:
    head = ("figure", "value", "unit", f"bar ({SECTION})", "")
    body = [
        (f"{r['script']}: {r['name']}", format_value(r["value"]), r["unit"], r["bar"] or "", r["verdict"] or "")
        for r in rows
    ]
    widths = [max(len(str(line[i])) for line in [head, *body]) for i in range(len(head))]

    def line(cells) -> str:
        return "  ".join(
            str(c).rjust(w) if i == 1 else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    failed = [f"{name}: {s['status']}" for name, s in statuses.items() if s["status"] != "ok"]
    lines = [
        f"machine: {host['cpu']}, {host['cores']} cores, Python {host['python']}, "
        f"load average {host['load_average']:.1f}",
        line(head),
        line(["-" * w for w in widths]),
        *(line(cells) for cells in body),
    ]
    if failed:
        lines.append("scripts that failed: " + "; ".join(failed))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated script names (default: every script)")
    parser.add_argument("--quick", action="store_true", help="each script's small sizes: a smoke run")
    parser.add_argument("--results", type=Path, default=HERE / "results", help="folder for the JSON results")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds one script may take")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()] if args.only else scripts()
    unknown = sorted(set(chosen) - set(scripts()))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)} (there are: {', '.join(scripts())})")

    started = datetime.now(UTC)
    results: dict[str, list[dict]] = {}
    statuses: dict[str, dict] = {}
    for name in chosen:
        figures, status, seconds = run_script(name, args.quick, args.timeout)
        results[name] = figures
        statuses[name] = {"status": status, "seconds": round(seconds, 1)}
    rows = judged(results)
    host = machine()
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    record = {
        "started": started.isoformat(),
        "quick": args.quick,
        "machine": host,
        "scripts": statuses,
        "figures": rows,
    }
    path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    print(f"\n{table(rows, statuses, host)}\n\nresults: {path}")
    return 0 if all(s["status"] == "ok" for s in statuses.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""What the benchmark scripts share: the figure they report, percentiles, the machine, and the
command line every script has (``--quick`` for a smoke run, ``--figures FILE`` for the runner)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Figure:
    """One measured number: ``name`` is unique within its script (the bars are keyed by it)."""

    name: str
    value: float
    unit: str


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(values_s: list[float]) -> str:
    ms = [v * 1000 for v in values_s]
    return (
        f"n={len(ms)} p50={percentile(ms, 50):.1f} ms p95={percentile(ms, 95):.1f} ms "
        f"p99={percentile(ms, 99):.1f} ms mean={statistics.fmean(ms):.1f} ms"
    )


def format_value(value: float) -> str:
    """Whole numbers with thousands separators, others to three significant digits."""
    if value != value:  # NaN: nothing was measured
        return "-"
    if float(value).is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) >= 1 else f"{value:.3f}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    return f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(run: Callable[..., list[Figure]], parser: argparse.ArgumentParser | None = None) -> None:
    """The command line of a script: its own options (``parser``) are passed to ``run`` by name."""
    parser = parser or argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of a few seconds")
    parser.add_argument("--figures", type=Path, help="also write the figures to this JSON file")
    options = vars(parser.parse_args())
    out = options.pop("figures")
    figures = run(**options)
    width = max((len(f.name) for f in figures), default=0)
    print("\nfigures:")
    for figure in figures:
        print(f"  {figure.name:<{width}}  {format_value(figure.value)} {figure.unit}")
    if out is not None:
        out.write_text(json.dumps([asdict(f) for f in figures], indent=1))

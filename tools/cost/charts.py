"""Charts for cost answers: a PNG for Slack and an SVG for the web chat, from the same figure.

Files go to ``<data_dir>/charts/<name>.{png,svg}``, named by a hash of their content so a repeated
question reuses the file; the web app serves them at ``/charts/<file>``. matplotlib (Agg) is
imported here only, on first use.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

from contract.tooling import Attachment

URL_PREFIX = "/charts/"


def _name(kind: str, spec: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"cost-{kind}-{digest}"


def _save(fig: Any, out_dir: Path, name: str) -> dict[str, str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    if not png.exists():
        fig.savefig(png, dpi=110, bbox_inches="tight")
    if not svg.exists():
        fig.savefig(svg, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return {"png": str(png), "svg": str(svg), "png_url": URL_PREFIX + png.name, "svg_url": URL_PREFIX + svg.name}


def attachments(chart: dict[str, str] | None) -> list[Attachment]:
    """A chart's files as a result's attachments, so connectors need not look for them in ``data``."""
    if not chart:
        return []
    return [
        Attachment(path=chart["png"], media_type="image/png"),
        Attachment(path=chart["svg"], media_type="image/svg+xml"),
    ]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _money(currency: str):
    from matplotlib.ticker import FuncFormatter

    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, "")
    return FuncFormatter(lambda v, _: f"{symbol}{v:,.0f}" if symbol else f"{v:,.0f} {currency}")


def trend_chart(
    out_dir: Path,
    title: str,
    series: list[tuple[date, float]],
    currency: str,
    band: list[dict[str, Any]] | None = None,
    highlight: list[tuple[date, date]] | None = None,
) -> dict:
    spec = {"t": title, "s": series, "c": currency, "b": band, "h": highlight}
    name = _name("trend", spec)
    if (out_dir / f"{name}.png").exists() and (out_dir / f"{name}.svg").exists():
        return _paths(out_dir, name)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.2))
    days = [d for d, _ in series]
    ax.plot(days, [v for _, v in series], color="#1f6feb", linewidth=1.6, label="daily cost")
    if band:
        from datetime import date as _date

        bd = [_date.fromisoformat(b["day"]) for b in band]
        ax.fill_between(
            bd, [b["low"] for b in band], [b["high"] for b in band], color="#8b949e", alpha=0.25, label="expected range"
        )
    from datetime import datetime, time, timedelta

    for start, end in highlight or []:  # whole days: from the start of the first to the end of the last
        ax.axvspan(
            datetime.combine(start, time(0)) - timedelta(hours=12),
            datetime.combine(end, time(0)) + timedelta(hours=12),
            color="#f85149",
            alpha=0.2,
            label="anomaly",
        )
    ax.yaxis.set_major_formatter(_money(currency))
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    return _save(fig, out_dir, name)


def breakdown_chart(out_dir: Path, title: str, rows: list[tuple[str, float]], currency: str) -> dict:
    spec = {"t": title, "r": rows, "c": currency}
    name = _name("breakdown", spec)
    if (out_dir / f"{name}.png").exists() and (out_dir / f"{name}.svg").exists():
        return _paths(out_dir, name)
    plt = _pyplot()
    rows = rows[:12]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.2))
    labels = [r[0] for r in rows][::-1]
    values = [r[1] for r in rows][::-1]
    colors = ["#8b949e" if label.startswith("(unallocated") else "#1f6feb" for label in labels]
    ax.barh(labels, values, color=colors)
    ax.xaxis.set_major_formatter(_money(currency))
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, out_dir, name)


def forecast_chart(
    out_dir: Path,
    title: str,
    history: list[tuple[date, float]],
    daily: list[dict[str, Any]],
    currency: str,
    level: float,
) -> dict:
    spec = {"t": title, "h": history, "d": daily, "c": currency, "l": level}
    name = _name("forecast", spec)
    if (out_dir / f"{name}.png").exists() and (out_dir / f"{name}.svg").exists():
        return _paths(out_dir, name)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.plot([d for d, _ in history], [v for _, v in history], color="#1f6feb", linewidth=1.6, label="actual")
    if daily:
        fd = [date.fromisoformat(x["day"]) for x in daily]
        ax.plot(fd, [x["forecast"] for x in daily], color="#d29922", linestyle="--", label="forecast")
        ax.fill_between(
            fd,
            [x["low"] for x in daily],
            [x["high"] for x in daily],
            color="#d29922",
            alpha=0.25,
            label=f"{int(level * 100)}% interval",
        )
    ax.yaxis.set_major_formatter(_money(currency))
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    return _save(fig, out_dir, name)


def _paths(out_dir: Path, name: str) -> dict[str, str]:
    return {
        "png": str(out_dir / f"{name}.png"),
        "svg": str(out_dir / f"{name}.svg"),
        "png_url": URL_PREFIX + f"{name}.png",
        "svg_url": URL_PREFIX + f"{name}.svg",
    }

"""One eval report in Markdown and JSON: per set, per family, per tag and per case, plus benchmarks.

``portal-agent eval --report out.md`` writes ``out.md`` and ``out.json``. The Markdown is for people
(scores, the oracle ceiling next to the planner's score, every failed case with its answer); the
JSON holds every case in full, for tooling. ``--bench`` appends a ``make bench`` results file, each
figure with its bar from DESIGN.md.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.runner import CaseResult, DatasetReport

RESULTS_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def _pct(part: int | float, whole: int | float) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def _groups(reports: list[DatasetReport], key) -> dict[str, list[CaseResult]]:
    out: dict[str, list[CaseResult]] = defaultdict(list)
    for report in reports:
        for result in report.results:
            for name in key(result):
                out[name].append(result)
    return dict(sorted(out.items()))


def _group_table(title: str, groups: dict[str, list[CaseResult]]) -> list[str]:
    lines = [
        f"## By {title}",
        "",
        f"| {title} | cases | correct | honest no | incomplete | wrong | oracle ceiling |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, results in groups.items():
        scored = [r for r in results if r.oracle is not None]
        ceiling = f"{sum(r.oracle for r in scored)}/{len(scored)}" if scored else "-"
        correct = sum(r.correct for r in results)
        lines.append(
            f"| {name} | {len(results)} | {correct} ({_pct(correct, len(results))}) | "
            f"{sum(r.outcome == 'honest' for r in results)} | "
            f"{sum(r.outcome == 'incomplete' for r in results)} | "
            f"{sum(r.outcome == 'wrong' for r in results)} | {ceiling} |"
        )
    return [*lines, ""]


def markdown(reports: list[DatasetReport], bench: dict[str, Any] | None = None) -> str:
    ran = [r for r in reports if not r.skipped]
    models = sorted({r.model for r in ran}) or ["-"]
    repeat = max((r.repeat for r in ran), default=1)
    lines = [
        "# portal-agent eval report",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · model: {', '.join(models)} · runs per case: {repeat}",
        "",
        "## By set",
        "",
        "| set | cases | correct | min | honest no | incomplete | wrong | Pass@1 | Pass^N | oracle ceiling "
        "| tokens sent / received per case |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        if r.skipped:
            lines.append(f"| {r.dataset} | {r.cases} | skipped: {r.skipped} | | | | | | | | |")
            continue
        scored = r.oracle_scored
        ceiling = f"{sum(x.oracle for x in scored)}/{len(scored)}" if scored else "-"
        sent = sum(x.tokens_sent for x in r.results) / max(1, r.cases)
        received = sum(x.tokens_received for x in r.results) / max(1, r.cases)
        tokens = "no LLM" if r.model == "offline" else f"{sent:.0f} / {received:.0f}"
        lines.append(
            f"| {r.dataset} | {r.cases} | {r.correct} ({r.accuracy:.1%}) | "
            f"{f'{r.min_score:.1%}' if r.min_score is not None else ''} | {r.honest} | "
            f"{r.incomplete} ({_pct(r.incomplete, r.cases)}) | {r.wrong} ({_pct(r.wrong, r.cases)}) | "
            f"{r.pass_at_1:.1%} | {r.pass_hat_n:.1%} | {ceiling} | "
            f"{tokens} |"
        )
    lines += [
        "",
        "*honest no*: the answer said it could not answer; *incomplete*: it held some of the expected "
        "facts, missed others and stated nothing forbidden; *wrong*: it held none of them, or a forbidden "
        "one. Incomplete and wrong answers both count as failed. Pass^N: right in all N runs. "
        "Oracle ceiling: cases whose ideal tool calls return the expected facts, out of the cases that "
        "name them.",
        "",
    ]
    judged = [c for r in ran for c in r.results if c.judge and c.judge != "unjudged"]
    if judged:
        lines += [
            "## LLM judge (a second opinion, apart from the scores)",
            "",
            "| set | judged | correct | abstained | incorrect | agrees with the scorers |",
            "|---|---|---|---|---|---|",
        ]
        for r in ran:
            mine = [c for c in r.results if c.judge and c.judge != "unjudged"]
            if mine:
                agree = sum((c.judge == "correct") == c.correct for c in mine)
                counts = [sum(c.judge == v for c in mine) for v in ("correct", "abstained", "incorrect")]
                lines.append(
                    f"| {r.dataset} | {len(mine)} | {' | '.join(map(str, counts))} | {_pct(agree, len(mine))} |"
                )
        lines.append("")
    lines += _group_table("family", _groups(ran, lambda c: [c.family]))
    lines += _group_table("tag", _groups(ran, lambda c: c.tags or ["(none)"]))
    lines += ["## Failed cases", ""]
    for r in ran:
        for c in (c for c in r.results if not c.correct):
            tools = ", ".join(t["name"] for t in c.tool_calls) or "none"
            missing = "; ".join(c.score.missing_facts + c.score.missing_tools + c.score.forbidden_facts)
            answer = " ".join(c.answer.split())[:300].replace("|", "\\|")
            lines.append(f"- **{r.dataset}/{c.id}** ({c.outcome}): {c.question!r} — tools: {tools}; missing: {missing}")
            lines.append(f"  > {answer}")
    if bench:
        lines += ["", *bench_section(bench)]
    return "\n".join(lines) + "\n"


def latest_bench(path: Path | None = None) -> dict[str, Any] | None:
    """A ``make bench`` results file: ``path``, or the newest in benchmarks/results/."""
    if path is None:
        found = sorted(RESULTS_DIR.glob("*.json"))
        if not found:
            return None
        path = found[-1]
    record = json.loads(path.read_text(encoding="utf-8"))
    record["file"] = str(path)
    return record


def bench_section(record: dict[str, Any]) -> list[str]:
    host = record.get("machine", {})
    lines = [
        "## Benchmarks",
        "",
        f"From `{record.get('file')}` ({record.get('started', '?')}; {host.get('cpu', '?')}, "
        f"{host.get('cores', '?')} cores, load average {host.get('load_average', '?')}"
        f"{', quick sizes' if record.get('quick') else ''}).",
        "",
        "| figure | value | unit | bar (DESIGN.md) | verdict |",
        "|---|---|---|---|---|",
    ]
    for row in record.get("figures", []):
        lines.append(
            f"| {row['script']}: {row['name']} | {row['value']:.4g} | {row.get('unit', '')} | "
            f"{row.get('bar') or ''} | {row.get('verdict') or ''} |"
        )
    return lines


def write_report(reports: list[DatasetReport], path: Path, bench: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """Write ``path`` (Markdown) and the same name with ``.json``; return both."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(reports, bench), encoding="utf-8")
    data = {
        "sets": [
            {**r.model_dump(), "pass_at_1": r.pass_at_1, "pass_hat_n": r.pass_hat_n, "accuracy": r.accuracy}
            for r in reports
        ],
        "benchmarks": bench,
    }
    json_path = path.with_suffix(".json")
    json_path.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    return path, json_path

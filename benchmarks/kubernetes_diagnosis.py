"""Kubernetes diagnosis benchmark over ``evals/datasets/kubernetes.yaml`` (cases tagged ``diagnosis``).

For each case the real service (offline planner, demo cluster stand-in over HTTP) answers the
question; the turn counts as right when the diagnosis tool's first finding has the expected
failure mode (tag ``mode:<Mode>``; ``mode:none`` = a healthy workload with no finding), carries
evidence, and the answer contains the case's expected facts (mode and key evidence). Tokens are
the tiktoken count (cl100k, offline) of every tool output the model would see in that turn.

    .venv/bin/python -m benchmarks.kubernetes_diagnosis [--dataset evals/datasets/kubernetes.yaml]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks._common import ROOT, Figure, machine, main, percentile

DATASET = ROOT / "evals" / "datasets" / "kubernetes.yaml"


def run(quick: bool = False, dataset: Path = DATASET, verbose: bool = False) -> list[Figure]:
    from langchain_core.messages import ToolMessage

    from agent.runtime import Runtime
    from agent.service import AgentService
    from contract.settings import Settings
    from contract.tokens import count_tokens
    from evals.runner import load_cases
    from evals.scorers import score

    cases = [c for c in load_cases(Path(dataset)) if "diagnosis" in c.tags][: 3 if quick else None]
    service = AgentService(Runtime(Settings(data_dir=Path(tempfile.mkdtemp(prefix="k8s-bench-")), demo=True)))
    principal = service.principal("user:default/marco.bianchi", via="api")
    right, tokens, seconds, wrong = 0, [], [], []
    for case in cases:
        expected = next(t.split(":", 1)[1] for t in case.tags if t.startswith("mode:"))
        t0 = time.perf_counter()
        turn = service.ask(case.question, principal)
        seconds.append(time.perf_counter() - t0)
        messages = service.graph.get_state(service._config(turn.thread_id)).values["messages"]
        tool_messages = [m for m in messages if isinstance(m, ToolMessage)]
        tokens.append(sum(count_tokens(m.content) for m in tool_messages))
        diagnosis = next((m.artifact for m in tool_messages if m.name == "k8s_diagnose"), None) or {}
        findings = (diagnosis.get("data") or {}).get("findings") or []
        if expected == "none":
            mode_ok = diagnosis.get("ok") and not findings and (diagnosis.get("data") or {}).get("healthy")
        else:
            mode_ok = bool(findings) and findings[0]["mode"] == expected and bool(findings[0]["evidence"])
        facts_ok = score(case.expect, turn.answer, turn.tool_calls, turn.interrupt is not None).correct
        if mode_ok and facts_ok:
            right += 1
        else:
            wrong.append((case.id, expected, findings[0]["mode"] if findings else None, facts_ok))
        if verbose:
            print(
                f"{case.id:34s} expected {expected:26s} got {(findings[0]['mode'] if findings else '-'):26s} "
                f"tokens {tokens[-1]:5d} {'ok' if mode_ok and facts_ok else 'WRONG'}"
            )
    n = len(cases)
    print(f"kubernetes diagnosis benchmark — {machine()}")
    print(f"cases: {n} (tagged diagnosis in {Path(dataset).name})")
    print(f"right failure mode with evidence: {right}/{n} = {right / n:.1%}")
    print(
        f"tool-output tokens per diagnosis: mean {statistics.fmean(tokens):.0f}, p95 {percentile(tokens, 95):.0f}, "
        f"max {max(tokens)}  (tiktoken cl100k offline)"
    )
    print(f"seconds per diagnosis turn: mean {statistics.fmean(seconds):.2f}, p95 {percentile(seconds, 95):.2f}")
    for case_id, expected, got, facts_ok in wrong:
        print(f"  wrong: {case_id}: expected {expected}, first finding {got}, answer facts ok={facts_ok}")
    return [
        Figure("right failure mode with evidence", right / n * 100, "%"),
        Figure("tool-output tokens per diagnosis, mean", statistics.fmean(tokens), "tokens"),
        Figure("tool-output tokens per diagnosis, p95", percentile(tokens, 95), "tokens"),
        Figure("seconds per diagnosis turn, p95", percentile(seconds, 95), "s"),
    ]


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--verbose", action="store_true")
    return parser


if __name__ == "__main__":
    main(run, options())

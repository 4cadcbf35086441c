"""Cold start of ``portal-agent ask --json`` for a catalog question, against the time a fresh
process takes to import langgraph + langchain_core (the design's bar is a multiple of it).

Each run is a fresh process over the demo organisation with a fresh data dir, as a user's first
command would be.

    .venv/bin/python -m benchmarks.cold_start [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from benchmarks._common import ROOT, Figure, machine, main, percentile

QUESTIONS = ["who owns checkout?", "what breaks if orders-db goes down?", "who is on call for payments?"]
IMPORTS = "import langgraph.graph, langchain_core.messages"


def _import_seconds() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORTS], check=True, timeout=120)
    return time.perf_counter() - t0


def run(quick: bool = False, runs: int | None = None) -> list[Figure]:
    runs = runs or (1 if quick else 5)
    exe = ROOT / ".venv" / "bin" / "portal-agent"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_AGENT_")}
    times: list[float] = []
    for i in range(runs):
        question = QUESTIONS[i % len(QUESTIONS)]
        with tempfile.TemporaryDirectory() as data:
            t0 = time.perf_counter()
            out = subprocess.run(
                [str(exe), "ask", question, "--json"],
                capture_output=True,
                text=True,
                env={**env, "PORTAL_AGENT_DATA_DIR": data},
                cwd=data,
                timeout=120,
            )
            elapsed = time.perf_counter() - t0
        if out.returncode != 0:
            raise SystemExit(f"ask failed: {out.stderr[-2000:]}")
        answer = json.loads(out.stdout)["answer"]
        times.append(elapsed)
        print(f"  {elapsed:.2f} s  {question!r} → {answer[:70]!r}")
    imports = [_import_seconds() for _ in range(runs)]
    print(
        f"cold start ({machine()}): median {percentile(times, 50):.2f} s, max {max(times):.2f} s over {runs} runs; "
        f"`{IMPORTS}` alone: median {percentile(imports, 50):.2f} s"
    )
    return [
        Figure("cold start median", percentile(times, 50), "s"),
        Figure("cold start max", max(times), "s"),
        Figure("import langgraph + langchain_core", percentile(imports, 50), "s"),
    ]


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, help="fresh processes to time (default 5; 1 with --quick)")
    return parser


if __name__ == "__main__":
    main(run, options())

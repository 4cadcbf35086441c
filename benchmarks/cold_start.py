"""Cold start of ``portal-agent ask --json`` for a catalog question (bar: ≤ 2.5 s).

Each run is a fresh process over the demo organisation with a fresh data dir, as a user's first
command would be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, percentile

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["who owns checkout?", "what breaks if orders-db goes down?", "who is on call for payments?"]


def main(runs: int = 5) -> None:
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
    print(
        f"cold start ({machine()}): median {percentile(times, 50):.2f} s, max {max(times):.2f} s "
        f"over {runs} runs (bar ≤ 2.5 s)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)

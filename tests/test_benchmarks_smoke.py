"""The benchmark runner (``make bench``) in quick mode on two cheap scripts: it writes a JSON record
of their figures and prints one table. Timing goals are printed by the runner, never asserted here."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.paths import REPO

CHEAP = ["tokens_per_turn", "runbooks_search"]


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_quick_run_records_the_figures_and_prints_one_table(tmp_path):
    out = bench("--only", ",".join(CHEAP), "--results", str(tmp_path))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    [path] = tmp_path.glob("*.json")
    record = json.loads(path.read_text())
    assert record["quick"] is True and record["machine"]["cores"] and record["machine"]["cpu"]
    assert {name: s["status"] for name, s in record["scripts"].items()} == dict.fromkeys(CHEAP, "ok")
    figures = {(f["script"], f["name"]): f for f in record["figures"]}
    assert {script for script, _ in figures} == set(CHEAP)
    worst = figures[("tokens_per_turn", "worst turn")]
    assert worst["unit"] == "tokens" and worst["value"] > 0
    assert worst["bar"] == "<= 3000" and worst["verdict"] in {"pass", "FAIL"}
    assert figures[("runbooks_search", "top-1 accuracy")]["bar"] is None  # the design sets no bar for it
    table = out.stdout[out.stdout.index("\nmachine: ") :]
    assert "figure" in table and "DESIGN.md § Quality bars" in table
    assert "tokens_per_turn: worst turn" in table and "runbooks_search: search p95" in table


def test_an_unknown_script_is_refused_with_the_list():
    out = bench("--only", "no_such_bench")
    assert out.returncode != 0 and "no such benchmark: no_such_bench" in out.stderr and "cold_start" in out.stderr


def test_a_script_runs_alone_as_a_module(tmp_path):
    figures = tmp_path / "figures.json"
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.tokens_per_turn", "--quick", "--figures", str(figures)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "worst turn" in {f["name"] for f in json.loads(figures.read_text())}

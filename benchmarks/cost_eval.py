"""Cost eval with the offline planner: accuracy on evals/datasets/cost.yaml, against the score the
dataset records (``min_score``: the demo eval sets may not drop).

By default the runtime holds the catalog and cost families only (so work-in-progress families
elsewhere cannot break the figure); ``--all`` uses every built-in family, as ``portal-agent eval``
does. Prints accuracy and failures.

    .venv/bin/python -m benchmarks.cost_eval [--all]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks._common import Figure, main


def run(quick: bool = False, all_families: bool = False) -> list[Figure]:
    """The whole dataset in quick mode too: it is the figure."""
    import tools.catalog
    import tools.cost
    from agent.runtime import Runtime
    from agent.service import AgentService
    from contract.settings import load_settings
    from evals.runner import dataset_path, pinned_today, run_dataset

    settings = load_settings()
    # "Today" pinned as the eval runner pins it: "last month" must not depend on the calendar.
    update = {
        "data_dir": Path(tempfile.mkdtemp(prefix="cost-eval-")),
        "demo_today": settings.demo_today or pinned_today(),
    }
    settings = settings.model_copy(update=update)
    if all_families:
        runtime = Runtime(settings)
    else:
        runtime = Runtime(settings, builtin_families=False, extra_families=[tools.catalog.family, tools.cost.family])
    started = time.perf_counter()
    report = run_dataset(dataset_path("cost"), AgentService(runtime))
    print(
        f"cost eval: {report.correct}/{report.cases} correct = {report.accuracy:.1%} "
        f"(tools ok {report.tools_ok}, facts ok {report.facts_ok}) in {time.perf_counter() - started:.1f} s"
    )
    for case in report.results:
        if not case.correct:
            print(
                f"  FAIL {case.id}: {case.question!r} tools={[c['name'] for c in case.tool_calls]} "
                f"missing_tools={case.score.missing_tools} missing={case.score.missing_facts} "
                f"forbidden={case.score.forbidden_facts}\n    {case.answer[:240]!r}"
            )
    figures = [Figure("accuracy", report.accuracy * 100, "%")]
    if report.min_score is not None:
        figures.append(Figure("recorded min_score", report.min_score * 100, "%"))
    return figures


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--all", dest="all_families", action="store_true", help="all built-in tool families")
    return parser


if __name__ == "__main__":
    main(run, options())

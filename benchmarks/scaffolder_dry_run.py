"""Dry-run and generation timings of the scaffolder engine (prints figures; not a test).

    .venv/bin/python -m benchmarks.scaffolder_dry_run [--repeats 20]

Covers the demo templates and, when ../shared/fixtures is present, every real Backstage template.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from agent.runtime import Runtime
from benchmarks._common import ROOT, Figure, main
from contract.settings import Settings
from tools.scaffolder import family
from tools.scaffolder import parameters as params
from tools.scaffolder.engine import run_template
from tools.scaffolder.generator import generate_template
from tools.scaffolder.model import Template

VALUES = {
    "name": "orders-portal",
    "component_id": "orders-portal",
    "description": "Orders portal",
    "owner": "group:default/team-checkout",
    "repoUrl": "github.com?owner=tessera&repo=orders-portal",
    "package": "co.example",
    "projectType": "imperative",
    "coverage": "jacoco",
    "java_package_name": "orders",
    "dryRun": True,
    "mode": "dark",
    "topics": ["builtin-actions"],
}


def run(quick: bool = False, repeats: int | None = None) -> list[Figure]:
    repeats = repeats or (2 if quick else 20)
    paths = sorted((ROOT / "demo" / "templates").glob("*/template.yaml"))
    fixtures = ROOT / ".." / "shared" / "fixtures" / "backstage"
    paths += sorted((fixtures / "backstage__software-templates" / "scaffolder-templates").glob("*/template.yaml"))
    paths += sorted((fixtures / "backstage__demo").glob("demo-template/template/template.yaml"))
    print(f"{'template':36} {'files':>5} {'p50 ms':>8} {'p95 ms':>8}")
    medians, slowest, generated = [], 0.0, []
    for path in paths:
        template = Template.from_file(path)
        values = {f.name: VALUES[f.name] for f in params.fields(template) if f.name in VALUES}
        times, files = [], 0
        for _ in range(repeats):
            t0 = time.perf_counter()
            files = len(run_template(template, values).files)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"{template.name:36} {files:5d} {statistics.median(times):8.1f} {p95:8.1f}")
        medians.append(statistics.median(times))
        slowest = max(slowest, p95)
    runtime = Runtime(Settings(data_dir=tempfile.mkdtemp(), demo=True), extra_families=[family], builtin_families=False)
    for description in (
        "a Go gRPC service with a Postgres database",
        "a Python FastAPI service with Redis",
        "a Node.js service",
        "a documentation site",
    ):
        t0 = time.perf_counter()
        out = generate_template(runtime, description, owner="group:default/team-platform")
        generated.append((time.perf_counter() - t0) * 1000)
        print(f"generate {out['template']:44} {generated[-1]:8.1f} ms (compose + dry-run check)")
    return [
        Figure("templates", len(paths), "templates"),
        Figure("dry run p50, median template", statistics.median(medians), "ms"),
        Figure("dry run p95, slowest template", slowest, "ms"),
        Figure("generate a template, slowest", max(generated), "ms"),
    ]


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, help="dry runs per template (default 20; 2 with --quick)")
    return parser


if __name__ == "__main__":
    main(run, options())

"""Dry-run and generation timings of the scaffolder engine (prints figures; not a test).

    .venv/bin/python benchmarks/scaffolder_dry_run.py [repeats]

Covers the demo templates and, when ../shared/fixtures is present, every real Backstage template.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.runtime import Runtime  # noqa: E402
from contract.settings import Settings  # noqa: E402
from tools.scaffolder import family  # noqa: E402
from tools.scaffolder import parameters as params  # noqa: E402
from tools.scaffolder.engine import run_template  # noqa: E402
from tools.scaffolder.generator import generate_template  # noqa: E402
from tools.scaffolder.model import Template  # noqa: E402

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


def main(repeats: int = 20) -> None:
    paths = sorted((REPO / "demo" / "templates").glob("*/template.yaml"))
    fixtures = REPO / ".." / "shared" / "fixtures" / "backstage"
    paths += sorted((fixtures / "backstage__software-templates" / "scaffolder-templates").glob("*/template.yaml"))
    paths += sorted((fixtures / "backstage__demo").glob("demo-template/template/template.yaml"))
    print(f"{'template':36} {'files':>5} {'p50 ms':>8} {'p95 ms':>8}")
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
    runtime = Runtime(Settings(data_dir=tempfile.mkdtemp(), demo=True), extra_families=[family], builtin_families=False)
    for description in (
        "a Go gRPC service with a Postgres database",
        "a Python FastAPI service with Redis",
        "a Node.js service",
        "a documentation site",
    ):
        t0 = time.perf_counter()
        out = generate_template(runtime, description, owner="group:default/team-platform")
        print(f"generate {out['template']:44} {(time.perf_counter() - t0) * 1000:8.1f} ms (compose + dry-run check)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)

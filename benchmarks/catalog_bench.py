"""Catalog benchmark: a generated 10,000-entity catalog, its load time, and per-query latencies.

.venv/bin/python -m benchmarks.catalog_bench [--entities 10000] [--queries 300]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._common import Figure, main

WORDS = [
    "orders",
    "payments",
    "checkout",
    "search",
    "inventory",
    "billing",
    "auth",
    "profile",
    "cart",
    "shipping",
    "catalog",
    "pricing",
    "ledger",
    "fraud",
    "notify",
    "email",
    "report",
    "gateway",
    "reviews",
    "media",
    "returns",
    "loyalty",
    "tax",
    "quotes",
    "invoices",
    "identity",
    "session",
    "ranking",
    "feeds",
    "alerts",
    "audit",
    "export",
    "import",
    "sync",
    "archive",
]


def _doc(kind: str, name: str, spec: dict[str, Any], **meta: Any) -> str:
    import yaml

    return yaml.safe_dump(
        {"apiVersion": "backstage.io/v1alpha1", "kind": kind, "metadata": {"name": name, **meta}, "spec": spec},
        sort_keys=False,
    )


def generate(root: Path, total: int, seed: int = 7) -> dict[str, list[str]]:
    """Write a catalog of about ``total`` entities: one file per team plus an org file."""
    rng = random.Random(seed)
    teams = max(5, total // 100)
    names: dict[str, list[str]] = {"component": [], "api": [], "resource": [], "system": [], "group": [], "user": []}
    org: list[str] = []
    departments = max(1, teams // 10)
    for d in range(departments):
        org.append(_doc("Group", f"dept-{d}", {"type": "department", "children": []}))
    per_team = total // teams
    apis_by_team: list[list[str]] = []
    for t in range(teams):
        team = f"team-{WORDS[t % len(WORDS)]}-{t}"
        names["group"].append(team)
        users = [f"user{t}.{i}" for i in range(max(2, per_team // 5))]
        org.append(
            _doc(
                "Group",
                team,
                {"type": "team", "parent": f"dept-{t % departments}", "children": []},
                annotations={"portal-agent.io/oncall": ",".join(f"user:{u}" for u in users[:2])},
            )
        )
        docs = []
        for u in users:
            names["user"].append(u)
            docs.append(
                _doc(
                    "User",
                    u,
                    {
                        "profile": {"displayName": u.replace(".", " ").title(), "email": f"{u}@example.test"},
                        "memberOf": [team],
                    },
                )
            )
        system = f"sys-{t}"
        names["system"].append(system)
        docs.append(_doc("System", system, {"owner": team}, description=f"System of {team}"))
        remaining = per_team - len(users) - 1
        n_res = remaining // 5
        n_api = remaining // 5
        n_comp = remaining - n_res - n_api
        resources = [f"{rng.choice(WORDS)}-db-{t}-{i}" for i in range(n_res)]
        apis = [f"{rng.choice(WORDS)}-api-{t}-{i}" for i in range(n_api)]
        for r in resources:
            names["resource"].append(r)
            docs.append(_doc("Resource", r, {"type": "database", "owner": team, "system": system}))
        for a in apis:
            names["api"].append(a)
            docs.append(
                _doc(
                    "API",
                    a,
                    {
                        "type": "openapi",
                        "lifecycle": "production",
                        "owner": team,
                        "system": system,
                        "definition": "openapi: 3.0.0",
                    },
                )
            )
        own_components: list[str] = []
        for i in range(n_comp):
            comp = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{t}-{i}"
            names["component"].append(comp)
            spec: dict[str, Any] = {
                "type": rng.choice(["service", "service", "website", "library"]),
                "lifecycle": rng.choice(["production", "production", "experimental", "deprecated"]),
                "owner": team,
                "system": system,
            }
            if apis and i < len(apis):
                spec["providesApis"] = [apis[i]]
            # Edges stay within the department (teams of the same ten), as real catalogs mostly do.
            nearby = [a for tt, team_apis in enumerate(apis_by_team) if tt // 10 == t // 10 for a in team_apis]
            nearby += apis
            spec["consumesApis"] = rng.sample(nearby, k=min(2, len(nearby)))
            deps = []
            if resources:
                deps.append(f"resource:{rng.choice(resources)}")
            if own_components:
                deps.append(f"component:{rng.choice(own_components)}")
            own_components.append(comp)
            spec["dependsOn"] = deps
            docs.append(
                _doc(
                    "Component",
                    comp,
                    spec,
                    title=comp.replace("-", " ").title(),
                    description=f"The {comp.split('-')[0]} service of {team}",
                    tags=[rng.choice(["python", "java", "go", "typescript"])],
                )
            )
        apis_by_team.append(apis)
        (root / f"{team}.yaml").write_text("---\n".join(docs))
    (root / "org.yaml").write_text("---\n".join(org))
    (root / "all.yaml").write_text(_doc("Location", "bench", {"targets": ["./*.yaml"]}))
    return names


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(quick: bool = False, entities: int | None = None, queries: int | None = None) -> list[Figure]:
    entities = entities or (500 if quick else 10_000)
    queries = queries or (20 if quick else 300)

    from agent.runtime import Runtime
    from contract.principal import Principal
    from contract.settings import Settings
    from contract.tooling import ToolContext
    from tools.catalog import family
    from tools.catalog.sources import load_catalog_from

    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        names = generate(root, entities)
        gen_s = time.perf_counter() - t0

        t0, c0 = time.perf_counter(), time.process_time()
        store = load_catalog_from([str(root)])
        load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        store.find_mentions("warm up")
        mention_index_s, mention_cpu = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        store.search("warm up")
        search_index_s, search_cpu = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        store.dependencies(names["component"][0])
        graph_s = time.perf_counter() - t0

        print(f"catalog: {len(store)} entities ({store.kinds()}), {len(store.errors)} load errors")
        print(f"generate: {gen_s:.2f} s")
        print(f"load (parse + validate + relations + indexes): {load_s:.2f} s wall, {load_cpu:.2f} s CPU")
        print(
            f"lazy mention index build (first find_mentions): {mention_index_s * 1000:.0f} ms wall, "
            f"{mention_cpu * 1000:.0f} ms CPU"
        )
        print(
            f"lazy search index build (first search): {search_index_s * 1000:.0f} ms wall, "
            f"{search_cpu * 1000:.0f} ms CPU"
        )
        print(f"lazy dependency graph build (first walk): {graph_s * 1000:.0f} ms wall")
        figures = [Figure("entities", len(store), "entities"), Figure("load", load_s, "s")]

        runtime = Runtime(Settings(catalog=[str(root)]), extra_families=[family], builtin_families=False)
        runtime.catalog = store  # reuse the store loaded above
        ctx = ToolContext(runtime=runtime, principal=Principal(ref="user:default/guest", via="test"))
        tools = runtime.tools

        def pick(kind: str) -> str:
            return rng.choice(names[kind])

        cases: dict[str, Any] = {
            "catalog_get_entity": lambda: ("catalog_get_entity", {"ref": pick("component")}),
            "catalog_search (query)": lambda: ("catalog_search", {"query": rng.choice(WORDS) + " service"}),
            "catalog_search (typo query)": lambda: ("catalog_search", {"query": pick("component")[:-1][1:]}),
            "catalog_search (filters)": lambda: (
                "catalog_search",
                {"kind": "component", "lifecycle": "production", "owner": pick("group")},
            ),
            "catalog_owner": lambda: ("catalog_owner", {"ref": pick("component")}),
            "catalog_dependencies": lambda: ("catalog_dependencies", {"ref": pick("component")}),
            "catalog_dependencies (dependents, transitive)": lambda: (
                "catalog_dependencies",
                {"ref": pick("resource"), "direction": "dependents", "transitive": True},
            ),
            "catalog_apis": lambda: ("catalog_apis", {"ref": pick("api")}),
            "catalog_system_contents": lambda: ("catalog_system_contents", {"ref": pick("system")}),
            "catalog_owned_by": lambda: ("catalog_owned_by", {"ref": pick("group")}),
            "catalog_group_hierarchy": lambda: ("catalog_group_hierarchy", {"ref": pick("group")}),
        }
        print(f"\nper-query latency over {queries} random queries each (ms):")
        print("(wall clock; 'cpu p95' is this process's CPU time, which a busy shared machine does not inflate)")
        print(f"{'query':48s} {'p50':>7s} {'p95':>7s} {'max':>7s} {'cpu p95':>8s}")
        for label, make in cases.items():
            timings, cpu = [], []
            for _ in range(queries):
                name, call_args = make()
                t0, c0 = time.perf_counter(), time.process_time()
                result = tools[name].run(call_args, ctx)
                timings.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                assert result.ok or "No catalog entity" in (result.error or ""), result.error
            print(
                f"{label:48s} {statistics.median(timings):7.2f} {percentile(timings, 0.95):7.2f} "
                f"{max(timings):7.2f} {percentile(cpu, 0.95):8.2f}"
            )
            figures.append(Figure(f"{label} p95", percentile(timings, 0.95), "ms"))

        sentences = [
            lambda: f"who owns {pick('component')}?",
            lambda: f"what breaks if {pick('resource').replace('-', ' ')} goes down",
            lambda: f"who is on call for {pick('component')[:-2]}x please",  # a typo
            lambda: "what does the " + pick("group").removeprefix("team-").rsplit("-", 1)[0] + " team own",
        ]
        timings, cpu = [], []
        for _ in range(queries):
            text = rng.choice(sentences)()
            t0, c0 = time.perf_counter(), time.process_time()
            store.find_mentions(text)
            timings.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        print(
            f"{'store.find_mentions (sentence)':48s} {statistics.median(timings):7.2f} "
            f"{percentile(timings, 0.95):7.2f} {max(timings):7.2f} {percentile(cpu, 0.95):8.2f}"
        )
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return [*figures, Figure("store.find_mentions (sentence) p95", percentile(timings, 0.95), "ms")]


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entities", type=int, help="catalog size (default 10,000; 500 with --quick)")
    parser.add_argument("--queries", type=int, help="random queries per tool (default 300; 20 with --quick)")
    return parser


if __name__ == "__main__":
    main(run, options())

"""Runbook loading and search: load time, search latency and top-1/top-3 accuracy on labelled asks.

Prints figures; asserts nothing. Uses the demo runbooks, plus the real prometheus-operator
runbooks from ../shared/fixtures when present (108 files: a realistic library size).

    .venv/bin/python -m benchmarks.runbooks_search
"""

from __future__ import annotations

import statistics
import time

from benchmarks._common import ROOT, Figure, main
from tools.runbooks.loader import load_library

DEMO = ROOT / "demo" / "runbooks"
UPSTREAM = ROOT / ".." / "shared" / "fixtures" / "runbooks" / "prometheus-operator__runbooks" / "content" / "runbooks"

# (ask, expected runbook): symptoms and alert names as on-call people type them, not the titles.
LABELLED = [
    ("p99 latency is way over the slo", "high-latency"),
    ("search is slow", "high-latency"),
    ("hpa stuck at max replicas", "high-latency"),
    ("pods in CrashLoopBackOff after deploy", "crashloop"),
    ("container keeps restarting with exit code 1", "crashloop"),
    ("indexer killed with exit code 137", "oomkilled"),
    ("memory limit reached OOM", "oomkilled"),
    ("primary database unreachable", "database-failover"),
    ("postgres failover", "database-failover"),
    ("rotate stripe key", "rotate-api-key"),
    ("psp api key leaked", "rotate-api-key"),
    ("consumer group falling behind", "kafka-consumer-lag"),
    ("kafka backlog growing", "kafka-consumer-lag"),
    ("KubeHpaMaxedOut", "KubeHpaMaxedOut"),
    ("node filesystem almost full", "NodeFilesystemAlmostOutOfSpace"),
    ("etcd has no leader", "etcdNoLeader"),
    ("alertmanager config reload failed", "AlertmanagerFailedReload"),
    ("prometheus remote write behind", "PrometheusRemoteWriteBehind"),
    ("clock skew on a node", "NodeClockSkewDetected"),
    ("job failed to complete", "KubeJobFailed"),
    ("persistent volume filling up", "KubePersistentVolumeFillingUp"),
    ("cpu throttling high", "CPUThrottlingHigh"),
]


def run(quick: bool = False) -> list[Figure]:
    """The same in quick mode: it takes a second."""
    sources = [DEMO] + ([UPSTREAM] if UPSTREAM.is_dir() else [])
    t0 = time.perf_counter()
    library = load_library(sources)
    load_ms = (time.perf_counter() - t0) * 1000
    print(
        f"loaded {len(library)} runbooks from {len(sources)} folder(s) in {load_ms:.0f} ms "
        f"({len(library.problems)} file(s) reported)"
    )
    cases = [(q, e) for q, e in LABELLED if library.get(e) is not None]
    timings, top1, top3, misses = [], 0, 0, []
    for _ in range(5):
        for query, _expected in cases:
            t = time.perf_counter()
            library.search(query, limit=3)
            timings.append((time.perf_counter() - t) * 1000)
    for query, expected in cases:
        names = [h.runbook.name for h in library.search(query, limit=3)]
        top1 += bool(names) and names[0] == expected
        top3 += expected in names
        if not names or names[0] != expected:
            misses.append(f"  {query!r}: expected {expected}, got {names}")
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(f"search over {len(library)} runbooks: p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms")
    print(f"accuracy on {len(cases)} labelled asks: top-1 {top1 / len(cases):.0%}, top-3 {top3 / len(cases):.0%}")
    if misses:
        print("top-1 misses:")
        print("\n".join(misses))
    return [
        Figure("runbooks", len(library), "runbooks"),
        Figure("load", load_ms, "ms"),
        Figure("search p95", p95, "ms"),
        Figure("top-1 accuracy", top1 / len(cases) * 100, "%"),
        Figure("top-3 accuracy", top3 / len(cases) * 100, "%"),
    ]


if __name__ == "__main__":
    main(run)

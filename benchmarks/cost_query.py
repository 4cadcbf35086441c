"""FOCUS at scale: a 1,000,000-row export, breakdown queries warm, with bounded memory.

Generates a FOCUS-shaped Parquet file (deterministic, in a temp dir; nothing committed), opens it
through the same DuckDB views as the tools (queried in place, memory_limit 1GB, 2 threads), and
times breakdowns by a FOCUS column and by a tag-derived dimension (team, via the catalog). Prints
cold and warm timings (median of 10) and the process RSS. Add ``--csv`` to time the CSV too.

    .venv/bin/python -m benchmarks.cost_query [--rows 1000000] [--csv]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks._common import ROOT, Figure, main


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_export(out: Path, rows: int, csv: bool) -> Path:
    import duckdb

    con = duckdb.connect()
    services = [
        "checkout",
        "cart",
        "orders",
        "payments",
        "search",
        "search-indexer",
        "api-gateway",
        "auth",
        "product-catalog",
        "image-resizer",
        "notifications",
        "ledger",
        "unknown-app",
    ]
    teams = [
        "team-checkout",
        "team-checkout",
        "team-checkout",
        "team-payments",
        "team-search",
        "team-search",
        "team-platform",
        "team-identity",
        "team-catalog",
        "team-catalog",
        "team-platform",
        "team-payments",
        "",
    ]
    svc = "[" + ",".join(f"'{s}'" for s in services) + "]"
    tm = "[" + ",".join(f"'{t}'" for t in teams) + "]"
    sql = f"""
    SELECT
      round(random() * 10, 6) AS BilledCost, round(random() * 10, 6) AS EffectiveCost,
      'USD' AS BillingCurrency,
      TIMESTAMP '2026-08-01' + INTERVAL (i % 116) DAY + INTERVAL (i % 24) HOUR AS ChargePeriodStart,
      TIMESTAMP '2026-08-01' + INTERVAL (i % 116) DAY + INTERVAL (i % 24 + 1) HOUR AS ChargePeriodEnd,
      CASE WHEN i % 10 = 0 THEN 'ClickHouse' ELSE 'AWS' END AS ProviderName,
      (['Compute','Storage','Databases','Networking','Analytics'])[i % 5 + 1] AS ServiceCategory,
      (['Amazon EC2','Amazon S3','Amazon RDS','AWS Data Transfer','Amazon OpenSearch'])[i % 5 + 1] AS ServiceName,
      (['eu-west-1','eu-central-1','us-east-1'])[i % 3 + 1] AS RegionId,
      (['tessera-prod','tessera-staging'])[i % 2 + 1] AS SubAccountName,
      'Usage' AS ChargeCategory,
      'arn:aws:ec2:eu-west-1:1:instance/i-' || (i % 5000) AS ResourceId,
      CASE WHEN i % 17 = 0 THEN NULL ELSE
        '{{"service":"' || ({svc})[i % {len(services)} + 1] || '","team":"' || ({tm})[i % {len(services)} + 1]
        || '","env":"' || (['prod','staging'])[i % 2 + 1] || '"}}' END AS Tags
    FROM range({rows}) t(i)"""
    path = out / ("focus-1m.csv" if csv else "focus-1m.parquet")
    fmt = "(FORMAT csv, HEADER)" if csv else "(FORMAT parquet)"
    con.execute(f"COPY ({sql}) TO '{path}' {fmt}")
    con.close()
    return path


def timed(fn, repeat: int = 10) -> tuple[float, float]:
    t0 = time.perf_counter()
    fn()
    cold = time.perf_counter() - t0
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return cold * 1000, statistics.median(runs) * 1000


def run(quick: bool = False, rows: int | None = None, csv: bool = False) -> list[Figure]:
    rows = rows or (20_000 if quick else 1_000_000)
    import tools.catalog
    import tools.cost
    from agent.runtime import Runtime
    from contract.settings import Settings
    from tools.cost.engine import CostEngine
    from tools.cost.periods import Period

    tmp = Path(tempfile.mkdtemp(prefix="cost-bench-"))
    formats = ["parquet"] + (["csv"] if csv else [])
    figures: list[Figure] = []
    print(f"rows={rows:,}  (DuckDB memory_limit=1GB, threads=2)")
    for fmt in formats:
        t0 = time.perf_counter()
        path = make_export(tmp, rows, fmt == "csv")
        size = path.stat().st_size / 1e6
        print(f"[{fmt}] generated {path.name} ({size:.1f} MB) in {time.perf_counter() - t0:.1f} s")
        settings = Settings(data_dir=tmp / "data", focus=[str(path)], catalog=[str(ROOT / "demo/catalog/all.yaml")])
        runtime = Runtime(settings, builtin_families=False, extra_families=[tools.catalog.family, tools.cost.family])
        engine = CostEngine(runtime)
        before = rss_mb()
        t0 = time.perf_counter()
        ds = engine.dataset
        took = 1000 * (time.perf_counter() - t0)
        print(f"[{fmt}] open + validate ({ds.rows:,} rows, {ds.bad.total} bad): {took:.0f} ms")
        figures.append(Figure(f"open + validate, {fmt}", took, "ms"))
        period = Period(date(2026, 10, 1), date(2026, 11, 1), "October 2026")
        for dims in (["service_category"], ["provider", "region"], ["team"], ["entity"]):
            cold, warm = timed(lambda dims=dims, engine=engine, period=period: engine.aggregate(period, dims))
            print(f"[{fmt}] breakdown by {'+'.join(dims):<22} cold {cold:7.1f} ms   warm median {warm:7.1f} ms")
            figures.append(Figure(f"breakdown by {'+'.join(dims)} warm, {fmt}", warm, "ms"))
        whole = Period(date(2026, 8, 1), date(2026, 11, 25), "all")
        cold, warm = timed(lambda engine=engine, whole=whole: engine.daily(whole))
        print(f"[{fmt}] daily series, whole range          cold {cold:7.1f} ms   warm median {warm:7.1f} ms")
        after = rss_mb()
        print(f"[{fmt}] RSS before open {before:.0f} MB, after queries {after:.0f} MB")
        figures += [Figure(f"daily series warm, {fmt}", warm, "ms"), Figure(f"RSS after queries, {fmt}", after, "MB")]
        ds.con.close()
    return figures


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, help="rows in the generated export (default 1,000,000; 20,000 quick)")
    parser.add_argument("--csv", action="store_true", help="also time the same data as CSV")
    return parser


if __name__ == "__main__":
    main(run, options())

"""Deterministic FOCUS exports for the demo organisation (Tessera), generated at first use.

Why generated: 116 days × ~60 spend lines × 2 environments is ~14k rows, too big to commit
comfortably, and the data must end *today* so that "last month" always has data. The model lives
in ``demo/cost/spend.yaml`` (committed, a few KB); this module turns it into FOCUS 1.0 rows.

Dates are re-based on the cost family's "today" (``settings.demo_today``, else the current UTC date):
the range starts on the first day of the month three months earlier (≥ 90 days, whole previous
months), and the story's events keep their position relative to the end, weekday-aligned:

- the planted anomaly: ``search-indexer`` costs ~5× baseline for three days starting on the
  Sunday on or before ``today - 14 days`` (2026-11-08 → 11-10 when today is 2026-11-24);
- the step change: ``recommendations-model`` GPU cost drops to ~0 from ``today - 4 days``;
- the over-provisioned workload (``image-resizer``) is in the OpenCost data, not here.

The AWS export is written as monthly Parquet files and the ClickHouse Cloud (AWS Marketplace)
export as one CSV with ISO timestamps, so both readers are exercised. Same model + same end date
give byte-identical rows.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

SPEND_FILE = Path(__file__).resolve().parent / "spend.yaml"
GENERATOR_VERSION = "1"

# ServiceName code -> (FOCUS ServiceName, ServiceCategory, unit)
AWS_SERVICES = {
    "AmazonEC2": ("Amazon Elastic Compute Cloud", "Compute", "Hours"),
    "AmazonEC2-GPU": ("Amazon Elastic Compute Cloud", "Compute", "Hours"),
    "AmazonES": ("Amazon OpenSearch Service", "Analytics", "Hours"),
    "AWSDataTransfer": ("AWS Data Transfer", "Networking", "GB"),
    "AWSELB": ("Elastic Load Balancing", "Networking", "LCU-Hours"),
    "AmazonRDS": ("Amazon Relational Database Service", "Databases", "Hours"),
    "AWSQueueService": ("Amazon Simple Queue Service", "Integration", "Requests"),
    "AmazonCloudWatch": ("Amazon CloudWatch", "Management and Governance", "GB"),
    "AmazonMSK": ("Amazon Managed Streaming for Apache Kafka", "Integration", "Hours"),
    "AmazonElastiCache": ("Amazon ElastiCache", "Databases", "Hours"),
    "AmazonCloudFront": ("Amazon CloudFront", "Networking", "GB"),
    "AmazonS3": ("Amazon Simple Storage Service", "Storage", "GB-Mo"),
    "AmazonDynamoDB": ("Amazon DynamoDB", "Databases", "Requests"),
    "AmazonSageMaker": ("Amazon SageMaker", "AI and Machine Learning", "Hours"),
    "AWSSupportBusiness": ("AWS Support (Business)", "Management and Governance", "Dollars"),
    "AmazonVPC-NAT": ("Amazon Virtual Private Cloud", "Networking", "GB"),
}
ACCOUNTS = {"prod": ("210987654321", "tessera-prod"), "staging": ("310987654321", "tessera-staging")}
ANOMALY_SERVICE = "search-indexer"
ANOMALY_FACTOR = 5.0
ANOMALY_DAYS = 3
GPU_SERVICE = "recommendations-model"


@dataclass(frozen=True)
class DemoDates:
    start: date
    end: date  # last day with data ("today")
    anomaly_start: date
    gpu_drop: date

    @property
    def anomaly_days(self) -> list[date]:
        return [self.anomaly_start + timedelta(days=i) for i in range(ANOMALY_DAYS)]


def demo_dates(today: date) -> DemoDates:
    first = date(today.year, today.month, 1)
    m = first.month - 1 - 3
    start = date(first.year + m // 12, m % 12 + 1, 1)
    pivot = today - timedelta(days=14)
    anomaly = pivot - timedelta(days=(pivot.weekday() - 6) % 7)  # Sunday on or before
    return DemoDates(start, today, anomaly, today - timedelta(days=4))


def load_model(path: Path = SPEND_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def seeded_random(*parts: Any) -> random.Random:
    seed = int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16], 16)
    return random.Random(seed)


def daily_amount(line: dict[str, Any], day: date, dates: DemoDates, env: str, noise: float) -> float:
    """Cost of one spend line on one day: base × trend × weekly pattern × events × noise."""
    base = float(line["monthly"]) * 12 / 365
    months = (day - dates.start).days / 30.44
    growth = float(line.get("growth", 0.01))
    value = base * math.pow(1 + growth, months)
    if day.weekday() >= 5:
        value *= 1 + float(line.get("weekend", 0.03))
    if env == "prod" and line.get("service") == ANOMALY_SERVICE and day in dates.anomaly_days:
        value *= ANOMALY_FACTOR
    if line.get("service") == GPU_SERVICE and day >= dates.gpu_drop:
        value *= 0.004  # the gpu-a10g node group is scaled to zero; EBS volumes remain
    return max(0.0, value * (1 + noise))


FOCUS_COLUMNS = [
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingCurrency",
    "BillingAccountId",
    "BillingAccountName",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "PricingCategory",
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "SkuId",
    "SubAccountId",
    "SubAccountName",
    "ConsumedQuantity",
    "ConsumedUnit",
    "Tags",
]


def generate_rows(today: date, model: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    model = model or load_model()
    dates = demo_dates(today)
    rows: list[dict[str, Any]] = []
    staging_share = float(model.get("staging_share", 0.15))
    region = model.get("region", "eu-west-1")
    for index, line in enumerate(model["lines"]):
        envs = ["prod"] + (["staging"] if line.get("staging", True) else [])
        for env in envs:
            rng = seeded_random("tessera", GENERATOR_VERSION, index, env)
            share = 1.0 if env == "prod" else staging_share
            day = dates.start
            while day <= dates.end:
                noise = rng.gauss(0.0, float(line.get("noise", 0.03)))
                amount = round(daily_amount(line, day, dates, env, noise) * share, 6)
                rows.append(_focus_row(line, env, day, amount, region))
                day += timedelta(days=1)
    return rows


def _focus_row(line: dict[str, Any], env: str, day: date, amount: float, region: str) -> dict[str, Any]:
    provider = line.get("provider", "AWS")
    account_id, account_name = ACCOUNTS[env]
    if provider == "ClickHouse":
        service_name, category, unit = "ClickHouse Cloud", "Analytics", "Compute Units"
        publisher, issuer = "ClickHouse, Inc.", "Amazon Web Services, Inc."
    else:
        service_name, category, unit = AWS_SERVICES[line["name"]]
        publisher = issuer = "Amazon Web Services, Inc."
    tags: dict[str, str] = {}
    if not line.get("untagged"):
        tags = {"service": line["service"], "team": line["team"], "env": env}
        if line.get("system"):
            tags["system"] = line["system"]
        if line.get("resource"):
            tags["resource"] = line["resource"]
    subject = line.get("resource") or line.get("service") or line["name"].lower()
    resource_id = f"arn:aws:{(line.get('name') or 'clickhouse').lower()}:{region}:{account_id}:{subject}-{env}"
    month_start = date(day.year, day.month, 1)
    next_month = date(day.year + (day.month // 12), day.month % 12 + 1, 1)
    list_cost = round(amount * 1.0, 6)
    return {
        "BilledCost": amount,
        "EffectiveCost": amount,
        "ListCost": list_cost,
        "ContractedCost": amount,
        "BillingCurrency": "USD",
        "BillingAccountId": "109876543210",
        "BillingAccountName": "tessera",
        "BillingPeriodStart": f"{month_start.isoformat()}T00:00:00Z",
        "BillingPeriodEnd": f"{next_month.isoformat()}T00:00:00Z",
        "ChargePeriodStart": f"{day.isoformat()}T00:00:00Z",
        "ChargePeriodEnd": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z",
        "ChargeCategory": "Usage",
        "ChargeClass": None,
        "ChargeDescription": f"{service_name} usage for {subject} ({env})",
        "ChargeFrequency": "Recurring" if line.get("name") == "AWSSupportBusiness" else "Usage-Based",
        "PricingCategory": "Standard",
        "ProviderName": provider,
        "PublisherName": publisher,
        "InvoiceIssuerName": issuer,
        "RegionId": region,
        "RegionName": "Europe (Ireland)",
        "ResourceId": resource_id,
        "ResourceName": f"{subject}-{env}",
        "ResourceType": category,
        "ServiceCategory": category,
        "ServiceName": service_name,
        "SkuId": (line.get("name") or "CH").upper(),
        "SubAccountId": account_id,
        "SubAccountName": account_name,
        "ConsumedQuantity": round(amount * 10, 4),
        "ConsumedUnit": unit,
        "Tags": json.dumps(tags, separators=(",", ":")) if tags else None,
    }


def write_exports(out_dir: Path, today: date, model: dict[str, Any] | None = None) -> list[Path]:
    """Write the AWS Parquet files (one per month) and the ClickHouse CSV; return their folders."""
    import duckdb
    import pandas as pd

    rows = generate_rows(today, model)
    aws = [r for r in rows if r["ProviderName"] == "AWS"]
    other = [r for r in rows if r["ProviderName"] != "AWS"]
    aws_dir, ch_dir = out_dir / "aws", out_dir / "clickhouse"
    aws_dir.mkdir(parents=True, exist_ok=True)
    ch_dir.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(aws, columns=FOCUS_COLUMNS)
    frame["ChargeClass"] = frame["ChargeClass"].astype("string")
    for column in ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"):
        frame[column] = pd.to_datetime(frame[column].str.rstrip("Z"))
    con = duckdb.connect()
    try:
        con.register("aws_rows", frame)
        months = sorted({r["ChargePeriodStart"][:7] for r in aws})
        for ym in months:
            target = aws_dir / f"focus-aws-{ym}.parquet"
            con.execute(
                f"COPY (SELECT * FROM aws_rows WHERE strftime(ChargePeriodStart, '%Y-%m') = '{ym}' "
                f"ORDER BY ChargePeriodStart, ServiceName, ResourceId) TO '{target}' (FORMAT parquet)"
            )
    finally:
        con.close()
    with (ch_dir / "focus-clickhouse.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FOCUS_COLUMNS)
        writer.writeheader()
        for r in other:
            writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return [aws_dir, ch_dir]


def ensure_demo_exports(data_dir: Path, today: date) -> list[Path]:
    """The demo exports for ``today`` under ``data_dir/cost/demo-<today>``, generated once."""
    out = Path(data_dir) / "cost" / f"demo-{today.isoformat()}-v{GENERATOR_VERSION}"
    marker = out / ".complete"
    if not marker.exists():
        tmp = out.with_name(out.name + f".tmp{random.randrange(1 << 30)}")
        write_exports(tmp, today)
        (tmp / ".complete").write_text("ok", encoding="utf-8")
        try:
            tmp.rename(out)
        except OSError:  # another process won the race; use its copy
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return [out / "aws", out / "clickhouse"]

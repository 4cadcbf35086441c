"""A file-backed OpenCost for the demo cluster ``tessera-prod``: same parameters, same JSON shape.

Workloads are the Kubernetes compute lines of ``demo/cost/spend.yaml`` (one Deployment per
component, labelled ``app.kubernetes.io/name``); their requests follow from their monthly compute
cost at the blended rates in that file, usage from a deterministic efficiency, with the overrides
listed there (``image-resizer`` is the over-provisioned one; ``recommendations-model`` stops
costing when the GPU node group is scaled to zero). Responses go through the same parser as the
HTTP client's, so the demo and a real OpenCost are handled by one code path.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from demo.cost.exports import demo_dates, load_model, seeded_random
from tools.cost.opencost import GIB, Allocation, OpenCostError, parse_response

IDLE_SHARE = 0.12


def workloads(model: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per Kubernetes workload: requests, usage and prices per hour."""
    prices = model["prices"]
    namespaces = model["namespaces"]
    overrides = model.get("workloads", {})
    seen: dict[str, dict[str, Any]] = {}
    for line in model["lines"]:
        if line.get("name") not in ("AmazonEC2", "AmazonEC2-GPU") or not line.get("service"):
            continue
        name = line["service"]
        hourly = float(line["monthly"]) / 730.0
        rng = seeded_random("opencost", name)
        o = overrides.get(name, {})
        replicas = int(o.get("replicas", 2 if hourly < 1.5 else 3))
        if "cpu" in o:
            cpu, ram = float(o["cpu"]) * replicas, float(o["ram_gib"]) * replicas
            cpu_used, ram_used = float(o["cpu_used"]) * replicas, float(o["ram_used_gib"]) * replicas
        else:
            cpu = 0.75 * hourly / prices["cpu_core_hour"]
            ram = 0.25 * hourly / prices["ram_gib_hour"]
            cpu_used, ram_used = cpu * rng.uniform(0.55, 0.8), ram * rng.uniform(0.6, 0.85)
        gpu = float(o.get("gpu", 0)) * replicas
        seen[name] = {
            "name": name,
            "namespace": namespaces.get(line.get("system", ""), "default"),
            "team": line.get("team"),
            "system": line.get("system"),
            "replicas": replicas,
            "cpu": cpu,
            "ram_gib": ram,
            "cpu_used": cpu_used,
            "ram_used_gib": ram_used,
            "gpu": gpu,
        }
    return list(seen.values())


_DURATION = re.compile(r"^(\d+)([mhdw])$")


def parse_window(window: str, today: date) -> tuple[datetime, datetime]:
    """The subset of OpenCost window syntax the demo needs: Nd/Nh/Nw, keywords, RFC 3339 or date pairs."""
    now = datetime.combine(today + timedelta(days=1), time(0), tzinfo=UTC)
    w = window.strip().lower()
    m = _DURATION.match(w)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        delta = {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[
            unit
        ]
        return now - delta, now
    midnight = datetime.combine(today, time(0), tzinfo=UTC)
    keywords = {
        "today": (midnight, now),
        "yesterday": (midnight - timedelta(days=1), midnight),
        "week": (midnight - timedelta(days=today.weekday()), now),
        "lastweek": (midnight - timedelta(days=today.weekday() + 7), midnight - timedelta(days=today.weekday())),
        "month": (midnight.replace(day=1), now),
    }
    if w in keywords:
        return keywords[w]
    if "," in w:
        a, b = (part.strip() for part in window.split(",", 1))
        try:
            return _instant(a), _instant(b)
        except ValueError as exc:
            raise OpenCostError(f"invalid window {window!r}: {exc}") from exc
    raise OpenCostError(f"invalid window {window!r}: use e.g. 7d, today, lastweek, or start,end in RFC 3339")


def _instant(text: str) -> datetime:
    if text.isdigit():
        return datetime.fromtimestamp(int(text), tz=UTC)
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class DemoOpenCost:
    """Answers ``allocation(...)`` like :class:`tools.cost.opencost.OpenCostClient`, from the demo model."""

    def __init__(self, today: date):
        self.today = today
        self.model = load_model()
        self.dates = demo_dates(today)
        self.workloads = workloads(self.model)
        self.cluster = self.model.get("cluster", "tessera-prod")

    @property
    def source(self) -> str:
        return f"OpenCost (demo data for cluster {self.cluster})"

    def _allocation(self, w: dict[str, Any], start: datetime, end: datetime) -> dict[str, Any] | None:
        p = self.model["prices"]
        gpu_stop = datetime.combine(self.dates.gpu_drop, time(0), tzinfo=UTC)
        if w["gpu"]:
            end = min(end, gpu_stop)
        minutes = max(0.0, (end - start).total_seconds() / 60.0)
        if minutes <= 0:
            return None
        hours = minutes / 60.0
        cpu_cost = max(w["cpu"], w["cpu_used"]) * hours * p["cpu_core_hour"]
        ram_cost = max(w["ram_gib"], w["ram_used_gib"]) * hours * p["ram_gib_hour"]
        gpu_cost = w["gpu"] * hours * p["gpu_hour"]
        cpu_eff = w["cpu_used"] / w["cpu"] if w["cpu"] else 0.0
        ram_eff = w["ram_used_gib"] / w["ram_gib"] if w["ram_gib"] else 0.0
        total = cpu_cost + ram_cost + gpu_cost
        labels = {
            "app_kubernetes_io_name": w["name"],
            "app_kubernetes_io_part_of": w["system"],
            "tessera_example_team": w["team"],
        }
        return {
            "name": w["name"],
            "properties": {
                "cluster": self.cluster,
                "namespace": w["namespace"],
                "controller": w["name"],
                "controllerKind": "deployment",
                "labels": labels,
            },
            "window": {"start": _iso(start), "end": _iso(end)},
            "start": _iso(start),
            "end": _iso(end),
            "minutes": minutes,
            "cpuCores": w["cpu"],
            "cpuCoreRequestAverage": w["cpu"],
            "cpuCoreUsageAverage": w["cpu_used"],
            "cpuCoreHours": w["cpu"] * hours,
            "cpuCost": cpu_cost,
            "cpuCostAdjustment": 0,
            "cpuEfficiency": cpu_eff,
            "gpuCount": w["gpu"],
            "gpuHours": w["gpu"] * hours,
            "gpuCost": gpu_cost,
            "networkCost": 0,
            "loadBalancerCost": 0,
            "pvCost": 0,
            "ramBytes": w["ram_gib"] * GIB,
            "ramByteRequestAverage": w["ram_gib"] * GIB,
            "ramByteUsageAverage": w["ram_used_gib"] * GIB,
            "ramByteHours": w["ram_gib"] * GIB * hours,
            "ramCost": ram_cost,
            "ramEfficiency": ram_eff,
            "sharedCost": 0,
            "externalCost": 0,
            "totalCost": total,
            "totalEfficiency": (cpu_eff * cpu_cost + ram_eff * ram_cost) / (cpu_cost + ram_cost)
            if cpu_cost + ram_cost
            else 0.0,
        }

    def _set(
        self, start: datetime, end: datetime, aggregate: str | None, include_idle: bool, share_idle: bool
    ) -> dict[str, Any]:
        allocs = [a for w in self.workloads if (a := self._allocation(w, start, end))]
        idle = IDLE_SHARE / (1 - IDLE_SHARE) * sum(a["totalCost"] for a in allocs)
        if share_idle and allocs:
            total = sum(a["totalCost"] for a in allocs) or 1.0
            for a in allocs:
                a["sharedCost"] = idle * a["totalCost"] / total
                a["totalCost"] += a["sharedCost"]
        groups: dict[str, list[dict[str, Any]]] = {}
        for a in allocs:
            groups.setdefault(_key(a, aggregate), []).append(a)
        out = {name: _merge(name, items) for name, items in groups.items()}
        if include_idle and not share_idle:
            out["__idle__"] = {
                "name": "__idle__",
                "properties": {"cluster": self.cluster},
                "start": _iso(start),
                "end": _iso(end),
                "minutes": (end - start).total_seconds() / 60,
                "cpuCost": idle * 0.7,
                "ramCost": idle * 0.3,
                "totalCost": idle,
            }
        return out

    def payload(
        self,
        *,
        window: str,
        aggregate: str | None = None,
        step: str | None = None,
        accumulate: bool | None = None,
        include_idle: bool | None = None,
        share_idle: bool | None = None,
        filter: str | None = None,
    ) -> dict[str, Any]:
        start, end = parse_window(window, self.today)
        data_start = datetime.combine(self.dates.start, time(0), tzinfo=UTC)
        data_end = datetime.combine(self.dates.end + timedelta(days=1), time(0), tzinfo=UTC)
        start, end = max(start, data_start), min(end, data_end)
        if end <= start:
            return {"code": 200, "status": "success", "data": [{}]}
        steps = [(start, end)]
        m = _DURATION.match((step or "").lower())
        if m and not accumulate:
            size = {
                "h": timedelta(hours=1),
                "d": timedelta(days=1),
                "w": timedelta(weeks=1),
                "m": timedelta(minutes=1),
            }[m.group(2)] * int(m.group(1))
            steps, t = [], start
            while t < end:
                steps.append((t, min(end, t + size)))
                t += size
        data = [self._set(a, b, aggregate, bool(include_idle), bool(share_idle)) for a, b in steps]
        if filter:
            data = [{k: v for k, v in s.items() if _matches(v, filter)} for s in data]
        return {"code": 200, "status": "success", "data": data}

    def allocation(self, **params: Any) -> tuple[list[dict[str, Allocation]], dict]:
        shown = {k: v for k, v in params.items() if v is not None}
        return parse_response(self.payload(**params)), {"source": self.source, **shown}


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key(a: dict[str, Any], aggregate: str | None) -> str:
    props = a["properties"]
    if not aggregate:
        return f"{props['cluster']}/{props['namespace']}/{props['controller']}"
    keys = []
    for part in aggregate.split(","):
        part = part.strip()
        if part.startswith("label:"):
            label = part[6:].replace(".", "_").replace("/", "_").replace("-", "_")
            keys.append(props["labels"].get(label, "__unallocated__"))
        elif part == "controller":
            keys.append(f"{props['controllerKind']}:{props['controller']}")
        elif part in ("deployment",):
            keys.append(props["controller"])
        else:
            keys.append(str(props.get(part, "__unallocated__")))
    return "/".join(keys)


def _merge(name: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    if len(items) == 1:
        return {**items[0], "name": name}
    out: dict[str, Any] = {
        "name": name,
        "properties": {
            k: v for k, v in items[0]["properties"].items() if all(i["properties"].get(k) == v for i in items)
        },
        "window": items[0]["window"],
        "start": items[0]["start"],
        "end": items[0]["end"],
        "minutes": max(i["minutes"] for i in items),
    }
    for f in (
        "cpuCost",
        "gpuCost",
        "ramCost",
        "pvCost",
        "networkCost",
        "loadBalancerCost",
        "sharedCost",
        "externalCost",
        "totalCost",
        "cpuCoreRequestAverage",
        "cpuCoreUsageAverage",
        "ramByteRequestAverage",
        "ramByteUsageAverage",
        "cpuCores",
        "ramBytes",
        "gpuCount",
    ):
        out[f] = sum(float(i.get(f, 0.0)) for i in items)
    cpu_req, ram_req = out["cpuCoreRequestAverage"], out["ramByteRequestAverage"]
    out["cpuEfficiency"] = out["cpuCoreUsageAverage"] / cpu_req if cpu_req else 0
    out["ramEfficiency"] = out["ramByteUsageAverage"] / ram_req if ram_req else 0
    cr = out["cpuCost"] + out["ramCost"]
    weighted = out["cpuEfficiency"] * out["cpuCost"] + out["ramEfficiency"] * out["ramCost"]
    out["totalEfficiency"] = weighted / cr if cr else 0
    return out


def _matches(a: dict[str, Any], flt: str) -> bool:
    """A tiny subset of the v2 filter language: namespace:"x" / label[app.kubernetes.io/name]:"y"."""
    m = re.match(r'^\s*(namespace|cluster)\s*:\s*"?([^"]+)"?\s*$', flt)
    if m:
        return a.get("properties", {}).get(m.group(1)) == m.group(2)
    return True

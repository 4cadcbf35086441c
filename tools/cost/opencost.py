"""The OpenCost Allocation API (``GET /allocation``) over HTTP, and rightsizing from its answers.

The client speaks the real wire protocol with httpx; a provided OpenCost (the demo's, see
:mod:`tools.cost.provided`) builds responses of the same shape, so both go through :func:`parse_response`.
Rightsizing compares average requests with average usage (the efficiency fields) and prices the
difference with the allocation's own CPU and RAM cost, scaled to a 30-day month.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tools.cost.periods import Period

HOURS_PER_MONTH = 730.0
GIB = 1024**3
MIB = 1024**2


class OpenCostError(RuntimeError):
    pass


class Allocation(BaseModel):
    """One allocation; only the fields we use are typed, the rest are kept."""

    model_config = ConfigDict(extra="allow")

    name: str
    properties: dict[str, Any] = Field(default_factory=dict)
    start: str | None = None
    end: str | None = None
    minutes: float = 0.0
    cpuCoreRequestAverage: float = 0.0
    cpuCoreUsageAverage: float = 0.0
    cpuCost: float = 0.0
    cpuEfficiency: float = 0.0
    gpuCost: float = 0.0
    ramByteRequestAverage: float = 0.0
    ramByteUsageAverage: float = 0.0
    ramCost: float = 0.0
    ramEfficiency: float = 0.0
    pvCost: float = 0.0
    networkCost: float = 0.0
    loadBalancerCost: float = 0.0
    sharedCost: float = 0.0
    externalCost: float = 0.0
    totalCost: float = 0.0
    totalEfficiency: float = 0.0

    @property
    def is_idle(self) -> bool:
        return self.name == "__idle__"

    @property
    def is_unallocated(self) -> bool:
        return self.name == "__unallocated__" or self.name.startswith("__unallocated__")


def parse_response(payload: Any) -> list[dict[str, Allocation]]:
    """``{"code":200,"data":[{name: allocation}, …]}`` → one dict per step. Errors are raised in full."""
    if not isinstance(payload, dict):
        raise OpenCostError(f"unexpected OpenCost response: {str(payload)[:200]}")
    code = payload.get("code", 200)
    if code != 200 or payload.get("status") not in (None, "success"):
        raise OpenCostError(f"OpenCost returned code {code}: {payload.get('message') or payload.get('status')}")
    sets = []
    for step in payload.get("data") or []:
        if not step:
            sets.append({})
            continue
        sets.append(
            {
                name: Allocation.model_validate({**(alloc or {}), "name": (alloc or {}).get("name", name)})
                for name, alloc in step.items()
                if alloc is not None
            }
        )
    return sets


def window_of(period: Period) -> str:
    """An OpenCost window for a period: an RFC 3339 pair."""
    return f"{period.start.isoformat()}T00:00:00Z,{period.end.isoformat()}T00:00:00Z"


class OpenCostClient:
    def __init__(self, base_url: str, timeout: float = 30.0):
        import httpx

        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    @property
    def source(self) -> str:
        return f"OpenCost {self.base_url}"

    def allocation(
        self,
        *,
        window: str,
        aggregate: str | None = None,
        step: str | None = None,
        accumulate: bool | None = None,
        include_idle: bool | None = None,
        share_idle: bool | None = None,
        filter: str | None = None,
    ) -> tuple[list[dict[str, Allocation]], dict]:
        params: dict[str, Any] = {"window": window}
        for key, value in (
            ("aggregate", aggregate),
            ("step", step),
            ("accumulate", accumulate),
            ("includeIdle", include_idle),
            ("shareIdle", share_idle),
            ("filter", filter),
        ):
            if value is not None:
                params[key] = str(value).lower() if isinstance(value, bool) else value
        import httpx

        try:
            response = self._http.get("/allocation", params=params)
        except httpx.HTTPError as exc:
            raise OpenCostError(f"cannot reach OpenCost at {self.base_url}: {exc}") from exc
        if response.status_code != 200:
            raise OpenCostError(f"OpenCost {response.url} answered HTTP {response.status_code}: {response.text[:300]}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise OpenCostError(f"OpenCost {response.url} did not return JSON: {response.text[:200]}") from exc
        return parse_response(payload), {"url": str(response.url), **params}

    def close(self) -> None:
        self._http.close()


# Over several steps, costs and hours add up; usage averages are weighted by minutes.
SUMMED_FIELDS = (
    "cpuCost",
    "gpuCost",
    "ramCost",
    "pvCost",
    "networkCost",
    "loadBalancerCost",
    "sharedCost",
    "externalCost",
    "totalCost",
    "minutes",
)
AVERAGED_FIELDS = ("cpuCoreRequestAverage", "cpuCoreUsageAverage", "ramByteRequestAverage", "ramByteUsageAverage")


def accumulate_sets(sets: list[dict[str, Allocation]]) -> dict[str, Allocation]:
    """Sum several steps into one set (costs and hours add; averages are weighted by minutes)."""
    if len(sets) == 1:
        return sets[0]
    out: dict[str, dict[str, float]] = {}
    props: dict[str, dict] = {}
    for step in sets:
        for name, a in step.items():
            acc = out.setdefault(name, {})
            props.setdefault(name, a.properties)
            m = a.minutes or 0.0
            for f in SUMMED_FIELDS:
                acc[f] = acc.get(f, 0.0) + float(getattr(a, f) or 0.0)
            for f in AVERAGED_FIELDS:
                acc[f + "_w"] = acc.get(f + "_w", 0.0) + float(getattr(a, f) or 0.0) * m
    result = {}
    for name, acc in out.items():
        m = acc.get("minutes") or 1.0
        fields = {f: acc.get(f, 0.0) for f in SUMMED_FIELDS}
        for f in AVERAGED_FIELDS:
            fields[f] = acc.get(f + "_w", 0.0) / m
        fields["cpuEfficiency"] = (
            fields["cpuCoreUsageAverage"] / fields["cpuCoreRequestAverage"] if fields["cpuCoreRequestAverage"] else 0.0
        )
        fields["ramEfficiency"] = (
            fields["ramByteUsageAverage"] / fields["ramByteRequestAverage"] if fields["ramByteRequestAverage"] else 0.0
        )
        result[name] = Allocation(name=name, properties=props[name], **fields)
    return result


def _round_up(value: float, step: float) -> float:
    return max(step, math.ceil(value / step) * step)


def rightsizing(
    allocations: dict[str, Allocation],
    *,
    headroom: float = 1.3,
    max_efficiency: float = 0.5,
    min_monthly_saving: float = 10.0,
) -> list[dict[str, Any]]:
    """Workloads whose requests far exceed their usage, with the monthly saving of right-sizing.

    OpenCost charges CPU and RAM at max(request, usage), so lowering the request to usage ×
    ``headroom`` saves the cost in proportion. Recommendations are rounded up to 50 mCPU and
    64 MiB so they can be applied as written.
    """
    out = []
    for a in allocations.values():
        if a.is_idle or a.is_unallocated or a.minutes <= 0:
            continue
        scale = HOURS_PER_MONTH * 60.0 / a.minutes
        cpu_req, cpu_use = a.cpuCoreRequestAverage, a.cpuCoreUsageAverage
        ram_req, ram_use = a.ramByteRequestAverage, a.ramByteUsageAverage
        cpu_eff = a.cpuEfficiency or (cpu_use / cpu_req if cpu_req else 1.0)
        ram_eff = a.ramEfficiency or (ram_use / ram_req if ram_req else 1.0)
        saving, rec_cpu, rec_ram = 0.0, cpu_req, ram_req
        if cpu_req > 0 and cpu_eff < max_efficiency:
            rec_cpu = min(cpu_req, _round_up(cpu_use * headroom, 0.05))
            saving += a.cpuCost * (1 - rec_cpu / cpu_req)
        if ram_req > 0 and ram_eff < max_efficiency:
            rec_ram = min(ram_req, _round_up(ram_use * headroom, 64 * MIB))
            saving += a.ramCost * (1 - rec_ram / ram_req)
        monthly = saving * scale
        if monthly < min_monthly_saving:
            continue
        out.append(
            {
                "workload": a.name,
                "namespace": a.properties.get("namespace"),
                "cpu": {
                    "request_cores": round(cpu_req, 3),
                    "usage_cores": round(cpu_use, 3),
                    "efficiency": round(cpu_eff, 3),
                    "recommended_cores": round(rec_cpu, 3),
                },
                "memory": {
                    "request_gib": round(ram_req / GIB, 3),
                    "usage_gib": round(ram_use / GIB, 3),
                    "efficiency": round(ram_eff, 3),
                    "recommended_gib": round(rec_ram / GIB, 3),
                },
                "monthly_cost": round((a.cpuCost + a.ramCost + a.gpuCost + a.pvCost) * scale, 2),
                "monthly_saving": round(monthly, 2),
            }
        )
    out.sort(key=lambda r: r["monthly_saving"], reverse=True)
    return out

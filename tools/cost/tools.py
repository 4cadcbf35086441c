"""The cost tools: what a model (or the offline planner) can call.

Every figure a tool returns carries its currency, the period it covers and the source it came
from; unallocated spend is always listed; rows that could not be read are reported in ``note``.
Charts (PNG for Slack, SVG for the web) are returned as ``data.chart`` with file paths under
``<data_dir>/charts`` and URL paths ``/charts/<file>``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from contract.tooling import PortalTool, ToolContext, ToolResult
from tools.cost.charts import attachments as chart_attachments
from tools.cost.engine import MAPPED_DIMS, dimension, label
from tools.cost.mapping import UNALLOCATED
from tools.cost.periods import Period, month_of, parse_day, parse_period, quarter_of
from tools.cost.provided import provided_cost_data

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from tools.cost.engine import Aggregate, CostEngine, Filters

FAMILY = "cost"
Dimension = Literal[
    "entity",
    "team",
    "system",
    "environment",
    "provider",
    "service_name",
    "service_category",
    "region",
    "region_name",
    "account",
    "resource",
    "resource_type",
    "charge_category",
    "pricing_category",
    "availability_zone",
    "billing_account",
    "invoice_issuer",
    "publisher",
    "account_id",
    "charge_description",
    "charge_frequency",
    "commitment_discount_type",
    "commitment_discount_category",
    "sku",
    "billing_period",
]
TagDimension = Annotated[str, StringConstraints(pattern=r"^tag:.+")]
BY_HELP = (
    "entity/team/system/environment: the catalog mapping of tags; the rest: FOCUS columns (account = "
    "SubAccountName, account_id = SubAccountId, region = RegionId, billing_period = BillingPeriodStart's "
    "month, sku = SkuId); tag:<key> for any tag"
)
PERIOD_HELP = (
    'Period in words or dates: "last month", "this month", "Q3", "last quarter", "the last 30 days", '
    '"since Monday", "October 2026", "2026-10-01 to 2026-10-15"'
)
DEFAULT_PERIOD_HELP = PERIOD_HELP + "; default: last month, or the data's latest month if it ends earlier"
# When a breakdown by catalog entity maps nothing (tags that name no catalog entity), the next
# most specific FOCUS dimension that is not already filtered on is shown instead.
ENTITY_FALLBACK = ("service_name", "region", "account")


def _amount(value: float) -> float:
    """Cents, except for amounts below a cent, which keep two significant digits (not 0.00)."""
    return round(value, 2) if abs(value) >= 0.005 or value == 0 else float(f"{value:.2g}")


# --- argument schemas ---------------------------------------------------------------------------
class FilterArgs(BaseModel):
    entity: str | None = Field(None, description="Catalog component/resource name, e.g. checkout")
    team: str | None = Field(None, description="Owning team (group name), e.g. team-payments")
    system: str | None = Field(None, description="Catalog system name")
    environment: str | None = Field(None, description="prod or staging (from the environment tag keys)")
    provider: str | None = Field(None, description="FOCUS ProviderName, e.g. AWS")
    service_name: str | None = Field(None, description="FOCUS ServiceName, e.g. Amazon Relational Database Service")
    service_category: str | None = Field(None, description="FOCUS ServiceCategory, e.g. Compute")
    region: str | None = Field(None, description="FOCUS RegionId, e.g. eu-west-1")
    where: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="More filters, {dimension: value or [values]} (any `by` dimension or tag:<key>), "
        'e.g. {"tag:environment": "prod", "service_name": ["Amazon Elastic Compute Cloud", "Amazon Simple '
        'Storage Service"]}',
    )
    exclude: dict[str, str | list[str]] = Field(
        default_factory=dict, description='Leave these out, same form, e.g. {"charge_category": "Credit"}'
    )
    untagged: bool | None = Field(
        None, description="true: only billing rows with no tags at all; false: only rows with at least one tag"
    )


class BreakdownArgs(FilterArgs):
    period: str | None = Field(None, description=DEFAULT_PERIOD_HELP)
    by: Dimension | TagDimension = Field("entity", description=BY_HELP)
    top: int = Field(10, ge=1, le=50, description="How many rows to list; the rest is summed as 'other'")
    metric: Literal["billed", "effective", "list"] = Field(
        "billed", description="BilledCost, EffectiveCost (amortised) or ListCost"
    )
    chart: bool = Field(True, description="Also render a bar chart (PNG + SVG)")
    detail: Dimension | TagDimension | None = Field(
        None,
        description="Also list each row's biggest values of this dimension, e.g. charge_description for what "
        "the charges were for, provider for whose charges a billing period holds",
    )
    compare: bool = Field(
        False,
        description="Also give the total's and each row's BilledCost, EffectiveCost and ListCost, and the saving "
        "against list price (ListCost - EffectiveCost): what commitment discounts (savings plans, reservations) "
        "and negotiated rates saved",
    )


class ChangeArgs(FilterArgs):
    period: str | None = Field(None, description=DEFAULT_PERIOD_HELP)
    compare_to: str | None = Field(None, description="Period to compare with; default: the one just before")
    by: Dimension | TagDimension = Field("entity", description="Dimension for the top movers")
    top: int = Field(5, ge=1, le=20, description="How many of the biggest movers to list")


class DailyArgs(FilterArgs):
    period: str = Field("the last 30 days", description=PERIOD_HELP)
    chart: bool = Field(True, description="Also render a trend chart (PNG + SVG)")


class AnomalyArgs(FilterArgs):
    period: str = Field("the last 30 days", description="Period to report anomalies in; " + PERIOD_HELP)
    by: Dimension | TagDimension | Literal["total"] = Field(
        "entity", description="Look for anomalies per value of this dimension (and in the total)"
    )
    sensitivity: float = Field(5.0, ge=2.0, le=8.0, description="Robust z-score threshold (lower = more alerts)")
    chart: bool = Field(True, description="Also render the daily series with the anomalies marked (PNG + SVG)")


class ExplainDayArgs(FilterArgs):
    day: str = Field(..., description='The day: "2026-11-12", "the 12th", "Nov 12", "yesterday"')
    by: Dimension | TagDimension = Field("entity", description="Dimension to find the contributors in")
    top: int = Field(5, ge=1, le=20, description="How many of the biggest contributors to list")


class ForecastArgs(FilterArgs):
    horizon: Literal["month", "quarter"] = Field("month", description="Forecast to the end of this month/quarter")
    level: float = Field(0.8, ge=0.5, le=0.99, description="Prediction interval level")
    chart: bool = Field(True, description="Also render the actuals and the forecast band (PNG + SVG)")


class RightsizingArgs(BaseModel):
    window: str = Field("the last 30 days", description="OpenCost window (7d, 30d, lastweek) or a period in words")
    namespace: str | None = Field(None, description="Only this Kubernetes namespace")
    team: str | None = Field(None, description="Only workloads of this team")
    entity: str | None = Field(None, description="Only this workload/component")
    headroom: float = Field(1.3, ge=1.0, le=3.0, description="Recommended request = usage × headroom")
    top: int = Field(10, ge=1, le=50, description="How many workloads to list, biggest saving first")


class ShowbackArgs(BaseModel):
    period: str | None = Field(None, description=DEFAULT_PERIOD_HELP)
    top_per_team: int = Field(3, ge=1, le=10, description="How many of each team's biggest items to list")


class AllocationArgs(BaseModel):
    window: str = Field("7d", description="OpenCost window: 7d, today, lastweek, or start,end RFC 3339")
    aggregate: str = Field("namespace", description="namespace, controller, label:app.kubernetes.io/name, …")
    step: str | None = Field(None, description="Step, e.g. 1d (one set per step)")
    accumulate: bool = Field(True, description="Sum the steps into one set")
    include_idle: bool = Field(True, description="Report idle cluster cost as __idle__")
    share_idle: bool = Field(False, description="Share idle cost among allocations instead")
    top: int = Field(15, ge=1, le=100, description="How many allocations to list, most expensive first")


class SourcesArgs(BaseModel):
    pass


# --- helpers ------------------------------------------------------------------------------------
def _engine(ctx: ToolContext) -> CostEngine:
    from tools.cost.engine import engine_for

    return engine_for(ctx.runtime)


def _filters(args: FilterArgs) -> Filters:
    from tools.cost.engine import Filters

    named = {k: getattr(args, k) for k in FilterArgs.model_fields if k not in ("where", "exclude", "untagged")}
    return Filters.of(args.where, args.exclude, args.untagged, **named)


def _period(text: str | None, engine: CostEngine) -> Period:
    if text is None:
        return engine.default_period()
    period = parse_period(text, engine.today(), engine.dataset.date_range()[1])
    if period is None:
        raise ValueError(f"cannot understand the period {text!r}; try {PERIOD_HELP}")
    return period


def _primary(values: dict[str, float]) -> str:
    return max(values, key=lambda c: abs(values[c])) if values else "USD"


def _note(engine: CostEngine, period: Period | None, extra: list[str] | None = None) -> str | None:
    notes = list(extra or [])
    if period is not None and (cover := engine.coverage_note(period)):
        notes.append(cover)
    notes += engine.notes()
    return " ".join(n for n in notes if n) or None


def _filter_notes(engine: CostEngine, filters: Filters) -> list[str]:
    """Say so when a FOCUS or tag filter names a value the data never has (a typo, another name)."""
    checked = (engine.vocabulary.unknown_value_note(d, v) for d, v in filters.pairs() if d not in MAPPED_DIMS)
    return [note for note in checked if note]


def _refs(engine: CostEngine, names: list[str], refs: dict[str, str]) -> list[str]:
    return list(dict.fromkeys(refs[n] for n in names if n in refs))


def _filter_refs(engine: CostEngine, filters: Filters) -> list[str]:
    names = [filters.get(k) for k in ("entity", "team", "system")]
    return [r for n in names if n and (r := engine.entity_ref(n))]


def _top_tags(engine: CostEngine, n: int) -> list[tuple[str, dict[str, int]]]:
    """The tag keys most rows carry, with their values' row counts."""
    return sorted(engine.vocabulary.tags.items(), key=lambda kv: -sum(kv[1].values()))[:n]


def _top_values(engine: CostEngine, dim: str, n: int) -> list[str]:
    """The values of a dimension that most rows carry."""
    values = engine.vocabulary.values(dim)
    return sorted(values, key=lambda v: -values[v])[:n]


def _what(filters: Filters) -> str:
    """What a chart is about: the first filter's value, or the total."""
    return next((v for _, v in filters.pairs()), "total")


def _chart_dir(ctx: ToolContext):
    return ctx.runtime.data_dir / "charts"


def _base(engine: CostEngine, period: Period, currency: str, filters: dict[str, Any]) -> dict[str, Any]:
    return {"period": period.as_dict(), "currency": currency, "source": engine.source(), "filters": filters}


def _scope_facts(agg: Aggregate) -> dict[str, Any]:
    """What a figure was built from when tags were read: the environment's tag keys, and spend a tag
    filter left out although another tag key holds the same value (``env=prod`` vs ``environment``)."""
    out: dict[str, Any] = {}
    if agg.environment_keys:
        out["environment_from_tags"] = {k: round(v, 2) for k, v in sorted(agg.environment_keys.items())}
    if agg.same_value_elsewhere:
        out["same_value_under_other_tags"] = {k: round(v, 2) for k, v in sorted(agg.same_value_elsewhere.items())}
    if agg.unset_but_tagged:
        out["not_set_but_tagged"] = {k: round(v, 2) for k, v in sorted(agg.unset_but_tagged.items())}
    return out


def _entity_fallback(by: str, filters: Filters, *aggs: Aggregate) -> dict[str, str] | None:
    """When a breakdown by catalog entity maps nothing (an export whose tags name no catalog
    entity), the next FOCUS dimension to show instead, and why; None when the mapping serves."""
    if by != "entity" or not any(a.values for a in aggs):
        return None
    if any(k[0] != UNALLOCATED for a in aggs for k in a.values):
        return None
    to = next((d for d in ENTITY_FALLBACK if d not in filters.dims()), None)
    if to is None:
        return None
    reasons = sorted({r for a in aggs for r in a.unallocated_reasons})
    return {
        "from": "entity",
        "to": to,
        "reason": f"None of it maps to a catalog entity ({'; '.join(reasons)}), so here it is by {label(to)}",
    }


# --- tools --------------------------------------------------------------------------------------
def cost_breakdown(args: BreakdownArgs, ctx: ToolContext) -> ToolResult:
    engine = _engine(ctx)
    period = _period(args.period, engine)
    filters = _filters(args)
    by = dimension(args.by)
    agg = engine.aggregate(period, [by], filters, metric=args.metric)
    fallback = _entity_fallback(by, filters, agg)
    if fallback:
        by = fallback["to"]
        mapped, agg = agg, engine.aggregate(period, [by], filters, metric=args.metric)
        agg.unallocated_reasons, agg.unknown_values = mapped.unallocated_reasons, mapped.unknown_values
    totals = agg.totals_by_currency()
    currency = _primary(totals)
    rows = sorted(((k[0], v) for k, v in agg.values.items() if k[-1] == currency), key=lambda r: -r[1])
    counts = {k[0]: n for k, n in agg.rows.items() if k[-1] == currency}
    total = totals.get(currency, 0.0)
    shown, rest = _listed(rows, args.top)
    unallocated = total if fallback else sum(v for k, v in rows if k == UNALLOCATED)
    details = _details(engine, period, by, args, filters, currency, [k for k, _ in shown])
    data = _base(engine, period, currency, filters.active())
    data.update(
        {
            "by": by,
            "by_label": label(by),
            "metric": args.metric,
            "total": _amount(total),
            "row_count": agg.rows_by_currency().get(currency, 0),
            "values": len(rows),
            "rows": [
                {
                    "key": k,
                    "cost": _amount(v),
                    "share_pct": round(100 * v / total, 1) if total else 0.0,
                    "row_count": counts.get(k, 0),
                    **({"detail": details[k]} if k in details else {}),
                }
                for k, v in shown
            ],
            "other": {
                "count": len(rest),
                "cost": _amount(sum(v for _, v in rest)),
                "row_count": sum(counts.get(k, 0) for k, _ in rest),
            }
            if rest
            else None,
            "unallocated": {
                "cost": round(unallocated, 2),
                "reasons": {r: round(v, 2) for r, v in sorted(agg.unallocated_reasons.items(), key=lambda x: -x[1])},
                "unknown_tag_values": {
                    r: round(v, 2) for r, v in sorted(agg.unknown_values.items(), key=lambda x: -x[1])[:5]
                },
            },
            **_scope_facts(agg),
        }
    )
    if fallback:
        data["fallback"] = fallback
        data["tag_keys"] = [k for k, _ in _top_tags(engine, 8)]
    if details:
        data["detail_by"] = dimension(args.detail or "")
        data["detail_label"] = label(data["detail_by"])
    if args.compare:
        data["compare"] = _compare(engine, period, by, filters, currency, [k for k, _ in shown])
    others = {c: round(v, 2) for c, v in totals.items() if c != currency}
    if others:
        data["other_currencies"] = others
    if args.chart and shown:
        from tools.cost.charts import breakdown_chart

        title = f"Cost by {label(by)} — {period.label} ({currency})"
        data["chart"] = breakdown_chart(_chart_dir(ctx), title, [(k, v) for k, v in shown], currency)
    refs = _filter_refs(engine, filters) + _refs(engine, [k for k, _ in shown], agg.entity_refs)
    return ToolResult(
        data=data,
        source=data["source"],
        refs=list(dict.fromkeys(refs)),
        note=_note(engine, period, _filter_notes(engine, filters)),
        attachments=chart_attachments(data.get("chart")),
    )


DETAIL_TOP = 3
COMPARED = ("billed", "effective", "list")


def _compare(
    engine: CostEngine, period: Period, by: str, filters: Filters, currency: str, keys: list[str]
) -> dict[str, Any]:
    """BilledCost, EffectiveCost and ListCost of the whole scope and of each listed row, with the saving
    against list price (ListCost - EffectiveCost; EffectiveCost is BilledCost where an export leaves it empty)."""
    per: dict[str, dict[str, float]] = {}
    total = dict.fromkeys(COMPARED, 0.0)
    for metric in COMPARED:
        agg = engine.aggregate(period, [by], filters, metric=metric)
        for (key, cur), value in agg.values.items():
            if cur != currency:
                continue
            total[metric] += value
            if key in keys:
                per.setdefault(key, dict.fromkeys(COMPARED, 0.0))[metric] += value

    def figures(values: dict[str, float]) -> dict[str, float]:
        out = {f"{m}_cost": _amount(values[m]) for m in COMPARED}
        out["saving_vs_list"] = _amount(values["list"] - values["effective"])
        return out

    return {"total": figures(total), "rows": {key: figures(values) for key, values in per.items()}}


def _listed(rows: list[tuple[str, float]], top: int) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """The rows to list and the rest: the ``top`` biggest, plus any credit (a negative row) bigger
    than one of those, so the parts that make up a net figure are not hidden among "others"."""
    shown, rest = rows[:top], rows[top:]
    if not shown:
        return shown, rest
    floor = min(abs(v) for _, v in shown)
    credits = [r for r in rest if r[1] < 0 and abs(r[1]) > floor]
    return shown + credits, [r for r in rest if r not in credits]


def _details(
    engine: CostEngine, period: Period, by: str, args: BreakdownArgs, filters: Filters, currency: str, keys: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """For each listed row, its biggest values of ``args.detail`` (what the charges were, whose they
    are) with cost and row count; empty when no detail is asked or it is the breakdown's own dimension."""
    if not args.detail or dimension(args.detail) == by:
        return {}
    detail = dimension(args.detail)
    agg = engine.aggregate(period, [by, detail], filters, metric=args.metric)
    per: dict[str, list[tuple[str, float, int]]] = {}
    for (key, value, cur), cost in agg.values.items():
        if cur == currency and key in keys:
            per.setdefault(key, []).append((value, cost, agg.rows[(key, value, cur)]))
    return {
        key: [
            {"key": v, "cost": _amount(c), "row_count": n}
            for v, c, n in sorted(items, key=lambda i: -abs(i[1]))[:DETAIL_TOP]
        ]
        for key, items in per.items()
    }


def cost_change(args: ChangeArgs, ctx: ToolContext) -> ToolResult:
    from tools.cost.analysis import movers

    engine = _engine(ctx)
    period = _period(args.period, engine)
    previous = _period(args.compare_to, engine) if args.compare_to else period.previous()
    filters = _filters(args)
    by = dimension(args.by)
    now = engine.aggregate(period, [by], filters)
    before = engine.aggregate(previous, [by], filters)
    fallback = _entity_fallback(by, filters, now, before)
    if fallback:
        by = fallback["to"]
        now, before = engine.aggregate(period, [by], filters), engine.aggregate(previous, [by], filters)
    currency = _primary(now.totals_by_currency() or before.totals_by_currency())
    cur = {k[0]: v for k, v in now.values.items() if k[-1] == currency}
    prev = {k[0]: v for k, v in before.values.items() if k[-1] == currency}
    a, b = sum(prev.values()), sum(cur.values())
    data = _base(engine, period, currency, filters.active())
    data.update(
        {
            "compared_with": previous.as_dict(),
            "by": by,
            "current_total": round(b, 2),
            "previous_total": round(a, 2),
            "change": round(b - a, 2),
            "change_pct": round(100 * (b - a) / a, 1) if a else None,
            "top_movers": movers(cur, prev, args.top),
            **_scope_facts(now),
        }
    )
    if fallback:
        data["fallback"] = fallback
    if period.days != previous.days:
        data["length_note"] = f"{period.label} has {period.days} days, {previous.label} has {previous.days}"
    refs = _refs(engine, [m["key"] for m in data["top_movers"]], {**before.entity_refs, **now.entity_refs})
    return ToolResult(
        data=data,
        source=data["source"],
        refs=refs,
        note=_note(engine, period, [engine.coverage_note(previous) or "", *_filter_notes(engine, filters)]),
    )


def cost_daily(args: DailyArgs, ctx: ToolContext) -> ToolResult:
    engine = _engine(ctx)
    period = _period(args.period, engine)
    filters = _filters(args)
    per = engine.daily(period, filters)
    currency = _primary({c: sum(v for _, v in s) for c, s in per.items()})
    series = per.get(currency, [])
    total = sum(v for _, v in series)
    data = _base(engine, period, currency, filters.active())
    data.update(
        {
            "total": round(total, 2),
            "days": len(series),
            "average_per_day": round(total / len(series), 2) if series else 0.0,
            "series": [{"day": d.isoformat(), "cost": round(v, 2)} for d, v in series],
        }
    )
    if series:
        hi = max(series, key=lambda x: x[1])
        lo = min(series, key=lambda x: x[1])
        data["highest"] = {"day": hi[0].isoformat(), "cost": round(hi[1], 2)}
        data["lowest"] = {"day": lo[0].isoformat(), "cost": round(lo[1], 2)}
        half = len(series) // 2
        if half >= 3:
            first = sum(v for _, v in series[:half]) / half
            second = sum(v for _, v in series[-half:]) / half
            data["trend_pct"] = round(100 * (second - first) / first, 1) if first else None
    if args.chart and series:
        from tools.cost.charts import trend_chart

        what = _what(filters)
        data["chart"] = trend_chart(
            _chart_dir(ctx), f"Daily cost, {what} — {period.label} ({currency})", series, currency
        )
    refs = _filter_refs(engine, filters)
    return ToolResult(
        data=data,
        source=data["source"],
        refs=refs,
        note=_note(engine, period, _filter_notes(engine, filters)),
        attachments=chart_attachments(data.get("chart")),
    )


def _history_period(period: Period, engine: CostEngine, weeks: int = 8) -> Period:
    """The period plus enough history before it for a seasonal baseline."""
    start = period.start - timedelta(weeks=weeks)
    end = min(period.end, engine.today() + timedelta(days=1))
    return Period(start, max(end, start + timedelta(days=1)), period.label)


def cost_anomalies(args: AnomalyArgs, ctx: ToolContext) -> ToolResult:
    from tools.cost.analysis import detect_anomalies

    engine = _engine(ctx)
    period = _period(args.period, engine)
    filters = _filters(args)
    history = _history_period(period, engine)
    totals = engine.daily(history, filters)
    currency = _primary({c: sum(v for _, v in s) for c, s in totals.items()})
    found: list[dict[str, Any]] = []
    series = totals.get(currency, [])
    band: list[dict[str, Any]] = []
    if series:
        episodes, band = detect_anomalies(series, z=args.sensitivity, min_share=0.05)
        for ep in episodes:
            if period.start <= ep.end and ep.start < period.end:
                found.append({"scope": "total", **ep.as_dict(currency)})
    refs: list[str] = []
    if args.by != "total":
        by = dimension(args.by)
        agg = engine.aggregate(history, [by], filters, by_day=True)
        per_key: dict[str, dict[date, float]] = {}
        for (key, day, cur), v in agg.values.items():
            if cur == currency:
                per_key.setdefault(key, {})[day] = per_key.get(key, {}).get(day, 0.0) + v
        days = [d for d, _ in series]
        for key, by_day in per_key.items():
            s = [(d, by_day.get(d, 0.0)) for d in days]
            if sum(v for _, v in s) <= 0:
                continue
            episodes, _ = detect_anomalies(s, z=args.sensitivity, min_share=0.2, min_abs=5.0)
            for ep in episodes:
                if period.start <= ep.end and ep.start < period.end:
                    item = ep.as_dict(currency)
                    item.pop("days", None)
                    found.append({"scope": f"{by}={key}", "key": key, **item})
                    if key in agg.entity_refs:
                        refs.append(agg.entity_refs[key])
    found.sort(key=lambda a: (a["scope"] != "total", -abs(a["excess"])))
    keyed = [a for a in found if a["scope"] != "total"][:10]
    total_level = [a for a in found if a["scope"] == "total"][:5]
    data = _base(engine, period, currency, filters.active())
    data.update(
        {
            "method": "expected = last-week deseasonalised median × 4-week weekday factor (past days only); "
            f"anomaly when beyond {args.sensitivity} robust sd and material "
            "(≥5 % of the total / ≥20 % of a single series)",
            "anomalies_in_total": total_level,
            "anomalies": sorted(keyed, key=lambda a: -abs(a["excess"])),
            "count": len(total_level) + len(keyed),
        }
    )
    if args.chart and series:
        from tools.cost.charts import trend_chart

        shown = [(d, v) for d, v in series if d >= period.start]
        shown_band = [b for b in band if b["day"] >= period.start.isoformat()]
        hl = [(date.fromisoformat(a["start"]), date.fromisoformat(a["end"])) for a in total_level + keyed[:3]]
        what = _what(filters)
        data["chart"] = trend_chart(
            _chart_dir(ctx),
            f"Daily cost of {what} and expected range — {period.label} ({currency})",
            shown,
            currency,
            shown_band,
            hl,
        )
    return ToolResult(
        data=data,
        source=data["source"],
        refs=list(dict.fromkeys(refs)),
        note=_note(engine, period, _filter_notes(engine, filters)),
        attachments=chart_attachments(data.get("chart")),
    )


def cost_explain_day(args: ExplainDayArgs, ctx: ToolContext) -> ToolResult:
    from tools.cost.analysis import expected_series

    engine = _engine(ctx)
    today = engine.today()
    last = engine.dataset.date_range()[1]
    day = parse_day(args.day, min(today, last) if last else today)
    if day is None:
        period = parse_period(args.day, today, last)
        day = period.start if period is not None and period.days == 1 else None
    if day is None:
        raise ValueError(f"cannot understand the day {args.day!r}; use e.g. 2026-11-12 or 'the 12th'")
    filters = _filters(args)
    window = Period(day - timedelta(weeks=8), min(day + timedelta(weeks=2), today) + timedelta(days=1), day.isoformat())
    by = dimension(args.by)
    agg = engine.aggregate(window, [by], filters, by_day=True)
    currency = _primary(agg.totals_by_currency())
    days = []
    d = window.start
    while d < window.end:
        days.append(d)
        d += timedelta(days=1)
    per_key: dict[str, dict[date, float]] = {}
    for (key, dd, cur), v in agg.values.items():
        if cur == currency:
            per_key.setdefault(key, {})[dd] = per_key.get(key, {}).get(dd, 0.0) + v
    idx = days.index(day) if day in days else None
    if idx is None or not per_key:
        raise ValueError(f"no billing data around {day.isoformat()}")
    total_series = [sum(k.get(x, 0.0) for k in per_key.values()) for x in days]
    expected, sigma = expected_series(total_series)
    actual = total_series[idx]
    half = max(4 * sigma, 0.05 * expected[idx])
    contributors = []
    for key, by_day in per_key.items():
        s = [by_day.get(x, 0.0) for x in days]
        e, _ = expected_series(s)
        contributors.append(
            {
                "key": key,
                "actual": round(s[idx], 2),
                "expected": round(e[idx], 2),
                "change": round(s[idx] - e[idx], 2),
                "previous_day": round(s[idx - 1], 2) if idx > 0 else None,
            }
        )
    contributors.sort(key=lambda c: -abs(c["change"]))
    prev_day = total_series[idx - 1] if idx > 0 else None
    data = _base(engine, Period(day, day + timedelta(days=1), day.isoformat()), currency, filters.active())
    data.update(
        {
            "day": day.isoformat(),
            "weekday": day.strftime("%A"),
            "actual": round(actual, 2),
            "expected": round(expected[idx], 2),
            "expected_range": [round(max(0.0, expected[idx] - half), 2), round(expected[idx] + half, 2)],
            "change_vs_expected": round(actual - expected[idx], 2),
            "previous_day": round(prev_day, 2) if prev_day is not None else None,
            "unusual": abs(actual - expected[idx]) > half,
            "by": by,
            "top_contributors": contributors[: args.top],
        }
    )
    refs = _refs(engine, [c["key"] for c in contributors[: args.top]], agg.entity_refs)
    return ToolResult(
        data=data,
        source=data["source"],
        refs=refs,
        note=_note(engine, data_period(day), _filter_notes(engine, filters)),
    )


def data_period(day: date) -> Period:
    return Period(day, day + timedelta(days=1), day.isoformat())


def cost_forecast(args: ForecastArgs, ctx: ToolContext) -> ToolResult:
    from tools.cost.analysis import forecast_to

    engine = _engine(ctx)
    today = engine.today()
    target = month_of(today) if args.horizon == "month" else quarter_of(today)
    filters = _filters(args)
    _, last = engine.dataset.date_range()
    if last is None:
        raise ValueError("the billing data is empty")
    if last < target.start - timedelta(days=1):  # an old export: a forecast from it would be a guess
        raise ValueError(
            f"the billing data ends on {last}, before {target.label} began, so there is nothing to forecast "
            f"{target.label} from (the data covers {engine.dataset.date_range()[0]} to {last})"
        )
    prev = target.previous()
    history = Period(min(prev.start, last - timedelta(days=97)), last + timedelta(days=1), "history")
    per = engine.daily(history, filters)
    currency = _primary({c: sum(v for _, v in s) for c, s in per.items()})
    series = per.get(currency, [])
    fc = forecast_to(series, target.start, target.last_day, level=args.level)
    data = _base(engine, target, currency, filters.active())
    data.update({"forecast": fc.as_dict(currency), "data_through": last.isoformat()})
    prev_total = sum(v for d, v in series if prev.start <= d < prev.end)
    if prev_total:
        data["previous_period"] = {"label": prev.label, "total": round(prev_total, 2)}
    if args.chart:
        from tools.cost.charts import forecast_chart

        shown = [(d, v) for d, v in series if d >= target.start - timedelta(days=45)]
        data["chart"] = forecast_chart(
            _chart_dir(ctx), f"Forecast to {target.last_day} ({currency})", shown, fc.daily, currency, args.level
        )
    data["forecast"].pop("daily", None) if len(fc.daily) > 31 else None
    refs = _filter_refs(engine, filters)
    return ToolResult(
        data=data,
        source=data["source"],
        refs=refs,
        note=_note(engine, None, _filter_notes(engine, filters)),
        attachments=chart_attachments(data.get("chart")),
    )


def opencost_configured(runtime: FamilyRuntime) -> bool:
    """Whether an OpenCost answers: a configured URL, or the OpenCost the process was wired with."""
    return bool(runtime.settings.opencost_url) or provided_cost_data(runtime) is not None


def needs_opencost(what: str) -> str:
    """The one line for an ask only OpenCost answers while it is not configured."""
    return (
        f"{what} needs OpenCost — set PORTAL_AGENT_OPENCOST_URL to an OpenCost API "
        "(the billing exports configured here do not hold Kubernetes requests and usage)"
    )


def _opencost(ctx: ToolContext):
    """The OpenCost client, or None when none is configured (the tool then says how to set one)."""
    from tools.cost.engine import engine_for

    runtime = ctx.runtime
    settings = runtime.settings
    if settings.opencost_url:
        from tools.cost.opencost import OpenCostClient

        return runtime.service("cost.opencost", lambda: OpenCostClient(settings.opencost_url))
    if (provided := provided_cost_data(runtime)) is not None:
        today = engine_for(runtime).today()
        return runtime.service(f"cost.opencost.provided.{today}", lambda: provided.opencost(today))
    return None


def _window(text: str, ctx: ToolContext) -> str:
    from tools.cost.opencost import window_of

    t = text.strip()
    if (
        "," in t
        or t.lower() in ("today", "yesterday", "week", "lastweek", "month", "lastmonth")
        or (t[:-1].isdigit() and t[-1:] in "mhdw")
    ):
        return t
    return window_of(_period(t, _engine(ctx)))


def cost_rightsizing(args: RightsizingArgs, ctx: ToolContext) -> ToolResult:
    from tools.cost.engine import engine_for
    from tools.cost.opencost import accumulate_sets, rightsizing

    if (client := _opencost(ctx)) is None:
        return ToolResult.failure(needs_opencost("Rightsizing"))
    window = _window(args.window, ctx)
    sets, query = client.allocation(window=window, aggregate="controller", accumulate=True)
    allocations = accumulate_sets(sets) if sets else {}
    mapper = engine_for(ctx.runtime).mapper
    recs = rightsizing(allocations, headroom=args.headroom)
    out = []
    for rec in recs:
        a = allocations[rec["workload"]]
        controller = str(a.properties.get("controller") or rec["workload"].split(":")[-1])
        attr = mapper.attribute_labels(a.properties.get("labels") or {}, fallback_name=controller)
        rec.update(
            {
                "entity": attr.entity if attr.entity != UNALLOCATED else controller,
                "team": attr.team,
                "ref": attr.entity_ref,
            }
        )
        if args.namespace and rec.get("namespace") != args.namespace:
            continue
        if args.team and attr.team.lower() != args.team.split("/")[-1].lower():
            continue
        if args.entity and args.entity.split("/")[-1].lower() not in (controller.lower(), attr.entity.lower()):
            continue
        out.append(rec)
    total = sum(r["monthly_saving"] for r in out)
    data = {
        "window": window,
        "currency": "USD",
        "source": client.source,
        "headroom": args.headroom,
        "method": "request → usage × headroom where efficiency < 50 %; saving = cost of the released request, "
        "per 30-day month (730 h)",
        "total_monthly_saving": round(total, 2),
        "recommendations": out[: args.top],
        "count": len(out),
        "period": {"label": f"OpenCost window {window}", "per": "month"},
    }
    return ToolResult(
        data=data,
        query={"tool": "cost_rightsizing", **query},
        source=client.source,
        refs=[r["ref"] for r in out[: args.top] if r.get("ref")],
    )


def cost_showback(args: ShowbackArgs, ctx: ToolContext) -> ToolResult:
    engine = _engine(ctx)
    period = _period(args.period, engine)
    agg = engine.aggregate(period, ["team", "entity"], None)
    totals = agg.totals_by_currency()
    currency = _primary(totals)
    teams: dict[str, dict[str, float]] = {}
    for (team, entity, cur), v in agg.values.items():
        if cur == currency:
            teams.setdefault(team, {})[entity] = teams.get(team, {}).get(entity, 0.0) + v
    total = totals.get(currency, 0.0)
    rows = []
    for team, entities in sorted(teams.items(), key=lambda t: -sum(t[1].values())):
        t = sum(entities.values())
        top = sorted(entities.items(), key=lambda e: -e[1])[: args.top_per_team]
        rows.append(
            {
                "team": team,
                "cost": round(t, 2),
                "share_pct": round(100 * t / total, 1) if total else 0.0,
                "top": [{"key": k, "cost": round(v, 2)} for k, v in top],
            }
        )
    data = _base(engine, period, currency, {})
    data.update(
        {
            "total": round(total, 2),
            "teams": rows,
            "unallocated": {
                "cost": round(sum(teams.get(UNALLOCATED, {}).values()), 2),
                "reasons": {r: round(v, 2) for r, v in agg.unallocated_reasons.items()},
            },
        }
    )
    refs = _refs(engine, [r["team"] for r in rows], agg.entity_refs)
    return ToolResult(data=data, source=data["source"], refs=refs, note=_note(engine, period))


def cost_allocation(args: AllocationArgs, ctx: ToolContext) -> ToolResult:
    from tools.cost.opencost import accumulate_sets

    if (client := _opencost(ctx)) is None:
        return ToolResult.failure(needs_opencost("Kubernetes cost allocation"))
    window = _window(args.window, ctx)
    sets, query = client.allocation(
        window=window,
        aggregate=args.aggregate,
        step=args.step,
        accumulate=args.accumulate,
        include_idle=args.include_idle,
        share_idle=args.share_idle,
    )
    merged = accumulate_sets(sets) if sets else {}
    rows = sorted(merged.values(), key=lambda a: -a.totalCost)
    total = sum(a.totalCost for a in rows)
    data = {
        "window": window,
        "aggregate": args.aggregate,
        "currency": "USD",
        "source": client.source,
        "steps": len(sets),
        "total": round(total, 2),
        "allocations": [
            {
                "name": a.name,
                "total": round(a.totalCost, 2),
                "cpu": round(a.cpuCost, 2),
                "ram": round(a.ramCost, 2),
                "gpu": round(a.gpuCost, 2),
                "pv": round(a.pvCost, 2),
                "network": round(a.networkCost, 2),
                "shared": round(a.sharedCost, 2),
                "efficiency": round(a.totalEfficiency, 3),
                "start": a.start,
                "end": a.end,
            }
            for a in rows[: args.top]
        ],
        "idle": round(sum(a.totalCost for a in rows if a.is_idle), 2),
        "unallocated": round(sum(a.totalCost for a in rows if a.is_unallocated), 2),
        "period": {"label": f"OpenCost window {window}"},
    }
    return ToolResult(data=data, query={"tool": "cost_allocation", **query}, source=client.source)


def cost_sources(args: SourcesArgs, ctx: ToolContext) -> ToolResult:
    engine = _engine(ctx)
    ds = engine.dataset
    provided = provided_cost_data(ctx.runtime)
    first, last = ds.date_range()
    data = {
        "focus": {
            "source": engine.source(),
            "files": [str(f.path) for f in ds.files][:20],
            "rows": ds.rows,
            "unusable_rows": {
                "unparseable_cost": ds.bad.unparseable_cost,
                "unparseable_date": ds.bad.unparseable_date,
                "examples": ds.bad.examples,
            },
            "rejected_files": ds.errors,
            "first_day": str(first),
            "last_day": str(last),
            "currencies": ds.currencies(),
        },
        "opencost": ctx.runtime.settings.opencost_url or (provided.label if provided is not None else None),
        "today": engine.today().isoformat(),
        "tag_keys": {
            "entity": engine.mapper.entity_keys,
            "team": engine.mapper.team_keys,
            "environment": engine.mapper.env_keys,
        },
        "tags_in_data": {k: sum(v.values()) for k, v in _top_tags(engine, 15)},
        "providers": _top_values(engine, "provider", 10),
        "billing_accounts": _top_values(engine, "billing_account", 10),
    }
    return ToolResult(data=data, source=engine.source(), note=_note(engine, None))


def build_tools(runtime: FamilyRuntime) -> list[PortalTool]:
    def tool(name: str, description: str, schema: type[BaseModel], func: Any) -> PortalTool:
        return PortalTool(name=name, description=description, args_schema=schema, func=func, family=FAMILY)

    return [
        tool(
            "cost_breakdown",
            "Cloud cost for a period, grouped by catalog entity, team, system, environment, "
            "provider, FOCUS service category, cloud service, region or account, with optional filters. "
            "Lists unallocated (untagged/unknown) spend. Use for 'what did X cost', 'which services cost team Y "
            "the most', 'cost by provider'.",
            BreakdownArgs,
            cost_breakdown,
        ),
        tool(
            "cost_change",
            "Period-over-period change of cost (default: vs the previous period) and the top "
            "movers by a dimension. Use for 'how did costs change', 'what grew'.",
            ChangeArgs,
            cost_change,
        ),
        tool(
            "cost_daily",
            "Daily cost series for a period (optionally filtered), with trend, peak and a chart.",
            DailyArgs,
            cost_daily,
        ),
        tool(
            "cost_anomalies",
            "Unusual daily spend in a period: robust to weekly seasonality, each anomaly with "
            "its expected range, per entity (or another dimension) and in the total.",
            AnomalyArgs,
            cost_anomalies,
        ),
        tool(
            "cost_explain_day",
            "Why the bill changed on one day: that day's cost vs its expected range and the "
            "entities (or other dimension) that contributed most.",
            ExplainDayArgs,
            cost_explain_day,
        ),
        tool(
            "cost_forecast",
            "Forecast of total cost to the end of this month or quarter with a prediction "
            "interval (ETS model), optionally filtered.",
            ForecastArgs,
            cost_forecast,
        ),
        tool(
            "cost_rightsizing",
            "Kubernetes workloads whose CPU/memory requests far exceed usage (OpenCost "
            "efficiency), with recommended requests and the monthly saving. Use for 'where can we save'.",
            RightsizingArgs,
            cost_rightsizing,
        ),
        tool(
            "cost_showback",
            "Showback: cost per team for a period with each team's top entities and the unallocated remainder.",
            ShowbackArgs,
            cost_showback,
        ),
        tool(
            "cost_allocation",
            "Raw OpenCost Allocation API query (window, aggregate, step, accumulate, "
            "includeIdle, shareIdle) for Kubernetes cost.",
            AllocationArgs,
            cost_allocation,
        ),
        tool(
            "cost_sources",
            "Which billing sources are loaded, their date range, currencies, tag keys and any "
            "rows or files that could not be read.",
            SourcesArgs,
            cost_sources,
        ),
    ]

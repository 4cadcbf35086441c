"""The cost engine: one place that knows the sources, the clock and how to aggregate.

SQL does the heavy lifting (filter by period, group by the FOCUS columns and the raw tag string);
tags are then attributed to catalog entities in Python, which is cheap because a billing export
has few distinct tag sets even when it has millions of rows. Amounts in different currencies are
never added together.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from tools.cost.mapping import UNALLOCATED, TagMapper
from tools.cost.periods import Period

if TYPE_CHECKING:
    from agent.runtime import Runtime
    from tools.cost.focus import FocusDataset

SQL_DIMS = {
    "provider": "provider",
    "service_category": "service_category",
    "cloud_service": "service_name",
    "region": "region",
    "account": "account",
    "charge_category": "charge_category",
}
TAG_DIMS = ("entity", "team", "system", "environment")
DIMENSIONS = tuple(TAG_DIMS) + tuple(SQL_DIMS)
METRICS = {"billed": "billed_cost", "effective": "coalesce(effective_cost, billed_cost)"}


class NoCostData(RuntimeError):
    pass


@dataclass
class Filters:
    entity: str | None = None
    team: str | None = None
    system: str | None = None
    environment: str | None = None
    provider: str | None = None
    service_category: str | None = None
    region: str | None = None

    def active(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    @property
    def needs_tags(self) -> bool:
        return any(getattr(self, k) for k in TAG_DIMS)


def _short(value: str) -> str:
    return value.strip().split("/")[-1].split(":")[-1].lower()


@dataclass
class Aggregate:
    """Costs by key (a tuple of dimension values, plus the day when asked), per currency."""

    dims: list[str]
    by_day: bool
    values: dict[tuple, float] = field(default_factory=lambda: defaultdict(float))
    unallocated_reasons: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    unknown_values: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    entity_refs: dict[str, str] = field(default_factory=dict)

    def totals_by_currency(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for key, v in self.values.items():
            out[key[-1]] += v
        return dict(out)


class CostEngine:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        settings = runtime.settings
        self.demo = bool(settings.uses_demo and not settings.focus)
        self.mapper = TagMapper(
            _safe_catalog(runtime), settings.cost_entity_tags, settings.cost_team_tags, settings.cost_env_tags
        )
        self._dataset: FocusDataset | None = None

    # --- clock and sources ---------------------------------------------------------------------
    def today(self) -> date:
        if self.demo:
            from tools.cost.demo_data import demo_today

            return demo_today(self.runtime.settings)
        return datetime.now(UTC).date()

    @property
    def dataset(self) -> FocusDataset:
        if self._dataset is None:
            from tools.cost.focus import open_dataset

            settings = self.runtime.settings
            if settings.focus:
                paths: list[Any] = list(settings.focus)
            elif self.demo:
                from tools.cost.demo_data import ensure_demo_exports

                paths = ensure_demo_exports(self.runtime.data_dir, self.today())
            else:
                raise NoCostData("no FOCUS export is configured (set PORTAL_AGENT_FOCUS to files or folders)")
            self._dataset = open_dataset(paths, cache_dir=self.runtime.data_dir / "cost" / "csv-cache")
        return self._dataset

    def source(self) -> str:
        ds = self.dataset
        return "demo FOCUS exports (AWS + ClickHouse Cloud, generated for Tessera)" if self.demo else ds.source

    def notes(self) -> list[str]:
        ds = self.dataset
        out = list(ds.errors)
        if ds.bad.note():
            out.append(ds.bad.note() or "")
        return out

    def coverage_note(self, period: Period) -> str | None:
        first, last = self.dataset.date_range()
        if first is None:
            return "the billing data is empty"
        if period.end <= first or period.start > last:
            return f"no billing data for {period.label}: the data covers {first} to {last}"
        if period.start < first or period.last_day > last:
            return f"the billing data covers {first} to {last}, so {period.label} is only partly covered"
        return None

    # --- aggregation ---------------------------------------------------------------------------
    def aggregate(
        self,
        period: Period,
        dims: list[str],
        filters: Filters | None = None,
        *,
        by_day: bool = False,
        metric: str = "billed",
    ) -> Aggregate:
        filters = filters or Filters()
        for d in dims:
            if d not in DIMENSIONS:
                raise ValueError(f"unknown dimension {d!r}; use one of {', '.join(DIMENSIONS)}")
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; use billed or effective")
        needs_tags = filters.needs_tags or any(d in TAG_DIMS for d in dims)
        group = [SQL_DIMS[d] for d in dims if d in SQL_DIMS]
        if needs_tags:
            group.append("tags")
        if by_day:
            group.append("day")
        group.append("currency")
        where = ["day >= ?", "day < ?"]
        params: list[Any] = [period.start, period.end]
        for name, column in (("provider", "provider"), ("service_category", "service_category"), ("region", "region")):
            value = getattr(filters, name)
            if value:
                where.append(f"lower({column}) = lower(?)")
                params.append(value)
        sql = f"SELECT {', '.join(group)}, sum({METRICS[metric]}) FROM focus WHERE {' AND '.join(where)} GROUP BY ALL"
        rows = self.dataset.query(sql, params)
        agg = Aggregate(dims, by_day)
        want = {k: _short(v) for k, v in filters.active().items() if k in TAG_DIMS}
        for row in rows:
            cols = dict(zip(group, row[:-1], strict=True))
            cost = float(row[-1] or 0.0)
            attr = self.mapper.attribute(cols.get("tags")) if needs_tags else None
            if attr is not None and want:
                values = {"entity": attr.entity, "team": attr.team, "system": attr.system, "environment": attr.env}
                if any(values[k].lower() != v for k, v in want.items()):
                    continue
            key: list[Any] = []
            for d in dims:
                if d in SQL_DIMS:
                    key.append(cols[SQL_DIMS[d]])
                else:
                    assert attr is not None
                    key.append(
                        {"entity": attr.entity, "team": attr.team, "system": attr.system, "environment": attr.env}[d]
                    )
            if attr is not None:
                if attr.entity_ref:
                    agg.entity_refs[attr.entity] = attr.entity_ref
                if attr.team_ref:
                    agg.entity_refs[attr.team] = attr.team_ref
                if attr.reason:
                    agg.unallocated_reasons[attr.reason] += cost
                if attr.unknown_value:
                    agg.unknown_values[attr.unknown_value] += cost
            if by_day:
                key.append(cols["day"])
            key.append(cols["currency"])
            agg.values[tuple(key)] += cost
        return agg

    def daily(self, period: Period, filters: Filters | None = None, metric: str = "billed") -> dict[str, list]:
        """Per currency, the list of (day, cost) over the whole period, zero-filled."""
        from datetime import timedelta

        agg = self.aggregate(period, [], filters, by_day=True, metric=metric)
        per: dict[str, dict[date, float]] = defaultdict(dict)
        for (day, currency), v in agg.values.items():
            per[currency][day] = per[currency].get(day, 0.0) + v
        first, last = self.dataset.date_range()
        out: dict[str, list] = {}
        for currency, days in per.items():
            start = max(period.start, first) if first else period.start
            end = min(period.last_day, last) if last else period.last_day
            series, d = [], start
            while d <= end:
                series.append((d, days.get(d, 0.0)))
                d += timedelta(days=1)
            out[currency] = series
        return out

    def entity_ref(self, name: str) -> str | None:
        entity = self.mapper._lookup(_short(name), ("component", "resource", "system", "group"))
        return entity.ref if entity is not None else None


def _safe_catalog(runtime: Runtime) -> Any:
    try:
        return runtime.catalog
    except Exception:  # cost answers still work without a catalog: everything is unallocated
        return None


def engine_for(runtime: Runtime) -> CostEngine:
    return runtime.service("cost.engine", lambda: CostEngine(runtime))


def is_unallocated(label: str) -> bool:
    return label == UNALLOCATED

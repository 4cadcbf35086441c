"""The cost engine: one place that knows the sources, the clock and how to aggregate.

SQL does the heavy lifting (filter by period and by FOCUS columns, group by the FOCUS columns and
the raw tag string); tags are then read in Python — as catalog entities, teams, systems and
environments through the tag mapping, or as any tag key (``tag:<key>``) — which is cheap because
a billing export has few distinct tag sets even when it has millions of rows. Amounts in
different currencies are never added together.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tools.cost.focus import DIMENSION_COLUMNS, MISSING
from tools.cost.mapping import Attribution, TagMapper, normal_env, parse_tag_text
from tools.cost.periods import Period, month_of
from tools.cost.provided import provided_cost_data

if TYPE_CHECKING:
    from contract.runtime import FamilyRuntime
    from tools.cost.focus import FocusDataset

# Dimensions read straight from FOCUS columns (the normalised view names them like this).
FOCUS_DIMS = {name: cols[0] for name, cols in DIMENSION_COLUMNS.items()}
# Dimensions that come from the tag mapping to the catalog.
MAPPED_DIMS = ("entity", "team", "system", "environment")
TAG_PREFIX = "tag:"
DIMENSIONS = MAPPED_DIMS + tuple(FOCUS_DIMS)
# EffectiveCost falls back to BilledCost row by row (exports that leave it empty); ListCost does not.
METRICS = {"billed": "billed_cost", "effective": "coalesce(effective_cost, billed_cost)", "list": "list_cost"}


class NoCostData(RuntimeError):
    pass


def dimension(name: str) -> str:
    """The canonical name of a dimension: one of DIMENSIONS or ``tag:<key>`` (key lower-cased)."""
    text = name.strip()
    if text.lower().startswith(TAG_PREFIX):
        key = text[len(TAG_PREFIX) :].strip().lower()
        if not key:
            raise ValueError("a tag dimension needs a key, e.g. tag:environment")
        return TAG_PREFIX + key
    if text.lower() in DIMENSIONS:
        return text.lower()
    raise ValueError(f"unknown dimension {name!r}; use one of {', '.join(DIMENSIONS)}, or tag:<key>")


def label(dim: str) -> str:
    """How an answer names a dimension: the FOCUS column, the tag key, or the mapped concept."""
    if dim.startswith(TAG_PREFIX):
        return f"tag {dim[len(TAG_PREFIX) :]}"
    if dim in FOCUS_DIMS:
        return " / ".join(DIMENSION_COLUMNS[dim])
    return dim


Values = str | list[str] | tuple[str, ...] | None


def _values(value: Values) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else list(value or [])
    return tuple(dict.fromkeys(str(v).strip() for v in items if v is not None and str(v).strip()))


@dataclass
class Filters:
    """Dimension → the values to keep (any of them), and dimension → values to leave out.

    Values match case-insensitively (catalog refs such as ``group:default/x`` by their name).
    """

    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    excluded: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # True: only rows that carry no tag at all; False: only rows with at least one; None: all rows.
    untagged: bool | None = None

    @classmethod
    def of(
        cls,
        values: dict[str, Values] | None = None,
        exclude: dict[str, Values] | None = None,
        untagged: bool | None = None,
        **more: Values,
    ):
        named = {k: v for k, v in more.items() if _values(v)}
        keep = {dimension(k): v for k, v in {**(values or {}), **named}.items() if _values(v)}
        drop = {dimension(k): v for k, v in (exclude or {}).items() if _values(v)}
        return cls({k: _values(v) for k, v in keep.items()}, {k: _values(v) for k, v in drop.items()}, untagged)

    def active(self) -> dict[str, str | list[str]]:
        """The filters as an answer states them: one value as a string, several as a list."""
        shown: dict[str, str | list[str]] = {k: v[0] if len(v) == 1 else list(v) for k, v in self.values.items()}
        shown.update({f"not {k}": v[0] if len(v) == 1 else list(v) for k, v in self.excluded.items()})
        if self.untagged is not None:
            shown["tags"] = "none at all" if self.untagged else "at least one"
        return shown

    def get(self, dim: str) -> str | None:
        """The one value kept for ``dim`` (None when there are none or several)."""
        values = self.values.get(dim, ())
        return values[0] if len(values) == 1 else None

    def dims(self) -> set[str]:
        return set(self.values) | set(self.excluded)

    def pairs(self) -> list[tuple[str, str]]:
        """Every (dimension, value) named, kept or left out, for checks against the data."""
        return [(d, v) for part in (self.values, self.excluded) for d, vs in part.items() for v in vs]

    @property
    def needs_tags(self) -> bool:
        return self.untagged is not None or any(k not in FOCUS_DIMS for k in self.dims())

    def tags_pass(self, tags: dict[str, str]) -> bool:
        """Whether a row's parsed tags pass the tagged/untagged filter (an empty set is untagged)."""
        return self.untagged is None or self.untagged == (not tags)


def _short(value: str) -> str:
    return value.strip().split("/")[-1].split(":")[-1].lower()


def _wanted(part: dict[str, tuple[str, ...]], mapped: tuple[str, ...] | None) -> dict[str, set[str]]:
    """Filter values in the form rows are compared in: mapped dimensions (``mapped`` given) as
    the mapping names them, tag keys (``mapped`` None) without their ``tag:`` prefix."""
    if mapped is not None:
        return {
            k: {normal_env(v) if k == "environment" else _short(v) for v in vs} for k, vs in part.items() if k in mapped
        }
    return {k[len(TAG_PREFIX) :]: {v.lower() for v in vs} for k, vs in part.items() if k.startswith(TAG_PREFIX)}


def _matches(values: dict[str, str], keep: dict[str, set[str]], drop: dict[str, set[str]]) -> bool:
    """A row's values pass when every kept dimension holds one of its values and no left-out one does."""
    return all(values.get(k, "").lower() in vs for k, vs in keep.items()) and not any(
        values.get(k, "").lower() in vs for k, vs in drop.items()
    )


def _mapped(attr: Attribution, dim: str) -> str:
    return {"entity": attr.entity, "team": attr.team, "system": attr.system, "environment": attr.env}[dim]


@dataclass
class Aggregate:
    """Costs by key (a tuple of dimension values, plus the day when asked), per currency."""

    dims: list[str]
    by_day: bool
    values: dict[tuple, float] = field(default_factory=lambda: defaultdict(float))
    # Billing rows behind each key of ``values`` (a figure over few rows reads differently).
    rows: dict[tuple, int] = field(default_factory=lambda: defaultdict(int))
    unallocated_reasons: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    unknown_values: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    entity_refs: dict[str, str] = field(default_factory=dict)
    # Cost in scope by the tag key the environment was read from (when environment was used).
    environment_keys: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    # For a tag filter tag:K=V: cost left out whose *other* tag keys hold V, by "key=value".
    same_value_elsewhere: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    # For a breakdown by an environment tag key: cost without that key that another environment
    # key names, by "key=value" (it is in the "(not set)" row).
    unset_but_tagged: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def totals_by_currency(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for key, v in self.values.items():
            out[key[-1]] += v
        return dict(out)

    def rows_by_currency(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for key, n in self.rows.items():
            out[key[-1]] += n
        return dict(out)


@dataclass
class Vocabulary:
    """The values each dimension and tag key takes in the data, with their row counts."""

    dims: dict[str, dict[str, int]]
    tags: dict[str, dict[str, int]]

    def values(self, dim: str) -> dict[str, int]:
        if dim.startswith(TAG_PREFIX):
            return self.tags.get(dim[len(TAG_PREFIX) :], {})
        return self.dims.get(dim, {})

    def unknown_value_note(self, dim: str, value: str) -> str | None:
        """A sentence when ``value`` does not occur in ``dim`` at all, with the closest values."""
        known = self.values(dim)
        if not known or any(v.lower() == value.lower() for v in known):
            return None
        close = difflib.get_close_matches(value, list(known), n=3, cutoff=0.5)
        hint = (
            f"closest: {', '.join(close)}"
            if close
            else f"most common: {', '.join(sorted(known, key=lambda v: -known[v])[:3])}"
        )
        return f"{label(dim)} has no value {value!r} in the billing data ({hint})."


class CostEngine:
    def __init__(self, runtime: FamilyRuntime):
        self.runtime = runtime
        settings = runtime.settings
        # Configured exports win; else the FOCUS data the process was wired with (the demo's), if any.
        self.provided = None if settings.focus else provided_cost_data(runtime)
        self.mapper = TagMapper(
            _safe_catalog(runtime), settings.cost_entity_tags, settings.cost_team_tags, settings.cost_env_tags
        )
        self._dataset: FocusDataset | None = None

    # --- clock and sources ---------------------------------------------------------------------
    def today(self) -> date:
        """The one injectable "today" of cost periods and provided data: the pinned ``demo_today``
        when set (tests and evals pin the demo's), else the current UTC date."""
        return self.runtime.settings.demo_today or datetime.now(UTC).date()

    @property
    def dataset(self) -> FocusDataset:
        if self._dataset is None:
            from tools.cost.focus import open_dataset

            settings = self.runtime.settings
            if settings.focus:
                paths: list[Any] = list(settings.focus)
            elif self.provided is not None:
                paths = self.provided.focus_exports(self.runtime.data_dir, self.today())
            else:
                raise NoCostData("no FOCUS export is configured (set PORTAL_AGENT_FOCUS to files or folders)")
            self._dataset = open_dataset(paths, cache_dir=self.runtime.data_dir / "cost" / "csv-cache")
        return self._dataset

    def source(self) -> str:
        ds = self.dataset
        return self.provided.focus_source if self.provided is not None else ds.source

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

    def default_period(self) -> Period:
        """For a question that names no period: last month, or the data's latest month when the
        data ends before last month (an old export), so the answer is about data that exists."""
        last_month = month_of(self.today().replace(day=1) - timedelta(days=1))
        _, last = self.dataset.date_range()
        if last is None or last >= last_month.start:
            return last_month
        return month_of(last)

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """One scan: the distinct combinations of dimension values and tag sets are few. Resources
        are left out: an export has as many as it has rows, and nobody is told their names."""
        names = [d for d in FOCUS_DIMS if d != "resource"]
        rows = self.dataset.query(f"SELECT {', '.join(names)}, tags, count(*) FROM focus GROUP BY ALL")
        dims: dict[str, dict[str, int]] = {d: defaultdict(int) for d in names}
        tags: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in rows:
            n = int(row[-1])
            for dim, value in zip(names, row, strict=False):
                dims[dim][str(value)] += n
            for key, value in parse_tag_text(row[-2]).items():
                tags[key][value] += n
        return Vocabulary({d: dict(v) for d, v in dims.items()}, {k: dict(v) for k, v in tags.items()})

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
        dims = [dimension(d) for d in dims]
        needs_tags = filters.needs_tags or any(d not in FOCUS_DIMS for d in dims)
        group = list(dict.fromkeys(d for d in dims if d in FOCUS_DIMS))
        if needs_tags:
            group.append("tags")
        if by_day:
            group.append("day")
        group.append("currency")
        where = ["day >= ?", "day < ?"]
        params: list[Any] = [period.start, period.end]
        for part, op in ((filters.values, "IN"), (filters.excluded, "NOT IN")):
            for dim, values in part.items():
                if dim in FOCUS_DIMS:
                    where.append(f"lower({dim}) {op} ({', '.join('lower(?)' for _ in values)})")
                    params.extend(values)
        sql = (
            f"SELECT {', '.join(group)}, count(*), sum({self._metric(metric)}) FROM focus "
            f"WHERE {' AND '.join(where)} GROUP BY ALL"
        )
        agg = Aggregate(dims, by_day)
        mapped_keep, mapped_drop = (_wanted(part, MAPPED_DIMS) for part in (filters.values, filters.excluded))
        tag_keep, tag_drop = (_wanted(part, None) for part in (filters.values, filters.excluded))
        uses_env = "environment" in dims or "environment" in mapped_keep
        env_tag_dims = [d[len(TAG_PREFIX) :] for d in dims if d[len(TAG_PREFIX) :] in self.mapper.env_keys]
        for row in self.dataset.query(sql, params):
            cols = dict(zip(group, row[:-2], strict=True))
            count, cost = int(row[-2]), float(row[-1] or 0.0)
            tags = parse_tag_text(cols.get("tags")) if needs_tags else {}
            if not filters.tags_pass(tags):
                continue
            attr = self.mapper.attribute(cols.get("tags")) if needs_tags else None
            mapped = {d: _mapped(attr, d) for d in MAPPED_DIMS} if attr is not None else {}
            if attr is not None and not _matches(mapped, mapped_keep, mapped_drop):
                continue
            if not _matches(tags, tag_keep, tag_drop):
                for k, wanted in tag_keep.items():
                    for other, value in tags.items():
                        if other != k and value.lower() in wanted:
                            agg.same_value_elsewhere[f"{other}={value}"] += cost
                continue
            for key_name in env_tag_dims:
                other = next((k for k in self.mapper.env_keys if k != key_name and tags.get(k)), None)
                if not tags.get(key_name) and other:
                    agg.unset_but_tagged[f"{other}={tags[other]}"] += cost
            key: list[Any] = []
            for d in dims:
                if d in FOCUS_DIMS:
                    key.append(cols[d])
                elif d.startswith(TAG_PREFIX):
                    key.append(tags.get(d[len(TAG_PREFIX) :]) or MISSING)
                else:
                    assert attr is not None
                    key.append(_mapped(attr, d))
            if attr is not None:
                if attr.entity_ref:
                    agg.entity_refs[attr.entity] = attr.entity_ref
                if attr.team_ref:
                    agg.entity_refs[attr.team] = attr.team_ref
                if attr.reason:
                    agg.unallocated_reasons[attr.reason] += cost
                if attr.unknown_value:
                    agg.unknown_values[attr.unknown_value] += cost
                if uses_env:
                    agg.environment_keys[attr.env_key or MISSING] += cost
            if by_day:
                key.append(cols["day"])
            key.append(cols["currency"])
            agg.values[tuple(key)] += cost
            agg.rows[tuple(key)] += count
        return agg

    def _metric(self, metric: str) -> str:
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; use {', '.join(METRICS)}")
        if metric == "list" and not any(f.columns.get("ListCost") for f in self.dataset.files):
            raise ValueError("the billing data has no ListCost column; use billed or effective")
        return METRICS[metric]

    def daily(self, period: Period, filters: Filters | None = None, metric: str = "billed") -> dict[str, list]:
        """Per currency, the list of (day, cost) over the whole period, zero-filled."""
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


def _safe_catalog(runtime: FamilyRuntime) -> Any:
    try:
        return runtime.catalog
    except Exception:  # cost answers still work without a catalog: everything is unallocated
        return None


def engine_for(runtime: FamilyRuntime) -> CostEngine:
    return runtime.service("cost.engine", lambda: CostEngine(runtime))

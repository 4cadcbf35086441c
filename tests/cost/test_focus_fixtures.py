"""Every FOCUS file under ../shared/fixtures/focus (more/ included), checked against an independent reading.

The expected figures are computed here with the csv module, ``datetime.strptime`` and Decimal,
from the FOCUS specification's rules — not with the engine, DuckDB or anything it imports. The
files carry the quirks real exports have: a UTF-8 BOM, CRLF and blank lines, ``NULL``/``null``
literals, M/D/YY dates, amounts written ``"$10,000.00 "``, JSON tags with ``null`` values,
virtual currencies (``PricingCurrency`` = ``Token``), several billing currencies in one file.
Files that are not FOCUS cost and usage data must be refused with a message naming the FOCUS
columns they lack (and, for providers' native exports, what the file is).
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from tests.support.paths import SHARED_FIXTURES as FIXTURES

FOCUS_ROOT = FIXTURES / "focus"
ALL = (date(1900, 1, 1), date(2100, 1, 1))
NULLS = {"", "null", "NULL", "Null"}
MISSING = "(not set)"
# dimension -> the FOCUS columns it is read from (first column present in the file; for account and
# resource, the first non-empty value of the row), as the FOCUS 1.0–1.3 and 0.5 specs name them.
COLUMNS = {
    "provider": ["ProviderName", "ServiceProviderName", "Provider", "PublisherName"],
    "service_name": ["ServiceName"],
    "service_category": ["ServiceCategory"],
    "region": ["RegionId", "Region"],
    "region_name": ["RegionName"],
    "account": ["SubAccountName", "SubAccountId"],
    "resource": ["ResourceName", "ResourceId"],
    "resource_type": ["ResourceType"],
    "charge_category": ["ChargeCategory", "ChargeType"],
    "pricing_category": ["PricingCategory"],
    "availability_zone": ["AvailabilityZone"],
    "billing_account": ["BillingAccountName", "BillingAccountId"],
    "invoice_issuer": ["InvoiceIssuerName", "InvoiceIssuer"],
    "publisher": ["PublisherName", "Publisher"],
    "account_id": ["SubAccountId"],
    "charge_description": ["ChargeDescription"],
    "charge_frequency": ["ChargeFrequency"],
    "commitment_discount_type": ["CommitmentDiscountType"],
    "commitment_discount_category": ["CommitmentDiscountCategory"],
    "sku": ["SkuId"],
}
MONTHS = {"billing_period": ["BillingPeriodStart"]}  # shown as the YYYY-MM of the column's date
ROW_COALESCE = {"account", "resource", "billing_account"}
REQUIRED = {"BilledCost": ["BilledCost"], "BillingCurrency": ["BillingCurrency", "BilledCurrency"]}
REQUIRED["ChargePeriodStart"] = ["ChargePeriodStart"]
NATIVE = {"aws": "AWS Cost and Usage Report", "azure": "Azure cost details export", "oci": "OCI cost report"}


def _files() -> list[Path]:
    if not FOCUS_ROOT.is_dir():
        return []
    return sorted(p for p in FOCUS_ROOT.rglob("*") if p.suffix.lower() in (".csv", ".parquet"))


def _id(path: Path) -> str:
    return str(path.relative_to(FOCUS_ROOT))


FILES = _files() or [pytest.param(None, marks=pytest.mark.skip(reason=f"{FOCUS_ROOT} is absent (fresh clone)"))]


# --- the independent reading ---------------------------------------------------------------------
def _header(path: Path) -> list[str]:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return next(csv.reader(fh))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return [row for row in csv.DictReader(fh) if any((v or "").strip() for v in row.values())]


def _value(text: str | None) -> str | None:
    text = (text or "").strip()
    return None if text in NULLS else text


def _amount(text: str | None) -> Decimal | None:
    text = _value(text)
    if text is None:
        return None
    negative = text.startswith("(") and text.endswith(")")
    cleaned = re.sub(r"[$€£¥,\s()]", "", text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return -value if negative else value


def _day(text: str | None, day_first: bool) -> date | None:
    text = _value(text)
    if text is None:
        return None
    if "/" in text:
        first, second, year = text.split(" ")[0].split("/")
        month, dom = (int(second), int(first)) if day_first else (int(first), int(second))
        return date(int(year) + (2000 if len(year) == 2 else 0), month, dom)
    iso = text.replace("T", " ").rstrip("Z")
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(iso, fmt).date()
        except ValueError:
            continue
    return None


def _tags(text: str | None) -> dict[str, str]:
    text = _value(text)
    if text is None:
        return {}
    out: dict[str, str] = {}
    for key, value in json.loads(text).items():
        if value is None:
            continue
        value = (value if isinstance(value, str) else json.dumps(value)).strip()
        if value and key.strip().lower() not in out:
            out[key.strip().lower()] = value
    return out


class Independent:
    """The file's usable rows as (day, currency, billed, effective, dimension values, tags)."""

    def __init__(self, path: Path):
        header = _header(path)
        lower = {h.strip().lower(): h for h in header}

        def col(options: list[str]) -> list[str]:
            return [lower[o.lower()] for o in options if o.lower() in lower]

        self.missing = [name for name, options in REQUIRED.items() if not col(options)]
        if self.missing:
            return
        billed, currency, start = (col(REQUIRED[n])[0] for n in ("BilledCost", "BillingCurrency", "ChargePeriodStart"))
        effective, listed = col(["EffectiveCost"]), col(["ListCost"])
        self.has_list = bool(listed)
        dims = {d: col(options) if d in ROW_COALESCE else col(options)[:1] for d, options in COLUMNS.items()}
        months = {d: col(options)[:1] for d, options in MONTHS.items()}
        tags = col(["Tags"])
        raw = _rows(path)
        starts = [_value(r[start]) or "" for r in raw]
        day_first = any(s.count("/") == 2 and int(s.split("/")[0]) > 12 for s in starts)
        self.rows = []
        for r in raw:
            cost, day = _amount(r[billed]), _day(r[start], day_first)
            if cost is None or day is None:
                continue
            eff = _amount(r[effective[0]]) if effective else None
            values = {d: next((v for c in cols if (v := _value(r[c]))), MISSING) for d, cols in dims.items()}
            for d, cols in months.items():
                when = _day(r[cols[0]], day_first) if cols else None
                values[d] = when.strftime("%Y-%m") if when else MISSING
            list_cost = (_amount(r[listed[0]]) or Decimal(0)) if listed else Decimal(0)
            self.rows.append(
                (
                    day,
                    _value(r[currency]) or MISSING,
                    cost,
                    cost if eff is None else eff,
                    values,
                    _tags(r[tags[0]]) if tags else {},
                    list_cost,
                )
            )

    def totals(self, key, keep=lambda row: True, metric: str = "billed") -> dict[tuple, Decimal]:
        column = {"billed": 2, "effective": 3, "list": 6}[metric]
        out: dict[tuple, Decimal] = defaultdict(Decimal)
        for row in self.rows:
            if keep(row):
                out[(key(row), row[1])] += row[column]
        return dict(out)


# --- the engine ----------------------------------------------------------------------------------
def _engine(tmp_path: Path, path: Path):
    from agent.runtime import Runtime
    from contract.settings import Settings
    from tools.cost.engine import CostEngine

    return CostEngine(Runtime(Settings(data_dir=tmp_path, focus=[str(path)]), builtin_families=False))


def _aggregate(engine, dims, filters=None, period=None, metric="billed", exclude=None) -> dict[tuple, float]:
    from tools.cost.engine import Filters
    from tools.cost.periods import Period

    period = period or Period(*ALL, "all")
    agg = engine.aggregate(period, dims, Filters.of(filters or {}, exclude), metric=metric)
    return {(k[0] if dims else None, k[-1]): v for k, v in agg.values.items()}


def _same(got: dict[tuple, float], expected: dict[tuple, Decimal], what: str) -> None:
    assert set(got) == set(expected), f"{what}: keys differ"
    for key, value in expected.items():
        assert got[key] == pytest.approx(float(value), rel=1e-9, abs=1e-9), f"{what} {key}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: _id(p) if p else "absent")
def test_every_dimension_and_some_filters_match_an_independent_computation(path: Path, tmp_path):
    from tools.cost.focus import FocusFormatError
    from tools.cost.periods import month_of

    truth = Independent(path)
    engine = _engine(tmp_path, path)
    if truth.missing:
        with pytest.raises(FocusFormatError) as refused:
            engine.dataset  # noqa: B018 - opening the data is what is tested
        message = str(refused.value)
        assert str(path) in message and f"column(s) {', '.join(truth.missing)} " in message
        folder = path.parent.name
        if "provider_config_tests" in path.parts:
            assert NATIVE[folder] in message and "not a FOCUS cost and usage export" in message
        return
    assert truth.rows, "every FOCUS fixture has usable rows"
    assert engine.dataset.bad.total == 0 and engine.dataset.errors == []
    assert set(engine.dataset.currencies()) == {row[1] for row in truth.rows}  # never 'Token'
    _same(_aggregate(engine, []), truth.totals(lambda r: None), "total")
    for metric in ("effective", "list") if truth.has_list else ("effective",):
        _same(_aggregate(engine, [], metric=metric), truth.totals(lambda r: None, metric=metric), metric)
    for dim in [*COLUMNS, *MONTHS]:
        _same(_aggregate(engine, [dim]), truth.totals(lambda r, d=dim: r[4][d]), dim)
    keys = sorted({k for row in truth.rows for k in row[5]})
    for key in keys:
        _same(_aggregate(engine, [f"tag:{key}"]), truth.totals(lambda r, k=key: r[5].get(k, MISSING)), f"tag {key}")
    # filters: the costliest service, a charge category, a tag value, and the first month (dates)
    service = max(truth.rows, key=lambda r: r[2])[4]["service_name"]
    _same(
        _aggregate(engine, ["provider"], {"service_name": service.upper()}),
        truth.totals(lambda r: r[4]["provider"], lambda r: r[4]["service_name"] == service),
        f"service_name={service}",
    )
    category = truth.rows[-1][4]["charge_category"]
    _same(
        _aggregate(engine, ["region"], {"charge_category": category}),
        truth.totals(lambda r: r[4]["region"], lambda r: r[4]["charge_category"] == category),
        f"charge_category={category}",
    )
    _same(
        _aggregate(engine, ["account"], exclude={"charge_category": category}),
        truth.totals(lambda r: r[4]["account"], lambda r: r[4]["charge_category"] != category),
        f"charge_category!={category}",
    )
    two = sorted({r[4]["service_name"] for r in truth.rows})[:2]
    _same(
        _aggregate(engine, ["service_name"], {"service_name": two}),
        truth.totals(lambda r: r[4]["service_name"], lambda r: r[4]["service_name"] in two),
        f"service_name in {two}",
    )
    if keys:
        key, value = next((k, v) for row in truth.rows for k, v in row[5].items())
        _same(
            _aggregate(engine, ["service_name"], {f"tag:{key}": value}),
            truth.totals(lambda r: r[4]["service_name"], lambda r: r[5].get(key, "").lower() == value.lower()),
            f"tag {key}={value}",
        )
    month = month_of(min(row[0] for row in truth.rows))
    _same(
        _aggregate(engine, ["service_category"], period=month),
        truth.totals(lambda r: r[4]["service_category"], lambda r: month.start <= r[0] < month.end),
        f"period {month.label}",
    )


def test_the_fixtures_include_the_quirks_this_module_is_about():
    if not FOCUS_ROOT.is_dir():
        pytest.skip(f"{FOCUS_ROOT} is absent (fresh clone)")
    texts = {p: p.read_bytes() for p in _files() if p.suffix == ".csv"}
    assert any(t.startswith(b"\xef\xbb\xbf") for t in texts.values()), "a BOM"
    assert any(b"\r\n\r\n" in t for t in texts.values()), "CRLF and blank lines"
    assert any(re.search(rb",\d{1,2}/\d{1,2}/\d{2},", t) for t in texts.values()), "M/D/YY dates"
    assert any(b",null," in t for t in texts.values()) and any(b",NULL," in t for t in texts.values())
    assert any(b",Token," in t for t in texts.values()), "a virtual currency"


def test_day_first_dates_are_recognised_when_a_day_exceeds_12(tmp_path):
    from tools.cost.focus import open_dataset

    f = tmp_path / "eu.csv"
    f.write_text(
        "BilledCost,BillingCurrency,ChargePeriodStart\n1.00,EUR,13/02/2025\n2.00,EUR,01/03/2025\n", encoding="utf-8"
    )
    ds = open_dataset([f])
    assert sorted(str(d) for (d,) in ds.query("SELECT day FROM focus")) == ["2025-02-13", "2025-03-01"]

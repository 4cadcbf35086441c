"""FOCUS ingestion: the FinOps Foundation sample checked against an independent computation, and bad input."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.support.cost import fixture_dir
from tools.cost.focus import FocusFormatError, open_dataset


def _independent_totals(path):
    """BilledCost sums per ProviderName and ServiceCategory with the csv module and Decimal."""
    by_provider: dict[str, Decimal] = defaultdict(Decimal)
    by_category: dict[str, Decimal] = defaultdict(Decimal)
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            cost = Decimal(row["BilledCost"])
            by_provider[row["ProviderName"]] += cost
            by_category[row["ServiceCategory"]] += cost
    return by_provider, by_category


def test_focus_sample_totals_match_an_independent_computation():
    path = fixture_dir("focus") / "focus_sample.csv"
    if not path.exists():
        pytest.skip("focus_sample.csv is absent")
    ds = open_dataset([path])
    assert ds.rows == 1000 and ds.bad.total == 0 and ds.errors == []
    expected_provider, expected_category = _independent_totals(path)
    got_provider = dict(ds.query("SELECT provider, sum(billed_cost) FROM focus GROUP BY 1"))
    got_category = dict(ds.query("SELECT service_category, sum(billed_cost) FROM focus GROUP BY 1"))
    assert set(got_provider) == set(expected_provider) == {"AWS", "Microsoft", "Oracle"}
    for name, value in expected_provider.items():
        assert got_provider[name] == pytest.approx(float(value), rel=1e-9, abs=1e-9)
    assert set(got_category) == set(expected_category)
    for name, value in expected_category.items():
        assert got_category[name] == pytest.approx(float(value), rel=1e-9, abs=1e-9)
    first, last = ds.date_range()
    assert (str(first), str(last)) == ("2024-09-01", "2024-09-30")  # 'YYYY-MM-DD HH:MM:SS' timestamps parsed
    assert ds.currencies() == ["USD"]


def test_sample_tags_with_odd_keys_are_parsed(tmp_path):
    from tools.cost.mapping import parse_tags

    assert parse_tags('{" org": "x", "Application": "A"}') == {"org": "x", "application": "A"}
    assert parse_tags("NULL") == {}
    assert parse_tags("service=checkout;team=team-checkout") == {"service": "checkout", "team": "team-checkout"}


HEADER = "BilledCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ProviderName,ServiceCategory,Tags\n"


def test_bad_rows_are_counted_and_located(tmp_path):
    f = tmp_path / "export.csv"
    f.write_text(
        HEADER
        + '1.50,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,AWS,Compute,"{""service"": ""checkout""}"\n'
        + "abc,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,AWS,Compute,NULL\n"
        + "2.00,USD,2026-13-45,2026-10-02T00:00:00Z,AWS,Storage,NULL\n"
        + "3.25,USD,2026-10-02 00:00:00,2026-10-03 00:00:00,AWS,Storage,NULL\n",
        encoding="utf-8",
    )
    ds = open_dataset([f])
    assert ds.rows == 4
    assert (ds.bad.unparseable_cost, ds.bad.unparseable_date) == (1, 1)
    assert ds.query("SELECT sum(billed_cost) FROM focus")[0][0] == pytest.approx(4.75)
    note = ds.bad.note()
    assert "export.csv line 3: BilledCost 'abc'" in note and "export.csv line 4: ChargePeriodStart '2026-13-45'" in note


def test_non_focus_file_names_missing_columns_and_others_still_load(tmp_path):
    (tmp_path / "good.csv").write_text(
        HEADER + "1.00,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,AWS,Compute,\n", encoding="utf-8"
    )
    (tmp_path / "people.csv").write_text("name,email\nann,ann@example.com\n", encoding="utf-8")
    ds = open_dataset([tmp_path])
    assert ds.rows == 1
    assert len(ds.errors) == 1
    assert "people.csv is not a FOCUS billing export" in ds.errors[0]
    assert "BilledCost, BillingCurrency, ChargePeriodStart" in ds.errors[0]
    with pytest.raises(FocusFormatError, match="missing column"):
        open_dataset([tmp_path / "people.csv"])


def test_parquet_and_csv_folders_together(tmp_path):
    from datetime import date

    from demo.cost.exports import ensure_demo_exports

    paths = ensure_demo_exports(tmp_path, date(2026, 11, 24))
    ds = open_dataset(paths)
    kinds = {f.kind for f in ds.files}
    assert kinds == {"csv", "parquet"}
    providers = dict(ds.query("SELECT provider, count(*) FROM focus GROUP BY 1"))
    assert set(providers) == {"AWS", "ClickHouse"}


def test_large_csv_parquet_cache_keeps_counts_and_lines(tmp_path):
    f = tmp_path / "export.csv"
    f.write_text(
        HEADER
        + '1.50,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,AWS,Compute,"{""service"": ""checkout""}"\n'
        + "abc,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,AWS,Compute,NULL\n"
        + "2.00,USD,2026-13-45,2026-10-02T00:00:00Z,AWS,Storage,NULL\n",
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    ds = open_dataset([f], cache_dir=cache, cache_min_bytes=0)
    assert ds.files[0].scan is not None and ds.files[0].scan.parent == cache
    assert (ds.bad.unparseable_cost, ds.bad.unparseable_date) == (1, 1)
    assert "export.csv line 3: BilledCost 'abc'" in ds.bad.note()
    assert ds.query("SELECT sum(billed_cost) FROM focus")[0][0] == pytest.approx(1.5)
    # a changed CSV gets a fresh copy
    f.write_text(HEADER + "9.00,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,AWS,Compute,\n", encoding="utf-8")
    ds2 = open_dataset([f], cache_dir=cache, cache_min_bytes=0)
    assert ds2.query("SELECT sum(billed_cost) FROM focus")[0][0] == pytest.approx(9.0)

"""Anomalies on the demo and on clean seasonal data; forecast intervals against held-back data."""

from __future__ import annotations

import random
from datetime import date, timedelta

from tools.cost.analysis import detect_anomalies, fit_forecast


def _seasonal(seed: int, days: int = 120, noise: float = 0.03, trend: float = 0.0015):
    rng = random.Random(seed)
    start = date(2026, 1, 5)
    out = []
    for i in range(days):
        d = start + timedelta(days=i)
        weekly = 1.25 if d.weekday() >= 5 else 1.0
        out.append((d, 1000 * (1 + trend) ** i * weekly * (1 + rng.gauss(0, noise))))
    return out


def test_planted_anomaly_found_by_the_tool(ctx):
    result = ctx.runtime.tools["cost_anomalies"].run({"period": "the last 30 days", "chart": False}, ctx)
    assert result.ok, result.error
    top = result.data["anomalies"][0]
    assert top["key"] == "search-indexer"
    assert (top["start"], top["end"]) == ("2026-11-08", "2026-11-10")
    assert top["actual"] > top["expected_range"][1] and top["ratio"] > 3
    assert [a["key"] for a in result.data["anomalies"]] == ["search-indexer"]  # nothing else, not the GPU drop
    assert any(a["start"] == "2026-11-08" for a in result.data["anomalies_in_total"])


def test_no_false_alarm_on_clean_seasonal_data():
    for seed in range(20):
        episodes, band = detect_anomalies(_seasonal(seed))
        assert episodes == [], (seed, [(e.start, e.actual, e.high) for e in episodes])
        assert len(band) == 120


def test_planted_spike_in_synthetic_data_is_found_with_its_range():
    series = _seasonal(3)
    spiked = [(d, v * (2.0 if 90 <= i < 92 else 1.0)) for i, (d, v) in enumerate(series)]
    episodes, _ = detect_anomalies(spiked)
    assert len(episodes) == 1
    ep = episodes[0]
    assert (ep.start, ep.end) == (series[90][0], series[91][0])
    assert ep.low < ep.expected < ep.high < ep.actual


def test_forecast_intervals_contain_held_back_days_at_their_stated_rate():
    hits = total = 0
    for seed in range(12):
        series = [v for _, v in _seasonal(100 + seed, days=112, noise=0.05)]
        train, held = series[:98], series[98:]
        _, low, high, _ = fit_forecast(train, len(held), level=0.8, repetitions=400, seed=seed)
        hits += sum(lo <= v <= hi for v, lo, hi in zip(held, low, high, strict=True))
        total += len(held)
    rate = hits / total
    assert 0.68 <= rate <= 0.92, rate


def test_forecast_tool_interval_brackets_the_total(ctx):
    result = ctx.runtime.tools["cost_forecast"].run({"horizon": "month", "chart": False}, ctx)
    assert result.ok, result.error
    f = result.data["forecast"]
    assert f["interval"]["low"] <= f["total"] <= f["interval"]["high"]
    assert f["actual_to_date"] < f["total"]
    assert result.data["currency"] == "USD" and result.data["period"]["label"] == "November 2026"

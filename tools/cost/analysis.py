"""Anomalies, forecasts and movers on daily cost series.

Anomalies: the expected cost of each day comes from the weeks before it (the last week's
deseasonalised median level times a four-week median weekday factor), so weekends that are
always dearer are normal and a spike cannot inflate its own baseline; a day is anomalous when it
is more than ``z`` robust standard deviations (1.4826 × MAD of the residuals) above *and* is
material (a share of the expected cost and an absolute floor).

Forecasts: Holt-Winters exponential smoothing (additive damped trend, weekly seasonality) from
statsmodels, simulated many times to give an interval on the *sum* to the end of the month or
quarter, not just per day.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any


@dataclass
class Anomaly:
    start: date
    end: date
    actual: float
    expected: float
    low: float
    high: float
    days: list[dict[str, Any]]

    @property
    def excess(self) -> float:
        return self.actual - self.expected

    def as_dict(self, currency: str) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "currency": currency,
            "actual": round(self.actual, 2),
            "expected": round(self.expected, 2),
            "expected_range": [round(self.low, 2), round(self.high, 2)],
            "excess": round(self.excess, 2),
            "ratio": round(self.actual / self.expected, 2) if self.expected > 0 else None,
            "days": self.days,
        }


def expected_series(values: list[float], window: int = 28) -> tuple[list[float], float]:
    """Expected cost per day from the days *before* it, robust to weekly seasonality and spikes.

    For day t: weekday factors = median cost of each weekday over the previous ``window`` days
    divided by their overall median; level = median of the last 7 days divided by their factors.
    Expected = level × t's weekday factor. Using only the past means a
    spike cannot raise its own baseline and a step change is judged against what came before it.
    The robust sd is 1.4826 × MAD of the residuals of days that have a full baseline.
    Days with less than two weeks of history get the median of what exists.
    """
    import numpy as np

    y = np.asarray(values, dtype=float)
    n = len(y)
    expected = np.zeros(n)
    for t in range(n):
        lo = max(0, t - window)
        past = y[lo:t]
        if len(past) < 14:
            expected[t] = float(np.median(y[: max(t, min(n, 14))])) if n else 0.0
            continue
        overall = float(np.median(past))
        if overall <= 0:
            expected[t] = 0.0
            continue
        factors = {}
        for w in range(7):
            same = [y[i] for i in range(lo, t) if (t - i) % 7 == w]
            factors[w] = float(np.median(same)) / overall if same else 1.0
            if factors[w] <= 0:
                factors[w] = 1.0
        recent = [y[i] / factors[(t - i) % 7] for i in range(max(lo, t - 7), t)]
        level = float(np.median(recent))
        expected[t] = level * factors[0]
    judged = slice(min(14, n), n)
    resid = (y - expected)[judged]
    mad = float(np.median(np.abs(resid - np.median(resid)))) if len(resid) else 0.0
    return [float(v) for v in expected], 1.4826 * mad


def detect_anomalies(
    series: list[tuple[date, float]],
    *,
    z: float = 5.0,
    min_share: float = 0.05,
    min_abs: float = 1.0,
    direction: str = "up",
) -> tuple[list[Anomaly], list[dict[str, Any]]]:
    """Anomalous episodes (consecutive anomalous days merged) and the per-day expected band."""
    days = [d for d, _ in series]
    values = [v for _, v in series]
    expected, sigma = expected_series(values)
    band = []
    flagged: list[int] = []
    for i, (d, v, e) in enumerate(zip(days, values, expected, strict=True)):
        half = max(z * sigma, min_share * abs(e), min_abs)
        low, high = e - half, e + half
        band.append(
            {
                "day": d.isoformat(),
                "actual": round(v, 2),
                "expected": round(e, 2),
                "low": round(max(low, 0.0), 2),
                "high": round(high, 2),
            }
        )
        if i < 14:  # not enough history to judge
            continue
        up, down = v > high, v < low
        if (direction in ("up", "both") and up) or (direction in ("down", "both") and down):
            flagged.append(i)
    episodes: list[Anomaly] = []
    for i in flagged:
        entry = band[i]
        if episodes and (days[i] - episodes[-1].end).days == 1:
            ep = episodes[-1]
            ep.end = days[i]
            ep.actual += values[i]
            ep.expected += expected[i]
            ep.low += entry["low"]
            ep.high += entry["high"]
            ep.days.append(entry)
        else:
            episodes.append(Anomaly(days[i], days[i], values[i], expected[i], entry["low"], entry["high"], [entry]))
    episodes.sort(key=lambda a: abs(a.excess), reverse=True)
    return episodes, band


@dataclass
class Forecast:
    horizon_end: date  # last day forecast
    actual_to_date: float
    forecast_rest: float
    total: float
    low: float
    high: float
    level: float
    daily: list[dict[str, Any]]
    method: str

    def as_dict(self, currency: str) -> dict[str, Any]:
        return {
            "currency": currency,
            "through": self.horizon_end.isoformat(),
            "actual_to_date": round(self.actual_to_date, 2),
            "forecast_remaining": round(self.forecast_rest, 2),
            "total": round(self.total, 2),
            "interval": {"level": self.level, "low": round(self.low, 2), "high": round(self.high, 2)},
            "method": self.method,
            "daily": self.daily,
        }


def fit_forecast(
    values: list[float], horizon: int, *, level: float = 0.8, repetitions: int = 1000, seed: int = 7
) -> tuple[list[float], list[float], list[float], Any]:
    """Per-day mean and interval for ``horizon`` days ahead, and simulated paths (for sums)."""
    import numpy as np
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = np.asarray(values, dtype=float)
    seasonal = "add" if len(y) >= 28 else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ExponentialSmoothing(
            y, trend="add", damped_trend=True, seasonal=seasonal, seasonal_periods=7 if seasonal else None
        ).fit()
        if horizon <= 0:
            return [], [], [], np.zeros((0, repetitions))
        sims = fit.simulate(
            horizon, anchor="end", repetitions=repetitions, error="add", rng=np.random.default_rng(seed)
        )
    sims = np.asarray(sims).reshape(horizon, repetitions)
    alpha = (1 - level) / 2
    mean = fit.forecast(horizon)
    low = np.quantile(sims, alpha, axis=1)
    high = np.quantile(sims, 1 - alpha, axis=1)
    return [float(v) for v in mean], [float(v) for v in low], [float(v) for v in high], sims


def forecast_to(
    series: list[tuple[date, float]], period_start: date, horizon_end: date, *, level: float = 0.8, fit_days: int = 98
) -> Forecast:
    """Total for [period_start, horizon_end]: actuals so far + simulated remaining days.

    The model is fitted on the last ``fit_days`` (14 weeks): enough for the weekly pattern and the
    recent trend, and it keeps the fit fast.
    """
    import numpy as np

    if not series:
        raise ValueError("no daily costs to forecast from")
    last = series[-1][0]
    horizon = max(0, (horizon_end - last).days)
    values = [v for _, v in series[-fit_days:]]
    mean, low, high, sims = fit_forecast(values, horizon, level=level)
    actual = sum(v for d, v in series if d >= period_start)
    alpha = (1 - level) / 2
    if horizon:
        sums = np.asarray(sims).sum(axis=0)
        rest = float(np.sum(mean))
        lo, hi = float(np.quantile(sums, alpha)), float(np.quantile(sums, 1 - alpha))
    else:
        rest, lo, hi = 0.0, 0.0, 0.0
    daily = [
        {
            "day": (last + timedelta(days=i + 1)).isoformat(),
            "forecast": round(m, 2),
            "low": round(a, 2),
            "high": round(b, 2),
        }
        for i, (m, a, b) in enumerate(zip(mean, low, high, strict=True))
    ]
    return Forecast(
        horizon_end,
        actual,
        rest,
        actual + rest,
        actual + lo,
        actual + hi,
        level,
        daily,
        "Holt-Winters exponential smoothing (additive damped trend, weekly seasonality), statsmodels; "
        "interval from 1,000 simulated paths",
    )


def movers(current: dict[str, float], previous: dict[str, float], top: int = 5) -> list[dict[str, Any]]:
    keys = set(current) | set(previous)
    out = []
    for k in keys:
        a, b = previous.get(k, 0.0), current.get(k, 0.0)
        out.append(
            {
                "key": k,
                "previous": round(a, 2),
                "current": round(b, 2),
                "change": round(b - a, 2),
                "change_pct": round(100 * (b - a) / a, 1) if a else None,
            }
        )
    out.sort(key=lambda r: abs(r["change"]), reverse=True)
    return out[:top]

from datetime import date

from demo.cost.exports import demo_dates, generate_rows


def test_demo_is_deterministic_and_rebased_on_today():
    a = generate_rows(date(2026, 11, 24))
    b = generate_rows(date(2026, 11, 24))
    assert a == b
    days = sorted({r["ChargePeriodStart"][:10] for r in a})
    assert days[0] == "2026-08-01" and days[-1] == "2026-11-24" and len(days) >= 90
    later = generate_rows(date(2027, 3, 2))
    later_days = sorted({r["ChargePeriodStart"][:10] for r in later})
    assert later_days[-1] == "2027-03-02" and later_days[0] == "2026-12-01"  # "last month" always has data


def test_story_dates_keep_their_place():
    d = demo_dates(date(2026, 11, 24))
    assert (d.anomaly_start, d.gpu_drop) == (date(2026, 11, 8), date(2026, 11, 20))
    later = demo_dates(date(2027, 3, 2))
    assert later.anomaly_start.weekday() == 6 and 14 <= (date(2027, 3, 2) - later.anomaly_start).days <= 20

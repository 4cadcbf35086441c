from datetime import date

import pytest

from tools.cost.periods import parse_day, parse_period

TODAY = date(2026, 11, 24)  # a Tuesday


@pytest.mark.parametrize(
    "text,start,end,label",
    [
        ("what did checkout cost last month", date(2026, 10, 1), date(2026, 10, 31), "October 2026"),
        ("spend this month", date(2026, 11, 1), date(2026, 11, 24), "November 2026 to date"),
        ("cost in Q3", date(2026, 7, 1), date(2026, 9, 30), "Q3 2026"),
        ("Q4 spend", date(2026, 10, 1), date(2026, 11, 24), "Q4 2026 to date"),
        ("cost in Q1 2025", date(2025, 1, 1), date(2025, 3, 31), "Q1 2025"),
        ("last quarter", date(2026, 7, 1), date(2026, 9, 30), "Q3 2026"),
        ("the last 30 days", date(2026, 10, 26), date(2026, 11, 24), "the last 30 days"),
        ("past two weeks", date(2026, 11, 11), date(2026, 11, 24), "the last 2 weeks"),
        ("since Monday", date(2026, 11, 23), date(2026, 11, 24), "since Monday 2026-11-23"),
        ("since tuesday", date(2026, 11, 24), date(2026, 11, 24), "since Tuesday 2026-11-24"),
        ("in October", date(2026, 10, 1), date(2026, 10, 31), "October 2026"),
        ("December", date(2025, 12, 1), date(2025, 12, 31), "December 2025"),
        ("2026-10-01 to 2026-10-15", date(2026, 10, 1), date(2026, 10, 15), "2026-10-01 to 2026-10-15"),
        ("yesterday", date(2026, 11, 23), date(2026, 11, 23), "yesterday (2026-11-23)"),
        ("last week", date(2026, 11, 16), date(2026, 11, 22), "the week of 2026-11-16"),
        ("last year", date(2025, 1, 1), date(2025, 12, 31), "2025"),
    ],
)
def test_periods(text, start, end, label):
    p = parse_period(text, TODAY)
    assert p is not None, text
    assert (p.start, p.last_day, p.label) == (start, end, label)


def test_no_period_and_may_the_verb():
    assert parse_period("which services cost team-payments the most", TODAY) is None
    assert parse_period("may I see the costs", TODAY) is None
    assert parse_period("costs in May", TODAY).label == "May 2026"


def test_previous_period():
    assert parse_period("last month", TODAY).previous().label == "September 2026"
    assert parse_period("Q3", TODAY).previous().label == "Q2 2026"
    p = parse_period("the last 30 days", TODAY).previous()
    assert (p.start, p.last_day) == (date(2026, 9, 26), date(2026, 10, 25))


@pytest.mark.parametrize(
    "text,day",
    [
        ("why did our bill jump on the 12th", date(2026, 11, 12)),
        ("on the 28th", date(2026, 10, 28)),  # not yet this month: the month before
        ("what happened on Nov 8", date(2026, 11, 8)),
        ("8 November", date(2026, 11, 8)),
        ("2026-11-09", date(2026, 11, 9)),
        ("what drove the cost on Sunday", date(2026, 11, 22)),
    ],
)
def test_days(text, day):
    assert parse_day(text, TODAY) == day


def test_a_month_with_its_year_wins_over_a_relative_phrase():
    p = parse_period("how much did Orion Zenith spend last month (Sept 2024)?", TODAY)
    assert (p.start, p.label) == (date(2024, 9, 1), "September 2024")
    p = parse_period("the September review: what did VPC cost in September 2024?", TODAY)
    assert p.label == "September 2024"


def test_names_without_a_year_are_the_latest_the_data_covers():
    latest = date(2024, 9, 30)  # an export that ends long before today
    assert parse_period("credits we got in September", TODAY, latest).label == "September 2024"
    assert parse_period("credits we got in September", TODAY).label == "September 2026"
    assert parse_period("spend in Q3", TODAY, latest).label == "Q3 2024"
    assert parse_period("what happened on Sept 18", TODAY, latest).start == date(2024, 9, 18)
    assert parse_period("last month", TODAY, latest).label == "October 2026"  # relative stays relative

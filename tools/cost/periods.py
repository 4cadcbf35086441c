"""Turning "last month", "Q3", "the last 30 days" or "since Monday" into a date range.

Every cost figure is stated for an explicit period, so the parser returns the half-open range
``[start, end)`` plus a human label ("October 2026"). Periods never reach past ``today``: "this
month" ends tomorrow (today included), and a quarter asked for by name without a year is the most
recent one that has started. A month named with its year wins over a relative phrase in the same
question ("last month (Sept 2024)"). A month, quarter or day named without a year is the most
recent one up to ``latest`` — the last day the data covers, when it ends before today — so
"September" about an export of 2024 means September 2024.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fourteen": 14,
    "thirty": 30,
    "sixty": 60,
    "ninety": 90,
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.last_day.isoformat(), "label": self.label}

    def previous(self) -> Period:
        """The period just before, for period-over-period comparisons.

        Whole calendar months and quarters compare with the previous month or quarter; anything
        else with the same number of days immediately before.
        """
        if self.start.day == 1 and _is_month_start(self.end) and _months_between(self.start, self.end) in (1, 3):
            n = _months_between(self.start, self.end)
            start = _add_months(self.start, -n)
            label = _month_label(start) if n == 1 else _quarter_label(start)
            return Period(start, self.start, label)
        start = self.start - timedelta(days=self.days)
        return Period(start, self.start, f"{start.isoformat()} to {(self.start - timedelta(days=1)).isoformat()}")

    def clipped(self, today: date) -> Period:
        """The same period, cut so it does not reach beyond today."""
        end = min(self.end, today + timedelta(days=1))
        return self if end == self.end else Period(self.start, max(end, self.start), self.label + " (to date)")


def _is_month_start(d: date) -> bool:
    return d.day == 1


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def _month_label(d: date) -> str:
    return f"{calendar.month_name[d.month]} {d.year}"


def _quarter_label(d: date) -> str:
    return f"Q{(d.month - 1) // 3 + 1} {d.year}"


def month(year: int, month_: int) -> Period:
    start = date(year, month_, 1)
    return Period(start, _add_months(start, 1), _month_label(start))


def quarter(year: int, q: int) -> Period:
    start = date(year, 3 * (q - 1) + 1, 1)
    return Period(start, _add_months(start, 3), f"Q{q} {year}")


def last_n_days(n: int, today: date) -> Period:
    end = today + timedelta(days=1)
    return Period(end - timedelta(days=n), end, f"the last {n} days")


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return WORD_NUMBERS.get(text)


_ISO = r"(\d{4}-\d{2}-\d{2})"
_NUM = r"(\d+|" + "|".join(WORD_NUMBERS) + r")"
_MONTH = r"(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"


def parse_period(text: str, today: date, latest: date | None = None) -> Period | None:
    """The period named in ``text``, or None when it names none (see the module docstring)."""
    t = " " + text.lower().replace("’", "'") + " "
    ref = min(today, latest) if latest else today  # for names without a year

    m = re.search(_ISO + r"\s*(?:to|until|through|-|–|\.\.)\s*" + _ISO, t)
    if m:
        a, b = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
        return Period(a, b + timedelta(days=1), f"{a.isoformat()} to {b.isoformat()}")

    dated = next((m for m in re.finditer(r"\b" + _MONTH + r"\s+(\d{4})\b", t) if m.group(1) in MONTHS), None)
    if dated:
        return _named_month(MONTHS[dated.group(1)], int(dated.group(2)), today)

    m = re.search(r"\b(?:last|past|previous|trailing)\s+" + _NUM + r"\s+(day|week|month)s?\b", t)
    if m and _number(m.group(1)):
        n = _number(m.group(1)) or 1
        unit = m.group(2)
        if unit == "day":
            return last_n_days(n, today)
        if unit == "week":
            p = last_n_days(7 * n, today)
            return Period(p.start, p.end, f"the last {n} weeks")
        start = _add_months(date(today.year, today.month, 1), -n)
        return Period(
            start,
            date(today.year, today.month, 1),
            f"the last {n} months ({_month_label(start)} to {_month_label(_add_months(start, n - 1))})",
        )

    m = re.search(r"\bsince\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", t)
    if m:
        wd = WEEKDAYS[m.group(1)]
        back = (today.weekday() - wd) % 7
        start = today - timedelta(days=back)
        return Period(start, today + timedelta(days=1), f"since {m.group(1).title()} {start.isoformat()}")

    m = re.search(r"\bsince\s+" + _ISO, t)
    if m:
        start = date.fromisoformat(m.group(1))
        return Period(start, today + timedelta(days=1), f"since {start.isoformat()}")

    if re.search(r"\b(this|current)\s+month\b|\bmonth[- ]to[- ]date\b|\bmtd\b|\bso far this month\b", t):
        start = date(today.year, today.month, 1)
        return Period(start, today + timedelta(days=1), f"{_month_label(start)} to date")
    if re.search(r"\b(last|previous|past)\s+month\b", t):
        start = _add_months(date(today.year, today.month, 1), -1)
        return month(start.year, start.month)

    if re.search(r"\b(this|current)\s+quarter\b|\bquarter[- ]to[- ]date\b|\bqtd\b", t):
        q = (today.month - 1) // 3 + 1
        p = quarter(today.year, q)
        return Period(p.start, today + timedelta(days=1), f"{p.label} to date")
    if re.search(r"\b(last|previous)\s+quarter\b", t):
        q = (today.month - 1) // 3 + 1
        year, q = (today.year, q - 1) if q > 1 else (today.year - 1, 4)
        return quarter(year, q)
    m = re.search(r"\bq([1-4])(?:\s*(?:of\s+)?[-/ ]?\s*(\d{4}))?\b", t) or re.search(
        r"\b(first|second|third|fourth)\s+quarter(?:\s+(?:of\s+)?(\d{4}))?\b", t
    )
    if m:
        raw = m.group(1)
        q = int(raw) if raw.isdigit() else ["first", "second", "third", "fourth"].index(raw) + 1
        if m.group(2):
            return quarter(int(m.group(2)), q)
        current = (ref.month - 1) // 3 + 1
        year = ref.year if q <= current else ref.year - 1
        p = quarter(year, q)
        return p if p.end <= today else Period(p.start, today + timedelta(days=1), f"{p.label} to date")

    if re.search(r"\b(this|current)\s+week\b|\bweek[- ]to[- ]date\b", t):
        start = today - timedelta(days=today.weekday())
        return Period(start, today + timedelta(days=1), f"this week (since {start.isoformat()})")
    if re.search(r"\b(last|previous)\s+week\b", t):
        start = today - timedelta(days=today.weekday() + 7)
        return Period(start, start + timedelta(days=7), f"the week of {start.isoformat()}")

    if re.search(r"\b(this|current)\s+year\b|\byear[- ]to[- ]date\b|\bytd\b", t):
        start = date(today.year, 1, 1)
        return Period(start, today + timedelta(days=1), f"{today.year} to date")
    if re.search(r"\b(last|previous)\s+year\b", t):
        return Period(date(today.year - 1, 1, 1), date(today.year, 1, 1), str(today.year - 1))

    if re.search(r"\byesterday\b", t):
        d = today - timedelta(days=1)
        return Period(d, today, f"yesterday ({d.isoformat()})")
    if re.search(r"\btoday\b", t):
        return Period(today, today + timedelta(days=1), f"today ({today.isoformat()})")

    day = parse_day(text, ref)
    if day is not None:
        return Period(day, day + timedelta(days=1), day.isoformat())

    m = re.search(r"\b(?:in|for|during|of)?\s*" + _MONTH + r"\b", t)
    if m and (re.search(r"\b(in|for|during|of)\s+" + re.escape(m.group(1)), t) or len(m.group(1)) > 3):
        mon = MONTHS[m.group(1)]
        if m.group(1) == "may" and not re.search(r"\b(in|for|during|of)\s+may\b", t):
            return None  # "may" the verb
        return _named_month(mon, ref.year if mon <= ref.month else ref.year - 1, today)
    return None


def _named_month(mon: int, year: int, today: date) -> Period:
    p = month(year, mon)
    return p if p.end <= today else Period(p.start, today + timedelta(days=1), f"{p.label} to date")


def parse_day(text: str, today: date) -> date | None:
    """A single day: "2026-11-12", "on the 12th", "Nov 12", "12 November", "on Monday"."""
    t = text.lower()
    m = re.search(r"\b" + _ISO + r"\b", t)
    if m:
        try:
            return date.fromisoformat(m.group(1))
        except ValueError:
            return None
    m = re.search(r"\b" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b", t) or None
    if m:
        return _safe_day(int(m.group(3)) if m.group(3) else None, MONTHS[m.group(1)], int(m.group(2)), today)
    m = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:\s+(\d{4}))?\b", t)
    if m:
        return _safe_day(int(m.group(3)) if m.group(3) else None, MONTHS[m.group(2)], int(m.group(1)), today)
    m = re.search(r"\b(?:on|the)\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b", t) or re.search(
        r"\b(\d{1,2})(st|nd|rd|th)\b", t
    )
    if m:
        dom = int(m.group(1))
        if not 1 <= dom <= 31:
            return None
        year, mon = today.year, today.month
        for _ in range(3):  # this month if that day has passed, else the month before
            if dom <= calendar.monthrange(year, mon)[1]:
                candidate = date(year, mon, dom)
                if candidate <= today:
                    return candidate
            prev = _add_months(date(year, mon, 1), -1)
            year, mon = prev.year, prev.month
        return None
    m = re.search(r"\b(?:on|last)\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", t)
    if m:
        back = (today.weekday() - WEEKDAYS[m.group(1)]) % 7 or 7
        return today - timedelta(days=back)
    return None


def _safe_day(year: int | None, mon: int, dom: int, today: date) -> date | None:
    year = year or (today.year if (mon, dom) <= (today.month, today.day) else today.year - 1)
    try:
        return date(year, mon, dom)
    except ValueError:
        return None


def quarter_of(d: date) -> Period:
    return quarter(d.year, (d.month - 1) // 3 + 1)


def month_of(d: date) -> Period:
    return month(d.year, d.month)

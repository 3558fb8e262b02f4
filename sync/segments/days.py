"""Shop-local days for segment dates: today, relative dates, yearly anniversaries.

Computed in Python and bound as parameters, so the SQL compares plain DATE columns and
is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def utc_naive(moment: datetime) -> datetime:
    """Naive UTC from an aware datetime (naive ones are taken to be UTC already)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def local_today(now: datetime, timezone: str) -> date:
    """The calendar day it is in the shop's time zone at `now` (naive UTC or aware)."""
    return utc_naive(now).replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).date()


def add_months(day: date, months: int) -> date:
    """Calendar arithmetic: 31 March - 1 month = 28 (or 29) February."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def shift(day: date, amount: int, unit: str) -> date:
    if unit == "d":
        return day + timedelta(days=amount)
    if unit == "w":
        return day + timedelta(weeks=amount)
    if unit == "m":
        return add_months(day, amount)
    if unit == "y":
        return add_months(day, 12 * amount)
    raise ValueError(f"unknown relative date unit {unit!r}")


def occurrence(month: int, day: int, year: int) -> date:
    """That month and day in that year; 29 February is 28 February in other years."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def next_anniversary(of: date, today: date) -> date:
    """The next yearly occurrence of `of` on or after today."""
    this_year = occurrence(of.month, of.day, today.year)
    return this_year if this_year >= today else occurrence(of.month, of.day, today.year + 1)


# Every month-day a date can have, as MMDD integers in calendar order (0229 included).
MONTH_DAYS = tuple(
    month * 100 + day
    for month in range(1, 13)
    for day in range(1, (29 if month == 2 else calendar.monthrange(2001, month)[1]) + 1)
)


def age(birth: date, today: date) -> int:
    """Whole years at today (born 29 February: a year older on 1 March in other years)."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def next_anniversary_md(month_day: int, today: date) -> date:
    """The next occurrence on or after today of a MMDD month-day (see MONTH_DAYS)."""
    month, day = divmod(month_day, 100)
    this_year = occurrence(month, day, today.year)
    return this_year if this_year >= today else occurrence(month, day, today.year + 1)

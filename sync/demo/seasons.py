"""The French commercial calendar of a chocolatier: how busy each day is, and its promotion.

Christmas is the year's peak, then Easter, Mother's Day, Black Friday, Valentine's Day and
the two legal sales periods (soldes). Summer is slow (chocolate melts, people are away).
Each day gets a weight (relative order volume), a promotion code and whether gift boxes
sell more; the generator samples order days from the cumulative weights.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate


@dataclass(frozen=True, slots=True)
class Promotion:
    code: str
    percent: int


SALES = Promotion("SOLDES20", 20)
VALENTINE = Promotion("STVALENTIN10", 10)
EASTER = Promotion("PAQUES10", 10)
MOTHERS_DAY = Promotion("MAMAN15", 15)
FATHERS_DAY = Promotion("PAPA10", 10)
BLACK_FRIDAY = Promotion("BLACKFRIDAY25", 25)
CHRISTMAS = Promotion("NOEL10", 10)
WELCOME = Promotion("BIENVENUE10", 10)
LOYALTY = Promotion("FIDELITE5", 5)


def easter(year: int) -> date:
    """Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month = (h + leap - 7 * m + 114) // 31
    day = (h + leap - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _weekday_on_or_before(day: date, weekday: int) -> date:
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def mothers_day(year: int) -> date:
    """Last Sunday of May, moved to the first Sunday of June when it falls on Pentecost."""
    last_sunday = _weekday_on_or_before(date(year, 5, 31), 6)
    if last_sunday == easter(year) + timedelta(days=49):
        return last_sunday + timedelta(days=7)
    return last_sunday


def black_friday(year: int) -> date:
    return _nth_weekday(year, 11, 3, 4) + timedelta(days=1)


def winter_sales_start(year: int) -> date:
    """Second Wednesday of January (the legal start of the soldes d'hiver)."""
    return _nth_weekday(year, 1, 2, 2)


def summer_sales_start(year: int) -> date:
    """Last Wednesday of June (the legal start of the soldes d'été)."""
    return _weekday_on_or_before(date(year, 6, 30), 2)


@dataclass(frozen=True, slots=True)
class Day:
    weight: float
    promotion: Promotion | None
    gifts: bool


def _year_events(year: int) -> list[tuple[date, date, Day]]:
    """(first day, last day, what the day is) for the events of one year, strongest last."""
    winter = winter_sales_start(year)
    summer = summer_sales_start(year)
    paques = easter(year)
    mothers = mothers_day(year)
    fathers = _nth_weekday(year, 6, 6, 3)
    friday = black_friday(year)
    return [
        (date(year, 7, 1), date(year, 8, 31), Day(0.65, None, False)),
        (date(year, 10, 1), date(year, 11, 30), Day(1.15, None, False)),
        (winter, winter + timedelta(days=27), Day(1.6, SALES, False)),
        (summer, summer + timedelta(days=27), Day(1.25, SALES, False)),
        (date(year, 2, 7), date(year, 2, 14), Day(1.9, VALENTINE, True)),
        (paques - timedelta(days=16), paques + timedelta(days=1), Day(2.6, EASTER, True)),
        (mothers - timedelta(days=10), mothers, Day(2.8, MOTHERS_DAY, True)),
        (fathers - timedelta(days=7), fathers, Day(1.5, FATHERS_DAY, True)),
        (friday, friday + timedelta(days=3), Day(3.6, BLACK_FRIDAY, False)),
        (date(year, 12, 1), date(year, 12, 13), Day(3.2, CHRISTMAS, True)),
        (date(year, 12, 14), date(year, 12, 23), Day(5.0, CHRISTMAS, True)),
        (date(year, 12, 24), date(year, 12, 24), Day(2.2, CHRISTMAS, True)),
        (date(year, 12, 25), date(year, 12, 31), Day(1.3, None, False)),
    ]


ORDINARY = Day(1.0, None, False)


class Calendar:
    """Every day from `first` to `last` with its weight, and sampling of days by weight.

    Sampling is one random number and a binary search over cumulative weights, so that
    millions of orders can be dated quickly with their seasonal peaks.
    """

    def __init__(self, first: date, last: date) -> None:
        self.first = first
        count = (last - first).days + 1
        self.days: list[Day] = [ORDINARY] * count
        for year in range(first.year, last.year + 1):
            for start, end, kind in _year_events(year):
                for offset in range((start - first).days, (end - first).days + 1):
                    if 0 <= offset < count:
                        self.days[offset] = kind
        # cumulative[i] is the total weight of days before day i (cumulative[0] == 0).
        self.cumulative = [0.0, *accumulate(day.weight for day in self.days)]

    def offset(self, day: date) -> int:
        return (day - self.first).days

    def sample(self, low: int, high: int, fraction: float) -> int:
        """The day offset in [low, high] at `fraction` (0..1) of their cumulative weight."""
        cumulative = self.cumulative
        start = cumulative[low]
        target = start + fraction * (cumulative[high + 1] - start)
        found = bisect_right(cumulative, target, low, high + 1) - 1
        return min(max(found, low), high)

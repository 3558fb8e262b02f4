"""Days in the shop's time zone: today, relative dates, day boundaries, 29 February."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from sync.segments import days
from sync.segments.compile import compile_segment
from sync.segments.validate import parse_and_check
from sync.shops import create_shop
from sync.store import Customer
from tests.segments import shopdata


def matching(db, shop, query: str, now: datetime) -> set[str]:
    ids = compile_segment(parse_and_check(query), shop, now, db.get_bind().dialect.name)
    return set(db.scalars(select(Customer.external_id).where(Customer.id.in_(ids))))


@pytest.mark.parametrize(
    "now, timezone, today",
    [
        (datetime(2026, 11, 22, 4, 30), "America/New_York", date(2026, 11, 21)),
        (datetime(2026, 11, 22, 5, 30), "America/New_York", date(2026, 11, 22)),
        (datetime(2026, 11, 21, 10, 59), "Pacific/Auckland", date(2026, 11, 21)),
        (datetime(2026, 11, 21, 11, 0), "Pacific/Auckland", date(2026, 11, 22)),
        (datetime(2026, 3, 29, 21, 59), "Europe/Paris", date(2026, 3, 29)),
        (datetime(2026, 3, 29, 22, 0), "Europe/Paris", date(2026, 3, 30)),
    ],
)
def test_today_is_the_shop_local_day(now, timezone, today):
    assert days.local_today(now, timezone) == today


@pytest.mark.parametrize(
    "day, amount, unit, expected",
    [
        (date(2026, 3, 31), -1, "m", date(2026, 2, 28)),
        (date(2028, 3, 31), -1, "m", date(2028, 2, 29)),
        (date(2028, 2, 29), -1, "y", date(2027, 2, 28)),
        (date(2026, 1, 31), 1, "m", date(2026, 2, 28)),
        (date(2026, 11, 22), -90, "d", date(2026, 8, 24)),
        (date(2026, 11, 22), -4, "w", date(2026, 10, 25)),
        (date(2026, 11, 22), 7, "d", date(2026, 11, 29)),
        (date(2026, 12, 15), 1, "m", date(2027, 1, 15)),
    ],
)
def test_relative_dates_use_calendar_arithmetic(day, amount, unit, expected):
    assert days.shift(day, amount, unit) == expected


def test_day_boundaries_follow_the_shop_time_zone(db):
    shop = create_shop(db, platform="csv", domain="ny.example", timezone="America/New_York")
    # 03:00 UTC on the 22nd is 22:00 on the 21st in New York.
    late = shopdata.customer(db, shop, "late", created_at=datetime(2026, 11, 22, 3, 0))
    shopdata.order(db, shop, late, "o1", datetime(2026, 11, 22, 3, 0))
    db.commit()
    assert late.created_date == date(2026, 11, 21)
    before_midnight = datetime(2026, 11, 22, 4, 59)  # 23:59 in New York
    after_midnight = datetime(2026, 11, 22, 5, 0)  # 00:00 on the 22nd in New York
    assert matching(db, shop, "customer_added_date = today", before_midnight) == {"late"}
    assert matching(db, shop, "customer_added_date = today", after_midnight) == set()
    assert matching(db, shop, "customer_added_date = yesterday", after_midnight) == {"late"}
    assert matching(db, shop, "last_order_date >= -0d", before_midnight) == {"late"}
    assert matching(db, shop, "last_order_date >= -1d", after_midnight) == {"late"}
    assert matching(db, shop, "last_order_date > -1d", after_midnight) == set()
    # An aware `now` is the same moment.
    from zoneinfo import ZoneInfo

    aware = datetime(2026, 11, 21, 23, 59, tzinfo=ZoneInfo("America/New_York"))
    assert matching(db, shop, "customer_added_date = today", aware) == {"late"}


def test_months_clamp_at_the_end_of_the_month(db, shop):
    first = shopdata.customer(db, shop, "feb28")
    shopdata.order(db, shop, first, "o1", datetime(2026, 2, 28, 12))
    second = shopdata.customer(db, shop, "feb27")
    shopdata.order(db, shop, second, "o2", datetime(2026, 2, 27, 12))
    db.commit()
    now = datetime(2026, 3, 31, 12)
    assert matching(db, shop, "last_order_date >= -1m", now) == {"feb28"}


def test_born_on_29_february(db, shop):
    shopdata.customer(db, shop, "leap", birth_date=date(2000, 2, 29))
    shopdata.customer(db, shop, "march", birth_date=date(2000, 3, 1))
    db.commit()
    noon = timedelta(hours=12)
    feb28 = datetime(2026, 2, 28) + noon
    mar01 = datetime(2026, 3, 1) + noon
    assert matching(db, shop, "age = 25", feb28) == {"leap", "march"}
    assert matching(db, shop, "age = 26", mar01) == {"leap", "march"}
    # In a year without 29 February the birthday is the 28th; in a leap year the 29th.
    assert matching(db, shop, "anniversary(date: 'birth_date') = today", feb28) == {"leap"}
    leap_year = datetime(2028, 2, 27) + noon
    assert matching(db, shop, "anniversary(date: 'birth_date') = 2028-02-29", leap_year) == {"leap"}
    assert matching(
        db, shop, "anniversary(date: 'birth_date') BETWEEN today AND +2d", leap_year
    ) == {"leap"}
    assert matching(db, shop, "anniversary(date: 'birth_date') = 2028-03-01", leap_year) == {
        "march"
    }
    # Around the new year the next birthday is next year.
    december = datetime(2026, 12, 30) + noon
    assert matching(
        db, shop, "anniversary(date: 'birth_date') BETWEEN today AND +90d", december
    ) == {"leap", "march"}
    assert matching(
        db, shop, "anniversary(date: 'birth_date') BETWEEN today AND +60d", december
    ) == {"leap"}


def test_a_cart_is_abandoned_after_an_idle_hour(db, shop):
    owner = shopdata.customer(db, shop, "idle")
    shopdata.cart(db, shop, owner, "c1", datetime(2026, 11, 22, 10, 0))
    db.commit()
    query = "abandoned_checkout_date = today"
    assert matching(db, shop, query, datetime(2026, 11, 22, 10, 59)) == set()
    assert matching(db, shop, query, datetime(2026, 11, 22, 11, 0)) == {"idle"}
    # An order after the cart means it was not abandoned; a cancelled one does not.
    shopdata.order(db, shop, owner, "x", datetime(2026, 11, 22, 10, 30), status="cancelled")
    db.commit()
    assert matching(db, shop, query, datetime(2026, 11, 22, 12, 0)) == {"idle"}
    shopdata.order(db, shop, owner, "o1", datetime(2026, 11, 22, 10, 30))
    db.commit()
    assert matching(db, shop, query, datetime(2026, 11, 22, 12, 0)) == set()

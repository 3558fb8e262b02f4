"""The Webservice client and the connector's pieces, against the emulator and on their own."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from connectors.prestashop import (
    KeyRefused,
    Lookups,
    Mapper,
    PrestaShopClient,
    RecordRefused,
    ShopClock,
    WebserviceFailed,
    Window,
    changed_pages,
)
from connectors.prestashop.client import normalise_shop_url, objects_of
from tests.emulators.prestashop import DEFAULT_KEY


def client(emulator, **options) -> tuple[PrestaShopClient, list[float]]:
    waits: list[float] = []
    return PrestaShopClient(emulator.url, DEFAULT_KEY, sleep=waits.append, **options), waits


def test_retry_after_is_honoured_and_backoff_grows(emulator):
    shop, waits = client(emulator)
    emulator.fail_next(429, retry_after="7")
    emulator.fail_next(500, 502)
    assert len(shop.list("customers", limit="0,3")) == 3
    assert waits == [7.0, 2.0, 4.0]  # Retry-After, then 1 s doubling from the 2nd attempt
    assert shop.retries_made == 3


def test_failures_past_the_attempts_are_reported(emulator):
    shop, waits = client(emulator, attempts=3)
    emulator.fail_next(503, 503, 503)
    with pytest.raises(WebserviceFailed, match="answered HTTP 503 to customers 3 times"):
        shop.list("customers")
    assert len(waits) == 2


def test_a_refused_key_is_not_retried(emulator):
    shop = PrestaShopClient(emulator.url, "X" * 32, sleep=lambda s: None)
    with pytest.raises(KeyRefused, match="Authentification key is not active"):
        shop.list("customers")
    assert shop.requests_made == 1


def test_an_empty_list_comes_as_a_bare_array(emulator):
    shop, _ = client(emulator)
    assert shop.list("customers", filters={"id": "[999999]"}) == []
    assert objects_of([], "customers") == []
    assert objects_of({"customers": [{"id": 1}]}, "customers") == [{"id": 1}]


def test_pages_cross_a_second_shared_by_many_objects(emulator):
    """12 customers share one date_upd; pages of 5 read each object exactly once."""
    shop, _ = client(emulator)
    seen = [obj["id"] for page in changed_pages(shop, "customers", Window(), page_size=5)
            for obj in page]  # fmt: skip
    assert sorted(seen) == sorted(emulator.data["customers"])
    assert len(seen) == len(set(seen))


def test_a_window_is_inclusive_at_both_ends(emulator):
    shop, _ = client(emulator)
    stamp = emulator.data["customers"][20]["date_upd"]
    found = [o["id"] for p in changed_pages(shop, "customers", Window(stamp, stamp)) for o in p]
    assert 20 in found
    assert all(emulator.data["customers"][i]["date_upd"] == stamp for i in found)


def test_shop_local_dates_convert_to_utc_and_back():
    clock = ShopClock("Europe/Paris")
    assert clock.to_utc("2026-07-01 12:00:00") == datetime(2026, 7, 1, 10, 0)
    assert clock.to_utc("2026-01-01 12:00:00") == datetime(2026, 1, 1, 11, 0)
    assert clock.to_utc("0000-00-00 00:00:00") is None and clock.to_utc("") is None
    assert clock.to_local(datetime(2026, 7, 1, 10, 0)) == "2026-07-01 12:00:00"


def test_the_window_reaches_back_over_the_autumn_hour():
    """The night clocks go back, local 02:00-03:00 happens twice: a window opened after the
    change starts an hour earlier, so saves in the repeated hour are read."""
    clock = ShopClock("Europe/Paris")
    cursor = datetime(2026, 10, 25, 0, 50)  # 02:50 summer time, before the change
    now = datetime(2026, 10, 25, 1, 20)  # 02:20 winter time, after it
    since = clock.window_start(cursor, timedelta(minutes=5), now)
    assert since == "2026-10-25 01:45:00"
    saved = clock.to_local(datetime(2026, 10, 25, 1, 10))  # 02:10 winter time
    assert since <= saved <= clock.to_local(now)
    ordinary = datetime(2026, 11, 2, 10, 0)
    assert clock.window_start(ordinary, timedelta(minutes=5), ordinary + timedelta(minutes=5)) == (
        "2026-11-02 10:55:00"
    )


def test_shop_urls_are_normalised():
    assert normalise_shop_url("shop.example.fr/") == "https://shop.example.fr"
    assert normalise_shop_url("https://example.fr/boutique/api/") == "https://example.fr/boutique"


def test_values_come_as_strings_and_map_to_typed_records(emulator):
    mapper = Mapper("https://shop.example.fr", ShopClock("Europe/Paris"),
                    Lookups(currencies={"1": "EUR"}, countries={"8": "FR"},
                            default_language="2"))  # fmt: skip
    product = mapper.product(emulator.data["products"][1])
    assert product.title == "Bar 1"  # the shop's language (id 2 here)
    assert product.price == Decimal(emulator.data["products"][1]["price"])
    order = dict(emulator.data["orders"][1], total_paid_tax_incl="abc")
    with pytest.raises(RecordRefused, match="orders 1: total_paid_tax_incl: not a number"):
        mapper.order(order)
    refused = dict(emulator.data["customers"][1], birthday="31/12/1990")
    with pytest.raises(RecordRefused, match="birthday: not a date"):
        mapper.customer(refused)

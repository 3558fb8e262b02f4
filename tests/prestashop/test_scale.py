"""The issue's end-to-end scenario at full size: connect through the form, back-fill 20,000
customers and 60,000 orders, poll changes, and find the store equal to the shop."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from sync.prestashop_sync import poll_sync
from sync.queue import enqueue
from sync.store import Shop
from tests.emulators.prestashop import PrestaShopEmulator
from tests.prestashop.conftest import assert_store_matches, connect_form
from tests.scale import CUSTOMERS, ORDERS, scaled


@pytest.fixture
def big_shop():
    shop = PrestaShopEmulator()
    shop.seed(
        customers=CUSTOMERS,
        orders=ORDERS,
        carts=scaled(3_000),
        products=200,
        same_second_batch=scaled(1_500),
    )
    shop.start()
    yield shop
    shop.stop()


def test_connect_backfill_and_poll_a_full_size_shop(live_server, db, settings, big_shop):
    started = time.monotonic()
    response = connect_form(live_server, big_shop.url)
    backfill = time.monotonic() - started
    assert response.status_code == 200, response.text[:2000]
    shop = db.scalar(select(Shop).where(Shop.platform == "prestashop"))
    assert_store_matches(db, shop, big_shop)
    big_shop.update_customer(CUSTOMERS - 1, lastname="Changé")
    big_shop.set_order_state(ORDERS - 1, "7")
    big_shop.add_order(42, [(7, 1)])
    outcome = enqueue(settings, poll_sync, shop.id).result
    assert outcome["records"]["orders"] >= 2
    db.expire_all()
    assert_store_matches(db, shop, big_shop)
    print(f"backfill through the form: {backfill:.1f} s; poll: {outcome['seconds']} s")

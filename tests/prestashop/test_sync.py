"""Full sync and polling against the emulator: the store ends equal to the shop's data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sync.prestashop_sync import abandoned_carts, full_sync, poll_sync
from sync.queue import enqueue
from sync.secrets import SecretBox
from sync.shops import create_shop, store_credentials
from sync.store import Cart, Customer, Order, Shop, SyncRun
from tests.emulators.prestashop import DEFAULT_KEY
from tests.prestashop.conftest import assert_store_matches


@pytest.fixture
def presta_shop(db, settings, emulator):
    shop = create_shop(
        db, platform="prestashop", domain="chocolats.presta.test", timezone="Europe/Paris"
    )
    store_credentials(
        shop,
        SecretBox.from_settings(settings),
        {"shop_url": emulator.url, "webservice_key": DEFAULT_KEY},
    )
    db.commit()
    return shop


def run(settings, job, shop, **kwargs):
    return enqueue(settings, job, shop.id, **kwargs).result


def test_full_sync_copies_the_shop(db, settings, emulator, presta_shop):
    outcome = run(settings, full_sync, presta_shop, page_size=7)
    assert outcome["records"]["customers"] == 60
    assert outcome["records"]["orders"] == 200
    db.expire_all()
    assert_store_matches(db, presta_shop, emulator)
    runs = db.scalars(select(SyncRun).where(SyncRun.shop_id == presta_shop.id)).all()
    assert {r.stream for r in runs} == {
        "prestashop:customers", "prestashop:products", "prestashop:orders", "prestashop:carts"
    }  # fmt: skip
    assert all(r.status == "succeeded" and r.kind == "full" for r in runs)
    shop = db.get(Shop, presta_shop.id)
    assert set(shop.sync_cursors) >= {"customers", "products", "orders", "carts"}
    assert shop.settings["prestashop"]["lookups"]["countries"]["8"] == "FR"


def test_a_second_full_sync_changes_nothing(db, settings, emulator, presta_shop):
    run(settings, full_sync, presta_shop)
    before = {c.external_id: c.updated_at for c in db.scalars(select(Customer))}
    run(settings, full_sync, presta_shop, page_size=13)
    db.expire_all()
    assert {c.external_id: c.updated_at for c in db.scalars(select(Customer))} == before
    assert_store_matches(db, presta_shop, emulator)


def test_polling_picks_up_changes(db, settings, emulator, presta_shop):
    run(settings, full_sync, presta_shop)
    emulator.update_customer(3, firstname="Renée", newsletter="1")
    emulator.set_address(4, city="Saint-Herblain", postcode="44800", id_country="8")
    new = emulator.add_customer(email="Nouvelle@Example.org")
    ordered_carts = {o["id_cart"] for o in emulator.data["orders"].values()}
    old_cart = next(
        c
        for c in emulator.data["carts"].values()
        if c["id_customer"] != "0" and str(c["id"]) not in ordered_carts
    )
    order = emulator.add_order(int(new["id"]), [(1, 2), (2, 1)], cart_id=old_cart["id"])
    emulator.set_order_state(5, "6")  # cancelled
    emulator.update_product(2, price="99.500000")
    emulator.save_cart(int(new["id"]), [(3, 1)])
    outcome = run(settings, poll_sync, presta_shop, page_size=5)
    assert outcome["kind"] == "poll"
    db.expire_all()
    assert_store_matches(db, presta_shop, emulator)
    renee = db.scalar(select(Customer).where(Customer.external_id == "3"))
    assert renee.first_name == "Renée" and renee.email_subscription_status == "SUBSCRIBED"
    moved = db.scalar(select(Customer).where(Customer.external_id == "4"))
    assert moved.city == "Saint-Herblain"
    placed = db.scalar(select(Order).where(Order.external_id == str(order["id"])))
    assert placed.customer_id == db.scalar(
        select(Customer.id).where(Customer.email == "nouvelle@example.org")
    )
    assert db.scalar(select(Order.status).where(Order.external_id == "5")) == "cancelled"
    converted = db.scalar(select(Cart).where(Cart.external_id == str(old_cart["id"])))
    assert converted.order_external_id == str(order["id"])


def test_polling_keeps_a_record_saved_in_the_second_the_window_closed(
    db, settings, emulator, presta_shop
):
    """A record whose date_upd equals the previous window's end is read by the next one."""
    run(settings, full_sync, presta_shop)
    db.expire_all()
    shop = db.get(Shop, presta_shop.id)
    cursor = datetime.fromisoformat(shop.sync_cursors["customers"])
    # Saved in the very second the full sync's window ended, but after it was read.
    emulator.update_customer(7, at=cursor.replace(tzinfo=UTC), lastname="Tardif")
    run(settings, poll_sync, presta_shop)
    db.expire_all()
    assert db.scalar(select(Customer.last_name).where(Customer.external_id == "7")) == "Tardif"


def test_abandoned_carts_are_those_without_order_after_a_day(db, settings, emulator, presta_shop):
    now = datetime.now(UTC)
    emulator.save_cart(10, [(1, 1)], at=now - timedelta(hours=30))  # abandoned
    recent = emulator.save_cart(11, [(2, 1)], at=now - timedelta(hours=2))  # still open
    bought = emulator.save_cart(12, [(3, 2)], at=now - timedelta(hours=40))
    emulator.add_order(12, [(3, 2)], cart_id=bought["id"], at=now - timedelta(hours=39))
    run(settings, full_sync, presta_shop)
    db.expire_all()
    found = {c.external_id for c in abandoned_carts(db, presta_shop.id, now.replace(tzinfo=None))}
    expected = {
        str(c["id"])
        for c in emulator.data["carts"].values()
        if c["id_customer"] != "0"
        and c["associations"]["cart_rows"]
        and not any(o["id_cart"] == str(c["id"]) for o in emulator.data["orders"].values())
        and datetime.strptime(c["date_upd"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=emulator.zone)
        <= now - timedelta(hours=24)
    }
    assert found == expected
    assert str(bought["id"]) not in found and str(recent["id"]) not in found
    assert any(c == str(max(emulator.data["carts"]) - 2) for c in found)


def test_rate_limits_and_server_errors_are_waited_out(db, settings, emulator, presta_shop):
    emulator.fail_next(429, 500, 503, retry_after="0")
    emulator.rate_limit_every = 9
    outcome = run(settings, full_sync, presta_shop, page_size=10)
    assert outcome["retries"] >= 3
    assert 429 in emulator.statuses_sent and 500 in emulator.statuses_sent
    db.expire_all()
    assert_store_matches(db, presta_shop, emulator)


def test_an_unreadable_record_is_reported_and_the_rest_synced(db, settings, emulator, presta_shop):
    emulator.data["orders"][17]["total_paid_tax_incl"] = "n/a"
    outcome = run(settings, full_sync, presta_shop)
    assert outcome["records"]["orders"] == 199 and outcome["errors"]["orders"] == 1
    db.expire_all()
    assert db.scalar(select(Order).where(Order.external_id == "17")) is None
    orders_run = db.scalar(select(SyncRun).where(SyncRun.stream == "prestashop:orders"))
    assert orders_run.errors_count == 1
    assert "orders 17: total_paid_tax_incl: not a number: 'n/a'" in orders_run.last_error


def test_the_cli_polls_a_shop_now(cli_runner, db, emulator, presta_shop):
    result = cli_runner("prestashop", "sync", "--shop", presta_shop.domain, "--full")
    assert result.exit_code == 0, result.output
    assert "60 customers" in result.output and "200 orders" in result.output
    emulator.update_customer(8, lastname="Depuis-Cron")
    result = cli_runner("prestashop", "sync", "--all")
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert db.scalar(select(Customer.last_name).where(Customer.external_id == "8")) == "Depuis-Cron"
    assert cli_runner("prestashop", "sync").exit_code == 2

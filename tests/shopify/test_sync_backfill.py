"""Backfill from the emulator over real HTTP into the store (both backends)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from sync.runs import latest_runs
from sync.shopify_sync import run_backfill
from sync.store import Cart, Customer, Order, OrderLine, Product, session_factory
from tests.shopify.conftest import SHOP_DOMAIN


def test_small_backfill_lands_everything(db, shopify_settings, shopify_emulator, installed_shop):
    counts = shopify_emulator.seed(SHOP_DOMAIN, customers=50, orders=150, products=12, checkouts=8)
    outcome = run_backfill(
        shopify_settings, session_factory(shopify_settings.database_url), installed_shop.id
    )
    assert outcome.ok, outcome.as_dict()
    shop_id = installed_shop.id
    registered = db.scalar(
        select(func.count())
        .select_from(Customer)
        .where(Customer.shop_id == shop_id, Customer.is_guest.is_(False))
    )
    assert registered == counts["customers"]
    assert (
        db.scalar(select(func.count()).select_from(Order).where(Order.shop_id == shop_id))
        == counts["orders"]
    )
    lines = sum(len(o["lineItems"]) for o in shopify_emulator.data[SHOP_DOMAIN]["orders"].values())
    assert (
        db.scalar(select(func.count()).select_from(OrderLine).where(OrderLine.shop_id == shop_id))
        == lines
    )
    assert (
        db.scalar(select(func.count()).select_from(Product).where(Product.shop_id == shop_id))
        == counts["products"]
    )
    assert (
        db.scalar(select(func.count()).select_from(Cart).where(Cart.shop_id == shop_id))
        == counts["checkouts"]
    )
    order = next(iter(shopify_emulator.data[SHOP_DOMAIN]["orders"].values()))
    stored = db.scalar(
        select(Order).where(
            Order.shop_id == shop_id, Order.external_id == order["id"].rsplit("/", 1)[1]
        )
    )
    assert stored.total == Decimal(order["totalPriceSet"]["shopMoney"]["amount"])
    # Runs a person can watch: one per stream, done == Shopify's object count.
    runs = {run.stream: run for run in latest_runs(db, shop_id)}
    assert set(runs) == {"shopify:products", "shopify:customers", "shopify:orders",
                         "shopify:checkouts"}  # fmt: skip
    for run in runs.values():
        assert run.status == "succeeded" and run.kind == "backfill"
        assert run.records_done == run.records_total > 0 and run.finished_at is not None
    assert runs["shopify:orders"].records_total == counts["orders"] + lines
    summary = outcome.as_dict()
    assert summary["ok"] and summary["records"] == sum(r.records_done for r in runs.values())


def test_backfill_rides_out_errors_and_the_throttle(
    db, shopify_settings, shopify_emulator, installed_shop
):
    emulator = shopify_emulator
    counts = emulator.seed(SHOP_DOMAIN, customers=30, orders=60, products=5, checkouts=4)
    emulator.fail_next(429, retry_after="0.1")
    emulator.fail_next(500)
    emulator.fail_next(503, where="download")
    # An empty bucket refilling slowly: the first bulk start (10 points) is THROTTLED.
    emulator.set_bucket(SHOP_DOMAIN, maximum=30, restore_rate=10, available=0)
    outcome = run_backfill(
        shopify_settings, session_factory(shopify_settings.database_url), installed_shop.id
    )
    assert outcome.ok, outcome.as_dict()
    statuses = [r["status"] for r in emulator.requests_to("graphql", SHOP_DOMAIN)]
    assert statuses[:2] == [429, 500] and "throttled" in statuses
    assert len(emulator.shops[SHOP_DOMAIN].bulk_operations) == 4  # none started twice
    shop_id = installed_shop.id
    assert (
        db.scalar(select(func.count()).select_from(Order).where(Order.shop_id == shop_id))
        == counts["orders"]
    )

"""Incremental sync: windows on updated_at, bookmarks after each window, windows split past
the pagination limit, changes during a sync not skipped, the read_all_orders warning."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from connectors.shopify.streams import Window, isoformat, parse_bookmark, plan
from sync.runs import latest_runs
from sync.shopify_app import MISSING_ALL_ORDERS
from sync.shopify_sync import run_backfill, run_incremental
from sync.store import Cart, Customer, Order, Product, Shop, SyncRun, session_factory
from tests.shopify.conftest import SHOP_DOMAIN


def sessions_for(settings):
    return session_factory(settings.database_url)


def count(db, model, shop_id) -> int:
    return db.scalar(select(func.count()).select_from(model).where(model.shop_id == shop_id))


def test_plan_windows_from_the_bookmark_never_past_until():
    until = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    bookmark = until - timedelta(hours=50)
    windows = plan(bookmark, until, timedelta(days=1))
    assert [w.end - w.start for w in windows] == [
        timedelta(days=1),
        timedelta(days=1),
        timedelta(hours=2),
    ]
    assert windows[0].start == bookmark and windows[-1].end == until
    assert all(a.end == b.start for a, b in zip(windows, windows[1:], strict=False))
    assert plan(until, until, timedelta(days=1)) == []
    first, second = Window(bookmark, until).halves()
    assert first.end == second.start and first.start == bookmark and second.end == until


def test_first_incremental_reads_everything_and_saves_bookmarks(
    db, shopify_settings, shopify_emulator, installed_shop
):
    counts = shopify_emulator.seed(SHOP_DOMAIN, customers=30, orders=60, products=8, checkouts=5)
    outcome = run_incremental(
        shopify_settings, sessions_for(shopify_settings), installed_shop.id, lag=timedelta(0)
    )
    assert outcome.ok, outcome.as_dict()
    assert count(db, Order, installed_shop.id) == counts["orders"]
    assert count(db, Product, installed_shop.id) == counts["products"]
    assert count(db, Cart, installed_shop.id) == counts["checkouts"]
    db.expire_all()
    cursors = db.get(Shop, installed_shop.id).sync_cursors
    assert set(cursors) == {"products", "customers", "orders", "checkouts"}
    runs = [r for r in latest_runs(db, installed_shop.id) if r.kind == "incremental"]
    assert {r.status for r in runs} == {"succeeded"}
    assert all(r.cursor_to == cursors[r.stream.split(":")[1]] for r in runs)


def test_windows_after_a_backfill_pick_up_changes_and_advance_bookmarks(
    db, shopify_settings, shopify_emulator, installed_shop
):
    emulator = shopify_emulator
    emulator.seed(SHOP_DOMAIN, customers=20, orders=40, products=5, checkouts=3)
    sessions = sessions_for(shopify_settings)
    assert run_backfill(shopify_settings, sessions, installed_shop.id).ok
    db.expire_all()
    after_backfill = dict(db.get(Shop, installed_shop.id).sync_cursors)
    # Changes made while the backfill ran: at the moment its bookmark says.
    moment = parse_bookmark(after_backfill["customers"])
    customer_id = next(iter(emulator.data[SHOP_DOMAIN]["customers"]))
    emulator.update_customer(
        SHOP_DOMAIN, customer_id, firstName="Mathilde", updated_at=isoformat(moment)
    )
    new_order = emulator.create_order(
        SHOP_DOMAIN, customer_id=customer_id, updated_at=isoformat(moment)
    )
    time.sleep(1.1)  # the incremental's limit (now, no lag) is past that second
    outcome = run_incremental(
        shopify_settings, sessions, installed_shop.id, lag=timedelta(0), window=timedelta(seconds=1)
    )
    assert outcome.ok, outcome.as_dict()
    stored = db.scalar(
        select(Customer).where(
            Customer.shop_id == installed_shop.id, Customer.external_id == str(customer_id)
        )
    )
    assert stored.first_name == "Mathilde"
    assert stored.orders_count == sum(
        1
        for o in emulator.data[SHOP_DOMAIN]["orders"].values()
        if o["customer"]
        and o["customer"]["id"].endswith(f"/{customer_id}")
        and not o["cancelledAt"]
        and o["displayFinancialStatus"] != "REFUNDED"
    )
    assert db.scalar(select(Order).where(Order.external_id == str(new_order["id"]))) is not None
    db.expire_all()
    cursors = db.get(Shop, installed_shop.id).sync_cursors
    for name, value in cursors.items():
        assert value > after_backfill[name]
    # One-second windows: a page request per window (each then bookmarked).
    windows = [r for r in emulator.requests_to("graphql") if r["fields"] == ["customers"]]
    seconds = parse_bookmark(cursors["customers"]) - parse_bookmark(after_backfill["customers"])
    assert len(windows) == seconds.total_seconds() >= 1


def test_a_window_past_the_pagination_limit_is_split(
    db, shopify_settings, shopify_emulator, installed_shop
):
    shopify_emulator.seed(SHOP_DOMAIN, customers=60, orders=0, products=1, checkouts=0)
    outcome = run_incremental(
        shopify_settings,
        sessions_for(shopify_settings),
        installed_shop.id,
        lag=timedelta(0),
        limit=25,
        page_size=10,
    )
    assert outcome.ok, outcome.as_dict()
    registered = db.scalar(
        select(func.count())
        .select_from(Customer)
        .where(Customer.shop_id == installed_shop.id, Customer.is_guest.is_(False))
    )
    assert registered == 60
    searches = [r for r in shopify_emulator.requests_to("graphql") if r["fields"] == ["customers"]]
    assert len(searches) > 6 + 3  # more pages than the 60 customers need: windows were split


def test_missing_read_all_orders_is_told_in_plain_words(
    db, shopify_settings, shopify_emulator, installed_shop
):
    from sync.secrets import SecretBox
    from sync.shops import store_credentials

    state = shopify_emulator.shops[SHOP_DOMAIN]
    state.scopes = "read_customers,read_orders,read_products"
    store_credentials(
        installed_shop,
        SecretBox.from_settings(shopify_settings),
        shopify_emulator.credentials(SHOP_DOMAIN),
    )
    db.commit()
    shopify_emulator.seed(SHOP_DOMAIN, customers=20, orders=200, products=3, checkouts=0)
    recent = datetime.now(UTC) - timedelta(days=60)
    visible = [
        o
        for o in shopify_emulator.data[SHOP_DOMAIN]["orders"].values()
        if o["createdAt"] >= isoformat(recent)
    ]
    outcome = run_backfill(shopify_settings, sessions_for(shopify_settings), installed_shop.id)
    assert outcome.ok and outcome.warnings == [MISSING_ALL_ORDERS]
    assert count(db, Order, installed_shop.id) == len(visible) < 200
    db.expire_all()
    shop = db.get(Shop, installed_shop.id)
    assert MISSING_ALL_ORDERS in shop.settings["shopify"]["warnings"]
    orders_run = db.scalar(
        select(SyncRun).where(SyncRun.shop_id == shop.id, SyncRun.stream == "shopify:orders")
    )
    assert "60 days" in orders_run.last_error and orders_run.status == "succeeded"


def test_incremental_syncs_are_scheduled_per_shop_on_redis(db, redis_settings, installed_shop):
    from datetime import UTC as utc

    from rq.registry import ScheduledJobRegistry

    from sync.queue import rq_queue
    from sync.shopify_sync import schedule_all_incremental

    now = datetime(2026, 11, 22, 10, 7, tzinfo=utc).replace(tzinfo=None)
    first = schedule_all_incremental(db, now, redis_settings)
    assert first == [
        f"shopify-incremental-{installed_shop.id}-{int(now.replace(tzinfo=utc).timestamp()) // 900}"
    ]
    assert schedule_all_incremental(db, now + timedelta(minutes=1), redis_settings) == first
    registry = ScheduledJobRegistry(queue=rq_queue(redis_settings))
    assert first[0] in registry.get_job_ids()

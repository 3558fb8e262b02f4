"""Backfill benchmark for WooCommerce and PrestaShop: records/s of a first full sync from each
platform's emulator into PostgreSQL (HTTP, JSON, mapping and ingest together, as a first
connection runs it).

    .venv/bin/python bench/woo_presta_sync.py
    .venv/bin/python bench/woo_presta_sync.py --customers 5000 --orders 15000 --skip-prestashop

The database (cible_bench on the local PostgreSQL by default) is dropped and recreated for
each platform. Seeding the emulators is not timed. The PrestaShop half is
bench/prestashop_backfill.py's `run(database_url)`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from bench.databases import recreate_database  # noqa: E402
from sync.migrations import upgrade  # noqa: E402
from sync.secrets import SecretBox  # noqa: E402
from sync.settings import Settings  # noqa: E402
from sync.shops import create_shop, store_credentials  # noqa: E402
from sync.store import OrderLine, session_factory  # noqa: E402
from sync.woocommerce_sync import sync_shop  # noqa: E402
from tests.emulators.woocommerce import WooCommerceEmulator  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cible_bench"


def woocommerce_backfill(database_url: str, customers: int, orders: int, products: int) -> dict:
    recreate_database(database_url)
    upgrade(database_url)
    store = WooCommerceEmulator().start()
    try:
        began = time.monotonic()
        store.seed(customers=customers, orders=orders, products=products)
        seeded = time.monotonic() - began
        key = store.add_key()
        settings = Settings(
            database_url=database_url, secret_key="bench-" * 8, public_url="http://127.0.0.1:9"
        )
        sessions = session_factory(database_url)
        with sessions.begin() as session:
            shop = create_shop(
                session, platform="woocommerce", domain=store.domain, timezone="Europe/Paris"
            )
            store_credentials(
                shop,
                SecretBox.from_settings(settings),
                {
                    "store_url": store.url,
                    "consumer_key": key.consumer_key,
                    "consumer_secret": key.consumer_secret,
                    "webhook_secret": "bench",
                },
            )
            shop_id = shop.id
        began = time.monotonic()
        outcome = sync_shop(sessions, settings, shop_id, kind="full")
        elapsed = time.monotonic() - began
        with sessions() as session:
            lines = session.scalar(select(func.count()).select_from(OrderLine))
        records = outcome.records
        return {
            "platform": "woocommerce",
            "records": records,
            "order_lines": lines,
            "seconds": round(elapsed, 2),
            "records_per_second": round(records / elapsed),
            "requests": store.api_requests,
            "streams": {s.stream: round(s.seconds, 2) for s in outcome.streams},
            "seed_seconds": round(seeded, 1),
        }
    finally:
        store.stop()


def prestashop_backfill(database_url: str) -> dict | None:
    try:
        from bench.prestashop_backfill import run
    except ImportError:
        return None
    return run(database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=60_000)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--skip-prestashop", action="store_true")
    args = parser.parse_args()
    woo = woocommerce_backfill(args.database_url, args.customers, args.orders, args.products)
    print(
        f"WooCommerce backfill: {woo['records']:,} records (+{woo['order_lines']:,} order "
        f"lines) in {woo['seconds']:.1f} s: {woo['records_per_second']:,} records/s "
        f"({woo['requests']} requests; per stream {woo['streams']})"
    )
    if args.skip_prestashop:
        return
    presta = prestashop_backfill(args.database_url)
    if presta is None:
        print("PrestaShop backfill: bench/prestashop_backfill.py is not there yet")
        return
    rate = presta.get("records_per_second")
    print(f"PrestaShop backfill: {presta}")
    if rate is not None:
        print(f"PrestaShop backfill: {rate:,} records/s")


if __name__ == "__main__":
    main()

"""Benchmark of a PrestaShop backfill: the full sync from the Webservice emulator into a store.

Seeds the emulator (20,000 customers, 60,000 orders with 1-2 rows, 3,000 carts, 200 products
by default), connects a fresh shop and times `full_sync`: HTTP, JSON, mapping and ingest
together, as a first connection runs it. `run(database_url)` returns the figures (helper
W's bench/woo_presta_sync.py prints both platforms); `main()` prints them:

    .venv/bin/python bench/prestashop_backfill.py
    .venv/bin/python bench/prestashop_backfill.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/cible_bench
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import time
from pathlib import Path

from bench.databases import recreate_database
from sync.migrations import upgrade
from sync.prestashop_sync import full_sync
from sync.queue import enqueue
from sync.secrets import SecretBox
from sync.settings import Settings
from sync.shops import create_shop, store_credentials
from sync.store import session_factory
from tests.emulators.prestashop import DEFAULT_KEY, PrestaShopEmulator


def run(
    database_url: str | None = None,
    *,
    customers: int = 20_000,
    orders: int = 60_000,
    carts: int = 3_000,
    products: int = 200,
    page_size: int = 500,
) -> dict:
    """Backfill a seeded emulator into `database_url` (a temporary SQLite file when None);
    returns records, seconds and records/s."""
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        recreate_database(url)
        upgrade(url)
        settings = Settings(
            env="bench", instance_path=Path(folder), database_url=url,
            secret_key=secrets.token_urlsafe(48),
        )  # fmt: skip
        emulator = PrestaShopEmulator()
        emulator.seed(customers=customers, orders=orders, carts=carts, products=products)
        emulator.start()
        try:
            with session_factory(url)() as session:
                shop = create_shop(
                    session,
                    platform="prestashop",
                    domain=f"bench-{secrets.token_hex(3)}.presta.test",
                    timezone="Europe/Paris",
                )
                store_credentials(
                    shop,
                    SecretBox.from_settings(settings),
                    {"shop_url": emulator.url, "webservice_key": DEFAULT_KEY},
                )
                session.commit()
                shop_id = shop.id
            started = time.monotonic()
            outcome = enqueue(settings, full_sync, shop_id, page_size=page_size).result
            seconds = time.monotonic() - started
        finally:
            emulator.stop()
    lines = sum(len(o["associations"]["order_rows"]) for o in emulator.data["orders"].values())
    records = sum(outcome["records"].values())
    return {
        "platform": "prestashop",
        "database": url.split(":", 1)[0],
        "records": records,
        "order_lines": lines,
        "by_resource": outcome["records"],
        "seconds_by_resource": outcome["seconds_by_resource"],
        "requests": outcome["requests"],
        "seconds": round(seconds, 2),
        "records_per_second": round(records / seconds, 1) if seconds else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=60_000)
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()
    figures = run(
        args.database_url,
        customers=args.customers,
        orders=args.orders,
        page_size=args.page_size,
    )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

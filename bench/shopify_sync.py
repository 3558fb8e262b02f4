"""Shopify backfill benchmark: the emulator (real HTTP on loopback, in its own process so it
does not share our interpreter) serves a seeded shop; the backfill (bulk operations, JSONL
streamed, mapped, ingested with statistics) runs into PostgreSQL and prints records/s. Then
the same bulk queries are run and downloaded without ingesting: the emulator's own serving
rate, to tell whether we are bound by the emulator or by ourselves.

    .venv/bin/python bench/shopify_sync.py                    # 20,000 customers, 60,000 orders
    .venv/bin/python bench/shopify_sync.py --customers 5000 --orders 15000
    .venv/bin/python bench/shopify_sync.py --database-url sqlite:////tmp/shopify-bench.sqlite3

The default database (cible_bench_shopify on the local PostgreSQL) is dropped and recreated.
Target: at least 10,000 records/s (records = customers + orders + line items + products and
variants + checkouts and their lines, as the bulk results count them).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import recreate_database  # noqa: E402
from connectors.shopify import bulk  # noqa: E402
from connectors.shopify.graphql import GraphQLClient  # noqa: E402
from connectors.shopify.streams import ORDER, STREAMS  # noqa: E402
from sync.migrations import upgrade  # noqa: E402
from sync.secrets import SecretBox  # noqa: E402
from sync.settings import Settings  # noqa: E402
from sync.shopify_sync import run_backfill  # noqa: E402
from sync.shops import create_shop, store_credentials  # noqa: E402
from sync.store import session_factory  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cible_bench_shopify"
DOMAIN = "bench-chocolaterie.myshopify.com"
SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def serve_emulator(connection, customers: int, orders: int, products: int, checkouts: int):
    """The child process: seed a shop, serve it, hand back what the parent needs."""
    from tests.emulators.shopify import ShopifyEmulator

    emulator = ShopifyEmulator().start()
    emulator.add_shop(DOMAIN)
    started = time.perf_counter()
    counts = emulator.seed(
        DOMAIN, customers=customers, orders=orders, products=products, checkouts=checkouts
    )
    connection.send(
        {
            "base_url": emulator.shop_base_url,
            "api_key": emulator.api_key,
            "api_secret": emulator.api_secret,
            "credentials": emulator.credentials(DOMAIN),
            "counts": counts,
            "seed_seconds": time.perf_counter() - started,
        }
    )
    connection.recv()
    emulator.stop()


def raw_serving(emulator: dict, directory: str) -> tuple[int, float]:
    """Every bulk query run and downloaded (not parsed, not ingested): lines and seconds."""
    token = emulator["credentials"]["access_token"]
    client = GraphQLClient(DOMAIN, lambda force: token, base_url=emulator["base_url"])
    started = time.perf_counter()
    operations = [bulk.start(client, STREAMS[name].bulk_query) for name in ORDER]
    lines = 0
    for operation_id in operations:
        operation = bulk.wait(client, operation_id)
        path = bulk.download(client, operation.url, directory)
        with open(path, "rb") as handle:
            lines += sum(1 for _ in handle)
        os.unlink(path)
    return lines, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=60_000)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--checkouts", type=int, default=2_000)
    args = parser.parse_args()

    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=serve_emulator,
        args=(child, args.customers, args.orders, args.products, args.checkouts),
        daemon=True,
    )
    process.start()
    emulator = parent.recv()
    print(f"emulator seeded in {emulator['seed_seconds']:.1f} s: {emulator['counts']}")

    recreate_database(args.database_url)
    upgrade(args.database_url)
    settings = Settings(
        env="testing",
        database_url=args.database_url,
        secret_key=SECRET,
        shopify_api_key=emulator["api_key"],
        shopify_api_secret=emulator["api_secret"],
        shopify_base_url=emulator["base_url"],
    )
    sessions = session_factory(args.database_url)
    with sessions() as session:
        shop = create_shop(session, platform="shopify", domain=DOMAIN, timezone="Europe/Paris")
        store_credentials(shop, SecretBox.from_settings(settings), emulator["credentials"])
        session.commit()
        shop_id = shop.id

    directory = os.environ.get("TMPDIR", "/tmp")
    started, cpu_started = time.perf_counter(), time.process_time()
    outcome = run_backfill(settings, sessions, shop_id, report=lambda line: None)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    for stream in outcome.streams:
        print(f"  {stream.stream}: {stream.records:,} records in {stream.seconds:.1f} s")
    rate = outcome.records / elapsed
    print(
        f"backfill into {sessions.kw['bind'].dialect.name}: {outcome.records:,} records in "
        f"{elapsed:.1f} s = {rate:,.0f} records/s (target: at least 10,000)"
    )

    print(
        f"  our process used {cpu:.1f} s of CPU ({outcome.records / cpu:,.0f} records per "
        f"CPU-second; the database server's CPU is not counted); load average now "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    lines, seconds = raw_serving(emulator, directory)
    print(
        f"emulator alone (bulk queries run and JSONL downloaded, nothing ingested): "
        f"{lines:,} records in {seconds:.1f} s = {lines / seconds:,.0f} records/s"
    )
    print(f"backfill / emulator: {rate / (lines / seconds):.0%} of the emulator's serving rate")
    parent.send("stop")
    process.join(timeout=10)

    try:
        from bench import shopify_webhook_latency
    except ImportError:
        return
    print()
    sys.argv = sys.argv[:1]  # its own defaults, not our arguments
    shopify_webhook_latency.main()


if __name__ == "__main__":
    main()

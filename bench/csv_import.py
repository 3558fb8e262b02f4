"""Benchmark of `cible import-csv`'s code path: rows per second and peak memory by file size.

Generates customers, orders and lines files (about 2 orders and 3 lines per order per
customer), imports them into a fresh shop, and prints per file the rows per second and the
process's peak resident memory, so that "a 1 GB file does not need 1 GB" can be checked at
any size:

    .venv/bin/python bench/csv_import.py --customers 100000
    .venv/bin/python bench/csv_import.py --customers 100000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/cible_bench
"""

from __future__ import annotations

import argparse
import random
import resource
import secrets
import tempfile
import time
from pathlib import Path

from sync.csv_import import import_csv
from sync.migrations import upgrade
from sync.shops import create_shop, erase_shop
from sync.store import session_factory

CATEGORIES = ("dark", "milk", "white", "coffee", "capsules", "gift")
CITIES = (("Nantes", "44000", 47.2184, -1.5536), ("Lyon", "69001", 45.764, 4.8357))


def write_files(folder: Path, customers: int, seed: int = 7) -> dict[str, str]:
    rng = random.Random(seed)
    paths = {kind: folder / f"{kind}.csv" for kind in ("customers", "orders", "lines")}
    with (
        paths["customers"].open("w") as people,
        paths["orders"].open("w") as orders,
        paths["lines"].open("w") as lines,
    ):
        people.write(
            "external_id,email,first_name,last_name,city,postal_code,country,latitude,"
            "longitude,created_at,accepts_email_marketing,tags,loyalty_points,favorite\n"
        )
        orders.write("external_id,customer_external_id,created_at,status,total,channel\n")
        lines.write("order_external_id,product_external_id,title,category,quantity,unit_price\n")
        order_number = 0
        for number in range(customers):
            city, postal, lat, lon = CITIES[number % len(CITIES)]
            people.write(
                f"C{number},c{number}@example.fr,Prénom{number},Nom{number},{city},{postal},FR,"
                f"{lat},{lon},2025-0{1 + number % 9}-1{number % 10},{rng.random() < 0.4},"
                f"vip;news,{rng.randrange(2000)},{rng.choice(CATEGORIES)}\n"
            )
            for _ in range(rng.choice((0, 1, 2, 2, 3, 4))):
                order_number += 1
                day = f"2026-{1 + order_number % 12:02d}-{1 + order_number % 28:02d}"
                status = "cancelled" if order_number % 20 == 0 else "paid"
                total = 0
                for line in range(rng.choice((1, 2, 3, 4, 5))):
                    quantity, price = rng.randrange(1, 4), rng.randrange(300, 6000) / 100
                    total += quantity * price
                    lines.write(
                        f"O{order_number},P{line}{order_number % 50},Produit {line},"
                        f"{rng.choice(CATEGORIES)},{quantity},{price:.2f}\n"
                    )
                orders.write(
                    f"O{order_number},C{number},{day}T10:00:00,{status},{total:.2f},store\n"
                )
    return {kind: str(path) for kind, path in paths.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        upgrade(url)
        sessions = session_factory(url)
        domain = f"bench-{secrets.token_hex(3)}.example"
        with sessions.begin() as session:
            shop_id = create_shop(
                session, platform="csv", domain=domain, timezone="Europe/Paris"
            ).id
        files = write_files(folder, args.customers)
        sizes = {kind: Path(path).stat().st_size for kind, path in files.items()}
        started = time.monotonic()
        outcome = import_csv(
            sessions, shop_id, batch_size=args.batch_size, report=lambda _m: None, **files
        )
        elapsed = time.monotonic() - started
        for item in outcome.files:
            print(
                f"{item.kind:10} {sizes[item.kind] / 1e6:8.1f} MB {item.read:>10,} rows "
                f"{item.seconds:7.1f} s {item.read / max(item.seconds, 1e-6):>9,.0f} rows/s"
            )
        rows = sum(item.read for item in outcome.files)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{'total':10} {sum(sizes.values()) / 1e6:8.1f} MB {rows:>10,} rows {elapsed:7.1f} s "
            f"{rows / elapsed:>9,.0f} rows/s; peak RSS {peak:,.0f} MB ({url.split(':')[0]})"
        )
        with sessions.begin() as session:
            erase_shop(session, shop_id)


if __name__ == "__main__":
    main()

"""Demo data benchmark: the generator alone (records/s), then optionally a full demo build
through ingest into PostgreSQL (what `cible demo-data` does), with its own records/s.

    .venv/bin/python bench/demo_data.py                          # generator, 100,000 customers
    .venv/bin/python bench/demo_data.py --customers 1000000      # generator, the issue's size
    .venv/bin/python bench/demo_data.py --build --customers 20000
    .venv/bin/python bench/demo_data.py --build --database-url postgresql+psycopg://...

A build drops and recreates its database (default: cible_bench_demo on the local PostgreSQL).
Records are customers + orders + order lines + carts.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.databases import recreate_database  # noqa: E402
from sync.demo.generate import DemoGenerator  # noqa: E402
from sync.demo_data import build_demo_shop, demo_shop  # noqa: E402
from sync.migrations import upgrade  # noqa: E402
from sync.store import engine_for, session_factory  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cible_bench_demo"
NOW = date(2026, 3, 10)


def generate_only(customers: int, seed: int) -> None:
    generator = DemoGenerator(seed=seed, now=NOW, domain="bench.example")
    counts = {"customers": 0, "orders": 0, "lines": 0, "carts": 0}
    wall, cpu = time.perf_counter(), time.process_time()
    for chunk in generator.chunks(customers, size=2000):
        counts["customers"] += len(chunk.customers)
        counts["orders"] += len(chunk.orders)
        counts["lines"] += chunk.lines
        counts["carts"] += len(chunk.carts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    total = sum(counts.values())
    print(
        f"generator: {counts} = {total:,} records in {wall:.1f} s wall / {cpu:.1f} s CPU: "
        f"{total / wall:,.0f} records/s wall, {total / cpu:,.0f} records/s CPU"
    )


def build(url: str, customers: int, seed: int) -> None:
    recreate_database(url)
    upgrade(url)
    session = session_factory(url)()
    shop = demo_shop(session, "bench-demo.example")
    session.commit()

    def progress(step) -> None:
        if step.customers_done % 10_000 == 0 or step.customers_done == step.customers_total:
            print(
                f"  {step.customers_done:,} customers, {step.orders:,} orders "
                f"({step.seconds:.0f} s)"
            )

    counts = build_demo_shop(session, shop, customers, seed, NOW, progress=progress)
    session.close()
    engine_for(url).dispose()
    total = counts["customers"] + counts["orders"] + counts["lines"] + counts["carts"]
    print(f"build: {counts} = {total:,} records: {total / counts['seconds']:,.0f} records/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--build", action="store_true", help="Also build into PostgreSQL.")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    generate_only(args.customers, args.seed)
    if args.build:
        build(args.database_url, args.customers, args.seed)


if __name__ == "__main__":
    main()

"""Ingest throughput benchmark: customers, orders and their lines upserted through the public
ingest API (statistics kept current, a commit per batch), beside a plain COPY of the same rows
into unindexed tables, which is the floor the issue measures us against (the median of
COPY_RUNS COPYs).

    .venv/bin/python bench/ingest.py                       # 100,000 customers, 400,000 orders
    .venv/bin/python bench/ingest.py --customers 10000 --orders 40000
    .venv/bin/python bench/ingest.py --batch-size 2000     # a caller committing more often

The default database (cible_bench on the local PostgreSQL) is dropped and recreated, and a
CHECKPOINT runs before each timed part (the user must be allowed to: a superuser or a
member of pg_checkpoint), so that neither inherits the writing-out of earlier pages.
Record generation is not timed, and the generated records are moved out of the garbage
collector's sight (gc.freeze) before ingest starts: the bench holds all 1.5 million of them
while it ingests, which a real caller never does (a sync or a CSV import streams its
records a page or a batch at a time), and each full collection would walk them all.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402

from bench.databases import recreate_database  # noqa: E402
from connectors import records  # noqa: E402
from sync.ingest import upsert_customers, upsert_orders  # noqa: E402
from sync.ingest.writer import batch_size_for, batches  # noqa: E402
from sync.migrations import upgrade  # noqa: E402
from sync.shops import create_shop  # noqa: E402
from sync.store import (  # noqa: E402
    UNCOUNTED_ORDER_STATUSES,
    CustomerStatistics,
    Order,
    session_factory,
)

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cible_bench"
# The floor is the median of this many COPYs: one lasts a few seconds, and this machine's
# speed drifts by a third from one minute to the next.
COPY_RUNS = 3
START = datetime(2022, 1, 1)
CATEGORIES = ("dark", "milk", "white", "pralines", "capsules", "machines")


def generate(customers: int, orders: int, lines_per_order: float, seed: int):
    rng = random.Random(seed)
    people = [
        records.Customer(
            external_id=str(n),
            email=f"customer{n}@example.fr",
            first_name=f"Prénom{n}",
            last_name=f"Nom{n}",
            city=rng.choice(("Paris", "Nantes", "Lyon", "Lille", "Bordeaux")),
            country="FR",
            tags=["newsletter"] if n % 3 == 0 else [],
            created_at=START + timedelta(minutes=n),
        )
        for n in range(customers)
    ]
    statuses = ("paid",) * 17 + ("pending", "cancelled", "refunded")
    sales = []
    for n in range(orders):
        created = START + timedelta(seconds=rng.randrange(3 * 365 * 86400))
        count = max(1, round(rng.expovariate(1 / lines_per_order)))
        lines = [
            records.OrderLine(
                line_key=str(k),
                product_external_id=str(rng.randrange(500)),
                sku=f"SKU-{rng.randrange(500)}",
                title="Tablette",
                category=rng.choice(CATEGORIES),
                quantity=rng.randint(1, 4),
                unit_price=Decimal(rng.randrange(200, 5000)) / 100,
            )
            for k in range(count)
        ]
        sales.append(
            records.Order(
                external_id=str(n),
                created_at=created,
                customer_external_id=str(rng.randrange(customers)),
                status=rng.choice(statuses),
                total=sum((line.unit_price * line.quantity for line in lines), Decimal(0)),
                currency="EUR",
                lines=lines,
            )
        )
    return people, sales


def settle(url: str) -> None:
    """A CHECKPOINT before a timed part (PostgreSQL): otherwise the previous run's, or the
    ingest's, dirty pages are still being written out while it runs, and whether a
    checkpoint falls inside it moved the ingest's time by up to 40% between runs."""
    if make_url(url).get_backend_name() != "postgresql":
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("CHECKPOINT"))
    except DBAPIError as error:  # CHECKPOINT needs a superuser or pg_checkpoint
        print(f"no CHECKPOINT before timing ({error.orig}); figures will vary more")
    finally:
        engine.dispose()


def backend_cpu_seconds(session) -> float | None:
    """CPU time (user + system) of this session's PostgreSQL backend so far, read from
    /proc when the server runs on this machine and the bench may read its processes."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_ingest(url: str, people, sales, batch_size: int | None) -> float:
    """Upsert everything a batch (and a commit) at a time; None: ingest's default size.

    Prints where the time went: this process's CPU, and the PostgreSQL backend's when it
    can be read. Their sum above the wall time is how much the two overlapped."""
    session = session_factory(url)()
    batch_size = batch_size_for(session, batch_size, 2000)
    print(f"batches of {batch_size:,} records, a commit after each")
    shop = create_shop(session, platform="csv", domain="bench.example.fr", timezone="Europe/Paris")
    session.commit()
    backend_before = backend_cpu_seconds(session)
    python_before = time.process_time()
    started = time.perf_counter()
    for batch in batches(people, batch_size):
        upsert_customers(session, shop, batch, batch_size=batch_size)
        session.commit()
    for batch in batches(sales, batch_size):
        upsert_orders(session, shop, batch, batch_size=batch_size)
        session.commit()
    elapsed = time.perf_counter() - started
    python_cpu = time.process_time() - python_before
    backend_after = backend_cpu_seconds(session)
    if backend_before is None or backend_after is None:
        print(f"CPU: Python {python_cpu:.1f} s (the PostgreSQL backend's cannot be read here)")
    else:
        backend = backend_after - backend_before
        overlap = max(python_cpu + backend - elapsed, 0)
        print(f"CPU: Python {python_cpu:.1f} s, PostgreSQL backend {backend:.1f} s, "
              f"overlap {overlap:.1f} s of {elapsed:.1f} s")  # fmt: skip
    counted = session.scalar(
        select(func.count())
        .select_from(Order)
        .where(Order.shop_id == shop.id, Order.customer_id.is_not(None))
        .where(Order.status.not_in(UNCOUNTED_ORDER_STATUSES))
    )
    in_statistics = session.scalar(
        select(func.sum(CustomerStatistics.orders_count)).where(
            CustomerStatistics.shop_id == shop.id
        )
    )
    session.close()
    if counted != in_statistics:
        raise SystemExit(f"statistics are wrong: {in_statistics} counted, {counted} expected")
    return elapsed


def run_copy(url: str, people, sales) -> float:
    """COPY the same rows into unlogged, unindexed tables: the floor."""
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection:
        for name in ("customers", "orders", "order_lines"):
            connection.execute(f"DROP TABLE IF EXISTS copy_{name}")
            connection.execute(
                f"CREATE UNLOGGED TABLE copy_{name} AS SELECT * FROM {name} WITH NO DATA"
            )
        connection.commit()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY copy_customers (shop_id, external_id, is_guest, email, first_name, "
                "last_name, city, country, tags, attributes, email_subscription_status, "
                "sms_subscription_status, created_at) FROM STDIN"
            ) as copy:
                for c in people:
                    copy.write_row(
                        (1, c.external_id, False, c.email, c.first_name, c.last_name, c.city,
                         c.country, "[]", "{}", "NOT_SUBSCRIBED", "NOT_SUBSCRIBED",
                         c.created_at)
                    )  # fmt: skip
            with cursor.copy(
                "COPY copy_orders (shop_id, external_id, customer_external_id, status, total, "
                "currency, channel, created_at, created_date) FROM STDIN"
            ) as copy:
                for o in sales:
                    copy.write_row(
                        (1, o.external_id, o.customer_external_id, o.status, o.total,
                         o.currency, o.channel, o.created_at, o.created_at.date())
                    )  # fmt: skip
            with cursor.copy(
                "COPY copy_order_lines (shop_id, order_external_id, line_key, "
                "product_external_id, sku, title, category, quantity, unit_price) FROM STDIN"
            ) as copy:
                for o in sales:
                    for line in o.lines:
                        copy.write_row(
                            (1, o.external_id, line.line_key, line.product_external_id,
                             line.sku, line.title, line.category, line.quantity,
                             line.unit_price)
                        )  # fmt: skip
        connection.commit()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help="dropped and recreated when PostgreSQL (default: %(default)s)",
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=400_000)
    parser.add_argument("--lines-per-order", type=float, default=2.5)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="records per call and commit (default: ingest's own, 10,000 on PostgreSQL)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()  # fmt: skip

    people, sales = generate(args.customers, args.orders, args.lines_per_order, args.seed)
    gc.collect()
    gc.freeze()  # the bench's own heap of records: see the module's docstring
    total = len(people) + len(sales) + sum(len(order.lines) for order in sales)
    print(f"{len(people):,} customers, {len(sales):,} orders, "
          f"{total - len(people) - len(sales):,} lines = {total:,} records")  # fmt: skip

    recreate_database(args.database_url)
    upgrade(args.database_url)
    settle(args.database_url)
    elapsed = run_ingest(args.database_url, people, sales, args.batch_size)
    ingest_rate = total / elapsed
    print(f"ingest (upserts + statistics, commit per batch): {elapsed:.1f} s, "
          f"{ingest_rate:,.0f} records/s")  # fmt: skip
    if make_url(args.database_url).get_backend_name() != "postgresql":
        return
    copy_times = []
    for _ in range(COPY_RUNS):
        settle(args.database_url)
        copy_times.append(run_copy(args.database_url, people, sales))
    copy_elapsed = statistics.median(copy_times)
    copy_rate = total / copy_elapsed
    listed = ", ".join(f"{elapsed:.1f}" for elapsed in copy_times)
    print(f"plain COPY into unindexed tables: {copy_elapsed:.1f} s (median of {listed} s), "
          f"{copy_rate:,.0f} records/s")  # fmt: skip
    print(f"ratio COPY / ingest: {copy_rate / ingest_rate:.1f}x (target: at most 10x, "
          f"and at least 60,000 records/s)")  # fmt: skip


if __name__ == "__main__":
    main()

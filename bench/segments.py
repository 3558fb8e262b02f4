"""Segment benchmark: every template over a large shop in PostgreSQL, in one run.

Builds N customers (default 1,000,000), about 4 orders and 10 order lines per customer
(orders and spending Pareto-skewed, as in real shops: few customers buy a lot), carts and
statistics, with set-based SQL (generate_series), secondary indexes built after the
bulk load, then prints for each
template the bare time of its compiled query (SELECT count(*) over it: the floor), its
first full evaluation (members materialised, entries recorded) and a re-evaluation with
nothing changed (query plus membership check; medians of 3), the totals, a re-evaluation
of each after
1% of the customers changed, and the incremental time for 1 and for 1,000 changed
customers against all templates (after 12 untimed runs, as in a worker that has been
running a while: statements prepared on the server, plans chosen).

    .venv/bin/python bench/segments.py                      # 1,000,000 customers
    .venv/bin/python bench/segments.py --customers 100000
    .venv/bin/python bench/segments.py --reuse              # skip the build (migrates, vacuums)

The database (cible_bench_segments on the local PostgreSQL) is dropped and recreated
unless --reuse is given. Data generation is not timed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.databases import recreate_database  # noqa: E402
from sync.migrations import upgrade  # noqa: E402
from sync.segments.compile import compile_segment  # noqa: E402
from sync.segments.evaluate import evaluate_customers, evaluate_segment  # noqa: E402
from sync.segments.language import from_json  # noqa: E402
from sync.segments.templates import TEMPLATES, add_template  # noqa: E402
from sync.shops import create_shop  # noqa: E402
from sync.store import Customer, Shop, session_factory  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cible_bench_segments"
DOMAIN = "bench-segments.example.fr"
# "Now" for the whole run: fixed, so runs compare.
NOW = datetime(2026, 11, 22, 12, 0)
# Incremental re-checks run before the timed ones (see run()).
WARM_RUNS = 12

CATEGORIES = (
    "'Chocolat noir','Chocolat au lait','Chocolat blanc','Pralines','Truffes','Ganaches',"
    "'Macarons','Caramels','Pâtes de fruits','Nougats','Coffrets','Tablettes','Cacao',"
    "'Café','Thé','Confiseries','Biscuits','Glaces','Épicerie','Accessoires'"
)
CITIES = "'Nantes','Rennes','Paris','Lyon','Lille','Bordeaux','Marseille','Angers'"

BUILD = [
    # Customers: profile spread so each template selects a realistic share.
    """
    INSERT INTO customers (shop_id, external_id, is_guest, email, gender, birth_date,
        language, city, country, latitude, longitude, email_subscription_status,
        sms_subscription_status, tags, loyalty_tier, loyalty_points, company, industry,
        attributes, created_at, created_date, ingested_at)
    SELECT :shop, 'c' || i, false, 'customer' || i || '@example.fr',
        (ARRAY['female','male','female','male',NULL])[1 + i % 5],
        CASE WHEN i % 4 = 0 THEN NULL
             ELSE DATE '1950-01-01' + ((i * 7919) % 21000)::int END,
        (ARRAY['fr','en','fr','de'])[1 + i % 4],
        (ARRAY["""
    + CITIES
    + """])[1 + (i * 31) % 8],
        'FR',
        CASE WHEN i % 10 = 0 THEN NULL ELSE 42.5 + ((i * 104729) % 6000) / 1000.0 END,
        CASE WHEN i % 10 = 0 THEN NULL ELSE -4.5 + ((i * 15485863) % 12000) / 1000.0 END,
        (ARRAY['SUBSCRIBED','NOT_SUBSCRIBED','UNSUBSCRIBED'])[1 + i % 3],
        'NOT_SUBSCRIBED',
        CASE WHEN i % 50 = 0 THEN '["vip","newsletter"]'::jsonb
             WHEN i % 3 = 0 THEN '["newsletter"]'::jsonb ELSE '[]'::jsonb END,
        CASE WHEN i % 10 = 0 THEN (ARRAY['bronze','silver','gold'])[1 + i % 3] END,
        CASE WHEN i % 10 = 0 THEN i % 1000 END,
        CASE WHEN i % 40 = 0 THEN 'Société ' || i END,
        CASE WHEN i % 40 = 0 THEN (ARRAY['hospitality','retail','services'])[1 + i % 3] END,
        '{}'::jsonb,
        TIMESTAMP '2021-01-01' + ((i * 2654435761) % 181000000) * INTERVAL '1 second',
        NULL, now()
    FROM generate_series(1::bigint, :customers) AS i
    """,
    """
    UPDATE customers SET created_date =
        (created_at AT TIME ZONE 'UTC' AT TIME ZONE 'Europe/Paris')::date
    WHERE shop_id = :shop
    """,
    # Orders: about 4 per customer on average, 20% of customers never order, and spending
    # Pareto-shaped as in real shops (and the demo data): buyers are drawn with a skew, so
    # a few customers place many orders, and order totals have a long tail (median ~45 EUR).
    """
    INSERT INTO orders (shop_id, external_id, customer_id, customer_external_id, status,
        total, currency, channel, created_at, created_date, ingested_at)
    SELECT :shop, 'o' || i, c.id, c.external_id,
        CASE WHEN i % 33 = 0 THEN 'cancelled' WHEN i % 50 = 0 THEN 'refunded'
             ELSE 'paid' END,
        round((12 + 30 / power(1 - ((i * 7907) % 9973) / 9973.0 * 0.98, 0.8))::numeric, 2),
        'EUR',
        (ARRAY['online','online','store','mobile'])[1 + i % 4],
        t, (t AT TIME ZONE 'UTC' AT TIME ZONE 'Europe/Paris')::date, now()
    FROM generate_series(1::bigint, :orders) AS i
    CROSS JOIN LATERAL (SELECT TIMESTAMP '2023-11-22' +
        ((i * 2246822519) % 94608000) * INTERVAL '1 second' AS t,
        power(((i * 48271) % 1000003) / 1000003.0, 1.6) AS skew) AS moment
    JOIN customers c ON c.shop_id = :shop
        AND c.external_id = 'c' || (1 + floor(skew * (:customers * 4 / 5))::bigint * 5 / 4)
    """,
    # Order lines: 2.5 per order on average.
    """
    INSERT INTO order_lines (shop_id, order_id, order_external_id, line_key,
        product_external_id, sku, title, category, vendor, quantity, unit_price)
    SELECT :shop, o.id, o.external_id, 'l' || i, 'p' || (i % 500), 'SKU' || (i % 500),
        'Produit ' || (i % 500), (ARRAY["""
    + CATEGORIES
    + """])[1 + (i * 13) % 20],
        (ARRAY['Maison','Valrhona','Cluizel'])[1 + i % 3], 1 + i % 3, 9.90
    FROM generate_series(1::bigint, :lines) AS i
    JOIN orders o ON o.id = (SELECT min(id) FROM orders WHERE shop_id = :shop)
        + (i * 2654435761) % :orders
    """,
    # Carts: 3% of customers left one in the last days.
    """
    INSERT INTO carts (shop_id, external_id, customer_id, customer_external_id, value,
        currency, items_count, items, created_at, updated_at, updated_date, ingested_at)
    SELECT :shop, 'k' || c.id, c.id, c.external_id, 35.50, 'EUR', 2, '[]'::jsonb, t, t,
        (t AT TIME ZONE 'UTC' AT TIME ZONE 'Europe/Paris')::date, now()
    FROM customers c
    CROSS JOIN LATERAL (SELECT TIMESTAMP '2026-11-19' +
        ((c.id * 7919) % 300000) * INTERVAL '1 second' AS t) AS moment
    WHERE c.shop_id = :shop AND c.id % 33 = 0
    """,
    # Statistics, as ingest keeps them: counted orders only, one row per customer (zero
    # orders for those without), written once rather than inserted then updated.
    """
    INSERT INTO customer_statistics (customer_id, shop_id, orders_count, total_spent,
        average_order_value, first_order_at, last_order_at, first_order_date,
        last_order_date)
    SELECT c.id, c.shop_id, coalesce(s.n, 0), coalesce(s.spent, 0), round(s.spent / s.n, 2),
        s.first_at, s.last_at, s.first_date, s.last_date
    FROM customers c
    LEFT JOIN (SELECT customer_id, count(*) AS n, sum(total) AS spent,
                      min(created_at) AS first_at, max(created_at) AS last_at,
                      min(created_date) AS first_date, max(created_date) AS last_date
               FROM orders WHERE shop_id = :shop AND status NOT IN ('cancelled', 'refunded')
               GROUP BY customer_id) AS s ON s.customer_id = c.id
    WHERE c.shop_id = :shop
    ORDER BY c.id
    """,
]


# Non-unique indexes of the bulk-loaded tables (unique ones serve the build's joins).
# customer_statistics has none: only its primary key, on purpose (sync.store).
DEFERRED_INDEXES = """
    SELECT indexdef FROM pg_indexes
    WHERE schemaname = 'public' AND tablename IN ('customers', 'orders', 'order_lines')
      AND indexdef NOT LIKE 'CREATE UNIQUE%'
"""


def build(url: str, customers: int) -> None:
    recreate_database(url)
    upgrade(url)
    sessions = session_factory(url)
    with sessions() as session:
        shop = create_shop(
            session, platform="csv", domain=DOMAIN, timezone="Europe/Paris", language="en"
        )
        session.commit()
        values = {
            "shop": shop.id,
            "customers": customers,
            "orders": customers * 4,
            "lines": customers * 10,
        }
        # Bulk loads build secondary indexes once at the end, not row by row.
        deferred = session.execute(text(DEFERRED_INDEXES)).scalars().all()
        for definition in deferred:
            session.execute(text(f"DROP INDEX {definition.split()[2]}"))
        session.commit()
        for statement in [*BUILD, *deferred]:
            started = time.perf_counter()
            session.execute(text(statement), values)
            session.commit()
            print(
                f"  built in {time.perf_counter() - started:6.1f} s: "
                f"{' '.join(statement.split())[:60]}...",
                flush=True,
            )
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def timed(function):
    started = time.perf_counter()
    result = function()
    return (time.perf_counter() - started) * 1000, result


def median_of(times: int, function):
    runs = sorted((timed(function) for _ in range(times)), key=lambda run: run[0])
    return runs[len(runs) // 2]


def run(url: str) -> None:
    sessions = session_factory(url)
    with sessions() as session:
        shop = session.scalar(select(Shop).where(Shop.domain == DOMAIN))
        counts = {
            name: session.scalar(text(f"SELECT count(*) FROM {name}"))
            for name in ("customers", "orders", "order_lines", "carts")
        }
        print("data: " + ", ".join(f"{n:,} {name}" for name, n in counts.items()))
        session.execute(text("DELETE FROM segments WHERE shop_id = :s"), {"s": shop.id})
        session.commit()
        segments = []
        for template in TEMPLATES:
            segment = add_template(session, shop, template.key, "en")
            segments.append((template, segment))
        session.commit()

        print(f"\n{'template':26} {'members':>9} {'bare ms':>9} {'first ms':>9} {'again ms':>9}")
        totals = [0.0, 0.0, 0.0]
        for template, segment in segments:
            query = compile_segment(from_json(segment.ast), shop, NOW, "postgresql")
            counting = select(func.count()).select_from(query.subquery())
            session.scalar(counting)  # warm the cache: the floor is a warm query
            # Medians of 3: on a shared machine a single figure is not worth much.
            bare, size = median_of(3, lambda q=counting: session.scalar(q))
            first, _ = timed(
                lambda s=segment: (evaluate_segment(session, s, NOW), session.commit())
            )
            again, _ = median_of(
                3, lambda s=segment: (evaluate_segment(session, s, NOW), session.commit())
            )
            totals = [t + v for t, v in zip(totals, (bare, first, again), strict=True)]
            print(f"{template.key:26} {size:9,} {bare:9.0f} {first:9.0f} {again:9.0f}", flush=True)
        print(f"{'all templates':26} {'':9} {totals[0]:9.0f} {totals[1]:9.0f} {totals[2]:9.0f}")

        # A 1% change of the customers (tags and spend), then every template re-evaluated.
        ids = list(session.scalars(select(Customer.id).where(Customer.shop_id == shop.id)))
        rng = random.Random(7)
        changed = rng.sample(ids, max(1, len(ids) // 100))
        session.execute(
            text("UPDATE customers SET tags = '[\"vip\"]'::jsonb WHERE id = ANY(:ids)"),
            {"ids": changed},
        )
        session.execute(
            text(
                "UPDATE customer_statistics SET total_spent = total_spent + 600 "
                "WHERE customer_id = ANY(:ids)"
            ),
            {"ids": changed},
        )
        session.commit()
        total_changed = 0.0
        for template, segment in segments:
            elapsed, result = timed(
                lambda s=segment: (evaluate_segment(session, s, NOW), session.commit())[0]
            )
            total_changed += elapsed
            print(
                f"after a 1% change {template.key:26} {elapsed:7.0f} ms "
                f"(+{result.entered:,} -{result.exited:,})"
            )
        print(f"after a 1% change, all templates: {total_changed:.0f} ms")

        for size in (1, 1000):
            sample = rng.sample(ids, size)
            session.execute(
                text("UPDATE customers SET loyalty_tier = 'gold' WHERE id = ANY(:ids)"),
                {"ids": sample},
            )
            session.commit()
            # A worker's steady state: the first run applies the change, and after a few
            # runs on the same connection psycopg has prepared the statements on the
            # server (prepare_threshold 5) and PostgreSQL has chosen how to plan them.
            for _ in range(WARM_RUNS):
                evaluate_customers(session, shop, sample, NOW)
                session.commit()
            runs = []
            for _ in range(5):
                elapsed, _ = timed(
                    lambda s=sample: (evaluate_customers(session, shop, s, NOW), session.commit())
                )
                runs.append(elapsed)
            print(
                f"incremental, {size:5,} changed customer(s) x {len(segments)} segments: "
                f"{sorted(runs)[len(runs) // 2]:.1f} ms (median of 5)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data already built")
    args = parser.parse_args()
    if not args.reuse:
        print(f"building {args.customers:,} customers in {make_url(args.url).database}...")
        started = time.perf_counter()
        build(args.url, args.customers)
        print(f"built in {time.perf_counter() - started:.0f} s")
    else:
        upgrade(args.url)  # data built by an older schema gets the current one
        vacuum(args.url)
    run(args.url)


def vacuum(url: str) -> None:
    """VACUUM (ANALYZE) what an earlier run changed (1% of the customers, their figures
    and their memberships), as autovacuum would have since: without it each reuse finds a
    third of the customers' pages out of the visibility map, and index-only scans (the
    loyalty segment's) slow down run after run. A database built before migration 0009
    gets its customer_statistics table there, analysed here."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for table in ("customers", "customer_statistics", "segment_members", "segment_events"):
            connection.execute(text(f"VACUUM (ANALYZE) {table}"))
    engine.dispose()


if __name__ == "__main__":
    main()

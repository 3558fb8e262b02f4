"""Building the demo shop: generated records stored through ingest, committed chunk by chunk.

Going through `sync.ingest` (not bulk inserts of our own) keeps the demo honest: customer
statistics, guest profiles and order links are made exactly as a platform sync makes them,
and a second build with the same seed and day rewrites the same records (same external
ids, same values), so it changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.demo.campaigns import add_demo_campaigns, at_noon
from sync.demo.generate import DemoGenerator
from sync.ingest import upsert_carts, upsert_customers, upsert_orders, upsert_products
from sync.shops import create_shop, normalise_domain
from sync.store import Customer, Shop

DEMO_PLATFORM = "csv"
DEMO_TIMEZONE = "Europe/Paris"
DEMO_CURRENCY = "EUR"
DEMO_LANGUAGE = "fr"
DEMO_NAME = "Cacao & Café — boutique de démonstration"
# Customers per chunk: one commit per chunk keeps transactions a few thousand records long.
CHUNK_CUSTOMERS = 1000


@dataclass
class Progress:
    """Where a build stands, passed to the `progress` callback after every chunk."""

    customers_done: int
    customers_total: int
    orders: int
    lines: int
    carts: int
    seconds: float


def demo_shop(session: Session, domain: str) -> Shop:
    """The shop to fill: found by domain, or created as a French CSV shop."""
    found = session.scalar(select(Shop).where(Shop.domain == normalise_domain(domain)))
    if found is not None:
        return found
    return create_shop(
        session,
        platform=DEMO_PLATFORM,
        domain=domain,
        timezone=DEMO_TIMEZONE,
        currency=DEMO_CURRENCY,
        name=DEMO_NAME,
        language=DEMO_LANGUAGE,
    )


def customer_count(session: Session, shop: Shop) -> int:
    return session.scalar(select(func.count()).where(Customer.shop_id == shop.id)) or 0


def build_demo_shop(
    session: Session,
    shop: Shop,
    customers: int,
    seed: int,
    now: date,
    progress: Callable[[Progress], None] | None = None,
    *,
    chunk_customers: int = CHUNK_CUSTOMERS,
) -> dict[str, int | float]:
    """Generate `customers` demo customers (with orders, carts, catalogue) into `shop`.

    Commits after the catalogue and after every chunk, so a million-customer build holds
    one chunk in memory and one chunk in its transaction. Returns the counts generated:
    customers, guest_buyers, orders, lines, carts, products, and seconds.
    """
    if customers < 0:
        raise ValueError(f"shop {shop.domain}: demo customers must be 0 or more, not {customers}")
    started = time.perf_counter()
    generator = DemoGenerator(seed=seed, now=now, domain=shop.domain)
    products = generator.product_records()
    upsert_products(session, shop, products)
    session.commit()
    counts = {"customers": 0, "guest_buyers": 0, "orders": 0, "lines": 0, "carts": 0}
    for chunk in generator.chunks(customers, chunk_customers):
        upsert_customers(session, shop, chunk.customers)
        upsert_orders(session, shop, chunk.orders)
        upsert_carts(session, shop, chunk.carts)
        session.commit()
        counts["customers"] += len(chunk.customers)
        counts["guest_buyers"] += chunk.guest_buyers
        counts["orders"] += len(chunk.orders)
        counts["lines"] += chunk.lines
        counts["carts"] += len(chunk.carts)
        if progress is not None:
            progress(
                Progress(
                    customers_done=counts["customers"],
                    customers_total=customers,
                    orders=counts["orders"],
                    lines=counts["lines"],
                    carts=counts["carts"],
                    seconds=time.perf_counter() - started,
                )
            )
    # The storefront's demo campaigns (welcome, cart, birthday, VIP), live: /demo/store.
    counts["campaigns"] = add_demo_campaigns(session, shop, at_noon(now))
    session.commit()
    return {
        **counts,
        "products": len(products),
        "seconds": round(time.perf_counter() - started, 2),
    }

"""Demo data: deterministic, realistic for a French chocolatier, stored through ingest."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from sync.demo import catalogue
from sync.demo.generate import DemoGenerator
from sync.demo_data import build_demo_shop, demo_shop
from sync.store import Cart, Customer, Order, OrderLine, Product, Shop

NOW = date(2026, 3, 10)
SEED = 20260310
NANTES = (47.2184, -1.5536)
# Columns that differ between two shops holding the same data (row ids, links, load time).
LOCAL_COLUMNS = {"id", "shop_id", "customer_id", "order_id", "ingested_at"}


def generated(customers: int, seed: int = SEED, now: date = NOW):
    generator = DemoGenerator(seed=seed, now=now, domain="demo.example")
    chunks = list(generator.chunks(customers, size=97))
    return generator, chunks


def flat(chunks):
    return (
        [c for chunk in chunks for c in chunk.customers],
        [o for chunk in chunks for o in chunk.orders],
        [k for chunk in chunks for k in chunk.carts],
    )


def km(lat1, lon1, lat2, lon2) -> float:
    rad = math.radians
    a = (
        math.sin(rad(lat2 - lat1) / 2) ** 2
        + math.cos(rad(lat1)) * math.cos(rad(lat2)) * math.sin(rad(lon2 - lon1) / 2) ** 2
    )
    return 6371 * 2 * math.asin(math.sqrt(a))


def next_birthday_in(birth: date, today: date) -> int:
    """Days from `today` to the next birthday (29 February counts as 1 March)."""
    for year in (today.year, today.year + 1):
        try:
            day = birth.replace(year=year)
        except ValueError:
            day = date(year, 3, 1)
        if day >= today:
            return (day - today).days
    raise AssertionError("unreachable")


# -- the generator alone ----------------------------------------------------------------------


def test_same_seed_and_day_give_the_same_records_and_another_seed_does_not():
    _, first = generated(400)
    _, again = generated(400)
    _, other = generated(400, seed=SEED + 1)
    _, later = generated(400, now=NOW + timedelta(days=30))
    assert repr(flat(first)) == repr(flat(again))
    assert repr(flat(first)) != repr(flat(other))
    assert repr(flat(first)) != repr(flat(later))
    # Chunk size does not matter, and a smaller build is the start of a bigger one.
    bigger = DemoGenerator(seed=SEED, now=NOW, domain="demo.example")
    customers, _, _ = flat(list(bigger.chunks(600, size=1000)))
    assert repr(customers[:400]) == repr(flat(first)[0])
    # The same generator iterated again starts again from its seed.
    assert repr(flat(list(bigger.chunks(600, size=1000)))[0]) == repr(customers)


def test_generated_shop_looks_like_a_french_chocolatier():
    generator, chunks = generated(4000)
    customers, orders, carts = flat(chunks)
    anchor = generator.anchor
    by_email = {customer.email: customer for customer in customers}
    assert len(by_email) == len(customers), "two customers share an e-mail address"
    assert all(o.created_at < anchor and o.updated_at <= anchor for o in orders)
    assert all(c.created_at < anchor and c.updated_at <= anchor for c in customers)

    # Names, places, contact details.
    assert len({c.first_name for c in customers}) > 150
    assert len({c.last_name for c in customers}) > 120
    assert {c.gender for c in customers} >= {"female", "male"}
    domains = Counter(c.email.split("@")[1] for c in customers)
    assert {"gmail.com", "orange.fr", "free.fr", "laposte.net", "wanadoo.fr"} <= set(domains)
    assert all(p.startswith(("+336", "+337")) and len(p) == 12 for c in customers if (p := c.phone))
    assert len({c.city for c in customers}) > 50
    assert all(len(c.postal_code) == 5 and c.country == "FR" for c in customers)
    near = [c for c in customers if km(*NANTES, c.latitude, c.longitude) <= 30]
    assert 0.05 < len(near) / len(customers) < 0.5
    assert len({c.city for c in near}) >= 5

    # Ages, birthdays next week, consent, loyalty, B2B, preferences.
    births = [c.birth_date for c in customers if c.birth_date]
    ages = [NOW.year - b.year for b in births]
    assert min(ages) >= 17 and max(ages) <= 87 and len(births) < len(customers)
    assert sum(next_birthday_in(b, NOW) <= 7 for b in births) > len(births) * 0.02
    assert {c.email_subscription_status for c in customers} == {
        "SUBSCRIBED",
        "NOT_SUBSCRIBED",
        "UNSUBSCRIBED",
    }
    tiers = Counter(c.loyalty_tier for c in customers)
    assert set(tiers) == {None, "bronze", "silver", "gold", "platinum"}
    assert 0.3 < 1 - tiers[None] / len(customers) < 0.5
    b2b = [c for c in customers if c.company]
    assert 0.03 < len(b2b) / len(customers) < 0.08
    assert all("b2b" in c.tags and c.industry for c in b2b)
    assert len({c.industry for c in b2b}) == 4
    favourite = Counter(c.attributes.get("favorite_chocolate") for c in customers)
    assert {"dark", "milk", "white"} <= set(favourite) and favourite["dark"] > favourite["white"]
    tags = Counter(tag for c in customers for tag in c.tags)
    assert {"vip", "newsletter", "b2b", "wholesale", "gourmand", "fidèle"} <= set(tags)

    # Orders: totals, statuses, channels, seasons, promotions.
    assert all(o.total == sum(line.unit_price * line.quantity for line in o.lines) for o in orders)
    assert all(1 <= len(o.lines) <= 6 and o.currency == "EUR" for o in orders)
    statuses = Counter(o.status for o in orders)
    assert 0.90 < statuses["paid"] / len(orders) < 0.96
    assert set(statuses) == {"paid", "pending", "cancelled", "refunded"}
    channels = Counter(o.channel for o in orders)
    assert set(channels) == {"online", "store", "mobile", "tablet", "marketplace"}
    assert channels.most_common(1)[0][0] == "online"
    months = Counter(o.created_at.month for o in orders)
    assert months[12] == max(months.values()) and months[12] > 1.8 * len(orders) / 12
    assert months[1] > months[4] and months[8] == min(months.values())
    codes = Counter(o.discount_code for o in orders)
    assert {"NOEL10", "SOLDES20", "BLACKFRIDAY25", "MAMAN15", "BIENVENUE10"} <= set(codes)
    assert 0.05 < 1 - codes[None] / len(orders) < 0.3

    # Buyers: never ordered, ~4 orders each, Pareto spending, lapsed, guests.
    registered = [o for o in orders if o.customer_external_id]
    guest_checkouts = [o for o in orders if not o.customer_external_id]
    owners = Counter(o.email for o in orders if o.email in by_email)
    never = [c for c in customers if c.email not in owners]
    assert 0.15 < len(never) / len(customers) < 0.25
    assert 3.0 < len([o for o in orders if o.email in by_email]) / len(owners) < 5.0
    spend = Counter()
    for order in orders:
        if order.status in ("paid", "pending"):
            spend[order.email] += order.total
    ranked = sorted(spend.values(), reverse=True)
    assert sum(ranked[: len(ranked) // 5]) > Decimal("0.5") * sum(ranked)
    last = {}
    for order in orders:
        last[order.email] = max(last.get(order.email, order.created_at), order.created_at)
    lapsed = [e for e in owners if timedelta(days=180) < anchor - last[e] < timedelta(days=550)]
    assert len(lapsed) > 0.1 * len(owners)
    assert any(o.email not in by_email for o in guest_checkouts), "no guest buyers"
    assert any(o.email in by_email for o in guest_checkouts), "no guest checkouts by customers"
    assert len(registered) > 0.9 * len(orders)

    # A coffee machine makes capsules (or beans) likely in later orders.
    after_machine = others = 0
    after_machine_orders = other_orders = 0
    bought_machine: dict[str, str] = {}
    takes = {p.external_id: p.item.takes for p in catalogue.PRODUCTS}
    for order in sorted(orders, key=lambda o: (o.email, o.created_at)):
        has_capsules = any(line.category == catalogue.CAPSULES for line in order.lines)
        if bought_machine.get(order.email) == "capsules":
            after_machine_orders += 1
            after_machine += has_capsules
        else:
            other_orders += 1
            others += has_capsules
        for line in order.lines:
            if takes.get(line.product_external_id):
                bought_machine[order.email] = takes[line.product_external_id]
    assert after_machine_orders > 20
    assert after_machine / after_machine_orders > 3 * others / other_orders

    # Carts: recently abandoned (after the last order), older ones, converted ones.
    recent = [k for k in carts if not k.order_external_id and anchor - k.updated_at < timedelta(7)]
    assert 0.02 < len(recent) / len(customers) < 0.05
    assert all(k.updated_at > last.get(k.email, k.created_at) for k in recent)
    converted = [k for k in carts if k.order_external_id]
    assert converted and all(k.completed_at for k in converted)
    assert all(k.value == sum(i.unit_price * i.quantity for i in k.items) for k in carts)


def test_catalogue_has_the_shops_categories_with_skus_and_prices():
    records = catalogue.product_records("demo.example", generated(1)[0].anchor)
    categories = Counter(p.category for p in records)
    assert set(categories) == set(catalogue.CATEGORIES)
    assert 70 <= len(records) <= 90 and all(count >= 5 for count in categories.values())
    assert len({p.sku for p in records}) == len(records)
    assert len({p.external_id for p in records}) == len(records)
    assert all(
        p.price > 0 and p.vendor and p.url.startswith("https://demo.example/") for p in records
    )


# -- stored through ingest --------------------------------------------------------------------


def rows(db, shop: Shop) -> dict[str, list[tuple]]:
    """Every demo row of `shop`, without the columns that are local to one shop."""
    dumped = {}
    for model, order_by in (
        (Customer, (Customer.external_id,)),
        (Order, (Order.external_id,)),
        (OrderLine, (OrderLine.order_external_id, OrderLine.line_key)),
        (Cart, (Cart.external_id,)),
        (Product, (Product.external_id,)),
    ):
        columns = [c for c in model.__table__.columns if c.name not in LOCAL_COLUMNS]
        found = db.execute(
            select(*columns).where(model.shop_id == shop.id).order_by(*order_by)
        ).all()
        dumped[model.__tablename__] = [
            tuple(
                value.replace(shop.domain, "SHOP") if isinstance(value, str) else value
                for value in row
            )
            for row in found
        ]
    return dumped


def test_two_builds_with_the_same_seed_store_the_same_rows(db):
    first = demo_shop(db, "demo-a.example")
    second = demo_shop(db, "demo-b.example")
    third = demo_shop(db, "demo-c.example")
    db.commit()
    counts = build_demo_shop(db, first, 150, SEED, NOW, chunk_customers=60)
    again = build_demo_shop(db, second, 150, SEED, NOW, chunk_customers=100)
    assert {**counts, "seconds": 0} == {**again, "seconds": 0}
    build_demo_shop(db, third, 150, SEED + 1, NOW)
    first_rows, second_rows = rows(db, first), rows(db, second)
    assert first_rows["orders"] and first_rows == second_rows
    assert rows(db, third)["customers"] != first_rows["customers"]
    assert (first.timezone, first.currency, first.language, first.platform) == (
        "Europe/Paris",
        "EUR",
        "fr",
        "csv",
    )

    # Again into the same shop: the same records, nothing added or changed.
    stored_orders = db.scalar(select(func.count()).where(Order.shop_id == first.id))
    build_demo_shop(db, first, 150, SEED, NOW)
    assert rows(db, first) == first_rows
    assert db.scalar(select(func.count()).where(Order.shop_id == first.id)) == stored_orders


def test_stored_demo_shop_has_the_segments_the_demo_shows(db):
    shop = demo_shop(db, "demo.example")
    db.commit()
    counts = build_demo_shop(db, shop, 300, SEED, NOW, chunk_customers=120)
    customers = db.scalars(select(Customer).where(Customer.shop_id == shop.id)).all()
    orders = db.scalars(select(Order).where(Order.shop_id == shop.id)).all()
    registered = [c for c in customers if not c.is_guest]
    assert len(registered) == counts["customers"] == 300
    assert len(orders) == counts["orders"]
    assert db.scalar(select(func.count()).where(OrderLine.shop_id == shop.id)) == counts["lines"]
    assert db.scalar(select(func.count()).where(Product.shop_id == shop.id)) == counts["products"]

    # Statistics kept by ingest agree with the stored orders.
    counted: dict[int, list[Order]] = {}
    for order in orders:
        assert order.customer_id is not None, f"order {order.external_id} is not linked"
        if order.status in ("paid", "pending"):
            counted.setdefault(order.customer_id, []).append(order)
    for customer in customers:
        mine = counted.get(customer.id, [])
        assert customer.orders_count == len(mine), customer.external_id
        assert customer.total_spent == sum((o.total for o in mine), Decimal("0"))
        if mine:
            assert customer.last_order_date == max(o.created_date for o in mine)

    # Totals equal their lines in the database too.
    line_sums = dict(
        db.execute(
            select(OrderLine.order_external_id, func.sum(OrderLine.quantity * OrderLine.unit_price))
            .where(OrderLine.shop_id == shop.id)
            .group_by(OrderLine.order_external_id)
        ).all()
    )
    assert all(Decimal(str(line_sums[o.external_id])) == o.total for o in orders)

    never = [c for c in registered if c.orders_count == 0]
    assert 0.1 < len(never) / len(registered) < 0.3
    lapsed = [
        c for c in registered if c.last_order_date and NOW - c.last_order_date > timedelta(days=180)
    ]
    assert lapsed
    assert any(next_birthday_in(c.birth_date, NOW) <= 7 for c in registered if c.birth_date)
    assert any(km(*NANTES, c.latitude, c.longitude) <= 30 for c in registered)
    assert any(c.is_guest and c.orders_count > 0 for c in customers), "no guest profile"
    months = Counter(o.created_date.month for o in orders)
    assert months[12] > 1.5 * len(orders) / 12
    buyers = sorted((c.total_spent for c in customers if c.orders_count), reverse=True)
    assert sum(buyers[: len(buyers) // 5]) > Decimal("0.5") * sum(buyers)
    assert {o.status for o in orders} == {"paid", "pending", "cancelled", "refunded"}
    assert {o.channel for o in orders} == {"online", "store", "mobile", "tablet", "marketplace"}
    anchor = NOW - timedelta(days=7)
    carts = db.scalars(select(Cart).where(Cart.shop_id == shop.id)).all()
    assert any(k.order_external_id is None and k.updated_at.date() >= anchor for k in carts)
    assert any(k.order_external_id for k in carts)


# -- the command --------------------------------------------------------------------------------


def test_demo_data_command_creates_the_shop_then_if_empty_leaves_it(cli_runner, db):
    result = cli_runner(
        "demo-data", "--shop", "Demo.Cible.Local", "--customers", "40", "--seed", "3",
        "--now", "2026-03-10",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "done: 40 customers" in result.output
    shop = db.scalar(select(Shop).where(Shop.domain == "demo.cible.local"))
    assert (shop.platform, shop.timezone, shop.currency, shop.language) == (
        "csv",
        "Europe/Paris",
        "EUR",
        "fr",
    )
    stored = db.scalar(select(func.count()).where(Customer.shop_id == shop.id))
    assert stored >= 40

    again = cli_runner("demo-data", "--shop", "demo.cible.local", "--customers", "80", "--if-empty")
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output
    assert db.scalar(select(func.count()).where(Customer.shop_id == shop.id)) == stored

    bad = cli_runner(
        "demo-data", "--shop", "demo.cible.local", "--customers", "5", "--now", "10/03"
    )
    assert bad.exit_code != 0 and "ISO date" in bad.output

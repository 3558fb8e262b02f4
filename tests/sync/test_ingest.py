"""Ingest rules on real databases: idempotence, versions, guests, late customers, statistics,
lines, local days, refusals and batching (both backends; on PostgreSQL both write paths)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from connectors import records as r
from sync.ingest import (
    IngestError,
    recompute_customer_statistics,
    statistics,
    upsert_carts,
    upsert_customers,
    upsert_order_lines,
    upsert_orders,
    upsert_products,
    writer,
)
from sync.ingest.normalise import local_day
from sync.shops import create_shop
from sync.store import (
    STATISTICS_COLUMNS,
    Cart,
    Customer,
    CustomerStatistics,
    Order,
    OrderLine,
    Product,
)
from tests.conftest import POSTGRES_URL

T0 = datetime(2024, 5, 1, 10, 0)


@pytest.fixture(params=["values"] + (["copy"] if POSTGRES_URL else []))
def write_path(request, backend, monkeypatch):
    """On PostgreSQL run every test through both bulk and small-batch paths: the writers
    (COPY, multi-row VALUES) and the statistics statements (set-based, one lookup per
    customer), each bulk path with the other."""
    if request.param == "copy":
        if backend != "postgresql":
            pytest.skip("the COPY fast path is PostgreSQL only")
        monkeypatch.setattr(writer, "COPY_MIN_ROWS", 1)
        monkeypatch.setattr(statistics, "SET_BASED_MIN_IDS", 1)
    else:
        monkeypatch.setattr(writer, "COPY_MIN_ROWS", 10**9)
        monkeypatch.setattr(statistics, "SET_BASED_MIN_IDS", 10**9)
    return request.param


@pytest.fixture
def ingest(db, shop, write_path):
    return db, shop


def customer(db, shop, external_id):
    """The customer's row with its statistics (customer_statistics) beside its columns."""
    table, figures = Customer.__table__, CustomerStatistics.__table__
    return db.execute(
        select(table, *(figures.c[name] for name in STATISTICS_COLUMNS))
        .join_from(table, figures, figures.c.customer_id == table.c.id)
        .where(table.c.shop_id == shop.id, table.c.external_id == external_id)
    ).one_or_none()


def order(db, shop, external_id):
    table = Order.__table__
    return db.execute(
        select(table).where(table.c.shop_id == shop.id, table.c.external_id == external_id)
    ).one()


def lines(db, shop, order_external_id):
    table = OrderLine.__table__
    return {
        row.line_key: row
        for row in db.execute(
            select(table).where(
                table.c.shop_id == shop.id, table.c.order_external_id == order_external_id
            )
        )
    }


def count(db, model, shop):
    return db.scalar(select(func.count()).select_from(model).where(model.shop_id == shop.id))


def an_order(external_id, customer_ref="c1", total="10.00", status="paid", at=T0, **extra):
    return r.Order(
        external_id=external_id,
        created_at=at,
        customer_external_id=customer_ref,
        total=Decimal(total),
        status=status,
        **extra,
    )


def test_the_same_batch_twice_changes_nothing(ingest):
    db, shop = ingest
    people = [
        r.Customer("c1", email=" Ann@Example.FR ", country="fr", tags=["vip", " b ", "vip"],
                   attributes={"favorite_chocolate": "dark"}, created_at=T0, updated_at=T0),
        r.Customer("c2", email="bob@example.fr", created_at=T0),
    ]  # fmt: skip
    sales = [
        an_order("o1", lines=[r.OrderLine("l1", quantity=2, unit_price=Decimal("5"))]),
        an_order("o2", customer_ref="c2", total="7.5"),
    ]
    first = upsert_customers(db, shop, people).merge(upsert_orders(db, shop, sales))
    db.commit()
    assert (first.inserted, first.updated, first.unchanged_or_stale) == (4, 0, 0)
    before = customer(db, shop, "c1")

    again = upsert_customers(db, shop, people).merge(upsert_orders(db, shop, sales))
    db.commit()
    assert (again.inserted, again.updated, again.unchanged_or_stale) == (0, 0, 4)
    assert again.customer_ids == set()
    after = customer(db, shop, "c1")
    assert after == before
    assert after.email == "ann@example.fr"
    assert after.country == "FR"
    assert after.tags == ["b", "vip"]
    assert after.attributes == {"favorite_chocolate": "dark"}
    assert after.orders_count == 1 and after.total_spent == Decimal("10.00")
    assert count(db, Customer, shop) == 2 and count(db, Order, shop) == 2
    assert lines(db, shop, "o1")["l1"].quantity == 2


def test_out_of_order_updates_never_overwrite_newer(ingest):
    db, shop = ingest
    newer = r.Customer("c1", first_name="Newer", created_at=T0, updated_at=T0 + timedelta(hours=2))
    older = r.Customer("c1", first_name="Older", created_at=T0, updated_at=T0 + timedelta(hours=1))
    upsert_customers(db, shop, [newer])
    stale = upsert_customers(db, shop, [older])
    assert (stale.updated, stale.unchanged_or_stale) == (0, 1)
    assert customer(db, shop, "c1").first_name == "Newer"

    newest = r.Customer(
        "c1", first_name="Newest", created_at=T0, updated_at=T0 + timedelta(hours=3)
    )
    applied = upsert_customers(db, shop, [newest])
    assert applied.updated == 1 and applied.customer_ids == {customer(db, shop, "c1").id}
    assert customer(db, shop, "c1").first_name == "Newest"

    equal = upsert_customers(db, shop, [newest])
    assert (equal.updated, equal.unchanged_or_stale) == (0, 1)

    upsert_orders(db, shop, [an_order("o1", status="paid", updated_at=T0 + timedelta(days=1))])
    late = upsert_orders(db, shop, [an_order("o1", status="pending", updated_at=T0)])
    assert late.unchanged_or_stale == 1
    assert order(db, shop, "o1").status == "paid"


def test_a_record_without_updated_at_is_versioned_by_created_at(ingest):
    db, shop = ingest
    upsert_customers(db, shop, [r.Customer("c1", first_name="A", created_at=T0)])
    assert customer(db, shop, "c1").updated_at == T0
    stale = upsert_customers(
        db, shop, [r.Customer("c1", first_name="B", created_at=T0, updated_at=T0 - timedelta(1))]
    )
    assert stale.unchanged_or_stale == 1 and customer(db, shop, "c1").first_name == "A"


def test_guest_orders_get_a_profile_then_merge_into_the_registered_customer(ingest):
    db, shop = ingest
    result = upsert_orders(
        db, shop,
        [
            an_order("g1", customer_ref="0", email=" Guest@Example.fr", total="20",
                     first_name="Gaëlle", last_name="Martin"),
            an_order("g2", customer_ref=None, email="guest@example.fr", total="30",
                     at=T0 + timedelta(days=3)),
            an_order("anon", customer_ref="", email=None, total="5"),
        ],
    )  # fmt: skip
    guest = customer(db, shop, "guest:guest@example.fr")
    assert guest.is_guest and guest.email == "guest@example.fr"
    assert (guest.first_name, guest.last_name) == ("Gaëlle", "Martin")
    assert guest.orders_count == 2 and guest.total_spent == Decimal("50.00")
    assert guest.id in result.customer_ids
    assert order(db, shop, "anon").customer_id is None
    upsert_carts(db, shop, [r.Cart("k1", email="guest@example.fr", created_at=T0)])
    assert db.scalar(select(Cart.customer_id).where(Cart.external_id == "k1")) == guest.id

    merged = upsert_customers(
        db, shop, [r.Customer("c7", email="GUEST@example.fr", first_name="Gaëlle", created_at=T0)]
    )
    registered = customer(db, shop, "c7")
    assert customer(db, shop, "guest:guest@example.fr") is None
    assert {registered.id, guest.id} <= merged.customer_ids
    assert order(db, shop, "g1").customer_id == registered.id
    assert order(db, shop, "g2").customer_id == registered.id
    assert db.scalar(select(Cart.customer_id).where(Cart.external_id == "k1")) == registered.id
    assert registered.orders_count == 2 and registered.total_spent == Decimal("50.00")
    assert registered.last_order_at == T0 + timedelta(days=3)

    # A later guest checkout with that email goes to the registered customer, not a new guest.
    upsert_orders(db, shop, [an_order("g3", customer_ref=None, email="guest@example.fr")])
    assert order(db, shop, "g3").customer_id == registered.id
    assert count(db, Customer, shop) == 1
    assert customer(db, shop, "c7").orders_count == 3


def test_an_order_before_its_customer_is_linked_when_the_customer_arrives(ingest):
    db, shop = ingest
    upsert_orders(db, shop, [an_order("o1", customer_ref="c9", total="42")])
    upsert_carts(db, shop, [r.Cart("k1", customer_external_id="c9", created_at=T0)])
    assert order(db, shop, "o1").customer_id is None
    assert order(db, shop, "o1").customer_external_id == "c9"

    arrived = upsert_customers(db, shop, [r.Customer("c9", email="late@example.fr", created_at=T0)])
    late = customer(db, shop, "c9")
    assert arrived.customer_ids == {late.id}
    assert order(db, shop, "o1").customer_id == late.id
    assert db.scalar(select(Cart.customer_id).where(Cart.external_id == "k1")) == late.id
    assert late.orders_count == 1 and late.total_spent == Decimal("42.00")
    assert late.first_order_date == date(2024, 5, 1)


def test_statistics_after_a_cancellation_and_a_refund(ingest):
    db, shop = ingest
    upsert_customers(db, shop, [r.Customer("c1", created_at=T0)])
    upsert_orders(
        db, shop,
        [an_order("o1", total="10", at=T0), an_order("o2", total="20", at=T0 + timedelta(days=1)),
         an_order("o3", total="31", at=T0 + timedelta(days=2))],
    )  # fmt: skip
    stats = customer(db, shop, "c1")
    assert (stats.orders_count, stats.total_spent, stats.average_order_value) == (
        3, Decimal("61.00"), Decimal("20.33"),
    )  # fmt: skip
    assert stats.last_order_at == T0 + timedelta(days=2)

    later = T0 + timedelta(days=5)
    cancelled = upsert_orders(
        db, shop, [an_order("o3", total="31", status="cancelled", at=T0 + timedelta(2),
                            updated_at=later)]
    )  # fmt: skip
    stats = customer(db, shop, "c1")
    assert cancelled.customer_ids == {stats.id}
    assert (stats.orders_count, stats.total_spent, stats.average_order_value) == (
        2, Decimal("30.00"), Decimal("15.00"),
    )  # fmt: skip
    assert stats.last_order_at == T0 + timedelta(days=1)
    assert stats.last_order_date == date(2024, 5, 2)

    upsert_orders(
        db, shop,
        [an_order("o1", total="10", status="refunded", updated_at=later),
         an_order("o2", total="20", status="Refunded", at=T0 + timedelta(1), updated_at=later)],
    )  # fmt: skip
    stats = customer(db, shop, "c1")
    assert (stats.orders_count, stats.total_spent, stats.average_order_value) == (
        0, Decimal("0.00"), None,
    )  # fmt: skip
    assert stats.first_order_at is None and stats.last_order_date is None


def test_an_order_moving_to_another_customer_updates_both(ingest):
    db, shop = ingest
    upsert_customers(db, shop, [r.Customer("a", created_at=T0), r.Customer("b", created_at=T0)])
    upsert_orders(db, shop, [an_order("o1", customer_ref="a", total="15")])
    moved = upsert_orders(
        db, shop, [an_order("o1", customer_ref="b", total="15", updated_at=T0 + timedelta(1))]
    )
    a, b = customer(db, shop, "a"), customer(db, shop, "b")
    assert moved.customer_ids == {a.id, b.id}
    assert (a.orders_count, a.total_spent, a.last_order_at) == (0, Decimal("0.00"), None)
    assert (b.orders_count, b.total_spent) == (1, Decimal("15.00"))


def test_lines_are_replaced_as_a_set_when_the_order_is_updated(ingest):
    db, shop = ingest
    first = [r.OrderLine("a", sku="DARK-70", quantity=1, unit_price=Decimal("4.5")),
             r.OrderLine("b", sku="MILK", quantity=2, unit_price=Decimal("3"))]  # fmt: skip
    upsert_orders(db, shop, [an_order("o1", lines=first)])
    assert set(lines(db, shop, "o1")) == {"a", "b"}

    second = [r.OrderLine("b", sku="MILK", quantity=5, unit_price=Decimal("3")),
              r.OrderLine("c", sku="WHITE", category="white", quantity=1)]  # fmt: skip
    upsert_orders(db, shop, [an_order("o1", lines=second, updated_at=T0 + timedelta(1))])
    stored = lines(db, shop, "o1")
    assert set(stored) == {"b", "c"}
    assert stored["b"].quantity == 5 and stored["c"].category == "white"
    assert {line.order_id for line in stored.values()} == {order(db, shop, "o1").id}

    # A stale order with other lines leaves the stored set alone.
    upsert_orders(db, shop, [an_order("o1", lines=first, updated_at=T0)])
    assert set(lines(db, shop, "o1")) == {"b", "c"}
    # Lines unknown (None) keep the stored ones.
    upsert_orders(db, shop, [an_order("o1", total="11", updated_at=T0 + timedelta(2))])
    assert set(lines(db, shop, "o1")) == {"b", "c"}
    assert order(db, shop, "o1").total == Decimal("11.00")


def test_lines_arriving_before_their_order(ingest):
    db, shop = ingest
    alone = [
        r.OrderLine(
            "1", order_external_id="o7", sku="CAPS-10", quantity=3, unit_price=Decimal("4")
        ),
        r.OrderLine("2", order_external_id="o7", sku="MACHINE", quantity=1),
    ]
    result = upsert_order_lines(db, shop, alone)
    assert (result.inserted, result.customer_ids) == (2, set())
    assert {line.order_id for line in lines(db, shop, "o7").values()} == {None}
    assert upsert_order_lines(db, shop, alone).unchanged_or_stale == 2

    upsert_customers(db, shop, [r.Customer("c1", created_at=T0)])
    upsert_orders(db, shop, [an_order("o7")])
    o7 = order(db, shop, "o7")
    assert {line.order_id for line in lines(db, shop, "o7").values()} == {o7.id}

    changed = upsert_order_lines(
        db, shop, [r.OrderLine("1", order_external_id="o7", sku="CAPS-10", quantity=4)]
    )
    assert changed.updated == 1 and changed.customer_ids == {customer(db, shop, "c1").id}
    assert lines(db, shop, "o7")["1"].quantity == 4


def test_local_day_crosses_midnight_in_the_shop_time_zone(ingest):
    db, shop = ingest
    upsert_customers(
        db, shop, [r.Customer("c1", created_at=datetime(2024, 3, 10, 23, 30, tzinfo=UTC))]
    )
    upsert_orders(
        db, shop,
        [an_order("late", at=datetime(2024, 3, 10, 23, 30)),
         an_order("aware", at=datetime(2024, 7, 1, 1, 30, tzinfo=timezone(timedelta(hours=5))))],
    )  # fmt: skip
    assert order(db, shop, "late").created_at == datetime(2024, 3, 10, 23, 30)
    assert order(db, shop, "late").created_date == date(2024, 3, 11)
    aware = order(db, shop, "aware")
    assert aware.created_at == datetime(2024, 6, 30, 20, 30)
    assert aware.created_date == date(2024, 6, 30)
    c1 = customer(db, shop, "c1")
    assert c1.created_date == date(2024, 3, 11)
    assert (c1.first_order_date, c1.last_order_date) == (date(2024, 3, 11), date(2024, 6, 30))


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        ("Europe/Paris", datetime(2024, 3, 30, 20)),  # summer time starts at 01:00 UTC
        ("Europe/Paris", datetime(2024, 10, 26, 20)),  # and ends at 01:00 UTC
        ("Australia/Lord_Howe", datetime(2024, 4, 6, 12)),  # a half-hour change
        ("Europe/Paris", datetime(1911, 3, 10, 20)),  # Paris Mean Time ended at 00:01 local
    ],
)
def test_local_day_is_zoneinfos_minute_by_minute_around_offset_changes(zone, start):
    """local_day keeps one offset per UTC hour: around changes of offset, including one
    that is not on the hour, each minute still gets the day zoneinfo gives."""
    place = ZoneInfo(zone)
    for minute in range(12 * 60):
        at = start + timedelta(minutes=minute, seconds=59)
        assert local_day(at, place) == at.replace(tzinfo=UTC).astimezone(place).date(), at


@pytest.mark.parametrize(
    ("call", "record", "reason"),
    [
        (upsert_orders, an_order("bad-1", status="shipped"), "status 'shipped'"),
        (upsert_orders, an_order("bad-2", channel="fax"), "channel 'fax'"),
        (upsert_customers, r.Customer("bad-3", country="France"), "country 'France'"),
        (upsert_customers, r.Customer("bad-4", email_subscription_status="yes"),
         "email_subscription_status 'yes'"),
        (upsert_orders, r.Order("bad-5", created_at=None), "created_at is missing"),
    ],
)  # fmt: skip
def test_an_invalid_record_is_refused_with_shop_and_id(ingest, call, record, reason):
    db, shop = ingest
    with pytest.raises(IngestError) as refused:
        call(db, shop, [record])
    message = str(refused.value)
    assert "chocolats.example.fr" in message and record.external_id in message
    assert reason in message
    assert count(db, Order, shop) == 0 and count(db, Customer, shop) == 0


def test_batches_across_batch_size_boundaries(ingest):
    db, shop = ingest
    people = (r.Customer(f"c{n}", email=f"p{n}@example.fr", created_at=T0) for n in range(5))
    assert upsert_customers(db, shop, people, batch_size=2).inserted == 5
    sales = [an_order(f"o{n}", customer_ref=f"c{n % 5}", total=str(n + 1),
                      lines=[r.OrderLine(str(k), quantity=1) for k in range(n % 3)])
             for n in range(7)]  # fmt: skip
    # The same order twice in one batch: the newer version wins.
    sales.append(an_order("o0", customer_ref="c0", total="100", updated_at=T0 + timedelta(1)))
    result = upsert_orders(db, shop, iter(sales), batch_size=3)
    assert result.inserted == 7 and result.updated == 1
    assert count(db, Order, shop) == 7
    assert count(db, OrderLine, shop) == sum(n % 3 for n in range(7))
    totals = {f"c{n}": customer(db, shop, f"c{n}").total_spent for n in range(5)}
    assert totals == {
        "c0": Decimal("106.00"), "c1": Decimal("9.00"), "c2": Decimal("3.00"),
        "c3": Decimal("4.00"), "c4": Decimal("5.00"),
    }  # fmt: skip
    again = upsert_orders(db, shop, iter(sales), batch_size=3)
    assert (again.inserted, again.updated) == (0, 0)


def test_recompute_whole_shop_leaves_other_shops_alone(ingest):
    db, shop = ingest
    other = create_shop(db, platform="csv", domain="other.example.fr")
    upsert_customers(db, shop, [r.Customer("c1", created_at=T0)])
    upsert_customers(db, other, [r.Customer("c1", created_at=T0)])
    upsert_orders(db, shop, [an_order("o1", total="12")])
    upsert_orders(db, other, [an_order("o1", total="99")])
    db.execute(CustomerStatistics.__table__.update().values(orders_count=0, total_spent=0))
    assert recompute_customer_statistics(db, shop.id) == 1
    assert customer(db, shop, "c1").total_spent == Decimal("12.00")
    assert customer(db, other, "c1").total_spent == Decimal("0.00")
    assert recompute_customer_statistics(db, shop.id, [customer(db, shop, "c1").id]) == 0


def test_carts_link_count_items_and_value(ingest):
    db, shop = ingest
    upsert_customers(db, shop, [r.Customer("c1", email="ann@example.fr", created_at=T0)])
    c1 = customer(db, shop, "c1").id
    items = [r.CartItem(sku="DARK", quantity=2, unit_price=Decimal("4.50")),
             r.CartItem(sku="MILK", quantity=1, unit_price=Decimal("3"))]  # fmt: skip
    result = upsert_carts(
        db, shop,
        [r.Cart("k1", customer_external_id="c1", items=items,
                updated_at=datetime(2024, 1, 1, 23, 5)),
         r.Cart("k2", email="ANN@example.fr", value=Decimal("50"), items=items, created_at=T0),
         r.Cart("k3", email="nobody@example.fr", created_at=T0)],
    )  # fmt: skip
    assert result.inserted == 3 and result.customer_ids == {c1}
    stored = {cart.external_id: cart for cart in db.scalars(select(Cart))}
    assert stored["k1"].customer_id == c1 and stored["k2"].customer_id == c1
    assert stored["k3"].customer_id is None
    assert count(db, Customer, shop) == 1
    assert (stored["k1"].items_count, stored["k1"].value) == (3, Decimal("12.00"))
    assert stored["k1"].updated_date == date(2024, 1, 2)
    assert stored["k2"].value == Decimal("50.00")
    assert stored["k1"].items[0] == {
        "product_external_id": None, "sku": "DARK", "title": None, "category": None,
        "quantity": 2, "unit_price": "4.50",
    }  # fmt: skip


def test_products_are_upserted_by_version(ingest):
    db, shop = ingest
    v1 = r.Product("p1", title="Noir 70%", price=Decimal("4.5"), tags=["bio"], updated_at=T0)
    assert upsert_products(db, shop, [v1]).inserted == 1
    assert upsert_products(db, shop, [v1]).unchanged_or_stale == 1
    v2 = r.Product("p1", title="Noir 72%", price=Decimal("4.9"), updated_at=T0 + timedelta(1))
    assert upsert_products(db, shop, [v2]).updated == 1
    stored = db.scalar(select(Product).where(Product.external_id == "p1"))
    assert (stored.title, stored.price, stored.tags) == ("Noir 72%", Decimal("4.90"), [])

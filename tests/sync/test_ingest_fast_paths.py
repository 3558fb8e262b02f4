"""The shortcuts ingest takes for speed keep the rules: new orders and waiting lines, carts
waiting by email, statistics reset in the same statement, ANALYZE after growth, batch sizes
(both backends; on PostgreSQL both write paths)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from connectors import records as r
from sync.ingest import (
    recompute_customer_statistics,
    upsert_carts,
    upsert_customers,
    upsert_order_lines,
    upsert_orders,
    writer,
)
from sync.store import Cart, Customer, Order, OrderLine
from tests.conftest import POSTGRES_URL

T0 = datetime(2024, 5, 1, 10, 0)


@pytest.fixture(params=["values"] + (["copy"] if POSTGRES_URL else []))
def ingest(request, db, shop, backend, monkeypatch):
    if request.param == "copy":
        if backend != "postgresql":
            pytest.skip("the COPY fast path is PostgreSQL only")
        monkeypatch.setattr(writer, "COPY_MIN_ROWS", 1)
    else:
        monkeypatch.setattr(writer, "COPY_MIN_ROWS", 10**9)
    return db, shop


def stored_lines(db, shop, order_external_id):
    return {
        line.line_key: line
        for line in db.scalars(
            select(OrderLine).where(
                OrderLine.shop_id == shop.id, OrderLine.order_external_id == order_external_id
            )
        )
    }


def line(key, order_external_id=None, quantity=1):
    return r.OrderLine(key, order_external_id=order_external_id, sku=f"SKU-{key}",
                       quantity=quantity, unit_price=Decimal("2"))  # fmt: skip


def test_a_new_order_with_lines_replaces_the_lines_waiting_for_it(ingest):
    db, shop = ingest
    upsert_order_lines(db, shop, [line("1", "o1"), line("2", "o1"), line("9", "o2")])
    upsert_customers(db, shop, [r.Customer("c1", created_at=T0)])
    result = upsert_orders(
        db, shop,
        [r.Order("o1", created_at=T0, customer_external_id="c1", total=Decimal("8"),
                 lines=[line("1", quantity=4)]),
         r.Order("o2", created_at=T0, customer_external_id="c1", total=Decimal("2"))],
    )  # fmt: skip
    assert result.inserted == 2
    o1 = db.scalar(select(Order.id).where(Order.external_id == "o1"))
    o2 = db.scalar(select(Order.id).where(Order.external_id == "o2"))
    kept = stored_lines(db, shop, "o1")
    assert set(kept) == {"1"} and (kept["1"].quantity, kept["1"].order_id) == (4, o1)
    # An order without lines keeps (and links) the lines that waited for it.
    assert stored_lines(db, shop, "o2")["9"].order_id == o2


def test_new_orders_without_waiting_lines_only_insert_theirs(ingest):
    db, shop = ingest
    upsert_customers(db, shop, [r.Customer("c1", created_at=T0)])
    sales = [
        r.Order(f"o{n}", created_at=T0 + timedelta(hours=n), customer_external_id="c1",
                total=Decimal("2"), lines=[line("1"), line("2")])
        for n in range(3)
    ]  # fmt: skip
    assert upsert_orders(db, shop, sales).inserted == 3
    assert db.scalar(select(func.count()).select_from(OrderLine)) == 6
    assert upsert_orders(db, shop, sales).unchanged_or_stale == 3
    sales[0] = r.Order(
        "o0", created_at=T0, updated_at=T0 + timedelta(days=1), customer_external_id="c1",
        total=Decimal("2"), lines=[line("2")],
    )  # fmt: skip
    assert upsert_orders(db, shop, sales).updated == 1
    assert set(stored_lines(db, shop, "o0")) == {"2"}
    assert db.scalar(select(func.count()).select_from(OrderLine)) == 5


def test_carts_waiting_by_email_join_the_customer_who_arrives(ingest):
    db, shop = ingest
    upsert_carts(
        db, shop,
        [r.Cart("k1", email="ann@example.fr", created_at=T0),
         r.Cart("k2", email="bob@example.fr", created_at=T0),
         r.Cart("k3", email="ann@example.fr", customer_external_id="c9", created_at=T0)],
    )  # fmt: skip
    upsert_customers(
        db, shop,
        [r.Customer("c1", email="Ann@example.fr", created_at=T0),
         r.Customer("c2", email="carl@example.fr", created_at=T0)],
    )  # fmt: skip
    ann = db.scalar(select(Customer.id).where(Customer.external_id == "c1"))
    owners = dict(db.execute(select(Cart.external_id, Cart.customer_id)).all())
    # k3 names a platform customer (c9): it waits for that one, not for the email.
    assert owners == {"k1": ann, "k2": None, "k3": None}


def test_statistics_reset_when_a_customer_loses_every_counted_order(ingest):
    db, shop = ingest
    upsert_customers(db, shop, [r.Customer("c1", created_at=T0), r.Customer("c2", created_at=T0)])
    upsert_orders(
        db, shop,
        [r.Order("o1", created_at=T0, customer_external_id="c1", total=Decimal("10")),
         r.Order("o2", created_at=T0, customer_external_id="c2", total=Decimal("7.5"))],
    )  # fmt: skip
    upsert_orders(
        db, shop,
        [r.Order("o1", created_at=T0, updated_at=T0 + timedelta(1), status="cancelled",
                 customer_external_id="c1", total=Decimal("10"))],
    )  # fmt: skip
    figures = {
        row.external_id: (row.orders_count, row.total_spent, row.average_order_value,
                          row.first_order_at, row.last_order_date)
        for row in db.scalars(select(Customer))
    }  # fmt: skip
    assert figures["c1"] == (0, Decimal("0.00"), None, None, None)
    assert figures["c2"][:3] == (1, Decimal("7.50"), Decimal("7.50"))
    # Nothing to change: no row is rewritten.
    ids = list(db.scalars(select(Customer.id)))
    assert recompute_customer_statistics(db, shop.id, ids) == 0


def test_analyze_runs_once_a_table_has_grown(ingest, backend, monkeypatch):
    db, shop = ingest
    if backend != "postgresql":
        pytest.skip("ANALYZE after growth is for PostgreSQL's planner")
    monkeypatch.setattr(writer, "ANALYZE_MIN_GROWTH", 3)
    monkeypatch.setattr(writer, "_estimated_rows", lambda session, target: 0)
    # Growth is counted per connection; a pooled one may carry earlier tests' rows.
    db.connection().info.pop("cible_analyze_growth", None)
    analyzed = []

    def record(conn, cursor, statement, *args):
        if statement.startswith("ANALYZE"):
            analyzed.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        upsert_customers(db, shop, [r.Customer(f"c{n}", created_at=T0) for n in range(2)])
        assert analyzed == []
        upsert_customers(db, shop, [r.Customer(f"c{n}", created_at=T0) for n in range(2, 4)])
        # Only the columns ingest looks customers up by: autovacuum analyses the rest.
        expected = "ANALYZE (SKIP_LOCKED) customers (shop_id, external_id, email, is_guest)"
        assert analyzed == [expected]
        # Rows written again are not growth.
        upsert_customers(db, shop, [r.Customer(f"c{n}", created_at=T0) for n in range(4)])
        assert analyzed == [expected]
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_batch_size_defaults_by_backend(db, backend):
    expected = writer.POSTGRESQL_BATCH_SIZE if backend == "postgresql" else 2000
    assert writer.batch_size_for(db, None, 2000) == expected
    assert writer.batch_size_for(db, 7, 2000) == 7
    with pytest.raises(ValueError, match="at least 1"):
        list(writer.batches([1], 0))

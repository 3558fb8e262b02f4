"""The speed paths of ingest keep the rules: new rows COPYed straight into their table fall
back to the versioned upsert when another writer stored one meanwhile, commits of ingested
data do not wait for the disk (PostgreSQL), both statistics statements state the same
figures, and the lean schema of migration 0006 is what
the models declare (both backends)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, inspect, select, text

from connectors import records as r
from sync.ingest import (
    IngestError,
    recompute_customer_statistics,
    statistics,
    upsert_customers,
    upsert_orders,
    writer,
)
from sync.ingest import orders as orders_module
from sync.ingest.customers import PROFILE_COLUMNS, customer_row
from sync.ingest.normalise import ShopFacts
from sync.store import STATISTICS_COLUMNS, Customer, CustomerStatistics, Order, OrderLine

T0 = datetime(2024, 5, 1, 10, 0)


def test_a_row_stored_meanwhile_sends_the_batch_through_the_upsert(db, shop, backend, monkeypatch):
    if backend != "postgresql":
        pytest.skip("the direct COPY is PostgreSQL only")
    monkeypatch.setattr(writer, "COPY_MIN_ROWS", 1)
    upsert_customers(db, shop, [r.Customer("c1", first_name="Newer", created_at=T0,
                                           updated_at=T0 + timedelta(days=1))])  # fmt: skip
    facts = ShopFacts.of(shop)
    rows = [
        customer_row(facts, r.Customer(external_id, first_name="Older", created_at=T0), T0)
        for external_id in ("c1", "c2")
    ]
    # As if c1 had looked absent to this writer: the COPY meets the unique key.
    assert writer.copy_new_rows(db, Customer.__table__, [dict(row) for row in rows]) is None
    written, copied = writer.write_new_and_stored(
        db, Customer.__table__, rows, [True, True],
        key=("shop_id", "external_id"), version="updated_at",
        compare=PROFILE_COLUMNS, update=PROFILE_COLUMNS + ("ingested_at",),
        returning=("id", "external_id", "email"),
    )  # fmt: skip
    # The session is still usable; the stale c1 changed nothing, c2 was inserted.
    assert [row.external_id for row in written] == ["c2"]
    assert copied == []  # nothing went in by COPY: no figures may be added for it
    names = dict(db.execute(select(Customer.external_id, Customer.first_name)).all())
    assert names == {"c1": "Newer", "c2": "Older"}


def test_an_order_stored_meanwhile_is_updated_with_its_owners_and_lines(
    db, shop, backend, monkeypatch
):
    """Another writer stores an order between a batch's lookup and its COPY: the COPY meets
    the key, and the order is upserted as an updated one (its previous owner's figures and
    its lines follow), not as a new one."""
    if backend != "postgresql":
        pytest.skip("the direct COPY is PostgreSQL only")
    monkeypatch.setattr(writer, "COPY_MIN_ROWS", 1)
    upsert_customers(db, shop, [r.Customer("c1", created_at=T0), r.Customer("c2", created_at=T0)])
    upsert_orders(db, shop, [r.Order("o1", created_at=T0, customer_external_id="c1",
                                     total=Decimal("5"),
                                     lines=[r.OrderLine("1"), r.OrderLine("2")])])  # fmt: skip
    db.commit()
    looked_up = orders_module._lookups

    def lookups_missing_stored_orders(shop_id, batch):
        *customers_, (statement, column_, _values) = looked_up(shop_id, batch)
        return [*customers_, (statement, column_, [])]

    monkeypatch.setattr(orders_module, "_lookups", lookups_missing_stored_orders)
    moved = r.Order("o1", created_at=T0, updated_at=T0 + timedelta(days=1),
                    customer_external_id="c2", total=Decimal("7"),
                    lines=[r.OrderLine("1")])  # fmt: skip
    result = upsert_orders(db, shop, [moved])
    db.commit()
    assert (result.inserted, result.updated) == (0, 1)
    figures = {
        customer.external_id: (customer.orders_count, customer.total_spent)
        for customer in db.scalars(select(Customer))
    }
    assert figures == {"c1": (0, Decimal("0.00")), "c2": (1, Decimal("7.00"))}
    assert db.scalars(select(OrderLine.line_key)).all() == ["1"]
    assert recompute_customer_statistics(db, shop.id) == 0


def test_new_orders_and_lines_copied_directly_keep_their_ids_and_statistics(
    db, shop, backend, monkeypatch
):
    monkeypatch.setattr(writer, "COPY_MIN_ROWS", 1)
    upsert_customers(db, shop, [r.Customer("c1", created_at=T0)])
    sales = [
        r.Order(f"o{n}", created_at=T0 + timedelta(hours=n), customer_external_id="c1",
                total=Decimal("5"), lines=[r.OrderLine("1", sku="A"), r.OrderLine("2")])
        for n in range(3)
    ]  # fmt: skip
    result = upsert_orders(db, shop, sales)
    assert result.inserted == 3 and result.customer_ids
    linked = db.execute(
        select(OrderLine.order_id, Order.id)
        .join(Order, Order.external_id == OrderLine.order_external_id)
        .where(OrderLine.shop_id == shop.id)
    ).all()
    assert len(linked) == 6 and all(line_order == order for line_order, order in linked)
    customer = db.scalar(select(Customer).where(Customer.external_id == "c1"))
    assert (customer.orders_count, customer.total_spent) == (3, Decimal("15.00"))
    # New rows after the copied ones still get fresh ids from the same sequence.
    upsert_orders(db, shop, [r.Order("o9", created_at=T0, customer_external_id="c1")])
    assert db.scalar(select(func.count(func.distinct(Order.id)))) == 4


def test_ingest_commits_without_waiting_for_the_disk(db, shop, backend):
    if backend != "postgresql":
        pytest.skip("synchronous_commit is a PostgreSQL setting")
    upsert_customers(db, shop, [r.Customer("c1", created_at=T0)])
    assert db.scalar(text("SHOW synchronous_commit")) == "off"
    db.commit()
    # SET LOCAL: the next transaction is back to the server's setting.
    assert db.scalar(text("SHOW synchronous_commit")) == "on"


def indexes(inspector, table: str) -> dict:
    """Named indexes of `table` (PostgreSQL also lists unique constraints' own indexes)."""
    return {
        index["name"]: index.get("dialect_options", {})
        for index in inspector.get_indexes(table)
        if "duplicates_constraint" not in index
    }


def test_the_migrated_schema_is_the_lean_one_the_models_declare(db):
    inspector = inspect(db.get_bind())
    assert inspector.get_foreign_keys("order_lines") == []
    line_indexes = indexes(inspector, "order_lines")
    assert (
        set(line_indexes)
        == {index.name for index in OrderLine.__table__.indexes}
        == {"ix_order_lines_shop_category_order", "uq_order_lines_waiting"}
    )
    # Only lines waiting for their order are keyed by its external id (migration 0010);
    # the others by (order, line key).
    where = " ".join(str(value) for value in line_indexes["uq_order_lines_waiting"].values())
    assert "order_id IS NULL" in where, line_indexes
    keys = {tuple(key["column_names"]) for key in inspector.get_unique_constraints("order_lines")}
    assert ("order_id", "line_key") in keys
    assert ("shop_id", "order_external_id", "line_key") not in keys
    order_indexes = indexes(inspector, "orders")
    assert set(order_indexes) == {index.name for index in Order.__table__.indexes}
    for name in ("ix_orders_shop_customer_external_id", "ix_orders_shop_email"):
        where = " ".join(str(value) for value in order_indexes[name].values())
        assert "customer_id IS NULL" in where, (name, order_indexes[name])


def test_both_statistics_statements_state_the_same_figures(db, shop, backend, monkeypatch):
    """The set-based statement (batches) and the per-customer lookups (webhooks) agree on
    every case: counted, cancelled and refunded orders, customers without orders, figures
    to reset."""
    if backend != "postgresql":
        pytest.skip("SQLite has a statement of its own")
    upsert_customers(db, shop, [r.Customer(f"c{n}", created_at=T0) for n in range(5)])
    upsert_orders(
        db, shop,
        [r.Order(f"o{n}", created_at=T0 + timedelta(days=n), customer_external_id=f"c{n % 3}",
                 total=Decimal(n) + Decimal("0.35"), status=status)
         for n, status in enumerate(["paid", "pending", "cancelled", "paid", "refunded",
                                     "paid", "cancelled"])],
    )  # fmt: skip
    ids = list(db.scalars(select(Customer.id).where(Customer.shop_id == shop.id)))
    stated = {}
    for threshold in (1, 10**9):
        # Wrong figures everywhere, so that each statement has to write every row.
        db.execute(
            CustomerStatistics.__table__.update()
            .where(CustomerStatistics.shop_id == shop.id)
            .values(orders_count=9, total_spent=Decimal("1.00"), average_order_value=None,
                    first_order_at=T0, last_order_at=None, first_order_date=None,
                    last_order_date=T0.date())
        )  # fmt: skip
        monkeypatch.setattr(statistics, "SET_BASED_MIN_IDS", threshold)
        assert recompute_customer_statistics(db, shop.id, ids) == 5
        stated[threshold] = set(figures_by_customer(db, shop).items())
    assert stated[1] == stated[10**9]
    by_customer = {external_id: row[:3] for external_id, row in stated[1]}
    assert by_customer["c0"] == (2, Decimal("3.70"), Decimal("1.85"))  # o0, o3 (o6 cancelled)
    assert by_customer["c2"] == (1, Decimal("5.35"), Decimal("5.35"))  # o5 (o2 cancelled)
    assert by_customer["c3"] == (0, Decimal("0.00"), None)


def figures_by_customer(db, shop) -> dict[str, tuple]:
    """{external_id: the seven figures} of the shop's customers, read from the table."""
    figures = CustomerStatistics.__table__
    rows = db.execute(
        select(Customer.external_id, *(figures.c[name] for name in STATISTICS_COLUMNS))
        .join_from(Customer.__table__, figures, figures.c.customer_id == Customer.id)
        .where(Customer.shop_id == shop.id)
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def test_figures_added_for_copied_orders_are_the_recomputed_ones(db, shop, backend, monkeypatch):
    """New orders that one COPY inserted are added to their customers' figures without
    reading the orders; over batches with cancelled and refunded orders, orders older and
    newer than the stored ones, guests, updated orders and an average that rounds, the
    figures are those a recompute from the orders states, to the cent."""
    if backend != "postgresql":
        pytest.skip("the COPY path, and with it the addition, is PostgreSQL's")
    monkeypatch.setattr(writer, "COPY_MIN_ROWS", 1)
    added = []
    original = statistics.added_figures

    def spy(shop_id, inserted_orders, recomputed):
        statement = original(shop_id, inserted_orders, recomputed)
        added.append(statement is not None)
        return statement

    monkeypatch.setattr(statistics, "added_figures", spy)
    upsert_customers(db, shop, [r.Customer(f"c{n}", created_at=T0) for n in range(4)])
    statuses = ["paid", "pending", "cancelled", "paid", "refunded", "paid", "paid"]
    for batch in range(3):
        upsert_orders(
            db, shop,
            [r.Order(f"o{batch}-{n}", customer_external_id=f"c{n % 3}",
                     created_at=T0 + timedelta(days=(n * 7 + batch * 5) % 11, hours=batch),
                     total=Decimal(n + batch) + Decimal("0.35") if n != 4 else Decimal("3.34"),
                     status=statuses[(n + batch) % len(statuses)])
             for n in range(7)]
            + [r.Order(f"g{batch}", email="guest@example.fr", created_at=T0 + timedelta(days=batch),
                       total=Decimal("10.00") / 3 * (batch + 1))],
        )  # fmt: skip
        db.commit()
    # One order updated (cancelled) and two new in the same batch: c0, with both kinds, is
    # only recomputed (its new order counted once), c1's new order is added.
    upsert_orders(
        db, shop,
        [r.Order("o0-0", customer_external_id="c0", created_at=T0, total=Decimal("0.35"),
                 status="cancelled", updated_at=T0 + timedelta(days=30)),
         r.Order("o3-0", customer_external_id="c0", created_at=T0 + timedelta(days=40),
                 total=Decimal("2.50")),
         r.Order("o3-1", customer_external_id="c1", created_at=T0 - timedelta(days=3),
                 total=Decimal("7.77"))],
    )  # fmt: skip
    db.commit()
    assert added and all(added)
    kept = figures_by_customer(db, shop)
    assert kept["c0"][0] > 0 and kept["guest:guest@example.fr"][0] == 3
    assert recompute_customer_statistics(db, shop.id) == 0
    assert figures_by_customer(db, shop) == kept


def test_a_line_refused_while_the_statistics_run_leaves_the_session_usable(db, shop):
    """On PostgreSQL the lines are built while the statistics statement runs (pipeline
    mode): a refused line still names its order and key, and the caller can roll back and
    go on."""
    upsert_customers(db, shop, [r.Customer("c1", created_at=T0)])
    db.commit()
    bad = r.Order("o1", created_at=T0, customer_external_id="c1", total=Decimal("5"),
                  lines=[r.OrderLine("1", quantity=1), r.OrderLine("2", quantity=-3)])  # fmt: skip
    with pytest.raises(IngestError) as refused:
        upsert_orders(db, shop, [bad])
    assert "o1/2" in str(refused.value) and "quantity -3 is negative" in str(refused.value)
    db.rollback()
    upsert_orders(db, shop, [r.Order("o2", created_at=T0, customer_external_id="c1",
                                     total=Decimal("7"), lines=[r.OrderLine("1")])])  # fmt: skip
    db.commit()
    customer = db.scalar(select(Customer).where(Customer.external_id == "c1"))
    assert (customer.orders_count, customer.total_spent) == (1, Decimal("7.00"))
    assert db.scalar(select(func.count()).select_from(OrderLine)) == 1

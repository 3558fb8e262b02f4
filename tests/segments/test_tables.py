"""Which tables a segment reads: the statistics table alone for conditions on the figures
(the fast form: a scan of a narrow table), customers alone for the profile, both joined for
a mix; and the right members whichever form, when a customer's figures change."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.sql import visitors
from sqlalchemy.sql.schema import Column, Table

from sync.segments import evaluate
from sync.segments.compile import compile_segment
from sync.segments.evaluate import create_segment, evaluate_customers, evaluate_segment
from sync.segments.validate import parse_and_check
from sync.store import Shop
from tests.segments import shopdata
from tests.segments.conftest import NOW
from tests.segments.shopdata import members

FIGURES_ALONE = [
    "number_of_orders > 0 AND last_order_date < -6m",
    "number_of_orders = 0",
    "amount_spent > 500",
    "average_order_value >= 50 OR first_order_date >= -30d",
    "orders_placed > 1",
    "rfm_group = 'champions'",
    "anniversary(date: 'first_order_date') BETWEEN today AND +7d",
    # Conditions reading only the customer's id correlate with the statistics row.
    "amount_spent > 100 AND products_purchased(category: 'Chocolat noir') = true",
    "number_of_orders >= 1 AND orders_placed(channel: 'store') >= 1",
    "NOT (amount_spent > 100) AND abandoned_checkout_date >= -7d",
]
PROFILE_ALONE = [
    "city = 'Nantes'",
    "customer_tags CONTAINS 'vip'",
    "products_purchased(category: 'Chocolat noir', since: -90d) = true",
    "orders_placed(channel: 'store') >= 1",
]
MIXED = [
    "number_of_orders >= 1 AND city = 'Nantes'",
    "amount_spent > 500 OR customer_tags CONTAINS 'vip'",
    "anniversary(date: 'first_order_date') = today AND email_subscription_status = 'SUBSCRIBED'",
]


def tables_of(statement) -> set[str]:
    """Every table the statement reads, in its FROM lists and its subqueries alike."""
    found = set()
    for element in visitors.iterate(statement):
        if isinstance(element, Table):
            found.add(element.name)
        elif isinstance(element, Column) and isinstance(element.table, Table):
            found.add(element.table.name)
    return found


def compiled(query: str, dialect: str, customer_ids=None):
    shop = Shop(id=1, timezone="Europe/Paris")
    return compile_segment(parse_and_check(query), shop, NOW, dialect, customer_ids)


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
@pytest.mark.parametrize("customer_ids", [None, [1, 2]])
@pytest.mark.parametrize("query", FIGURES_ALONE)
def test_a_segment_on_the_figures_reads_the_statistics_table_alone(query, customer_ids, dialect):
    statement = compiled(query, dialect, customer_ids)
    assert [table.name for table in statement.get_final_froms()] == ["customer_statistics"]
    assert "customers" not in tables_of(statement)
    assert list(statement.selected_columns.keys()) == ["id"]


@pytest.mark.parametrize("query", PROFILE_ALONE)
def test_a_segment_on_the_profile_reads_customers_alone(query):
    statement = compiled(query, "postgresql")
    assert [table.name for table in statement.get_final_froms()] == ["customers"]
    assert "customer_statistics" not in tables_of(statement)


@pytest.mark.parametrize("query", MIXED)
def test_a_segment_on_both_reads_customers_joined_with_their_statistics(query):
    statement = compiled(query, "postgresql", [1])
    (joined,) = statement.get_final_froms()
    assert {joined.left.name, joined.right.name} == {"customers", "customer_statistics"}


@pytest.mark.parametrize("shared_lookup", [False, True])
def test_every_form_follows_a_change_of_the_figures(db, shop, people, monkeypatch, shared_lookup):
    """dan (Belgium, one order of 40 with milk chocolate) orders for 500: he enters the
    segments on his figures, alone, with his country, and with his purchases; the
    incremental re-check and the full evaluation agree."""
    if shared_lookup:
        monkeypatch.setattr(evaluate, "SHARED_LOOKUP_FROM", 1)
    queries = {
        "figures": "amount_spent > 100",
        "mixed": "amount_spent > 100 AND country = 'BE'",
        "purchases": "number_of_orders >= 2 AND products_purchased(category: 'Lait') = true",
        "not figures": "NOT amount_spent > 100 AND loyalty_points IS NOT NULL",
    }
    segments = {name: create_segment(db, shop, name, query) for name, query in queries.items()}
    for segment in segments.values():
        evaluate_segment(db, segment, NOW)
    db.commit()
    before = {name: members(db, segment) for name, segment in segments.items()}
    assert before == {
        "figures": {"ana"},
        "mixed": set(),
        "purchases": set(),
        "not figures": {"dan"},
    }
    dan = people["dan"]
    shopdata.order(db, shop, dan, "o20", NOW, "500.00")
    db.commit()
    assert dan.total_spent == Decimal("540.00") and dan.orders_count == 2
    changes = evaluate_customers(db, shop, [dan.id, people["chloe"].id], NOW)
    db.commit()
    assert changes == {
        segments["figures"].id: (1, 0),
        segments["mixed"].id: (1, 0),
        segments["purchases"].id: (1, 0),
        segments["not figures"].id: (0, 1),
    }
    after = {name: members(db, segment) for name, segment in segments.items()}
    assert after == {
        "figures": {"ana", "dan"},
        "mixed": {"dan"},
        "purchases": {"dan"},
        "not figures": set(),
    }
    for name, segment in segments.items():
        result = evaluate_segment(db, segment, NOW)
        assert (result.entered, result.exited) == (0, 0), name
        assert members(db, segment) == after[name]

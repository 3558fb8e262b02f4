"""The language: parsing, canonical text and JSON round trips, and the errors people see."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from sync.segments import catalog, messages
from sync.segments.errors import SegmentQueryError
from sync.segments.language import (
    And,
    Condition,
    Not,
    Or,
    Value,
    from_json,
    parse,
    to_json,
    to_text,
)
from sync.segments.validate import is_time_relative, parse_and_check

QUERIES = [
    "number_of_orders > 0",
    "amount_spent >= 49.90 AND last_order_date < -90d",
    "NOT (gender = 'female' OR age BETWEEN 25 AND 34)",
    "customer_tags CONTAINS 'l''atelier' AND city IN ('Nantes', 'Rennes')",
    "products_purchased(category: 'Chocolat noir', since: -90d) = true",
    "anniversary(date: 'birth_date') BETWEEN today AND +7d",
    "customer_within_distance(latitude: 47.2184, longitude: -1.5536, km: 30) = true",
    "(a = 1 OR b = 2) AND (c = 3 OR NOT d IS NULL)",
    "x STARTS WITH 'ab' OR y NOT CONTAINS 'z' OR z IS NOT NULL",
    "last_order_date = 2026-11-27 OR first_order_date >= yesterday",
    "attributes.favorite_chocolate = 'dark'",
]


@pytest.mark.parametrize("query", QUERIES)
def test_text_and_json_round_trip(query):
    ast = parse(query)
    assert parse(to_text(ast)) == ast
    assert to_text(parse(to_text(ast))) == to_text(ast)
    data = json.loads(json.dumps(to_json(ast)))
    assert from_json(data) == ast


def test_the_ast_of_a_query():
    ast = parse("NOT number_of_orders >= 2 and (city = 'Nantes' or age between 25 and 34)")
    assert ast == And(
        (
            Not(Condition("number_of_orders", ">=", (Value("int", 2),))),
            Or(
                (
                    Condition("city", "=", (Value("string", "Nantes"),)),
                    Condition("age", "BETWEEN", (Value("int", 25), Value("int", 34))),
                )
            ),
        )
    )


def test_values():
    ast = parse(
        "a IN (1, -2.50, 'it''s', true, FALSE, 2026-02-28, -6m, +1y, -4w, today, Yesterday)"
    )
    values = [(v.kind, v.value) for v in ast.values]
    assert values == [
        ("int", 1),
        ("decimal", Decimal("-2.50")),
        ("string", "it's"),
        ("bool", True),
        ("bool", False),
        ("date", date(2026, 2, 28)),
        ("relative", (-6, "m")),
        ("relative", (1, "y")),
        ("relative", (-4, "w")),
        ("day", "today"),
        ("day", "yesterday"),
    ]
    assert to_text(ast) == (
        "a IN (1, -2.50, 'it''s', true, false, 2026-02-28, -6m, +1y, -4w, today, yesterday)"
    )


def test_canonical_json_is_stable():
    ast = parse("products_purchased(category: 'Noir', since: -90d) = true AND x != 1.5")
    assert to_json(ast) == {
        "and": [
            {
                "attribute": "products_purchased",
                "operator": "=",
                "args": {"category": {"string": "Noir"}, "since": {"relative": "-90d"}},
                "values": [{"bool": True}],
            },
            {"attribute": "x", "operator": "!=", "values": [{"decimal": "1.5"}]},
        ]
    }


def refused(query: str) -> SegmentQueryError:
    with pytest.raises(SegmentQueryError) as caught:
        parse_and_check(query)
    return caught.value


def test_unknown_attribute_points_at_it_and_suggests():
    error = refused("amount_spent > 10 AND number_of_order > 2")
    assert (error.line, error.column) == (1, 23)
    assert error.suggestion == "number_of_orders"
    assert str(error) == (
        "line 1, column 23: unknown attribute number_of_order\n"
        "amount_spent > 10 AND number_of_order > 2\n"
        "                      ^\n"
        "did you mean number_of_orders?"
    )


def test_errors_on_later_lines_count_lines_and_columns():
    error = refused("number_of_orders > 0\nAND city = 'Nantes'\n  AND gendre = 'female'")
    assert (error.line, error.column) == (3, 7)
    assert error.suggestion == "gender"
    assert error.caret == "  AND gendre = 'female'\n      ^"


@pytest.mark.parametrize(
    "query, line, column, words, suggestion",
    [
        ("", 1, 1, "empty", None),
        ("city = 'Nantes", 1, 8, "not closed", None),
        ('city = "Nantes"', 1, 8, "single quotes", None),
        ("city = Nantes", 1, 8, "expected a value", "'Nantes' (text goes between single quotes)"),
        ("city CONTAIN 'x'", 1, 6, "expected an operator", "CONTAINS"),
        ("city = 'x' ANDD age > 3", 1, 12, "expected AND, OR", "AND"),
        ("(city = 'x'", 1, 12, "')'", None),
        ("number_of_orders > 'two'", 1, 20, "whole number", None),
        ("city = 3", 1, 8, "text between single quotes", "'3'"),
        ("number_of_orders CONTAINS 3", 1, 18, "takes the operators", None),
        ("last_order_date < 90", 1, 19, "a date", None),
        ("last_order_date < 2026-02-30", 1, 19, "not a calendar date", None),
        ("email_subscription_status = 'subscribed'", 1, 29, "not a value", "'SUBSCRIBED'"),
        ("rfm_group = 'champion'", 1, 13, "not a value", "'champions'"),
        ("products_purchased(categry: 'x') = true", 1, 20, "no argument", "category"),
        ("products_purchased(since: -9d) = true", 1, 1, "exactly one of", None),
        ("products_purchased(sku: 'a', vendor: 'b') = true", 1, 1, "exactly one of", None),
        ("anniversary BETWEEN today AND +7d", 1, 1, "needs the argument date", None),
        ("anniversary(date: 'birthday') = today", 1, 19, "not a value", "'birth_date'"),
        ("customer_within_distance(latitude: 47, longitude: 2) = true", 1, 1, "km", None),
        (
            "customer_within_distance(latitude: 91, longitude: 2, km: 3) = true",
            1,
            36,
            "between -90 and 90",
            None,
        ),
        ("city(since: -1d) = 'x'", 1, 1, "takes no arguments", None),
        ("orders_placed(since: -1d, since: -2d) > 1", 1, 27, "twice", None),
        ("AND city = 'x'", 1, 1, "expected a condition", None),
        ("city = 'x' @", 1, 12, "unexpected character", None),
        ("last_order_date < 90d", 1, 19, "carries its sign", None),
    ],
)
def test_errors(query, line, column, words, suggestion):
    error = refused(query)
    assert (error.line, error.column) == (line, column), str(error)
    assert words in error.message, str(error)
    assert error.suggestion == suggestion
    assert error.as_dict()["line"] == line
    # Every reason is one of the catalogue's templates (the admin translates those).
    assert error.reason.template in messages.ALL
    assert error.as_dict()["code"] == error.code == error.reason.template.code


def test_a_suggestion_that_is_a_sentence_keeps_the_text_to_put_in_the_query():
    error = refused("city = Nantes")
    assert error.hint is not None and error.hint.template is messages.QUOTE_THE_TEXT
    assert error.replacement == "'Nantes'"
    plain = refused("gendr = 'female'")
    assert plain.hint is None and plain.replacement == plain.suggestion == "gender"


def test_an_error_is_made_from_a_template_only():
    with pytest.raises(TypeError):
        SegmentQueryError("unknown attribute x")


def test_every_catalogue_example_is_valid():
    for attribute in catalog.ATTRIBUTES:
        parse_and_check(attribute.example)
    parse_and_check(catalog.DECLARED.example)
    names = [entry["name"] for entry in catalog.catalog_json()]
    assert "number_of_orders" in names and "attributes.<key>" in names


@pytest.mark.parametrize(
    "query, relative",
    [
        ("number_of_orders > 0", False),
        ("last_order_date < 2026-01-01", False),
        ("last_order_date < -90d", True),
        ("customer_added_date = today", True),
        ("age > 30", True),
        ("anniversary(date: 'birth_date') = 2027-01-01", True),
        ("products_purchased(category: 'x', since: -90d) = true", True),
        ("products_purchased(category: 'x') = true", False),
        ("rfm_group = 'loyal'", True),
        ("abandoned_checkout_value > 3", True),
    ],
)
def test_time_relative_segments_are_flagged(query, relative):
    assert is_time_relative(parse_and_check(query)) is relative

"""Bulk results put back together (children before or after their parents), and the mapping
of Shopify objects to records (ids, money, consent, status, channel, bad input)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.shopify import bulk, mapping
from connectors.shopify.graphql import GraphQLClient
from connectors.shopify.streams import STREAMS

SHOP = "bulk-test.myshopify.com"


def write_jsonl(tmp_path, objects) -> str:
    path = tmp_path / "result.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in objects))
    return str(path)


def test_reassemble_attaches_children_whatever_the_order(tmp_path):
    lines = [
        {"id": "gid://shopify/LineItem/2", "__parentId": "gid://shopify/Order/1"},
        {"id": "gid://shopify/Order/1"},
        {"id": "gid://shopify/LineItem/3", "__parentId": "gid://shopify/Order/1"},
        {"id": "gid://shopify/Order/4"},
        {"id": "gid://shopify/LineItem/5", "__parentId": "gid://shopify/Order/4"},
    ]
    path = write_jsonl(tmp_path, lines)
    orders = bulk.reassemble(bulk.read(path), "lineItems")
    assert [o["id"] for o in orders] == ["gid://shopify/Order/1", "gid://shopify/Order/4"]
    assert [c["id"][-1] for c in orders[0]["lineItems"]["nodes"]] == ["2", "3"]
    assert [c["id"][-1] for c in orders[1]["lineItems"]["nodes"]] == ["5"]
    assert [p["id"] for p in bulk.parents(path)] == [o["id"] for o in orders]
    assert [c["__parentId"][-1] for c in bulk.children(path)] == ["1", "1", "4"]


@pytest.mark.parametrize("grouped", [False, True])
def test_bulk_query_on_the_emulator_round_trips(shopify_emulator, tmp_path, grouped):
    shopify_emulator.seed(SHOP, customers=10, orders=30, products=4, checkouts=0)
    tokens = shopify_emulator.issue_tokens(SHOP)
    client = GraphQLClient(
        SHOP, lambda force: tokens["access_token"], base_url=shopify_emulator.shop_base_url
    )
    query = STREAMS["orders"].bulk_query
    if grouped:  # Shopify's former default, still asked for by some apps
        operation_id = client.execute(
            "mutation($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: true) "
            "{ bulkOperation { id } userErrors { message } } }",
            {"q": query},
        )["bulkOperationRunQuery"]["bulkOperation"]["id"]
        operation = bulk.wait(client, operation_id)
        path = bulk.download(client, operation.url, str(tmp_path))
    else:
        operation, path = bulk.run(client, query, directory=str(tmp_path))
    orders = bulk.reassemble(bulk.read(path), "lineItems")
    data = shopify_emulator.data[SHOP]["orders"]
    assert operation.root_object_count == len(orders) == 30
    assert operation.object_count == 30 + sum(len(o["lineItems"]) for o in data.values())
    for order in orders:
        stored = data[int(order["id"].rsplit("/", 1)[1])]
        assert [n["id"] for n in order["lineItems"]["nodes"]] == [
            line["id"] for line in stored["lineItems"]
        ]
        assert order["totalPriceSet"] == {"shopMoney": stored["totalPriceSet"]["shopMoney"]}


def test_a_refused_bulk_query_says_why(shopify_emulator):
    shopify_emulator.add_shop(SHOP)
    tokens = shopify_emulator.issue_tokens(SHOP)
    client = GraphQLClient(
        SHOP, lambda force: tokens["access_token"], base_url=shopify_emulator.shop_base_url
    )
    with pytest.raises(bulk.BulkOperationError, match="doesn't exist on type 'Order'"):
        bulk.start(client, "{ orders { edges { node { id cocoaContent } } } }")


CUSTOMER = {
    "id": "gid://shopify/Customer/7001",
    "firstName": "Anaïs",
    "lastName": "Bouvier",
    "locale": "fr-FR",
    "tags": ["vip", "b2b"],
    "state": "ENABLED",
    "createdAt": "2025-03-01T10:00:00Z",
    "updatedAt": "2026-02-01T09:30:00Z",
    "defaultEmailAddress": {
        "emailAddress": "anais@example.fr",
        "marketingState": "SUBSCRIBED",
        "marketingOptInLevel": "CONFIRMED_OPT_IN",
        "marketingUpdatedAt": "2025-03-02T08:00:00Z",
    },
    "defaultPhoneNumber": {
        "phoneNumber": "+33611223344",
        "marketingState": "PENDING",
        "marketingUpdatedAt": None,
    },
    "defaultAddress": {
        "city": "Nantes",
        "province": "Pays de la Loire",
        "provinceCode": "PDL",
        "zip": "44000",
        "countryCodeV2": "FR",
        "company": "Cacao SAS",
        "latitude": 47.2,
        "longitude": -1.55,
    },
}


def test_customer_mapping_keeps_shopify_meaning():
    record = mapping.customer(CUSTOMER)
    assert record.external_id == "7001"
    assert (record.email, record.first_name, record.language) == ("anais@example.fr", "Anaïs", "fr")
    assert record.email_subscription_status == "SUBSCRIBED"
    assert record.email_consent_at == datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
    assert record.email_consent_source == "confirmed_opt_in"
    assert record.sms_subscription_status == "NOT_SUBSCRIBED"  # PENDING is not consent
    assert (record.city, record.region, record.postal_code, record.country, record.company) == (
        "Nantes",
        "Pays de la Loire",
        "44000",
        "FR",
        "Cacao SAS",
    )
    assert record.tags == ["vip", "b2b"] and record.updated_at.year == 2026


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("SUBSCRIBED", "SUBSCRIBED"),
        ("UNSUBSCRIBED", "UNSUBSCRIBED"),
        ("PENDING", "NOT_SUBSCRIBED"),
        ("INVALID", "NOT_SUBSCRIBED"),
        ("NOT_SUBSCRIBED", "NOT_SUBSCRIBED"),
        (None, "NOT_SUBSCRIBED"),
    ],
)
def test_email_marketing_states(state, expected):
    node = {
        **CUSTOMER,
        "defaultEmailAddress": {**CUSTOMER["defaultEmailAddress"], "marketingState": state},
    }
    assert mapping.customer(node).email_subscription_status == expected


def order_node(**changes) -> dict:
    node = {
        "id": "gid://shopify/Order/5001",
        "email": "anais@example.fr",
        "createdAt": "2026-01-05T12:00:00Z",
        "updatedAt": "2026-01-06T12:00:00Z",
        "cancelledAt": None,
        "displayFinancialStatus": "PAID",
        "currencyCode": "EUR",
        "sourceName": "web",
        "discountCodes": ["NOEL"],
        "totalPriceSet": {
            "shopMoney": {"amount": "42.50", "currencyCode": "EUR"},
            "presentmentMoney": {"amount": "45.10", "currencyCode": "CHF"},
        },
        "customer": {"id": "gid://shopify/Customer/7001"},
        "billingAddress": None,
        "lineItems": {
            "nodes": [
                {
                    "id": "gid://shopify/LineItem/9",
                    "title": "Tablette noire 70%",
                    "sku": "TN70",
                    "vendor": "Cible",
                    "quantity": 2,
                    "originalUnitPriceSet": {
                        "shopMoney": {"amount": "21.25", "currencyCode": "EUR"}
                    },
                    "product": {"id": "gid://shopify/Product/3", "productType": "Dark chocolate"},
                    "variant": {"id": "gid://shopify/ProductVariant/4"},
                }
            ]
        },
    }
    node.update(changes)
    return node


def test_order_mapping_uses_shop_money_and_numeric_ids():
    record = mapping.order(order_node())
    assert (record.external_id, record.customer_external_id) == ("5001", "7001")
    assert (record.total, record.currency) == (Decimal("42.50"), "EUR")
    assert (record.status, record.channel, record.discount_code) == ("paid", "online", "NOEL")
    [line] = record.lines
    assert (line.line_key, line.order_external_id, line.product_external_id) == ("9", "5001", "3")
    assert (line.unit_price, line.quantity, line.category) == (
        Decimal("21.25"),
        2,
        "Dark chocolate",
    )
    bulk_line = mapping.line_item(
        {**order_node()["lineItems"]["nodes"][0], "__parentId": "gid://shopify/Order/5001"}
    )
    assert bulk_line == line
    assert mapping.order({k: v for k, v in order_node().items() if k != "lineItems"}).lines is None


@pytest.mark.parametrize(
    ("financial", "cancelled", "expected"),
    [
        ("PAID", None, "paid"),
        ("PARTIALLY_REFUNDED", None, "paid"),
        ("REFUNDED", None, "refunded"),
        ("PENDING", None, "pending"),
        ("AUTHORIZED", None, "pending"),
        ("VOIDED", None, "cancelled"),
        ("PAID", "2026-01-07T00:00:00Z", "cancelled"),
    ],
)
def test_order_status(financial, cancelled, expected):
    node = order_node(displayFinancialStatus=financial, cancelledAt=cancelled)
    assert mapping.order(node).status == expected


@pytest.mark.parametrize(
    ("source", "channel"),
    [("pos", "store"), ("iphone", "mobile"), ("web", "online"), (None, "online")],
)
def test_order_channel(source, channel):
    assert mapping.order(order_node(sourceName=source)).channel == channel


def test_unmappable_objects_are_refused_with_the_reason():
    with pytest.raises(mapping.MappingError, match="order 'gid://shopify/Order/x'"):
        mapping.order(order_node(id="gid://shopify/Order/x"))
    with pytest.raises(mapping.MappingError, match="createdAt"):
        mapping.order(order_node(createdAt="yesterday"))
    with pytest.raises(mapping.MappingError, match="totalPriceSet"):
        mapping.order(order_node(totalPriceSet={"shopMoney": {"amount": "lots"}}))


def test_product_and_checkout_mapping():
    product = mapping.product(
        {
            "id": "gid://shopify/Product/3",
            "title": "Tablette",
            "handle": "tablette",
            "vendor": "Cible",
            "productType": "Dark chocolate",
            "status": "ACTIVE",
            "tags": ["bio"],
            "createdAt": "2025-01-01T00:00:00Z",
            "updatedAt": "2025-02-01T00:00:00Z",
            "onlineStoreUrl": "https://shop.example/products/tablette",
            "featuredMedia": {"preview": {"image": {"url": "https://cdn.example/t.jpg"}}},
            "variants": {
                "nodes": [{"id": "gid://shopify/ProductVariant/4", "sku": "TN70", "price": "5.90"}]
            },
        }
    )
    assert (product.external_id, product.sku, product.price, product.status) == (
        "3",
        "TN70",
        Decimal("5.90"),
        "active",
    )
    assert product.image_url == "https://cdn.example/t.jpg" and product.category == "Dark chocolate"
    cart = mapping.abandoned_checkout(
        {
            "id": "gid://shopify/AbandonedCheckout/77",
            "abandonedCheckoutUrl": "https://r.example/77",
            "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:30:00Z",
            "completedAt": None,
            "totalPriceSet": {"shopMoney": {"amount": "11.80", "currencyCode": "EUR"}},
            "customer": {
                "id": "gid://shopify/Customer/7001",
                "defaultEmailAddress": {"emailAddress": "anais@example.fr"},
            },
            "lineItems": {
                "nodes": [
                    {
                        "id": "gid://shopify/AbandonedCheckoutLineItem/1",
                        "title": "Tablette",
                        "sku": "TN70",
                        "quantity": 2,
                        "originalUnitPriceSet": {"shopMoney": {"amount": "5.90"}},
                        "product": {"id": "gid://shopify/Product/3"},
                    }
                ]
            },
        }
    )
    assert (cart.external_id, cart.customer_external_id, cart.email) == (
        "77",
        "7001",
        "anais@example.fr",
    )
    assert cart.value == Decimal("11.80") and cart.items[0].quantity == 2
    assert cart.recovery_url == "https://r.example/77"


def test_gid_numbers_match_rest_webhook_ids(shopify_emulator):
    shopify_emulator.seed(SHOP, customers=3, orders=5, products=2, checkouts=2)
    for resource, to_record in (
        ("customers", mapping.customer),
        ("products", mapping.product),
        ("checkouts", mapping.abandoned_checkout),
    ):
        for number in shopify_emulator.data[SHOP][resource]:
            rest = shopify_emulator.rest_payload(SHOP, resource, number)
            node = shopify_emulator.data[SHOP][resource][number]
            assert to_record(node).external_id == str(rest["id"])
    for number, node in shopify_emulator.data[SHOP]["orders"].items():
        rest = shopify_emulator.rest_payload(SHOP, "orders", number)
        record = mapping.order(node)
        assert record.external_id == str(rest["id"])
        assert [line.line_key for line in record.lines] == [
            str(li["id"]) for li in rest["line_items"]
        ]

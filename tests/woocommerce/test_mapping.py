"""WooCommerce's own documentation examples (/work/shared/fixtures/woocommerce) mapped to
neutral records, and what the mapping refuses."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.woocommerce import (
    customer_from_payload,
    order_from_payload,
    product_from_payload,
)
from connectors.woocommerce.auth import authorize_url, parse_key_delivery
from connectors.woocommerce.schemas import MappingError, cart_from_push
from connectors.woocommerce.webhooks import signature_of, verify_signature

FIXTURES = Path("/work/shared/fixtures/woocommerce")
pytestmark = pytest.mark.skipif(not FIXTURES.exists(), reason="documentation fixtures missing")


def fixture(name: str):
    return json.loads((FIXTURES / f"{name}--response.json").read_text())


def test_documented_customer():
    record = customer_from_payload(fixture("customers--retrieve-a-customer"))
    assert record.external_id == "25"
    assert record.email == "john.doe@example.com"
    assert (record.first_name, record.last_name) == ("John", "Doe")
    assert (record.city, record.region, record.postal_code, record.country) == (
        "San Francisco",
        "CA",
        "94103",
        "US",
    )
    assert record.phone == "(555) 555-5555"
    assert record.company is None  # "" in the payload
    # The *_gmt dates, not the store-local ones.
    assert record.created_at == datetime(2017, 3, 21, 19, 9, 28)
    assert record.updated_at == datetime(2017, 3, 21, 19, 9, 30)


def test_documented_guest_order():
    record = order_from_payload(fixture("orders--retrieve-an-order"))
    assert record.external_id == "727"
    assert record.customer_external_id is None  # customer_id 0: a guest
    assert record.email == "john.doe@example.com"  # matched by billing.email at ingest
    assert record.status == "paid"  # processing
    assert record.total == Decimal("29.35") and record.currency == "USD"
    assert record.created_at == datetime(2017, 3, 22, 19, 28, 2)
    assert record.updated_at == datetime(2017, 3, 22, 19, 28, 8)
    assert [
        (line.line_key, line.product_external_id, line.quantity, line.unit_price, line.sku)
        for line in record.lines
    ] == [
        ("315", "93", 2, Decimal("3.00"), None),
        ("316", "22", 1, Decimal("12.00"), "Bar3"),
    ]
    # Names come HTML-escaped from WooCommerce.
    assert record.lines[1].title == "Ship Your Idea – Color: Black, Size: M Test"


def test_documented_product():
    record = product_from_payload(fixture("products--retrieve-a-product"))
    assert record.external_id == "794" and record.title == "Premium Quality"
    assert record.price == Decimal("21.99") and record.category == "Clothing"
    assert record.sku is None and record.status == "publish"
    assert record.url == "https://example.com/product/premium-quality-19/"
    assert record.image_url.endswith(".jpg")


@pytest.mark.parametrize(
    "name, mapper",
    [
        ("customers--list-all-customers", customer_from_payload),
        ("orders--list-all-orders", order_from_payload),
        ("products--list-all-products", product_from_payload),
        ("orders--batch-update-orders", order_from_payload),
        ("customers--batch-update-customers", customer_from_payload),
        ("products--batch-update-products", product_from_payload),
    ],
)
def test_every_documented_example_maps(name, mapper):
    payload = fixture(name)
    items = (
        payload
        if isinstance(payload, list)
        else [
            item
            for group in ("create", "update")
            for item in payload.get(group, [])
            if "id" in item and "code" not in item
        ]
    )
    assert items
    for item in items:
        record = mapper(item)
        assert record.external_id == str(item["id"])


def test_order_statuses_map_and_unknown_is_refused():
    base = fixture("orders--retrieve-an-order")
    expected = {
        "completed": "paid",
        "on-hold": "pending",
        "failed": "cancelled",
        "refunded": "refunded",
        "checkout-draft": "cancelled",
    }
    for given, wanted in expected.items():
        assert order_from_payload({**base, "status": given}).status == wanted
    with pytest.raises(MappingError, match="unknown order status"):
        order_from_payload({**base, "status": "shipped-to-mars"})
    with pytest.raises(MappingError, match="date_created_gmt"):
        order_from_payload({**base, "date_created_gmt": "yesterday"})
    with pytest.raises(MappingError):
        order_from_payload({**base, "line_items": [{"id": 1, "quantity": "two"}]})
    with pytest.raises(MappingError):
        customer_from_payload(["not", "an", "object"])


def test_registered_order_keeps_its_customer_and_coupon():
    base = fixture("orders--retrieve-an-order")
    record = order_from_payload(
        {**base, "customer_id": 25, "coupon_lines": [{"id": 1, "code": "noel"}]}
    )
    assert record.customer_external_id == "25" and record.discount_code == "noel"


def test_cart_push_maps_to_a_cart():
    cart = cart_from_push(
        {
            "topic": "cible.cart",
            "event": "add_to_cart",
            "event_id": "e1",
            "occurred_at": 1_800_000_000,
            "cart": {
                "id": "abc",
                "customer_id": 0,
                "email": "a@b.fr",
                "currency": "EUR",
                "total": "12.90",
                "items": [
                    {"product_id": 9, "name": "Noir &amp; sel", "quantity": 1, "price": "12.90"}
                ],
                "order_id": 0,
                "started_at": 1_799_999_000,
            },
        }
    )
    assert cart.external_id == "wc:abc" and cart.customer_external_id is None
    assert cart.value == Decimal("12.90") and cart.items[0].title == "Noir & sel"
    assert cart.updated_at == datetime(2027, 1, 15, 8, 0) and cart.completed_at is None


def test_webhook_signature_is_base64_hmac_sha256_of_the_raw_body():
    body = b'{"id":1}'
    # As WooCommerce computes it: base64_encode(hash_hmac("sha256", $body, $secret, true)),
    # value taken from php -r.
    assert signature_of(body, "secret") == "A971iWIMgT8Zj9A9eWfikrFj7wQ16/Qwcc4OlRl2PLc="
    assert verify_signature(body, "secret", signature_of(body, "secret"))
    assert not verify_signature(body + b" ", "secret", signature_of(body, "secret"))
    assert not verify_signature(body, "secret", None)


def test_authorize_url_and_key_delivery():
    url = authorize_url(
        "shop.example/", user_id="n1", return_url="https://c/r", callback_url="https://c/cb"
    )
    assert url.startswith("https://shop.example/wc-auth/v1/authorize?app_name=Cible&scope=")
    assert "scope=read_write" in url and "user_id=n1" in url
    keys = parse_key_delivery(
        {
            "key_id": 1,
            "user_id": 7,
            "consumer_key": "ck_" + "a" * 40,
            "consumer_secret": "cs_" + "b" * 40,
            "key_permissions": "read_write",
        }
    )
    assert keys.user_id == "7" and keys.key_permissions == "read_write"

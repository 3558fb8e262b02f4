"""The issue's end-to-end sync: a shop installed by token exchange on the emulator, 20,000
customers and 60,000 orders backfilled over real HTTP with bulk operations, a token that
expires mid-sync, and the store equal to the emulator's data: counts, every customer and
order field by field, a sample of lines, and the customers' statistics."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from connectors.shopify import oauth
from sync import shopify_app
from sync.shopify_sync import run_backfill
from sync.store import Customer, Order, OrderLine, Product, session_factory
from tests.scale import CUSTOMERS, ORDERS

DOMAIN = "grande-chocolaterie.myshopify.com"


def naive(stamp: str | None) -> datetime | None:
    return None if stamp is None else datetime.fromisoformat(stamp.replace("Z", ""))


def number(gid: str | None) -> str | None:
    return None if gid is None else gid.rsplit("/", 1)[1]


def expected_status(order: dict) -> str:
    if order["cancelledAt"]:
        return "cancelled"
    return {"REFUNDED": "refunded", "PAID": "paid", "PARTIALLY_REFUNDED": "paid"}.get(
        order["displayFinancialStatus"], "pending"
    )


def test_install_backfill_and_store_equals_emulator(db, shopify_settings, shopify_emulator):
    emulator = shopify_emulator
    emulator.add_shop(DOMAIN)
    emulator.seed(
        DOMAIN, customers=CUSTOMERS, orders=ORDERS, products=150, checkouts=300, shared=True
    )
    data = emulator.data[DOMAIN]

    # Install: the admin's ID token exchanged for an expiring offline token (S2's flow).
    tokens = oauth.exchange_id_token(
        shopify_settings.shopify_shop_url(DOMAIN),
        api_key=shopify_settings.shopify_api_key,
        api_secret=shopify_settings.shopify_api_secret,
        id_token=emulator.mint_id_token(DOMAIN),
    )
    shop, _ = shopify_app.install(db, shopify_settings, DOMAIN, tokens, via="token_exchange")
    db.commit()

    # The token expires after the third GraphQL call: the sync refreshes it and goes on.
    emulator.expire_tokens_after(DOMAIN, 3)
    outcome = run_backfill(
        shopify_settings, session_factory(shopify_settings.database_url), shop.id
    )
    assert outcome.ok, outcome.as_dict()
    refused = [r for r in emulator.requests_to("graphql", DOMAIN) if r["status"] == 401]
    assert len(refused) == 1
    # No bulk operation was started twice (the refused request was retried, not skipped).
    assert len(emulator.shops[DOMAIN].bulk_operations) == 4

    # Customers: every one, field by field, and their statistics from their orders.
    counted: dict[str, list] = {}
    for order in data["orders"].values():
        if order["customer"] and expected_status(order) not in ("cancelled", "refunded"):
            tally = counted.setdefault(number(order["customer"]["id"]), [0, Decimal(0)])
            tally[0] += 1
            tally[1] += Decimal(order["totalPriceSet"]["shopMoney"]["amount"])
    stored = {
        row.external_id: row
        for row in db.scalars(
            select(Customer).where(Customer.shop_id == shop.id, Customer.is_guest.is_(False))
        )
    }
    assert len(stored) == CUSTOMERS
    for customer in data["customers"].values():
        row = stored[number(customer["id"])]
        email = customer["defaultEmailAddress"]
        address = customer["defaultAddress"]
        state = (
            email["marketingState"]
            if email["marketingState"] in ("SUBSCRIBED", "UNSUBSCRIBED")
            else "NOT_SUBSCRIBED"
        )
        assert (
            row.email,
            row.first_name,
            row.last_name,
            row.city,
            row.region,
            row.postal_code,
            row.country,
            row.email_subscription_status,
            sorted(row.tags),
            row.created_at,
            row.updated_at,
            row.phone,
        ) == (
            email["emailAddress"],
            customer["firstName"],
            customer["lastName"],
            address["city"],
            address["province"],
            address["zip"],
            address["countryCodeV2"],
            state,
            customer["tags"],
            naive(customer["createdAt"]),
            naive(customer["updatedAt"]),
            (customer["defaultPhoneNumber"] or {}).get("phoneNumber"),
        )
        count, spent = counted.get(row.external_id, (0, Decimal(0)))
        assert (row.orders_count, row.total_spent) == (count, spent), row.external_id

    # Orders: every one, field by field.
    orders = {
        row.external_id: row
        for row in db.execute(
            select(
                Order.external_id,
                Order.customer_external_id,
                Order.email,
                Order.status,
                Order.total,
                Order.currency,
                Order.channel,
                Order.created_at,
                Order.updated_at,
                Order.discount_code,
            ).where(Order.shop_id == shop.id)
        )
    }
    assert len(orders) == ORDERS
    for order in data["orders"].values():
        row = orders[number(order["id"])]
        assert tuple(row[1:]) == (
            number((order["customer"] or {}).get("id")),
            order["email"],
            expected_status(order),
            Decimal(order["totalPriceSet"]["shopMoney"]["amount"]),
            "EUR",
            {"pos": "store", "iphone": "mobile", "android": "mobile"}.get(
                order["sourceName"], "online"
            ),
            naive(order["createdAt"]),
            naive(order["updatedAt"]),
            (order["discountCodes"] or [None])[0],
        ), order["id"]

    # Lines: the count, and a sample field by field.
    expected_lines = {
        (number(order["id"]), number(line["id"])): line
        for order in data["orders"].values()
        for line in order["lineItems"]
    }
    lines = {
        (row.order_external_id, row.line_key): row
        for row in db.execute(
            select(
                OrderLine.order_external_id,
                OrderLine.line_key,
                OrderLine.sku,
                OrderLine.quantity,
                OrderLine.unit_price,
                OrderLine.product_external_id,
                OrderLine.category,
                OrderLine.order_id,
            ).where(OrderLine.shop_id == shop.id)
        )
    }
    assert set(lines) == set(expected_lines)
    for key in list(expected_lines)[::97]:
        line, row = expected_lines[key], lines[key]
        assert (row.sku, row.quantity, row.unit_price, row.product_external_id, row.category) == (
            line["sku"],
            line["quantity"],
            Decimal(line["originalUnitPriceSet"]["shopMoney"]["amount"]),
            number(line["product"]["id"]),
            line["product"]["productType"],
        )
        assert row.order_id is not None

    products = db.scalars(select(Product).where(Product.shop_id == shop.id)).all()
    assert {p.external_id for p in products} == {number(p["id"]) for p in data["products"].values()}

"""The mandatory compliance webhooks and app/uninstalled, over real HTTP: each erases what it
must and nothing else."""
# ruff: noqa: F811  (fixtures imported from tests.shopify.appside)

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from sync.shopify_tokens import ShopifyTokenError, access_token
from sync.shops import create_shop
from sync.store import (
    Cart,
    Customer,
    CustomerStatistics,
    Order,
    OrderLine,
    Shop,
    StorefrontEvent,
    Visitor,
    WebhookDelivery,
    utcnow,
)
from tests.shopify.appside import SHOP, app, app_url, installed, sender  # noqa: F401


def _count(db, model, **where) -> int:
    db.expire_all()
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.scalar(query)


def _fill(sender, db, shop, emulator):
    """The shop's data through webhooks, plus a visitor and events for each customer."""
    emulator.seed(SHOP, customers=6, orders=20, products=4, checkouts=6)
    data = emulator.data[SHOP]
    for kind, topic in (
        ("products", "products/create"),
        ("customers", "customers/create"),
        ("orders", "orders/create"),
        ("checkouts", "checkouts/create"),
    ):
        for number in data[kind]:
            assert sender.send(topic, emulator.rest_payload(SHOP, kind, number)).ok
    for customer in db.scalars(select(Customer).where(Customer.shop_id == shop.id)):
        visitor = Visitor(shop_id=shop.id, token=f"v-{customer.id}", customer_id=customer.id)
        db.add(visitor)
        db.flush()
        db.add(StorefrontEvent(shop_id=shop.id, visitor_id=visitor.id, kind="page_view"))
        db.add(StorefrontEvent(shop_id=shop.id, customer_id=customer.id, kind="click"))
    db.commit()
    return data


def _customer_with_orders(db, shop) -> Customer:
    db.expire_all()
    return db.scalar(
        select(Customer)
        .join(Customer.statistics)
        .where(Customer.shop_id == shop.id, CustomerStatistics.orders_count > 0)
        .order_by(Customer.external_id)
    )


def _snapshot(db, shop, leave_out: int) -> dict:
    """Every row of the shop that is not the customer's, to prove nothing else changed."""
    db.expire_all()
    others = select(Customer).where(Customer.shop_id == shop.id, Customer.id != leave_out)
    return {
        "customers": sorted(
            (c.external_id, c.email, c.first_name, c.orders_count) for c in db.scalars(others)
        ),
        "orders": sorted(
            (o.external_id, o.email, o.customer_external_id, str(o.total))
            for o in db.scalars(select(Order).where(Order.customer_id != leave_out))
        ),
        "visitors": _count(db, Visitor) - _count(db, Visitor, customer_id=leave_out),
    }


def test_data_request_exports_the_customers_data(
    sender, installed, db, shopify_emulator, cli_runner
):
    _fill(sender, db, installed, shopify_emulator)
    customer = _customer_with_orders(db, installed)
    orders = db.scalars(select(Order.external_id).where(Order.customer_id == customer.id)).all()
    request = {
        "shop_id": 1,
        "shop_domain": SHOP,
        "orders_requested": [int(o) for o in orders],
        "customer": {"id": int(customer.external_id), "email": customer.email, "phone": None},
        "data_request": {"id": 9999},
    }
    assert sender.send("customers/data_request", request).ok
    listed = cli_runner("privacy", "requests", SHOP)
    assert listed.exit_code == 0, listed.output
    name = f"data-request-9999-customer-{customer.external_id}"
    assert name in listed.output
    printed = cli_runner("privacy", "export", SHOP, name)
    export = json.loads(printed.output)
    assert [c["external_id"] for c in export["customers"]] == [customer.external_id]
    assert export["customers"][0]["email"] == customer.email
    assert sorted(o["external_id"] for o in export["orders"]) == sorted(orders)
    assert all(o["lines"] for o in export["orders"])
    assert len(export["storefront_visitors"]) == 1 and len(export["storefront_events"]) == 2
    assert "token" not in export["storefront_visitors"][0]


def test_customer_redact_erases_that_customer_only(sender, installed, db, shopify_emulator):
    _fill(sender, db, installed, shopify_emulator)
    customer = _customer_with_orders(db, installed)
    customer_id, external, email = customer.id, customer.external_id, customer.email
    orders = db.scalars(select(Order.id).where(Order.customer_id == customer_id)).all()
    lines_before = _count(db, OrderLine)
    before = _snapshot(db, installed, customer_id)
    carts_of_others = _count(db, Cart) - _count(db, Cart, customer_external_id=external)
    request = {
        "shop_id": 1,
        "shop_domain": SHOP,
        "customer": {"id": int(external), "email": email, "phone": None},
        "orders_to_redact": [],
    }
    assert sender.send("customers/redact", request).ok
    db.expire_all()
    assert _count(db, Customer, external_id=external) == 0
    kept = db.scalars(select(Order).where(Order.id.in_(orders))).all()
    assert len(kept) == len(orders)  # orders kept for the shop's figures, anonymised
    assert all(o.email is None and o.customer_external_id is None for o in kept)
    assert all(o.customer_id is None for o in kept)
    assert _count(db, OrderLine) == lines_before
    assert _count(db, Cart, customer_external_id=external) == 0
    assert _count(db, Cart) == carts_of_others
    assert _count(db, Visitor, customer_id=customer_id) == 0
    assert _count(db, StorefrontEvent, customer_id=customer_id) == 0
    assert _count(db, StorefrontEvent) == 2 * (_count(db, Customer))
    after = _snapshot(db, installed, customer_id)
    assert after == before
    # No recorded webhook body still names the customer; the request keeps only ids.
    for delivery in db.scalars(select(WebhookDelivery)):
        assert email.encode() not in bytes(delivery.body)
    redact = db.scalar(select(WebhookDelivery).where(WebhookDelivery.topic == "customers/redact"))
    assert json.loads(redact.body)["customer"] == {"id": int(external)}


def test_uninstall_then_shop_redact_erases_the_shop_and_nothing_else(
    sender, installed, db, shopify_emulator, shopify_settings
):
    shop_id = installed.id
    other = create_shop(db, platform="csv", domain="voisin.example.fr")
    db.add(Customer(shop_id=other.id, external_id="c1", tags=[], attributes={}))
    db.commit()
    other_id = other.id
    _fill(sender, db, installed, shopify_emulator)
    customers = _count(db, Customer, shop_id=shop_id)
    # shop/redact for a shop still installed erases nothing.
    redact = {"shop_id": 1, "shop_domain": SHOP}
    assert sender.send("shop/redact", redact).ok
    assert _count(db, Customer, shop_id=shop_id) == customers
    assert sender.send("app/uninstalled", {"id": 1, "domain": SHOP}).ok
    db.expire_all()
    shop = db.get(Shop, shop_id)
    assert shop.uninstalled_at is not None and shop.credentials is None
    assert "redact_after" in shop.settings["shopify"]
    with pytest.raises(ShopifyTokenError):
        access_token(db, shop, shopify_settings)
    assert _count(db, Customer, shop_id=shop_id) == customers  # kept for 48 hours
    assert sender.send("shop/redact", redact).ok
    db.expire_all()
    assert db.get(Shop, shop_id) is None
    for model in (Customer, Order, OrderLine, Cart, Visitor, StorefrontEvent, WebhookDelivery):
        assert _count(db, model, shop_id=shop_id) == 0
    assert db.get(Shop, other_id) is not None
    assert _count(db, Customer, shop_id=other_id) == 1
    # Shopify may send it again: the shop is gone, the answer is still 200.
    assert sender.send("shop/redact", redact).status_code == 200


def test_reinstall_after_uninstall_revives_the_shop(
    app_url, sender, installed, db, shopify_emulator
):
    from tests.emulators.shopify.senders import install_url, signed_install_query

    assert sender.send("app/uninstalled", {"id": 1, "domain": SHOP}).ok
    query = signed_install_query(
        SHOP, shopify_emulator.api_secret, embedded=1, id_token=shopify_emulator.mint_id_token(SHOP)
    )
    import requests

    assert requests.get(install_url(app_url, query), allow_redirects=False).status_code == 302
    db.expire_all()
    shop = db.get(Shop, installed.id)
    assert shop.uninstalled_at is None and shop.credentials
    assert "redact_after" not in shop.settings["shopify"]
    assert shop.installed_at <= utcnow()

"""Fixtures for the PrestaShop tests: the Webservice emulator, a connected shop, a form client."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import requests
from sqlalchemy import func, select

from sync.store import Cart, Customer, Order, OrderLine, Product
from tests.emulators.prestashop import COUNTRIES, DEFAULT_KEY, PrestaShopEmulator

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def emulator():
    """A small PrestaShop shop (Europe/Paris) served on a free port."""
    shop = PrestaShopEmulator()
    shop.seed(customers=60, orders=200, carts=40, products=20, same_second_batch=12)
    shop.start()
    yield shop
    shop.stop()


def connect_form(base_url: str, shop_url: str, key: str = DEFAULT_KEY, **fields):
    """Fill and send the connect form like a browser: GET (token), then POST."""
    browser = requests.Session()
    page = browser.get(f"{base_url}/install/prestashop", timeout=30)
    page.raise_for_status()
    token = CSRF.search(page.text).group(1)
    data = {"csrf_token": token, "shop_url": shop_url, "webservice_key": key, **fields}
    return browser.post(f"{base_url}/install/prestashop", data=data, timeout=300)


def expected_status(order: dict) -> str:
    """What the order's state means for statistics (independent of the connector's code)."""
    if order["current_state"] == "7":
        return "refunded"
    if order["current_state"] in ("6", "8"):
        return "cancelled"
    return "paid" if order["valid"] == "1" else "pending"


def latest_addresses(emulator: PrestaShopEmulator) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for address in emulator.data["addresses"].values():
        owner = address["id_customer"]
        key = (address["date_upd"], address["id"])
        if owner not in latest or key > (latest[owner]["date_upd"], latest[owner]["id"]):
            latest[owner] = address
    return latest


def assert_store_matches(db, shop, emulator: PrestaShopEmulator) -> None:
    """Every customer, order (with lines), product and customer cart of the emulator is in
    the store with the same values; nothing else is. Reads plain rows (fast at 60,000)."""
    data = emulator.data
    stored = {
        row.external_id: row
        for row in db.execute(
            select(Customer.id, Customer.external_id, Customer.email, Customer.first_name,
                   Customer.last_name, Customer.country, Customer.city,
                   Customer.email_subscription_status).where(Customer.shop_id == shop.id)
        )
    }  # fmt: skip
    assert set(stored) == {str(i) for i in data["customers"]}
    addresses = latest_addresses(emulator)
    for cid, raw in data["customers"].items():
        customer = stored[str(cid)]
        assert customer.email == raw["email"].lower()
        assert (customer.first_name, customer.last_name) == (raw["firstname"], raw["lastname"])
        address = addresses.get(str(cid))
        assert customer.country == (COUNTRIES[int(address["id_country"])] if address else None)
        assert customer.city == (address["city"] if address else None)
        subscribed = "SUBSCRIBED" if raw["newsletter"] == "1" else "NOT_SUBSCRIBED"
        assert customer.email_subscription_status == subscribed
    orders = {
        row.external_id: row
        for row in db.execute(
            select(Order.external_id, Order.total, Order.status, Order.customer_external_id,
                   Order.customer_id).where(Order.shop_id == shop.id)
        )
    }  # fmt: skip
    assert set(orders) == {str(i) for i in data["orders"]}
    rows = 0
    for oid, raw in data["orders"].items():
        order = orders[str(oid)]
        assert Decimal(order.total) == Decimal(raw["total_paid_tax_incl"]).quantize(Decimal("0.01"))
        assert order.status == expected_status(raw), oid
        assert order.customer_external_id == raw["id_customer"]
        assert order.customer_id == stored[raw["id_customer"]].id
        rows += len(raw["associations"]["order_rows"])
    lines = db.scalar(
        select(func.count()).select_from(OrderLine).where(OrderLine.shop_id == shop.id)
    )
    assert lines == rows
    products = {
        row.external_id: row
        for row in db.execute(
            select(Product.external_id, Product.title, Product.price).where(
                Product.shop_id == shop.id
            )
        )
    }
    assert set(products) == {str(i) for i in data["products"]}
    for pid, raw in data["products"].items():
        assert products[str(pid)].title == raw["name"][0]["value"]
        assert Decimal(products[str(pid)].price) == Decimal(raw["price"]).quantize(Decimal("0.01"))
    carts = {
        row.external_id: row
        for row in db.execute(
            select(Cart.external_id, Cart.order_external_id, Cart.items_count).where(
                Cart.shop_id == shop.id
            )
        )
    }
    customer_carts = {cid: raw for cid, raw in data["carts"].items() if raw["id_customer"] != "0"}
    assert set(carts) == {str(i) for i in customer_carts}
    ordered = {}
    for oid, raw in sorted(data["orders"].items(), reverse=True):
        ordered[raw["id_cart"]] = str(oid)
    for cart_id, raw in customer_carts.items():
        cart = carts[str(cart_id)]
        assert cart.order_external_id == ordered.get(str(cart_id)), cart_id
        assert cart.items_count == sum(int(r["quantity"]) for r in raw["associations"]["cart_rows"])

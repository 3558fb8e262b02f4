"""Module pushes over real HTTP: signed ones are recorded and ingested; others refused."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from sqlalchemy import func, select

from sync.identity import sign_push
from sync.store import Cart, Customer, Order, Shop, WebhookDelivery
from tests.prestashop.conftest import connect_form


@pytest.fixture
def connected(live_server, db, emulator):
    assert connect_form(live_server, emulator.url).status_code == 200
    return db.scalar(select(Shop).where(Shop.platform == "prestashop"))


def push(live_server, settings, shop, payload, *, public_id=None, secret_shop=None, ts=None,
         raw: bytes | None = None):  # fmt: skip
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = sign_push(settings, secret_shop or shop.public_id, body, ts)
    headers["Content-Type"] = "application/json"
    return requests.post(
        f"{live_server}/webhooks/prestashop/{public_id or shop.public_id}",
        data=body,
        headers=headers,
        timeout=60,
    )


def local(emulator, moment: datetime) -> str:
    return emulator.local(moment)


def deliveries(db) -> int:
    return db.scalar(select(func.count()).select_from(WebhookDelivery))


def cart_payload(emulator, cart_id: int, customer_id: int, at: datetime, event_id: str) -> dict:
    return {
        "event": "actionCartSave",
        "event_id": event_id,
        "sent_at": int(time.time()),
        "cart": {
            "id": str(cart_id),
            "id_customer": str(customer_id),
            "currency": "EUR",
            "date_add": local(emulator, at - timedelta(minutes=5)),
            "date_upd": local(emulator, at),
            "products": [
                {"id_product": "3", "id_product_attribute": "0", "quantity": "2",
                 "price": "12.500000", "name": "Tablette 3", "reference": "CHOC-0003"},
                {"id_product": "4", "id_product_attribute": "0", "quantity": "1",
                 "price": "5.000000", "name": "Tablette 4", "reference": "CHOC-0004"},
            ],
        },
    }  # fmt: skip


def test_a_cart_push_is_applied(live_server, db, settings, emulator, connected):
    now = datetime.now(UTC).replace(microsecond=0)
    response = push(live_server, settings, connected, cart_payload(emulator, 9001, 5, now, "c1"))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "received"
    db.expire_all()
    cart = db.scalar(select(Cart).where(Cart.external_id == "9001"))
    assert cart.value == Decimal("30.00") and cart.items_count == 3
    assert cart.customer_id == db.scalar(select(Customer.id).where(Customer.external_id == "5"))
    assert cart.updated_at == now.replace(tzinfo=None)
    delivery = db.scalar(select(WebhookDelivery))
    assert (delivery.status, delivery.topic) == ("done", "actionCartSave")
    # The same event again: recorded once.
    again = push(live_server, settings, connected, cart_payload(emulator, 9001, 5, now, "c1"))
    assert again.json()["status"] == "duplicate"
    # An older save arriving late does not undo the newer one.
    stale = cart_payload(emulator, 9001, 5, now - timedelta(hours=1), "c0")
    stale["cart"]["products"] = []
    assert push(live_server, settings, connected, stale).status_code == 200
    db.expire_all()
    assert db.scalar(select(Cart.items_count).where(Cart.external_id == "9001")) == 3


def test_an_order_push_reads_the_order_its_buyer_and_its_cart(
    live_server, db, settings, emulator, connected
):
    buyer = emulator.add_customer(email="Acheteuse@Example.org", firstname="Inès")
    cart = emulator.save_cart(int(buyer["id"]), [(3, 2)])
    order = emulator.add_order(int(buyer["id"]), [(3, 2)], cart_id=cart["id"])
    payload = {"event": "actionValidateOrder", "event_id": "o1",
               "order": {"id": str(order["id"]), "id_cart": str(cart["id"])}}  # fmt: skip
    response = push(live_server, settings, connected, payload)
    assert response.status_code == 200, response.text
    db.expire_all()
    stored = db.scalar(select(Order).where(Order.external_id == str(order["id"])))
    assert stored.total == Decimal(order["total_paid_tax_incl"]).quantize(Decimal("0.01"))
    customer = db.scalar(select(Customer).where(Customer.external_id == buyer["id"].__str__()))
    assert customer.email == "acheteuse@example.org" and customer.first_name == "Inès"
    assert stored.customer_id == customer.id and customer.orders_count == 1
    marked = db.scalar(select(Cart).where(Cart.external_id == str(cart["id"])))
    assert marked.order_external_id == str(order["id"])
    assert db.scalar(select(WebhookDelivery.status)) == "done"


def test_an_account_push_reads_the_customer(live_server, db, settings, emulator, connected):
    new = emulator.add_customer(email="compte@example.org")
    emulator.set_address(int(new["id"]), city="Rezé", postcode="44400", id_country="8")
    payload = {"event": "actionCustomerAccountAdd", "event_id": "a1",
               "customer": {"id": str(new["id"])}}  # fmt: skip
    assert push(live_server, settings, connected, payload).status_code == 200
    db.expire_all()
    customer = db.scalar(select(Customer).where(Customer.external_id == str(new["id"])))
    assert (customer.email, customer.city, customer.country) == ("compte@example.org", "Rezé", "FR")


def test_an_order_not_yet_visible_fails_and_stays_for_a_retry(
    live_server, db, settings, emulator, connected
):
    payload = {"event": "actionValidateOrder", "event_id": "o404", "order": {"id": "987654"}}
    assert push(live_server, settings, connected, payload).status_code == 200
    db.expire_all()
    delivery = db.scalar(select(WebhookDelivery))
    assert delivery.status == "failed" and "not (yet) visible" in delivery.last_error


@pytest.mark.parametrize("case", ["wrong_secret", "stale", "unsigned", "wrong_shop_secret"])
def test_a_bad_signature_is_refused_and_nothing_stored(
    live_server, db, settings, emulator, connected, case
):
    now = datetime.now(UTC)
    payload = cart_payload(emulator, 9100, 5, now, "bad")
    body = json.dumps(payload).encode()
    if case == "unsigned":
        response = requests.post(
            f"{live_server}/webhooks/prestashop/{connected.public_id}", data=body, timeout=30
        )
    elif case == "stale":
        response = push(live_server, settings, connected, payload, ts=int(time.time()) - 3600)
    elif case == "wrong_shop_secret":
        response = push(live_server, settings, connected, payload, secret_shop="another-shop-id")
    else:
        from dataclasses import replace

        other = replace(settings, secret_key="another-server-secret-key-0123456789-abcdef")
        response = push(live_server, other, connected, payload)
    assert response.status_code == 401
    assert "signature" in response.json()["message"]
    assert deliveries(db) == 0
    assert db.scalar(select(func.count()).select_from(Cart).where(Cart.external_id == "9100")) == 0


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({"event": "actionSomething", "event_id": "x"}).encode(), "unknown event"),
        (json.dumps({"event": "actionCartSave", "cart": {"id": "1"}}).encode(), "event_id"),
        (json.dumps({"event": "actionCartSave", "event_id": "x", "cart": {"id": "abc"}}).encode(),
         "numeric id"),
        (json.dumps({"event": "actionValidateOrder", "event_id": "x"}).encode(), "'order'"),
        (json.dumps({"event": "actionCartSave", "event_id": "x", "cart": {"id": "5",
                     "products": [{"quantity": "1", "price": "a lot"}]}}).encode(),
         "price 'a lot' is not a number"),
    ],
)  # fmt: skip
def test_a_malformed_push_is_refused_and_nothing_stored(
    live_server, db, settings, connected, raw, message
):
    response = push(live_server, settings, connected, None, raw=raw)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert deliveries(db) == 0


def test_an_unknown_shop_is_refused(live_server, db, settings, connected):
    response = push(live_server, settings, connected, {"event": "x"}, public_id="nope")
    assert response.status_code == 404
    assert deliveries(db) == 0

"""Connecting a store on the emulator (the real wc-auth round trip), its first sync, and live
updates by webhook: duplicates, out-of-order deliveries, deletions, cart pushes and abandoned
carts; every refusal stores nothing."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import requests
from sqlalchemy import func, select

from sync.identity import sign_push
from sync.store import Cart, Customer, Order, Shop, SyncRun, WebhookDelivery, utcnow
from sync.woocommerce_webhooks import abandoned_carts
from tests.woocommerce.compare import differences, expected, stored


def connected(cible, emulator) -> Shop:
    answer = cible.connect(emulator)
    assert answer.status_code == 200, answer.text
    assert "Connected" in answer.text
    shop = cible.shop(emulator.domain)
    cible.wait_for_runs(shop.id, "woocommerce:orders")
    return shop


def deliveries_count(cible) -> int:
    with cible.sessions()() as session:
        return session.scalar(select(func.count()).select_from(WebhookDelivery))


def test_connect_registers_webhooks_and_syncs_everything(cible, emulator):
    shop = connected(cible, emulator)
    assert shop.platform == "woocommerce"
    assert shop.timezone == "Europe/Paris" and shop.currency == "EUR"
    assert emulator.callback_results == [200]
    # One active webhook per topic, at our address, each pinged with 200.
    hooks = list(emulator.store.webhooks.values())
    assert sorted(h["topic"] for h in hooks) == sorted(
        f"{r}.{e}"
        for r in ("customer", "order", "product")
        for e in ("created", "updated", "deleted")
    )
    assert {h["delivery_url"] for h in hooks} == {
        f"{cible.url}/webhooks/woocommerce/{shop.public_id}"
    }
    assert all(h["status"] == "active" for h in hooks)
    assert [status for _, status in emulator.pings] == [200] * 9
    assert deliveries_count(cible) == 0  # pings store nothing
    with cible.sessions()() as session:
        assert differences(expected(emulator), stored(session, shop.id)) == []
        runs = session.scalars(select(SyncRun).where(SyncRun.shop_id == shop.id)).all()
        assert {r.stream: r.status for r in runs} == {
            "woocommerce:products": "succeeded",
            "woocommerce:customers": "succeeded",
            "woocommerce:orders": "succeeded",
        }
        orders_run = next(r for r in runs if r.stream == "woocommerce:orders")
        assert orders_run.records_done == orders_run.records_total == 90
        stored_shop = session.get(Shop, shop.id)
        assert "woocommerce:orders" in stored_shop.sync_cursors
        assert stored_shop.sync_cursors["woocommerce:customers_max_id"] == max(
            emulator.store.customers
        )


def test_live_updates_duplicates_and_out_of_order(cible, emulator):
    shop = connected(cible, emulator)
    customer_id = next(iter(emulator.store.customers))
    emulator.update_customer(customer_id, city="Rezé")
    with cible.sessions()() as session:
        city = session.scalar(select(Customer.city).where(Customer.external_id == str(customer_id)))
    assert city == "Rezé"

    # The same delivery twice: recorded once.
    last = emulator.deliveries[-1]
    again = emulator.send(last)
    assert again.status == 200 and json.loads(again.text)["status"] == "duplicate"

    # Two versions of one order, delivered newest first: the older one changes nothing.
    emulator.deliver_webhooks = False
    order_id = next(iter(emulator.store.orders))
    older = emulator.deliveries_for(
        "order.updated", emulator.update_order(order_id, status="completed")
    )
    newer = emulator.deliveries_for(
        "order.updated", emulator.update_order(order_id, status="refunded")
    )
    emulator.deliver_webhooks = True
    assert [emulator.send(d).status for d in newer + older] == [200, 200]
    with cible.sessions()() as session:
        assert (
            session.scalar(select(Order.status).where(Order.external_id == str(order_id)))
            == "refunded"
        )

    # A new guest order by a registered customer's email is linked to that customer.
    buyer = emulator.store.customers[customer_id]
    placed = emulator.create_order(customer_id=0, email=buyer["email"].upper())
    # A new customer, a deleted one, a deleted order, a renamed product.
    emulator.create_customer(email="nouvelle@example.fr")
    doomed = emulator.create_customer(email="partie@example.fr")
    emulator.delete_customer(doomed["id"])
    emulator.delete_order(next(iter(emulator.store.orders)))
    emulator.update_product(next(iter(emulator.store.products)), name="Tablette &amp; noisettes")
    assert all(d.status == 200 for d in emulator.deliveries), [
        (d.topic, d.status, d.text) for d in emulator.deliveries if d.status != 200
    ]
    with cible.sessions()() as session:
        owner = session.scalar(
            select(Customer.external_id)
            .join(Order, Order.customer_id == Customer.id)
            .where(Order.external_id == str(placed["id"]))
        )
        assert owner == str(customer_id)
        assert differences(expected(emulator), stored(session, shop.id)) == []
        statuses = session.scalars(select(WebhookDelivery.status)).all()
        assert set(statuses) == {"done"}


def push(cible, shop, body: dict, *, secret_ok: bool = True) -> requests.Response:
    raw = json.dumps(body).encode()
    headers = sign_push(cible.settings, shop.public_id, raw)
    if not secret_ok:
        headers["X-Cible-Signature"] = "sha256=" + "0" * 64
    return requests.post(
        f"{cible.url}/webhooks/woocommerce/{shop.public_id}",
        data=raw,
        headers={**headers, "Content-Type": "application/json"},
        timeout=30,
    )


def cart_event(cart_id: str, customer_id, occurred: int, *, event="add_to_cart", order_id=0):
    return {
        "topic": "cible.cart",
        "event": event,
        "event_id": str(uuid.uuid4()),
        "occurred_at": occurred,
        "cart": {
            "id": cart_id,
            "customer_id": customer_id,
            "email": "",
            "currency": "EUR",
            "total": "25.80",
            "items": [
                {
                    "product_id": 101,
                    "variation_id": 0,
                    "sku": "SKU-101",
                    "name": "Tablette 1",
                    "quantity": 2,
                    "price": "12.90",
                }
            ],
            "order_id": order_id,
            "started_at": occurred - 60,
        },
    }


def test_cart_pushes_and_abandoned_carts(cible, emulator, cli_runner):
    shop = connected(cible, emulator)
    first, second, third = list(emulator.store.customers)[:3]
    now = int(time.time())
    # Left two hours ago: abandoned.
    assert push(cible, shop, cart_event("a-1", first, now - 7200)).status_code == 200
    # Bought: the plugin reports the order placed from the cart.
    assert push(cible, shop, cart_event("b-1", second, now - 7300)).status_code == 200
    bought = cart_event("b-1", second, now - 7100, event="order_placed", order_id=999)
    assert push(cible, shop, bought).status_code == 200
    # Still shopping.
    assert push(cible, shop, cart_event("c-1", third, now - 60)).status_code == 200
    # A stale push for cart a-1 (older than what is stored) changes nothing.
    stale = cart_event("a-1", first, now - 9000)
    stale["cart"]["total"] = "1.00"
    assert push(cible, shop, stale).status_code == 200
    # A forged push is refused and stores nothing.
    before = deliveries_count(cible)
    forged = push(cible, shop, cart_event("z-1", first, now), secret_ok=False)
    assert forged.status_code == 401 and "signature" in forged.json()["message"]
    assert deliveries_count(cible) == before

    with cible.sessions()() as session:
        carts = {c.external_id: c for c in session.scalars(select(Cart))}
        assert set(carts) == {"wc:a-1", "wc:b-1", "wc:c-1"}
        assert str(carts["wc:a-1"].value) == "25.80"
        assert carts["wc:b-1"].order_external_id == "999"
        abandoned = abandoned_carts(session, shop.id)
        assert [c.external_id for c in abandoned] == ["wc:a-1"]
        # An hour and a half on, the third cart is abandoned too.
        later = [
            c.external_id
            for c in abandoned_carts(session, shop.id, utcnow() + timedelta(minutes=90))
        ]
        assert later == ["wc:a-1", "wc:c-1"]
    result = cli_runner(
        "segment", "count", "--shop", shop.domain, "abandoned_checkout_date >= yesterday"
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "1"

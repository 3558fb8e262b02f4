"""POST /webhooks/shopify over real HTTP: verification, refusals that store nothing,
deduplication, and processing of each data topic into the store."""
# ruff: noqa: F811  (fixtures imported from tests.shopify.appside)

from __future__ import annotations

import json
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from sync.store import (
    Cart,
    Customer,
    CustomerStatistics,
    Order,
    OrderLine,
    Product,
    WebhookDelivery,
)
from tests.emulators.shopify.senders import WebhookSender
from tests.shopify.appside import SHOP, app, app_url, installed, sender  # noqa: F401


def _deliveries(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(WebhookDelivery))


def _rest(emulator, resource: str, number: int) -> dict:
    return emulator.rest_payload(SHOP, resource, number)


def _seed(shopify_emulator):
    shopify_emulator.seed(SHOP, customers=5, orders=8, products=4, checkouts=3)
    return shopify_emulator.data[SHOP]


def test_refusals_store_nothing(sender, installed, db, shopify_emulator):
    data = _seed(shopify_emulator)
    payload = shopify_emulator.rest_payload(SHOP, "customers", next(iter(data["customers"])))
    assert sender.send("customers/update", payload, secret="forged").status_code == 401
    no_hmac = sender.send("customers/update", payload, headers={"X-Shopify-Hmac-Sha256": ""})
    assert no_hmac.status_code == 401
    assert sender.send("customers/update", raw=b'{"id": 1,').status_code == 400
    assert sender.send("customers/update", payload, shop="evil.example.com").status_code == 400
    stranger = sender.send("customers/update", payload, shop="stranger.myshopify.com")
    assert stranger.status_code == 404
    # A body altered after signing: the HMAC covers the exact bytes.
    body = json.dumps(payload).encode()
    headers = sender.headers("customers/update", body)
    tampered = body.replace(b'"first_name": "', b'"first_name": "X')
    response = sender.http.post(sender.url, data=tampered, headers=headers, timeout=10)
    assert response.status_code == 401
    assert _deliveries(db) == 0
    assert db.scalar(select(func.count()).select_from(Customer)) == 0


def test_compliance_topic_for_an_unknown_shop_is_acknowledged_without_storing(sender, db):
    response = sender.send(
        "shop/redact", {"shop_id": 1, "shop_domain": "gone.myshopify.com"},
        shop="gone.myshopify.com",
    )  # fmt: skip
    assert response.status_code == 200
    assert _deliveries(db) == 0


def test_previous_secret_still_verifies_during_rotation(app, app_url, installed, db):
    settings = app.config["CIBLE_SETTINGS"]
    previous = settings.shopify_api_secret
    app.config["CIBLE_SETTINGS"] = replace(
        settings, shopify_api_secret="the-new-secret", shopify_previous_api_secret=previous
    )
    old = WebhookSender(app_url, SHOP, settings.shopify_api_secret)
    new = WebhookSender(app_url, SHOP, "the-new-secret")
    assert old.send("products/delete", {"id": 1}).status_code == 200
    assert new.send("products/delete", {"id": 2}).status_code == 200
    assert (
        WebhookSender(app_url, SHOP, "older").send("products/delete", {"id": 3}).status_code == 401
    )
    assert _deliveries(db) == 2


def test_data_topics_land_in_the_store_with_graphql_ids(sender, installed, db, shopify_emulator):
    data = _seed(shopify_emulator)
    for number in data["products"]:
        assert sender.send("products/update", _rest(shopify_emulator, "products", number)).ok
    for number in data["customers"]:
        assert sender.send("customers/create", _rest(shopify_emulator, "customers", number)).ok
    for number in data["orders"]:
        assert sender.send("orders/create", _rest(shopify_emulator, "orders", number)).ok
    for number in data["checkouts"]:
        assert sender.send("checkouts/create", _rest(shopify_emulator, "checkouts", number)).ok
    db.expire_all()
    statuses = set(db.scalars(select(WebhookDelivery.status)))
    assert statuses == {"done"}
    assert set(db.scalars(select(Customer.external_id))) == {str(n) for n in data["customers"]}
    assert set(db.scalars(select(Order.external_id))) == {str(n) for n in data["orders"]}
    assert set(db.scalars(select(Product.external_id))) == {str(n) for n in data["products"]}
    assert set(db.scalars(select(Cart.external_id))) == {str(n) for n in data["checkouts"]}
    number, source = next(iter(data["orders"].items()))
    order = db.scalar(select(Order).where(Order.external_id == str(number)))
    assert order.total == Decimal(source["totalPriceSet"]["shopMoney"]["amount"])
    lines = db.scalars(select(OrderLine).where(OrderLine.order_external_id == str(number))).all()
    assert len(lines) == len(source["lineItems"])
    # Line categories come from the stored products (REST lines carry no product type).
    types = {line["product"]["productType"] for line in source["lineItems"]}
    assert {line.category for line in lines} == types


def test_duplicates_out_of_order_and_stale_deliveries(sender, installed, db, shopify_emulator):
    data = _seed(shopify_emulator)
    number = next(iter(data["customers"]))
    base = datetime.now(UTC).replace(microsecond=0)

    def at(seconds):
        return (base + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")

    first = shopify_emulator.update_customer(SHOP, number, firstName="Alice", updated_at=at(10))
    second = shopify_emulator.update_customer(SHOP, number, firstName="Bérénice", updated_at=at(20))
    # The newer one arrives first, then the older one, then the newer again (redelivery).
    assert sender.send("customers/update", second, event_id="evt-2").json()["status"] == "received"
    assert sender.send("customers/update", first, event_id="evt-1").ok
    again = sender.send("customers/update", second, event_id="evt-2")
    assert again.json()["status"] == "duplicate"
    assert _deliveries(db) == 2
    db.expire_all()
    stored = db.scalar(select(Customer).where(Customer.external_id == str(number)))
    assert stored.first_name == "Bérénice"
    assert stored.updated_at == (base + timedelta(seconds=20)).replace(tzinfo=None)


def test_deletes_do_not_remove_rows_changed_after_them(sender, installed, db, shopify_emulator):
    data = _seed(shopify_emulator)
    product = next(iter(data["products"]))
    customer = next(iter(data["customers"]))
    assert sender.send("products/create", _rest(shopify_emulator, "products", product)).ok
    assert sender.send("customers/create", _rest(shopify_emulator, "customers", customer)).ok
    long_ago = "2020-01-01T00:00:00.000Z"
    late = sender.send("products/delete", {"id": product}, triggered_at=long_ago)
    assert late.ok
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Product)) == 1
    assert sender.send("products/delete", {"id": product}).ok
    assert sender.send("customers/delete", shopify_emulator.delete_customer(SHOP, customer)).ok
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Product)) == 0
    assert db.scalar(select(func.count()).select_from(Customer)) == 0
    reasons = set(
        db.scalars(select(WebhookDelivery.last_error).where(WebhookDelivery.status == "ignored"))
    )
    assert reasons == {"the product changed after this deletion was sent"}


def test_a_deleted_customers_orders_are_unlinked_and_return_with_the_customer(
    sender, installed, db, shopify_emulator
):
    """Orders carry no foreign key (migration 0007): deleting a customer unlinks its orders
    itself, and a customer created again under the same id gets them back."""
    data = _seed(shopify_emulator)
    for number in data["customers"]:
        assert sender.send("customers/create", _rest(shopify_emulator, "customers", number)).ok
    for number in data["orders"]:
        assert sender.send("orders/create", _rest(shopify_emulator, "orders", number)).ok
    db.expire_all()
    owner = db.scalar(
        select(Customer)
        .join(Customer.statistics)
        .where(CustomerStatistics.orders_count > 0)
        .order_by(CustomerStatistics.orders_count.desc())
    )
    gone_id, external, count = owner.id, owner.external_id, owner.orders_count
    payload = _rest(shopify_emulator, "customers", int(external))
    assert sender.send("customers/delete", shopify_emulator.delete_customer(SHOP, int(external))).ok
    db.expire_all()
    assert db.get(Customer, gone_id) is None
    orphans = (
        select(func.count())
        .select_from(Order)
        .where(Order.customer_id.is_not(None), Order.customer_id.not_in(select(Customer.id)))
    )
    assert db.scalar(orphans) == 0
    waiting = db.scalars(select(Order).where(Order.customer_external_id == external)).all()
    assert len(waiting) >= count and all(order.customer_id is None for order in waiting)

    payload["updated_at"] = datetime.now(UTC).isoformat()
    assert sender.send("customers/create", payload).ok
    db.expire_all()
    back = db.scalar(select(Customer).where(Customer.external_id == external))
    assert back.id != gone_id and back.orders_count == count
    assert db.scalar(select(func.count()).select_from(Order).where(Order.customer_id == back.id))


def test_a_payload_that_is_not_the_object_fails_visibly(sender, installed, db):
    assert sender.send("orders/create", {"id": 5, "created_at": "yesterday"}).status_code == 200
    db.expire_all()
    delivery = db.scalar(select(WebhookDelivery))
    assert delivery.status == "failed" and "created_at" in delivery.last_error
    assert db.scalar(select(func.count()).select_from(Order)) == 0


def test_unhandled_topic_and_bulk_finish_are_recorded(sender, installed, db):
    assert sender.send("themes/publish", {"id": 1}).ok
    finished = {"admin_graphql_api_id": "gid://shopify/BulkOperation/1", "status": "completed"}
    assert sender.send("bulk_operations/finish", finished).ok
    db.expire_all()
    rows = {d.topic: (d.status, d.last_error) for d in db.scalars(select(WebhookDelivery))}
    assert rows["themes/publish"] == ("ignored", "topic themes/publish is not used by Cible")
    assert rows["bulk_operations/finish"][0] in ("done", "ignored")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_redis_down_keeps_deliveries_and_replay_processes_them(
    app, sender, installed, db, shopify_emulator
):
    from sync.webhooks import replay_pending

    data = _seed(shopify_emulator)
    settings = app.config["CIBLE_SETTINGS"]
    app.config["CIBLE_SETTINGS"] = replace(
        settings, redis_url=f"redis://127.0.0.1:{_closed_port()}/0"
    )
    for number in data["customers"]:
        response = sender.send("customers/create", _rest(shopify_emulator, "customers", number))
        assert response.status_code == 200 and response.json()["status"] == "kept for replay"
    db.expire_all()
    assert set(db.scalars(select(WebhookDelivery.status))) == {"received"}
    assert db.scalar(select(func.count()).select_from(Customer)) == 0
    assert replay_pending(settings, older_than_seconds=0) == len(data["customers"])
    db.expire_all()
    assert set(db.scalars(select(WebhookDelivery.status))) == {"done"}
    assert db.scalar(select(func.count()).select_from(Customer)) == len(data["customers"])


@pytest.mark.parametrize("topic", ["orders/create", "customers/update"])
def test_uninstalled_shop_data_deliveries_are_ignored(
    topic, sender, installed, db, shopify_emulator, shopify_settings
):
    from sync.shopify_app import uninstall

    data = _seed(shopify_emulator)
    uninstall(db, shopify_settings, installed)
    db.commit()
    resource = "orders" if topic.startswith("orders") else "customers"
    payload = shopify_emulator.rest_payload(SHOP, resource, next(iter(data[resource])))
    assert sender.send(topic, payload).ok
    db.expire_all()
    delivery = db.scalar(select(WebhookDelivery))
    assert (delivery.status, delivery.last_error) == ("ignored", "the shop has uninstalled Cible")

"""Processing a recorded Shopify webhook delivery (the inbox's handler for "shopify").

Data topics map the REST payload to records and upsert them: ingest refuses an older
`updated_at`, so duplicates, redeliveries out of order and stale deliveries never overwrite
newer data. Deletions compare the delivery's X-Shopify-Triggered-At with the stored row's
`updated_at`, so a late delete never removes a row changed after it. Compliance topics,
app/uninstalled and bulk_operations/finish go to their own modules. Deliveries for an
uninstalled shop are ignored, except the ones that concern its erasure.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from connectors.shopify import webhook_payloads as payloads
from sync import compliance, shopify_app
from sync.ingest import (
    detach_orders,
    upsert_carts,
    upsert_customers,
    upsert_orders,
    upsert_products,
)
from sync.queue import job_settings
from sync.segments.evaluate import forget_members
from sync.segments.refresh import TouchedCustomers, refresh_segments
from sync.store import Customer, Product, Shop, WebhookDelivery
from sync.webhooks import after_commit, delivery_payload

log = logging.getLogger(__name__)

DATA_TOPICS = {
    "customers/create": "customers",
    "customers/update": "customers",
    "customers/enable": "customers",
    "customers/disable": "customers",
    "orders/create": "orders",
    "orders/updated": "orders",
    "orders/paid": "orders",
    "orders/cancelled": "orders",
    "orders/fulfilled": "orders",
    "orders/partially_fulfilled": "orders",
    "products/create": "products",
    "products/update": "products",
    "checkouts/create": "checkouts",
    "checkouts/update": "checkouts",
}
AFTER_UNINSTALL_TOPICS = {
    "app/uninstalled",
    "shop/redact",
    "customers/redact",
    "customers/data_request",
}


def handle(session: Session, shop: Shop, delivery: WebhookDelivery) -> str:
    topic = delivery.topic
    payload = delivery_payload(delivery)
    settings = job_settings()
    if shop.uninstalled_at is not None and topic not in AFTER_UNINSTALL_TOPICS:
        return _ignored(delivery, "the shop has uninstalled Cible")
    if topic in DATA_TOPICS:
        return _upsert(session, shop, DATA_TOPICS[topic], payload, settings)
    if topic == "customers/delete":
        return _delete_customer(session, shop, delivery, payload, settings)
    if topic == "products/delete":
        return _delete_product(session, shop, delivery, payload)
    if topic == "app/uninstalled":
        if shop.uninstalled_at is not None:
            return _ignored(delivery, "already uninstalled")
        cancelled = shopify_app.uninstall(session, settings, shop)
        log.info("shop %s uninstalled Cible; %d jobs cancelled", shop.domain, cancelled)
        return "done"
    if topic == "customers/data_request":
        request_id = str((payload.get("data_request") or {}).get("id") or delivery.event_id)
        path = compliance.export_customer_data(session, settings, shop, payload, request_id)
        log.info("shop %s: data request %s exported to %s", shop.domain, request_id, path)
        return "done"
    if topic == "customers/redact":
        erased = compliance.redact_customer(session, settings, shop, payload)
        # The request itself named the customer: keep only what proves it was honoured.
        delivery.body = _ids_only(payload)
        log.info("shop %s: customer redacted %s", shop.domain, erased)
        return "done"
    if topic == "shop/redact":
        if not compliance.redact_shop(session, settings, shop):
            return _ignored(delivery, "the shop reinstalled Cible: nothing erased")
        session.expunge(delivery)
        return "done"
    if topic == "bulk_operations/finish":
        return _bulk_finished(session, shop, delivery, payload, settings)
    return _ignored(delivery, f"topic {topic} is not used by Cible")


def _ignored(delivery: WebhookDelivery, reason: str) -> str:
    delivery.last_error = reason
    return "ignored"


def _ids_only(payload: dict) -> bytes:
    customer = payload.get("customer") or {}
    kept = {
        "shop_domain": payload.get("shop_domain"),
        "customer": {"id": customer.get("id")},
        "orders_to_redact": payload.get("orders_to_redact") or [],
    }
    return json.dumps(kept).encode()


def _with_categories(session: Session, shop: Shop, lines) -> None:
    """REST line items carry no product type: take the category of the stored product,
    as the GraphQL mapping does from the line's product."""
    wanted = {line.product_external_id for line in lines if line.product_external_id}
    if not wanted:
        return
    categories = dict(
        session.execute(
            select(Product.external_id, Product.category).where(
                Product.shop_id == shop.id, Product.external_id.in_(sorted(wanted))
            )
        ).all()
    )
    for line in lines:
        if line.category is None and line.product_external_id in categories:
            line.category = categories[line.product_external_id]


# Fields the GraphQL sync reads that REST webhook payloads do not carry: a webhook keeps
# the synced value rather than erasing it.
NOT_IN_WEBHOOKS = {
    "customers": (Customer, ("language", "latitude", "longitude")),
    "products": (Product, ("url",)),
}


def _keep_synced_fields(session: Session, shop: Shop, kind: str, record) -> None:
    model, names = NOT_IN_WEBHOOKS[kind]
    stored = session.execute(
        select(*(getattr(model, name) for name in names)).where(
            model.shop_id == shop.id, model.external_id == record.external_id
        )
    ).first()
    if stored is None:
        return
    for name, value in zip(names, stored, strict=True):
        if getattr(record, name) is None:
            setattr(record, name, value)


def _upsert(session: Session, shop: Shop, kind: str, payload: dict, settings) -> str:
    record = payloads.load(kind, payload)
    if kind in NOT_IN_WEBHOOKS:
        _keep_synced_fields(session, shop, kind, record)
    if kind == "customers":
        result = upsert_customers(session, shop, [record])
    elif kind == "orders":
        _with_categories(session, shop, record.lines or [])
        result = upsert_orders(session, shop, [record])
    elif kind == "products":
        result = upsert_products(session, shop, [record])
    else:
        _with_categories(session, shop, record.items)
        result = upsert_carts(session, shop, [record])
    _refresh_after_commit(session, settings, shop.id, result.customer_ids)
    return "done"


def _refresh_after_commit(session, settings, shop_id: int, customer_ids) -> None:
    if not customer_ids:
        return
    touched = TouchedCustomers()
    touched.add(customer_ids)
    after_commit(session, lambda: refresh_segments(settings, shop_id, touched))


def _triggered_at(delivery: WebhookDelivery) -> datetime | None:
    raw = (delivery.headers or {}).get("x-shopify-triggered-at")
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _newer_than_delete(row_updated_at, delivery: WebhookDelivery) -> bool:
    triggered = _triggered_at(delivery)
    return triggered is not None and row_updated_at is not None and row_updated_at > triggered


def _delete_customer(session, shop, delivery, payload, settings) -> str:
    customer_id = payloads.deleted_id(payload)
    row = session.scalar(
        select(Customer).where(Customer.shop_id == shop.id, Customer.external_id == customer_id)
    )
    if row is None:
        return _ignored(delivery, "no such customer stored")
    if _newer_than_delete(row.updated_at, delivery):
        return _ignored(delivery, "the customer changed after this deletion was sent")
    forget_members(session, [row.id])
    detach_orders(session, shop.id, [row.id])
    session.execute(delete(Customer).where(Customer.id == row.id))
    return "done"


def _delete_product(session, shop, delivery, payload) -> str:
    product_id = payloads.deleted_id(payload)
    row = session.scalar(
        select(Product).where(Product.shop_id == shop.id, Product.external_id == product_id)
    )
    if row is None:
        return _ignored(delivery, "no such product stored")
    if _newer_than_delete(row.updated_at, delivery):
        return _ignored(delivery, "the product changed after this deletion was sent")
    session.execute(delete(Product).where(Product.id == row.id))
    return "done"


def _bulk_finished(session, shop, delivery, payload, settings) -> str:
    """bulk_operations/finish: hand the finished operation to the data sync, if it can."""
    try:
        from sync import shopify_sync
    except ImportError:
        return _ignored(delivery, "no bulk download job available (sync.shopify_sync missing)")
    job = getattr(shopify_sync, "bulk_operation_finished", None)
    if job is None:
        return _ignored(delivery, "sync.shopify_sync has no bulk_operation_finished job")
    from sync.queue import enqueue

    operation_id = payload.get("admin_graphql_api_id") or payload.get("id")
    after_commit(session, lambda: enqueue(settings, job, shop.id, operation_id))
    return "done"

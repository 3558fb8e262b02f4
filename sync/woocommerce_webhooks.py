"""Processing WooCommerce deliveries from the inbox (sync/webhooks.py), and abandoned carts.

Topics: `customer.*`, `order.*`, `product.*` from WooCommerce (the body is the resource as
the REST API shows it; a `*.deleted` body is `{"id": N}`), and `cible.cart` from our
WordPress plugin (cart activity: WooCommerce has no cart resource). Payloads become neutral
records and go through ingest, which never lets an older `date_modified_gmt` overwrite a
newer one: a duplicate changes nothing, a delivery that arrives after a newer one is stale
and ignored. Segments are re-checked for the touched customers once the delivery commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, event, select, update
from sqlalchemy.orm import Session

from connectors.woocommerce import customer_from_payload, order_from_payload, product_from_payload
from connectors.woocommerce.schemas import cart_from_push
from sync.ingest import (
    recompute_customer_statistics,
    upsert_carts,
    upsert_customers,
    upsert_orders,
    upsert_products,
)
from sync.ingest.result import IngestResult
from sync.queue import job_settings
from sync.segments.compile import ABANDON_AFTER
from sync.segments.evaluate import forget_members
from sync.segments.refresh import TouchedCustomers, refresh_segments
from sync.store import (
    UNCOUNTED_ORDER_STATUSES,
    Cart,
    Customer,
    Order,
    OrderLine,
    Product,
    Shop,
    WebhookDelivery,
    utcnow,
)
from sync.webhooks import delivery_payload

log = logging.getLogger(__name__)

CART_TOPIC = "cible.cart"
UPSERTS = {
    "customer": (customer_from_payload, upsert_customers),
    "order": (order_from_payload, upsert_orders),
    "product": (product_from_payload, upsert_products),
}


def handle(session: Session, shop: Shop, delivery: WebhookDelivery) -> str:
    """Apply one delivery in the caller's transaction; "ignored" for topics we do not use."""
    payload = delivery_payload(delivery)
    if delivery.topic == CART_TOPIC:
        result = upsert_carts(session, shop, [cart_from_push(payload)])
    else:
        resource, _, action = delivery.topic.partition(".")
        if resource not in UPSERTS:
            delivery.last_error = f"topic {delivery.topic} is not one Cible uses"
            return "ignored"
        if action == "deleted":
            result = _delete(session, shop, resource, payload)
        else:
            to_record, upsert = UPSERTS[resource]
            result = upsert(session, shop, [to_record(payload)])
    if result.customer_ids:
        _refresh_after_commit(session, shop.id, result.customer_ids)
    return "done"


def _refresh_after_commit(session: Session, shop_id: int, customer_ids) -> None:
    """Segments are re-checked by a job that reads committed data: enqueue it only once the
    delivery's transaction has committed (inline jobs would otherwise read stale rows, and
    on SQLite wait on our write lock)."""
    touched = TouchedCustomers()
    touched.add(customer_ids)
    settings = job_settings()

    def enqueue_refresh(_session) -> None:
        try:
            refresh_segments(settings, shop_id, touched)
        except Exception:  # the delivery is done; the daily evaluation catches up
            log.exception("segment refresh after a WooCommerce delivery failed")

    event.listen(session, "after_commit", enqueue_refresh, once=True)


def _delete(session: Session, shop: Shop, resource: str, payload: dict) -> IngestResult:
    """A resource deleted on the store: deleted here too (orders kept for customers who
    are deleted: WooCommerce turns them into guest orders)."""
    external_id = str(payload.get("id") or "").strip()
    if not external_id or external_id == "0":
        raise ValueError(f"a {resource}.deleted delivery without an id: {payload!r}")
    result = IngestResult()
    if resource == "product":
        session.execute(
            delete(Product).where(Product.shop_id == shop.id, Product.external_id == external_id)
        )
    elif resource == "order":
        order_id, owner = session.execute(
            select(Order.id, Order.customer_id).where(
                Order.shop_id == shop.id, Order.external_id == external_id
            )
        ).first() or (None, None)
        # Its lines: under the order's key, or still waiting for it (migration 0010).
        if order_id is not None:
            lines = OrderLine.order_id == order_id
        else:
            lines = and_(OrderLine.order_id.is_(None), OrderLine.order_external_id == external_id)
        session.execute(delete(OrderLine).where(OrderLine.shop_id == shop.id, lines))
        session.execute(
            delete(Order).where(Order.shop_id == shop.id, Order.external_id == external_id)
        )
        if owner is not None:
            recompute_customer_statistics(session, shop.id, [owner])
            result.customer_ids.add(owner)
    else:
        customer_id = session.scalar(
            select(Customer.id).where(
                Customer.shop_id == shop.id, Customer.external_id == external_id
            )
        )
        if customer_id is not None:
            session.execute(
                update(Order)
                .where(Order.shop_id == shop.id, Order.customer_id == customer_id)
                .values(customer_id=None, customer_external_id=None)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(Cart)
                .where(Cart.shop_id == shop.id, Cart.customer_id == customer_id)
                .values(customer_id=None, customer_external_id=None)
                .execution_options(synchronize_session=False)
            )
            forget_members(session, [customer_id])
            session.execute(delete(Customer).where(Customer.id == customer_id))
    return result


def abandoned_carts(
    session: Session, shop_id: int, now: datetime | None = None, after: timedelta = ABANDON_AFTER
) -> list[Cart]:
    """The shop's carts idle for `after` with items and no order: not completed, and no
    counted order by the same customer since the cart's last change (the rule segments
    apply to `abandoned_checkout_*`)."""
    now = now or utcnow()
    later_order = (
        select(Order.id)
        .where(
            Order.shop_id == shop_id,
            Order.customer_id == Cart.customer_id,
            Order.created_at > Cart.updated_at,
            Order.status.not_in(UNCOUNTED_ORDER_STATUSES),
        )
        .exists()
    )
    return list(
        session.scalars(
            select(Cart)
            .where(
                Cart.shop_id == shop_id,
                Cart.items_count > 0,
                Cart.updated_at <= now - after,
                Cart.order_external_id.is_(None),
                Cart.completed_at.is_(None),
                ~later_order,
            )
            .order_by(Cart.updated_at)
        )
    )

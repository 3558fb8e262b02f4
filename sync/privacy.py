"""A customer's data on request: everything Cible holds about one customer, and its erasure.

Used by the admin's "Data and privacy" settings (and fit for the platforms' data-request
webhooks). Both take the shop id and filter every statement by it. Erasure deletes the
customer's orders, lines, carts, storefront events and visitor records, then the customer
(segment memberships and history go with it, member counts are corrected first), all in
the caller's transaction. Retention trims the storefront events older than a shop's limit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync.segments.evaluate import forget_members
from sync.segments.models import Segment, SegmentEvent, SegmentMember
from sync.store import Cart, Customer, Order, OrderLine, StorefrontEvent, Visitor, utcnow

CUSTOMER_FIELDS = (
    "external_id",
    "is_guest",
    "email",
    "first_name",
    "last_name",
    "gender",
    "birth_date",
    "phone",
    "language",
    "city",
    "region",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "email_subscription_status",
    "email_consent_at",
    "email_consent_source",
    "sms_subscription_status",
    "sms_consent_at",
    "tags",
    "loyalty_tier",
    "loyalty_points",
    "company",
    "industry",
    "attributes",
    "created_at",
    "updated_at",
    "orders_count",
    "total_spent",
    "first_order_at",
    "last_order_at",
)
DEFAULT_RETENTION_DAYS = 395


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def find_customer(session: Session, shop_id: int, reference: str) -> Customer | None:
    """A customer of this shop by email, platform id, or `#<id>` (Cible's own id)."""
    reference = reference.strip()
    if not reference:
        return None
    scope = Customer.shop_id == shop_id
    if reference.startswith("#") and reference[1:].isdigit():
        return session.scalar(select(Customer).where(scope, Customer.id == int(reference[1:])))
    if "@" in reference:
        return session.scalar(
            select(Customer)
            .where(scope, Customer.email == reference.lower())
            .order_by(Customer.is_guest, Customer.id)
            .limit(1)
        )
    return session.scalar(select(Customer).where(scope, Customer.external_id == reference))


def export_customer(session: Session, shop_id: int, customer_id: int) -> dict | None:
    customer = session.scalar(
        select(Customer).where(Customer.shop_id == shop_id, Customer.id == customer_id)
    )
    if customer is None:
        return None
    orders = session.scalars(
        select(Order).where(Order.shop_id == shop_id, Order.customer_id == customer.id)
    ).all()
    lines = session.scalars(
        select(OrderLine).where(
            OrderLine.shop_id == shop_id, OrderLine.order_id.in_([o.id for o in orders])
        )
    ).all()
    by_order: dict[int, list] = {}
    for line in lines:
        by_order.setdefault(line.order_id, []).append(
            {
                "title": line.title,
                "sku": line.sku,
                "category": line.category,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
            }
        )
    carts = session.scalars(
        select(Cart).where(Cart.shop_id == shop_id, Cart.customer_id == customer.id)
    ).all()
    segments = session.execute(
        select(Segment.name, SegmentMember.since)
        .join(SegmentMember, SegmentMember.segment_id == Segment.id)
        .where(Segment.shop_id == shop_id, SegmentMember.customer_id == customer.id)
    ).all()
    events = session.scalars(
        select(StorefrontEvent)
        .where(StorefrontEvent.shop_id == shop_id, StorefrontEvent.customer_id == customer.id)
        .order_by(StorefrontEvent.occurred_at)
    ).all()
    return {
        "customer": {name: _plain(getattr(customer, name)) for name in CUSTOMER_FIELDS},
        "orders": [
            {
                "external_id": o.external_id,
                "status": o.status,
                "total": str(o.total),
                "currency": o.currency,
                "channel": o.channel,
                "discount_code": o.discount_code,
                "created_at": _plain(o.created_at),
                "lines": by_order.get(o.id, []),
            }
            for o in orders
        ],
        "carts": [
            {
                "external_id": c.external_id,
                "value": str(c.value),
                "currency": c.currency,
                "items": c.items,
                "created_at": _plain(c.created_at),
                "updated_at": _plain(c.updated_at),
                "order_external_id": c.order_external_id,
            }
            for c in carts
        ],
        "segments": [{"name": name, "since": _plain(since)} for name, since in segments],
        "storefront_events": [
            {
                "kind": e.kind,
                "url": e.url,
                "page_type": e.page_type,
                "data": e.data,
                "occurred_at": _plain(e.occurred_at),
            }
            for e in events
        ],
        "exported_at": _plain(utcnow()),
    }


def erase_customer(session: Session, shop_id: int, customer_id: int) -> bool:
    """Delete the customer and everything about them; False when the id is not this shop's."""
    found = session.scalar(
        select(Customer.id).where(Customer.shop_id == shop_id, Customer.id == customer_id)
    )
    if found is None:
        return False
    order_ids = select(Order.id).where(Order.shop_id == shop_id, Order.customer_id == found)
    session.execute(
        delete(OrderLine).where(OrderLine.shop_id == shop_id, OrderLine.order_id.in_(order_ids))
    )
    session.execute(delete(Order).where(Order.shop_id == shop_id, Order.customer_id == found))
    session.execute(delete(Cart).where(Cart.shop_id == shop_id, Cart.customer_id == found))
    visitor_ids = select(Visitor.id).where(Visitor.shop_id == shop_id, Visitor.customer_id == found)
    session.execute(
        delete(StorefrontEvent).where(
            StorefrontEvent.shop_id == shop_id,
            (StorefrontEvent.customer_id == found) | StorefrontEvent.visitor_id.in_(visitor_ids),
        )
    )
    session.execute(delete(Visitor).where(Visitor.shop_id == shop_id, Visitor.customer_id == found))
    forget_members(session, [found])
    session.execute(delete(SegmentEvent).where(SegmentEvent.customer_id == found))
    session.execute(delete(SegmentMember).where(SegmentMember.customer_id == found))
    session.execute(delete(Customer).where(Customer.shop_id == shop_id, Customer.id == found))
    return True


def retention_days(shop) -> int:
    settings = shop.settings if isinstance(shop.settings, dict) else {}
    value = settings.get("retention_days")
    return value if isinstance(value, int) and value > 0 else DEFAULT_RETENTION_DAYS


def apply_retention(session: Session, shop, now: datetime | None = None) -> int:
    """Delete the shop's storefront events older than its retention; returns how many."""
    limit = (now or utcnow()) - timedelta(days=retention_days(shop))
    result = session.execute(
        delete(StorefrontEvent).where(
            StorefrontEvent.shop_id == shop.id, StorefrontEvent.occurred_at < limit
        )
    )
    return result.rowcount or 0

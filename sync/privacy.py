"""A customer's data on request: everything Cible holds about one customer, and its erasure.

Used by the admin's "Data and privacy" settings. Every statement is filtered by the shop.
Erasure is the same as a platform's redaction request (sync/compliance.py): the profile,
carts, storefront visits and events go (segment memberships with it, member counts
corrected), orders stay anonymised, all in the caller's transaction. Retention trims the
storefront events older than a shop's limit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync.compliance import redact_customer
from sync.segments.models import Segment, SegmentMember
from sync.settings import Settings
from sync.store import Cart, Customer, Order, OrderLine, Shop, StorefrontEvent, utcnow

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


def erase_customer(session: Session, settings: Settings, shop: Shop, customer_id: int) -> bool:
    """Erase the customer's personal data, exactly as a platform's redaction request does
    (sync.compliance.redact_customer): the profile, carts, visits and events go, orders stay
    for the shop's figures but anonymised. False when the id is not this shop's."""
    customer = session.scalar(
        select(Customer).where(Customer.shop_id == shop.id, Customer.id == customer_id)
    )
    if customer is None:
        return False
    redact_customer(
        session, settings, shop, {"customer": {"id": customer.external_id, "email": customer.email}}
    )
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

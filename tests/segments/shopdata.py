"""Small shop data for segment tests, written through the ORM with consistent statistics.

The customer statistics columns are recomputed here from the customer's orders with the
same rule as ingest (cancelled and refunded orders do not count), so tests do not depend
on the ingest module while staying faithful to what it stores.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from sync.segments.models import SegmentMember
from sync.store import (
    UNCOUNTED_ORDER_STATUSES,
    Cart,
    Customer,
    Order,
    OrderLine,
    StorefrontEvent,
    Visitor,
)


def members(db, segment) -> set[str]:
    """The external ids of the segment's stored members."""
    return set(
        db.scalars(
            select(Customer.external_id)
            .join(SegmentMember, SegmentMember.customer_id == Customer.id)
            .where(SegmentMember.segment_id == segment.id)
        )
    )


def local_day(shop, moment: datetime) -> date:
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(shop.timezone)).date()


def customer(db, shop, external_id: str, **fields) -> Customer:
    fields.setdefault("tags", [])
    fields.setdefault("attributes", {})
    if fields.get("created_at") and "created_date" not in fields:
        fields["created_date"] = local_day(shop, fields["created_at"])
    row = Customer(shop_id=shop.id, external_id=external_id, **fields)
    db.add(row)
    db.flush()
    return row


def order(
    db,
    shop,
    owner: Customer | None,
    external_id: str,
    created_at: datetime,
    total="10.00",
    status="paid",
    channel="online",
    lines=(),
) -> Order:
    row = Order(
        shop_id=shop.id,
        external_id=external_id,
        customer_id=owner.id if owner else None,
        customer_external_id=owner.external_id if owner else None,
        status=status,
        total=Decimal(str(total)),
        channel=channel,
        created_at=created_at,
        created_date=local_day(shop, created_at),
    )
    db.add(row)
    db.flush()
    for index, line in enumerate(lines):
        db.add(
            OrderLine(
                shop_id=shop.id,
                order_id=row.id,
                order_external_id=external_id,
                line_key=str(index),
                **line,
            )
        )
    db.flush()
    if owner is not None:
        refresh_statistics(db, owner)
    return row


def refresh_statistics(db, owner: Customer) -> None:
    counted = db.scalars(
        select(Order).where(
            Order.customer_id == owner.id, Order.status.not_in(UNCOUNTED_ORDER_STATUSES)
        )
    ).all()
    owner.orders_count = len(counted)
    owner.total_spent = sum((o.total for o in counted), Decimal("0"))
    owner.average_order_value = owner.total_spent / len(counted) if counted else None
    if counted:
        first = min(counted, key=lambda o: o.created_at)
        last = max(counted, key=lambda o: o.created_at)
        owner.first_order_at, owner.first_order_date = first.created_at, first.created_date
        owner.last_order_at, owner.last_order_date = last.created_at, last.created_date
    else:
        owner.first_order_at = owner.first_order_date = None
        owner.last_order_at = owner.last_order_date = None
    db.flush()


def cart(db, shop, owner: Customer, external_id: str, updated_at: datetime, **fields) -> Cart:
    fields.setdefault("items_count", 1)
    fields.setdefault("value", Decimal("20.00"))
    row = Cart(
        shop_id=shop.id,
        external_id=external_id,
        customer_id=owner.id,
        customer_external_id=owner.external_id,
        updated_at=updated_at,
        updated_date=local_day(shop, updated_at),
        created_at=updated_at,
        items=[],
        **fields,
    )
    db.add(row)
    db.flush()
    return row


def visitor(db, shop, owner: Customer, token: str, last_seen_at: datetime) -> Visitor:
    row = Visitor(
        shop_id=shop.id,
        token=token,
        customer_id=owner.id,
        first_seen_at=last_seen_at,
        last_seen_at=last_seen_at,
        last_seen_date=local_day(shop, last_seen_at),
    )
    db.add(row)
    db.flush()
    return row


def page_view(db, shop, owner: Customer, occurred_at: datetime, **fields) -> StorefrontEvent:
    row = StorefrontEvent(
        shop_id=shop.id,
        customer_id=owner.id,
        kind=fields.pop("kind", "page_view"),
        occurred_at=occurred_at,
        occurred_date=local_day(shop, occurred_at),
        data={},
        **fields,
    )
    db.add(row)
    db.flush()
    return row

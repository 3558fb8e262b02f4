"""Cart upserts: items summarised (count, value) and the cart linked to its customer."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from connectors import records
from sync.ingest import normalise as clean
from sync.ingest.customers import newest_by_key
from sync.ingest.orders import owners_by_email
from sync.ingest.result import IngestResult
from sync.ingest.writer import (
    batch_size_for,
    batches,
    naive_now,
    stored_by_external_id,
    upsert_rows,
)
from sync.store import Cart, Customer, Shop

customers = Customer.__table__
carts = Cart.__table__

CART_COLUMNS = (
    "customer_id", "customer_external_id", "email", "value", "currency", "items_count", "items",
    "recovery_url", "order_external_id", "completed_at", "created_at", "updated_at",
    "updated_date",
)  # fmt: skip


def cart_row(shop: Shop, record: records.Cart, now) -> dict:
    refuse = clean.Refuser(shop.domain, "cart", record.external_id)
    items = []
    for item in record.items or []:
        quantity = clean.integer(item.quantity, refuse, "item quantity", default=1)
        if quantity < 0:
            raise refuse(f"item quantity {quantity} is negative")
        items.append(
            {
                "product_external_id": clean.text(item.product_external_id, 255),
                "sku": clean.text(item.sku, 255),
                "title": clean.text(item.title, 512),
                "category": clean.text(item.category, 255),
                "quantity": quantity,
                # A string: JSON has no decimal type and floats would round cents.
                "unit_price": str(clean.money(item.unit_price, refuse, "item unit_price")),
            }
        )
    value = clean.money(record.value, refuse, "value")
    if value == 0:
        value = sum((clean.money(i["unit_price"], refuse, "") * i["quantity"] for i in items),
                    clean.money(0, refuse, ""))  # fmt: skip
    created_at = clean.utc(record.created_at, refuse, "created_at")
    updated_at = clean.utc(record.updated_at, refuse, "updated_at") or created_at
    return {
        "shop_id": shop.id,
        "external_id": clean.external_id(record.external_id, refuse),
        "customer_id": None,
        "customer_external_id": clean.customer_reference(record.customer_external_id),
        "email": clean.email(record.email),
        "value": value,
        "currency": clean.currency(record.currency, refuse, shop.currency),
        "items_count": sum(i["quantity"] for i in items),
        "items": items,
        "recovery_url": clean.text(record.recovery_url, 1024),
        "order_external_id": clean.text(record.order_external_id, 255),
        "completed_at": clean.utc(record.completed_at, refuse, "completed_at"),
        "created_at": created_at,
        "updated_at": updated_at,
        "updated_date": clean.local_day(updated_at, clean.shop_zone(shop.timezone)),
        "ingested_at": now,
    }


def upsert_carts(
    session: Session, shop: Shop, records: Iterable[records.Cart], *, batch_size: int | None = None
) -> IngestResult:
    """Upsert carts in batches, in the caller's transaction.

    A cart is linked by its platform customer id, else by email to an existing customer; it
    never creates a guest profile (a cart alone is not a buyer).
    """
    shop = clean.ShopFacts.of(shop)
    result = IngestResult()
    for batch in batches(records, batch_size_for(session, batch_size, 2000)):
        now = naive_now()
        rows = newest_by_key([cart_row(shop, record, now) for record in batch],
                             "external_id", "updated_at")  # fmt: skip
        result.merge(_write_carts(session, shop, rows))
    return result


def _write_carts(session: Session, shop: Shop, rows: list[dict]) -> IngestResult:
    references = sorted(
        {row["customer_external_id"] for row in rows if row["customer_external_id"]}
    )
    known = stored_by_external_id(session, customers, shop.id, references, "id")
    emails = {row["email"] for row in rows if not row["customer_external_id"] and row["email"]}
    by_email = owners_by_email(session, shop.id, emails)
    for row in rows:
        if row["customer_external_id"]:
            row["customer_id"] = known.get(row["customer_external_id"])
        elif row["email"]:
            row["customer_id"] = by_email.get(row["email"])
    previous_owner = stored_by_external_id(
        session, carts, shop.id, [row["external_id"] for row in rows], "customer_id"
    )
    written = upsert_rows(
        session, carts, rows,
        key=("shop_id", "external_id"), version="updated_at",
        compare=CART_COLUMNS, update=CART_COLUMNS + ("ingested_at",),
        returning=("external_id", "customer_id"),
    )  # fmt: skip
    result = IngestResult(unchanged_or_stale=len(rows) - len(written))
    for row in written:
        if row.external_id in previous_owner:
            result.updated += 1
            result.customer_ids.add(previous_owner[row.external_id])
        else:
            result.inserted += 1
        result.customer_ids.add(row.customer_id)
    result.customer_ids.discard(None)
    return result

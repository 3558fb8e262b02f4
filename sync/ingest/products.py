"""Product upserts: the catalogue that order lines and storefront events refer to."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from connectors import records
from sync.ingest import normalise as clean
from sync.ingest.customers import newest_by_key
from sync.ingest.result import IngestResult
from sync.ingest.writer import (
    batch_size_for,
    batches,
    naive_now,
    stored_by_external_id,
    upsert_rows,
)
from sync.store import Product, Shop

products = Product.__table__

PRODUCT_COLUMNS = (
    "title", "sku", "category", "vendor", "price", "status", "url", "image_url", "tags",
    "created_at", "updated_at",
)  # fmt: skip


def product_row(shop: Shop, record: records.Product, now) -> dict:
    refuse = clean.Refuser(shop.domain, "product", record.external_id)
    created_at = clean.utc(record.created_at, refuse, "created_at")
    return {
        "shop_id": shop.id,
        "external_id": clean.external_id(record.external_id, refuse),
        "title": clean.text(record.title, 512),
        "sku": clean.text(record.sku, 255),
        "category": clean.text(record.category, 255),
        "vendor": clean.text(record.vendor, 255),
        "price": clean.optional_money(record.price, refuse, "price"),
        "status": clean.text(record.status, 32),
        "url": clean.text(record.url, 1024),
        "image_url": clean.text(record.image_url, 1024),
        "tags": clean.tags(record.tags),
        "created_at": created_at,
        "updated_at": clean.utc(record.updated_at, refuse, "updated_at") or created_at,
        "ingested_at": now,
    }


def upsert_products(
    session: Session,
    shop: Shop,
    records: Iterable[records.Product],
    *,
    batch_size: int | None = None,
) -> IngestResult:
    """Upsert products in batches, in the caller's transaction (no customer is touched)."""
    shop = clean.ShopFacts.of(shop)
    result = IngestResult()
    for batch in batches(records, batch_size_for(session, batch_size, 2000)):
        now = naive_now()
        rows = newest_by_key([product_row(shop, record, now) for record in batch],
                             "external_id", "updated_at")  # fmt: skip
        existing = stored_by_external_id(
            session, products, shop.id, [row["external_id"] for row in rows]
        )
        written = upsert_rows(
            session, products, rows,
            key=("shop_id", "external_id"), version="updated_at",
            compare=PRODUCT_COLUMNS, update=PRODUCT_COLUMNS + ("ingested_at",),
            returning=("external_id",),
        )  # fmt: skip
        inserted = sum(1 for row in written if row.external_id not in existing)
        result.merge(
            IngestResult(
                inserted=inserted,
                updated=len(written) - inserted,
                unchanged_or_stale=len(rows) - len(written),
            )
        )
    return result

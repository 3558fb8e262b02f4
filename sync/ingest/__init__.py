"""Ingest: idempotent, order-proof batched upserts of platform-neutral records, with customer
statistics kept current in the same transaction (rules: docs/data-rules.md).

Every function runs in the caller's transaction and never commits; records may be any
iterable (a generator of millions) and are consumed `batch_size` at a time (by default
10,000 on PostgreSQL; 2,000 on SQLite, 5,000 for lines alone), one upsert statement per
batch and table.
"""

from sync.ingest.carts import upsert_carts
from sync.ingest.customers import upsert_customers
from sync.ingest.orders import detach_orders, upsert_order_lines, upsert_orders
from sync.ingest.products import upsert_products
from sync.ingest.result import IngestError, IngestResult
from sync.ingest.statistics import recompute_customer_statistics

__all__ = [
    "IngestError",
    "IngestResult",
    "detach_orders",
    "recompute_customer_statistics",
    "upsert_carts",
    "upsert_customers",
    "upsert_order_lines",
    "upsert_orders",
    "upsert_products",
]

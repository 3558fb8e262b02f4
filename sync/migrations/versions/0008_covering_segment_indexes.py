"""covering indexes for the statistics segments

A full evaluation reads the matching customers' ids (their count and fingerprint, then
the membership difference): with indexes on (shop, figure) alone PostgreSQL had to visit
the wide customer rows, and chose a parallel scan of the whole table (about 200 ms at a
million customers, the same for every statistics segment). With the id (and, for the
last order date, the orders count that "lapsed" segments test beside it) in the index,
the same evaluation is an index-only scan: 206 ms to 47 ms for "ordered, but not for 6
months", 192 ms to 35 ms for "never ordered" (bench/segments.py's database). PostgreSQL
only: SQLite has no INCLUDE, and its indexes stay as they are.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name: (indexed column after shop_id, columns carried in the index)
COVERING = {
    "ix_customers_shop_orders_count": ("orders_count", ["id"]),
    "ix_customers_shop_total_spent": ("total_spent", ["id"]),
    "ix_customers_shop_last_order_date": ("last_order_date", ["id", "orders_count"]),
    "ix_customers_shop_first_order_date": ("first_order_date", ["id"]),
    "ix_customers_shop_loyalty_tier": ("loyalty_tier", ["id"]),
}


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for name, (column, carried) in COVERING.items():
        op.drop_index(name, table_name="customers")
        op.create_index(name, "customers", ["shop_id", column], postgresql_include=carried)


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for name, (column, _carried) in COVERING.items():
        op.drop_index(name, table_name="customers")
        op.create_index(name, "customers", ["shop_id", column])

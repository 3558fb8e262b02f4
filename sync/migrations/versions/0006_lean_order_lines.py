"""lean order_lines and orders: no foreign keys on lines, only the indexes queries use

Order lines are the bulk of every load (about 2.5 per order) and each index and foreign
key was paid on every row: 6 indexes and 2 foreign-key checks made a line cost 30-45 µs.
Kept: the surrogate id (appended in order, cheap), the ingest key (shop, order external
id, line key), (shop, category, order) for products_purchased(category:) over a whole
shop, and (order) for incremental re-checks and the admin's order pages. Dropped: the sku
and product indexes (products_purchased(sku:|product_id:) reads the lines table like
vendor: already did) and both foreign keys; integrity is kept by ingest (lines are only
written under their order's key) and by erase_shop, which deletes children explicitly.

Orders are looked up by their customer's platform id or email only while they wait for
that customer (customer_id IS NULL): those two indexes become partial, so the orders that
arrive linked (nearly all) no longer pay for them.

Segments get `members_fingerprint` (XOR of a 64-bit hash of the members' ids), so that a
full evaluation finding the same count and fingerprint skips the membership difference.

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-22

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING_ORDER_INDEXES = (
    ("ix_orders_shop_customer_external_id", ["shop_id", "customer_external_id"]),
    ("ix_orders_shop_email", ["shop_id", "email"]),
)


def upgrade() -> None:
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint("fk_order_lines_order_id_orders", type_="foreignkey")
        batch_op.drop_constraint("fk_order_lines_shop_id_shops", type_="foreignkey")
        batch_op.drop_index("ix_order_lines_shop_sku_order")
        batch_op.drop_index("ix_order_lines_shop_product_order")
    waiting = sa.text("customer_id IS NULL")
    for name, columns in WAITING_ORDER_INDEXES:
        op.drop_index(name, table_name="orders")
        op.create_index(name, "orders", columns, postgresql_where=waiting, sqlite_where=waiting)
    op.add_column("segments", sa.Column("members_fingerprint", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.drop_column("members_fingerprint")
    for name, columns in WAITING_ORDER_INDEXES:
        op.drop_index(name, table_name="orders")
        op.create_index(name, "orders", columns)
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_lines_shop_product_order",
            ["shop_id", "product_external_id", "order_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_order_lines_shop_sku_order", ["shop_id", "sku", "order_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_order_lines_shop_id_shops", "shops", ["shop_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_foreign_key(
            "fk_order_lines_order_id_orders", "orders", ["order_id"], ["id"], ondelete="CASCADE"
        )

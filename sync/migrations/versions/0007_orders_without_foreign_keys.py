"""orders without foreign keys

Each order's insert checked two foreign keys (its shop, its customer), and each check
locks the referenced row (FOR KEY SHARE: a WAL record per order on the customer's row):
more than half of an order's insert cost in bench/ingest.py. Integrity is kept the way
order lines keep it (migration 0006): ingest writes `customer_id` only from a customer it
found in the same transaction, the code that deletes customers first detaches their orders
(sync.ingest.detach_orders), and erase_shop deletes a shop's orders explicitly.

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-23

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint("fk_orders_customer_id_customers", type_="foreignkey")
        batch_op.drop_constraint("fk_orders_shop_id_shops", type_="foreignkey")


def downgrade() -> None:
    # Orders pointing at a customer that no longer exists would refuse the constraint.
    op.execute(
        "UPDATE orders SET customer_id = NULL WHERE customer_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM customers WHERE customers.id = orders.customer_id)"
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_orders_shop_id_shops", "shops", ["shop_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_foreign_key(
            "fk_orders_customer_id_customers",
            "customers",
            ["customer_id"],
            ["id"],
            ondelete="SET NULL",
        )

"""customer statistics in a table of their own

Ingest rewrites a customer's statistics (orders count, amount spent, average order, first
and last order) for every customer a batch of orders touches. On the customer row each
rewrite was a new row version with an entry in all 15 of its indexes, four of them on the
figures themselves: 84 microseconds a customer, 80% of ingest's statistics statement and a
third of a bulk load's time in PostgreSQL (bench/ingest.py). In a narrow table with no
index but its key, the same rewrite is a HOT update on the same page (fillfactor 80 keeps
room for them): 12 microseconds. Segments on the figures read this table, about 90 bytes
a row, instead of an index on the wide customers table (docs/architecture.md has both
benches' figures).

Every customer gets its row; the figures move over unchanged; the four statistics
indexes and the seven columns leave customers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Money = sa.Numeric(14, 2)
FIGURES = (
    "orders_count", "total_spent", "average_order_value", "first_order_at", "last_order_at",
    "first_order_date", "last_order_date",
)  # fmt: skip
# The indexes of migrations 0001, 0002 and 0008 on the figures (name: column).
INDEXES = {
    "ix_customers_shop_orders_count": "orders_count",
    "ix_customers_shop_total_spent": "total_spent",
    "ix_customers_shop_last_order_date": "last_order_date",
    "ix_customers_shop_first_order_date": "first_order_date",
}
# What the covering indexes of migration 0008 carried (PostgreSQL).
CARRIED = {
    "ix_customers_shop_orders_count": ["id"],
    "ix_customers_shop_total_spent": ["id"],
    "ix_customers_shop_last_order_date": ["id", "orders_count"],
    "ix_customers_shop_first_order_date": ["id"],
}


def _figure_columns() -> list[sa.Column]:
    return [
        sa.Column("orders_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("total_spent", Money, nullable=False, server_default="0"),
        sa.Column("average_order_value", Money, nullable=True),
        sa.Column("first_order_at", sa.DateTime(), nullable=True),
        sa.Column("last_order_at", sa.DateTime(), nullable=True),
        sa.Column("first_order_date", sa.Date(), nullable=True),
        sa.Column("last_order_date", sa.Date(), nullable=True),
    ]


def upgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    op.create_table(
        "customer_statistics",
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("shop_id", Id, nullable=False),
        *_figure_columns(),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_customer_statistics_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customer_statistics"),
    )
    if postgresql:
        op.execute("ALTER TABLE customer_statistics SET (fillfactor = 80)")
    listed = ", ".join(FIGURES)
    op.execute(
        f"INSERT INTO customer_statistics (customer_id, shop_id, {listed}) "
        f"SELECT id, shop_id, {listed} FROM customers"
    )
    for name in INDEXES:
        op.drop_index(name, table_name="customers")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        for name in FIGURES:
            batch_op.drop_column(name)


def downgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    with op.batch_alter_table("customers", schema=None) as batch_op:
        for column in _figure_columns():
            batch_op.add_column(column)
    assignments = ", ".join(
        f"{name} = (SELECT s.{name} FROM customer_statistics AS s "
        f"WHERE s.customer_id = customers.id)"
        for name in FIGURES
    )
    op.execute(
        f"UPDATE customers SET {assignments} "
        "WHERE EXISTS (SELECT 1 FROM customer_statistics AS s WHERE s.customer_id = customers.id)"
    )
    for name, column in INDEXES.items():
        carried = {"postgresql_include": CARRIED[name]} if postgresql else {}
        op.create_index(name, "customers", ["shop_id", column], **carried)
    op.drop_table("customer_statistics")

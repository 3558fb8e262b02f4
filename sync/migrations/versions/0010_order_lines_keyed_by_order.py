"""order lines keyed by (order, line key); only waiting lines indexed by the order's
external id

A line was keyed by (shop, order external id, line key) and also indexed by its order id:
two index entries per line, one of them on two text columns, paid by every line of every
load (the bulk of it: about 2.5 lines per order). Lines under a stored order (nearly all)
are now keyed by (order id, line key), which also serves every read of an order's lines,
so the order-id index goes; lines waiting for their order (CSV, webhooks race; order_id
NULL) keep the external key as a partial unique index of their own. Building a million
lines' indexes by hand cost 2.55 s for the text key and 1.4 s for the order index,
against about 1.5 s for the new key (docs/architecture.md).

The data needs no change: a line's order_id is the id of the order with its shop and
external id, so (order id, line key) was already unique.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = sa.text("order_id IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(
            "uq_order_lines_shop_id_order_external_id_line_key", type_="unique"
        )
        batch_op.drop_index("ix_order_lines_order_id")
        batch_op.create_unique_constraint("uq_order_lines_order_id_line_key", ["order_id", "line_key"])
    op.create_index(
        "uq_order_lines_waiting",
        "order_lines",
        ["shop_id", "order_external_id", "line_key"],
        unique=True,
        postgresql_where=WAITING,
        sqlite_where=WAITING,
    )


def downgrade() -> None:
    op.drop_index("uq_order_lines_waiting", table_name="order_lines")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint("uq_order_lines_order_id_line_key", type_="unique")
        batch_op.create_index("ix_order_lines_order_id", ["order_id"], unique=False)
        batch_op.create_unique_constraint(
            "uq_order_lines_shop_id_order_external_id_line_key",
            ["shop_id", "order_external_id", "line_key"],
        )

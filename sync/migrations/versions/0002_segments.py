"""segments: stored segments, members, history, sizes; indexes segment queries use

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", Id, nullable=False),
        sa.Column("shop_id", Id, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("ast", JSONType, nullable=False),
        sa.Column("template", sa.String(length=64), nullable=True),
        sa.Column("time_relative", sa.Boolean(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("last_evaluated_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_segments_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("shop_id", "name", name=op.f("uq_segments_shop_id_name")),
    )
    op.create_index(
        "ix_segments_shop_time_relative", "segments", ["shop_id", "time_relative"], unique=False
    )
    op.create_table(
        "segment_members",
        sa.Column("segment_id", Id, nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_segment_members_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_segment_members_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("segment_id", "customer_id", name=op.f("pk_segment_members")),
    )
    op.create_index("ix_segment_members_customer", "segment_members", ["customer_id"])
    op.create_table(
        "segment_events",
        sa.Column("id", Id, nullable=False),
        sa.Column("segment_id", Id, nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_segment_events_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_segment_events_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_events")),
    )
    op.create_index("ix_segment_events_segment_at", "segment_events", ["segment_id", "at"])
    op.create_index("ix_segment_events_customer_at", "segment_events", ["customer_id", "at"])
    op.create_table(
        "segment_sizes",
        sa.Column("id", Id, nullable=False),
        sa.Column("segment_id", Id, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("entered", sa.Integer(), nullable=False),
        sa.Column("exited", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_segment_sizes_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_sizes")),
    )
    op.create_index("ix_segment_sizes_segment_at", "segment_sizes", ["segment_id", "at"])
    # Indexes the segment conditions use (sync/segments/compile.py).
    op.create_index("ix_customers_shop_birth_date", "customers", ["shop_id", "birth_date"])
    op.create_index(
        "ix_customers_shop_first_order_date", "customers", ["shop_id", "first_order_date"]
    )
    op.create_index("ix_customers_shop_loyalty_tier", "customers", ["shop_id", "loyalty_tier"])
    op.create_index("ix_customers_shop_industry", "customers", ["shop_id", "industry"])
    op.create_index("ix_carts_shop_updated_date", "carts", ["shop_id", "updated_date"])
    if op.get_context().dialect.name == "postgresql":
        # Must match Compiler.month_day's PostgreSQL spelling to serve anniversaries.
        op.execute(
            "CREATE INDEX ix_customers_shop_birthday ON customers "
            "(shop_id, (EXTRACT(month FROM birth_date) * 100 + EXTRACT(day FROM birth_date)))"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_customers_shop_birthday")
    op.drop_index("ix_carts_shop_updated_date", table_name="carts")
    op.drop_index("ix_customers_shop_industry", table_name="customers")
    op.drop_index("ix_customers_shop_loyalty_tier", table_name="customers")
    op.drop_index("ix_customers_shop_first_order_date", table_name="customers")
    op.drop_index("ix_customers_shop_birth_date", table_name="customers")
    op.drop_table("segment_sizes")
    op.drop_table("segment_events")
    op.drop_table("segment_members")
    op.drop_table("segments")

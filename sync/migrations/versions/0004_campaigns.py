"""campaigns: campaigns, variants, audience segments, cache versions, exposures, conversions;
storefront events carry their campaign and variant

Revision ID: 0004
Revises: 0006
Create Date: 2026-11-22

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", Id, nullable=False),
        sa.Column("shop_id", Id, nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("slot", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("goal", sa.String(length=16), nullable=False),
        sa.Column("seed", sa.String(length=32), nullable=False),
        sa.Column("audience", JSONType, nullable=False),
        sa.Column("pages", JSONType, nullable=False),
        sa.Column("triggers", JSONType, nullable=False),
        sa.Column("frequency", JSONType, nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=True),
        sa.Column("ends_at", sa.DateTime(), nullable=True),
        sa.Column("weekdays", JSONType, nullable=False),
        sa.Column("hours", JSONType, nullable=True),
        sa.Column("attribution_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("launched_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        _fk("campaigns", "shop_id", "shops", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("public_id", name=op.f("uq_campaigns_public_id")),
    )
    op.create_index("ix_campaigns_shop_status", "campaigns", ["shop_id", "status"])
    op.create_table(
        "campaign_variants",
        sa.Column("id", Id, nullable=False),
        sa.Column("campaign_id", Id, nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("is_control", sa.Boolean(), nullable=False),
        sa.Column("content", JSONType, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _fk("campaign_variants", "campaign_id", "campaigns", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_variants")),
        sa.UniqueConstraint(
            "campaign_id", "key", name=op.f("uq_campaign_variants_campaign_id_key")
        ),
    )
    op.create_table(
        "campaign_segments",
        sa.Column("campaign_id", Id, nullable=False),
        sa.Column("segment_id", Id, nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        _fk("campaign_segments", "campaign_id", "campaigns", "CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "segment_id", name=op.f("pk_campaign_segments")),
    )
    op.create_index("ix_campaign_segments_segment", "campaign_segments", ["segment_id"])
    op.create_table(
        "campaign_versions",
        sa.Column("shop_id", Id, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        _fk("campaign_versions", "shop_id", "shops", "CASCADE"),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_campaign_versions")),
    )
    op.create_table(
        "campaign_exposures",
        sa.Column("id", Id, nullable=False),
        sa.Column("shop_id", Id, nullable=False),
        sa.Column("campaign_id", Id, nullable=False),
        sa.Column("variant_id", Id, nullable=False),
        sa.Column("visitor_id", Id, nullable=False),
        sa.Column("customer_id", Id, nullable=True),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("impressions", sa.Integer(), nullable=False),
        sa.Column("last_impression_at", sa.DateTime(), nullable=True),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("clicked_at", sa.DateTime(), nullable=True),
        sa.Column("closes", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        _fk("campaign_exposures", "shop_id", "shops", "CASCADE"),
        _fk("campaign_exposures", "campaign_id", "campaigns", "CASCADE"),
        _fk("campaign_exposures", "variant_id", "campaign_variants", "CASCADE"),
        _fk("campaign_exposures", "visitor_id", "visitors", "CASCADE"),
        _fk("campaign_exposures", "customer_id", "customers", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_exposures")),
        sa.UniqueConstraint(
            "campaign_id", "visitor_id", name=op.f("uq_campaign_exposures_campaign_id_visitor_id")
        ),
    )
    op.create_index("ix_campaign_exposures_visitor", "campaign_exposures", ["visitor_id"])
    op.create_index("ix_campaign_exposures_customer", "campaign_exposures", ["customer_id"])
    op.create_index("ix_campaign_exposures_variant", "campaign_exposures", ["variant_id"])
    op.create_table(
        "campaign_exposure_segments",
        sa.Column("exposure_id", Id, nullable=False),
        sa.Column("segment_id", Id, nullable=False),
        _fk("campaign_exposure_segments", "exposure_id", "campaign_exposures", "CASCADE"),
        sa.PrimaryKeyConstraint(
            "exposure_id", "segment_id", name=op.f("pk_campaign_exposure_segments")
        ),
    )
    op.create_index(
        "ix_campaign_exposure_segments_segment", "campaign_exposure_segments", ["segment_id"]
    )
    op.create_table(
        "campaign_conversions",
        sa.Column("id", Id, nullable=False),
        sa.Column("campaign_id", Id, nullable=False),
        sa.Column("variant_id", Id, nullable=False),
        sa.Column("exposure_id", Id, nullable=False),
        sa.Column("order_id", Id, nullable=False),
        sa.Column("revenue", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("converted_at", sa.DateTime(), nullable=False),
        _fk("campaign_conversions", "campaign_id", "campaigns", "CASCADE"),
        _fk("campaign_conversions", "variant_id", "campaign_variants", "CASCADE"),
        _fk("campaign_conversions", "exposure_id", "campaign_exposures", "CASCADE"),
        _fk("campaign_conversions", "order_id", "orders", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_conversions")),
        sa.UniqueConstraint(
            "campaign_id", "order_id", name=op.f("uq_campaign_conversions_campaign_id_order_id")
        ),
    )
    op.create_index(
        "ix_campaign_conversions_exposure", "campaign_conversions", ["exposure_id"]
    )
    with op.batch_alter_table("storefront_events") as batch_op:
        batch_op.add_column(sa.Column("campaign", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("variant", sa.String(length=32), nullable=True))
    op.create_index(
        "ix_storefront_events_shop_campaign_kind_date",
        "storefront_events",
        ["shop_id", "campaign", "kind", "occurred_date"],
    )


def downgrade() -> None:
    op.drop_index("ix_storefront_events_shop_campaign_kind_date", table_name="storefront_events")
    with op.batch_alter_table("storefront_events") as batch_op:
        batch_op.drop_column("variant")
        batch_op.drop_column("campaign")
    op.drop_table("campaign_conversions")
    op.drop_table("campaign_exposure_segments")
    op.drop_table("campaign_exposures")
    op.drop_table("campaign_versions")
    op.drop_table("campaign_segments")
    op.drop_table("campaign_variants")
    op.drop_table("campaigns")

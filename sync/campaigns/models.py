"""Campaigns, their variants and audience segments, and what their statistics are built from.

Tables made by migration 0004. A campaign's rules (audience, pages, triggers, frequency,
schedule) are JSON documents checked by the API's schemas: decide reads them once into a
per-shop cache, so their shape costs nothing per request. Statistics are not computed from
the raw event stream but from one row per (campaign, visitor): the exposure, written when
the first impression arrives and updated by later clicks, closes and submissions, and from
conversions (orders attributed to an exposure). Both are small, indexed and set-based to
aggregate; the raw events stay in `storefront_events` (with the campaign in indexed columns)
for segments (`campaign_events(...)`) and audits.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sync.store import Base, Id, JSONType, new_public_id, utcnow

KINDS = ("popup", "slide_in", "banner", "inline")
STATUSES = ("draft", "live", "paused", "ended")
GOALS = ("conversion", "submission", "click")
SEGMENT_MODES = ("include", "exclude")
DEFAULT_ATTRIBUTION_DAYS = 7


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        UniqueConstraint("public_id"),
        Index("ix_campaigns_shop_status", "shop_id", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    # What the storefront and the API call it (never the sequential id).
    public_id: Mapped[str] = mapped_column(String(32), default=new_public_id)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    # The inline slot it fills (`<div data-cible-slot="home-hero">`); None for overlays.
    slot: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    goal: Mapped[str] = mapped_column(String(16), default="conversion")
    # Bucketing seed: fixed at creation, so a visitor keeps their variant on every server.
    seed: Mapped[str] = mapped_column(String(32), default=new_public_id)
    # {"visitors": "all|identified|anonymous", "devices": [], "countries": [],
    #  "returning": null|true|false}; segments are rows of campaign_segments.
    audience: Mapped[dict] = mapped_column(JSONType, default=dict)
    # {"url": [{"op", "value"}], "url_exclude": [...], "page_types": [], "products": [],
    #  "categories": []}: each non-empty list must match (any of its items).
    pages: Mapped[dict] = mapped_column(JSONType, default=dict)
    triggers: Mapped[list] = mapped_column(JSONType, default=list)
    frequency: Mapped[dict] = mapped_column(JSONType, default=dict)
    # Schedule: naive UTC bounds (entered in the shop's time zone), and optional local
    # weekdays (1 = Monday) and hours {"from": "09:00", "to": "18:00"}.
    starts_at: Mapped[datetime | None] = mapped_column(DateTime)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime)
    weekdays: Mapped[list] = mapped_column(JSONType, default=list)
    hours: Mapped[dict | None] = mapped_column(JSONType)
    attribution_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_ATTRIBUTION_DAYS)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # First time it went live, and when it ended.
    launched_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)


class CampaignVariant(Base):
    __tablename__ = "campaign_variants"
    __table_args__ = (UniqueConstraint("campaign_id", "key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(255))
    weight: Mapped[int] = mapped_column(Integer, default=1)
    # A control shows nothing: its impressions measure what happens without the campaign.
    is_control: Mapped[bool] = mapped_column(Boolean, default=False)
    # Sanitised at save (sync.campaigns.content); variables are filled in at decide.
    content: Mapped[dict] = mapped_column(JSONType, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)


class CampaignSegment(Base):
    """A segment a campaign includes (member of any) or excludes (member of none).

    No foreign key to segments: a deleted segment leaves its row, which then matches
    nobody, so a campaign meant for a segment never silently widens to everyone.
    """

    __tablename__ = "campaign_segments"
    __table_args__ = (Index("ix_campaign_segments_segment", "segment_id"),)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    segment_id: Mapped[int] = mapped_column(Id, primary_key=True)
    mode: Mapped[str] = mapped_column(String(8))


class CampaignVersion(Base):
    """A per-shop counter bumped by every campaign change: decide's caches compare it."""

    __tablename__ = "campaign_versions"

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CampaignExposure(Base):
    """One visitor's history with one campaign: the variant seen and what followed."""

    __tablename__ = "campaign_exposures"
    __table_args__ = (
        UniqueConstraint("campaign_id", "visitor_id"),
        Index("ix_campaign_exposures_visitor", "visitor_id"),
        Index("ix_campaign_exposures_customer", "customer_id"),
        Index("ix_campaign_exposures_variant", "variant_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("campaign_variants.id", ondelete="CASCADE"))
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"))
    # The visitor's customer (signed identity) or who submitted the form: attribution.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    first_at: Mapped[datetime] = mapped_column(DateTime)
    # The latest impression or click: the attribution window runs from here.
    last_at: Mapped[datetime] = mapped_column(DateTime)
    impressions: Mapped[int] = mapped_column(Integer, default=0)
    last_impression_at: Mapped[datetime | None] = mapped_column(DateTime)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    clicked_at: Mapped[datetime | None] = mapped_column(DateTime)
    closes: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)


class CampaignExposureSegment(Base):
    """The segments the visitor's customer belonged to at first impression (per-segment
    statistics: read from a snapshot, since converting moves people between segments)."""

    __tablename__ = "campaign_exposure_segments"
    __table_args__ = (Index("ix_campaign_exposure_segments_segment", "segment_id"),)

    exposure_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_exposures.id", ondelete="CASCADE"), primary_key=True
    )
    segment_id: Mapped[int] = mapped_column(Id, primary_key=True)


class CampaignConversion(Base):
    """An order attributed to an exposure (one campaign counts an order at most once)."""

    __tablename__ = "campaign_conversions"
    __table_args__ = (
        UniqueConstraint("campaign_id", "order_id"),
        Index("ix_campaign_conversions_exposure", "exposure_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("campaign_variants.id", ondelete="CASCADE"))
    exposure_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_exposures.id", ondelete="CASCADE")
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    revenue: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    converted_at: Mapped[datetime] = mapped_column(DateTime)

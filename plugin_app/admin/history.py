"""A customer's place in the shop's marketing: the segments they belong to and the
campaigns they saw (variant, clicks, sign-ups, attributed orders)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.segments.models import Segment, SegmentMember

try:  # Campaigns come with the storefront (migration 0004).
    from sync.campaigns.models import (
        Campaign,
        CampaignConversion,
        CampaignExposure,
        CampaignVariant,
    )
except ImportError:  # pragma: no cover
    Campaign = None

CAMPAIGNS_SHOWN = 50


@dataclass
class SeenCampaign:
    public_id: str
    name: str
    status: str
    variant: str
    control: bool
    first_at: datetime
    impressions: int
    clicked: bool
    submitted: bool
    orders: int


def customer_segments_and_campaigns(session: Session, shop_id: int, customer_id: int):
    memberships = session.execute(
        select(Segment.id, Segment.name, SegmentMember.since)
        .join(SegmentMember, SegmentMember.segment_id == Segment.id)
        .where(Segment.shop_id == shop_id, SegmentMember.customer_id == customer_id)
        .order_by(Segment.name)
    ).all()
    if Campaign is None:
        return memberships, []
    orders = (
        select(func.count(CampaignConversion.id))
        .where(CampaignConversion.exposure_id == CampaignExposure.id)
        .correlate(CampaignExposure)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Campaign, CampaignVariant, CampaignExposure, orders)
        .join(CampaignExposure, CampaignExposure.campaign_id == Campaign.id)
        .join(CampaignVariant, CampaignVariant.id == CampaignExposure.variant_id)
        .where(
            Campaign.shop_id == shop_id,
            CampaignExposure.shop_id == shop_id,
            CampaignExposure.customer_id == customer_id,
        )
        .order_by(CampaignExposure.first_at.desc())
        .limit(CAMPAIGNS_SHOWN)
    ).all()
    seen = [
        SeenCampaign(
            public_id=campaign.public_id,
            name=campaign.name,
            status=campaign.status,
            variant=variant.name or variant.key,
            control=variant.is_control,
            first_at=exposure.first_at,
            impressions=exposure.impressions,
            clicked=exposure.clicked_at is not None,
            submitted=exposure.submitted_at is not None,
            orders=count or 0,
        )
        for campaign, variant, exposure, count in rows
    ]
    return memberships, seen

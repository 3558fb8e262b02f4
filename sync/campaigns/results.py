"""A campaign's results: per variant, and per segment, the figures and what they mean.

Counts come from exposures (one per visitor and campaign) and conversions, in two
GROUP BY queries per view (overall; per segment through the snapshot taken at first
impression). Rates are per exposed visitor. The goal metric (conversion, submission or
click, chosen per campaign) decides the chance to beat control and the sample needed.
Without a control variant, the first variant is the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.campaigns import stats
from sync.campaigns.models import (
    Campaign,
    CampaignConversion,
    CampaignExposure,
    CampaignExposureSegment,
    CampaignVariant,
)
from sync.segments.models import Segment

CENT = Decimal("0.01")


@dataclass
class Counts:
    visitors: int = 0
    impressions: int = 0
    clicks: int = 0
    submissions: int = 0
    conversions: int = 0
    orders: int = 0
    revenue: Decimal = Decimal("0")

    def successes(self, goal: str) -> int:
        return {"conversion": self.conversions, "submission": self.submissions}.get(
            goal, self.clicks
        )


def _exposure_counts(session: Session, campaign_id: int, by_segment: bool) -> dict:
    group = [CampaignExposure.variant_id]
    statement = select(
        CampaignExposure.variant_id,
        func.count(),
        func.coalesce(func.sum(CampaignExposure.impressions), 0),
        func.count(CampaignExposure.clicked_at),
        func.count(CampaignExposure.submitted_at),
    ).where(CampaignExposure.campaign_id == campaign_id)
    if by_segment:
        statement = statement.add_columns(CampaignExposureSegment.segment_id).join(
            CampaignExposureSegment, CampaignExposureSegment.exposure_id == CampaignExposure.id
        )
        group.append(CampaignExposureSegment.segment_id)
    found: dict = {}
    for row in session.execute(statement.group_by(*group)):
        key = (row[5], row[0]) if by_segment else row[0]
        found[key] = Counts(
            visitors=row[1], impressions=int(row[2]), clicks=row[3], submissions=row[4]
        )
    conversions = select(
        CampaignConversion.variant_id,
        func.count(func.distinct(CampaignConversion.exposure_id)),
        func.count(),
        func.coalesce(func.sum(CampaignConversion.revenue), 0),
    ).where(CampaignConversion.campaign_id == campaign_id)
    group = [CampaignConversion.variant_id]
    if by_segment:
        conversions = conversions.add_columns(CampaignExposureSegment.segment_id).join(
            CampaignExposureSegment,
            CampaignExposureSegment.exposure_id == CampaignConversion.exposure_id,
        )
        group.append(CampaignExposureSegment.segment_id)
    for row in session.execute(conversions.group_by(*group)):
        key = (row[4], row[0]) if by_segment else row[0]
        counts = found.setdefault(key, Counts())
        counts.conversions, counts.orders = row[1], row[2]
        counts.revenue = Decimal(str(row[3])).quantize(CENT)
    return found


def _rate(successes: int, visitors: int) -> dict:
    interval = stats.wilson(successes, visitors)
    return {
        "value": stats.rate(successes, visitors),
        "low": interval.low if interval else None,
        "high": interval.high if interval else None,
    }


def _figures(variants: list[CampaignVariant], counts: dict, goal: str, key=lambda v: v) -> dict:
    """The per-variant block for one population (everyone, or one segment)."""
    rows = [(v, counts.get(key(v.id), Counts())) for v in variants]
    baseline = next(((v, c) for v, c in rows if v.is_control), rows[0] if rows else None)
    control = (baseline[1].successes(goal), baseline[1].visitors) if baseline else None
    arms = [(c.successes(goal), c.visitors) for _, c in rows]
    enough, needed, missing = stats.enough_data(arms, control)
    ratio = stats.sample_ratio([c.visitors for _, c in rows], [v.weight for v, _ in rows])
    answer = []
    for (variant, c), still in zip(rows, missing, strict=True):
        is_baseline = baseline is not None and variant.id == baseline[0].id
        chance = lift = None
        if not is_baseline and control is not None:
            chance = stats.chance_to_beat(c.successes(goal), c.visitors, *control)
            base_rate = stats.rate(*control)
            own = stats.rate(c.successes(goal), c.visitors)
            if base_rate and own is not None:
                lift = own / base_rate - 1
        answer.append(
            {
                "key": variant.key,
                "name": variant.name,
                "control": variant.is_control,
                "baseline": is_baseline,
                "weight": variant.weight,
                "visitors": c.visitors,
                "impressions": c.impressions,
                "clicks": c.clicks,
                "submissions": c.submissions,
                "conversions": c.conversions,
                "orders": c.orders,
                "revenue": str(c.revenue.quantize(CENT)),
                "revenue_per_visitor": (
                    str((c.revenue / c.visitors).quantize(CENT)) if c.visitors else None
                ),
                "rates": {
                    "click": _rate(c.clicks, c.visitors),
                    "submission": _rate(c.submissions, c.visitors),
                    "conversion": _rate(c.conversions, c.visitors),
                },
                "chance_to_beat_control": chance,
                "lift": lift,
                "visitors_still_needed": still,
            }
        )
    total_missing = sum(missing)
    return {
        "enough_data": enough,
        "visitors_needed_per_variant": needed,
        "message": None
        if enough
        else (
            f"Not enough data yet: about {total_missing} more visitors"
            f" ({needed} per variant, at least {stats.MIN_SUCCESSES} {goal}s each)"
            if total_missing
            else f"Not enough data yet: each variant needs at least {stats.MIN_SUCCESSES} {goal}s"
        ),
        "sample_ratio": None
        if ratio is None
        else {
            "statistic": ratio.statistic,
            "p_value": ratio.p_value,
            "mismatch": ratio.mismatch,
        },
        "variants": answer,
    }


def campaign_results(session: Session, campaign: Campaign) -> dict:
    """The results document the API answers (figures as of now; attribute first)."""
    variants = list(
        session.scalars(
            select(CampaignVariant)
            .where(CampaignVariant.campaign_id == campaign.id)
            .order_by(CampaignVariant.position, CampaignVariant.id)
        )
    )
    overall = _figures(variants, _exposure_counts(session, campaign.id, False), campaign.goal)
    per_segment = _exposure_counts(session, campaign.id, True)
    segment_ids = sorted({segment_id for segment_id, _ in per_segment})
    names = {}
    if segment_ids:
        rows = session.execute(
            select(Segment.id, Segment.name).where(Segment.id.in_(segment_ids))
        ).all()
        names = {segment_id: name for segment_id, name in rows}
    segments = []
    for segment_id in segment_ids:
        block = _figures(variants, per_segment, campaign.goal, key=lambda v, s=segment_id: (s, v))
        segments.append(
            {
                "segment_id": segment_id,
                "name": names.get(segment_id, f"segment {segment_id} (deleted)"),
                **block,
            }
        )
    segments.sort(key=lambda s: -sum(v["visitors"] for v in s["variants"]))
    return {
        "campaign": campaign.public_id,
        "goal": campaign.goal,
        "attribution_days": campaign.attribution_days,
        "baseline": "control"
        if any(v.is_control for v in variants)
        else (variants[0].key if variants else None),
        **overall,
        "segments": segments,
    }

"""The home page's short summaries: segments and campaigns at a glance, and what to do next."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.segments.models import Segment
from sync.store import StorefrontEvent

try:  # The campaigns tables come with the storefront (migration 0004).
    from sync.campaigns.models import Campaign
except ImportError:  # pragma: no cover - a tree without campaigns yet
    Campaign = None


@dataclass
class Glance:
    total: int
    items: list


@dataclass
class Step:
    title: str
    text: str
    url: str | None
    done: bool


def segments_glance(session: Session, shop_id: int, shown: int = 5) -> Glance:
    total = session.scalar(select(func.count(Segment.id)).where(Segment.shop_id == shop_id)) or 0
    items = list(
        session.scalars(
            select(Segment)
            .where(Segment.shop_id == shop_id)
            .order_by(Segment.member_count.desc(), Segment.name)
            .limit(shown)
        )
    )
    return Glance(total, items)


def campaigns_glance(session: Session, shop_id: int, shown: int = 5) -> Glance | None:
    if Campaign is None:
        return None
    total = session.scalar(select(func.count(Campaign.id)).where(Campaign.shop_id == shop_id)) or 0
    items = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.shop_id == shop_id)
            .order_by((Campaign.status == "live").desc(), Campaign.updated_at.desc())
            .limit(shown)
        )
    )
    return Glance(total, items)


def next_steps(session: Session, shop, overview, segments: Glance, campaigns) -> list[Step]:
    """A new shop's path: data in, a first segment, the storefront script, a first campaign."""
    seen_storefront = (
        session.scalar(
            select(StorefrontEvent.id).where(StorefrontEvent.shop_id == shop.id).limit(1)
        )
        is not None
    )
    steps = [
        Step(
            _("Bring in your customers"),
            _("Connect the shop from its back office, or import a CSV export."),
            url_for("admin.settings_page"),
            overview.customers > 0,
        ),
        Step(
            _("Create a first segment"),
            _("Start from a template: best customers, abandoned carts, inactive for 6 months…"),
            url_for("admin.segment_new"),
            segments.total > 0,
        ),
        Step(
            _("Install the storefront script"),
            _("One switch on Shopify, the plugin or module elsewhere: see Settings."),
            url_for("admin.settings_page") + "#storefront",
            seen_storefront,
        ),
    ]
    if campaigns is not None and "admin.campaigns" in current_app.view_functions:
        steps.append(
            Step(
                _("Launch a first campaign"),
                _("A popup for one of your segments, with an A/B test."),
                url_for("admin.campaigns"),
                any(item.status == "live" for item in campaigns.items),
            )
        )
    return steps

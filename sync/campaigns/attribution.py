"""Conversions: orders attributed to the campaign variant a customer saw or clicked.

An order is a conversion of a campaign's variant when it is a counted order (not cancelled
nor refunded) of the exposure's customer, placed at or after the visitor's first
impression and no later than the campaign's attribution window (default 7 days) after the
latest impression or click. The exposure knows its customer from a signed identity, or
from the contact its form captured. One campaign counts an order once (a customer on two
devices); different campaigns may each count it: each measures its own lift.

Set-based and idempotent (INSERT ... SELECT, conflicts ignored), so it can run as often as
wanted: before results are shown, and as a job. Conversions whose order stopped counting
(cancelled or refunded since) are removed.
"""

from __future__ import annotations

from sqlalchemy import and_, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync.campaigns.models import Campaign, CampaignConversion, CampaignExposure
from sync.queue import job_sessions
from sync.store import UNCOUNTED_ORDER_STATUSES, Order


def _window_end(dialect: str):
    """`order placed no later than last_at + attribution_days`, per dialect."""
    if dialect == "postgresql":
        return Order.created_at <= CampaignExposure.last_at + func.make_interval(
            0, 0, 0, Campaign.attribution_days
        )
    return (
        func.julianday(Order.created_at)
        <= func.julianday(CampaignExposure.last_at) + Campaign.attribution_days
    )


def attribute(session: Session, shop_id: int, campaign_id: int | None = None) -> int:
    """Record the conversions not recorded yet (of one campaign, or all the shop's);
    returns how many were added. Runs in the caller's transaction."""
    dialect = session.get_bind().dialect.name
    only = [] if campaign_id is None else [CampaignExposure.campaign_id == campaign_id]
    uncounted = (
        select(CampaignConversion.id)
        .join(Order, Order.id == CampaignConversion.order_id)
        .join(Campaign, Campaign.id == CampaignConversion.campaign_id)
        .where(Campaign.shop_id == shop_id, Order.status.in_(UNCOUNTED_ORDER_STATUSES))
    )
    if campaign_id is not None:
        uncounted = uncounted.where(CampaignConversion.campaign_id == campaign_id)
    session.execute(delete(CampaignConversion).where(CampaignConversion.id.in_(uncounted)))
    candidates = (
        select(
            CampaignExposure.campaign_id,
            CampaignExposure.variant_id,
            CampaignExposure.id,
            Order.id,
            Order.total,
            Order.created_at,
        )
        .join(Campaign, Campaign.id == CampaignExposure.campaign_id)
        .join(
            Order,
            and_(
                Order.customer_id == CampaignExposure.customer_id,
                Order.created_at >= CampaignExposure.first_at,
                _window_end(dialect),
            ),
        )
        .where(
            CampaignExposure.shop_id == shop_id,
            CampaignExposure.customer_id.is_not(None),
            Order.shop_id == shop_id,
            Order.status.not_in(UNCOUNTED_ORDER_STATUSES),
            *only,
        )
        .order_by(CampaignExposure.id, Order.id)
    )
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CampaignConversion)
    statement = insert.from_select(
        ["campaign_id", "variant_id", "exposure_id", "order_id", "revenue", "converted_at"],
        candidates,
    ).on_conflict_do_nothing(index_elements=["campaign_id", "order_id"])
    # RETURNING counts what was added on both databases (rowcount of an ORM-enabled
    # INSERT ... SELECT is not reliable everywhere).
    return len(session.execute(statement.returning(CampaignConversion.id)).all())


def attribute_shop_job(shop_id: int) -> dict:
    """The job form (RQ or inline): attribute every campaign of the shop."""
    with job_sessions()() as session:
        added = attribute(session, shop_id)
        session.commit()
        return {"shop_id": shop_id, "conversions_added": added}

"""Storefront events: validated strictly, stored as rows, folded into exposures.

A batch is refused whole (nothing stored) when any event has an unknown field or a bad
type: the loader is ours, so a refusal is a bug to see, not noise to tolerate. Events are
appended to `storefront_events` (campaign and variant in indexed columns); impressions,
clicks, closes and submissions also update the visitor's exposure to that campaign (one
row per campaign and visitor: what statistics and server-side caps read). A submission
with an e-mail or phone creates or updates the customer with the consent given
(sync.campaigns.capture); the caller re-checks that customer's segments after commit.

Counters are incremented (not recomputed): a batch the browser sends twice (a beacon
retried) counts twice, a bounded error accepted for a write path this hot.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync.campaigns.capture import capture_contact
from sync.campaigns.models import (
    Campaign,
    CampaignExposure,
    CampaignExposureSegment,
    CampaignVariant,
)
from sync.campaigns.rules import PAGE_TYPES, local_time
from sync.segments.models import SegmentMember
from sync.store import Customer, Shop, StorefrontEvent, Visitor

log = logging.getLogger(__name__)

MAX_EVENTS = 50
MAX_BYTES = 32 * 1024
VISITOR_ID = validate.Regexp(
    r"^[A-Za-z0-9_-]{16,64}$", error="a visitor id: 16 to 64 characters A-Z a-z 0-9 _ -"
)
EVENT_TYPES = ("page_view", "impression", "click", "close", "submit", "cart")
CAMPAIGN_EVENTS = ("impression", "click", "close", "submit")
# A client timestamp is believed within this window before the server's clock.
CLIENT_CLOCK_WINDOW = timedelta(hours=24)
CLIENT_CLOCK_AHEAD = timedelta(minutes=5)


class EventsError(ValueError):
    """A batch refused whole; `status` is the HTTP answer (400 or 413)."""

    def __init__(self, message: str, status: int = 400, details: dict | None = None):
        super().__init__(message)
        self.status = status
        self.details = details or {}


class _Event(Schema):
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    at = fields.Integer(strict=True, load_default=None, allow_none=True)


class PageView(_Event):
    url = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2048))
    page_type = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(PAGE_TYPES)
    )
    product = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))


class CampaignEvent(_Event):
    campaign = fields.String(required=True, validate=validate.Length(min=1, max=32))
    variant = fields.String(required=True, validate=validate.Length(min=1, max=32))


class SubmittedFields(Schema):
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=320))
    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^\+?[0-9 ().-]{6,32}$", error="a phone number"),
    )
    consent = fields.Boolean(load_default=False)


class Submit(CampaignEvent):
    # Sent as "fields"; named otherwise here because Schema.fields is marshmallow's own.
    submitted = fields.Nested(SubmittedFields, required=True, data_key="fields")

    @validates_schema
    def something(self, data, **_kwargs):
        given = data.get("submitted") or {}
        if not given.get("email") and not given.get("phone"):
            raise ValidationError("a submission carries an email or a phone", "fields")


class CartEvent(_Event):
    value = fields.Float(required=True, validate=validate.Range(min=0, max=1e9))
    items = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=10_000))
    currency = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Za-z]{3}$")
    )


SCHEMAS = {
    "page_view": PageView(),
    "impression": CampaignEvent(),
    "click": CampaignEvent(),
    "close": CampaignEvent(),
    "submit": Submit(),
    "cart": CartEvent(),
}


class Batch(Schema):
    visitor = fields.String(required=True, validate=VISITOR_ID)
    identity = fields.Raw(load_default=None, allow_none=True)
    events = fields.List(fields.Dict(), required=True)


def read_batch(payload: object) -> dict:
    """The validated batch; EventsError (400, or 413 past MAX_EVENTS) otherwise."""
    if not isinstance(payload, dict):
        raise EventsError("the body must be a JSON object")
    events = payload.get("events")
    if isinstance(events, list) and len(events) > MAX_EVENTS:
        raise EventsError(f"at most {MAX_EVENTS} events per batch", status=413)
    try:
        batch = Batch().load(payload)
    except ValidationError as error:
        raise EventsError("invalid events batch", details=error.messages) from error
    loaded, problems = [], {}
    for index, event in enumerate(batch["events"]):
        schema = SCHEMAS.get(event.get("type"))
        if schema is None:
            problems[index] = {"type": [f"one of {', '.join(EVENT_TYPES)}"]}
            continue
        try:
            loaded.append(schema.load(event))
        except ValidationError as error:
            problems[index] = error.messages
    if problems:
        raise EventsError("invalid events", details={"events": problems})
    batch["events"] = loaded
    return batch


# ---- storing -------------------------------------------------------------------------------


@dataclass
class Stored:
    accepted: int = 0
    ignored: int = 0
    # Customers created or changed by a submission: re-check their segments after commit.
    customers: set[int] = field(default_factory=set)


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def occurred(at_ms: int | None, now: datetime) -> datetime:
    """The client's time when believable (within a day before now), else the server's."""
    if at_ms is None:
        return now
    try:
        moment = datetime.utcfromtimestamp(at_ms / 1000)
    except (OverflowError, OSError, ValueError):
        return now
    if now - CLIENT_CLOCK_WINDOW <= moment <= now + CLIENT_CLOCK_AHEAD:
        return min(moment, now)
    return now


def upsert_visitor(
    session: Session,
    shop: Shop,
    token: str,
    now: datetime,
    customer_id: int | None = None,
    page_views: int = 0,
) -> Visitor:
    """The visitor row for this browser: created on first sight, last seen moved on, and
    linked to a customer only by a verified identity (never by a typed e-mail)."""
    session.execute(
        _insert(session, Visitor)
        .values(
            shop_id=shop.id,
            token=token,
            first_seen_at=now,
            last_seen_at=now,
            last_seen_date=local_time(now, shop.timezone).date(),
            page_views=0,
        )
        .on_conflict_do_nothing(index_elements=["shop_id", "token"])
    )
    visitor = session.scalar(
        select(Visitor).where(Visitor.shop_id == shop.id, Visitor.token == token)
    )
    visitor.last_seen_at = max(visitor.last_seen_at, now)
    visitor.last_seen_date = local_time(visitor.last_seen_at, shop.timezone).date()
    visitor.page_views = (visitor.page_views or 0) + page_views
    if customer_id is not None and visitor.customer_id != customer_id:
        visitor.customer_id = customer_id
        # What this browser did before signing in now counts for the customer too.
        session.execute(
            update(StorefrontEvent)
            .where(StorefrontEvent.visitor_id == visitor.id, StorefrontEvent.customer_id.is_(None))
            .values(customer_id=customer_id)
        )
        session.execute(
            update(CampaignExposure)
            .where(
                CampaignExposure.visitor_id == visitor.id, CampaignExposure.customer_id.is_(None)
            )
            .values(customer_id=customer_id)
        )
    session.flush()
    return visitor


def customer_id_for(session: Session, shop: Shop, external_id: str | None) -> int | None:
    if external_id is None:
        return None
    return session.scalar(
        select(Customer.id).where(Customer.shop_id == shop.id, Customer.external_id == external_id)
    )


def _campaigns(session: Session, shop: Shop, public_ids: set[str]) -> dict[str, tuple]:
    """public id -> (campaign, {variant key: variant}) for this shop's campaigns."""
    if not public_ids:
        return {}
    campaigns = {
        c.id: c
        for c in session.scalars(
            select(Campaign).where(Campaign.shop_id == shop.id, Campaign.public_id.in_(public_ids))
        )
    }
    variants: dict[int, dict[str, CampaignVariant]] = {i: {} for i in campaigns}
    if campaigns:
        for variant in session.scalars(
            select(CampaignVariant).where(CampaignVariant.campaign_id.in_(list(campaigns)))
        ):
            variants[variant.campaign_id][variant.key] = variant
    return {c.public_id: (c, variants[c.id]) for c in campaigns.values()}


def _exposure(
    session: Session,
    shop: Shop,
    campaign: Campaign,
    variant: CampaignVariant,
    visitor: Visitor,
    at: datetime,
) -> CampaignExposure:
    """The visitor's exposure to the campaign, created at the first event (with the
    segments their customer is in now: per-segment statistics read this snapshot)."""
    created = session.execute(
        _insert(session, CampaignExposure)
        .values(
            shop_id=shop.id,
            campaign_id=campaign.id,
            variant_id=variant.id,
            visitor_id=visitor.id,
            customer_id=visitor.customer_id,
            first_at=at,
            last_at=at,
            impressions=0,
            clicks=0,
            closes=0,
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "visitor_id"])
        .returning(CampaignExposure.id)
    ).scalar()
    exposure = session.scalar(
        select(CampaignExposure).where(
            CampaignExposure.campaign_id == campaign.id, CampaignExposure.visitor_id == visitor.id
        )
    )
    if created is not None and visitor.customer_id is not None:
        session.execute(
            _insert(session, CampaignExposureSegment)
            .from_select(
                ["exposure_id", "segment_id"],
                select(exposure.id, SegmentMember.segment_id).where(
                    SegmentMember.customer_id == visitor.customer_id
                ),
            )
            .on_conflict_do_nothing()
        )
    return exposure


def store_batch(
    session: Session,
    shop: Shop,
    batch: dict,
    now: datetime,
    customer_external_id: str | None = None,
    tracking: bool = True,
) -> Stored:
    """Store a validated batch in the caller's transaction (the caller commits).

    `customer_external_id` is set only when the batch's identity verified. With
    `tracking` False (Do-Not-Track, Global Privacy Control) only submissions are kept:
    the shopper asked for those, and nothing else about the visit is recorded.
    """
    stored = Stored()
    events = batch["events"]
    if not tracking:
        stored.ignored = sum(1 for e in events if e["type"] != "submit")
        events = [e for e in events if e["type"] == "submit"]
        if not events:
            return stored
    customer_id = customer_id_for(session, shop, customer_external_id)
    page_views = sum(1 for e in events if e["type"] == "page_view") if tracking else 0
    visitor = upsert_visitor(
        session, shop, batch["visitor"], now, customer_id=customer_id, page_views=page_views
    )
    known = _campaigns(
        session, shop, {e["campaign"] for e in events if e["type"] in CAMPAIGN_EVENTS}
    )
    rows, seen = [], Counter()
    for event in events:
        at = occurred(event.get("at"), now)
        row = {
            "shop_id": shop.id,
            "visitor_id": visitor.id,
            "customer_id": visitor.customer_id,
            "kind": event["type"],
            "occurred_at": at,
            "occurred_date": local_time(at, shop.timezone).date(),
            "url": None,
            "page_type": None,
            "product_external_id": None,
            "category": None,
            "campaign": None,
            "variant": None,
            "data": {},
        }
        kind = event["type"]
        if kind == "page_view":
            row.update(
                url=event.get("url"),
                page_type=event.get("page_type"),
                product_external_id=event.get("product"),
                category=event.get("category"),
            )
        elif kind == "cart":
            row["data"] = {
                "value": event["value"],
                "items": event["items"],
                "currency": (event.get("currency") or shop.currency).upper(),
            }
        else:
            found = known.get(event["campaign"])
            variant = found[1].get(event["variant"]) if found else None
            if variant is None:
                stored.ignored += 1
                continue
            campaign = found[0]
            row.update(campaign=campaign.public_id, variant=variant.key)
            exposure = _exposure(session, shop, campaign, variant, visitor, at)
            _fold(exposure, kind, at)
            seen[kind] += 1
            if kind == "submit":
                submitted = event["submitted"]
                row["data"] = {"consent": submitted["consent"]}
                customer = capture_contact(
                    session,
                    shop,
                    email=submitted.get("email"),
                    phone=submitted.get("phone"),
                    consent=submitted["consent"],
                    consent_text=(variant.content.get("form") or {}).get("consent_text"),
                    source=f"cible:campaign:{campaign.public_id}",
                    now=now,
                )
                stored.customers.add(customer.id)
                if exposure.customer_id is None:
                    # For attribution only: the visitor is not signed in as this customer.
                    exposure.customer_id = customer.id
        rows.append(row)
    if rows:
        session.execute(insert(StorefrontEvent), rows)
    session.flush()
    stored.accepted = len(rows)
    return stored


def _fold(exposure: CampaignExposure, kind: str, at: datetime) -> None:
    if kind == "impression":
        exposure.impressions += 1
        exposure.last_impression_at = max(exposure.last_impression_at or at, at)
        exposure.last_at = max(exposure.last_at, at)
    elif kind == "click":
        exposure.clicks += 1
        exposure.clicked_at = min(exposure.clicked_at or at, at)
        exposure.last_at = max(exposure.last_at, at)
    elif kind == "close":
        exposure.closes += 1
    elif kind == "submit":
        exposure.submitted_at = min(exposure.submitted_at or at, at)
    exposure.first_at = min(exposure.first_at, at)

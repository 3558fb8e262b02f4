"""Creating, changing, launching and deleting campaigns; their JSON document.

Every change bumps the shop's campaign version in the same transaction, which is how the
decide caches of every web process learn that what they hold is stale. Variants are
matched by key when a campaign is changed, so a variant keeps its id (and its statistics)
across edits; a variant that already has exposures cannot be removed (set its weight to 0).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from sync.campaigns import messages
from sync.campaigns.content import ContentError, clean_content
from sync.campaigns.models import (
    Campaign,
    CampaignExposure,
    CampaignSegment,
    CampaignVariant,
    CampaignVersion,
)
from sync.campaigns.rules import local_time, to_utc
from sync.campaigns.schema import CampaignDocument
from sync.messages import Message, Text
from sync.segments.models import Segment
from sync.store import Shop, utcnow

# Status changes a merchant may make: ended is final.
TRANSITIONS = {
    "draft": {"live", "ended"},
    "live": {"paused", "ended"},
    "paused": {"live", "ended"},
    "ended": set(),
}

# Called after a commit that changed a shop's campaigns (the in-process decide cache
# registers itself here, so a change made by this process is seen at once).
_listeners: list[Callable[[int], None]] = []
CHANGED_SHOPS = "cible.campaigns.changed_shops"


class CampaignError(ValueError):
    """A campaign change that cannot be made; `fields` says where when it is a field.

    `reason` is the Message (sync/campaigns/messages.py) the admin translates; `str(error)`
    its English text, as the API and the CLI say it. `fields` has marshmallow's shape
    (field -> [messages], nested dicts, list indexes), each message a `sync.messages.Text`:
    English as a string, its Message kept for translation.
    """

    def __init__(self, reason: Message, fields: dict | None = None, status: int = 400):
        super().__init__(str(reason))
        self.reason = reason
        self.fields = fields or {}
        self.status = status


def on_change(listener: Callable[[int], None]) -> None:
    _listeners.append(listener)


def bump_version(session: Session, shop_id: int) -> None:
    """Mark the shop's campaigns changed (decide caches reload on their next check)."""
    changed = session.execute(
        update(CampaignVersion)
        .where(CampaignVersion.shop_id == shop_id)
        .values(version=CampaignVersion.version + 1, changed_at=utcnow())
    ).rowcount
    if not changed:
        session.add(CampaignVersion(shop_id=shop_id, version=1, changed_at=utcnow()))
        session.flush()
    session.info.setdefault(CHANGED_SHOPS, set()).add(shop_id)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    """Tell this process's caches at once (other processes see the version on their next
    check)."""
    for shop_id in session.info.pop(CHANGED_SHOPS, ()):
        for listener in _listeners:
            listener(shop_id)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(CHANGED_SHOPS, None)


def read_document(data: dict, partial: bool = False) -> dict:
    """The checked document; partial: only the top-level fields given (each of them whole,
    with its own defaults)."""
    if not isinstance(data, dict):
        raise CampaignError(messages.NOT_AN_OBJECT())
    try:
        if partial:
            document = CampaignDocument().load(data, partial=("name", "kind", "variants"))
            return {key: value for key, value in document.items() if key in data}
        return CampaignDocument().load(data)
    except ValidationError as error:
        raise CampaignError(messages.INVALID_CAMPAIGN(), fields=error.messages) from error


def _clean_variants(variants: list[dict]) -> list[dict]:
    cleaned = []
    for index, variant in enumerate(variants):
        try:
            content = clean_content(variant["content"], control=variant["control"])
        except ContentError as error:
            raise CampaignError(
                error.message, fields={"variants": {index: {"content": [Text(error.message)]}}}
            ) from error
        if not variant["control"] and not content_shows_something(content):
            reason = messages.VARIANT_SHOWS_NOTHING(variant=variant["key"])
            raise CampaignError(reason, fields={"variants": {index: {"content": [Text(reason)]}}})
        cleaned.append({**variant, "content": content})
    return cleaned


def content_shows_something(content: dict) -> bool:
    return any(content.get(k) for k in ("title", "html", "image_url", "form", "button"))


def _check_segments(session: Session, shop: Shop, segments: dict) -> None:
    wanted = set(segments["include"]) | set(segments["exclude"])
    if not wanted:
        return
    found = set(
        session.scalars(
            select(Segment.id).where(Segment.shop_id == shop.id, Segment.id.in_(wanted))
        )
    )
    missing = sorted(wanted - found)
    if missing:
        reason = messages.UNKNOWN_SEGMENTS(segments=", ".join(map(str, missing)), shop=shop.domain)
        raise CampaignError(reason, fields={"audience": {"segments": [Text(reason)]}})


def _apply(session: Session, shop: Shop, campaign: Campaign, data: dict) -> None:
    for name in ("name", "kind", "slot", "priority", "goal", "triggers", "attribution_days"):
        if name in data:
            setattr(campaign, name, data[name])
    if "frequency" in data:
        campaign.frequency = {k: v for k, v in data["frequency"].items() if v not in (None, False)}
    if "pages" in data:
        campaign.pages = {k: v for k, v in data["pages"].items() if v}
    if "schedule" in data:
        schedule = data["schedule"]
        start, end = schedule.get("starts_at"), schedule.get("ends_at")
        campaign.starts_at = to_utc(start, shop.timezone) if start else None
        campaign.ends_at = to_utc(end, shop.timezone) if end else None
        campaign.weekdays = sorted(set(schedule.get("weekdays") or []))
        hours = schedule.get("hours")
        campaign.hours = {"from": hours["from_"], "to": hours["to"]} if hours else None
    if "audience" in data:
        audience = data["audience"]
        _check_segments(session, shop, audience["segments"])
        campaign.audience = {
            "visitors": audience["visitors"],
            "devices": audience["devices"],
            "countries": sorted({c.upper() for c in audience["countries"]}),
            "returning": audience["returning"],
        }
        session.flush()
        session.execute(delete(CampaignSegment).where(CampaignSegment.campaign_id == campaign.id))
        for mode in ("include", "exclude"):
            for segment_id in sorted(set(audience["segments"][mode])):
                session.add(
                    CampaignSegment(campaign_id=campaign.id, segment_id=segment_id, mode=mode)
                )
    if "variants" in data:
        _replace_variants(session, campaign, _clean_variants(data["variants"]))
    if campaign.kind != "inline" and campaign.slot:
        raise CampaignError(
            messages.SLOT_NOT_INLINE(), {"slot": [Text(messages.SLOT_NOT_INLINE())]}
        )
    if campaign.kind == "inline" and not campaign.slot:
        raise CampaignError(messages.SLOT_NEEDED(), {"slot": [Text(messages.SLOT_NEEDED())]})


def _replace_variants(session: Session, campaign: Campaign, variants: list[dict]) -> None:
    session.flush()
    existing = {
        v.key: v
        for v in session.scalars(
            select(CampaignVariant).where(CampaignVariant.campaign_id == campaign.id)
        )
    }
    wanted = {v["key"] for v in variants}
    for key, row in existing.items():
        if key in wanted:
            continue
        seen = session.scalar(select(func.count()).where(CampaignExposure.variant_id == row.id))
        if seen:
            reason = messages.VARIANT_HAS_RESULTS(variant=key, count=seen)
            raise CampaignError(reason, fields={"variants": [Text(reason)]}, status=409)
        session.delete(row)
    for position, variant in enumerate(variants):
        row = existing.get(variant["key"])
        if row is None:
            row = CampaignVariant(campaign_id=campaign.id, key=variant["key"])
            session.add(row)
        row.name = variant["name"]
        row.weight = variant["weight"]
        row.is_control = variant["control"]
        row.content = variant["content"]
        row.position = position
    session.flush()


def create_campaign(session: Session, shop: Shop, data: dict) -> Campaign:
    """A new draft campaign from a campaign document; CampaignError when it is refused."""
    document = read_document(data)
    campaign = Campaign(
        shop_id=shop.id,
        name=document["name"],
        kind=document["kind"],
        status="draft",
        audience={},
        pages={},
        triggers=[],
        frequency={},
        weekdays=[],
    )
    session.add(campaign)
    session.flush()
    _apply(session, shop, campaign, document)
    bump_version(session, shop.id)
    return campaign


def change_campaign(
    session: Session, shop: Shop, campaign: Campaign, data: dict, whole: bool = False
) -> Campaign:
    """Change the fields given (the others stay; with `whole`, the document is complete and
    missing fields take their defaults); variants, when given, are the full set."""
    document = read_document(data, partial=not whole)
    if "kind" in document and "slot" not in document and document["kind"] != "inline":
        document["slot"] = None
    _apply(session, shop, campaign, document)
    campaign.updated_at = utcnow()
    bump_version(session, shop.id)
    return campaign


def set_status(session: Session, shop: Shop, campaign: Campaign, status: str) -> Campaign:
    if status == campaign.status:
        return campaign
    if status not in TRANSITIONS.get(campaign.status, set()):
        template = (
            messages.ENDED_STAYS_ENDED if campaign.status == "ended" else messages.CANNOT_BECOME
        )
        raise CampaignError(
            template(status=_status_name(campaign.status), wanted=_status_name(status)),
            status=409,
        )
    if status == "live":
        weights = session.scalars(
            select(CampaignVariant.weight).where(CampaignVariant.campaign_id == campaign.id)
        ).all()
        if not any(w > 0 for w in weights):
            raise CampaignError(messages.NO_WEIGHT(), status=409)
        campaign.launched_at = campaign.launched_at or utcnow()
    if status == "ended":
        campaign.ended_at = utcnow()
    campaign.status = status
    campaign.updated_at = utcnow()
    bump_version(session, shop.id)
    return campaign


def _status_name(status: str) -> Message | str:
    """A status's name, translated with its sentence; an unknown one as it was sent."""
    template = messages.STATUS_NAMES.get(status)
    return template() if template else status


def delete_campaign(session: Session, shop: Shop, campaign: Campaign) -> None:
    session.delete(campaign)
    session.flush()
    bump_version(session, shop.id)


def find_campaign(session: Session, shop: Shop, public_id: str) -> Campaign | None:
    """The shop's campaign with this public id (another shop's id finds nothing)."""
    return session.scalar(
        select(Campaign).where(Campaign.shop_id == shop.id, Campaign.public_id == public_id)
    )


def variants_of(session: Session, campaign_id: int) -> list[CampaignVariant]:
    return list(
        session.scalars(
            select(CampaignVariant)
            .where(CampaignVariant.campaign_id == campaign_id)
            .order_by(CampaignVariant.position, CampaignVariant.id)
        )
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment is not None else None


def _local_iso(moment: datetime | None, timezone: str) -> str | None:
    if moment is None:
        return None
    return local_time(moment, timezone).isoformat()


def campaign_json(session: Session, shop: Shop, campaign: Campaign) -> dict:
    """The campaign document as the API answers it (and accepts it back)."""
    segments = session.execute(
        select(CampaignSegment.segment_id, CampaignSegment.mode).where(
            CampaignSegment.campaign_id == campaign.id
        )
    ).all()
    pages = {"url": [], "url_exclude": [], "page_types": [], "products": [], "categories": []}
    pages.update(campaign.pages or {})
    audience = {"visitors": "all", "devices": [], "countries": [], "returning": None}
    audience.update(campaign.audience or {})
    return {
        "id": campaign.public_id,
        "name": campaign.name,
        "kind": campaign.kind,
        "slot": campaign.slot,
        "status": campaign.status,
        "priority": campaign.priority,
        "goal": campaign.goal,
        "audience": {
            "segments": {
                "include": sorted(s for s, m in segments if m == "include"),
                "exclude": sorted(s for s, m in segments if m == "exclude"),
            },
            **audience,
        },
        "pages": pages,
        "triggers": campaign.triggers,
        "frequency": campaign.frequency or {},
        "schedule": {
            "starts_at": _local_iso(campaign.starts_at, shop.timezone),
            "ends_at": _local_iso(campaign.ends_at, shop.timezone),
            "weekdays": campaign.weekdays or [],
            "hours": campaign.hours,
            "timezone": shop.timezone,
        },
        "attribution_days": campaign.attribution_days,
        "variants": [
            {
                "key": v.key,
                "name": v.name,
                "weight": v.weight,
                "control": v.is_control,
                "content": v.content,
            }
            for v in variants_of(session, campaign.id)
        ],
        "created_at": _iso(campaign.created_at),
        "updated_at": _iso(campaign.updated_at),
        "launched_at": _iso(campaign.launched_at),
        "ended_at": _iso(campaign.ended_at),
    }

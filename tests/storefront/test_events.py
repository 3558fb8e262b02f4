"""events over real HTTP: validation, limits, storage, exposures, e-mail capture."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from sync.campaigns.models import CampaignExposure, CampaignExposureSegment
from sync.segments.models import SegmentMember
from sync.store import Customer, StorefrontEvent, Visitor
from tests.storefront.conftest import ORIGIN, at_ms, new_visitor, popup

SIGNUP = popup(
    "Welcome",
    goal="submission",
    variants=[
        {
            "key": "a",
            "content": {
                "title": "10 % off",
                "form": {
                    "fields": ["email", "phone"],
                    "consent_text": "J'accepte de recevoir les offres.",
                    "submit_label": "Je m'inscris",
                },
            },
        }
    ],
)


def count(db, model, *where) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(*where))


def test_a_batch_is_stored_with_the_visitor(storefront, db, shop, launch):
    campaign = launch(popup("Offer"))
    visitor = new_visitor()
    events = [
        {
            "type": "page_view",
            "at": at_ms(),
            "url": "https://x/p/1",
            "page_type": "product",
            "product": "p1",
            "category": "Pralines",
        },
        {"type": "page_view", "at": at_ms(), "url": "https://x/", "page_type": "home"},
        {"type": "impression", "campaign": campaign, "variant": "a", "at": at_ms()},
        {"type": "click", "campaign": campaign, "variant": "a", "at": at_ms()},
        {"type": "cart", "at": at_ms(), "value": 42.5, "items": 3, "currency": "EUR"},
    ]
    response = storefront.events(visitor, events, headers={"Origin": ORIGIN})
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 5, "ignored": 0}
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    row = db.scalar(select(Visitor).where(Visitor.token == visitor))
    assert row.page_views == 2 and row.last_seen_date is not None and row.customer_id is None
    kinds = db.scalars(select(StorefrontEvent.kind).where(StorefrontEvent.visitor_id == row.id))
    assert sorted(kinds) == ["cart", "click", "impression", "page_view", "page_view"]
    impression = db.scalar(select(StorefrontEvent).where(StorefrontEvent.kind == "impression"))
    assert (impression.campaign, impression.variant) == (campaign, "a")
    exposure = db.scalar(select(CampaignExposure))
    assert (exposure.impressions, exposure.clicks) == (1, 1)
    assert exposure.clicked_at is not None


def test_unknown_fields_and_bad_types_refuse_the_whole_batch(storefront, db):
    visitor = new_visitor()
    good = {"type": "page_view", "at": at_ms(), "url": "https://x/"}
    for bad in (
        {**good, "colour": "red"},
        {"type": "page_view", "at": "yesterday"},
        {"type": "teleport", "at": at_ms()},
        {"type": "cart", "at": at_ms(), "value": "lots", "items": 1},
        {"type": "submit", "campaign": "x", "variant": "a", "fields": {"email": "not-an-email"}},
        {"type": "submit", "campaign": "x", "variant": "a", "fields": {"consent": True}},
    ):
        response = storefront.events(visitor, [good, bad])
        assert response.status_code == 400, bad
        assert response.json()["error"]
    refused = storefront.post("events", {"visitor": visitor, "events": [good], "extra": 1})
    assert refused.status_code == 400
    assert storefront.events("short", [good]).status_code == 400
    assert count(db, StorefrontEvent) == 0


def test_size_and_count_limits(storefront, db):
    visitor = new_visitor()
    event = {"type": "page_view", "at": at_ms(), "url": "https://x/"}
    assert storefront.events(visitor, [event] * 51).status_code == 413
    big = {"type": "page_view", "at": at_ms(), "url": "https://x/" + "y" * 2000}
    too_big = storefront.post(
        "events", None, raw=json.dumps({"visitor": visitor, "events": [big] * 17}).encode()
    )
    assert too_big.status_code == 413
    assert storefront.events(visitor, [event] * 50).status_code == 202


def test_one_visitor_sending_too_fast_is_told_to_slow_down(storefront):
    visitor = new_visitor()
    event = [{"type": "page_view", "at": at_ms(), "url": "https://x/"}]
    statuses = [storefront.events(visitor, event).status_code for _ in range(30)]
    assert statuses[:20] == [202] * 20 and statuses[-1] == 429
    assert storefront.events(new_visitor(), event).status_code == 202


def test_an_email_capture_reaches_the_customer_with_consent_and_segments(
    storefront, db, shop, launch, segments
):
    from sync.segments.evaluate import create_segment, evaluate_segment
    from sync.store import utcnow

    subscribed = create_segment(db, shop, "subscribed", "email_subscription_status = 'SUBSCRIBED'")
    evaluate_segment(db, subscribed, utcnow())
    db.commit()
    campaign = launch(SIGNUP)
    visitor = new_visitor()
    submit = {
        "type": "submit",
        "campaign": campaign,
        "variant": "a",
        "at": at_ms(),
        "fields": {"email": "Zoe@Example.FR", "phone": "+33 6 12 34 56 78", "consent": True},
    }
    response = storefront.events(visitor, [submit])
    assert response.status_code == 202, response.text
    db.expire_all()
    zoe = db.scalar(select(Customer).where(Customer.email == "zoe@example.fr"))
    assert zoe.is_guest and zoe.external_id == "guest:zoe@example.fr"
    assert zoe.email_subscription_status == "SUBSCRIBED"
    assert zoe.email_consent_at is not None
    assert zoe.email_consent_source == f"cible:campaign:{campaign}"
    assert zoe.attributes["email_consent_text"] == "J'accepte de recevoir les offres."
    assert zoe.sms_subscription_status == "SUBSCRIBED" and zoe.phone == "+33 6 12 34 56 78"
    # Segments re-checked for her: she is subscribed and has never ordered.
    members = set(
        db.scalars(select(SegmentMember.segment_id).where(SegmentMember.customer_id == zoe.id))
    )
    assert members == {subscribed.id, segments["never ordered"]}
    # The browser is NOT signed in as her (a typed e-mail proves nothing)...
    assert db.scalar(select(Visitor.customer_id).where(Visitor.token == visitor)) is None
    # ...but the exposure knows her, for attribution.
    assert db.scalar(select(CampaignExposure.customer_id)) == zoe.id


def test_a_capture_updates_a_registered_customer_and_never_lowers_consent(
    storefront, db, launch, people
):
    campaign = launch(SIGNUP)

    def submit(consent):
        event = {
            "type": "submit",
            "campaign": campaign,
            "variant": "a",
            "at": at_ms(),
            "fields": {"email": "ana@example.fr", "consent": consent},
        }
        assert storefront.events(new_visitor(), [event]).status_code == 202

    submit(False)
    db.expire_all()
    ana = db.scalar(select(Customer).where(Customer.external_id == "ana"))
    assert ana.email_subscription_status == "NOT_SUBSCRIBED" and ana.email_consent_at is None
    submit(True)
    db.expire_all()
    assert ana.email_subscription_status == "SUBSCRIBED" and not ana.is_guest
    submit(False)
    db.expire_all()
    assert ana.email_subscription_status == "SUBSCRIBED"
    assert count(db, Customer, Customer.email == "ana@example.fr") == 1


def test_a_signed_identity_links_the_visitor_and_snapshots_segments(
    storefront, db, launch, segments
):
    campaign = launch(popup("Offer"))
    visitor = new_visitor()
    view = {"type": "page_view", "at": at_ms(), "url": "https://x/"}
    storefront.events(visitor, [view])
    impression = {"type": "impression", "campaign": campaign, "variant": "a", "at": at_ms()}
    response = storefront.events(visitor, [impression], identity=storefront.identity("ana"))
    assert response.status_code == 202
    row = db.scalar(select(Visitor).where(Visitor.token == visitor))
    ana_id = db.scalar(select(Customer.id).where(Customer.external_id == "ana"))
    assert row.customer_id == ana_id
    # The page view sent before signing in now belongs to ana too.
    assert count(db, StorefrontEvent, StorefrontEvent.customer_id == ana_id) == 2
    snapshot = set(db.scalars(select(CampaignExposureSegment.segment_id)))
    assert snapshot == {segments["vip"], segments["buyers"]}
    # A forged identity links nobody.
    other = new_visitor()
    forged = storefront.identity("bob")
    forged["customer_id"] = "ana"
    storefront.events(other, [view], identity=forged)
    assert db.scalar(select(Visitor.customer_id).where(Visitor.token == other)) is None


def test_unknown_campaigns_are_ignored_not_refused(storefront, db, launch, shop):
    from sync.shops import create_shop

    campaign = launch(popup("Offer"))
    elsewhere = create_shop(db, platform="csv", domain="other.example")
    from sync.campaigns.editing import create_campaign

    foreign = create_campaign(db, elsewhere, popup("Foreign")).public_id
    db.commit()
    events = [
        {"type": "impression", "campaign": "gone", "variant": "a", "at": at_ms()},
        {"type": "impression", "campaign": campaign, "variant": "zz", "at": at_ms()},
        {"type": "impression", "campaign": foreign, "variant": "a", "at": at_ms()},
        {"type": "page_view", "at": at_ms(), "url": "https://x/"},
    ]
    response = storefront.events(new_visitor(), events)
    assert response.json() == {"accepted": 1, "ignored": 3}
    assert count(db, CampaignExposure) == 0


def test_do_not_track_keeps_only_submissions(storefront, db, launch):
    campaign = launch(SIGNUP)
    visitor = new_visitor()
    events = [
        {"type": "page_view", "at": at_ms(), "url": "https://x/"},
        {
            "type": "submit",
            "campaign": campaign,
            "variant": "a",
            "at": at_ms(),
            "fields": {"email": "dnt@example.fr", "consent": True},
        },
    ]
    response = storefront.events(visitor, events, headers={"DNT": "1"})
    assert response.json() == {"accepted": 1, "ignored": 1}
    assert count(db, StorefrontEvent, StorefrontEvent.kind == "page_view") == 0
    assert count(db, Customer, Customer.email == "dnt@example.fr") == 1
    response = storefront.events(new_visitor(), events[:1], headers={"Sec-GPC": "1"})
    assert response.json() == {"accepted": 0, "ignored": 1}
    assert count(db, Visitor) == 1


def test_client_clocks_are_believed_only_within_a_day(db):
    from datetime import datetime, timedelta

    from sync.campaigns.events import occurred

    now = datetime(2026, 11, 22, 12, 0)
    hour_ago = now - timedelta(hours=1)
    assert occurred(at_ms(hour_ago), now) == hour_ago
    assert occurred(at_ms(now - timedelta(days=3)), now) == now
    assert occurred(at_ms(now + timedelta(days=1)), now) == now
    assert occurred(None, now) == now
    assert occurred(10**20, now) == now


def test_erasing_a_shop_erases_its_campaigns_and_what_they_measured(
    storefront, db, shop, launch, segments
):
    from sync.campaigns.models import Campaign
    from sync.shops import erase_shop

    campaign = launch(SIGNUP)
    events = [
        {"type": "impression", "campaign": campaign, "variant": "a", "at": at_ms()},
        {"type": "submit", "campaign": campaign, "variant": "a", "at": at_ms(),
         "fields": {"email": "gone@example.fr", "consent": True}},
    ]  # fmt: skip
    response = storefront.events(new_visitor(), events, identity=storefront.identity("ana"))
    assert response.status_code == 202
    erase_shop(db, shop.id)
    db.commit()
    assert count(db, Campaign) == 0 and count(db, CampaignExposure) == 0
    assert count(db, CampaignExposureSegment) == 0 and count(db, StorefrontEvent) == 0

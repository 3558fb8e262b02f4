"""Attribution of orders to the variant seen, and the results built on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from connectors import records
from sync.campaigns import stats
from sync.campaigns.attribution import attribute
from sync.campaigns.editing import create_campaign, find_campaign, set_status
from sync.campaigns.events import read_batch, store_batch
from sync.campaigns.models import CampaignConversion, CampaignExposure, CampaignVariant
from sync.campaigns.results import campaign_results
from sync.ingest import upsert_orders
from sync.store import Customer, Visitor
from tests.storefront.conftest import new_visitor, popup

T = datetime(2026, 11, 1, 12, 0)


@pytest.fixture
def ab(db, shop, segments):
    campaign = create_campaign(
        db,
        shop,
        popup(
            "A/B",
            attribution_days=7,
            variants=[
                {"key": "a", "weight": 1, "content": {"title": "A"}},
                {"key": "control", "weight": 1, "control": True},
            ],
        ),
    )
    set_status(db, shop, campaign, "live")
    db.commit()
    return campaign


def report(db, shop, campaign, visitor, kind, at, customer=None, variant="a"):
    batch = read_batch(
        {
            "visitor": visitor,
            "events": [{"type": kind, "campaign": campaign.public_id, "variant": variant}],
        }
    )
    store_batch(db, shop, batch, at, customer_external_id=customer)
    db.commit()


def order(db, shop, external_id, at, total="80.00", status="paid", customer="ana"):
    upsert_orders(
        db,
        shop,
        [
            records.Order(
                external_id=external_id,
                customer_external_id=customer,
                created_at=at,
                updated_at=at + timedelta(minutes=1)
                if status == "paid"
                else at + timedelta(days=30),
                total=Decimal(total),
                status=status,
            )
        ],
    )
    db.commit()


def conversions(db, campaign) -> set[str]:
    from sync.store import Order

    return set(
        db.scalars(
            select(Order.external_id)
            .join(CampaignConversion, CampaignConversion.order_id == Order.id)
            .where(CampaignConversion.campaign_id == campaign.id)
        )
    )


def test_orders_within_the_window_after_an_impression_or_click_convert(db, shop, ab):
    visitor = new_visitor()
    report(db, shop, ab, visitor, "impression", T, customer="ana")
    order(db, shop, "before", T - timedelta(hours=1))
    order(db, shop, "inside", T + timedelta(days=2))
    order(db, shop, "late", T + timedelta(days=10))
    order(db, shop, "bob's", T + timedelta(days=1), customer="bob")
    assert attribute(db, shop.id) == 1
    db.commit()
    assert conversions(db, ab) == {"inside"}
    # A click five days later extends the window to day 12.
    report(db, shop, ab, visitor, "click", T + timedelta(days=5), customer="ana")
    attribute(db, shop.id)
    assert conversions(db, ab) == {"inside", "late"}
    assert attribute(db, shop.id) == 0  # idempotent
    # A cancelled order stops counting.
    order(db, shop, "inside", T + timedelta(days=2), status="cancelled")
    attribute(db, shop.id)
    db.commit()
    assert conversions(db, ab) == {"late"}


def test_the_window_is_per_campaign(db, shop, ab):
    short = create_campaign(db, shop, popup("Short window", attribution_days=1))
    set_status(db, shop, short, "live")
    db.commit()
    visitor = new_visitor()
    report(db, shop, ab, visitor, "impression", T, customer="ana")
    report(db, shop, short, visitor, "impression", T, customer="ana")
    order(db, shop, "day3", T + timedelta(days=3))
    attribute(db, shop.id)
    db.commit()
    assert conversions(db, ab) == {"day3"} and conversions(db, short) == set()


def test_a_form_submission_makes_the_contact_attributable(db, shop, segments):
    signup = create_campaign(
        db,
        shop,
        popup(
            "Signup",
            goal="submission",
            variants=[
                {
                    "key": "a",
                    "content": {
                        "title": "Join",
                        "form": {"fields": ["email"], "consent_text": "Oui"},
                    },
                }
            ],
        ),
    )
    set_status(db, shop, signup, "live")
    db.commit()
    batch = read_batch(
        {
            "visitor": new_visitor(),
            "events": [
                {"type": "impression", "campaign": signup.public_id, "variant": "a"},
                {
                    "type": "submit",
                    "campaign": signup.public_id,
                    "variant": "a",
                    "fields": {"email": "new@example.fr", "consent": True},
                },
            ],
        }
    )
    store_batch(db, shop, batch, T)
    db.commit()
    # The guest buys with the same e-mail (a guest checkout): linked by e-mail at ingest.
    upsert_orders(
        db,
        shop,
        [
            records.Order(
                external_id="g1",
                email="new@example.fr",
                created_at=T + timedelta(days=1),
                total=Decimal("30.00"),
            )
        ],
    )
    db.commit()
    attribute(db, shop.id)
    db.commit()
    results = campaign_results(db, signup)
    [variant] = results["variants"]
    assert (variant["submissions"], variant["conversions"], variant["revenue"]) == (1, 1, "30.00")


def _exposures(db, shop, campaign, key, visitors, clicks, segment_owner=None):
    """Bulk exposures for statistics tests (what events would have written)."""
    variant = db.scalar(
        select(CampaignVariant).where(
            CampaignVariant.campaign_id == campaign.id, CampaignVariant.key == key
        )
    )
    for n in range(visitors):
        visitor = Visitor(
            shop_id=shop.id,
            token=f"{key}-{n:05d}-{campaign.id}",
            first_seen_at=T,
            last_seen_at=T,
            page_views=1,
            customer_id=segment_owner,
        )
        db.add(visitor)
        db.flush()
        db.add(
            CampaignExposure(
                shop_id=shop.id,
                campaign_id=campaign.id,
                variant_id=variant.id,
                visitor_id=visitor.id,
                customer_id=segment_owner,
                first_at=T,
                last_at=T,
                impressions=1,
                last_impression_at=T,
                clicks=1 if n < clicks else 0,
                clicked_at=T if n < clicks else None,
                closes=0,
            )
        )
    db.commit()


def test_results_per_variant(db, shop, segments, live_server):
    campaign = create_campaign(
        db,
        shop,
        popup(
            "Clicks",
            goal="click",
            variants=[
                {"key": "a", "weight": 1, "content": {"title": "A"}},
                {"key": "control", "weight": 1, "control": True},
            ],
        ),
    )
    db.commit()
    _exposures(db, shop, campaign, "a", 260, 40)
    _exposures(db, shop, campaign, "control", 240, 20)
    results = campaign_results(db, find_campaign(db, shop, campaign.public_id))
    a, control = results["variants"]
    assert (a["visitors"], a["clicks"], control["visitors"], control["clicks"]) == (
        260,
        40,
        240,
        20,
    )
    assert results["baseline"] == "control" and control["baseline"]
    interval = stats.wilson(40, 260)
    assert a["rates"]["click"] == {"value": 40 / 260, "low": interval.low, "high": interval.high}
    assert a["chance_to_beat_control"] == pytest.approx(stats.chance_to_beat(40, 260, 20, 240))
    assert a["chance_to_beat_control"] > 0.95
    assert a["lift"] == pytest.approx((40 / 260) / (20 / 240) - 1)
    assert control["chance_to_beat_control"] is None
    assert results["sample_ratio"]["mismatch"] is False
    needed = stats.visitors_needed(20 / 240)
    assert not results["enough_data"] and results["visitors_needed_per_variant"] == needed
    assert a["visitors_still_needed"] == needed - 260
    assert results["message"].startswith("Not enough data yet")


def test_results_per_segment_use_the_snapshot(db, shop, segments, ab):
    ana = db.scalar(select(Customer.id).where(Customer.external_id == "ana"))
    bob = db.scalar(select(Customer.id).where(Customer.external_id == "bob"))
    report(db, shop, ab, new_visitor(), "impression", T, customer="ana")
    report(db, shop, ab, new_visitor(), "impression", T, customer="bob", variant="control")
    report(db, shop, ab, new_visitor(), "impression", T)  # anonymous: in no segment
    order(db, shop, "ana-1", T + timedelta(days=1), total="99.90")
    attribute(db, shop.id)
    db.commit()
    results = campaign_results(db, ab)
    by_name = {s["name"]: s for s in results["segments"]}
    assert set(by_name) == {"vip", "buyers"}
    vip_a, vip_control = by_name["vip"]["variants"]
    assert (vip_a["visitors"], vip_a["conversions"], vip_a["revenue"]) == (1, 1, "99.90")
    assert vip_control["visitors"] == 0
    buyers = {v["key"]: v["visitors"] for v in by_name["buyers"]["variants"]}
    assert buyers == {"a": 1, "control": 1}
    overall = {v["key"]: v["visitors"] for v in results["variants"]}
    assert overall == {"a": 2, "control": 1}
    assert db.scalar(select(func.count()).select_from(CampaignConversion)) == 1
    assert ana != bob


def test_results_over_http_attribute_first(db, shop, segments, ab, live_server):
    import requests

    client = requests.Session()
    client.get(f"{live_server}/admin/?shop={shop.domain}", timeout=10)
    report(db, shop, ab, new_visitor(), "impression", T, customer="ana")
    order(db, shop, "ana-2", T + timedelta(hours=5), total="12.00")
    response = client.get(f"{live_server}/api/v1/campaigns/{ab.public_id}/results", timeout=10)
    assert response.status_code == 200
    a = response.json()["variants"][0]
    assert (a["key"], a["conversions"], a["orders"], a["revenue"]) == ("a", 1, 1, "12.00")

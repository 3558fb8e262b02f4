"""decide over real HTTP: who gets which campaign, on which page, when, and how often."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from sync.campaigns.decide import cache_for
from sync.campaigns.editing import change_campaign, find_campaign
from sync.campaigns.rules import local_time
from sync.store import Visitor, utcnow
from tests.storefront.conftest import ORIGIN, at_ms, new_visitor, popup


def test_segments_include_and_exclude_read_memberships(storefront, launch, segments):
    vip = launch(popup("VIP", audience={"segments": {"include": [segments["vip"]]}}))
    not_vip = launch(
        popup(
            "Buyers but not VIP",
            audience={"segments": {"include": [segments["buyers"]], "exclude": [segments["vip"]]}},
        )
    )
    everyone = launch(popup("All"))
    for customer, expected in (
        ("ana", {vip, everyone}),
        ("bob", {not_vip, everyone}),
        ("chloe", {everyone}),
    ):
        got = storefront.ids(new_visitor(), identity=storefront.identity(customer))
        assert set(got) == expected, customer
    # Anonymous: a member of nothing.
    assert storefront.ids(new_visitor()) == [everyone]


def test_a_forged_identity_is_anonymous(storefront, launch, segments, caplog):
    vip = launch(popup("VIP", audience={"segments": {"include": [segments["vip"]]}}))
    forged = storefront.identity("bob")
    forged["customer_id"] = "ana"  # bob's signature, ana's id
    assert storefront.ids(new_visitor(), identity=forged) == []
    stale = storefront.identity("ana", ts=int(utcnow().timestamp()) - 10 * 24 * 3600)
    assert storefront.ids(new_visitor(), identity=stale) == []
    assert storefront.ids(new_visitor(), identity={"customer_id": "ana"}) == []
    assert storefront.ids(new_visitor(), identity=storefront.identity("ana")) == [vip]
    assert "did not verify" in caplog.text


def test_variables_are_the_identified_customers_and_escaped(storefront, launch, people):
    launch(
        popup(
            variants=[
                {
                    "key": "a",
                    "content": {
                        "title": 'Bonjour {{ first_name | default: "ami" }}',
                        "html": "<p>{{ first_name }}: {{ loyalty_points }} points, panier "
                        "{{ cart_total }}</p>",
                    },
                }
            ]
        )
    )
    [ana] = storefront.decide(
        new_visitor(), identity=storefront.identity("ana"), cart={"value": 42.5, "items": 2}
    )
    assert ana["content"]["title"] == "Bonjour Ana"
    assert "Ana: 120 points" in ana["content"]["html"]
    assert "€42.50" in ana["content"]["html"]  # the shop writes English
    [bob] = storefront.decide(new_visitor(), identity=storefront.identity("bob"))
    assert "&lt;b&gt;Bob&lt;/b&gt;" in bob["content"]["html"]
    assert "<b>" not in bob["content"]["html"]
    [anonymous] = storefront.decide(new_visitor())
    assert anonymous["content"]["title"] == "Bonjour ami"


def test_page_rules(storefront, launch):
    product = launch(popup("Product pages", pages={"page_types": ["product"]}))
    chocolate = launch(
        popup(
            "Dark",
            pages={
                "url": [{"op": "contains", "value": "/chocolat"}],
                "url_exclude": [{"op": "regex", "value": "/chocolat/blanc"}],
            },
        )
    )
    category = launch(popup("Category", pages={"categories": ["Pralines"]}))
    twelve = launch(popup("Product 12", pages={"products": ["12"], "page_types": ["product"]}))

    def shown(url, page_type="other", category_name=None, product_id=None):
        page = {"url": url, "type": page_type, "category": category_name, "product": product_id}
        return set(storefront.ids(new_visitor(), page=page))

    assert shown("https://x/p/1", "product") == {product}
    assert shown("https://x/p/12", "product", product_id="12") == {product, twelve}
    assert shown("https://x/p/12", "other", product_id="12") == set()
    assert shown("https://x/chocolat/noir") == {chocolate}
    assert shown("https://x/chocolat/blanc") == set()
    assert shown("https://x/c/pralines", "collection", "pralines") == {category}
    assert shown("https://x/") == set()


def test_schedule_is_read_in_the_shops_time_zone(storefront, launch, shop):
    now = utcnow()
    local = local_time(now, shop.timezone).replace(microsecond=0)
    running = launch(
        popup(
            "Running",
            schedule={
                "starts_at": (local - timedelta(hours=1)).isoformat(),
                "ends_at": (local + timedelta(hours=1)).isoformat(),
            },
        )
    )
    launch(popup("Later", schedule={"starts_at": (local + timedelta(minutes=30)).isoformat()}))
    launch(popup("Over", schedule={"ends_at": (local - timedelta(minutes=30)).isoformat()}))
    other_day = (local.isoweekday() % 7) + 1
    launch(popup("Another weekday", schedule={"weekdays": [other_day]}))
    hour = local.hour
    launch(
        popup(
            "Closed hours",
            schedule={
                "hours": {"from": f"{(hour + 2) % 24:02d}:00", "to": f"{(hour + 3) % 24:02d}:00"}
            },
        )
    )
    assert storefront.ids(new_visitor()) == [running]


def test_audience_device_visitors_returning_country(storefront, launch, people):
    desktop = launch(popup("Desktop", audience={"devices": ["desktop"]}))
    identified = launch(popup("Identified", audience={"visitors": "identified"}))
    anonymous = launch(popup("Anonymous", audience={"visitors": "anonymous"}))
    newcomers = launch(popup("New", audience={"returning": False}))
    belgium = launch(popup("Belgium", audience={"countries": ["BE"]}))
    got = set(storefront.ids(new_visitor(), device="mobile", session={"returning": True}))
    assert got == {anonymous}
    got = set(storefront.ids(new_visitor(), device="desktop", session={"returning": False}))
    assert got == {desktop, anonymous, newcomers}
    # Belgium from the proxy's header, or from the identified customer's address.
    got = set(
        storefront.ids(
            new_visitor(),
            device="mobile",
            session={"returning": True},
            headers={"CF-IPCountry": "BE"},
        )
    )
    assert got == {anonymous, belgium}
    got = set(
        storefront.ids(
            new_visitor(),
            identity=storefront.identity("bob"),
            device="mobile",
            session={"returning": True},
        )
    )
    assert got == {identified, belgium}


def test_priority_orders_and_one_campaign_per_slot(storefront, launch):
    low = launch(popup("Low", priority=1))
    high = launch(popup("High", priority=50))
    slot_low = launch(popup("Slot low", kind="inline", slot="home-hero", priority=1))
    slot_high = launch(popup("Slot high", kind="inline", slot="home-hero", priority=9))
    launch(popup("Other slot", kind="inline", slot="footer"))
    assert storefront.ids(new_visitor()) == [high, low]
    assert storefront.ids(new_visitor(), slots=["home-hero"]) == [high, slot_high, low]
    assert slot_low not in storefront.ids(new_visitor(), slots=["home-hero"])


def test_frequency_caps_from_server_known_events(storefront, launch):
    twice = launch(popup("At most twice", frequency={"max_times": 2}))
    weekly = launch(popup("Weekly", frequency={"every_days": 7}))
    closes = launch(popup("Until closed", frequency={"stop_after_closes": 1}))
    signup = launch(
        popup(
            "Until signed up",
            frequency={"stop_after_conversion": True},
            variants=[
                {
                    "key": "a",
                    "content": {
                        "title": "Join",
                        "form": {"fields": ["email"], "consent_text": "Yes, e-mail me."},
                    },
                }
            ],
        )
    )
    visitor = new_visitor()
    assert set(storefront.ids(visitor)) == {twice, weekly, closes, signup}

    def report(kind, campaign, **extra):
        event = {"type": kind, "campaign": campaign, "variant": "a", "at": at_ms(), **extra}
        assert storefront.events(visitor, [event]).status_code == 202

    report("impression", twice)
    report("impression", weekly)
    report("close", closes)
    assert set(storefront.ids(visitor)) == {twice, signup}
    report("impression", twice)
    report("submit", signup, fields={"email": "new@example.fr", "consent": True})
    assert storefront.ids(visitor) == []
    # Another visitor is not capped by this one's history.
    assert len(storefront.ids(new_visitor())) == 4


def test_a_later_order_stops_a_campaign_that_stops_after_conversion(
    storefront, launch, people, db, shop
):
    from decimal import Decimal

    from connectors import records
    from sync.ingest import upsert_orders

    offer = launch(popup("Until bought", frequency={"stop_after_conversion": True}))
    visitor = new_visitor()
    identity = storefront.identity("chloe")
    event = {"type": "impression", "campaign": offer, "variant": "a", "at": at_ms()}
    assert storefront.events(visitor, [event], identity=identity).status_code == 202
    assert storefront.ids(visitor, identity=identity) == [offer]
    upsert_orders(
        db,
        shop,
        [
            records.Order(
                external_id="o-chloe",
                customer_external_id="chloe",
                created_at=utcnow(),
                total=Decimal("12.00"),
            )
        ],
    )
    db.commit()
    assert storefront.ids(visitor, identity=identity) == []


def test_control_variants_come_without_content_and_buckets_are_stable(storefront, launch):
    campaign = launch(
        popup(
            variants=[
                {"key": "a", "weight": 1, "content": {"title": "A"}},
                {"key": "control", "weight": 1, "control": True},
            ]
        )
    )
    seen = {}
    for _ in range(40):
        visitor = new_visitor()
        [answer] = storefront.decide(visitor)
        assert answer["id"] == campaign
        seen[visitor] = answer
        if answer["control"]:
            assert answer["variant"] == "control" and "content" not in answer
        else:
            assert answer["content"]["title"] == "A"
    assert {a["variant"] for a in seen.values()} == {"a", "control"}
    for visitor, answer in list(seen.items())[:10]:
        assert storefront.decide(visitor)[0]["variant"] == answer["variant"]


def test_the_variant_seen_stays_when_weights_change(storefront, launch, db, shop):
    campaign = launch(
        popup(
            variants=[
                {"key": "a", "weight": 1, "content": {"title": "A"}},
                {"key": "b", "weight": 1, "content": {"title": "B"}},
            ]
        )
    )
    visitor = new_visitor()
    first = storefront.decide(visitor)[0]["variant"]
    event = {"type": "impression", "campaign": campaign, "variant": first, "at": at_ms()}
    storefront.events(visitor, [event])
    other = "b" if first == "a" else "a"
    change_campaign(
        db,
        shop,
        find_campaign(db, shop, campaign),
        {
            "variants": [
                {"key": first, "weight": 0, "content": {"title": first.upper()}},
                {"key": other, "weight": 5, "content": {"title": other.upper()}},
            ]
        },
    )
    db.commit()
    assert storefront.decide(visitor)[0]["variant"] == first
    assert storefront.decide(new_visitor())[0]["variant"] == other


def test_a_change_reaches_decide_at_once_through_the_cache(storefront, launch, db, shop):
    campaign = launch(popup("Before"))
    assert storefront.decide(new_visitor())[0]["content"]["title"].startswith("Before")
    change_campaign(
        db,
        shop,
        find_campaign(db, shop, campaign),
        {"variants": [{"key": "a", "content": {"title": "After"}}]},
    )
    db.commit()
    assert storefront.decide(new_visitor())[0]["content"]["title"] == "After"


def test_another_process_sees_a_change_after_its_check_interval(db, shop, launch, settings):
    """A second cache (another process) holds its copy until the version check."""
    from sync.campaigns.decide import CampaignCache

    other = CampaignCache(check_interval=0.0)
    launch(popup("One"))
    assert len(other.get(db, shop.public_id).campaigns) == 1
    launch(popup("Two"))
    assert len(other.get(db, shop.public_id).campaigns) == 2
    assert cache_for(settings.database_url) is cache_for(settings.database_url)


def test_decide_reads_nothing_and_writes_nothing_for_an_anonymous_view(storefront, db, launch):
    launch(popup("All"))
    visitor = new_visitor()
    storefront.decide(visitor)
    assert db.scalar(select(Visitor).where(Visitor.token == visitor)) is None


def test_text_plain_json_cors_and_preflight(storefront, launch, shop):
    import requests

    launch(popup("All"))
    body = {"visitor": new_visitor(), "page": {"url": "https://x/", "type": "home"}}
    ok = storefront.post("decide", body, headers={"Origin": ORIGIN})
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Credentials" not in ok.headers
    assert "Set-Cookie" not in ok.headers
    foreign = storefront.post("decide", body, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert "Access-Control-Allow-Origin" not in foreign.headers
    as_json = storefront.post("decide", body, headers={"Content-Type": "application/json"})
    assert as_json.status_code == 200
    form = storefront.post("decide", body, headers={"Content-Type": "multipart/form-data"})
    assert form.status_code == 415
    preflight = requests.options(
        f"{storefront.base}/decide",
        headers={
            "Origin": "http://www.chocolats.example.fr",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://www.chocolats.example.fr"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_listed_origins_are_allowed(storefront, launch, db, shop):
    from sqlalchemy.orm.attributes import flag_modified

    shop.settings = {"storefront_origins": ["http://127.0.0.1:5000"]}
    flag_modified(shop, "settings")
    launch(popup("All"))  # a campaign change also refreshes the cached shop
    body = {"page": {"url": "http://127.0.0.1:5000/demo/store", "type": "home"}}
    answer = storefront.post("decide", body, headers={"Origin": "http://127.0.0.1:5000"})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5000"


def test_bad_requests_are_clear(storefront):
    assert storefront.post("decide", None, raw=b"{not json").status_code == 400
    bad = storefront.post("decide", {"visitor": "short"})
    assert bad.status_code == 400 and "visitor" in bad.json()["error"]
    bad = storefront.post("decide", {"page": {"type": "checkout"}})
    assert bad.status_code == 400 and "page.type" in bad.json()["error"]
    too_big = storefront.post("decide", {"page": {"url": "x" * 40_000}})
    assert too_big.status_code == 413
    import requests

    assert (
        requests.post(
            storefront.base.replace(storefront.base.rsplit("/", 1)[1], "nope") + "/decide",
            data="{}",
            timeout=10,
        ).status_code
        == 404
    )


def test_do_not_track_ignores_the_visitor_id(storefront, launch):
    launch(
        popup(
            variants=[
                {"key": "a", "weight": 1, "content": {"title": "A"}},
                {"key": "b", "weight": 3, "content": {"title": "B"}},
                {"key": "control", "weight": 5, "control": True},
            ]
        )
    )
    answers = {
        storefront.decide(new_visitor(), headers={"DNT": "1"})[0]["variant"] for _ in range(8)
    }
    assert answers == {"b"}


def test_decide_is_rate_limited_per_visitor(storefront, launch):
    launch(popup("All"))
    visitor = new_visitor()
    statuses = [storefront.post("decide", {"visitor": visitor}).status_code for _ in range(40)]
    assert statuses[:25] == [200] * 25
    assert 429 in statuses
    assert storefront.post("decide", {"visitor": new_visitor()}).status_code == 200


def test_ended_or_paused_campaigns_are_gone_and_shops_are_isolated(storefront, launch, db, shop):
    from sync.campaigns.editing import set_status
    from sync.shops import create_shop

    campaign = launch(popup("Soon paused"))
    other_shop = create_shop(db, platform="csv", domain="other.example")
    from sync.campaigns.editing import create_campaign

    foreign = create_campaign(db, other_shop, popup("Elsewhere"))
    set_status(db, other_shop, foreign, "live")
    db.commit()
    assert storefront.ids(new_visitor()) == [campaign]
    set_status(db, shop, find_campaign(db, shop, campaign), "paused")
    db.commit()
    assert storefront.ids(new_visitor()) == []


def test_a_deleted_segment_matches_nobody(storefront, launch, segments, db):
    from sync.segments.models import Segment

    vip = launch(popup("VIP", audience={"segments": {"include": [segments["vip"]]}}))
    assert storefront.ids(new_visitor(), identity=storefront.identity("ana")) == [vip]
    db.delete(db.get(Segment, segments["vip"]))
    db.commit()
    assert storefront.ids(new_visitor(), identity=storefront.identity("ana")) == []


def test_a_signed_in_visitor_gets_segments_variables_and_caps_from_one_read(
    storefront, launch, segments, db, shop
):
    """Customer facts and the visitor's history come in one statement for a signed-in
    visitor: memberships, variables and caps all hold, including an order placed since an
    impression seen before signing in (the exposure has no customer yet)."""
    from decimal import Decimal

    from connectors import records
    from sync.ingest import upsert_orders

    vip = launch(
        popup(
            "VIP",
            audience={"segments": {"include": [segments["vip"]]}},
            variants=[{"key": "a", "content": {"title": "Bonjour {{ first_name }}"}}],
        )
    )
    once = launch(popup("Once", frequency={"max_times": 1}))
    until_bought = launch(popup("Until bought", frequency={"stop_after_conversion": True}))
    visitor = new_visitor()
    for campaign in (once, until_bought):
        event = {"type": "impression", "campaign": campaign, "variant": "a", "at": at_ms()}
        assert storefront.events(visitor, [event]).status_code == 202  # not signed in yet
    identity = storefront.identity("ana")
    answers = storefront.decide(visitor, identity=identity)
    assert [a["id"] for a in answers] == [vip, until_bought]
    assert answers[0]["content"]["title"] == "Bonjour Ana"
    upsert_orders(
        db,
        shop,
        [
            records.Order(
                external_id="o-ana-later",
                customer_external_id="ana",
                created_at=utcnow() + timedelta(seconds=1),
                total=Decimal("9.00"),
            )
        ],
    )
    db.commit()
    assert storefront.ids(visitor, identity=identity) == [vip]
    # bob (not VIP, no order since) in the same browser: the caps are the browser's, the
    # segments and the orders his.
    assert storefront.ids(visitor, identity=storefront.identity("bob")) == [until_bought]


def test_answers_written_once_are_the_answers_encoded(db, shop, launch):
    """decide writes each variant's answer as JSON when the shop is loaded and fills only
    the variables per request: the same text as encoding the whole answer."""
    from sync.campaigns.content import Variables, compact_json
    from sync.campaigns.decide import CampaignCache, Choice, answer_json

    launch(popup("Plain", slot=None, triggers=[{"type": "exit_intent"}]))
    launch(
        popup(
            "A/B",
            frequency={"every_days": 2},
            variants=[
                {"key": "a", "weight": 1, "content": {"title": 'Hé "{{ first_name }}"'}},
                {"key": "b", "weight": 1, "content": {"html": "<p>{{ cart_total }}</p>"}},
                {"key": "control", "weight": 1, "control": True},
            ],
        )
    )
    state = CampaignCache().get(db, shop.public_id)
    for variables in (Variables(), Variables(first_name='<i>"Zoé"</i>', cart_total="5 €")):
        choices = [
            Choice(campaign, variant, variables)
            for campaign in state.campaigns
            for variant in campaign.variants
        ]
        assert len(choices) == 4
        expected = compact_json({"campaigns": [choice.as_dict() for choice in choices]})
        assert answer_json(choices) == expected


def test_an_anonymous_browsers_own_record_replaces_the_servers(storefront, launch, db, shop):
    """loader.js sends what it recorded (`seen`) while the browser has never signed in:
    decide then takes the caps and the variant already seen from it, not from the
    database (here the server's record says the opposite, to tell which one was used)."""
    twice = launch(popup("At most twice", frequency={"max_times": 2}))
    weekly = launch(popup("Weekly", frequency={"every_days": 7}))
    closes = launch(popup("Until closed", frequency={"stop_after_closes": 1}))
    signup = launch(popup("Until signed up", frequency={"stop_after_conversion": True}))
    split = launch(
        popup(
            "Split",
            variants=[
                {"key": "a", "weight": 1, "content": {"title": "A"}},
                {"key": "b", "weight": 1, "content": {"title": "B"}},
            ],
        )
    )
    visitor = new_visitor()
    everything = {twice, weekly, closes, signup, split}
    assert set(storefront.ids(visitor, seen={})) == everything
    # The server's record caps all four; the browser's, nothing: the browser's is used.
    events = [
        {"type": kind, "campaign": campaign, "variant": "a", "at": at_ms()}
        for kind, campaign in (
            ("impression", twice),
            ("impression", twice),
            ("impression", weekly),
            ("close", closes),
        )
    ]
    assert storefront.events(visitor, events).status_code == 202
    assert set(storefront.ids(visitor)) == {signup, split}  # no record sent: the server's
    assert set(storefront.ids(visitor, seen={})) == everything
    day_ago = at_ms(utcnow() - timedelta(days=1))
    seen = {
        twice: {"v": "a", "n": 2, "t": day_ago},
        weekly: {"v": "a", "n": 1, "t": day_ago},
        closes: {"v": "a", "n": 1, "c": 1},
        signup: {"v": "a", "n": 1, "x": 1},
        "a-campaign-long-gone": {"v": "a", "n": 9},
    }
    assert storefront.ids(visitor, seen=seen) == [split]
    seen[weekly]["t"] = at_ms(utcnow() - timedelta(days=8))
    assert set(storefront.ids(visitor, seen=seen)) == {weekly, split}
    # The variant the browser saw stays; an unknown key falls back to bucketing.
    for key in ("a", "b"):
        for _ in range(4):
            answers = storefront.decide(new_visitor(), seen={split: {"v": key, "n": 1}})
            assert next(a["variant"] for a in answers if a["id"] == split) == key
    answers = storefront.decide(new_visitor(), seen={split: {"v": "zz", "n": 1}})
    assert next(a["variant"] for a in answers if a["id"] == split) in {"a", "b"}


def test_a_signed_in_visitors_record_is_the_servers(storefront, launch, people):
    """With a verified identity the history is read (with the customer's orders), whatever
    the body says."""
    once = launch(popup("Once", frequency={"max_times": 1}))
    visitor = new_visitor()
    identity = storefront.identity("ana")
    event = {"type": "impression", "campaign": once, "variant": "a", "at": at_ms()}
    assert storefront.events(visitor, [event], identity=identity).status_code == 202
    assert storefront.ids(visitor, identity=identity, seen={}) == []
    assert storefront.ids(visitor, identity=identity, seen={once: {"n": 0}}) == []


def test_a_bad_record_is_refused_and_an_overgrown_one_ignored(storefront, launch):
    from plugin_app.storefront.requests import MAX_SEEN

    once = launch(popup("Once", frequency={"max_times": 1}))
    visitor = new_visitor()
    for seen, field in (
        ([], "seen"),
        ({once: 3}, f"seen.{once}"),
        ({once: {"n": -1}}, f"seen.{once}.n"),
        ({once: {"n": 1.5}}, f"seen.{once}.n"),
        ({once: {"t": "yesterday"}}, f"seen.{once}.t"),
        ({once: {"t": 1e20}}, f"seen.{once}.t"),
        ({once: {"v": ["a"]}}, f"seen.{once}.v"),
    ):
        answer = storefront.post("decide", {"visitor": visitor, "seen": seen})
        assert answer.status_code == 400, seen
        assert answer.json()["error"].startswith(field), answer.json()
    event = {"type": "impression", "campaign": once, "variant": "a", "at": at_ms()}
    assert storefront.events(visitor, [event]).status_code == 202
    overgrown = {f"c{n}": {"n": 1} for n in range(MAX_SEEN + 1)}
    assert storefront.ids(visitor, seen=overgrown) == []  # not used: the server's record


def test_decide_answers_other_methods_with_405(storefront):
    import requests

    answer = requests.get(f"{storefront.base}/decide", timeout=10)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "OPTIONS, POST"
    assert answer.json() == {"error": "use POST"}


def test_an_unexpected_error_in_decide_is_logged_and_answered_in_json(
    settings, shop, launch, monkeypatch, caplog
):
    """decide is answered before Flask (decide_endpoint.py): it logs and answers a failure
    as the app's error handler would, and re-raises it where Flask would (testing)."""
    import pytest

    from plugin_app import create_app
    from plugin_app.storefront import decide_endpoint

    launch(popup("All"))

    def broken(*_args, **_kwargs):
        raise RuntimeError("the decision broke")

    monkeypatch.setattr(decide_endpoint, "decide", broken)
    body = json.dumps({"visitor": new_visitor()})
    path = f"/storefront/v1/{shop.public_id}/decide"
    served = create_app({"CIBLE_SETTINGS": settings})
    answer = served.test_client().post(path, data=body, content_type="text/plain")
    assert answer.status_code == 500
    assert answer.get_json() == {"error": "unexpected error"}
    assert answer.headers["Cache-Control"] == "no-store"
    assert "the decision broke" in caplog.text
    testing = create_app({"CIBLE_SETTINGS": settings, "TESTING": True})
    with pytest.raises(RuntimeError):
        testing.test_client().post(path, data=body, content_type="text/plain")

"""One shop's session or token reads and changes nothing of another shop's.

Every `/api/` and `/admin/` route the app registers is tried, with every method it
accepts, by shop A (session with its CSRF token, then an API token) using shop B's ids.
Routes naming one of B's records must answer 404 or 403; no answer may contain B's data
(B's records all carry a marker); afterwards B's data is all still there. A new route
with a parameter this test does not know fails here until the test learns it.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from sync.segments.models import Segment
from sync.store import Customer, Shop
from tests.admin.conftest import TIMEOUT, AdminClient
from tests.admin.test_csrf_and_tokens import make_token

MARKER = "zzsecret"
# Endpoints that answer the same for everyone (they hold no shop's data), or that open a
# session rather than act in one.
SHOPLESS = {"admin.static", "admin.launch", "api.openapi_document"}
ID_PARAMETERS = {"segment_id", "customer_id", "campaign_id", "token_id"}


def b_records(db, live_server, other_shop) -> dict:
    client = AdminClient(live_server, other_shop.domain)
    segment = client.api(
        "POST", "/segments", json={"name": f"{MARKER} segment", "query": "number_of_orders >= 0"}
    )
    assert segment.status_code == 201
    token = make_token(client, f"{MARKER} token")
    token_id = re.search(r'data-token="([0-9a-f]+)"', client.page("/admin/settings").text).group(1)
    customer = db.scalar(select(Customer.id).where(Customer.shop_id == other_shop.id).limit(1))
    ids = {"segment_id": segment.json()["id"], "customer_id": customer, "token_id": token_id}
    try:
        from sync.campaigns.editing import create_campaign
    except ImportError:  # pragma: no cover
        ids["campaign_id"] = "none"
    else:
        campaign = create_campaign(
            db,
            db.get(Shop, other_shop.id),
            {
                "name": f"{MARKER} campaign",
                "kind": "popup",
                "variants": [{"key": "a", "content": {"title": f"{MARKER} title"}}],
            },
        )
        db.commit()
        ids["campaign_id"] = campaign.public_id
    return {"ids": ids, "token": token}


def routes(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/admin/")) or rule.endpoint in SHOPLESS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def url_for_b(rule, ids) -> str:
    unknown = set(rule.arguments) - ID_PARAMETERS
    assert not unknown, f"{rule.rule}: teach this test the parameter(s) {unknown}"
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:\w+:)?{name}>", str(ids[name]), path)
    return path


def b_counts(db, other_shop) -> tuple:
    db.expire_all()
    shop = db.get(Shop, other_shop.id)
    return (
        db.scalar(select(func.count(Customer.id)).where(Customer.shop_id == other_shop.id)),
        db.scalar(select(func.count(Segment.id)).where(Segment.shop_id == other_shop.id)),
        len(shop.settings.get("api_tokens", [])),
        shop.settings.get("admin_language"),
    )


@pytest.mark.parametrize("auth", ["session", "token"])
def test_no_route_reaches_another_shops_data(app, db, live_server, filled_shop, other_shop, auth):
    b = b_records(db, live_server, other_shop)
    before = b_counts(db, other_shop)
    a = AdminClient(live_server, filled_shop.domain)
    if auth == "token":
        token = make_token(a)
        a.cookies.clear()
        a.headers["Authorization"] = f"Bearer {token}"
    tried = 0
    for rule, method in routes(app):
        if auth == "token" and not rule.rule.startswith("/api/"):
            continue
        path = url_for_b(rule, b["ids"])
        # A's own writes (a segment, a token) are named without the marker; the customer
        # form names B's customer by id, which A's shop must not find.
        body = {
            "name": "isolation",
            "query": "number_of_orders >= 0",
            "customer": f"#{b['ids']['customer_id']}",
            "language": "fr",
            "days": 90,
            "status": "live",
            "key": "vip",
        }
        if rule.rule.startswith("/api/"):
            answer = a.request(
                method,
                f"{live_server}{path}",
                timeout=TIMEOUT,
                headers={"X-CSRF-Token": a.csrf},
                json=body if method != "GET" else None,
            )
        else:
            data = {**body, "csrf_token": a.csrf} if method != "GET" else None
            answer = a.request(method, f"{live_server}{path}", data=data, timeout=TIMEOUT)
        tried += 1
        text = answer.text.lower()
        assert MARKER not in text, f"{method} {path} leaked shop B's data"
        if rule.arguments:
            assert answer.status_code in (403, 404), f"{method} {path}: {answer.status_code}"
    assert tried >= (10 if auth == "token" else 25)
    assert b_counts(db, other_shop) == before

"""The emulator itself: token endpoints in Shopify's shapes, single-use refresh tokens,
seeding speed and consistency, search filters and cursors, 60-day order visibility."""

from __future__ import annotations

import time
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import requests

from tests.emulators.shopify.emulator import (
    ID_TOKEN_TYPE,
    OFFLINE_TYPE,
    TOKEN_EXCHANGE,
    ShopifyEmulator,
)

SHOP = "emulated.myshopify.com"


def token_call(emulator, **form):
    form = {"client_id": emulator.api_key, "client_secret": emulator.api_secret, **form}
    return requests.post(
        f"{emulator.admin_url(SHOP)}/admin/oauth/access_token", data=form, timeout=5
    )


def test_token_exchange_and_refresh_in_shopifys_shape(shopify_emulator):
    shopify_emulator.add_shop(SHOP)
    answer = token_call(
        shopify_emulator,
        grant_type=TOKEN_EXCHANGE,
        subject_token_type=ID_TOKEN_TYPE,
        subject_token=shopify_emulator.mint_id_token(SHOP),
        requested_token_type=OFFLINE_TYPE,
        expiring="1",
    )
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {
        "access_token",
        "scope",
        "expires_in",
        "refresh_token",
        "refresh_token_expires_in",
    }
    assert (body["expires_in"], body["refresh_token_expires_in"]) == (3600, 7_776_000)
    renewed = token_call(
        shopify_emulator, grant_type="refresh_token", refresh_token=body["refresh_token"]
    )
    assert renewed.status_code == 200 and renewed.json()["access_token"] != body["access_token"]
    again = token_call(
        shopify_emulator, grant_type="refresh_token", refresh_token=body["refresh_token"]
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    wrong_audience = token_call(
        shopify_emulator,
        grant_type=TOKEN_EXCHANGE,
        subject_token_type=ID_TOKEN_TYPE,
        subject_token=shopify_emulator.mint_id_token(SHOP, aud="another-app"),
        requested_token_type=OFFLINE_TYPE,
        expiring="1",
    )
    assert wrong_audience.status_code == 400
    assert token_call(shopify_emulator, client_secret="wrong").status_code == 401


def test_authorization_code_grant_with_a_signed_redirect(shopify_emulator):
    shopify_emulator.add_shop(SHOP)
    response = requests.get(
        f"{shopify_emulator.admin_url(SHOP)}/admin/oauth/authorize",
        params={
            "client_id": shopify_emulator.api_key,
            "scope": "read_orders",
            "state": "n0nce",
            "redirect_uri": "https://cible.example/install/shopify/callback",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlparse(response.headers["Location"]).query).items()}
    assert query["state"] == "n0nce" and query["shop"] == SHOP
    assert query["hmac"] == shopify_emulator.sign_query(query)
    answer = token_call(shopify_emulator, code=query["code"], expiring="1")
    assert answer.status_code == 200 and answer.json()["scope"] == "read_orders"
    assert token_call(shopify_emulator, code=query["code"]).status_code == 400  # used


def test_seed_builds_the_issues_shop_quickly_and_consistently():
    emulator = ShopifyEmulator()
    started = time.process_time()
    counts = emulator.seed(SHOP, customers=20_000, orders=60_000, products=100, checkouts=100)
    assert time.process_time() - started < 15  # a few seconds on an idle core
    assert counts["customers"] == 20_000 and counts["orders"] == 60_000
    data = emulator.data[SHOP]
    customer = data["customers"][next(iter(data["customers"]))]
    theirs = [
        o
        for o in data["orders"].values()
        if o["customer"] and o["customer"]["id"] == customer["id"] and not o["cancelledAt"]
    ]
    assert int(customer["numberOfOrders"]) == len(theirs)
    assert Decimal(customer["amountSpent"]["amount"]) == sum(
        (Decimal(o["totalPriceSet"]["shopMoney"]["amount"]) for o in theirs), Decimal(0)
    )
    for order in list(data["orders"].values())[:200]:
        total = sum(
            Decimal(li["originalUnitPriceSet"]["shopMoney"]["amount"]) * li["quantity"]
            for li in order["lineItems"]
        )
        assert Decimal(order["totalPriceSet"]["shopMoney"]["amount"]) == total


def test_search_filters_cursors_and_60_day_visibility(shopify_emulator):
    shopify_emulator.seed(SHOP, customers=5, orders=120)
    state = shopify_emulator.shops[SHOP]
    state.scopes = "read_orders"
    token = shopify_emulator.issue_tokens(SHOP)["access_token"]
    url = f"{shopify_emulator.admin_url(SHOP)}/admin/api/2026-10/graphql.json"

    def ids(search=None):
        found, after = [], None
        while True:
            body = requests.post(
                url,
                headers={"X-Shopify-Access-Token": token},
                timeout=5,
                json={
                    "query": "query($a: String, $q: String) { "
                    "orders(first: 50, after: $a, query: $q) "
                    "{ nodes { id createdAt } pageInfo { hasNextPage endCursor } } }",
                    "variables": {"a": after, "q": search},
                },
            ).json()
            found.extend(body["data"]["orders"]["nodes"])
            if not body["data"]["orders"]["pageInfo"]["hasNextPage"]:
                return found
            after = body["data"]["orders"]["pageInfo"]["endCursor"]

    recent = ids()
    everything = shopify_emulator.data[SHOP]["orders"]
    assert 0 < len(recent) < len(everything)  # read_orders alone: the last 60 days only
    state.scopes = "read_orders,read_all_orders"
    assert len(ids()) == len(everything)
    cut = sorted(o["createdAt"] for o in everything.values())[60]
    assert len(ids(f"created_at:<'{cut}'")) == 60
    unauthorised = requests.post(url, json={"query": "{ shop { name } }"}, timeout=5)
    assert unauthorised.status_code == 401

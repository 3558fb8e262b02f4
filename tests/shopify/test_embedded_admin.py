"""The admin embedded in the Shopify admin: session tokens (no cookies), App Bridge only when
embedded, the bounce page, 401 + retry header for API calls, frame-ancestors per shop."""
# ruff: noqa: F811  (fixtures imported from tests.shopify.appside)

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import requests

from tests.shopify.appside import SHOP, app, app_url, installed  # noqa: F401

APP_BRIDGE = '<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>'
RETRY = "X-Shopify-Retry-Invalid-Session-Request"


def _expired(emulator):
    now = int(time.time())
    return emulator.mint_id_token(SHOP, exp=now - 30, nbf=now - 90, iat=now - 90)


def test_embedded_document_load_with_an_id_token(app_url, installed, shopify_emulator):
    token = shopify_emulator.mint_id_token(SHOP)
    response = requests.get(
        f"{app_url}/admin/customers",
        params={"embedded": "1", "shop": SHOP, "host": "YWRtaW4", "id_token": token},
        timeout=10,
    )
    assert response.status_code == 200
    head = response.text.split("<head>", 1)[1]
    # App Bridge first in <head>: its meta tag, then its script, before anything else loads.
    assert head.lstrip().startswith(
        f'<meta name="shopify-api-key" content="{shopify_emulator.api_key}">{APP_BRIDGE}'
    )
    csp = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors https://{SHOP} https://admin.shopify.com" in csp
    assert "Set-Cookie" not in response.headers
    # Links stay embedded, so following one bounces for a fresh token.
    assert f"embedded=1&amp;shop={SHOP}" in response.text or "embedded=1&amp;host" in response.text


def test_app_bridge_only_when_embedded(app_url, installed):
    response = requests.get(f"{app_url}/admin/customers", params={"shop": SHOP}, timeout=10)
    assert response.status_code == 200
    assert "shopify-api-key" not in response.text and "app-bridge.js" not in response.text
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


def test_document_loads_without_a_valid_token_bounce(app_url, installed, shopify_emulator):
    for params in (
        {"embedded": "1", "shop": SHOP, "host": "YWRtaW4"},
        {"embedded": "1", "shop": SHOP, "id_token": _expired(shopify_emulator)},
    ):
        response = requests.get(
            f"{app_url}/admin/customers", params=params, allow_redirects=False, timeout=10
        )
        assert response.status_code == 302
        bounce = urlparse(response.headers["Location"])
        assert bounce.path == "/install/shopify/session-token"
        reload_url = parse_qs(bounce.query)["shopify-reload"][0]
        assert "/admin/customers?" in reload_url and "id_token" not in reload_url


def test_forged_or_foreign_tokens_are_refused(app_url, installed, shopify_emulator):
    for token in (
        shopify_emulator.mint_id_token(SHOP, aud="another-app"),
        shopify_emulator.mint_id_token(SHOP, _secret="not-our-secret-0123456789abcdef"),
        shopify_emulator.mint_id_token(SHOP, iss="https://evil.example.com/admin"),
        shopify_emulator.mint_id_token(SHOP, dest="https://other.myshopify.com"),
    ):
        page = requests.get(
            f"{app_url}/admin/customers", params={"id_token": token}, allow_redirects=False
        )
        assert page.status_code == 401
        api = requests.get(
            f"{app_url}/api/v1/segments", headers={"Authorization": f"Bearer {token}"}
        )
        assert api.status_code == 401 and api.headers[RETRY] == "1"


def test_api_calls_use_bearer_session_tokens(app_url, installed, shopify_emulator):
    good = requests.get(
        f"{app_url}/api/v1/segments",
        headers={"Authorization": f"Bearer {shopify_emulator.mint_id_token(SHOP)}"},
        timeout=10,
    )
    assert good.status_code == 200 and "Set-Cookie" not in good.headers
    expired = requests.get(
        f"{app_url}/api/v1/segments",
        headers={"Authorization": f"Bearer {_expired(shopify_emulator)}"},
        timeout=10,
    )
    assert expired.status_code == 401 and expired.headers[RETRY] == "1"
    admin_fetch = requests.get(
        f"{app_url}/admin/customers",
        headers={"Authorization": f"Bearer {_expired(shopify_emulator)}"},
        timeout=10,
    )
    assert admin_fetch.status_code == 401 and admin_fetch.headers[RETRY] == "1"
    # Without any token, an API call is simply unauthenticated (no session cookie either).
    assert requests.get(f"{app_url}/api/v1/segments", timeout=10).status_code == 401


def test_a_token_for_a_shop_that_is_not_installed(app_url, shopify_emulator):
    token = shopify_emulator.mint_id_token(SHOP)
    api = requests.get(f"{app_url}/api/v1/segments", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    page = requests.get(
        f"{app_url}/admin/", params={"id_token": token, "shop": SHOP}, allow_redirects=False
    )
    assert page.status_code == 302
    assert urlparse(page.headers["Location"]).path == "/install/shopify"


def test_embedded_forms_post_with_a_session_token_and_show_their_message(
    app_url, installed, shopify_emulator
):
    """A form of the embedded admin (embedded.js adds `id_token`) needs no cookie and no CSRF
    token; its message travels, signed, through the redirect and the bounce."""
    embedded = {"embedded": "1", "shop": SHOP, "host": "YWRtaW4"}
    posted = requests.post(
        f"{app_url}/admin/settings/retention",
        params=embedded,
        data={"days": "180", "id_token": shopify_emulator.mint_id_token(SHOP)},
        allow_redirects=False,
        timeout=10,
    )
    assert posted.status_code == 302 and "Set-Cookie" not in posted.headers
    location = urlparse(posted.headers["Location"])
    carried = parse_qs(location.query)
    assert carried["embedded"] == ["1"] and carried["flash"]
    page = requests.get(
        f"{app_url}{location.path}",
        params={
            **{k: v[0] for k, v in carried.items()},
            "id_token": shopify_emulator.mint_id_token(SHOP),
        },
        timeout=10,
    )
    assert page.status_code == 200 and "kept 180 days" in page.text
    # Without a session token, or with a forged one, the form changes nothing.
    for data in ({"days": "90"}, {"days": "90", "id_token": "forged.token.value"}):
        refused = requests.post(
            f"{app_url}/admin/settings/retention",
            params=embedded,
            data=data,
            allow_redirects=False,
            timeout=10,
        )
        assert refused.status_code == 401
    # A tampered message is dropped, not shown.
    tampered = requests.get(
        f"{app_url}{location.path}",
        params={
            **embedded,
            "flash": "eyJmb28iOiJiYXIifQ.forged",
            "id_token": shopify_emulator.mint_id_token(SHOP),
        },
        timeout=10,
    )
    assert tampered.status_code == 200 and "eyJmb28" not in tampered.text

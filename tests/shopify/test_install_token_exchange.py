"""Install through the app URL: token exchange (embedded) and the authorization-code grant."""
# ruff: noqa: F811  (fixtures imported from tests.shopify.appside)

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import requests
from sqlalchemy import func, select

from sync.secrets import SecretBox
from sync.shops import read_credentials
from sync.store import Shop
from tests.emulators.shopify.senders import install_url, signed_install_query
from tests.shopify.appside import SHOP, app, app_url  # noqa: F401


def _shop(db):
    db.expire_all()
    return db.scalar(select(Shop).where(Shop.domain == SHOP))


def _count(db):
    return db.scalar(select(func.count()).select_from(Shop))


def test_embedded_first_load_exchanges_the_id_token_and_creates_the_shop(
    app_url, db, shopify_emulator, shopify_settings
):
    shopify_emulator.add_shop(SHOP, currency="CAD", timezone="America/Toronto")
    query = signed_install_query(
        SHOP, shopify_emulator.api_secret, embedded=1, id_token=shopify_emulator.mint_id_token(SHOP)
    )
    response = requests.get(install_url(app_url, query), allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    assert urlparse(response.headers["Location"]).path == "/admin/"
    shop = _shop(db)
    assert shop.platform == "shopify" and shop.uninstalled_at is None
    stored = read_credentials(shop, SecretBox.from_settings(shopify_settings))
    assert stored["access_token"] in shopify_emulator.access_tokens
    assert stored["refresh_token"] in shopify_emulator.refresh_tokens
    assert 3500 < stored["access_token_expires_at"] - time.time() <= 3600
    assert stored["refresh_token_expires_at"] - time.time() > 89 * 86400
    # After-install job (inline): the theme extension's metafield and the shop's details.
    metafield = shopify_emulator.shops[SHOP].metafields[("cible", "public_id")]
    assert metafield["value"] == shop.public_id
    assert metafield["ownerId"].startswith("gid://shopify/AppInstallation/")
    assert (shop.currency, shop.timezone) == ("CAD", "America/Toronto")
    assert "Set-Cookie" not in response.headers


def test_missing_read_all_orders_is_told_to_the_merchant(app_url, db, shopify_emulator):
    shopify_emulator.add_shop(SHOP, scopes="read_customers,read_orders,read_products")
    query = signed_install_query(
        SHOP, shopify_emulator.api_secret, embedded=1, id_token=shopify_emulator.mint_id_token(SHOP)
    )
    assert requests.get(install_url(app_url, query), allow_redirects=False).status_code == 302
    warnings = _shop(db).settings["shopify"]["warnings"]
    assert len(warnings) == 1 and "read_all_orders" in warnings[0]


def test_bad_hmac_wrong_audience_expired_or_foreign_token_install_nothing(
    app_url, db, shopify_emulator
):
    shopify_emulator.add_shop(SHOP)
    secret = shopify_emulator.api_secret
    good = shopify_emulator.mint_id_token(SHOP)
    forged = signed_install_query(SHOP, "not-the-secret", embedded=1, id_token=good)
    cases = {
        "bad hmac": (forged, 401),
        "wrong audience": (
            signed_install_query(
                SHOP, secret, embedded=1, id_token=shopify_emulator.mint_id_token(SHOP, aud="x")
            ),
            401,
        ),
        "expired": (
            signed_install_query(
                SHOP,
                secret,
                embedded=1,
                id_token=shopify_emulator.mint_id_token(
                    SHOP, exp=int(time.time()) - 60, nbf=int(time.time()) - 120
                ),
            ),
            401,
        ),
        "token of another shop": (
            signed_install_query(
                SHOP,
                secret,
                embedded=1,
                id_token=shopify_emulator.mint_id_token("other.myshopify.com"),
            ),
            401,
        ),
        "signed with another secret": (
            signed_install_query(
                SHOP,
                secret,
                embedded=1,
                id_token=shopify_emulator.mint_id_token(SHOP, _secret="someone-else"),
            ),
            401,
        ),
        "not a shop domain": (signed_install_query("evil.example.com", secret), 400),
        "stale query": (
            signed_install_query(SHOP, secret, embedded=1, id_token=good)
            | {"timestamp": str(int(time.time()) - 7200)},
            401,
        ),
    }
    for name, (query, status) in cases.items():
        response = requests.get(install_url(app_url, query), allow_redirects=False, timeout=10)
        assert response.status_code == status, (name, response.text)
    assert _count(db) == 0


def test_embedded_load_without_a_token_bounces_for_one(app_url, shopify_emulator):
    query = signed_install_query(SHOP, shopify_emulator.api_secret, embedded=1)
    response = requests.get(install_url(app_url, query), allow_redirects=False, timeout=10)
    assert response.status_code == 302
    bounce = urlparse(response.headers["Location"])
    assert bounce.path == "/install/shopify/session-token"
    reload_url = parse_qs(bounce.query)["shopify-reload"][0]
    assert reload_url.startswith(f"{app_url}/install/shopify?")
    page = requests.get(f"{app_url}{bounce.path}?{bounce.query}", timeout=10)
    assert 'name="shopify-api-key"' in page.text
    assert "https://cdn.shopify.com/shopifycloud/app-bridge.js" in page.text
    assert page.headers["Content-Security-Policy"] == (
        f"frame-ancestors https://{SHOP} https://admin.shopify.com"
    )


def test_authorization_code_grant_with_state_nonce(app_url, db, shopify_emulator):
    shopify_emulator.add_shop(SHOP)
    browser = requests.Session()
    query = signed_install_query(SHOP, shopify_emulator.api_secret)
    start = browser.get(install_url(app_url, query), allow_redirects=False, timeout=10)
    assert start.status_code == 302
    authorize = urlparse(start.headers["Location"])
    params = parse_qs(authorize.query)
    assert authorize.path.endswith("/admin/oauth/authorize")
    assert params["client_id"] == [shopify_emulator.api_key]
    scopes = params["scope"][0].split(",")
    assert {"read_customers", "read_orders", "read_all_orders", "read_products"} <= set(scopes)
    state = params["state"][0]
    redirect_uri = params["redirect_uri"][0]
    assert redirect_uri.endswith("/install/shopify/callback")
    # The merchant approves: Shopify redirects back with a signed query.
    back = shopify_emulator.authorize_redirect(
        SHOP, f"{app_url}/install/shopify/callback", state, None
    )
    # A forged state, or the same state from a browser without the nonce, is refused.
    tampered = back.replace(f"state={state[:8]}", "state=AAAAAAAA")
    assert browser.get(tampered, allow_redirects=False).status_code == 401
    assert requests.get(back, allow_redirects=False).status_code == 401
    assert _count(db) == 0
    done = browser.get(back, allow_redirects=False, timeout=10)
    assert done.status_code == 302, done.text
    assert done.headers["Location"].endswith(f"/admin/apps/{shopify_emulator.api_key}")
    shop = _shop(db)
    assert shop is not None and shop.settings["shopify"]["installed_via"] == "authorization_code"


def test_install_refused_when_the_app_is_not_configured(app_url, db, shopify_emulator, app):
    from dataclasses import replace

    app.config["CIBLE_SETTINGS"] = replace(app.config["CIBLE_SETTINGS"], shopify_api_secret="")
    query = signed_install_query(SHOP, shopify_emulator.api_secret)
    assert requests.get(install_url(app_url, query), allow_redirects=False).status_code == 503
    assert _count(db) == 0

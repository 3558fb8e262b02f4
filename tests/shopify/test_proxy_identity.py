"""The app proxy: /proxy/shopify/identity trusts logged_in_customer_id only when Shopify's
signature verifies and is recent."""
# ruff: noqa: F811  (fixtures imported from tests.shopify.appside)

from __future__ import annotations

import time

from sync.identity import verified_customer_id
from tests.emulators.shopify.senders import proxy_get, proxy_query
from tests.shopify.appside import SHOP, app, app_url, installed  # noqa: F401


def test_signed_identity_for_the_logged_in_customer(app_url, installed, shopify_settings):
    secret = shopify_settings.shopify_api_secret
    response = proxy_get(app_url, "/identity", SHOP, secret, customer_id=6100000042)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    identity = response.json()["identity"]
    assert identity["customer_id"] == "6100000042"
    assert verified_customer_id(shopify_settings, installed.public_id, identity) == "6100000042"


def test_anonymous_visitor_gets_no_identity(app_url, installed, shopify_settings):
    response = proxy_get(app_url, "/identity", SHOP, shopify_settings.shopify_api_secret)
    assert response.status_code == 200 and response.json() == {"identity": None}


def test_repeated_parameters_are_signed_joined_by_commas(app_url, installed, shopify_settings):
    secret = shopify_settings.shopify_api_secret
    query = proxy_query(SHOP, secret, customer_id=7, extra={"extra": ["1", "2"]})
    assert ("extra", "1") in query and ("extra", "2") in query
    assert proxy_get(app_url, "/identity", SHOP, secret, query=query).status_code == 200


def test_forged_stale_or_foreign_requests_are_refused(app_url, installed, shopify_settings):
    secret = shopify_settings.shopify_api_secret
    forged = proxy_get(app_url, "/identity", SHOP, "not-the-secret", customer_id=1)
    assert forged.status_code == 401
    # A signed query whose customer id was changed afterwards.
    query = [
        (k, "6100000099" if k == "logged_in_customer_id" else v)
        for k, v in proxy_query(SHOP, secret, customer_id=1)
    ]
    assert proxy_get(app_url, "/identity", SHOP, secret, query=query).status_code == 401
    stale = proxy_get(
        app_url, "/identity", SHOP, secret, customer_id=1, timestamp=int(time.time()) - 91
    )
    assert stale.status_code == 401
    unsigned = [(k, v) for k, v in proxy_query(SHOP, secret, customer_id=1) if k != "signature"]
    assert proxy_get(app_url, "/identity", SHOP, secret, query=unsigned).status_code == 401
    stranger = proxy_get(app_url, "/identity", "stranger.myshopify.com", secret, customer_id=1)
    assert stranger.status_code == 404
    assert "identity" not in forged.json()

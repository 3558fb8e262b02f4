"""Fixtures of the app-side Shopify tests: the app on the emulator's settings, served over
real HTTP, an installed shop, and a webhook sender. Test modules import what they use."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from connectors.shopify.oauth import TokenSet
from sync.shopify_app import install
from tests.emulators.shopify.senders import WebhookSender

SHOP = "cible-test.myshopify.com"


@pytest.fixture
def app(shopify_settings):
    """The app with Shopify pointed at the emulator (overrides the suite's `app`)."""
    from plugin_app import create_app

    return create_app({"CIBLE_SETTINGS": shopify_settings, "TESTING": True})


@pytest.fixture
def app_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def installed(db, shopify_settings, shopify_emulator):
    """A shop installed with an emulator-issued expiring token pair (no HTTP involved)."""
    shopify_emulator.add_shop(SHOP)
    tokens = TokenSet(**shopify_emulator.issue_tokens(SHOP))
    shop, _ = install(db, shopify_settings, SHOP, tokens, via="test")
    db.commit()
    return shop


@pytest.fixture
def sender(app_url, shopify_emulator):
    return WebhookSender(app_url, SHOP, shopify_emulator.api_secret)

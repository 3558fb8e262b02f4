"""Shopify tests share the emulator fixtures (tests/emulators/shopify/fixtures.py), and a
Shopify shop installed in our store with a token pair the emulator issued."""

from __future__ import annotations

import pytest

from sync.secrets import SecretBox
from sync.shops import create_shop, store_credentials
from tests.emulators.shopify.fixtures import (  # noqa: F401 (fixtures)
    shopify_emulator,
    shopify_settings,
)

SHOP_DOMAIN = "chocolats-cible.myshopify.com"


@pytest.fixture
def installed_shop(db, shopify_settings, shopify_emulator):  # noqa: F811
    """A Shopify shop row whose stored credentials are a pair the emulator issued (what an
    install leaves behind), for sync tests that do not exercise the install itself."""
    shopify_emulator.add_shop(SHOP_DOMAIN)
    shop = create_shop(db, platform="shopify", domain=SHOP_DOMAIN, timezone="Europe/Paris")
    store_credentials(
        shop, SecretBox.from_settings(shopify_settings), shopify_emulator.credentials(SHOP_DOMAIN)
    )
    db.commit()
    return shop

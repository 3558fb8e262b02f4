"""The `shopify_emulator` fixture: a fresh emulator on a free loopback port for each test,
and `shopify_settings`: the test settings pointed at it (app key, secret, base URL)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.emulators.shopify.emulator import ShopifyEmulator


@pytest.fixture
def shopify_emulator():
    emulator = ShopifyEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def shopify_settings(settings, shopify_emulator):
    """Settings whose Shopify calls go to the emulator (CIBLE_SHOPIFY_BASE_URL)."""
    return replace(
        settings,
        shopify_api_key=shopify_emulator.api_key,
        shopify_api_secret=shopify_emulator.api_secret,
        shopify_base_url=shopify_emulator.shop_base_url,
    )

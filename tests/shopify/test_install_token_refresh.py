"""sync.shopify_tokens: expiring offline tokens refreshed before expiry, each new pair stored
in one write, and two workers refreshing at once ending with one valid pair."""
# ruff: noqa: F811  (fixtures imported from tests.shopify.appside)

from __future__ import annotations

import threading
import time

import pytest

from sync.secrets import SecretBox
from sync.shopify_tokens import ShopifyTokenError, access_token
from sync.shops import read_credentials, store_credentials
from sync.store import Shop, session_factory
from tests.shopify.appside import SHOP, installed  # noqa: F401


def _stored(db, shop_id, settings) -> dict:
    db.expire_all()
    return read_credentials(db.get(Shop, shop_id), SecretBox.from_settings(settings))


def _expiring_in(db, shop, settings, seconds: int) -> dict:
    box = SecretBox.from_settings(settings)
    credentials = read_credentials(shop, box)
    credentials["access_token_expires_at"] = int(time.time()) + seconds
    store_credentials(shop, box, credentials)
    db.commit()
    return credentials


def test_a_fresh_token_is_used_as_is(db, installed, shopify_settings, shopify_emulator):
    before = _stored(db, installed.id, shopify_settings)
    assert access_token(db, installed, shopify_settings) == before["access_token"]
    assert shopify_emulator.requests_to("token") == []


def test_a_token_expiring_within_five_minutes_is_refreshed(
    db, installed, shopify_settings, shopify_emulator
):
    old = _expiring_in(db, installed, shopify_settings, 200)
    token = access_token(db, installed, shopify_settings)
    new = _stored(db, installed.id, shopify_settings)
    assert token == new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert new["refresh_token"] in shopify_emulator.refresh_tokens
    assert old["refresh_token"] not in shopify_emulator.refresh_tokens  # single use
    assert new["access_token_expires_at"] - time.time() > 3500


def test_force_refresh_after_a_401(db, installed, shopify_settings, shopify_emulator):
    old = _stored(db, installed.id, shopify_settings)
    shopify_emulator.expire_access_tokens(SHOP)
    token = access_token(db, installed, shopify_settings, force_refresh=True)
    assert token != old["access_token"] and token in shopify_emulator.access_tokens


def test_two_workers_refreshing_at_once_keep_one_valid_pair(
    db, installed, shopify_settings, shopify_emulator
):
    _expiring_in(db, installed, shopify_settings, 10)
    factory = session_factory(shopify_settings.database_url)
    results, errors = [], []
    barrier = threading.Barrier(4)

    def worker():
        with factory() as session:
            shop = session.get(Shop, installed.id)
            barrier.wait()
            try:
                results.append(access_token(session, shop, shopify_settings))
            except Exception as error:  # a failure here is what the test looks for
                errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    stored = _stored(db, installed.id, shopify_settings)
    assert set(results) == {stored["access_token"]}
    # The stored refresh token is the live one: the next refresh works.
    assert stored["refresh_token"] in shopify_emulator.refresh_tokens
    assert access_token(db, db.get(Shop, installed.id), shopify_settings, force_refresh=True)


def test_uninstalled_or_without_refresh_token(db, installed, shopify_settings):
    box = SecretBox.from_settings(shopify_settings)
    credentials = read_credentials(installed, box)
    credentials.update(refresh_token=None, access_token_expires_at=int(time.time()) - 5)
    store_credentials(installed, box, credentials)
    db.commit()
    with pytest.raises(ShopifyTokenError, match="reinstall"):
        access_token(db, installed, shopify_settings)

"""The connect form, over real HTTP, against the emulator: success and each way it fails."""

from __future__ import annotations

import html
import socket

import pytest
import requests
from sqlalchemy import func, select

from sync.identity import shop_signing_secret
from sync.secrets import SecretBox
from sync.shops import read_credentials
from sync.store import Customer, Shop, SyncRun
from tests.emulators.prestashop import DEFAULT_KEY
from tests.prestashop.conftest import assert_store_matches, connect_form


def shops(db) -> int:
    return db.scalar(select(func.count()).select_from(Shop))


def test_connecting_creates_the_shop_and_runs_the_first_sync(live_server, db, settings, emulator):
    response = connect_form(live_server, emulator.url + "/")
    assert response.status_code == 200, response.text
    shop = db.scalar(select(Shop).where(Shop.platform == "prestashop"))
    assert shop.domain == emulator.url.removeprefix("http://")
    assert shop.timezone == "Europe/Paris" and shop.currency == "EUR"
    assert shop.name == "Chocolats Émulés"
    # The key is sealed, never stored in clear.
    assert DEFAULT_KEY not in shop.credentials
    credentials = read_credentials(shop, SecretBox.from_settings(settings))
    assert credentials == {"shop_url": emulator.url, "webservice_key": DEFAULT_KEY}
    # What the merchant pastes into the module.
    assert shop.public_id in response.text
    assert shop_signing_secret(settings, shop.public_id) in response.text
    assert settings.public_url in response.text
    # The first sync ran (inline: no Redis here).
    assert db.scalar(select(func.count()).select_from(Customer)) == 60
    assert_store_matches(db, shop, emulator)
    runs = db.scalars(select(SyncRun).where(SyncRun.shop_id == shop.id)).all()
    assert runs and all(run.status == "succeeded" for run in runs)


def test_reconnecting_replaces_the_key(live_server, db, settings, emulator):
    assert connect_form(live_server, emulator.url).status_code == 200
    other_key = "ANOTHERKEY0123456789ABCDEFGHIJKL"
    emulator.allow(other_key, None)
    response = connect_form(live_server, emulator.url, key=other_key)
    assert response.status_code == 200 and "reconnected" in response.text
    assert shops(db) == 1
    db.expire_all()
    shop = db.scalar(select(Shop))
    assert read_credentials(shop, SecretBox.from_settings(settings))["webservice_key"] == other_key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "case, expected",
    [
        ("unreachable", "cannot be reached"),
        ("not_prestashop", "does not answer like a PrestaShop Webservice"),
        ("key_refused", "refused the webservice key"),
        ("wrong_key_format", "refused the webservice key"),
        ("resource_not_permitted", "may not read 'orders'"),
        ("two_resources_not_permitted", "may not read 'addresses', 'carts'"),
        ("webservice_disabled", "Webservice is disabled"),
    ],
)
def test_each_failure_has_its_message_and_saves_nothing(live_server, db, emulator, case, expected):
    url, key = emulator.url, DEFAULT_KEY
    if case == "unreachable":
        url = f"http://127.0.0.1:{_free_port()}"
    elif case == "not_prestashop":
        url = emulator.url + "/blog"
    elif case == "key_refused":
        key = "UNKNOWNKEY0123456789ABCDEFGHIJKL"
    elif case == "wrong_key_format":
        key = "short"
    elif case == "resource_not_permitted":
        emulator.allow(DEFAULT_KEY, ["customers", "addresses", "carts", "products", "currencies",
                                     "countries"])  # fmt: skip
    elif case == "two_resources_not_permitted":
        emulator.allow(DEFAULT_KEY, ["customers", "orders", "products", "currencies", "countries"])
    elif case == "webservice_disabled":
        emulator.disabled = True
    response = connect_form(live_server, url, key=key)
    assert response.status_code == 422
    assert expected in html.unescape(response.text)
    kind = {"wrong_key_format": "key_refused", "two_resources_not_permitted":
            "resource_not_permitted"}.get(case, case)  # fmt: skip
    assert f'data-kind="{kind}"' in response.text
    assert shops(db) == 0


def test_the_form_refuses_a_post_without_its_token(live_server, db, emulator):
    response = requests.post(
        f"{live_server}/install/prestashop",
        data={"shop_url": emulator.url, "webservice_key": DEFAULT_KEY},
        timeout=30,
    )
    assert response.status_code == 400
    assert "expired or was not sent from this page" in response.text
    assert shops(db) == 0
    assert emulator.requests_seen == 0


def test_the_form_refuses_an_address_that_is_not_one(live_server, db, emulator):
    response = connect_form(live_server, "not an address")
    assert response.status_code == 422
    assert "Enter your shop's address" in html.unescape(response.text)
    assert shops(db) == 0

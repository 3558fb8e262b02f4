"""What Cible refuses, with a clear message and nothing stored: bad signatures, malformed
payloads, keys that do not work, nonces we did not issue, keys without write access."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import requests
from sqlalchemy import func, select

from connectors.woocommerce import signature_of
from sync.secrets import SecretBox
from sync.shops import read_credentials
from sync.store import Shop, SyncRun, WebhookDelivery
from sync.woocommerce_sync import WooCommerceSyncError, sync_shop


def count(cible, model) -> int:
    with cible.sessions()() as session:
        return session.scalar(select(func.count()).select_from(model))


def connected(cible, emulator) -> Shop:
    assert cible.connect(emulator).status_code == 200
    shop = cible.shop(emulator.domain)
    cible.wait_for_runs(shop.id, "woocommerce:orders")
    return shop


def nonce_for(cible, emulator) -> str:
    """The user_id our install route hands the store (without following the redirect)."""
    answer = requests.get(
        f"{cible.url}/install/woocommerce",
        params={"store_url": emulator.url},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    location = urlparse(answer.headers["Location"])
    assert location.path == "/wc-auth/v1/authorize"
    query = parse_qs(location.query)
    assert query["scope"] == ["read_write"] and query["app_name"] == ["Cible"]
    assert query["callback_url"] == [f"{cible.url}/install/woocommerce/callback"]
    return query["user_id"][0]


def test_webhook_refusals_store_nothing(cible, emulator):
    shop = connected(cible, emulator)
    url = f"{cible.url}/webhooks/woocommerce/{shop.public_id}"
    with cible.sessions()() as session:
        secret = read_credentials(
            session.get(Shop, shop.id), SecretBox.from_settings(cible.settings)
        )["webhook_secret"]
    customer = next(iter(emulator.store.customers.values()))
    body = json.dumps(customer).encode()
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "customer.updated",
        "X-WC-Webhook-Delivery-ID": "d1",
        "X-WC-Webhook-ID": "1",
    }
    before = count(cible, WebhookDelivery)

    bad = requests.post(
        url,
        data=body,
        timeout=10,
        headers={**headers, "X-WC-Webhook-Signature": signature_of(body, "x")},
    )
    assert bad.status_code == 401
    assert "X-WC-Webhook-Signature" in bad.json()["message"]
    unsigned = requests.post(url, data=body, headers=headers, timeout=10)
    assert unsigned.status_code == 401

    broken = b'{"id": 3, "email": '
    malformed = requests.post(
        url,
        data=broken,
        timeout=10,
        headers={**headers, "X-WC-Webhook-Signature": signature_of(broken, secret)},
    )
    assert malformed.status_code == 400 and "JSON" in malformed.json()["message"]

    wrong_shape = json.dumps({"id": 5, "status": "sold", "date_created_gmt": "x"}).encode()
    refused = requests.post(
        url,
        data=wrong_shape,
        timeout=10,
        headers={
            **headers,
            "X-WC-Webhook-Topic": "order.updated",
            "X-WC-Webhook-Signature": signature_of(wrong_shape, secret),
        },
    )
    assert refused.status_code == 400 and "malformed order" in refused.json()["message"]

    no_topic = {k: v for k, v in headers.items() if k != "X-WC-Webhook-Topic"}
    missing = requests.post(
        url,
        data=body,
        timeout=10,
        headers={**no_topic, "X-WC-Webhook-Signature": signature_of(body, secret)},
    )
    assert missing.status_code == 400

    unknown = requests.post(
        f"{cible.url}/webhooks/woocommerce/nobody",
        data=body,
        timeout=10,
        headers={**headers, "X-WC-Webhook-Signature": signature_of(body, secret)},
    )
    assert unknown.status_code == 404

    ping = requests.post(url, data={"webhook_id": "12"}, timeout=10)
    assert ping.status_code == 200
    assert count(cible, WebhookDelivery) == before

    good = requests.post(
        url,
        data=body,
        timeout=10,
        headers={**headers, "X-WC-Webhook-Signature": signature_of(body, secret)},
    )
    assert good.status_code == 200
    assert count(cible, WebhookDelivery) == before + 1


def test_callback_refusals_and_wrong_keys(cible, emulator):
    callback = f"{cible.url}/install/woocommerce/callback"
    key = emulator.add_key()
    nonce = nonce_for(cible, emulator)
    delivery = {
        "key_id": key.key_id,
        "user_id": nonce,
        "consumer_key": key.consumer_key,
        "consumer_secret": key.consumer_secret,
        "key_permissions": "read_write",
    }

    malformed = requests.post(
        callback, data="{not json", timeout=10, headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    incomplete = requests.post(callback, json={"key_id": 1}, timeout=10)
    assert incomplete.status_code == 400 and "consumer_key" in incomplete.json()["message"]

    forged = requests.post(callback, json={**delivery, "user_id": "made-up"}, timeout=10)
    assert forged.status_code == 403 and "nonce" in forged.json()["message"]

    read_only = requests.post(callback, json={**delivery, "key_permissions": "read"}, timeout=10)
    assert read_only.status_code == 403 and "read_write" in read_only.json()["message"]

    wrong = {**delivery, "consumer_secret": "cs_" + "0" * 40}
    refused = requests.post(callback, json=wrong, timeout=30)
    assert refused.status_code == 403
    assert "keys do not work" in refused.json()["message"]
    assert count(cible, Shop) == 0

    # The store deletes the key when our callback refuses it.
    emulator.approve = True
    emulator.fail_next(1, status=401, path="/settings/")  # the key check fails
    answer = cible.connect(emulator)
    assert answer.status_code == 401
    assert emulator.callback_results[-1] == 403
    assert len(emulator.keys) == 1  # only the one this test added by hand
    assert count(cible, Shop) == 0


def test_declined_and_revoked_keys(cible, emulator):
    emulator.approve = False
    declined = cible.connect(emulator)
    assert declined.status_code == 200 and "Not connected" in declined.text
    assert count(cible, Shop) == 0
    emulator.approve = True
    shop = connected(cible, emulator)
    emulator.revoke_keys()
    try:
        sync_shop(cible.sessions(), cible.settings, shop.id, kind="incremental")
    except Exception as error:
        message = str(error)
    else:
        raise AssertionError("a sync with revoked keys must fail")
    assert "401" in message and "reconnect" in message
    with cible.sessions()() as session:
        failed = session.scalars(
            select(SyncRun).where(SyncRun.shop_id == shop.id, SyncRun.status == "failed")
        ).all()
    # The first stream's run says why; the streams after it say they did not run.
    errors = sorted(run.last_error for run in failed)
    assert len(errors) == 3 and "401" in errors[0]
    assert errors[1:] == ["not run: products failed first"] * 2


def test_sync_refuses_a_shop_of_another_platform(cible, shop):
    try:
        sync_shop(cible.sessions(), cible.settings, shop.id)
    except WooCommerceSyncError as error:
        assert "not WooCommerce" in str(error)
    else:
        raise AssertionError("expected WooCommerceSyncError")

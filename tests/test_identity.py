"""Signed storefront identities and signed pushes from our shop extensions."""

import hashlib
import hmac
import json

from sync.identity import (
    push_is_signed,
    shop_signing_secret,
    sign_identity,
    sign_push,
    verified_customer_id,
)
from sync.settings import Settings

SETTINGS = Settings(secret_key="k" * 40)
NOW = 1_800_000_000


def test_secret_is_per_shop_and_stable():
    first = shop_signing_secret(SETTINGS, "shopA")
    assert first == shop_signing_secret(SETTINGS, "shopA")
    assert first != shop_signing_secret(SETTINGS, "shopB")
    assert len(first) == 64
    assert first != shop_signing_secret(Settings(secret_key="j" * 40), "shopA")


def test_identity_signed_as_the_extensions_do_verifies():
    secret = shop_signing_secret(SETTINGS, "shopA")
    # What the PHP extensions compute: hash_hmac('sha256', "$shop:$id:$ts", $secret).
    sig = hmac.new(secret.encode(), f"shopA:42:{NOW}".encode(), hashlib.sha256).hexdigest()
    identity = {"customer_id": "42", "ts": NOW, "sig": sig}
    assert verified_customer_id(SETTINGS, "shopA", identity, now=NOW + 10) == "42"
    assert sign_identity(SETTINGS, "shopA", "42", NOW).sig == sig


def test_changed_id_other_shop_old_or_malformed_identity_is_anonymous():
    identity = sign_identity(SETTINGS, "shopA", "42", NOW).as_dict()
    assert verified_customer_id(SETTINGS, "shopA", {**identity, "customer_id": "43"}, NOW) is None
    assert verified_customer_id(SETTINGS, "shopB", identity, NOW) is None
    assert verified_customer_id(SETTINGS, "shopA", identity, NOW + 3 * 24 * 3600) is None
    for bad in (None, "42", [], {"customer_id": "42"}, {**identity, "ts": True}):
        assert verified_customer_id(SETTINGS, "shopA", bad, NOW) is None


def test_previous_secret_key_still_verifies_after_rotation():
    old = Settings(secret_key="o" * 40)
    identity = sign_identity(old, "shopA", "7", NOW).as_dict()
    rotated = Settings(secret_key="n" * 40, previous_secret_keys=("o" * 40,))
    assert verified_customer_id(rotated, "shopA", identity, NOW) == "7"
    assert verified_customer_id(Settings(secret_key="n" * 40), "shopA", identity, NOW) is None


def test_signed_push_verifies_and_tampering_or_replay_is_refused():
    body = json.dumps({"event": "cart_updated"}).encode()
    headers = sign_push(SETTINGS, "shopA", body, ts=NOW)
    stamp, signature = headers["X-Cible-Timestamp"], headers["X-Cible-Signature"]
    assert push_is_signed(SETTINGS, "shopA", body, stamp, signature, now=NOW + 5)
    assert not push_is_signed(SETTINGS, "shopA", body + b" ", stamp, signature, now=NOW)
    assert not push_is_signed(SETTINGS, "shopB", body, stamp, signature, now=NOW)
    assert not push_is_signed(SETTINGS, "shopA", body, stamp, signature, now=NOW + 3600)
    assert not push_is_signed(SETTINGS, "shopA", body, None, signature, now=NOW)
    assert not push_is_signed(SETTINGS, "shopA", body, stamp, "md5=00", now=NOW)

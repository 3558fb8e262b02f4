"""Per-shop signing secrets, and the signatures our shop extensions and Cible exchange.

Every shop has a signing secret, derived from CIBLE_SECRET_KEY and the shop's public id
(HKDF), so nothing more is stored and every server computes the same one. The merchant
pastes it into our WordPress plugin or PrestaShop module (the admin's settings page shows
it), and from then on:

- a **storefront identity** says "this browser is logged in as customer X": the extension
  signs `{shop_public_id}:{customer_id}:{ts}` and the storefront `decide` endpoint trusts
  the customer id only when the signature verifies and `ts` is recent; otherwise the
  visitor is anonymous. A visitor who edits the id gets nobody's personalised content.
- a **signed push** (cart activity, module events) carries `X-Cible-Signature:
  sha256=<hex HMAC of the raw body>` and `X-Cible-Timestamp` (unix seconds, signed with the
  body as `{ts}.{body}`), so a replayed or forged push is refused.

Rotating CIBLE_SECRET_KEY changes every shop's secret; the secrets derived from the keys in
CIBLE_PREVIOUS_SECRET_KEYS still verify, so merchants can re-paste the new one at leisure.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.settings import Settings

# A storefront identity stays valid this long: pages of logged-in customers are rendered
# per request, but a tab left open over a weekend keeps working.
IDENTITY_MAX_AGE = 2 * 24 * 3600
# A signed push must arrive within this many seconds of its timestamp (either way).
PUSH_MAX_SKEW = 300


@lru_cache(maxsize=1024)
def _derive(secret_key: str, shop_public_id: str) -> str:
    """HKDF, kept per (key, shop): the same inputs always give the same secret, and the
    storefront verifies an identity on every signed-in page view."""
    derived = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"cible-shop-signing",
        info=shop_public_id.encode(),
    ).derive(secret_key.encode())
    return derived.hex()


def shop_signing_secret(settings: Settings, shop_public_id: str) -> str:
    """The secret (64 hex characters) the shop's extension signs with."""
    return _derive(settings.secret_key, shop_public_id)


def _accepted_secrets(settings: Settings, shop_public_id: str) -> list[str]:
    keys = (settings.secret_key, *settings.previous_secret_keys)
    return [_derive(key, shop_public_id) for key in keys]


def _hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def identity_message(shop_public_id: str, customer_id: str, ts: int) -> bytes:
    return f"{shop_public_id}:{customer_id}:{ts}".encode()


@dataclass(frozen=True)
class Identity:
    """What an extension signs: the platform's id of the logged-in customer."""

    customer_id: str
    ts: int
    sig: str

    def as_dict(self) -> dict:
        return {"customer_id": self.customer_id, "ts": self.ts, "sig": self.sig}


def sign_identity(
    settings: Settings, shop_public_id: str, customer_id: str, ts: int | None = None
) -> Identity:
    ts = int(time.time()) if ts is None else int(ts)
    secret = shop_signing_secret(settings, shop_public_id)
    return Identity(
        str(customer_id), ts, _hex_hmac(secret, identity_message(shop_public_id, customer_id, ts))
    )


def verified_customer_id(
    settings: Settings, shop_public_id: str, identity: object, now: float | None = None
) -> str | None:
    """The customer id of a storefront identity, or None unless it is well formed,
    recent and signed with this shop's secret."""
    if not isinstance(identity, dict):
        return None
    customer_id, ts, sig = identity.get("customer_id"), identity.get("ts"), identity.get("sig")
    if isinstance(customer_id, int) and not isinstance(customer_id, bool):
        customer_id = str(customer_id)
    if not isinstance(customer_id, str) or not customer_id or len(customer_id) > 255:
        return None
    if isinstance(ts, str) and ts.isdigit():
        ts = int(ts)
    if not isinstance(ts, int) or isinstance(ts, bool) or not isinstance(sig, str):
        return None
    now = time.time() if now is None else now
    if not -PUSH_MAX_SKEW <= now - ts <= IDENTITY_MAX_AGE:
        return None
    message = identity_message(shop_public_id, customer_id, ts)
    for secret in _accepted_secrets(settings, shop_public_id):
        if hmac.compare_digest(_hex_hmac(secret, message), sig.lower()):
            return customer_id
    return None


def sign_push(
    settings: Settings, shop_public_id: str, body: bytes, ts: int | None = None
) -> dict[str, str]:
    """The headers of a signed push (what our extensions send; tests use it too)."""
    ts = int(time.time()) if ts is None else int(ts)
    secret = shop_signing_secret(settings, shop_public_id)
    digest = _hex_hmac(secret, f"{ts}.".encode() + body)
    return {"X-Cible-Timestamp": str(ts), "X-Cible-Signature": f"sha256={digest}"}


def push_is_signed(
    settings: Settings,
    shop_public_id: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: float | None = None,
) -> bool:
    """Whether a push's headers sign this raw body, recently, with the shop's secret."""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    if not signature.startswith("sha256="):
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > PUSH_MAX_SKEW:
        return False
    message = f"{timestamp}.".encode() + body
    given = signature.removeprefix("sha256=").lower()
    return any(
        hmac.compare_digest(_hex_hmac(secret, message), given)
        for secret in _accepted_secrets(settings, shop_public_id)
    )

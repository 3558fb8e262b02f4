"""Checking what Shopify signs: webhooks, app-proxy requests, OAuth redirects, session tokens.

Every check takes the app's current secret and, during a rotation, the previous one: Shopify
signs with whichever secret it has, so both must be accepted until the rotation ends. The
`shopifyapi` package decodes session tokens (audience, HS256, 10 s leeway, issuer and
destination hosts) and validates shop domains; the HMACs are a few lines of `hmac` on the
exact bytes Shopify signed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from urllib.parse import urlparse

import jwt
from shopify import session_token
from shopify.utils.shop_url import sanitize_shop_domain

# App-proxy requests older (or newer) than this are refused: replays of a captured URL.
PROXY_MAX_AGE_SECONDS = 90
# OAuth redirects (install callbacks) must be used promptly.
OAUTH_MAX_AGE_SECONDS = 3600
SESSION_TOKEN_LEEWAY_SECONDS = 10


class VerificationError(ValueError):
    """A request or token Shopify did not sign (or that is too old, or for someone else).

    `expired` tells a session token that was valid but has expired (get a new one) from
    one that never was."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def _secrets(secrets: Iterable[str | None]) -> list[bytes]:
    return [secret.encode() for secret in secrets if secret]


def valid_shop_domain(shop: str | None) -> str | None:
    """`name.myshopify.com` in lower case, or None for anything else (no bare names)."""
    raw = str(shop or "").strip().lower()
    if not raw.endswith(".myshopify.com"):
        return None
    return sanitize_shop_domain(raw)


def webhook_hmac(body: bytes, secret: str) -> str:
    """The X-Shopify-Hmac-Sha256 header for a body: base64 of HMAC-SHA256."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_is_valid(body: bytes, header: str | None, secrets: Iterable[str | None]) -> bool:
    """Whether X-Shopify-Hmac-Sha256 signs these exact raw bytes with one of our secrets."""
    if not header:
        return False
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (ValueError, TypeError):
        return False
    for secret in _secrets(secrets):
        expected = hmac.new(secret, body, hashlib.sha256).digest()
        if hmac.compare_digest(expected, given):
            return True
    return False


def _multi(query) -> dict[str, list[str]]:
    """A query as {key: [values]}, from a werkzeug MultiDict, a dict of lists or of strings."""
    if hasattr(query, "lists"):
        return {key: list(values) for key, values in query.lists()}
    return {
        key: list(value) if isinstance(value, (list, tuple)) else [value]
        for key, value in dict(query).items()
    }


def proxy_message(query) -> str:
    """What an app-proxy signature signs: sorted `key=value` pairs with no separator,
    several values of one key joined by commas, the signature itself left out."""
    params = _multi(query)
    params.pop("signature", None)
    return "".join(f"{key}={','.join(params[key])}" for key in sorted(params))


def proxy_signature(query, secret: str) -> str:
    return hmac.new(secret.encode(), proxy_message(query).encode(), hashlib.sha256).hexdigest()


def verify_proxy_request(query, secrets: Iterable[str | None], *, now: float | None = None) -> str:
    """Check an app-proxy query (signature, shop, timestamp within 90 s); returns the shop."""
    params = _multi(query)
    given = (params.get("signature") or [""])[0]
    if not given:
        raise VerificationError("app proxy request without a signature")
    if not any(
        hmac.compare_digest(proxy_signature(params, secret.decode()), given)
        for secret in _secrets(secrets)
    ):
        raise VerificationError("app proxy signature does not match")
    _check_age(params, PROXY_MAX_AGE_SECONDS, now)
    shop = valid_shop_domain((params.get("shop") or [""])[0])
    if shop is None:
        raise VerificationError("app proxy request for an invalid shop domain")
    return shop


def _check_age(params: Mapping[str, list[str]], max_age: int, now: float | None) -> None:
    try:
        timestamp = int((params.get("timestamp") or [""])[0])
    except ValueError as error:
        raise VerificationError("request without a valid timestamp") from error
    now = time.time() if now is None else now
    if abs(now - timestamp) > max_age:
        raise VerificationError(f"request timestamp is more than {max_age} s away from now")


def oauth_message(query) -> str:
    """What an OAuth redirect's hmac signs: sorted `key=value` pairs joined by '&'."""
    params = _multi(query)
    params.pop("hmac", None)
    params.pop("signature", None)
    return "&".join(f"{key}={','.join(params[key])}" for key in sorted(params))


def oauth_hmac(query, secret: str) -> str:
    return hmac.new(secret.encode(), oauth_message(query).encode(), hashlib.sha256).hexdigest()


def verify_oauth_query(query, secrets: Iterable[str | None], *, now: float | None = None) -> str:
    """Check an install redirect's query (hmac, shop domain, timestamp); returns the shop."""
    params = _multi(query)
    given = (params.get("hmac") or [""])[0]
    if not given or not any(
        hmac.compare_digest(oauth_hmac(params, secret.decode()), given)
        for secret in _secrets(secrets)
    ):
        raise VerificationError("the request's hmac does not match")
    _check_age(params, OAUTH_MAX_AGE_SECONDS, now)
    shop = valid_shop_domain((params.get("shop") or [""])[0])
    if shop is None:
        raise VerificationError("invalid shop domain")
    return shop


def decode_session_token(token: str | None, *, api_key: str, secrets: Iterable[str | None]):
    """A session (ID) token's claims once checked: HS256 with our secret, `aud` = our API
    key, `exp`/`nbf` with 10 s leeway, `iss` a shop admin whose host is `dest`'s.

    Returns the claims with `shop` added (the validated domain of `dest`).
    """
    if not token:
        raise VerificationError("no session token")
    errors = []
    for secret in [s for s in secrets if s]:
        try:
            claims = session_token.decode_from_header(f"Bearer {token}", api_key, secret)
        except session_token.SessionTokenError as error:
            errors.append(error)
            continue
        shop = valid_shop_domain(urlparse(claims["dest"]).hostname)
        if shop is None:
            raise VerificationError("session token for an invalid shop domain")
        return {**claims, "shop": shop}
    if not errors:
        raise VerificationError("no API secret configured (CIBLE_SHOPIFY_API_SECRET)")
    # The most telling error: anything but a bad signature, which every other secret gives.
    telling = next((e for e in errors if "Signature verification" not in str(e)), errors[0])
    expired = isinstance(telling.__cause__, jwt.ExpiredSignatureError)
    raise VerificationError(f"invalid session token: {telling}", expired=expired) from telling

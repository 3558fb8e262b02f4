"""Shopify OAuth: the authorization-code grant, token exchange and the refresh of expiring
offline tokens, against `POST https://{shop}/admin/oauth/access_token`.

Shopify-managed installation gives an embedded app an ID token (session token) on its first
load; exchanging it (RFC 8693 token exchange) yields an *expiring* offline access token
(about one hour) with a refresh token (about 90 days), which is what public apps must use.
The authorization-code grant stays for non-embedded installs. Each call is a plain HTTP
request with a timeout; 429 and 5xx are retried with backoff, honouring Retry-After.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
TIMEOUT = (5, 30)
ATTEMPTS = 4
BACKOFF = (1, 2, 4)


class ShopifyOAuthError(RuntimeError):
    """The token endpoint refused (status and Shopify's error kept) or could not be reached."""

    def __init__(self, message: str, status: int | None = None, error: str | None = None):
        super().__init__(message)
        self.status = status
        self.error = error

    @property
    def invalid_grant(self) -> bool:
        """The grant itself was refused (used or expired code/refresh token, bad ID token)."""
        return self.status in (400, 401) or self.error in ("invalid_grant", "invalid_subject_token")


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    scope: str
    expires_in: int | None = None
    refresh_token: str | None = None
    refresh_token_expires_in: int | None = None

    def as_credentials(self, now: float | None = None) -> dict:
        """The stored shape (sync.shops.store_credentials): expiries as unix seconds."""
        now = int(now if now is not None else time.time())
        return {
            "access_token": self.access_token,
            "access_token_expires_at": now + self.expires_in if self.expires_in else None,
            "refresh_token": self.refresh_token,
            "refresh_token_expires_at": (
                now + self.refresh_token_expires_in if self.refresh_token_expires_in else None
            ),
            "scope": self.scope,
        }


def new_state() -> str:
    """The `state` nonce of an authorization-code install (kept server-side, checked back)."""
    return secrets.token_urlsafe(24)


def authorize_url(
    shop_url: str, *, api_key: str, scopes: list[str] | str, redirect_uri: str, state: str
) -> str:
    """Where to send the merchant for a (non-embedded) authorization-code install."""
    scope = scopes if isinstance(scopes, str) else ",".join(scopes)
    query = urlencode(
        {"client_id": api_key, "scope": scope, "redirect_uri": redirect_uri, "state": state}
    )
    return f"{shop_url.rstrip('/')}/admin/oauth/authorize?{query}"


def exchange_code(shop_url: str, *, api_key: str, api_secret: str, code: str) -> TokenSet:
    """Authorization-code grant, asking for an expiring offline token."""
    return _token_request(
        shop_url,
        {
            "client_id": api_key,
            "client_secret": api_secret,
            "code": code,
            "expiring": "1",
        },
    )


def exchange_id_token(shop_url: str, *, api_key: str, api_secret: str, id_token: str) -> TokenSet:
    """Token exchange of the admin's ID token for an expiring offline access token."""
    return _token_request(
        shop_url,
        {
            "client_id": api_key,
            "client_secret": api_secret,
            "grant_type": TOKEN_EXCHANGE_GRANT,
            "subject_token": id_token,
            "subject_token_type": ID_TOKEN_TYPE,
            "requested_token_type": OFFLINE_TOKEN_TYPE,
            "expiring": "1",
        },
    )


def refresh(shop_url: str, *, api_key: str, api_secret: str, refresh_token: str) -> TokenSet:
    """Refresh-token grant: a new access token and a new (single-use) refresh token."""
    return _token_request(
        shop_url,
        {
            "client_id": api_key,
            "client_secret": api_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        },
    )


def _retry_after(response: requests.Response, attempt: int) -> float:
    raw = response.headers.get("Retry-After") if response is not None else None
    try:
        return min(float(raw), 30.0) if raw else BACKOFF[min(attempt, len(BACKOFF) - 1)]
    except ValueError:
        return BACKOFF[min(attempt, len(BACKOFF) - 1)]


def _token_request(shop_url: str, form: dict, *, http=None) -> TokenSet:
    http = http or requests
    url = f"{shop_url.rstrip('/')}/admin/oauth/access_token"
    response = None
    for attempt in range(ATTEMPTS):
        try:
            response = http.post(
                url, data=form, headers={"Accept": "application/json"}, timeout=TIMEOUT
            )
        except requests.RequestException as error:
            if attempt == ATTEMPTS - 1:
                raise ShopifyOAuthError(f"Shopify token endpoint unreachable: {error}") from error
            time.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
            continue
        if response.status_code == 429 or response.status_code >= 500:
            if attempt < ATTEMPTS - 1:
                time.sleep(_retry_after(response, attempt))
                continue
        break
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if response.status_code != 200 or "access_token" not in payload:
        error = payload.get("error") if isinstance(payload, dict) else None
        detail = payload.get("error_description") if isinstance(payload, dict) else None
        raise ShopifyOAuthError(
            f"Shopify refused the token request ({response.status_code}): "
            f"{error or ''} {detail or response.text[:200]}".strip(),
            status=response.status_code,
            error=error,
        )
    return TokenSet(
        access_token=payload["access_token"],
        scope=payload.get("scope", ""),
        expires_in=_int(payload.get("expires_in")),
        refresh_token=payload.get("refresh_token"),
        refresh_token_expires_in=_int(payload.get("refresh_token_expires_in")),
    )


def _int(value) -> int | None:
    return int(value) if value not in (None, "") else None

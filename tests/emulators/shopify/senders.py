"""What Shopify sends to the app, signed as Shopify signs it, over real HTTP.

- `WebhookSender.send(topic, payload)`: a webhook POST with X-Shopify-Hmac-Sha256 (base64
  HMAC-SHA256 of the exact body), X-Shopify-Topic, -Shop-Domain, -Event-Id, -Webhook-Id,
  -Triggered-At and -API-Version; `raw=` sends bytes as they are (malformed JSON),
  `secret=` signs with another secret (forgeries, rotation), `event_id=` repeats a delivery.
- `proxy_get(base_url, path, shop, ...)`: a storefront request as the app proxy forwards
  it: `shop`, `logged_in_customer_id`, `path_prefix`, `timestamp` and `signature` (hex
  HMAC-SHA256 of the sorted `key=value` pairs joined with nothing, multiple values joined
  by commas).
- `signed_install_query(...)`: the app URL's query as the Shopify admin opens it (HMAC over
  the sorted `key=value` pairs joined by '&').
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

import requests

API_VERSION = "2026-10"
_webhook_ids = itertools.count(1_000_001)


def webhook_signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class WebhookSender:
    """Delivers webhooks for one shop to `{base_url}/webhooks/shopify`."""

    def __init__(self, base_url: str, shop: str, secret: str, *, session=None, timeout=10):
        self.url = f"{base_url.rstrip('/')}/webhooks/shopify"
        self.shop = shop
        self.secret = secret
        self.http = session or requests.Session()
        self.timeout = timeout
        self.sent: list[dict] = []

    def headers(
        self,
        topic: str,
        body: bytes,
        *,
        event_id: str | None = None,
        webhook_id: str | None = None,
        triggered_at: str | None = None,
        secret: str | None = None,
        shop: str | None = None,
    ) -> dict:
        return {
            "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": webhook_signature(body, secret or self.secret),
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": shop or self.shop,
            "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
            "X-Shopify-Webhook-Id": webhook_id or str(next(_webhook_ids)),
            "X-Shopify-Triggered-At": triggered_at
            or datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "X-Shopify-API-Version": API_VERSION,
        }

    def send(
        self,
        topic: str,
        payload=None,
        *,
        raw: bytes | None = None,
        headers: dict | None = None,
        **options,
    ) -> requests.Response:
        body = raw if raw is not None else json.dumps(payload).encode()
        sent_headers = self.headers(topic, body, **options)
        if headers:
            sent_headers.update(headers)
        response = self.http.post(self.url, data=body, headers=sent_headers, timeout=self.timeout)
        self.sent.append({"topic": topic, "headers": sent_headers, "status": response.status_code})
        return response


def proxy_query(
    shop: str,
    secret: str,
    *,
    customer_id: str | int | None = None,
    timestamp: int | None = None,
    extra: dict | None = None,
    path_prefix: str = "/apps/cible",
) -> list[tuple[str, str]]:
    """The signed query Shopify appends to a proxied request (a list: keys may repeat)."""
    params: dict[str, list[str]] = {
        "shop": [shop],
        "logged_in_customer_id": ["" if customer_id is None else str(customer_id)],
        "path_prefix": [path_prefix],
        "timestamp": [str(int(time.time()) if timestamp is None else timestamp)],
    }
    for key, value in (extra or {}).items():
        params[key] = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    message = "".join(f"{key}={','.join(params[key])}" for key in sorted(params))
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    pairs = [(key, value) for key in params for value in params[key]]
    return [*pairs, ("signature", signature)]


def proxy_get(base_url: str, path: str, shop: str, secret: str, **options) -> requests.Response:
    """GET `{base_url}/proxy/shopify{path}` as Shopify's app proxy forwards it."""
    query = options.pop("query", None) or proxy_query(shop, secret, **options)
    return requests.get(f"{base_url.rstrip('/')}/proxy/shopify{path}", params=query, timeout=10)


def signed_install_query(shop: str, secret: str, **extra) -> dict:
    """The app URL's query as the Shopify admin opens it, HMAC-signed."""
    params = {
        "shop": shop,
        "host": base64.b64encode(f"admin.shopify.com/store/{shop.split('.')[0]}".encode())
        .decode()
        .rstrip("="),
        "timestamp": str(int(time.time())),
        **{k: str(v) for k, v in extra.items()},
    }
    message = "&".join(f"{k}={params[k]}" for k in sorted(params))
    params["hmac"] = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return params


def install_url(base_url: str, query: dict) -> str:
    return f"{base_url.rstrip('/')}/install/shopify?{urlencode(query)}"

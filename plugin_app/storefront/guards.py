"""What every storefront request goes through, read from its WSGI environ: the origin check
and CORS headers, the per-visitor rate limit, the privacy signals (Do-Not-Track, Global
Privacy Control), the visitor's country from a CDN header, and the signed identity.

Shared by the Flask views (events, preflight, loader.js: plugin_app/storefront/__init__.py)
and by decide, which is served as plain WSGI (plugin_app/storefront/decide_endpoint.py):
hence the environ rather than Flask's request, and the app passed in rather than
current_app. Headers are read straight from the environ, as werkzeug would (these run on
every decide; werkzeug's header view costs more than the lookups themselves).
"""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.wsgi import get_host

from plugin_app.storefront.ratelimit import RateLimiter
from sync.campaigns.decide import ShopState
from sync.identity import verified_customer_id
from sync.settings import Settings

log = logging.getLogger("plugin_app.storefront")

COUNTRY_HEADERS = ("HTTP_CF_IPCOUNTRY", "HTTP_CLOUDFRONT_VIEWER_COUNTRY", "HTTP_X_COUNTRY_CODE")
# Sent with every storefront answer: read by a script, never cached, never sniffed.
ANSWER_HEADERS = (
    ("Vary", "Origin"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
)


def limiter(app: Flask) -> RateLimiter:
    """The app's storefront rate limiter (made on first use, shared by every endpoint)."""
    found = app.extensions.get("cible.ratelimiter")
    if found is None:
        settings: Settings = app.config["CIBLE_SETTINGS"]
        found = RateLimiter(settings.redis_url, app.config.get("CIBLE_STOREFRONT_LIMITS"))
        app.extensions["cible.ratelimiter"] = found
    return found


def allowed_origin(environ: dict, state: ShopState | None) -> str | None:
    """The request's Origin when it is one of the shop's (then answered with CORS)."""
    origin = environ.get("HTTP_ORIGIN")
    if origin and state is not None and origin.rstrip("/").lower() in state.origins:
        return origin
    return None


def cors_headers(environ: dict, state: ShopState | None) -> list[tuple[str, str]]:
    origin = allowed_origin(environ, state)
    if origin is None:
        return list(ANSWER_HEADERS)
    return [("Access-Control-Allow-Origin", origin), *ANSWER_HEADERS]


def origin_refused(environ: dict, state: ShopState) -> bool:
    """A browser on another site: refused (a request without Origin is not a browser's
    cross-site call; it gets no CORS header and is rate-limited like any other). Browsers
    send Origin on same-origin POSTs too: pages on this server itself are not refused."""
    origin = environ.get("HTTP_ORIGIN")
    if not origin:
        return False
    origin = origin.rstrip("/").lower()
    if origin in state.origins:
        return False
    own = f"{environ.get('wsgi.url_scheme', 'http')}://{get_host(environ)}".lower()
    return origin != own


def tracking_allowed(environ: dict) -> bool:
    return environ.get("HTTP_DNT") != "1" and environ.get("HTTP_SEC_GPC") != "1"


def country(environ: dict) -> str | None:
    for header in COUNTRY_HEADERS:
        value = environ.get(header)
        if value and len(value) == 2 and value.isalpha():
            return value.upper()
    return None


def who(environ: dict, visitor) -> str:
    """Whom a rate limit counts: the visitor id when it looks like one, else the address."""
    if isinstance(visitor, str) and 16 <= len(visitor) <= 64:
        return "v:" + visitor
    return "ip:" + (environ.get("REMOTE_ADDR") or "?")


def verified(settings: Settings, state: ShopState, identity) -> str | None:
    """The platform customer id of a signed identity, None when absent or not verified
    (a bad, stale or malformed signature is logged: the visitor is then anonymous)."""
    if identity is None:
        return None
    customer_id = verified_customer_id(settings, state.public_id, identity)
    if customer_id is None:
        claimed = identity.get("customer_id") if isinstance(identity, dict) else None
        log.warning(
            "storefront %s: identity for customer %r did not verify (bad signature, stale "
            "or malformed): treated as anonymous",
            state.domain,
            claimed,
        )
    return customer_id

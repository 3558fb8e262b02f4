"""The storefront endpoints: loader.js, decide and events (docs/storefront.md).

Called from shoppers' browsers on the shop's own pages, so: CORS only for the shop's
origins (and never with cookies), JSON accepted as text/plain (no preflight), bodies
bounded, each visitor rate-limited, Do-Not-Track and Global Privacy Control honoured, and
a customer identity trusted only when its signature verifies (sync.identity): a bad
signature is logged and the visitor is treated as anonymous.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, current_app, g, request
from flask.sessions import SessionInterface
from sqlalchemy.exc import IntegrityError

from plugin_app import db
from plugin_app.storefront.loader import IMMUTABLE, LOADER_PATH, SHORT, loader_file
from plugin_app.storefront.ratelimit import RateLimiter
from plugin_app.storefront.requests import BadRequest, decide_input, read_json
from sync.campaigns.decide import Reader, ShopState, answer_json, cache_for, decide
from sync.campaigns.events import EventsError, read_batch, store_batch
from sync.identity import verified_customer_id
from sync.segments.refresh import TouchedCustomers, refresh_segments
from sync.store import Shop, utcnow

log = logging.getLogger(__name__)

storefront = Blueprint("storefront", __name__, url_prefix="/storefront/v1")
PREFIX = "/storefront/"
# Headers as WSGI environ keys: read straight from the environ, as werkzeug would (these
# run on every decide; werkzeug's header view costs more than the lookups themselves).
COUNTRY_HEADERS = ("HTTP_CF_IPCOUNTRY", "HTTP_CLOUDFRONT_VIEWER_COUNTRY", "HTTP_X_COUNTRY_CODE")


class NoStorefrontSessions(SessionInterface):
    """The app's session interface, except that storefront requests get none: they never
    carry or set a cookie, and skipping the signed-cookie machinery is a measurable part of
    decide's cost. Requests of the admin embedded in Shopify (authenticated by session
    tokens, plugin_app/admin/shopify_embedded.py) never set a cookie either: browsers treat
    it as a third-party cookie inside Shopify's frame."""

    def __init__(self, inner: SessionInterface):
        self.inner = inner

    def open_session(self, app, request):
        if request.path.startswith(PREFIX):
            return self.make_null_session(app)
        return self.inner.open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if self.is_null_session(session) or g.get("shopify_embedded"):
            return None
        return self.inner.save_session(app, session, response)


@storefront.record_once
def _skip_sessions(state) -> None:
    state.app.session_interface = NoStorefrontSessions(state.app.session_interface)


def _json(status: int = 200, **body) -> Response:
    """A compact JSON answer (decide's are read by a script, not a person)."""
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )


def _limiter() -> RateLimiter:
    limiter = current_app.extensions.get("cible.ratelimiter")
    if limiter is None:
        limits = current_app.config.get("CIBLE_STOREFRONT_LIMITS")
        limiter = RateLimiter(db.settings().redis_url, limits)
        current_app.extensions["cible.ratelimiter"] = limiter
    return limiter


def _state(shop_public_id: str) -> ShopState | None:
    return cache_for(db.settings().resolved_database_url()).get(db.session, shop_public_id)


def _error(status: int, message: str, **details) -> Response:
    return _json(status, error=message, **details)


def _header(environ_key: str) -> str | None:
    return request.environ.get(environ_key)


def _cors(response: Response, state: ShopState | None) -> Response:
    origin = _header("HTTP_ORIGIN")
    if origin and state is not None and origin.rstrip("/").lower() in state.origins:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _origin_refused(state: ShopState) -> bool:
    """A browser on another site: refused (a request without Origin is not a browser's
    cross-site call; it gets no CORS header and is rate-limited like any other). Browsers
    send Origin on same-origin POSTs too: pages on this server itself are not refused."""
    origin = _header("HTTP_ORIGIN")
    if not origin:
        return False
    origin = origin.rstrip("/").lower()
    return origin not in state.origins and origin != request.host_url.rstrip("/").lower()


def _tracking_allowed() -> bool:
    environ = request.environ
    return environ.get("HTTP_DNT") != "1" and environ.get("HTTP_SEC_GPC") != "1"


def _verified(state: ShopState, identity) -> str | None:
    if identity is None:
        return None
    customer_id = verified_customer_id(db.settings(), state.public_id, identity)
    if customer_id is None:
        claimed = identity.get("customer_id") if isinstance(identity, dict) else None
        log.warning(
            "storefront %s: identity for customer %r did not verify (bad signature, stale "
            "or malformed): treated as anonymous",
            state.domain,
            claimed,
        )
    return customer_id


def _country() -> str | None:
    environ = request.environ
    for header in COUNTRY_HEADERS:
        value = environ.get(header)
        if value and len(value) == 2 and value.isalpha():
            return value.upper()
    return None


def _who(visitor) -> str:
    if isinstance(visitor, str) and 16 <= len(visitor) <= 64:
        return "v:" + visitor
    return "ip:" + (request.remote_addr or "?")


@storefront.route("/<shop_public_id>/decide", methods=["OPTIONS"])
@storefront.route("/<shop_public_id>/events", methods=["OPTIONS"])
def preflight(shop_public_id: str):
    """Only `application/json` bodies preflight; text/plain ones do not."""
    state = _state(shop_public_id)
    if state is None:
        return _error(404, "unknown shop")
    response = _cors(Response(status=204), state)
    if "Access-Control-Allow-Origin" in response.headers:
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


@storefront.post("/<shop_public_id>/decide")
def decide_view(shop_public_id: str):
    state = _state(shop_public_id)
    if state is None:
        return _cors(_error(404, "unknown shop"), None)
    if _origin_refused(state):
        return _cors(_error(403, "this origin is not one of the shop's"), state)
    try:
        payload = read_json(request)
    except BadRequest as error:
        return _cors(_error(error.status, str(error)), state)
    visitor = payload.get("visitor") if isinstance(payload, dict) else None
    if not _limiter().allow("decide", shop_public_id, _who(visitor)):
        return _cors(_error(429, "too many requests from this visitor"), state)
    identity = payload.get("identity") if isinstance(payload, dict) else None
    try:
        view = decide_input(payload, _verified(state, identity), _tracking_allowed(), _country())
    except BadRequest as error:
        return _cors(_error(error.status, str(error)), state)
    with Reader(db.settings().resolved_database_url()) as connection:
        choices = decide(connection, state, view, utcnow())
    return _cors(Response(answer_json(choices), mimetype="application/json"), state)


@storefront.post("/<shop_public_id>/events")
def events_view(shop_public_id: str):
    state = _state(shop_public_id)
    if state is None:
        return _cors(_error(404, "unknown shop"), None)
    if _origin_refused(state):
        return _cors(_error(403, "this origin is not one of the shop's"), state)
    try:
        payload = read_json(request)
        batch = read_batch(payload)
    except BadRequest as error:
        return _cors(_error(error.status, str(error)), state)
    except EventsError as error:
        return _cors(_error(error.status, str(error), details=error.details), state)
    if not _limiter().allow("events", shop_public_id, _who(batch["visitor"])):
        return _cors(_error(429, "too many events from this visitor"), state)
    session = db.session()
    shop = session.get(Shop, state.shop_id)
    customer_external_id = _verified(state, batch.get("identity"))
    try:
        stored = store_batch(
            session, shop, batch, utcnow(), customer_external_id, tracking=_tracking_allowed()
        )
        session.commit()
    except IntegrityError:
        # A campaign deleted while the batch was being stored: once more, it is now
        # unknown and its events are ignored like any unknown campaign's.
        session.rollback()
        stored = store_batch(
            session, shop, batch, utcnow(), customer_external_id, tracking=_tracking_allowed()
        )
        session.commit()
    if stored.customers:
        touched = TouchedCustomers()
        touched.add(stored.customers)
        try:
            refresh_segments(db.settings(), shop.id, touched)
        except Exception:  # the events are stored; the daily run will catch up
            log.exception("storefront %s: segment re-check after a capture failed", shop.domain)
    return _cors(_json(202, accepted=stored.accepted, ignored=stored.ignored), state)


@storefront.get("/<shop_public_id>/loader.js")
def loader(shop_public_id: str):
    if _state(shop_public_id) is None:
        return _error(404, "unknown shop")
    found = loader_file(current_app.config.get("CIBLE_STOREFRONT_LOADER") or LOADER_PATH)
    if found is None:
        return _error(503, "loader.js is not built in this installation")
    immutable = request.args.get("v") == found.version
    headers = {
        "ETag": found.etag,
        "Cache-Control": IMMUTABLE if immutable else SHORT,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        "Access-Control-Allow-Origin": "*",
    }
    if request.if_none_match.contains(found.version):
        return Response(status=304, headers=headers)
    body = found.body
    if "gzip" in (request.headers.get("Accept-Encoding") or "").lower():
        body = found.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, headers=headers, content_type="application/javascript; charset=utf-8")

"""The storefront endpoints: loader.js, decide and events (docs/storefront.md).

Called from shoppers' browsers on the shop's own pages, so: CORS only for the shop's
origins (and never with cookies), JSON accepted as text/plain (no preflight), bodies
bounded, each visitor rate-limited, Do-Not-Track and Global Privacy Control honoured, and
a customer identity trusted only when its signature verifies (sync.identity): a bad
signature is logged and the visitor is treated as anonymous. Those checks live in
guards.py; decide itself is answered before Flask (decide_endpoint.py), the rest here.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, current_app, g, request
from flask.sessions import SessionInterface
from sqlalchemy.exc import IntegrityError

from plugin_app import db
from plugin_app.storefront import guards
from plugin_app.storefront.loader import IMMUTABLE, LOADER_PATH, SHORT, loader_file
from plugin_app.storefront.requests import BadRequest, read_json
from sync.campaigns.decide import ShopState, cache_for
from sync.campaigns.events import EventsError, read_batch, store_batch
from sync.segments.refresh import TouchedCustomers, refresh_segments
from sync.store import Shop, utcnow

log = logging.getLogger(__name__)

storefront = Blueprint("storefront", __name__, url_prefix="/storefront/v1")
PREFIX = "/storefront/"


class NoStorefrontSessions(SessionInterface):
    """The app's session interface, except that storefront requests get none: they never
    carry or set a cookie, and skipping the signed-cookie machinery is a measurable part of
    their cost (decide, answered before Flask, never meets it). Requests of the admin
    embedded in Shopify (authenticated by session tokens,
    plugin_app/admin/shopify_embedded.py) never set a cookie either: browsers treat it as a
    third-party cookie inside Shopify's frame."""

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
    """A compact JSON answer (read by a script, not a person)."""
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )


def _state(shop_public_id: str) -> ShopState | None:
    return cache_for(db.settings().resolved_database_url()).get(db.session, shop_public_id)


def _error(status: int, message: str, **details) -> Response:
    return _json(status, error=message, **details)


def _cors(response: Response, state: ShopState | None) -> Response:
    for name, value in guards.cors_headers(request.environ, state):
        response.headers[name] = value
    return response


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


@storefront.post("/<shop_public_id>/events")
def events_view(shop_public_id: str):
    state = _state(shop_public_id)
    if state is None:
        return _cors(_error(404, "unknown shop"), None)
    if guards.origin_refused(request.environ, state):
        return _cors(_error(403, "this origin is not one of the shop's"), state)
    try:
        payload = read_json(request)
        batch = read_batch(payload)
    except BadRequest as error:
        return _cors(_error(error.status, str(error)), state)
    except EventsError as error:
        return _cors(_error(error.status, str(error), details=error.details), state)
    limiter = guards.limiter(current_app)
    if not limiter.allow("events", shop_public_id, guards.who(request.environ, batch["visitor"])):
        return _cors(_error(429, "too many events from this visitor"), state)
    session = db.session()
    shop = session.get(Shop, state.shop_id)
    customer_external_id = guards.verified(db.settings(), state, batch.get("identity"))
    tracking = guards.tracking_allowed(request.environ)
    try:
        stored = store_batch(
            session, shop, batch, utcnow(), customer_external_id, tracking=tracking
        )
        session.commit()
    except IntegrityError:
        # A campaign deleted while the batch was being stored: once more, it is now
        # unknown and its events are ignored like any unknown campaign's.
        session.rollback()
        stored = store_batch(
            session, shop, batch, utcnow(), customer_external_id, tracking=tracking
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

"""The JSON API the admin pages use (and, with issue 7's tokens, merchants' own scripts).

Authenticated either by the admin session (the same signed cookie as the admin pages) or
by an API token (`Authorization: Bearer cible_...`, plugin_app/api/tokens.py), or, in the
admin embedded in Shopify, by a Shopify session token (`Authorization: Bearer <JWT>`,
plugin_app/admin/shopify_embedded.py); either way every
call is scoped to that one shop. Writes must be sent as JSON, and a write made with the
session must also carry the session's CSRF token in `X-CSRF-Token` (the admin pages'
scripts do): a forged cross-site request has the cookie but not the token. Token calls
need no CSRF token, since a browser never adds an Authorization header by itself.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request

from plugin_app.admin.auth import session_shop
from plugin_app.admin.csrf import HEADER as CSRF_HEADER
from plugin_app.admin.csrf import token_is_valid
from plugin_app.api.tokens import PREFIX as TOKEN_PREFIX
from plugin_app.api.tokens import shop_for_token
from plugin_app.db import session as db_session

api = Blueprint("api", __name__, url_prefix="/api/v1")

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The API's description is public: it holds no shop's data.
PUBLIC_ENDPOINTS = {"api.openapi_document"}


@api.before_request
def require_shop_session():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    authorization = request.headers.get("Authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme == "Bearer" and not token.strip().startswith(TOKEN_PREFIX):
            # The admin embedded in Shopify: a session token (JWT); a bad one ends here
            # with the 401 App Bridge retries on.
            g.shop = session_shop()
            g.auth = "shopify"
            g.shopify_embedded = True  # no cookie is set on this answer
            return _require_json()
        g.shop = shop_for_token(db_session(), token.strip()) if scheme == "Bearer" else None
        if g.shop is None:
            abort(401, "this API token is not valid (revoked, mistyped, or not a Bearer token)")
        g.auth = "token"
    else:
        g.shop = session_shop()
        if g.shop is None:
            abort(401, "open the admin for a shop first (a launch link, or ?shop= in development)")
        g.auth = "session"
        if request.method in WRITE_METHODS and not token_is_valid(request.headers.get(CSRF_HEADER)):
            abort(403, f"send this session's CSRF token in the {CSRF_HEADER} header")
    return _require_json()


def _require_json():
    if request.method in WRITE_METHODS and request.method != "DELETE" and not request.is_json:
        abort(415, "send the request body as JSON (Content-Type: application/json)")
    return None


@api.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def problem(status: int, message: str, **details):
    response = jsonify(status=status, message=message, **details)
    response.status_code = status
    return response


# These modules attach their routes to `api` when imported.
from plugin_app.api import campaigns, openapi, segments, session, sync_status  # noqa: E402,F401

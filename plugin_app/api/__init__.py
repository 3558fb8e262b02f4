"""The JSON API the admin pages use (and, with issue 7's tokens, merchants' own scripts).

Authenticated by the admin session (the same signed cookie as the admin pages, so every
call is scoped to the session's shop). Writes must be sent as JSON: a cross-site form
cannot do that without a CORS preflight, which this API never grants, so the session
cookie alone cannot be used to forge a change.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request

from plugin_app.admin.auth import session_shop

api = Blueprint("api", __name__, url_prefix="/api/v1")

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@api.before_request
def require_shop_session():
    g.shop = session_shop()
    if g.shop is None:
        abort(401, "open the admin for a shop first (a launch link, or ?shop= in development)")
    if request.method in WRITE_METHODS and request.method != "DELETE" and not request.is_json:
        abort(415, "send the request body as JSON (Content-Type: application/json)")


@api.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def problem(status: int, message: str, **details):
    response = jsonify(status=status, message=message, **details)
    response.status_code = status
    return response


from plugin_app.api import segments  # noqa: E402,F401  (attaches its routes to `api`)

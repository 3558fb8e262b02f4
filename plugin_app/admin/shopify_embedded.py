"""The admin embedded in the Shopify admin: session tokens instead of cookies.

Inside the Shopify admin's iframe a cookie of ours is a third-party cookie, which browsers
block, so an embedded request proves its shop with a session token (an ID token, JWT HS256
signed with the app secret, checked by connectors.shopify.verify):
- fetch/XHR calls send `Authorization: Bearer <token>`; an invalid or expired one gets 401
  with `X-Shopify-Retry-Invalid-Session-Request: 1`, so App Bridge retries with a new token;
- document loads carry `id_token` in the query; a document load without one (an embedded
  link, `embedded=1`) or with an expired one goes to the bounce page, where App Bridge gets
  a fresh token and reloads the page with it.
Embedded responses load App Bridge (its meta tag and script, first in <head>, only when
embedded), may be framed only by the shop's admin (CSP frame-ancestors) and set no cookie.
Admin links keep `embedded`, `shop` and `host`, so following them bounces for a new token.
Forms: `static/embedded.js` adds a fresh token (`shopify.idToken()`) to a form as it is
posted; such a post needs no CSRF token (another site cannot obtain a session token for
this app), and the messages its redirect shows travel signed in the redirect's address.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import abort, current_app, g, make_response, redirect, request, session, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import escape
from sqlalchemy import select

from connectors.shopify.verify import VerificationError, decode_session_token
from plugin_app import db
from plugin_app.admin import admin
from plugin_app.admin.problems import render_problem
from sync.store import Shop

APP_BRIDGE_URL = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
RETRY_HEADER = "X-Shopify-Retry-Invalid-Session-Request"
CARRIED = ("embedded", "shop", "host")
FLASH_PARAM = "flash"


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def is_embedded_request() -> bool:
    return bool(_bearer() or request.args.get("id_token") or request.args.get("embedded") == "1")


def _claims(token: str) -> dict:
    current = db.settings()
    return decode_session_token(
        token,
        api_key=current.shopify_api_key,
        secrets=(current.shopify_api_secret, current.shopify_previous_api_secret),
    )


def _installed(domain: str) -> Shop | None:
    shop = db.session().scalar(
        select(Shop).where(Shop.domain == domain, Shop.platform == "shopify")
    )
    return shop if shop is not None and shop.uninstalled_at is None else None


def retry_response(message: str):
    """401 for an API call with a bad session token: App Bridge retries with a new one."""
    response = make_response({"status": 401, "message": message}, 401)
    response.headers[RETRY_HEADER] = "1"
    response.headers["Cache-Control"] = "no-store"
    return response


def bounce(shop: str | None):
    """Send a document load to the bounce page, which reloads it with a fresh ID token."""
    query = {k: v for k, v in request.args.items() if k != "id_token"}
    reload_url = f"{request.base_url}?{urlencode(query)}"
    target = url_for(
        "shopify_install.session_token",
        shop=shop or request.args.get("shop", ""),
        host=request.args.get("host", ""),
    )
    return redirect(f"{target}&{urlencode({'shopify-reload': reload_url})}")


def resolve():
    """For an embedded request: set g.shop from its session token and return None, or return
    the answer to send (bounce, 401). Does nothing for other requests (returns None)."""
    if not is_embedded_request():
        return None
    g.shopify_embedded = True
    token = _bearer()
    if token is not None:
        try:
            claims = _claims(token)
        except VerificationError as error:
            return retry_response(str(error))
        shop = _installed(claims["shop"])
        if shop is None:
            return retry_response(f"Cible is not installed on {claims['shop']}")
        g.shop = shop
        g.shopify_shop_domain = shop.domain
        g.shopify_session_token = True
        return None
    # A document load carries the token in its query; a form post (embedded.js) in a field.
    id_token = request.args.get("id_token")
    if not id_token and request.method == "POST":
        id_token = request.form.get("id_token")
    if not id_token:
        if request.method == "POST":
            return render_problem(
                401,
                "This form was sent without a Shopify session",
                "Reload the page from your Shopify admin and send the form again.",
            )
        return bounce(None)
    try:
        claims = _claims(id_token)
    except VerificationError as error:
        if error.expired:
            return bounce(None)
        return render_problem(401, "This session cannot be used", str(error))
    shop = _installed(claims["shop"])
    if shop is None:
        # Not installed (yet, or any more): the app URL installs it with this same token.
        return redirect(f"{url_for('shopify_install.app_url')}?{urlencode(request.args)}")
    g.shop = shop
    g.shopify_shop_domain = shop.domain
    g.shopify_session_token = True
    _restore_flashes()
    return None


def _flash_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="cible-embedded-flash")


def _carry_flashes(response) -> None:
    """Embedded answers set no cookie, so the messages a form's redirect would show from the
    session travel, signed, in the redirect's address instead (and survive the bounce)."""
    flashes = session.get("_flashes")
    if not flashes or not response.location or response.status_code not in (301, 302, 303):
        return
    parts = urlsplit(response.location)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != FLASH_PARAM]
    query.append((FLASH_PARAM, _flash_serializer().dumps(flashes)))
    response.location = urlunsplit(parts._replace(query=urlencode(query)))


def _restore_flashes() -> None:
    carried = request.args.get(FLASH_PARAM)
    if not carried:
        return
    try:
        flashes = _flash_serializer().loads(carried)
    except BadSignature:
        return
    if isinstance(flashes, list):
        session["_flashes"] = [tuple(item) for item in flashes if len(item) == 2]


def bearer_shop() -> Shop | None:
    """For JSON API calls: the shop of a valid Bearer session token, None without one;
    an invalid token ends the request with the 401 App Bridge retries on."""
    token = _bearer()
    if token is None:
        return None
    try:
        claims = _claims(token)
    except VerificationError as error:
        abort(retry_response(str(error)))
    shop = _installed(claims["shop"])
    if shop is None:
        abort(retry_response(f"Cible is not installed on {claims['shop']}"))
    return shop


@admin.url_defaults
def keep_embedded_context(endpoint: str, values: dict) -> None:
    """Admin links made during an embedded request stay embedded (and bounce for a token)."""
    if not g.get("shopify_embedded") or endpoint == "admin.static":
        return
    values.setdefault("embedded", "1")
    values.setdefault("shop", g.get("shopify_shop_domain") or request.args.get("shop", ""))
    if request.args.get("host"):
        values.setdefault("host", request.args["host"])


def finish_response(response):
    """Embedded answers: framed only by the shop's admin, App Bridge loaded, no cookie."""
    if not g.get("shopify_embedded"):
        return response
    domain = g.get("shopify_shop_domain")
    ancestors = (
        f"https://{domain} https://admin.shopify.com" if domain else "https://admin.shopify.com"
    )
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self' https://cdn.shopify.com; "
        "connect-src 'self' https://*.shopify.com; img-src 'self' data: https:; "
        "style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors {ancestors}"
    )
    response.headers.pop("Set-Cookie", None)
    _carry_flashes(response)
    if response.mimetype == "text/html" and not response.direct_passthrough:
        body = response.get_data(as_text=True)
        tags = (
            f'<meta name="shopify-api-key" content="{escape(db.settings().shopify_api_key)}">'
            f'<script src="{APP_BRIDGE_URL}"></script>'
            f'<script src="{url_for("admin.static", filename="embedded.js")}" defer></script>'
        )
        if "<head>" in body and "shopify-api-key" not in body:
            response.set_data(body.replace("<head>", "<head>\n  " + tags, 1))
    return response

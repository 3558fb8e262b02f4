"""`GET /install/shopify` (the app URL) and `GET /install/shopify/callback`.

Shopify-managed installation: the merchant approves the scopes of shopify.app.toml in the
Shopify admin, which then opens the app URL embedded, with an `id_token`. We check the
query's HMAC and the ID token (audience, signature, shop), exchange the ID token for an
expiring offline token pair (token exchange), create the shop on its first install, and run
the after-install tasks (the theme extension's metafield, the backfill) as a job.

A non-embedded visit without an ID token (an install link, a self-hoster's test) takes the
authorization-code grant: a redirect to Shopify's authorize page with a `state` nonce, and
a callback whose HMAC, shop and state are checked before the code is exchanged. The nonce is
signed into `state` and kept in a first-party cookie (the callback is a top-level page, so
no third-party cookie is involved).
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from flask import Blueprint, make_response, redirect, render_template_string, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from connectors.shopify import oauth
from connectors.shopify.verify import (
    VerificationError,
    decode_session_token,
    valid_shop_domain,
    verify_oauth_query,
)
from plugin_app.db import session, settings
from sync.queue import JobFailed, enqueue
from sync.shopify_app import after_install, install
from sync.shops import ShopError

log = logging.getLogger(__name__)

blueprint = Blueprint("shopify_install", __name__, url_prefix="/install/shopify")

# What Cible asks for: kept equal to access_scopes in manifests/shopify/shopify.app.toml.
SCOPES = (
    "read_customers",
    "read_orders",
    "read_all_orders",
    "read_products",
    "read_checkouts",
    "write_app_proxy",
)
STATE_SALT = "cible-shopify-oauth-state"
STATE_MAX_AGE = 600
NONCE_COOKIE = "cible_shopify_nonce"
APP_BRIDGE_URL = "https://cdn.shopify.com/shopifycloud/app-bridge.js"

BOUNCE_PAGE = """<!doctype html>
<html><head>
<meta name="shopify-api-key" content="{{ api_key }}">
<script src="{{ app_bridge }}"></script>
<title>Cible</title>
</head><body></body></html>
"""


def _problem(status: int, message: str):
    response = make_response({"status": status, "message": message}, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _secrets():
    current = settings()
    return (current.shopify_api_secret, current.shopify_previous_api_secret)


def _state_serializer() -> URLSafeTimedSerializer:
    current = settings()
    return URLSafeTimedSerializer([*current.previous_secret_keys, current.secret_key], STATE_SALT)


def _configured():
    current = settings()
    if not current.shopify_api_key or not current.shopify_api_secret:
        return _problem(
            503, "Shopify is not configured: set CIBLE_SHOPIFY_API_KEY and CIBLE_SHOPIFY_API_SECRET"
        )
    return None


def _after_install(shop_id: int) -> None:
    try:
        enqueue(settings(), after_install, shop_id, job_id=f"shopify-after-install-{shop_id}")
    except JobFailed as error:  # inline: the install stands; the log says what failed
        log.warning("after-install tasks failed: %s", error)


def _admin_url(query: dict) -> str:
    kept = {k: v for k, v in query.items() if k in ("shop", "host", "embedded", "id_token")}
    return f"{url_for('admin.home')}?{urlencode(kept)}"


def _finish_install(domain: str, tokens: oauth.TokenSet, via: str):
    db = session()
    try:
        shop, fresh = install(db, settings(), domain, tokens, via=via)
    except ShopError as error:
        db.rollback()
        return None, _problem(409, str(error))
    db.commit()
    if fresh:
        _after_install(shop.id)
    return shop, None


@blueprint.get("")
def app_url():
    refused = _configured()
    if refused is not None:
        return refused
    current = settings()
    query = request.args.to_dict()
    try:
        domain = verify_oauth_query(request.args, _secrets())
    except VerificationError as error:
        return _problem(401 if "hmac" in str(error) else 400, f"install refused: {error}")
    id_token = query.get("id_token")
    if id_token:
        try:
            claims = decode_session_token(
                id_token, api_key=current.shopify_api_key, secrets=_secrets()
            )
        except VerificationError as error:
            return _problem(401, str(error))
        if claims["shop"] != domain:
            return _problem(401, "the ID token is for another shop")
        try:
            tokens = oauth.exchange_id_token(
                current.shopify_shop_url(domain),
                api_key=current.shopify_api_key,
                api_secret=current.shopify_api_secret,
                id_token=id_token,
            )
        except oauth.ShopifyOAuthError as error:
            return _problem(401 if error.invalid_grant else 502, f"token exchange failed: {error}")
        _, refused = _finish_install(domain, tokens, "token_exchange")
        if refused is not None:
            return refused
        return redirect(_admin_url(query))
    if query.get("embedded") == "1":
        # Embedded but no ID token: let App Bridge fetch one and reload this URL with it.
        reload_url = f"{request.base_url}?{urlencode(query)}"
        return redirect(
            url_for(".session_token", shop=domain, host=query.get("host", ""))
            + "&"
            + urlencode({"shopify-reload": reload_url})
        )
    nonce = secrets.token_urlsafe(24)
    state = _state_serializer().dumps({"shop": domain, "nonce": nonce})
    target = oauth.authorize_url(
        current.shopify_shop_url(domain),
        api_key=current.shopify_api_key,
        scopes=list(SCOPES),
        redirect_uri=f"{current.public_url.rstrip('/')}{url_for('.callback')}",
        state=state,
    )
    response = redirect(target)
    response.set_cookie(
        NONCE_COOKIE,
        nonce,
        max_age=STATE_MAX_AGE,
        httponly=True,
        secure=current.production,
        samesite="Lax",
        path=url_for(".callback"),
    )
    return response


@blueprint.get("/callback")
def callback():
    refused = _configured()
    if refused is not None:
        return refused
    current = settings()
    try:
        domain = verify_oauth_query(request.args, _secrets())
    except VerificationError as error:
        return _problem(401 if "hmac" in str(error) else 400, f"install refused: {error}")
    try:
        state = _state_serializer().loads(request.args.get("state", ""), max_age=STATE_MAX_AGE)
    except BadSignature:
        return _problem(401, "install refused: invalid or expired state")
    nonce = request.cookies.get(NONCE_COOKIE)
    if state.get("shop") != domain or not nonce or state.get("nonce") != nonce:
        return _problem(401, "install refused: the state does not match this browser's install")
    code = request.args.get("code")
    if not code:
        return _problem(400, "install refused: no authorization code")
    try:
        tokens = oauth.exchange_code(
            current.shopify_shop_url(domain),
            api_key=current.shopify_api_key,
            api_secret=current.shopify_api_secret,
            code=code,
        )
    except oauth.ShopifyOAuthError as error:
        return _problem(401 if error.invalid_grant else 502, f"code exchange failed: {error}")
    _, refused = _finish_install(domain, tokens, "authorization_code")
    if refused is not None:
        return refused
    # Into the app, embedded in the shop's admin.
    response = redirect(f"{current.shopify_shop_url(domain)}/admin/apps/{current.shopify_api_key}")
    response.delete_cookie(NONCE_COOKIE, path=url_for(".callback"))
    return response


@blueprint.get("/session-token")
def session_token():
    """The bounce page: App Bridge loads, gets a fresh ID token, and reloads the page named
    by `shopify-reload` with it. Embedded document loads without a token come here."""
    current = settings()
    response = make_response(
        render_template_string(
            BOUNCE_PAGE, api_key=current.shopify_api_key, app_bridge=APP_BRIDGE_URL
        )
    )
    domain = valid_shop_domain(request.args.get("shop", ""))
    ancestors = (
        f"https://{domain} https://admin.shopify.com" if domain else "https://admin.shopify.com"
    )
    response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
    response.headers["Cache-Control"] = "no-store"
    return response

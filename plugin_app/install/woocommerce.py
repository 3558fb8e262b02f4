"""Connecting a WooCommerce store: the wc-auth round trip.

1. `GET /install/woocommerce?store_url=https://shop.example` (the plugin's Connect button)
   sends the merchant to `{store}/wc-auth/v1/authorize` with a signed, short-lived nonce as
   `user_id`.
2. The merchant approves; WooCommerce POSTs the new keys as JSON to
   `POST /install/woocommerce/callback` and deletes them unless we answer exactly 200. We
   answer 200 only once the nonce is ours and fresh, the permissions are read_write, the
   keys work against the store, and they are stored encrypted; then the shop exists (or is
   updated on reconnection), our webhooks are registered and the first full sync starts
   (after the answer: WooCommerce waits for it).
3. WooCommerce sends the merchant back to `GET /install/woocommerce/return`.
"""

from __future__ import annotations

import hashlib
import html
import logging
import secrets
from urllib.parse import urlparse

import requests
from flask import Blueprint, jsonify, redirect, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from connectors.woocommerce import (
    REQUIRED_PERMISSIONS,
    KeyDeliveryError,
    WooCommerceClient,
    WooCommerceError,
    authorize_url,
    parse_key_delivery,
)
from connectors.woocommerce.auth import store_base_url
from plugin_app.db import session, settings
from sync.secrets import SecretBox
from sync.settings import Settings
from sync.shops import ShopError, check_timezone, create_shop, normalise_domain, store_credentials
from sync.shops import read_credentials as open_credentials
from sync.store import Shop
from sync.woocommerce_sync import check_webhooks, enqueue_sync

log = logging.getLogger(__name__)

blueprint = Blueprint("woocommerce_install", __name__)

# How long the merchant has between clicking Connect and approving on their store.
NONCE_MAX_AGE = 3600
NONCE_SALT = "cible-woocommerce-install"


def _serializer(current: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current.secret_key, salt=NONCE_SALT)


def _refuse(status: int, message: str):
    log.warning("woocommerce install refused (%s): %s", status, message)
    response = jsonify(status=status, message=message)
    response.status_code = status
    return response


def _page(title: str, body: str, status: int = 200):
    text = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<body style='font-family:system-ui;max-width:40em;margin:3em auto'>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return text, status, {"Content-Type": "text/html; charset=utf-8"}


def _valid_store_url(raw: str, current: Settings) -> str | None:
    url = store_base_url(raw) if raw.strip() else ""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None
    if current.production and parsed.scheme != "https":
        return None
    return url


@blueprint.get("/install/woocommerce")
def start():
    current = settings()
    raw = request.args.get("store_url", "")
    if not raw:
        return _page(
            "Connect a WooCommerce store",
            "<form method=get><label>Your store's address "
            "<input name=store_url placeholder='https://shop.example' required></label> "
            "<button>Connect</button></form>",
        )
    store_url = _valid_store_url(raw, current)
    if store_url is None:
        return _page(
            "Not a store address",
            f"<p>{html.escape(raw)} is not a store address: give it as "
            "https://shop.example (https is required in production).</p>",
            400,
        )
    nonce = _serializer(current).dumps({"store": store_url, "n": secrets.token_hex(8)})
    public = current.public_url.rstrip("/")
    return redirect(
        authorize_url(
            store_url,
            user_id=nonce,
            return_url=f"{public}/install/woocommerce/return",
            callback_url=f"{public}/install/woocommerce/callback",
        )
    )


def _read_nonce(current: Settings, nonce: str, max_age: int | None = NONCE_MAX_AGE) -> str:
    """The store URL the nonce was issued for; raises BadSignature/SignatureExpired."""
    data = _serializer(current).loads(nonce, max_age=max_age)
    if not isinstance(data, dict) or not isinstance(data.get("store"), str):
        raise BadSignature("not an install nonce")
    return data["store"]


def _store_facts(client: WooCommerceClient) -> tuple[str, str]:
    """(currency, time zone) of the store; checking the keys on the way (the currency needs
    an authenticated call; the time zone comes from the public WordPress index)."""
    currency = client.get_json("settings/general/woocommerce_currency").get("value") or "EUR"
    zone = "UTC"
    try:
        index = requests.get(f"{client.store_url}/wp-json/", timeout=10).json()
        zone = check_timezone(index.get("timezone_string") or "UTC")
    except (requests.RequestException, ValueError, AttributeError, ShopError):
        zone = "UTC"
    return str(currency).upper(), zone


@blueprint.post("/install/woocommerce/callback")
def callback():
    current = settings()
    payload = request.get_json(silent=True)
    if payload is None:
        return _refuse(400, "expected the JSON body WooCommerce sends (key_id, user_id, ...)")
    try:
        keys = parse_key_delivery(payload)
    except KeyDeliveryError as error:
        return _refuse(400, str(error))
    try:
        store_url = _read_nonce(current, keys.user_id)
    except SignatureExpired:
        return _refuse(403, "this connection request expired: click Connect again")
    except BadSignature:
        return _refuse(403, "unknown connection request (user_id is not a nonce we issued)")
    if keys.key_permissions != REQUIRED_PERMISSIONS:
        return _refuse(
            403,
            f"Cible needs {REQUIRED_PERMISSIONS} access, the key has {keys.key_permissions}",
        )
    client = WooCommerceClient(store_url, keys.consumer_key, keys.consumer_secret, max_attempts=3)
    try:
        currency, zone = _store_facts(client)
    except WooCommerceError as error:
        return _refuse(
            403 if error.status in (401, 403) else 502,
            f"the keys do not work against {store_url}: {error}",
        )
    db = session()
    nonce_hash = hashlib.sha256(keys.user_id.encode()).hexdigest()
    domain = normalise_domain(store_url)
    shop = db.scalar(select(Shop).where(Shop.domain == domain))
    box = SecretBox.from_settings(current)
    if shop is not None and shop.platform != "woocommerce":
        return _refuse(409, f"{domain} is already connected as a {shop.platform} shop")
    if (
        shop is not None
        and (shop.settings or {}).get("woocommerce", {}).get("install_nonce") == nonce_hash
    ):
        return _refuse(403, "this connection request was already used: click Connect again")
    if shop is None:
        try:
            shop = create_shop(
                db,
                platform="woocommerce",
                domain=domain,
                timezone=zone,
                currency=currency if len(currency) == 3 else "EUR",
            )
        except ShopError as error:
            return _refuse(400, str(error))
    previous = open_credentials(shop, box) if shop.credentials else {}
    store_credentials(
        shop,
        box,
        {
            "store_url": store_url,
            "consumer_key": keys.consumer_key,
            "consumer_secret": keys.consumer_secret,
            "key_id": keys.key_id,
            "key_permissions": keys.key_permissions,
            "webhook_secret": previous.get("webhook_secret") or secrets.token_urlsafe(32),
        },
    )
    state = dict(shop.settings or {})
    state["woocommerce"] = {**(state.get("woocommerce") or {}), "install_nonce": nonce_hash}
    shop.settings = state
    shop.uninstalled_at = None
    db.commit()
    try:
        check_webhooks(db, current, shop, client)
        db.commit()
    except WooCommerceError as error:  # the first sync tries again
        db.rollback()
        log.warning("webhooks of %s not registered yet: %s", domain, error)
    shop_id = shop.id
    response = jsonify(status="connected", shop=shop.public_id)
    response.status_code = 200
    # WooCommerce waits for this answer: the first sync starts once it is sent.
    response.call_on_close(lambda: _first_sync(current, shop_id))
    return response


def _first_sync(current: Settings, shop_id: int) -> None:
    try:
        enqueue_sync(current, shop_id, "full")
    except Exception:  # inline: the run records the failure; RQ: retried by the worker
        log.exception("first WooCommerce sync of shop %s failed", shop_id)


@blueprint.get("/install/woocommerce/return")
def done():
    current = settings()
    success = request.args.get("success") == "1"
    store = None
    try:
        store = _read_nonce(current, request.args.get("user_id", ""), max_age=None)
    except BadSignature:
        pass
    if not success:
        return _page(
            "Not connected",
            "<p>The connection was declined on the store. Click Connect again from the "
            "Cible plugin to retry.</p>",
        )
    shop = session().scalar(select(Shop).where(Shop.domain == normalise_domain(store or "")))
    if shop is None:
        return _page(
            "Connection not finished",
            "<p>The store did not hand us working keys. Click Connect again from the Cible "
            "plugin; if it keeps failing, check that the store can reach "
            f"{html.escape(current.public_url)}.</p>",
            400,
        )
    return _page(
        "Connected",
        f"<p>{html.escape(shop.domain)} is connected to Cible; its customers and orders are "
        "being copied now.</p>"
        f"<p>Shop public id: <code>{html.escape(shop.public_id)}</code> (the plugin's "
        "settings need it, with the signing secret: <code>cible shop secret "
        f"{html.escape(shop.domain)}</code>).</p>",
    )

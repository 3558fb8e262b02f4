"""`POST /webhooks/woocommerce/<shop_public_id>`: WooCommerce deliveries and our plugin's pushes.

Three kinds of request reach this address:
- the **creation ping**: when a webhook is saved, WooCommerce POSTs the form `webhook_id=N`,
  unsigned; it must get a 2xx (or the merchant sees an error). Answered 200, nothing stored.
- a **WooCommerce delivery**: `X-WC-Webhook-Signature` = base64(HMAC-SHA256(raw body, the
  shop's webhook secret)), topic in `X-WC-Webhook-Topic`. Verified, recorded in the inbox
  and processed by a job.
- a **cart push** from our WordPress plugin: signed with the shop's signing secret
  (sync.identity: `X-Cible-Timestamp`, `X-Cible-Signature`), topic `cible.cart`.

Answers: 404 unknown shop, 401 missing or bad signature, 400 malformed (not JSON, no topic),
200 otherwise; nothing is stored on any refusal. The deduplication key of a WooCommerce
delivery is its X-WC-Webhook-Delivery-ID *and* a hash of the body: WooCommerce derives the
delivery id from the webhook id and the current second, so two different events of one
webhook within a second share it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from urllib.parse import parse_qs

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from connectors.woocommerce import verify_signature
from connectors.woocommerce.schemas import MappingError, cart_from_push
from plugin_app.db import session, settings
from sync.identity import push_is_signed
from sync.secrets import SecretBox, SecretsError
from sync.shops import read_credentials
from sync.store import Shop
from sync.webhooks import enqueue_delivery, kept_headers, record_delivery
from sync.woocommerce_webhooks import CART_TOPIC, UPSERTS

log = logging.getLogger(__name__)

blueprint = Blueprint("woocommerce_webhooks", __name__)


def _refuse(status: int, message: str):
    response = jsonify(status=status, message=message)
    response.status_code = status
    return response


def _is_ping(body: bytes) -> bool:
    if request.headers.get("X-WC-Webhook-Signature") or request.headers.get("X-Cible-Signature"):
        return False
    if not request.mimetype.startswith("application/x-www-form-urlencoded") and request.mimetype:
        return False
    try:
        form = parse_qs(body.decode("ascii"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return False
    return list(form) == ["webhook_id"] and form["webhook_id"][0].isdigit()


@blueprint.post("/webhooks/woocommerce/<public_id>")
def receive(public_id: str):
    body = request.get_data(cache=False)
    db = session()
    shop = db.scalar(
        select(Shop).where(Shop.public_id == public_id, Shop.platform == "woocommerce")
    )
    if shop is None:
        return _refuse(404, f"no WooCommerce shop {public_id} is connected here")
    if _is_ping(body):
        return jsonify(status="pong", webhook_id=parse_qs(body.decode())["webhook_id"][0]), 200
    current = settings()
    if request.headers.get("X-Cible-Signature"):
        return _cart_push(db, shop, body, current)
    try:
        secret = read_credentials(shop, SecretBox.from_settings(current)).get("webhook_secret")
    except SecretsError:
        secret = None
    signature = request.headers.get("X-WC-Webhook-Signature")
    if not signature:
        return _refuse(401, "missing X-WC-Webhook-Signature: not a WooCommerce delivery")
    if not secret or not verify_signature(body, secret, signature):
        return _refuse(401, "invalid webhook signature (X-WC-Webhook-Signature)")
    topic = (request.headers.get("X-WC-Webhook-Topic") or "").strip()
    if not topic or "." not in topic:
        return _refuse(400, "missing or malformed X-WC-Webhook-Topic (expected e.g. order.updated)")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, "the body is not valid JSON")
    if not isinstance(payload, dict) or "id" not in payload:
        return _refuse(400, "the body is not a WooCommerce resource (a JSON object with an id)")
    problem = _unreadable(topic, payload)
    if problem:
        return _refuse(400, problem)
    delivery_id = request.headers.get("X-WC-Webhook-Delivery-ID") or "no-delivery-id"
    event_id = f"{delivery_id}:{hashlib.sha256(topic.encode() + b' ' + body).hexdigest()[:24]}"
    return _record(db, shop, current, topic, event_id, body, request.headers.get("X-WC-Webhook-ID"))


def _unreadable(topic: str, payload: dict) -> str | None:
    """Why a delivery of a topic we use cannot be read (checked before it is stored, so a
    payload that can never be processed is refused, not retried forever)."""
    resource, _, action = topic.partition(".")
    if resource not in UPSERTS or action == "deleted":
        return None
    try:
        UPSERTS[resource][0](payload)
    except MappingError as error:
        return f"malformed {resource}: {error.messages}"
    return None


def _cart_push(db, shop: Shop, body: bytes, current):
    if not push_is_signed(
        current,
        shop.public_id,
        body,
        request.headers.get("X-Cible-Timestamp"),
        request.headers.get("X-Cible-Signature"),
    ):
        return _refuse(401, "invalid or expired push signature (X-Cible-Signature)")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, "the body is not valid JSON")
    if not isinstance(payload, dict) or payload.get("topic") != CART_TOPIC:
        return _refuse(400, f"expected a JSON object with topic {CART_TOPIC!r}")
    event_id = payload.get("event_id")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 200:
        return _refuse(400, "a cart push needs an event_id")
    try:
        cart_from_push(payload)
    except MappingError as error:
        return _refuse(400, f"malformed cart push: {error.messages}")
    return _record(db, shop, current, CART_TOPIC, f"cible:{event_id}", body, None)


def _record(db, shop, current, topic, event_id, body, webhook_id):
    delivery, created = record_delivery(
        db,
        shop,
        platform="woocommerce",
        topic=topic,
        event_id=event_id,
        body=body,
        headers=kept_headers(request.headers),
        webhook_id=webhook_id,
    )
    db.commit()
    if not created:
        return jsonify(status="duplicate", delivery=delivery.id), 200
    queued = enqueue_delivery(current, delivery.id)
    return jsonify(status="received" if queued else "kept for replay", delivery=delivery.id), 200

"""`POST /webhooks/shopify`: every Shopify topic, the mandatory compliance topics included.

Shopify waits 5 seconds for an answer and redelivers what it did not get acknowledged, so
this route does the least that makes a delivery safe: check the HMAC on the raw body
(current and previous app secret), check the shop and the JSON, record the delivery
(deduplicated on X-Shopify-Event-Id), commit, enqueue its processing and answer. If Redis
is down the delivery stays recorded and `replay_pending` processes it later.

Answers: 401 bad or missing HMAC, 400 malformed headers or JSON, 404 a shop that never
installed Cible (compliance topics for an erased shop get 200: nothing is held), 200
otherwise, with nothing stored on any refusal.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from connectors.shopify.verify import valid_shop_domain, webhook_is_valid
from plugin_app.db import session, settings
from sync.store import Shop
from sync.webhooks import enqueue_delivery, kept_headers, record_delivery

log = logging.getLogger(__name__)

blueprint = Blueprint("shopify_webhooks", __name__)

COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")


def _refuse(status: int, message: str):
    response = jsonify(status=status, message=message)
    response.status_code = status
    return response


@blueprint.post("/webhooks/shopify")
def receive():
    body = request.get_data(cache=False)
    current = settings()
    if not current.shopify_api_secret:
        return _refuse(503, "CIBLE_SHOPIFY_API_SECRET is not set: cannot verify webhooks")
    secrets = (current.shopify_api_secret, current.shopify_previous_api_secret)
    if not webhook_is_valid(body, request.headers.get("X-Shopify-Hmac-Sha256"), secrets):
        return _refuse(401, "invalid webhook signature (X-Shopify-Hmac-Sha256)")
    topic = (request.headers.get("X-Shopify-Topic") or "").strip()
    domain = valid_shop_domain(request.headers.get("X-Shopify-Shop-Domain"))
    event_id = request.headers.get("X-Shopify-Event-Id") or request.headers.get(
        "X-Shopify-Webhook-Id"
    )
    if not topic or domain is None or not event_id:
        return _refuse(400, "missing X-Shopify-Topic, X-Shopify-Shop-Domain or X-Shopify-Event-Id")
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, "the body is not valid JSON")
    db = session()
    shop = db.scalar(select(Shop).where(Shop.domain == domain, Shop.platform == "shopify"))
    if shop is None:
        if topic in COMPLIANCE_TOPICS:
            return jsonify(status="nothing held for this shop"), 200
        return _refuse(404, f"no Shopify shop {domain} is installed here")
    delivery, created = record_delivery(
        db,
        shop,
        platform="shopify",
        topic=topic,
        event_id=event_id,
        body=body,
        headers=kept_headers(request.headers),
        webhook_id=request.headers.get("X-Shopify-Webhook-Id"),
    )
    db.commit()
    if not created:
        return jsonify(status="duplicate", delivery=delivery.id), 200
    queued = enqueue_delivery(current, delivery.id)
    return jsonify(status="received" if queued else "kept for replay", delivery=delivery.id), 200

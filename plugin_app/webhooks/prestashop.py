"""`POST /webhooks/prestashop/<shop_public_id>`: pushes from our PrestaShop module's hooks.

The module signs each push with the shop's signing secret (sync.identity: `X-Cible-
Timestamp`, `X-Cible-Signature: sha256=HMAC("{ts}.{body}")`). Answers: 404 unknown shop,
401 missing, stale or bad signature, 400 malformed (not JSON, unknown event, no event id or
object id), 200 otherwise (`received`, or `duplicate` for an event id already recorded).
Nothing is stored on a refusal; an accepted push is recorded in the inbox, committed, then
processed by a job (sync/prestashop_pushes.py). The module gives up after a short timeout,
so the route does no more than that.
"""

from __future__ import annotations

import json

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from plugin_app.db import session, settings
from sync.identity import push_is_signed
from sync.prestashop_pushes import validate
from sync.store import Shop
from sync.webhooks import enqueue_delivery, kept_headers, record_delivery

blueprint = Blueprint("prestashop_webhooks", __name__)

MAX_BODY = 512 * 1024


def _refuse(status: int, message: str):
    response = jsonify(error=_ERRORS.get(status, "error"), message=message, status=status)
    response.status_code = status
    return response


_ERRORS = {400: "malformed", 401: "bad_signature", 404: "unknown_shop", 413: "too_large"}


@blueprint.post("/webhooks/prestashop/<public_id>")
def receive(public_id: str):
    if (request.content_length or 0) > MAX_BODY:
        return _refuse(413, f"a push is at most {MAX_BODY} bytes")
    body = request.get_data(cache=False)
    db = session()
    shop = db.scalar(select(Shop).where(Shop.public_id == public_id, Shop.platform == "prestashop"))
    if shop is None:
        return _refuse(404, f"no PrestaShop shop {public_id} is connected here")
    current = settings()
    if not push_is_signed(
        current,
        shop.public_id,
        body,
        request.headers.get("X-Cible-Timestamp"),
        request.headers.get("X-Cible-Signature"),
    ):
        return _refuse(
            401,
            "bad or missing signature: X-Cible-Signature must be sha256=HMAC-SHA256 of "
            "'{X-Cible-Timestamp}.{body}' with this shop's signing secret, within 5 minutes "
            "(check the secret pasted in the module's configuration and the shop's clock)",
        )
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return _refuse(400, f"the body is not JSON: {error}")
    problem = validate(payload)
    if problem:
        return _refuse(400, problem)
    delivery, created = record_delivery(
        db,
        shop,
        platform="prestashop",
        topic=payload["event"],
        event_id=f"{payload['event']}:{payload['event_id']}",
        body=body,
        headers=kept_headers(request.headers),
    )
    db.commit()
    if not created:
        return jsonify(status="duplicate", delivery_id=delivery.id), 200
    enqueue_delivery(current, delivery.id)
    return jsonify(status="received", delivery_id=delivery.id), 200

"""`/proxy/shopify/...`: the Shopify app proxy (the storefront's `/apps/cible/...`).

Shopify forwards storefront requests under `/apps/cible` to these routes and signs the
query; only after the signature (and its 90-second timestamp) is verified can
`logged_in_customer_id` be trusted. `/identity` turns it into the signed storefront identity
every platform hands our storefront script (sync/identity.py), or `{"identity": null}` for
a visitor who is not logged in.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from connectors.shopify.verify import VerificationError, verify_proxy_request
from plugin_app.db import session, settings
from sync.identity import sign_identity
from sync.store import Shop

blueprint = Blueprint("shopify_proxy", __name__, url_prefix="/proxy/shopify")


def _refuse(status: int, message: str):
    response = jsonify(status=status, message=message)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def verified_shop() -> tuple[Shop | None, object]:
    """The installed shop a signed proxy request comes from, or (None, refusal)."""
    current = settings()
    try:
        domain = verify_proxy_request(
            request.args, (current.shopify_api_secret, current.shopify_previous_api_secret)
        )
    except VerificationError as error:
        return None, _refuse(401, f"app proxy request refused: {error}")
    shop = session().scalar(select(Shop).where(Shop.domain == domain, Shop.platform == "shopify"))
    if shop is None or shop.uninstalled_at is not None:
        return None, _refuse(404, f"Cible is not installed on {domain}")
    return shop, None


@blueprint.get("/identity")
def identity():
    shop, refusal = verified_shop()
    if shop is None:
        return refusal
    customer_id = (request.args.get("logged_in_customer_id") or "").strip()
    if not customer_id:
        payload = {"identity": None}
    else:
        payload = {"identity": sign_identity(settings(), shop.public_id, customer_id).as_dict()}
    response = jsonify(payload)
    # Per customer: never cached by Shopify's proxy or the browser.
    response.headers["Cache-Control"] = "private, no-store"
    return response

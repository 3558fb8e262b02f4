"""A handler module for the inbox tests: stores the product a delivery carries (real ingest),
fails while told to, ignores what asks to be ignored."""

from __future__ import annotations

from datetime import datetime

from connectors.records import Product
from sync.ingest import upsert_products
from sync.webhooks import delivery_payload

FAILURES = {"remaining": 0}


def handle(session, shop, delivery) -> str:
    payload = delivery_payload(delivery)
    if FAILURES["remaining"] > 0:
        FAILURES["remaining"] -= 1
        raise ConnectionError("platform answered 503")
    if payload.get("ignore"):
        delivery.last_error = "ignored: nothing to do for this topic"
        return "ignored"
    upsert_products(
        session,
        shop,
        [
            Product(
                external_id=str(payload["id"]),
                title=payload["title"],
                updated_at=datetime.fromisoformat(payload["updated_at"]),
            )
        ],
    )
    return "done"

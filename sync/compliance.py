"""Shopify's mandatory privacy webhooks: a customer's data on request, a customer's erasure,
a shop's erasure.

- customers/data_request: everything we hold about the customer (profile, orders and their
  lines, carts, storefront visits and events) is written as one JSON export under the
  instance folder; the merchant lists and downloads exports with `cible privacy requests`
  and `cible privacy export`, and sends them to the customer.
- customers/redact: the customer's personal data goes, and nothing else. The profile,
  carts, storefront visitors and events are deleted; orders are kept for the shop's
  figures but anonymised (no email, no link to a person); recorded webhook bodies that
  carried the customer are blanked, and their earlier exports deleted.
- shop/redact (Shopify sends it 48 hours after an uninstall; we also schedule it then):
  every row of the shop and its exports are erased. A shop that reinstalled meanwhile is
  kept.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from sync.ingest import detach_orders
from sync.queue import job_sessions, job_settings
from sync.segments.evaluate import forget_members
from sync.settings import Settings
from sync.shops import erase_shop
from sync.store import (
    Cart,
    Customer,
    Order,
    OrderLine,
    Shop,
    StorefrontEvent,
    Visitor,
    WebhookDelivery,
    utcnow,
)

log = logging.getLogger(__name__)

REDACTED_BODY = b'{"redacted": true}'
# Deliveries whose bodies may carry a customer's personal data.
PERSONAL_TOPIC_PREFIXES = ("customers/", "orders/", "checkouts/", "customers_")
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def exports_dir(settings: Settings, shop: Shop) -> Path:
    return Path(settings.instance_path) / "privacy-exports" / shop.public_id


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _row(obj, skip=("shop_id",)) -> dict:
    return {
        column.key: _plain(getattr(obj, column.key))
        for column in obj.__table__.columns
        if column.key not in skip
    }


def _customers_matching(session: Session, shop_id: int, customer: dict) -> list[Customer]:
    """The stored profiles of a Shopify customer: by id, and a guest profile by email."""
    conditions = []
    if customer.get("id") is not None:
        conditions.append(Customer.external_id == str(customer["id"]))
    if customer.get("email"):
        email = str(customer["email"]).strip().lower()
        conditions.append((Customer.is_guest.is_(True)) & (Customer.email == email))
    if not conditions:
        return []
    return list(
        session.scalars(select(Customer).where(Customer.shop_id == shop_id, or_(*conditions)))
    )


def _orders_of(session, shop_id, customer: dict, ids: list[int], extra_ids) -> list[Order]:
    conditions = []
    if ids:
        conditions.append(Order.customer_id.in_(ids))
    if customer.get("id") is not None:
        conditions.append(Order.customer_external_id == str(customer["id"]))
    if customer.get("email"):
        conditions.append(Order.email == str(customer["email"]).strip().lower())
    wanted = [str(i) for i in extra_ids or []]
    if wanted:
        conditions.append(Order.external_id.in_(wanted))
    if not conditions:
        return []
    return list(session.scalars(select(Order).where(Order.shop_id == shop_id, or_(*conditions))))


def _carts_of(session, shop_id, customer: dict, ids: list[int]) -> list[Cart]:
    conditions = []
    if ids:
        conditions.append(Cart.customer_id.in_(ids))
    if customer.get("id") is not None:
        conditions.append(Cart.customer_external_id == str(customer["id"]))
    if customer.get("email"):
        conditions.append(Cart.email == str(customer["email"]).strip().lower())
    if not conditions:
        return []
    return list(session.scalars(select(Cart).where(Cart.shop_id == shop_id, or_(*conditions))))


def export_customer_data(
    session: Session, settings: Settings, shop: Shop, payload: dict, request_id: str
) -> Path:
    """customers/data_request: write the customer's data as JSON; returns the file."""
    customer = payload.get("customer") or {}
    profiles = _customers_matching(session, shop.id, customer)
    ids = [p.id for p in profiles]
    orders = _orders_of(session, shop.id, customer, ids, payload.get("orders_requested"))
    lines = []
    if orders:
        lines = list(
            session.scalars(select(OrderLine).where(OrderLine.order_id.in_([o.id for o in orders])))
        )
    visitors = (
        list(session.scalars(select(Visitor).where(Visitor.customer_id.in_(ids)))) if ids else []
    )
    events = (
        list(
            session.scalars(
                select(StorefrontEvent).where(
                    StorefrontEvent.shop_id == shop.id,
                    or_(
                        StorefrontEvent.customer_id.in_(ids),
                        StorefrontEvent.visitor_id.in_([v.id for v in visitors] or [-1]),
                    ),
                )
            )
        )
        if ids
        else []
    )
    export = {
        "kind": "customers/data_request",
        "shop": shop.domain,
        "data_request_id": request_id,
        "requested_customer": customer,
        "produced_at": utcnow().isoformat(),
        "customers": [_row(p) for p in profiles],
        "orders": [
            {**_row(o), "lines": [_row(line) for line in lines if line.order_id == o.id]}
            for o in orders
        ],
        "carts": [_row(c) for c in _carts_of(session, shop.id, customer, ids)],
        "storefront_visitors": [_row(v, skip=("shop_id", "token")) for v in visitors],
        "storefront_events": [_row(e) for e in events],
    }
    folder = exports_dir(settings, shop)
    folder.mkdir(parents=True, exist_ok=True)
    name = SAFE_NAME.sub("-", f"data-request-{request_id}-customer-{customer.get('id')}")
    path = folder / f"{name}.json"
    path.write_text(json.dumps(export, indent=2, ensure_ascii=False, default=_plain))
    return path


def list_exports(settings: Settings, shop: Shop) -> list[Path]:
    folder = exports_dir(settings, shop)
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def redact_customer(session: Session, settings: Settings, shop: Shop, payload: dict) -> dict:
    """customers/redact: erase the customer's personal data, keep anonymised orders."""
    customer = payload.get("customer") or {}
    profiles = _customers_matching(session, shop.id, customer)
    ids = [p.id for p in profiles]
    orders = _orders_of(session, shop.id, customer, ids, payload.get("orders_to_redact"))
    if orders:
        session.execute(
            update(Order)
            .where(Order.id.in_([o.id for o in orders]))
            .values(email=None, customer_id=None, customer_external_id=None)
            .execution_options(synchronize_session=False)
        )
    carts = _carts_of(session, shop.id, customer, ids)
    if carts:
        session.execute(delete(Cart).where(Cart.id.in_([c.id for c in carts])))
    visitors = 0
    if ids:
        visitor_ids = list(session.scalars(select(Visitor.id).where(Visitor.customer_id.in_(ids))))
        session.execute(
            delete(StorefrontEvent).where(
                StorefrontEvent.shop_id == shop.id,
                or_(
                    StorefrontEvent.customer_id.in_(ids),
                    StorefrontEvent.visitor_id.in_(visitor_ids or [-1]),
                ),
            )
        )
        if visitor_ids:
            session.execute(delete(Visitor).where(Visitor.id.in_(visitor_ids)))
        visitors = len(visitor_ids)
        forget_members(session, ids)
        detach_orders(session, shop.id, ids)
        session.execute(delete(Customer).where(Customer.id.in_(ids)))
    blanked = _blank_deliveries(session, shop.id, customer)
    for path in list_exports(settings, shop):
        if f"-customer-{customer.get('id')}." in path.name:
            path.unlink(missing_ok=True)
    return {
        "customers": len(ids),
        "orders_anonymised": len(orders),
        "carts": len(carts),
        "visitors": visitors,
        "deliveries_blanked": blanked,
    }


def _mentions(payload, customer_id: str | None, email: str | None) -> bool:
    """Whether a webhook body names this customer (by id where a customer sits, or email)."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key == "email" and email and isinstance(value, str):
                if value.strip().lower() == email:
                    return True
            if key == "customer" and isinstance(value, dict) and customer_id:
                if str(value.get("id")) == customer_id:
                    return True
            if _mentions(value, customer_id, email):
                return True
    elif isinstance(payload, list):
        return any(_mentions(item, customer_id, email) for item in payload)
    return False


def _blank_deliveries(session: Session, shop_id: int, customer: dict) -> int:
    customer_id = str(customer["id"]) if customer.get("id") is not None else None
    email = str(customer.get("email") or "").strip().lower() or None
    blanked = 0
    rows = session.execute(
        select(WebhookDelivery.id, WebhookDelivery.topic, WebhookDelivery.body).where(
            WebhookDelivery.shop_id == shop_id,
            WebhookDelivery.status.in_(("done", "ignored", "failed")),
        )
    )
    for delivery_id, topic, body in rows:
        if not topic.startswith(PERSONAL_TOPIC_PREFIXES) or bytes(body) == REDACTED_BODY:
            continue
        try:
            payload = json.loads(bytes(body))
        except ValueError:
            continue
        is_customer = topic.startswith("customers/") and str(payload.get("id")) == customer_id
        if is_customer or _mentions(payload, customer_id, email):
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id)
                .values(body=REDACTED_BODY, headers={})
            )
            blanked += 1
    return blanked


def redact_shop(session: Session, settings: Settings, shop: Shop) -> bool:
    """shop/redact: erase the shop and its exports, unless it reinstalled meanwhile."""
    if shop.uninstalled_at is None:
        return False
    folder = exports_dir(settings, shop)
    erase_shop(session, shop.id)
    shutil.rmtree(folder, ignore_errors=True)
    return True


def redact_shop_job(shop_id: int) -> str:
    """The erasure scheduled 48 hours after an uninstall (or run by shop/redact)."""
    settings = job_settings()
    with job_sessions()() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            return "already erased"
        if not redact_shop(session, settings, shop):
            return "kept: the shop reinstalled Cible"
        session.commit()
    log.info("shop %s erased (48 hours after uninstall)", shop_id)
    return "erased"

"""Module pushes from PrestaShop (our `cible` module's hooks), handled from the webhook inbox.

The module signs and sends one small JSON document per hook (see manifests/prestashop/
cible/classes/CiblePusher.php): `{"event", "event_id", "sent_at", <object>}`.

- `actionCartSave` carries the whole cart (lines with the prices the shopper sees): carts
  change at every click, so the pushed data is applied as is, without asking the shop's
  Webservice (which a busy shop may rate-limit). A cart already known to have become an
  order keeps that link.
- `actionValidateOrder` and `actionCustomerAccountAdd` carry ids only: the fresh order (with
  its rows) or customer (with addresses) is read from the Webservice, so the record is
  complete and exactly what polling would have read; the order's cart is re-read and
  marked ordered. An order the Webservice does not show yet raises, and the inbox retries.

`handle` never commits: the inbox commits its writes with the delivery's status. Segments
are re-checked for the touched customers once that commit has happened.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from connectors import records
from connectors.prestashop import ShopClock
from sync.ingest import upsert_carts
from sync.prestashop_sync import ShopSync, orders_of_carts
from sync.queue import job_settings
from sync.segments.refresh import TouchedCustomers, refresh_segments
from sync.store import Cart, Customer, Shop, WebhookDelivery
from sync.webhooks import delivery_payload

EVENTS = {
    "actionCartSave": "cart",
    "actionValidateOrder": "order",
    "actionCustomerAccountAdd": "customer",
}


class PushRefused(ValueError):
    """A push whose content cannot be used (the route checks the shape; this is the rest)."""


def validate(payload: object) -> str | None:
    """Why a push body cannot be accepted (None when it can): used by the web route."""
    if not isinstance(payload, dict):
        return "the body must be a JSON object"
    event_name = payload.get("event")
    if event_name not in EVENTS:
        return f"unknown event {event_name!r}: one of {', '.join(EVENTS)}"
    event_id = payload.get("event_id")
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 255:
        return "event_id must be a non-empty string of at most 255 characters"
    obj = payload.get(EVENTS[event_name])
    if not isinstance(obj, dict):
        return f"{event_name} needs a {EVENTS[event_name]!r} object"
    object_id = str(obj.get("id") or "")
    if not object_id.isdigit() or object_id == "0":
        return f"the {EVENTS[event_name]} needs a numeric id"
    if event_name == "actionCartSave":
        products = obj.get("products", [])
        if not isinstance(products, list) or not all(isinstance(p, dict) for p in products):
            return "cart.products must be a list of objects"
        for product in products:
            if not str(product.get("quantity", "0")).strip().lstrip("-").isdigit():
                return f"cart.products: quantity {product.get('quantity')!r} is not a number"
            try:
                Decimal(str(product.get("price") or "0"))
            except InvalidOperation:
                return f"cart.products: price {product.get('price')!r} is not a number"
    return None


def handle(session: Session, shop: Shop, delivery: WebhookDelivery) -> str:
    payload = delivery_payload(delivery)
    problem = validate(payload)
    if problem:
        delivery.last_error = problem
        return "ignored"
    settings = job_settings()
    event_name = payload["event"]
    touched = TouchedCustomers()
    if event_name == "actionCartSave":
        outcome = _apply_cart(session, shop, payload["cart"], touched)
    else:
        reader = ShopSync.attach(session, settings, shop)
        try:
            if event_name == "actionValidateOrder":
                outcome = _fetch_order(reader, str(payload["order"]["id"]))
            else:
                outcome = _fetch_customer(reader, str(payload["customer"]["id"]))
            touched = reader.touched
        finally:
            reader.client.close()
    if touched:
        shop_id = shop.id
        event.listen(
            session,
            "after_commit",
            lambda _session: refresh_segments(settings, shop_id, touched),
            once=True,
        )
    if outcome != "done":
        delivery.last_error = outcome
        return "ignored"
    return "done"


def _apply_cart(session: Session, shop: Shop, data: dict, touched: TouchedCustomers) -> str:
    customer_id = str(data.get("id_customer") or "0")
    if customer_id == "0":
        return "a visitor's cart (no customer): not kept"
    clock = ShopClock(shop.timezone)
    items = []
    for product in data.get("products") or []:
        try:
            price = Decimal(str(product.get("price") or "0"))
            quantity = int(str(product.get("quantity") or "0"))
        except (InvalidOperation, ValueError) as error:
            raise PushRefused(f"cart {data.get('id')}: unreadable line {product!r}") from error
        items.append(
            records.CartItem(
                product_external_id=str(product.get("id_product") or "") or None,
                sku=product.get("reference") or None,
                title=product.get("name") or None,
                category=product.get("category") or None,
                quantity=max(quantity, 0),
                unit_price=price,
            )
        )
    external_id = str(data["id"])
    stored = session.execute(
        select(Cart.order_external_id, Cart.completed_at).where(
            Cart.shop_id == shop.id, Cart.external_id == external_id
        )
    ).first()
    created_at = clock.to_utc(data.get("date_add"))
    cart = records.Cart(
        external_id=external_id,
        customer_external_id=customer_id,
        email=data.get("email") or None,
        value=sum((i.unit_price * i.quantity for i in items), Decimal("0")),
        currency=(data.get("currency") or shop.currency),
        items=items,
        order_external_id=stored.order_external_id if stored else None,
        completed_at=stored.completed_at if stored else None,
        created_at=created_at,
        updated_at=clock.to_utc(data.get("date_upd")) or created_at,
    )
    result = upsert_carts(session, shop, [cart])
    touched.add(result.customer_ids)
    return "done"


def _fetch_order(reader: ShopSync, order_id: str) -> str:
    raws = list(reader.client.by_ids("orders", [order_id]))
    if not raws:
        raise LookupError(f"order {order_id} is not (yet) visible in the shop's Webservice")
    customer_id = str(raws[0].get("id_customer") or "0")
    if customer_id != "0" and not _customer_known(reader, customer_id):
        _fetch_customer(reader, customer_id)
    reader._page_orders(raws)
    cart_id = str(raws[0].get("id_cart") or "0")
    if cart_id != "0":
        carts = list(reader.client.by_ids("carts", [cart_id]))
        if carts:
            reader._ingest_carts(carts)
        else:  # the cart is gone from the shop: still mark ours ordered
            _mark_cart_ordered(reader, cart_id, order_id)
    return "done"


def _fetch_customer(reader: ShopSync, customer_id: str) -> str:
    raws = list(reader.client.by_ids("customers", [customer_id]))
    if not raws:
        return f"customer {customer_id} is not visible in the shop's Webservice"
    reader._page_customers(raws)
    return "done"


def _customer_known(reader: ShopSync, customer_id: str) -> bool:
    return (
        reader.session.scalar(
            select(Customer.id).where(
                Customer.shop_id == reader.shop.id, Customer.external_id == customer_id
            )
        )
        is not None
    )


def _mark_cart_ordered(reader: ShopSync, cart_id: str, order_id: str) -> None:
    cart = reader.session.scalar(
        select(Cart).where(Cart.shop_id == reader.shop.id, Cart.external_id == cart_id)
    )
    if cart is not None and cart.order_external_id is None:
        found = orders_of_carts(reader.client, [cart_id]).get(cart_id)
        cart.order_external_id = order_id
        cart.completed_at = reader.clock.to_utc(found.created_at_local) if found else None

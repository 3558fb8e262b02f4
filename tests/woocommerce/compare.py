"""The store's copy of a shop, next to the emulator's data, in comparable form."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

from sqlalchemy import func, select

from connectors.woocommerce.schemas import ORDER_STATUSES
from sync.store import Customer, Order, OrderLine, Product


def expected(emulator) -> dict:
    by_email = {c["email"].lower(): str(c["id"]) for c in emulator.store.customers.values()}

    def owner(order):
        if order["customer_id"]:
            return str(order["customer_id"])
        email = (order["billing"].get("email") or "").strip().lower()
        return by_email.get(email, f"guest:{email}" if email else None)

    return {
        "customers": {
            str(c["id"]): (c["email"].lower(), c["billing"]["city"], c["date_modified_gmt"])
            for c in emulator.store.customers.values()
        },
        "orders": {
            str(o["id"]): (
                ORDER_STATUSES[o["status"]],
                Decimal(o["total"]),
                owner(o),
                o["date_modified_gmt"],
            )
            for o in emulator.store.orders.values()
        },
        "products": {
            str(p["id"]): (unescape(p["name"]), Decimal(p["price"]))
            for p in emulator.store.products.values()
        },
        "lines": sum(len(o["line_items"]) for o in emulator.store.orders.values()),
    }


def stored(session, shop_id: int) -> dict:
    customers = {
        external_id: (email, city, updated.isoformat() if updated else None)
        for external_id, email, city, updated in session.execute(
            select(Customer.external_id, Customer.email, Customer.city, Customer.updated_at).where(
                Customer.shop_id == shop_id, Customer.is_guest.is_(False)
            )
        )
    }
    owner = Customer.__table__.alias("owner")
    orders = {
        external_id: (status, Decimal(total), customer, updated.isoformat() if updated else None)
        for external_id, status, total, customer, updated in session.execute(
            select(
                Order.external_id, Order.status, Order.total, owner.c.external_id, Order.updated_at
            )
            .select_from(Order.__table__.outerjoin(owner, owner.c.id == Order.customer_id))
            .where(Order.shop_id == shop_id)
        )
    }
    products = {
        external_id: (title, Decimal(price))
        for external_id, title, price in session.execute(
            select(Product.external_id, Product.title, Product.price).where(
                Product.shop_id == shop_id
            )
        )
    }
    lines = session.scalar(
        select(func.count()).select_from(OrderLine).where(OrderLine.shop_id == shop_id)
    )
    return {"customers": customers, "orders": orders, "products": products, "lines": lines}


def differences(want: dict, have: dict, limit: int = 5) -> list[str]:
    found = []
    for kind in ("customers", "orders", "products"):
        missing = want[kind].keys() - have[kind].keys()
        extra = have[kind].keys() - want[kind].keys()
        wrong = [k for k in want[kind].keys() & have[kind].keys() if want[kind][k] != have[kind][k]]
        if missing:
            found.append(f"{kind}: {len(missing)} missing, e.g. {sorted(missing)[:limit]}")
        if extra:
            found.append(f"{kind}: {len(extra)} extra, e.g. {sorted(extra)[:limit]}")
        for key in wrong[:limit]:
            found.append(f"{kind} {key}: want {want[kind][key]}, have {have[kind][key]}")
        if len(wrong) > limit:
            found.append(f"{kind}: {len(wrong)} differ in all")
    if want["lines"] != have["lines"]:
        found.append(f"order lines: want {want['lines']}, have {have['lines']}")
    return found

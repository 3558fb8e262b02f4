"""The demo shopper's state: the shop being browsed, the cart and the demo log-in.

All of it lives in Flask's signed session cookie of the demo store (our own origin), never in
the database: the demo store plays the merchant's theme, and a theme keeps its cart itself.
What the storefront script sees is what a real theme would emit: `window.cibleSettings`
with the cart summary and, once "logged in", an identity signed per sync/identity.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import session as cookie
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.demo.people import ascii_slug
from sync.identity import sign_identity
from sync.settings import Settings
from sync.store import Customer, CustomerStatistics, Product, Shop

DEFAULT_DOMAIN = "demo.cible.local"
MAX_QUANTITY = 99


def shop_domain() -> str:
    return cookie.get("demo_shop") or DEFAULT_DOMAIN


def find_shop(db: Session, domain: str) -> Shop | None:
    return db.scalar(select(Shop).where(Shop.domain == domain))


def category_slug(name: str) -> str:
    return ascii_slug(name)


def active_products(db: Session, shop: Shop) -> list[Product]:
    return list(
        db.scalars(
            select(Product)
            .where(Product.shop_id == shop.id, Product.status != "archived")
            .order_by(Product.id)
        )
    )


@dataclass
class CartLine:
    product: Product
    quantity: int

    @property
    def total(self) -> Decimal:
        return (self.product.price or Decimal("0")) * self.quantity


@dataclass
class CartView:
    lines: list[CartLine]
    currency: str

    @property
    def value(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))

    @property
    def items(self) -> int:
        return sum(line.quantity for line in self.lines)

    def summary(self) -> dict:
        """The cart as the storefront script reads it (cibleSettings.cart, cible:cart)."""
        return {"value": float(self.value), "items": self.items, "currency": self.currency}


def cart_quantities() -> dict[str, int]:
    return dict(cookie.get("demo_cart") or {})


def change_cart(product_external_id: str, delta: int | None = None, quantity: int | None = None):
    cart = cart_quantities()
    now = cart.get(product_external_id, 0)
    wanted = quantity if quantity is not None else now + (delta or 0)
    wanted = max(0, min(MAX_QUANTITY, wanted))
    if wanted:
        cart[product_external_id] = wanted
    else:
        cart.pop(product_external_id, None)
    cookie["demo_cart"] = cart


def cart_view(db: Session, shop: Shop) -> CartView:
    quantities = cart_quantities()
    products = {}
    if quantities:
        products = {
            product.external_id: product
            for product in db.scalars(
                select(Product).where(
                    Product.shop_id == shop.id, Product.external_id.in_(list(quantities))
                )
            )
        }
    lines = [
        CartLine(products[key], quantity)
        for key, quantity in quantities.items()
        if key in products and quantity > 0
    ]
    return CartView(lines, shop.currency or "EUR")


# ---- the demo log-in: a few customers worth seeing as ---------------------------------


@dataclass(frozen=True)
class DemoPersona:
    key: str
    label: str
    customer: Customer


def _birthday_soon(birth: date, today: date, days: int = 7) -> bool:
    for offset in range(days + 1):
        day = today + timedelta(days=offset)
        if (birth.month, birth.day) == (day.month, day.day):
            return True
    return False


def personas(db: Session, shop: Shop, today: date | None = None) -> list[DemoPersona]:
    """A birthday this week, the best customer, a customer without orders: the people whose
    personalised content (birthday offer, VIP slot) the demo campaigns show."""
    today = today or date.today()
    found: list[DemoPersona] = []
    registered = (Customer.shop_id == shop.id, Customer.is_guest.is_(False))
    best = db.scalar(
        select(Customer)
        .join(Customer.statistics)
        .where(*registered)
        .order_by(CustomerStatistics.total_spent.desc(), Customer.id)
    )
    if best is not None:
        found.append(DemoPersona("vip", "meilleur client", best))
    # A few thousand birth dates at most in a demo shop: filtering them here keeps the
    # query the same on SQLite and PostgreSQL.
    candidates = db.execute(
        select(Customer.id, Customer.birth_date)
        .where(*registered, Customer.birth_date.is_not(None))
        .order_by(Customer.id)
    ).all()
    for customer_id, birth in candidates:
        if _birthday_soon(birth, today) and (best is None or customer_id != best.id):
            found.append(
                DemoPersona("birthday", "anniversaire cette semaine", db.get(Customer, customer_id))
            )
            break
    newcomer = db.scalar(
        select(Customer)
        .join(Customer.statistics)
        .where(*registered, CustomerStatistics.orders_count == 0)
        .order_by(Customer.id)
    )
    if newcomer is not None:
        found.append(DemoPersona("newcomer", "inscrit sans commande", newcomer))
    return found


def logged_in(db: Session, shop: Shop) -> Customer | None:
    external_id = cookie.get("demo_customer")
    if not external_id:
        return None
    return db.scalar(
        select(Customer).where(Customer.shop_id == shop.id, Customer.external_id == external_id)
    )


def identity_for(settings: Settings, shop: Shop, customer: Customer | None) -> dict | None:
    """What a platform extension would print for a logged-in customer: a signed identity."""
    if customer is None:
        return None
    return sign_identity(settings, shop.public_id, customer.external_id).as_dict()

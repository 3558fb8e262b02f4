"""Platform-neutral records: what every connector returns and what ingest takes.

Timestamps are timezone-aware or naive UTC datetimes; ingest normalises them to naive UTC
and derives the shop-local days. Money is Decimal. `updated_at` is the platform's version
of the record: ingest never lets an older one overwrite a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(slots=True)
class Customer:
    external_id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    language: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    # "SUBSCRIBED" | "NOT_SUBSCRIBED" | "UNSUBSCRIBED"
    email_subscription_status: str = "NOT_SUBSCRIBED"
    email_consent_at: datetime | None = None
    email_consent_source: str | None = None
    sms_subscription_status: str = "NOT_SUBSCRIBED"
    sms_consent_at: datetime | None = None
    tags: list[str] = field(default_factory=list)
    loyalty_tier: str | None = None
    loyalty_points: int | None = None
    company: str | None = None
    industry: str | None = None
    attributes: dict = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(slots=True)
class OrderLine:
    """One line; `line_key` is the platform's line id, unique within its order."""

    line_key: str
    order_external_id: str | None = None
    product_external_id: str | None = None
    sku: str | None = None
    title: str | None = None
    category: str | None = None
    vendor: str | None = None
    quantity: int = 1
    unit_price: Decimal = Decimal("0")


@dataclass(slots=True)
class Order:
    external_id: str
    created_at: datetime
    # The platform's customer id; None (or "0") for guest checkouts, matched by email.
    customer_external_id: str | None = None
    email: str | None = None
    # "paid" | "pending" | "cancelled" | "refunded"
    status: str = "paid"
    total: Decimal = Decimal("0")
    currency: str | None = None
    # "online" | "store" | "mobile" | "tablet" | "marketplace"
    channel: str = "online"
    discount_code: str | None = None
    updated_at: datetime | None = None
    # The order's full set of lines; None means "lines unknown here, keep the stored ones".
    lines: list[OrderLine] | None = None
    # Guest buyer's name, used when a guest profile has to be created for the email.
    first_name: str | None = None
    last_name: str | None = None


@dataclass(slots=True)
class Product:
    external_id: str
    title: str | None = None
    sku: str | None = None
    category: str | None = None
    vendor: str | None = None
    price: Decimal | None = None
    status: str | None = None
    url: str | None = None
    image_url: str | None = None
    tags: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(slots=True)
class CartItem:
    product_external_id: str | None = None
    sku: str | None = None
    title: str | None = None
    category: str | None = None
    quantity: int = 1
    unit_price: Decimal = Decimal("0")


@dataclass(slots=True)
class Cart:
    external_id: str
    customer_external_id: str | None = None
    email: str | None = None
    value: Decimal = Decimal("0")
    currency: str | None = None
    items: list[CartItem] = field(default_factory=list)
    recovery_url: str | None = None
    order_external_id: str | None = None
    completed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

"""Shopify webhook payloads (REST-shaped JSON) mapped to neutral records, with marshmallow.

Webhooks carry the REST shape of an object while the sync reads GraphQL; both must land on
the same rows with the same values, so ids are the numeric ids (the GraphQL gid's last
part) and every rule (order status, channel, consent) is the one the GraphQL mapping
applies (connectors/shopify/mapping.py). A payload that does not validate raises
PayloadError naming the field: the delivery fails visibly instead of storing half a record.
"""

from __future__ import annotations

from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load

from connectors import records


class PayloadError(ValueError):
    """A webhook body that is not the object its topic announces."""


class Base(Schema):
    class Meta:
        unknown = EXCLUDE


def external_id(value) -> str | None:
    """The numeric id as text, from a number, a numeric string or a gid."""
    if value in (None, "", 0, "0"):
        return None
    text = str(value)
    return text.rsplit("/", 1)[-1] if text.startswith("gid://") else text


def tag_list(value) -> list[str]:
    if isinstance(value, list):
        return [str(tag).strip() for tag in value if str(tag).strip()]
    return [tag.strip() for tag in str(value or "").split(",") if tag.strip()]


def consent_status(consent: dict | None) -> str:
    """Shopify's marketing state -> ours: subscribed, unsubscribed, or not subscribed (which
    also covers pending double opt-in, redacted and invalid)."""
    state = str((consent or {}).get("state") or "").upper()
    return state if state in ("SUBSCRIBED", "UNSUBSCRIBED") else "NOT_SUBSCRIBED"


MOBILE_SOURCES = {"iphone", "android", "mobile_app", "shopify_mobile"}
STORE_SOURCES = {"pos"}


def channel(source_name: str | None) -> str:
    source = str(source_name or "").lower()
    if source in STORE_SOURCES:
        return "store"
    if source in MOBILE_SOURCES:
        return "mobile"
    return "online"


def order_status(financial_status: str | None, cancelled_at) -> str:
    """Cancelled (or voided, expired); refunded; paid (incl. partly refunded); else pending."""
    status = str(financial_status or "").lower()
    if cancelled_at or status in ("voided", "expired"):
        return "cancelled"
    if status == "refunded":
        return "refunded"
    if status in ("paid", "partially_refunded"):
        return "paid"
    return "pending"


def shop_money(data: dict, set_key: str, plain_key: str) -> Decimal:
    """The shop-currency amount: `<x>_set.shop_money.amount`, else the plain `<x>` field."""
    money = ((data.get(set_key) or {}).get("shop_money") or {}).get("amount")
    try:
        return Decimal(str(money if money is not None else data.get(plain_key) or "0"))
    except ArithmeticError as error:
        raise ValidationError(f"not an amount: {money!r}", plain_key) from error


class Address(Base):
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    province = fields.String(allow_none=True)
    zip = fields.String(allow_none=True)
    country_code = fields.String(allow_none=True)
    company = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)


class Consent(Base):
    state = fields.String(allow_none=True)
    opt_in_level = fields.String(allow_none=True)
    consent_updated_at = fields.AwareDateTime(allow_none=True)


class CustomerPayload(Base):
    id = fields.Raw(required=True)
    email = fields.String(allow_none=True)
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    state = fields.String(allow_none=True)
    tags = fields.Raw(allow_none=True)
    created_at = fields.AwareDateTime(allow_none=True)
    updated_at = fields.AwareDateTime(allow_none=True)
    email_marketing_consent = fields.Nested(Consent, allow_none=True)
    sms_marketing_consent = fields.Nested(Consent, allow_none=True)
    default_address = fields.Nested(Address, allow_none=True)

    @post_load
    def record(self, data, **_):
        address = data.get("default_address") or {}
        email_consent = data.get("email_marketing_consent") or {}
        sms_consent = data.get("sms_marketing_consent") or {}
        email_status = consent_status(email_consent)
        sms_status = consent_status(sms_consent)
        return records.Customer(
            external_id=external_id(data["id"]),
            email=data.get("email"),
            first_name=data.get("first_name"),
            last_name=data.get("last_name"),
            phone=data.get("phone"),
            city=address.get("city"),
            region=address.get("province"),
            postal_code=address.get("zip"),
            country=address.get("country_code"),
            latitude=address.get("latitude"),
            longitude=address.get("longitude"),
            company=address.get("company"),
            email_subscription_status=email_status,
            email_consent_at=email_consent.get("consent_updated_at")
            if email_status != "NOT_SUBSCRIBED"
            else None,
            email_consent_source=(email_consent.get("opt_in_level") or "").lower() or None
            if email_status != "NOT_SUBSCRIBED"
            else None,
            sms_subscription_status=sms_status,
            sms_consent_at=sms_consent.get("consent_updated_at")
            if sms_status != "NOT_SUBSCRIBED"
            else None,
            tags=tag_list(data.get("tags")),
            attributes={"shopify_state": data["state"].upper()} if data.get("state") else {},
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
        )


class LineItem(Base):
    id = fields.Raw(required=True)
    title = fields.String(allow_none=True)
    sku = fields.String(allow_none=True)
    vendor = fields.String(allow_none=True)
    quantity = fields.Integer(load_default=1)
    price = fields.Raw(allow_none=True)
    price_set = fields.Raw(allow_none=True)
    product_id = fields.Raw(allow_none=True)


class DiscountCode(Base):
    code = fields.String(allow_none=True)


class CustomerRef(Base):
    id = fields.Raw(allow_none=True)
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class OrderPayload(Base):
    id = fields.Raw(required=True)
    email = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    financial_status = fields.String(allow_none=True)
    currency = fields.String(allow_none=True)
    total_price = fields.Raw(allow_none=True)
    total_price_set = fields.Raw(allow_none=True)
    source_name = fields.String(allow_none=True)
    discount_codes = fields.List(fields.Nested(DiscountCode), load_default=list)
    customer = fields.Nested(CustomerRef, allow_none=True)
    billing_address = fields.Nested(Address, allow_none=True)
    line_items = fields.List(fields.Nested(LineItem), load_default=list)

    @post_load
    def record(self, data, **_):
        order_id = external_id(data["id"])
        buyer = data.get("customer") or {}
        money = (data.get("total_price_set") or {}).get("shop_money") or {}
        billing = data.get("billing_address") or {}
        codes = [c.get("code") for c in data.get("discount_codes") or [] if c.get("code")]
        return records.Order(
            external_id=order_id,
            created_at=data["created_at"],
            updated_at=data.get("updated_at"),
            customer_external_id=external_id(buyer.get("id")),
            email=data.get("email"),
            status=order_status(data.get("financial_status"), data.get("cancelled_at")),
            total=shop_money(data, "total_price_set", "total_price"),
            currency=money.get("currency_code") or data.get("currency"),
            channel=channel(data.get("source_name")),
            discount_code=codes[0] if codes else None,
            first_name=billing.get("first_name"),
            last_name=billing.get("last_name"),
            lines=[
                records.OrderLine(
                    line_key=external_id(line["id"]),
                    order_external_id=order_id,
                    product_external_id=external_id(line.get("product_id")),
                    sku=line.get("sku") or None,
                    title=line.get("title"),
                    vendor=line.get("vendor") or None,
                    quantity=line.get("quantity") or 0,
                    unit_price=shop_money(line, "price_set", "price"),
                )
                for line in data.get("line_items") or []
            ],
        )


class Variant(Base):
    sku = fields.String(allow_none=True)
    price = fields.Decimal(allow_none=True)


class Image(Base):
    src = fields.String(allow_none=True)


class ProductPayload(Base):
    id = fields.Raw(required=True)
    title = fields.String(allow_none=True)
    handle = fields.String(allow_none=True)
    vendor = fields.String(allow_none=True)
    product_type = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    tags = fields.Raw(allow_none=True)
    created_at = fields.AwareDateTime(allow_none=True)
    updated_at = fields.AwareDateTime(allow_none=True)
    variants = fields.List(fields.Nested(Variant), load_default=list)
    image = fields.Nested(Image, allow_none=True)

    @post_load
    def record(self, data, **_):
        variants = data.get("variants") or []
        first = variants[0] if variants else {}
        return records.Product(
            external_id=external_id(data["id"]),
            title=data.get("title"),
            sku=first.get("sku") or None,
            category=data.get("product_type") or None,
            vendor=data.get("vendor") or None,
            price=first.get("price"),
            status=(data.get("status") or "").lower() or None,
            image_url=(data.get("image") or {}).get("src"),
            tags=tag_list(data.get("tags")),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
        )


class CheckoutLine(Base):
    key = fields.Raw(allow_none=True)
    title = fields.String(allow_none=True)
    sku = fields.String(allow_none=True)
    quantity = fields.Integer(load_default=1)
    price = fields.Raw(allow_none=True)
    price_set = fields.Raw(allow_none=True)
    product_id = fields.Raw(allow_none=True)


class CheckoutPayload(Base):
    id = fields.Raw(required=True)
    email = fields.String(allow_none=True)
    abandoned_checkout_url = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(allow_none=True)
    updated_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    currency = fields.String(allow_none=True)
    total_price = fields.Raw(allow_none=True)
    total_price_set = fields.Raw(allow_none=True)
    customer = fields.Nested(CustomerRef, allow_none=True)
    line_items = fields.List(fields.Nested(CheckoutLine), load_default=list)

    @post_load
    def record(self, data, **_):
        buyer = data.get("customer") or {}
        return records.Cart(
            external_id=external_id(data["id"]),
            customer_external_id=external_id(buyer.get("id")),
            email=data.get("email") or buyer.get("email"),
            value=shop_money(data, "total_price_set", "total_price"),
            currency=data.get("currency"),
            recovery_url=data.get("abandoned_checkout_url"),
            completed_at=data.get("completed_at"),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
            items=[
                records.CartItem(
                    product_external_id=external_id(line.get("product_id")),
                    sku=line.get("sku") or None,
                    title=line.get("title"),
                    quantity=line.get("quantity") or 0,
                    unit_price=shop_money(line, "price_set", "price"),
                )
                for line in data.get("line_items") or []
            ],
        )


SCHEMAS = {
    "customers": CustomerPayload(),
    "orders": OrderPayload(),
    "products": ProductPayload(),
    "checkouts": CheckoutPayload(),
}


def load(kind: str, payload: dict):
    """The record of a webhook payload (`kind`: customers, orders, products, checkouts)."""
    if not isinstance(payload, dict):
        raise PayloadError(f"{kind} webhook body must be a JSON object")
    try:
        return SCHEMAS[kind].load(payload)
    except ValidationError as error:
        raise PayloadError(f"{kind} webhook body refused: {error.messages}") from error


def deleted_id(payload: dict) -> str:
    """The id a `*/delete` webhook names (its body is just `{"id": ...}`)."""
    value = external_id(payload.get("id")) if isinstance(payload, dict) else None
    if value is None:
        raise PayloadError("delete webhook without an id")
    return value

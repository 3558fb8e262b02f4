"""WooCommerce REST v3 shapes (as its documentation shows them) mapped to neutral records.

Marshmallow schemas declare only the fields Cible reads; everything else is ignored. Dates
come from the `*_gmt` fields (UTC, no zone suffix), money from strings, a guest order has
`customer_id` 0 and its buyer is known by `billing.email`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from html import unescape

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load

from connectors import records

# WooCommerce order statuses -> ours (docs/data-rules.md). Drafts of the block checkout and
# failed payments are not sales: they are stored, but do not count.
ORDER_STATUSES = {
    "completed": "paid",
    "processing": "paid",
    "pending": "pending",
    "on-hold": "pending",
    "cancelled": "cancelled",
    "failed": "cancelled",
    "trash": "cancelled",
    "checkout-draft": "cancelled",
    "refunded": "refunded",
}


class WooDate(fields.Field):
    """A `*_gmt` date ("2017-03-21T19:09:28", UTC); empty or null is None."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value in (None, ""):
            return None
        from datetime import datetime

        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError as error:
            raise ValidationError(f"not a date: {value!r}") from error


def _line_id(value, what: str = "", required: bool = False) -> str | None:
    """An id (number or string) as text; 0 and empty are None (or missing, when required)."""
    if value in (None, "", 0, "0"):
        if required:
            raise ValidationError(f"{what} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValidationError(f"{what + ': ' if what else ''}not an id: {value!r}")
    return str(value)


def _money(value, what: str = "") -> Decimal | None:
    """A money string ("29.35") or number as a Decimal; empty is None."""
    if value in (None, ""):
        return None
    problem = f"{what + ': ' if what else ''}not an amount: {value!r}"
    if isinstance(value, bool):
        raise ValidationError(problem)
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise ValidationError(problem) from error


class Money(fields.Field):
    """A money field (`_money`)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return _money(value)


class Identifier(fields.Field):
    """An id field (`_line_id`)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return _line_id(value)


def _blank(value):
    return value.strip() or None if isinstance(value, str) else value


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE


ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "city",
    "state",
    "postcode",
    "country",
    "email",
    "phone",
)


class Address(fields.Field):
    """A billing or shipping address: the text fields Cible reads, blanks as None.

    A plain field rather than a nested schema: it is read for every customer and order of
    a backfill, and a nested schema costs as much as the rest of the order together."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value in (None, ""):
            return None
        if not isinstance(value, dict):
            raise ValidationError("not an address (expected an object)")
        address = {}
        for key in ADDRESS_FIELDS:
            item = value.get(key)
            if item is not None and not isinstance(item, str):
                raise ValidationError(f"{key}: not a string")
            address[key] = _blank(item)
        return address


EMPTY_ADDRESS = {
    key: None
    for key in (
        "first_name",
        "last_name",
        "company",
        "city",
        "state",
        "postcode",
        "country",
        "email",
        "phone",
    )
}


class CustomerSchema(_Base):
    id = Identifier(required=True)
    email = fields.String(load_default=None, allow_none=True)
    first_name = fields.String(load_default=None, allow_none=True)
    last_name = fields.String(load_default=None, allow_none=True)
    username = fields.String(load_default=None, allow_none=True)
    role = fields.String(load_default=None, allow_none=True)
    is_paying_customer = fields.Boolean(load_default=None, allow_none=True)
    date_created_gmt = WooDate(load_default=None, allow_none=True)
    date_modified_gmt = WooDate(load_default=None, allow_none=True)
    billing = Address(load_default=None, allow_none=True)
    shipping = Address(load_default=None, allow_none=True)

    @post_load
    def to_record(self, data, **kwargs) -> records.Customer:
        billing = data["billing"] or EMPTY_ADDRESS
        shipping = data["shipping"] or EMPTY_ADDRESS
        # The billing address is the customer's; a shipping-only profile still has a place.
        place = billing if billing.get("city") or billing.get("country") else shipping
        attributes = {key: data[key] for key in ("username", "role") if data.get(key)}
        return records.Customer(
            external_id=data["id"],
            email=_blank(data["email"]) or billing.get("email"),
            first_name=_blank(data["first_name"]) or billing.get("first_name"),
            last_name=_blank(data["last_name"]) or billing.get("last_name"),
            phone=billing.get("phone"),
            city=place.get("city"),
            region=place.get("state"),
            postal_code=place.get("postcode"),
            country=place.get("country"),
            company=billing.get("company"),
            attributes=attributes,
            created_at=data["date_created_gmt"],
            updated_at=data["date_modified_gmt"],
        )


class LineItems(fields.Field):
    """An order's `line_items`, read by hand for the same reason as Address."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValidationError("not a list of line items")
        lines = []
        for position, item in enumerate(value):
            if not isinstance(item, dict):
                raise ValidationError(f"line {position}: not an object")
            quantity = item.get("quantity", 1)
            if isinstance(quantity, bool) or not isinstance(quantity, int):
                raise ValidationError(f"line {position}: quantity is not a whole number")
            name, sku = item.get("name"), item.get("sku")
            lines.append(
                {
                    "id": _line_id(item.get("id"), f"line {position} id", required=True),
                    "name": name if isinstance(name, str) else None,
                    "product_id": _line_id(item.get("product_id"), f"line {position} product_id"),
                    "quantity": quantity,
                    "sku": sku if isinstance(sku, str) else None,
                    "price": _money(item.get("price"), f"line {position} price"),
                    "total": _money(item.get("total"), f"line {position} total"),
                }
            )
        return lines


class CouponLineSchema(_Base):
    code = fields.String(load_default=None, allow_none=True)


class OrderSchema(_Base):
    id = Identifier(required=True)
    status = fields.String(required=True)
    currency = fields.String(load_default=None, allow_none=True)
    total = Money(load_default=None, allow_none=True)
    customer_id = Identifier(load_default=None, allow_none=True)
    date_created_gmt = WooDate(required=True, allow_none=False)
    date_modified_gmt = WooDate(load_default=None, allow_none=True)
    billing = Address(load_default=None, allow_none=True)
    line_items = LineItems(load_default=list)
    coupon_lines = fields.List(fields.Nested(CouponLineSchema), load_default=list)

    @pre_load
    def known_status(self, data, **kwargs):
        if isinstance(data, dict) and data.get("status") not in ORDER_STATUSES:
            raise ValidationError(
                f"unknown order status {data.get('status')!r} (expected one of "
                f"{', '.join(ORDER_STATUSES)})",
                "status",
            )
        return data

    @post_load
    def to_record(self, data, **kwargs) -> records.Order:
        billing = data["billing"] or EMPTY_ADDRESS
        lines = []
        for item in data["line_items"]:
            quantity = item["quantity"]
            price = item["price"]
            if price is None and item["total"] is not None and quantity:
                price = item["total"] / quantity
            lines.append(
                records.OrderLine(
                    line_key=item["id"],
                    order_external_id=data["id"],
                    product_external_id=item["product_id"],
                    sku=_blank(item["sku"]),
                    title=unescape(item["name"]) if item["name"] else None,
                    quantity=quantity,
                    unit_price=(price or Decimal("0")).quantize(Decimal("0.01")),
                )
            )
        coupons = [line["code"] for line in data["coupon_lines"] if line.get("code")]
        return records.Order(
            external_id=data["id"],
            created_at=data["date_created_gmt"],
            updated_at=data["date_modified_gmt"],
            # customer_id 0 (a guest) comes out as None: ingest matches billing.email.
            customer_external_id=data["customer_id"],
            email=billing.get("email"),
            status=ORDER_STATUSES[data["status"]],
            total=data["total"] or Decimal("0"),
            currency=_blank(data["currency"]),
            discount_code=coupons[0] if coupons else None,
            lines=lines,
            first_name=billing.get("first_name"),
            last_name=billing.get("last_name"),
        )


class NamedSchema(_Base):
    name = fields.String(load_default=None, allow_none=True)


class ImageSchema(_Base):
    src = fields.String(load_default=None, allow_none=True)


class ProductSchema(_Base):
    id = Identifier(required=True)
    name = fields.String(load_default=None, allow_none=True)
    sku = fields.String(load_default=None, allow_none=True)
    price = Money(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True)
    permalink = fields.String(load_default=None, allow_none=True)
    date_created_gmt = WooDate(load_default=None, allow_none=True)
    date_modified_gmt = WooDate(load_default=None, allow_none=True)
    categories = fields.List(fields.Nested(NamedSchema), load_default=list)
    tags = fields.List(fields.Nested(NamedSchema), load_default=list)
    images = fields.List(fields.Nested(ImageSchema), load_default=list)

    @post_load
    def to_record(self, data, **kwargs) -> records.Product:
        categories = [item["name"] for item in data["categories"] if item.get("name")]
        images = [item["src"] for item in data["images"] if item.get("src")]
        return records.Product(
            external_id=data["id"],
            # WooCommerce sends names HTML-escaped ("Ship Your Idea &ndash; Black").
            title=unescape(data["name"]) if data["name"] else None,
            sku=_blank(data["sku"]),
            category=categories[0] if categories else None,
            price=data["price"],
            status=data["status"],
            url=data["permalink"],
            image_url=images[0] if images else None,
            tags=[item["name"] for item in data["tags"] if item.get("name")],
            created_at=data["date_created_gmt"],
            updated_at=data["date_modified_gmt"],
        )


class MappingError(ValueError):
    """A WooCommerce payload that cannot be read as the resource it claims to be."""

    def __init__(self, kind: str, payload: object, messages):
        self.kind = kind
        self.resource_id = payload.get("id") if isinstance(payload, dict) else None
        self.messages = messages
        super().__init__(f"WooCommerce {kind} {self.resource_id}: {messages}")


_CUSTOMER, _ORDER, _PRODUCT = CustomerSchema(), OrderSchema(), ProductSchema()


def _load(schema: Schema, kind: str, payload: object):
    if not isinstance(payload, dict):
        raise MappingError(kind, payload, "expected a JSON object")
    try:
        return schema.load(payload)
    except ValidationError as error:
        raise MappingError(kind, payload, error.messages) from error


def customer_from_payload(payload: dict) -> records.Customer:
    return _load(_CUSTOMER, "customer", payload)


def order_from_payload(payload: dict) -> records.Order:
    return _load(_ORDER, "order", payload)


def product_from_payload(payload: dict) -> records.Product:
    return _load(_PRODUCT, "product", payload)


class CartItemSchema(_Base):
    product_id = Identifier(load_default=None, allow_none=True)
    variation_id = Identifier(load_default=None, allow_none=True)
    sku = fields.String(load_default=None, allow_none=True)
    name = fields.String(load_default=None, allow_none=True)
    category = fields.String(load_default=None, allow_none=True)
    quantity = fields.Integer(load_default=1)
    price = Money(load_default=None, allow_none=True)


class CartSchema(_Base):
    """The cart our WordPress plugin reports (WooCommerce has no cart resource)."""

    id = fields.String(required=True, validate=lambda value: 0 < len(value) <= 200)
    customer_id = Identifier(load_default=None, allow_none=True)
    email = fields.String(load_default=None, allow_none=True)
    currency = fields.String(load_default=None, allow_none=True)
    total = Money(load_default=None, allow_none=True)
    items = fields.List(fields.Nested(CartItemSchema), load_default=list)
    order_id = Identifier(load_default=None, allow_none=True)
    recovery_url = fields.String(load_default=None, allow_none=True)
    started_at = fields.Integer(load_default=None, allow_none=True)


class CartPushSchema(_Base):
    event = fields.String(required=True)
    event_id = fields.String(required=True, validate=lambda value: 0 < len(value) <= 200)
    occurred_at = fields.Integer(required=True)
    cart = fields.Nested(CartSchema, required=True)

    @post_load
    def to_record(self, data, **kwargs) -> records.Cart:
        from datetime import UTC, datetime

        cart = data["cart"]
        occurred = datetime.fromtimestamp(data["occurred_at"], UTC).replace(tzinfo=None)
        started = (
            datetime.fromtimestamp(cart["started_at"], UTC).replace(tzinfo=None)
            if cart["started_at"]
            else None
        )
        return records.Cart(
            external_id=f"wc:{cart['id']}",
            customer_external_id=cart["customer_id"],
            email=_blank(cart["email"]),
            value=cart["total"] or Decimal("0"),
            currency=_blank(cart["currency"]),
            items=[
                records.CartItem(
                    product_external_id=item["product_id"],
                    sku=_blank(item["sku"]),
                    title=unescape(item["name"]) if item["name"] else None,
                    category=item["category"],
                    quantity=item["quantity"],
                    unit_price=item["price"] or Decimal("0"),
                )
                for item in cart["items"]
            ],
            recovery_url=cart["recovery_url"],
            order_external_id=cart["order_id"],
            completed_at=occurred if cart["order_id"] else None,
            created_at=started or occurred,
            updated_at=occurred,
        )


_CART_PUSH = CartPushSchema()


def cart_from_push(payload: dict) -> records.Cart:
    """A `cible.cart` push from our WordPress plugin as a neutral Cart."""
    return _load(_CART_PUSH, "cart push", payload)

"""Shopify GraphQL objects -> neutral records (connectors.records), with marshmallow schemas.

Schemas keep Shopify's documented field names (`defaultEmailAddress`, `totalPriceSet`...), so
each one reads like the object it maps. Rules:
- ids: a gid (`gid://shopify/Customer/123`) becomes its number, "123": the id REST webhooks
  carry, so a webhook and a sync address the same row;
- money: `shopMoney` (the shop's currency), never the buyer's presentment currency;
- email marketing: `defaultEmailAddress.marketingState` SUBSCRIBED / UNSUBSCRIBED as is;
  NOT_SUBSCRIBED, PENDING (double opt-in not confirmed), INVALID, REDACTED count as not
  subscribed; the consent time is `marketingUpdatedAt`, the source the opt-in level;
- orders: cancelled when `cancelledAt` is set; refunded when fully refunded; paid when paid
  or partly refunded; pending otherwise (authorized, partly paid, pending); channel from
  `sourceName` (pos -> store, iphone/android -> mobile, else online);
- addresses: the default address (city, province, zip, country code, company, position).
A bulk result's line items come apart from their order (`__parentId`); `line_item` maps
one of them on its own.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load

from connectors import records

SUBSCRIBED_STATES = {"SUBSCRIBED": "SUBSCRIBED", "UNSUBSCRIBED": "UNSUBSCRIBED"}
MOBILE_SOURCES = {"iphone", "android", "mobile_app", "shopify_mobile"}
STORE_SOURCES = {"pos"}


class MappingError(ValueError):
    """A Shopify object that cannot be mapped (what and why, for the sync run's errors)."""


def gid_number(value: str | int | None) -> str | None:
    """`gid://shopify/Order/5001` (or 5001) -> "5001"."""
    if value is None or value == "":
        return None
    text = str(value)
    number = text.rsplit("/", 1)[-1].split("?", 1)[0]
    if not number.isdigit():
        raise MappingError(f"not a Shopify id: {text!r}")
    return number


class GidNumber(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return gid_number(value)
        except MappingError as error:
            raise ValidationError(str(error)) from error


class Time(fields.Field):
    """Shopify's DateTime (`2026-05-04T10:11:12Z`) as an aware datetime."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError) as error:
            raise ValidationError(f"not a DateTime: {value!r}") from error
        if moment.tzinfo is None:
            raise ValidationError(f"DateTime without a time zone: {value!r}")
        return moment


class Ref(fields.Field):
    """A referenced object (`customer { id }`, `product { id productType }`): its number and
    product type, without a nested schema (a line item is mapped 150,000 times a backfill)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValidationError("expected an object with an id")
        try:
            return gid_number(value.get("id")), value.get("productType")
        except MappingError as error:
            raise ValidationError(str(error)) from error


class Obj(fields.Field):
    """A nested object read by the schema's post_load (checked to be an object)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValidationError("expected an object")
        return value


class ShopMoney(fields.Field):
    """A MoneyBag's shop-currency amount and currency: (Decimal, "EUR")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return None
        money = (value or {}).get("shopMoney") or {}
        try:
            amount = Decimal(str(money.get("amount", "0")))
        except InvalidOperation as error:
            raise ValidationError(f"not an amount: {money.get('amount')!r}") from error
        return amount, money.get("currencyCode")


class Base(Schema):
    class Meta:
        unknown = EXCLUDE


def _time(value: str | None, what: str) -> datetime | None:
    """A DateTime inside a nested object (read in post_load, where errors name the field)."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise ValidationError(f"{what}: not a DateTime: {value!r}") from error


def _number(value, what: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise ValidationError(f"{what}: not a number: {value!r}") from error


def _nodes(value) -> list:
    """A connection as a list of nodes (`nodes` or `edges { node }`), or a plain list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if "nodes" in value:
        return value["nodes"] or []
    return [edge["node"] for edge in value.get("edges") or []]


class CustomerSchema(Base):
    id = GidNumber(required=True)
    firstName = fields.String(allow_none=True, load_default=None)
    lastName = fields.String(allow_none=True, load_default=None)
    locale = fields.String(allow_none=True, load_default=None)
    tags = fields.List(fields.String(), load_default=list)
    state = fields.String(allow_none=True, load_default=None)
    createdAt = Time(allow_none=True, load_default=None)
    updatedAt = Time(allow_none=True, load_default=None)
    # CustomerEmailAddress { emailAddress marketingState marketingOptInLevel marketingUpdatedAt }
    defaultEmailAddress = Obj(allow_none=True, load_default=dict)
    # CustomerPhoneNumber { phoneNumber marketingState marketingUpdatedAt }
    defaultPhoneNumber = Obj(allow_none=True, load_default=dict)
    # MailingAddress { city province provinceCode zip countryCodeV2 company latitude longitude }
    defaultAddress = Obj(allow_none=True, load_default=dict)

    @post_load
    def to_record(self, data, **kwargs) -> records.Customer:
        email = data["defaultEmailAddress"] or {}
        phone = data["defaultPhoneNumber"] or {}
        address = data["defaultAddress"] or {}
        email_state = SUBSCRIBED_STATES.get(email.get("marketingState") or "", "NOT_SUBSCRIBED")
        sms_state = SUBSCRIBED_STATES.get(phone.get("marketingState") or "", "NOT_SUBSCRIBED")
        locale = data["locale"]
        return records.Customer(
            external_id=data["id"],
            email=email.get("emailAddress"),
            first_name=data["firstName"],
            last_name=data["lastName"],
            phone=phone.get("phoneNumber"),
            language=locale.split("-")[0].lower() if locale else None,
            city=address.get("city"),
            region=address.get("province"),
            postal_code=address.get("zip"),
            country=address.get("countryCodeV2"),
            latitude=_number(address.get("latitude"), "defaultAddress.latitude"),
            longitude=_number(address.get("longitude"), "defaultAddress.longitude"),
            company=address.get("company"),
            email_subscription_status=email_state,
            email_consent_at=_time(email.get("marketingUpdatedAt"), "marketingUpdatedAt")
            if email_state != "NOT_SUBSCRIBED"
            else None,
            email_consent_source=(email.get("marketingOptInLevel") or "").lower() or None
            if email_state != "NOT_SUBSCRIBED"
            else None,
            sms_subscription_status=sms_state,
            sms_consent_at=_time(phone.get("marketingUpdatedAt"), "marketingUpdatedAt")
            if sms_state != "NOT_SUBSCRIBED"
            else None,
            tags=list(data["tags"]),
            attributes={"shopify_state": data["state"]} if data["state"] else {},
            created_at=data["createdAt"],
            updated_at=data["updatedAt"],
        )


class LineItemSchema(Base):
    id = GidNumber(required=True)
    title = fields.String(allow_none=True, load_default=None)
    sku = fields.String(allow_none=True, load_default=None)
    vendor = fields.String(allow_none=True, load_default=None)
    quantity = fields.Integer(load_default=1)
    originalUnitPriceSet = ShopMoney(allow_none=True, load_default=None)
    product = Ref(allow_none=True, load_default=None)
    parent = GidNumber(data_key="__parentId", allow_none=True, load_default=None)

    @post_load
    def to_record(self, data, **kwargs) -> records.OrderLine:
        product_id, product_type = data["product"] or (None, None)
        price = data["originalUnitPriceSet"]
        return records.OrderLine(
            line_key=data["id"],
            order_external_id=data["parent"],
            product_external_id=product_id,
            sku=data["sku"] or None,
            title=data["title"],
            category=product_type or None,
            vendor=data["vendor"] or None,
            quantity=data["quantity"],
            unit_price=price[0] if price else Decimal("0"),
        )


def order_status(financial: str | None, cancelled: bool) -> str:
    if cancelled or financial in ("VOIDED", "EXPIRED"):
        return "cancelled"
    if financial == "REFUNDED":
        return "refunded"
    if financial in ("PAID", "PARTIALLY_REFUNDED"):
        return "paid"
    return "pending"


def order_channel(source: str | None) -> str:
    source = (source or "").lower()
    if source in STORE_SOURCES:
        return "store"
    if source in MOBILE_SOURCES:
        return "mobile"
    return "online"


class OrderSchema(Base):
    id = GidNumber(required=True)
    email = fields.String(allow_none=True, load_default=None)
    createdAt = Time(required=True)
    updatedAt = Time(allow_none=True, load_default=None)
    cancelledAt = Time(allow_none=True, load_default=None)
    displayFinancialStatus = fields.String(allow_none=True, load_default=None)
    currencyCode = fields.String(allow_none=True, load_default=None)
    sourceName = fields.String(allow_none=True, load_default=None)
    discountCodes = fields.List(fields.String(), load_default=list)
    totalPriceSet = ShopMoney(required=True)
    customer = Ref(allow_none=True, load_default=None)
    billingAddress = Obj(allow_none=True, load_default=dict)
    # Absent in a bulk result (lines come as their own objects): lines unknown here.
    lineItems = fields.Raw(allow_none=True, load_default=None)

    @post_load
    def to_record(self, data, **kwargs) -> records.Order:
        total, currency = data["totalPriceSet"]
        billing = data["billingAddress"] or {}
        lines = None
        if data["lineItems"] is not None:
            lines = [line_item(node, data["id"]) for node in _nodes(data["lineItems"])]
        return records.Order(
            external_id=data["id"],
            created_at=data["createdAt"],
            customer_external_id=(data["customer"] or (None, None))[0],
            email=data["email"],
            status=order_status(data["displayFinancialStatus"], data["cancelledAt"] is not None),
            total=total,
            currency=currency or data["currencyCode"],
            channel=order_channel(data["sourceName"]),
            discount_code=data["discountCodes"][0] if data["discountCodes"] else None,
            updated_at=data["updatedAt"],
            lines=lines,
            first_name=billing.get("firstName"),
            last_name=billing.get("lastName"),
        )


class VariantSchema(Base):
    id = GidNumber(required=True)
    sku = fields.String(allow_none=True, load_default=None)
    price = fields.Decimal(allow_none=True, load_default=None, as_string=False)


class ProductSchema(Base):
    id = GidNumber(required=True)
    title = fields.String(allow_none=True, load_default=None)
    vendor = fields.String(allow_none=True, load_default=None)
    productType = fields.String(allow_none=True, load_default=None)
    status = fields.String(allow_none=True, load_default=None)
    tags = fields.List(fields.String(), load_default=list)
    createdAt = Time(allow_none=True, load_default=None)
    updatedAt = Time(allow_none=True, load_default=None)
    onlineStoreUrl = fields.String(allow_none=True, load_default=None)
    featuredMedia = fields.Raw(allow_none=True, load_default=None)
    variants = fields.Raw(allow_none=True, load_default=None)

    @post_load
    def to_record(self, data, **kwargs) -> records.Product:
        variants = VARIANTS.load(_nodes(data["variants"]))
        first = variants[0] if variants else {}
        media = data["featuredMedia"] or {}
        image = ((media.get("preview") or {}).get("image") or {}).get("url")
        return records.Product(
            external_id=data["id"],
            title=data["title"],
            sku=first.get("sku") or None,
            category=data["productType"] or None,
            vendor=data["vendor"] or None,
            price=first.get("price"),
            status=(data["status"] or "").lower() or None,
            url=data["onlineStoreUrl"],
            image_url=image,
            tags=list(data["tags"]),
            created_at=data["createdAt"],
            updated_at=data["updatedAt"],
        )


class CheckoutLineSchema(Base):
    id = GidNumber(required=True)
    title = fields.String(allow_none=True, load_default=None)
    sku = fields.String(allow_none=True, load_default=None)
    quantity = fields.Integer(load_default=1)
    originalUnitPriceSet = ShopMoney(allow_none=True, load_default=None)
    product = Ref(allow_none=True, load_default=None)

    @post_load
    def to_record(self, data, **kwargs) -> records.CartItem:
        product_id, product_type = data["product"] or (None, None)
        price = data["originalUnitPriceSet"]
        return records.CartItem(
            product_external_id=product_id,
            sku=data["sku"] or None,
            title=data["title"],
            category=product_type or None,
            quantity=data["quantity"],
            unit_price=price[0] if price else Decimal("0"),
        )


class AbandonedCheckoutSchema(Base):
    id = GidNumber(required=True)
    abandonedCheckoutUrl = fields.String(allow_none=True, load_default=None)
    createdAt = Time(allow_none=True, load_default=None)
    updatedAt = Time(allow_none=True, load_default=None)
    completedAt = Time(allow_none=True, load_default=None)
    totalPriceSet = ShopMoney(allow_none=True, load_default=None)
    # Customer { id defaultEmailAddress { emailAddress } }
    customer = Obj(allow_none=True, load_default=dict)
    lineItems = fields.Raw(allow_none=True, load_default=None)

    @post_load
    def to_record(self, data, **kwargs) -> records.Cart:
        customer = data["customer"] or {}
        email = (customer.get("defaultEmailAddress") or {}).get("emailAddress")
        try:
            customer_id = gid_number(customer.get("id"))
        except MappingError as error:
            raise ValidationError(f"customer: {error}") from error
        value, currency = data["totalPriceSet"] or (Decimal("0"), None)
        return records.Cart(
            external_id=data["id"],
            customer_external_id=customer_id,
            email=email,
            value=value,
            currency=currency,
            items=CHECKOUT_LINES.load(_nodes(data["lineItems"])),
            recovery_url=data["abandonedCheckoutUrl"],
            completed_at=data["completedAt"],
            created_at=data["createdAt"],
            updated_at=data["updatedAt"],
        )


CUSTOMER = CustomerSchema()
ORDER = OrderSchema()
LINE = LineItemSchema()
PRODUCT = ProductSchema()
VARIANTS = VariantSchema(many=True)
CHECKOUT = AbandonedCheckoutSchema()
CHECKOUT_LINES = CheckoutLineSchema(many=True)


def _load(schema: Schema, node: dict, kind: str):
    try:
        return schema.load(node)
    except ValidationError as error:
        raise MappingError(f"{kind} {node.get('id')!r}: {error.messages}") from error


def customer(node: dict) -> records.Customer:
    return _load(CUSTOMER, node, "customer")


def order(node: dict) -> records.Order:
    return _load(ORDER, node, "order")


def line_item(node: dict, order_external_id: str | None = None) -> records.OrderLine:
    line = _load(LINE, node, "line item")
    if order_external_id is not None:
        line.order_external_id = order_external_id
    return line


def product(node: dict) -> records.Product:
    return _load(PRODUCT, node, "product")


def abandoned_checkout(node: dict) -> records.Cart:
    return _load(CHECKOUT, node, "abandoned checkout")

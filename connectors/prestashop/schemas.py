"""Marshmallow schemas for the Webservice's JSON objects, and their mapping to neutral records.

The Webservice sends every value as a string ("1", "23.900000", "0000-00-00"), sometimes the
id as a number, and multilingual fields either as one string (one language asked) or as
`[{"id": lang, "value": ...}]`. The schemas turn that into typed values and refuse what
cannot be read (a record that fails is reported by id, never half-imported); `Mapper` then
builds `connectors.records` with what a record alone does not say: the shop's time zone,
currency and country codes, product titles and prices for cart lines, which carts became
orders.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing, pre_load

from connectors import records
from connectors.prestashop.clock import ShopClock, parse_day, parse_local

# PrestaShop's default order states (install data): what they mean for our statistics.
CANCELLED_STATES = frozenset({"6", "8"})  # Canceled, Payment error
REFUNDED_STATES = frozenset({"7"})  # Refunded
GENDERS = {"1": "male", "2": "female"}
DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")


class RecordRefused(ValueError):
    """A Webservice object we cannot map; names the resource, the id and why."""

    def __init__(self, resource: str, object_id: object, reason: str):
        super().__init__(f"PrestaShop {resource} {object_id!r}: {reason}")
        self.resource = resource
        self.object_id = object_id
        self.reason = reason


class PsString(fields.Field):
    """Any scalar the Webservice sends, as a stripped string; '' becomes None."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or isinstance(value, dict | list):
            return None
        text = str(value).strip()
        return text or None


class PsBool(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        return str(value).strip() in ("1", "true", "True")


class PsDecimal(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if value in (None, ""):
            return Decimal("0")
        try:
            return Decimal(str(value).strip())
        except InvalidOperation as error:
            raise ValidationError(f"not a number: {value!r}") from error


class PsInt(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if value in (None, ""):
            return 0
        try:
            return int(Decimal(str(value).strip()))
        except (InvalidOperation, ValueError) as error:
            raise ValidationError(f"not a whole number: {value!r}") from error


class PsLocalized(fields.Field):
    """A multilingual field, kept as {language id: text}; one language comes as a string."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or value == "":
            return {}
        if isinstance(value, str | int | float):
            return {"": str(value)}
        if isinstance(value, list):
            texts = {}
            for item in value:
                if isinstance(item, dict):
                    texts[str(item.get("id", ""))] = str(item.get("value") or "")
            return texts
        raise ValidationError("expected a text or a list of {id, value}")


class PsDateText(fields.Field):
    """A local date string, checked here and converted by the Mapper (it knows the zone)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value in (None, ""):
            return None
        text = str(value).strip()
        if text.startswith("0000-00-00"):
            return None
        if not DATE_TEXT.match(text):
            raise ValidationError(f"not a date: {value!r}")
        try:
            parse_day(text) if len(text) == 10 else parse_local(text)
        except ValueError as error:
            raise ValidationError(f"not a date: {value!r}") from error
        return text


class WebserviceSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = PsString(required=True)

    @pre_load
    def flatten_associations(self, data, **kwargs):
        """Lift `associations.<name>` to `<name>` so nested lists load like fields."""
        if not isinstance(data, dict):
            raise ValidationError("expected an object")
        associations = data.get("associations")
        if isinstance(associations, dict):
            data = {**data, **{f"assoc_{k}": v for k, v in associations.items()}}
        return data


class CustomerSchema(WebserviceSchema):
    email = PsString()
    firstname = PsString()
    lastname = PsString()
    id_gender = PsString()
    birthday = PsDateText()
    newsletter = PsBool()
    newsletter_date_add = PsDateText()
    optin = PsBool()
    company = PsString()
    id_lang = PsString()
    is_guest = PsBool()
    deleted = PsBool()
    active = PsBool()
    date_add = PsDateText()
    date_upd = PsDateText()


class AddressSchema(WebserviceSchema):
    id_customer = PsString()
    id_country = PsString()
    id_state = PsString()
    company = PsString()
    postcode = PsString()
    city = PsString()
    phone = PsString()
    phone_mobile = PsString()
    deleted = PsBool()
    date_upd = PsDateText()


class OrderRowSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = PsString(required=True)
    product_id = PsString()
    product_attribute_id = PsString()
    product_quantity = PsInt()
    product_name = PsString()
    product_reference = PsString()
    product_price = PsDecimal()
    unit_price_tax_incl = PsDecimal()


class OrderSchema(WebserviceSchema):
    id_customer = PsString()
    id_cart = PsString()
    id_currency = PsString()
    current_state = PsString()
    valid = PsBool()
    reference = PsString()
    total_paid = PsDecimal()
    total_paid_tax_incl = PsDecimal()
    date_add = PsDateText(required=True)
    date_upd = PsDateText()
    assoc_order_rows = fields.List(fields.Nested(OrderRowSchema), load_default=list)


class CartRowSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id_product = PsString()
    id_product_attribute = PsString()
    quantity = PsInt()


class CartSchema(WebserviceSchema):
    id_customer = PsString()
    id_currency = PsString()
    date_add = PsDateText()
    date_upd = PsDateText()
    assoc_cart_rows = fields.List(fields.Nested(CartRowSchema), load_default=list)


class ProductSchema(WebserviceSchema):
    reference = PsString()
    price = PsDecimal()
    active = PsBool()
    name = PsLocalized()
    link_rewrite = PsLocalized()
    id_category_default = PsString()
    manufacturer_name = PsString()
    id_default_image = PsString()
    date_add = PsDateText()
    date_upd = PsDateText()


SCHEMAS = {
    "customers": CustomerSchema(),
    "addresses": AddressSchema(),
    "orders": OrderSchema(),
    "carts": CartSchema(),
    "products": ProductSchema(),
}


class _Slow(Exception):
    """The fast path met something it does not handle: marshmallow decides (and explains)."""


class FastLoader:
    """The same schema, applied field by field without marshmallow's machinery.

    A backfill loads hundreds of thousands of objects; marshmallow's generic load (hooks,
    error collection, partial loading) costs more than the conversions themselves. This
    runs each declared field's own `_deserialize`, and hands any object it cannot load
    cleanly back to `Schema.load`, so results and error messages are marshmallow's.
    """

    def __init__(self, schema: Schema):
        self.schema = schema
        self.plan = []
        for name, declared in schema.load_fields.items():
            key = declared.data_key or name
            nested = None
            if isinstance(declared, fields.List) and isinstance(declared.inner, fields.Nested):
                nested = FastLoader(declared.inner.schema)
            elif not isinstance(
                declared, PsString | PsBool | PsDecimal | PsInt | PsLocalized | PsDateText
            ):
                raise TypeError(f"FastLoader cannot run field {name!r} ({type(declared).__name__})")
            default = declared.load_default
            self.plan.append((name, key, declared, nested, declared.required, default))

    def load(self, raw: dict) -> dict:
        if not isinstance(raw, dict):
            raise _Slow()
        associations = raw.get("associations")
        if isinstance(associations, dict):
            raw = {**raw, **{f"assoc_{k}": v for k, v in associations.items()}}
        out = {}
        for name, key, declared, nested, required, default in self.plan:
            if key not in raw:
                if required:
                    raise _Slow()
                if default is not missing:
                    out[name] = default() if callable(default) else default
                continue
            value = raw[key]
            if nested is not None:
                if not isinstance(value, list):
                    raise _Slow()
                out[name] = [nested.load(item) for item in value]
            else:
                try:
                    out[name] = declared._deserialize(value, name, raw)
                except ValidationError as error:
                    raise _Slow() from error
        return out


FAST = {resource: FastLoader(schema) for resource, schema in SCHEMAS.items()}


def load(resource: str, raw: dict) -> dict:
    """One Webservice object, typed; RecordRefused names it when it cannot be read."""
    try:
        return FAST[resource].load(raw)
    except _Slow:
        pass
    try:
        return SCHEMAS[resource].load(raw)
    except ValidationError as error:
        object_id = raw.get("id") if isinstance(raw, dict) else None
        raise RecordRefused(resource, object_id, _explain(error.messages)) from error


def _explain(messages) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{key}: {_explain(value)}" for key, value in messages.items())
    if isinstance(messages, list):
        return ", ".join(_explain(m) for m in messages)
    return str(messages)


def localized(texts: dict[str, str], language_id: str | None) -> str | None:
    """The text in the shop's language, else the first non-empty one."""
    if not texts:
        return None
    if language_id is not None and texts.get(str(language_id)):
        return texts[str(language_id)]
    for text in texts.values():
        if text:
            return text
    return None


@dataclass
class Lookups:
    """The shop's reference tables, read once per run (small resources)."""

    currencies: dict[str, str] = field(default_factory=dict)  # id -> ISO 4217
    countries: dict[str, str] = field(default_factory=dict)  # id -> ISO 3166 alpha-2
    states: dict[str, str] = field(default_factory=dict)  # id -> name
    languages: dict[str, str] = field(default_factory=dict)  # id -> iso code
    categories: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> names
    default_language: str | None = None
    default_currency: str | None = None
    timezone: str | None = None
    shop_name: str | None = None


@dataclass(frozen=True)
class ProductFacts:
    """What a cart or order line borrows from its product."""

    title: str | None
    sku: str | None
    category: str | None
    price: Decimal | None


@dataclass(frozen=True)
class CartOrder:
    """The order a cart became (orders carry `id_cart`; carts know nothing of it)."""

    order_id: str
    created_at_local: str | None


class Mapper:
    """Webservice objects -> neutral records, for one shop."""

    def __init__(
        self,
        shop_url: str,
        clock: ShopClock,
        lookups: Lookups,
        *,
        product_facts: Callable[[str], ProductFacts | None] = lambda product_id: None,
    ):
        self.shop_url = shop_url.rstrip("/")
        self.clock = clock
        self.lookups = lookups
        self.product_facts = product_facts

    # -- customers -----------------------------------------------------------------------

    def customer(self, raw: dict, address: dict | None = None) -> records.Customer:
        data = load("customers", raw)
        place = load("addresses", address) if address else {}
        tags = []
        if data.get("is_guest"):
            tags.append("guest-checkout")
        if data.get("deleted"):
            tags.append("deleted")
        subscribed = bool(data.get("newsletter"))
        created_at = self.clock.to_utc(data.get("date_add"))
        return records.Customer(
            external_id=data["id"],
            email=data.get("email"),
            first_name=data.get("firstname"),
            last_name=data.get("lastname"),
            gender=GENDERS.get(data.get("id_gender") or ""),
            birth_date=parse_day(data.get("birthday")),
            phone=place.get("phone_mobile") or place.get("phone"),
            language=self.lookups.languages.get(data.get("id_lang") or ""),
            city=place.get("city"),
            region=self.lookups.states.get(place.get("id_state") or ""),
            postal_code=place.get("postcode"),
            country=self.lookups.countries.get(place.get("id_country") or ""),
            email_subscription_status="SUBSCRIBED" if subscribed else "NOT_SUBSCRIBED",
            email_consent_at=(
                self.clock.to_utc(data.get("newsletter_date_add")) if subscribed else None
            ),
            email_consent_source="prestashop newsletter" if subscribed else None,
            tags=tags,
            company=data.get("company") or place.get("company"),
            attributes={"partner_offers": True} if data.get("optin") else {},
            created_at=created_at,
            updated_at=self.clock.to_utc(data.get("date_upd")) or created_at,
        )

    # -- products ------------------------------------------------------------------------

    def product(self, raw: dict) -> records.Product:
        data = load("products", raw)
        language = self.lookups.default_language
        category_names = self.lookups.categories.get(data.get("id_category_default") or "", {})
        image = data.get("id_default_image")
        created_at = self.clock.to_utc(data.get("date_add"))
        return records.Product(
            external_id=data["id"],
            title=localized(data.get("name") or {}, language),
            sku=data.get("reference"),
            category=localized(category_names, language),
            vendor=data.get("manufacturer_name"),
            price=data.get("price"),
            status="active" if data.get("active") else "draft",
            url=f"{self.shop_url}/index.php?controller=product&id_product={data['id']}",
            image_url=(
                f"{self.shop_url}/img/p/{'/'.join(image)}/{image}.jpg"
                if image and image.isdigit() and image != "0"
                else None
            ),
            created_at=created_at,
            updated_at=self.clock.to_utc(data.get("date_upd")) or created_at,
        )

    def product_facts_of(self, product: records.Product) -> ProductFacts:
        return ProductFacts(product.title, product.sku, product.category, product.price)

    # -- orders --------------------------------------------------------------------------

    def order(self, raw: dict) -> records.Order:
        data = load("orders", raw)
        state = data.get("current_state") or ""
        if state in REFUNDED_STATES:
            status = "refunded"
        elif state in CANCELLED_STATES:
            status = "cancelled"
        elif data.get("valid"):
            status = "paid"
        else:
            status = "pending"
        created_at = self.clock.to_utc(data["date_add"])
        if created_at is None:
            raise RecordRefused("orders", data["id"], "date_add is empty")
        lines = []
        for row in data.get("assoc_order_rows") or []:
            product_id = row.get("product_id")
            facts = self.product_facts(product_id) if product_id else None
            unit_price = row.get("unit_price_tax_incl") or row.get("product_price")
            lines.append(
                records.OrderLine(
                    line_key=row["id"],
                    order_external_id=data["id"],
                    product_external_id=product_id,
                    sku=row.get("product_reference") or (facts.sku if facts else None),
                    title=row.get("product_name") or (facts.title if facts else None),
                    category=facts.category if facts else None,
                    quantity=row.get("product_quantity") or 0,
                    unit_price=unit_price,
                )
            )
        total = data.get("total_paid_tax_incl") or data.get("total_paid") or Decimal("0")
        return records.Order(
            external_id=data["id"],
            created_at=created_at,
            customer_external_id=data.get("id_customer"),
            status=status,
            total=total,
            currency=self._currency(data.get("id_currency")),
            channel="online",
            updated_at=self.clock.to_utc(data.get("date_upd")) or created_at,
            lines=lines,
        )

    def _currency(self, currency_id: str | None) -> str | None:
        return self.lookups.currencies.get(currency_id or "") or self.lookups.default_currency

    # -- carts ---------------------------------------------------------------------------

    def cart(self, raw: dict, order: CartOrder | None = None) -> records.Cart:
        data = load("carts", raw)
        items = []
        for row in data.get("assoc_cart_rows") or []:
            product_id = row.get("id_product")
            facts = self.product_facts(product_id) if product_id else None
            items.append(
                records.CartItem(
                    product_external_id=product_id,
                    sku=facts.sku if facts else None,
                    title=facts.title if facts else None,
                    category=facts.category if facts else None,
                    quantity=max(row.get("quantity") or 0, 0),
                    unit_price=(facts.price if facts and facts.price is not None else Decimal(0)),
                )
            )
        created_at = self.clock.to_utc(data.get("date_add"))
        ordered_at = self.clock.to_utc(order.created_at_local) if order else None
        return records.Cart(
            external_id=data["id"],
            customer_external_id=data.get("id_customer"),
            value=sum((i.unit_price * i.quantity for i in items), Decimal("0")),
            currency=self._currency(data.get("id_currency")),
            items=items,
            order_external_id=order.order_id if order else None,
            completed_at=ordered_at,
            created_at=created_at,
            updated_at=self.clock.to_utc(data.get("date_upd")) or created_at,
        )

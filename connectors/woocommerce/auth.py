"""wc-auth: the URL that asks the merchant to approve our keys, and the keys WooCommerce posts
back to our callback (checked before we answer: WooCommerce deletes them unless we say 200)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

APP_NAME = "Cible"
# We read customers, orders and products and create our own webhooks: read_write.
SCOPE = "read_write"
REQUIRED_PERMISSIONS = "read_write"


def store_base_url(store_url: str) -> str:
    """The store's address as the REST client wants it: scheme kept (https assumed), no
    trailing slash."""
    url = store_url.strip().rstrip("/")
    if "://" not in url:
        url = f"https://{url}"
    return url


def authorize_url(store_url: str, *, user_id: str, return_url: str, callback_url: str) -> str:
    """Where the merchant approves Cible's keys on their own store (/wc-auth/v1/authorize)."""
    query = urlencode(
        {
            "app_name": APP_NAME,
            "scope": SCOPE,
            "user_id": user_id,
            "return_url": return_url,
            "callback_url": callback_url,
        }
    )
    return f"{store_base_url(store_url)}/wc-auth/v1/authorize?{query}"


class KeyDeliveryError(ValueError):
    """A key delivery that is not what WooCommerce sends (the message says which field)."""


class _KeyDeliverySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    key_id = fields.Integer(required=True, strict=False)
    user_id = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    consumer_key = fields.String(required=True, validate=validate.Regexp(r"^ck_[0-9a-f]{20,64}$"))
    consumer_secret = fields.String(
        required=True, validate=validate.Regexp(r"^cs_[0-9a-f]{20,64}$")
    )
    key_permissions = fields.String(
        required=True, validate=validate.OneOf(("read", "write", "read_write"))
    )


@dataclass(frozen=True)
class KeyDelivery:
    key_id: int
    user_id: str
    consumer_key: str
    consumer_secret: str
    key_permissions: str


def parse_key_delivery(payload: object) -> KeyDelivery:
    """The callback's JSON as a KeyDelivery, or KeyDeliveryError naming what is wrong."""
    if not isinstance(payload, dict):
        raise KeyDeliveryError(
            "expected a JSON object with key_id, user_id, consumer_key, "
            "consumer_secret and key_permissions"
        )
    if isinstance(payload.get("user_id"), int):
        payload = {**payload, "user_id": str(payload["user_id"])}
    try:
        loaded = _KeyDeliverySchema().load(payload)
    except ValidationError as error:
        problems = "; ".join(
            f"{name}: {' '.join(messages) if isinstance(messages, list) else messages}"
            for name, messages in sorted(error.messages.items())
        )
        raise KeyDeliveryError(f"invalid key delivery: {problems}") from error
    return KeyDelivery(**loaded)

"""Value normalisation for ingest: UTC timestamps, shop-local days, emails, codes, tags, money.

Every record goes through these before it reaches a table, so that the same fact sent twice
(or by two platforms with different habits) is stored byte for byte the same way, which is
what lets an upsert recognise "nothing changed".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from sync.ingest.result import IngestError

# The version given to rows without any timestamp: older than anything real.
EPOCH = datetime(1970, 1, 1)
CENT = Decimal("0.01")
NO_MONEY = Decimal("0.00")
# What platforms send in place of a customer id for a guest checkout.
NO_CUSTOMER = {"", "0"}


class Refuser:
    """Builds the IngestError for one record, so every check names the same shop and record."""

    __slots__ = ("shop_domain", "kind", "external_id")

    def __init__(self, shop_domain: str, kind: str, external_id: object):
        self.shop_domain = shop_domain
        self.kind = kind
        self.external_id = external_id

    def __call__(self, reason: str) -> IngestError:
        return IngestError(self.shop_domain, self.kind, self.external_id, reason)


class ShopFacts:
    """The shop values row builders need (id, domain, currency, time zone), read once per
    ingest call: they run per record, and reading an ORM attribute costs about as much as
    cleaning a field."""

    __slots__ = ("id", "domain", "currency", "timezone")

    def __init__(self, shop):
        self.id = shop.id
        self.domain = shop.domain
        self.currency = shop.currency
        self.timezone = shop.timezone

    @classmethod
    def of(cls, shop) -> ShopFacts:
        return shop if isinstance(shop, cls) else cls(shop)


@lru_cache(maxsize=64)
def shop_zone(name: str) -> ZoneInfo:
    return ZoneInfo(name or "UTC")


def external_id(value: object, refuse: Refuser, what: str = "external_id") -> str:
    text_value = "" if value is None else str(value).strip()
    if not text_value:
        raise refuse(f"{what} is missing")
    if len(text_value) > 255:
        raise refuse(f"{what} is longer than 255 characters")
    return text_value


def customer_reference(value: object) -> str | None:
    """The platform's customer id of an order or cart; guest checkouts give none (or "0")."""
    if value is None:
        return None
    text_value = str(value).strip()
    return None if text_value in NO_CUSTOMER else text_value


def utc(value: datetime | str | None, refuse: Refuser, what: str) -> datetime | None:
    """Naive UTC: aware values are converted, naive ones are taken as already UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as error:
            raise refuse(f"{what} {value!r} is not an ISO 8601 timestamp") from error
    if not isinstance(value, datetime):
        raise refuse(f"{what} must be a timestamp, not {type(value).__name__}")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def local_day(value: datetime | None, zone: ZoneInfo) -> date | None:
    """The shop-local calendar day of a naive UTC timestamp.

    The zone's offset is worked out once per UTC hour and kept (_HOUR_OFFSETS): converting
    each timestamp through zoneinfo cost four times as much, and every order and customer
    needs its day. An hour in which the offset changes (a zone whose transition is not on
    the hour) is converted timestamp by timestamp, so the day is always the exact one.
    """
    if value is None:
        return None
    key = (zone, value.year, value.month, value.day, value.hour)
    offset = _HOUR_OFFSETS.get(key)
    if offset is None:
        start = value.replace(minute=0, second=0, microsecond=0, tzinfo=UTC)
        offset = start.astimezone(zone).utcoffset()
        if (start + _LAST_INSTANT_OF_HOUR).astimezone(zone).utcoffset() != offset:
            return value.replace(tzinfo=UTC).astimezone(zone).date()
        if len(_HOUR_OFFSETS) >= _HOUR_OFFSETS_KEPT:
            _HOUR_OFFSETS.clear()
        _HOUR_OFFSETS[key] = offset
    return (value + offset).date()


# {(zone, year, month, day, hour in UTC): the zone's offset throughout that hour}: about
# 9,000 entries per zone for each year orders span, dropped all at once past the bound.
_HOUR_OFFSETS: dict[tuple, timedelta] = {}
_HOUR_OFFSETS_KEPT = 200_000
_LAST_INSTANT_OF_HOUR = timedelta(hours=1, microseconds=-1)


def email(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value).strip().lower()
    return value or None


def text(value: object, limit: int | None = None) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    return value[:limit] if limit else value


def country(value: str | None, refuse: Refuser) -> str | None:
    code = text(value)
    if code is None:
        return None
    code = code.upper()
    if len(code) != 2 or not code.isalpha():
        raise refuse(f"country {value!r} is not an ISO 3166 alpha-2 code such as FR")
    return code


def currency(value: str | None, refuse: Refuser, default: str | None) -> str | None:
    code = text(value)
    if code is None:
        return default
    code = code.upper()
    if len(code) != 3 or not code.isalpha():
        raise refuse(f"currency {value!r} is not an ISO 4217 code such as EUR")
    return code


def choice(value: str | None, allowed: tuple[str, ...], refuse: Refuser, what: str) -> str:
    """A value from a closed list, matched without regard to case or surrounding spaces."""
    found = _by_lowercase(allowed).get((value or "").strip().lower())
    if found is None:
        raise refuse(f"{what} {value!r} is not one of {', '.join(allowed)}")
    return found


@lru_cache(maxsize=64)
def _by_lowercase(allowed: tuple[str, ...]) -> dict[str, str]:
    """{lowercase: value} for a closed list (the first of values equal but for case wins):
    one lookup per record instead of a comparison per value."""
    found: dict[str, str] = {}
    for candidate in allowed:
        found.setdefault(candidate.lower(), candidate)
    return found


def tags(values: Iterable[str] | str | None) -> list[str]:
    """Stripped, deduplicated, sorted: the same tags in another order are the same tags."""
    if not values:
        return []
    if isinstance(values, str):
        values = values.split(",")
    return sorted({cleaned for value in values if (cleaned := str(value).strip())})


def money(value: object, refuse: Refuser, what: str) -> Decimal:
    try:
        # A Decimal first: what connectors give, and comparing one with "" costs as much as
        # rounding it.
        if type(value) is Decimal:
            return value.quantize(CENT)
        if value is None or value == "":
            return NO_MONEY
        return Decimal(str(value).strip()).quantize(CENT)
    except (InvalidOperation, ValueError) as error:
        raise refuse(f"{what} {value!r} is not an amount") from error


def optional_money(value: object, refuse: Refuser, what: str) -> Decimal | None:
    if value is None or value == "":
        return None
    return money(value, refuse, what)


def integer(value: object, refuse: Refuser, what: str, *, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise refuse(f"{what} {value!r} is not a whole number") from error


def number(value: object, refuse: Refuser, what: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise refuse(f"{what} {value!r} is not a number") from error


def day(value: object, refuse: Refuser, what: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as error:
        raise refuse(f"{what} {value!r} is not a date (YYYY-MM-DD)") from error

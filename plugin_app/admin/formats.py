"""Money, numbers and dates written the way the merchant reads them (French or English).

Babel's CLDR data does the work (grouping, decimal marks, currency placement, month
names); these functions stay the single place where a figure or a date becomes text, so
pages, charts and exports agree. The language is the admin's (plugin_app/i18n.py); the
currency and the time zone are the shop's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_symbol

# Currencies without minor units (ISO 4217 exponent 0).
WHOLE_CURRENCIES = {"JPY", "KRW", "CLP", "ISK", "VND", "XOF", "XAF"}


def language_of(value: str | None) -> str:
    """'fr', 'fr-FR', 'fr_CA' -> 'fr'; anything else (or nothing) -> 'en'."""
    if value and value.strip().lower()[:2] == "fr":
        return "fr"
    return "en"


def _rounded(value, places: int) -> Decimal:
    amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return amount + 0  # -0.00 -> 0.00: a rounded-away minus sign is noise


def format_number(value, language: str = "en", places: int = 0) -> str:
    """A plain number with the language's grouping and decimal mark: 1 234,5 / 1,234.5."""
    if value is None:
        return ""
    amount = _rounded(value, places)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(amount, format=pattern, locale=language_of(language))


def format_percent_value(value, language: str = "en", places: int = 1) -> str:
    """0.0345 -> '3.5%' / '3,5 %'."""
    if value is None:
        return ""
    share = _rounded(Decimal(str(value)) * 100, places) / 100
    return format_percent(share, locale=language_of(language), decimal_quantization=False)


def format_chance(value, language: str = "en") -> str:
    """A probability as a whole percent, never a false certainty: '> 99%', '< 1%'."""
    if value is None:
        return ""
    if value >= 0.995:
        return "> " + format_percent_value(0.99, language, 0)
    if value <= 0.005:
        return "< " + format_percent_value(0.01, language, 0)
    return format_percent_value(value, language, 0)


def format_money(value, currency: str | None, language: str = "en") -> str:
    """'1 234,50 €' in French, '€1,234.50' in English; unknown currencies show their code."""
    if value is None:
        return ""
    language = language_of(language)
    code = (currency or "").upper()
    places = 0 if code in WHOLE_CURRENCIES else 2
    amount = _rounded(value, places)
    if not code:
        return format_number(amount, language, places)
    if get_currency_symbol(code, locale=language) == code and code.isalpha():
        # Babel glues an unknown code to the figure ("XYZ2.00"): keep them apart.
        return f"{code}\u00a0{format_number(amount, language, places)}"
    return format_currency(amount, code, locale=language, currency_digits=True)


def format_date(value: date | None, language: str = "en") -> str:
    """A calendar day: '12 mars 2026' / 'Mar 12, 2026'."""
    if value is None:
        return ""
    return babel_date(value, "medium", locale=language_of(language))


def shop_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def to_shop_time(value: datetime, zone_name: str | None) -> datetime:
    """Naive UTC (as stored) or aware datetime -> the shop's local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(shop_zone(zone_name))


def format_datetime(value: datetime | None, zone_name: str | None, language: str = "en") -> str:
    """A stored timestamp in the shop's time zone: '12 mars 2026, 14:05' / 'Mar 12, 2026, 14:05'."""
    if value is None:
        return ""
    local = to_shop_time(value, zone_name)
    clock = babel_time(local.time(), "HH:mm", locale=language_of(language))
    return f"{format_date(local.date(), language)}, {clock}"


@dataclass(frozen=True)
class ShopFormats:
    """The formatting functions bound to one language, currency and time zone.

    Templates get one of these as `fmt`, so a page never has to pass the shop around to
    write a price or a date.
    """

    language: str
    currency: str
    zone: str

    def money(self, value, currency: str | None = None) -> str:
        return format_money(value, currency or self.currency, self.language)

    def number(self, value, places: int = 0) -> str:
        return format_number(value, self.language, places)

    def percent(self, value, places: int = 1) -> str:
        return format_percent_value(value, self.language, places)

    def chance(self, value) -> str:
        return format_chance(value, self.language)

    def date(self, value: date | None) -> str:
        return format_date(value, self.language)

    def datetime(self, value: datetime | None) -> str:
        return format_datetime(value, self.zone, self.language)


def formats_for(shop, language: str | None = None) -> ShopFormats:
    return ShopFormats(
        language_of(language or shop.language), shop.currency or "EUR", shop.timezone or "UTC"
    )

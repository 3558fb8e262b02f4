"""Money, numbers and dates written the way the shop's merchant reads them (French or English).

Small on purpose: two languages, the currencies shops use most, and the shop's time zone.
Issue 7 brings Flask-Babel for the interface text; these functions stay the single place
where a figure or a date becomes text, so pages and exports agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# French groups digits with a narrow no-break space and puts a no-break space before the
# currency sign (CLDR fr), so "1 234,50 €" never breaks across lines.
FR_GROUP = "\u202f"
FR_BEFORE_SYMBOL = "\u00a0"

SYMBOLS = {
    "EUR": "€",
    "USD": "$",
    "GBP": "£",
    "JPY": "¥",
    "CAD": "CA$",
    "AUD": "A$",
    "CHF": "CHF",
    "SEK": "kr",
    "DKK": "kr",
    "NOK": "kr",
    "PLN": "zł",
}
# Currencies without minor units (ISO 4217 exponent 0).
WHOLE_CURRENCIES = {"JPY", "KRW", "CLP", "ISK", "VND", "XOF", "XAF"}

MONTHS = {
    "fr": (
        "janv.", "févr.", "mars", "avr.", "mai", "juin",
        "juil.", "août", "sept.", "oct.", "nov.", "déc.",
    ),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}  # fmt: skip


def language_of(value: str | None) -> str:
    """'fr', 'fr-FR', 'fr_CA' -> 'fr'; anything else (or nothing) -> 'en'."""
    if value and value.strip().lower()[:2] == "fr":
        return "fr"
    return "en"


def _grouped(digits: str, separator: str) -> str:
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return separator.join(groups)


def format_number(value, language: str = "en", places: int = 0) -> str:
    """A plain number with the language's grouping and decimal mark: 1 234,5 / 1,234.5."""
    if value is None:
        return ""
    language = language_of(language)
    amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    whole, _, fraction = f"{abs(amount):f}".partition(".")
    if language == "fr":
        text = _grouped(whole, FR_GROUP) + ("," + fraction if fraction else "")
    else:
        text = _grouped(whole, ",") + ("." + fraction if fraction else "")
    return sign + text


def format_money(value, currency: str | None, language: str = "en") -> str:
    """'1 234,50 €' in French, '€1,234.50' in English; unknown currencies show their code."""
    if value is None:
        return ""
    language = language_of(language)
    code = (currency or "").upper()
    places = 0 if code in WHOLE_CURRENCIES else 2
    amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    number = format_number(abs(amount), language, places)
    symbol = SYMBOLS.get(code, code)
    if not symbol:
        return sign + number
    if language == "fr":
        return f"{sign}{number}{FR_BEFORE_SYMBOL}{symbol}"
    if symbol[-1].isalpha():
        return f"{sign}{symbol}\u00a0{number}"
    return f"{sign}{symbol}{number}"


def format_date(value: date | None, language: str = "en") -> str:
    """A calendar day: '12 mars 2026' / 'Mar 12, 2026'."""
    if value is None:
        return ""
    language = language_of(language)
    month = MONTHS[language][value.month - 1]
    if language == "fr":
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {month} {value.year}"
    return f"{month} {value.day}, {value.year}"


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
    return f"{format_date(local.date(), language)}, {local:%H:%M}"


@dataclass(frozen=True)
class ShopFormats:
    """The formatting functions bound to one shop's language, currency and time zone.

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

    def date(self, value: date | None) -> str:
        return format_date(value, self.language)

    def datetime(self, value: datetime | None) -> str:
        return format_datetime(value, self.zone, self.language)


def formats_for(shop) -> ShopFormats:
    return ShopFormats(language_of(shop.language), shop.currency or "EUR", shop.timezone or "UTC")

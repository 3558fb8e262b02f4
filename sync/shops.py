"""Creating, finding and erasing shops (installations)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync.secrets import SecretBox
from sync.store import PLATFORMS, SHOP_TABLES, Shop, utcnow


class ShopError(ValueError):
    """A shop that cannot be created or found as asked."""


def normalise_domain(domain: str) -> str:
    domain = domain.strip().lower()
    for prefix in ("https://", "http://"):
        domain = domain.removeprefix(prefix)
    return domain.rstrip("/")


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ShopError(f"unknown time zone {name!r} (expected e.g. Europe/Paris)") from error
    return name


def create_shop(
    session: Session,
    *,
    platform: str,
    domain: str,
    timezone: str = "UTC",
    currency: str = "EUR",
    name: str | None = None,
    language: str = "en",
) -> Shop:
    if platform not in PLATFORMS:
        raise ShopError(f"unknown platform {platform!r}: one of {', '.join(PLATFORMS)}")
    domain = normalise_domain(domain)
    if not domain:
        raise ShopError("a shop needs a domain")
    if session.scalar(select(Shop.id).where(Shop.domain == domain)) is not None:
        raise ShopError(f"a shop with domain {domain} already exists")
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ShopError(f"currency must be an ISO 4217 code such as EUR, not {currency!r}")
    shop = Shop(
        platform=platform,
        domain=domain,
        timezone=check_timezone(timezone),
        currency=currency,
        name=name or domain,
        language=language,
        installed_at=utcnow(),
        sync_cursors={},
        settings={},
    )
    session.add(shop)
    session.flush()
    return shop


def get_shop(session: Session, domain: str) -> Shop:
    shop = session.scalar(select(Shop).where(Shop.domain == normalise_domain(domain)))
    if shop is None:
        raise ShopError(f"no shop with domain {normalise_domain(domain)}")
    return shop


def erase_shop(session: Session, shop_id: int) -> None:
    """Delete a shop and every row it owns, children first, in the caller's transaction.

    Explicit deletes rather than relying on ON DELETE CASCADE, so that erasure is the
    same on every database whatever its foreign-key settings.
    """
    for table in SHOP_TABLES:
        session.execute(delete(table).where(table.shop_id == shop_id))
    session.execute(delete(Shop).where(Shop.id == shop_id))


def store_credentials(shop: Shop, box: SecretBox, credentials: dict) -> None:
    """Seal a shop's credentials (tokens, keys, webhook secrets) before they touch the DB."""
    shop.credentials = box.seal(credentials)


def read_credentials(shop: Shop, box: SecretBox) -> dict:
    return box.open(shop.credentials)

"""Valid offline access tokens for a Shopify shop, refreshed before they expire.

Shopify's expiring offline tokens live about an hour; the refresh token that comes with
each one is single-use. So a refresh must be stored at once, in its own transaction (a
rollback of the caller's work must never lose the new refresh token), and two workers
refreshing together must end with one valid pair: on PostgreSQL the shop row is locked
(SELECT ... FOR UPDATE) while refreshing, so the second worker waits and then reads the
first one's pair; on SQLite the write is a compare-and-swap on the sealed credentials, and
a worker whose refresh token was already used reads the pair the winner stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectors.shopify import oauth
from sync.secrets import SecretBox
from sync.settings import Settings
from sync.store import Shop, session_factory

log = logging.getLogger(__name__)

# Refresh when the access token expires within this many seconds.
REFRESH_MARGIN = 300


class ShopifyTokenError(RuntimeError):
    """No usable token: the shop is uninstalled, or its refresh token is gone (reinstall)."""


def _fresh(credentials: dict, now: float) -> bool:
    if not credentials.get("access_token"):
        return False
    expires_at = credentials.get("access_token_expires_at")
    return expires_at is None or expires_at - now > REFRESH_MARGIN


def access_token(session: Session, shop: Shop, settings: Settings, *, force_refresh=False) -> str:
    """A valid offline access token for the shop (see the module docstring).

    `session` is the caller's; credentials are read and written through a session of
    their own so that a refresh is committed whatever the caller's transaction does.
    """
    factory = session_factory(settings.resolved_database_url())
    box = SecretBox.from_settings(settings)
    with factory() as own:
        sealed, uninstalled = own.execute(
            select(Shop.credentials, Shop.uninstalled_at).where(Shop.id == shop.id)
        ).one()
    if uninstalled is not None:
        raise ShopifyTokenError(f"shop {shop.domain} uninstalled the app: no token")
    credentials = box.open(sealed)
    if not force_refresh and _fresh(credentials, time.time()):
        return credentials["access_token"]
    return _refresh(factory, box, settings, shop.id, shop.domain, sealed, force_refresh)


def _refresh(factory, box, settings, shop_id, domain, seen_sealed, force) -> str:
    with factory() as own, own.begin():
        sealed = own.scalar(select(Shop.credentials).where(Shop.id == shop_id).with_for_update())
        credentials = box.open(sealed)
        now = time.time()
        if sealed != seen_sealed and _fresh(credentials, now):
            return credentials["access_token"]  # another worker refreshed meanwhile
        if not force and _fresh(credentials, now):
            return credentials["access_token"]
        refresh_token = credentials.get("refresh_token")
        expires_at = credentials.get("refresh_token_expires_at")
        if not refresh_token or (expires_at is not None and expires_at <= now):
            raise ShopifyTokenError(
                f"shop {domain}: no valid refresh token; open the app in the Shopify admin "
                "to reinstall it"
            )
        try:
            tokens = oauth.refresh(
                settings.shopify_shop_url(domain),
                api_key=settings.shopify_api_key,
                api_secret=settings.shopify_api_secret,
                refresh_token=refresh_token,
            )
        except oauth.ShopifyOAuthError as error:
            if error.invalid_grant:
                winner = _stored_by_another(factory, box, shop_id, sealed)
                if winner is not None:
                    return winner
            raise
        renewed = {**credentials, **tokens.as_credentials(now)}
        if not renewed.get("refresh_token"):
            renewed["refresh_token"] = refresh_token
        written = own.execute(
            update(Shop)
            .where(Shop.id == shop_id, Shop.credentials == sealed)
            .values(credentials=box.seal(renewed))
            .execution_options(synchronize_session=False)
        )
        if written.rowcount != 1:  # SQLite: another worker stored a pair first
            winner = _stored_by_another(factory, box, shop_id, sealed)
            if winner is None:
                raise ShopifyTokenError(f"shop {domain}: credentials changed during a refresh")
            return winner
        log.info("shop %s: offline access token refreshed", domain)
        return renewed["access_token"]


def _stored_by_another(factory, box, shop_id, sealed, wait: float = 5.0) -> str | None:
    """The token another worker stored after using the same refresh token, if any.

    The other worker may have its answer from Shopify but not yet its write committed,
    so this looks again for a few seconds before giving up.
    """
    deadline = time.monotonic() + wait
    while True:
        with factory() as own:
            current = own.scalar(select(Shop.credentials).where(Shop.id == shop_id))
        credentials = box.open(current)
        if current != sealed and credentials.get("access_token"):
            return credentials["access_token"]
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


def token_provider(session: Session, shop: Shop, settings: Settings) -> Callable[[bool], str]:
    """The callable a GraphQL client takes: `provider(force_refresh) -> token`."""

    def provide(force_refresh: bool = False) -> str:
        return access_token(session, shop, settings, force_refresh=force_refresh)

    return provide

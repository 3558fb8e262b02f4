"""API tokens for a merchant's own scripts: `Authorization: Bearer cible_<shop>.<secret>`.

A token is made on the settings page, shown once, and kept only as a SHA-256 hash in
`shops.settings["api_tokens"]` (with a name, a short prefix to recognise it, and its dates),
so a leaked database reveals no usable token. The shop's public id is part of the token:
it names the one shop the token may act for, and a token never reaches another's data.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.store import Shop, utcnow

PREFIX = "cible_"
MAX_TOKENS = 20


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def shop_tokens(shop: Shop) -> list[dict]:
    settings = shop.settings if isinstance(shop.settings, dict) else {}
    tokens = settings.get("api_tokens")
    return list(tokens) if isinstance(tokens, list) else []


def _save(shop: Shop, tokens: list[dict]) -> None:
    # A new dict, so that SQLAlchemy sees the JSON column change.
    shop.settings = {**(shop.settings or {}), "api_tokens": tokens}


def create_token(shop: Shop, name: str, now: datetime | None = None) -> tuple[dict, str]:
    """Add a token to the shop; returns its stored entry and the token itself (shown once)."""
    tokens = shop_tokens(shop)
    if len(tokens) >= MAX_TOKENS:
        raise ValueError(f"a shop keeps at most {MAX_TOKENS} API tokens: revoke one first")
    token = f"{PREFIX}{shop.public_id}.{secrets.token_urlsafe(32)}"
    entry = {
        "id": secrets.token_hex(6),
        "name": name.strip()[:100] or "API token",
        "prefix": token[: len(PREFIX) + len(shop.public_id) + 5],
        "hash": _digest(token),
        "created_at": (now or utcnow()).isoformat() + "Z",
        "last_used_at": None,
    }
    _save(shop, [*tokens, entry])
    return entry, token


def revoke_token(shop: Shop, token_id: str) -> bool:
    tokens = shop_tokens(shop)
    kept = [entry for entry in tokens if entry.get("id") != token_id]
    _save(shop, kept)
    return len(kept) != len(tokens)


def shop_for_token(session: Session, token: str) -> Shop | None:
    """The installed shop this token belongs to, or None for any token that is not valid."""
    if not token.startswith(PREFIX):
        return None
    # '.' never occurs in a public id or in the secret (both URL-safe base64).
    public_id, _, secret = token[len(PREFIX) :].rpartition(".")
    if not public_id or not secret:
        return None
    shop = session.scalar(select(Shop).where(Shop.public_id == public_id))
    if shop is None or shop.uninstalled_at is not None:
        return None
    digest = _digest(token)
    for entry in shop_tokens(shop):
        if hmac.compare_digest(str(entry.get("hash", "")), digest):
            return shop
    return None

"""Signed, short-lived launch links that open an admin session for one shop.

A shop's back office (our WordPress plugin, PrestaShop module) or `cible admin-link` makes
a link carrying `{"shop_id": id}` signed with the secret key; whoever follows it within
LAUNCH_TOKEN_MAX_AGE seconds gets an admin session for that shop and no other. The salt
keeps these signatures from ever being accepted as any other signed value of the app
(session cookies, future tokens). Previous secret keys still verify, so rotating the key
does not break a link made a minute before.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from sync.settings import Settings

LAUNCH_SALT = "cible-admin-launch"
LAUNCH_TOKEN_MAX_AGE = 5 * 60


class LaunchError(ValueError):
    """A launch token that opens nothing; `expired` tells a late link from a bad one."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and verifies with any of them.
    keys = [*settings.previous_secret_keys, settings.secret_key]
    return URLSafeTimedSerializer(keys, salt=LAUNCH_SALT)


def make_launch_token(settings: Settings, shop_id: int) -> str:
    return _serializer(settings).dumps({"shop_id": int(shop_id)})


def read_launch_token(settings: Settings, token: str) -> int:
    """The shop id a valid, unexpired token was made for; LaunchError otherwise."""
    if not token:
        raise LaunchError("The link has no token: open Cible again from your shop's back office.")
    try:
        payload = _serializer(settings).loads(token, max_age=LAUNCH_TOKEN_MAX_AGE)
    except SignatureExpired as error:
        raise LaunchError(
            f"This admin link has expired (links are valid {LAUNCH_TOKEN_MAX_AGE // 60} "
            "minutes): open Cible again from your shop's back office, or make a new link "
            "with `cible admin-link`.",
            expired=True,
        ) from error
    except BadSignature as error:
        raise LaunchError(
            "This admin link is not valid (it was altered, or made with another secret "
            "key): open Cible again from your shop's back office, or make a new link with "
            "`cible admin-link`."
        ) from error
    shop_id = payload.get("shop_id") if isinstance(payload, dict) else None
    if not isinstance(shop_id, int) or isinstance(shop_id, bool):
        raise LaunchError("This admin link does not name a shop: make a new one.")
    return shop_id

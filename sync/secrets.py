"""Encryption at rest for shop credentials (access tokens, API keys, webhook secrets).

Keys are derived from CIBLE_SECRET_KEY with HKDF, so operators manage one secret; older
keys listed in CIBLE_PREVIOUS_SECRET_KEYS still decrypt, so rotating the key is a restart
with the old one listed there; credentials are sealed with the new key on their next write.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.settings import Settings


class SecretsError(RuntimeError):
    """Credentials that cannot be decrypted with the configured keys."""


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"cible-credentials", info=b"fernet-v1"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


class SecretBox:
    """Seals dicts of credentials into opaque text and opens them again."""

    def __init__(self, secret_key: str, previous_keys: tuple[str, ...] = ()):
        self._fernet = MultiFernet([_fernet(secret_key), *(_fernet(k) for k in previous_keys)])

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        return cls(settings.secret_key, settings.previous_secret_keys)

    def seal(self, credentials: dict) -> str:
        return self._fernet.encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()

    def open(self, sealed: str | None) -> dict:
        if not sealed:
            return {}
        try:
            return json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken as error:
            raise SecretsError(
                "stored credentials cannot be decrypted: CIBLE_SECRET_KEY changed without "
                "listing the old key in CIBLE_PREVIOUS_SECRET_KEYS"
            ) from error

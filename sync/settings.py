"""Cible's settings and their defaults, read from CIBLE_* environment variables.

One place for every setting, so that the web app, the CLI and a worker on another
machine read the same values the same way (jobs never need Flask to find them).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

log = logging.getLogger(__name__)

DEVELOPMENT_SECRET_KEY = "cible-development-secret-do-not-use-in-production"
DEFAULT_INSTANCE_PATH = Path.cwd() / "instance"


class SettingsError(RuntimeError):
    """A setting that makes it unsafe or impossible to start."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    instance_path: Path = field(default_factory=lambda: DEFAULT_INSTANCE_PATH)
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = DEVELOPMENT_SECRET_KEY
    previous_secret_keys: tuple[str, ...] = ()
    queue_name: str = "cible"
    job_retries: int = 3
    # The base URL shops and browsers reach this server at (https in production): install
    # callbacks, webhook addresses and the storefront loader's URL are built from it.
    public_url: str = "http://127.0.0.1:5000"
    # Shopify app credentials (Partners dashboard / `shopify app env show`); the previous
    # secret still verifies webhooks and session tokens while the secret is being rotated.
    shopify_api_key: str = ""
    shopify_api_secret: str = ""
    shopify_previous_api_secret: str = ""
    shopify_api_version: str = "2026-10"
    # Empty: the real `https://{shop}`. Tests point it at the emulator: a base URL used for
    # every shop, which may contain `{shop}` (e.g. http://127.0.0.1:8765).
    shopify_base_url: str = ""

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def jobs_inline(self) -> bool:
        return not self.redis_url

    def shopify_shop_url(self, shop_domain: str) -> str:
        """The base URL of a Shopify shop's Admin API: `https://{shop}` unless overridden."""
        if not self.shopify_base_url:
            return f"https://{shop_domain}"
        return self.shopify_base_url.replace("{shop}", shop_domain).rstrip("/")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.instance_path) / 'cible.sqlite3'}"

    def check(self) -> Settings:
        """Refuse unsafe settings in production; warn loudly about them elsewhere."""
        if self.secret_key == DEVELOPMENT_SECRET_KEY:
            if self.production:
                raise SettingsError(
                    "CIBLE_ENV=production with the development secret key: set "
                    "CIBLE_SECRET_KEY to a long random value (python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))')."
                )
            log.warning(
                "!!! Cible is using its DEVELOPMENT secret key: stored credentials and "
                "sessions are NOT protected. Set CIBLE_SECRET_KEY before real use. !!!"
            )
        elif self.production and len(self.secret_key) < 32:
            raise SettingsError("CIBLE_SECRET_KEY must be at least 32 characters in production.")
        if self.production and not self.database_url:
            raise SettingsError("CIBLE_ENV=production needs CIBLE_DATABASE_URL (PostgreSQL).")
        return self


# Environment variable -> field name. Everything Cible reads from the environment is here.
ENVIRONMENT = {
    "CIBLE_ENV": "env",
    "CIBLE_INSTANCE_PATH": "instance_path",
    "CIBLE_DATABASE_URL": "database_url",
    "CIBLE_REDIS_URL": "redis_url",
    "CIBLE_SECRET_KEY": "secret_key",
    "CIBLE_PREVIOUS_SECRET_KEYS": "previous_secret_keys",
    "CIBLE_QUEUE_NAME": "queue_name",
    "CIBLE_JOB_RETRIES": "job_retries",
    "CIBLE_PUBLIC_URL": "public_url",
    "CIBLE_SHOPIFY_API_KEY": "shopify_api_key",
    "CIBLE_SHOPIFY_API_SECRET": "shopify_api_secret",
    "CIBLE_SHOPIFY_PREVIOUS_API_SECRET": "shopify_previous_api_secret",
    "CIBLE_SHOPIFY_API_VERSION": "shopify_api_version",
    "CIBLE_SHOPIFY_BASE_URL": "shopify_base_url",
}


def _coerce(name: str, raw):
    kinds = {f.name: f.type for f in fields(Settings)}
    kind = kinds[name]
    if kind == "Path":
        return Path(raw)
    if kind == "int":
        return int(raw)
    if kind == "tuple[str, ...]":
        if isinstance(raw, (list, tuple)):
            return tuple(raw)
        return tuple(part.strip() for part in str(raw).split(",") if part.strip())
    return str(raw)


INSTANCE_FILE = "cible.env"


def read_instance_file(path: Path) -> dict[str, str]:
    """`CIBLE_NAME=value` lines from the optional instance config file (# comments)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or name not in ENVIRONMENT:
            raise SettingsError(f"{path}:{number}: expected CIBLE_NAME=value with a known name")
        values[name] = value.strip().strip("'\"")
    return values


def load_settings(environ=None, **overrides) -> Settings:
    """Defaults, then the instance file, then CIBLE_* variables, then explicit overrides.

    The instance file is `<instance path>/cible.env`; the same file is read by the web
    app, the CLI and workers, so a self-hoster can keep every setting in one place.
    """
    environ = os.environ if environ is None else environ
    instance_path = Path(
        overrides.get("instance_path")
        or environ.get("CIBLE_INSTANCE_PATH")
        or DEFAULT_INSTANCE_PATH
    )
    merged = {**read_instance_file(instance_path / INSTANCE_FILE), **environ}
    values = {}
    for variable, name in ENVIRONMENT.items():
        if merged.get(variable) not in (None, ""):
            values[name] = _coerce(name, merged[variable])
    for name, value in overrides.items():
        if value is not None:
            values[name] = _coerce(name, value)
    return replace(Settings(), **values)

"""`GET|POST /install/prestashop`: connect a PrestaShop shop with its URL and a webservice key.

PrestaShop has no OAuth: the merchant creates a webservice key in the back office and
pastes it here with the shop's address. The key is checked live before anything is saved,
and each way it can fail gets its own message (nothing at that address, not a PrestaShop,
the Webservice switched off, the key refused, a permission missing: named). On success the
shop is created (or its key replaced, for a reconnection) with the key sealed, the first
full sync is enqueued, and the page shows what to paste into our module: the Cible URL,
the shop's public id and its signing secret.

The form is protected against cross-site posting by a token kept in the (signed) session.
"""

from __future__ import annotations

import hmac
import logging
import secrets

from flask import Blueprint, render_template, request
from flask import session as web_session
from sqlalchemy import select

from connectors.prestashop import (
    PrestaShopClient,
    ResourceNotPermitted,
    WebserviceError,
    check_connection,
    normalise_shop_url,
)
from connectors.prestashop.client import is_valid_shop_url
from plugin_app.db import session, settings
from sync.identity import shop_signing_secret
from sync.prestashop_sync import full_sync, remember_lookups, schedule_polling
from sync.queue import JobFailed, enqueue
from sync.secrets import SecretBox
from sync.shops import ShopError, check_timezone, create_shop, normalise_domain, store_credentials
from sync.store import Shop

log = logging.getLogger(__name__)

blueprint = Blueprint("prestashop_install", __name__, template_folder="templates")

CSRF_KEY = "prestashop_install_csrf"
# The connect check answers while the merchant waits: few retries, short timeouts.
CHECK_OPTIONS = {"attempts": 2, "timeout": (5, 20), "max_wait": 5}
STEPS = {
    "unreachable": "Check the address: it is the one your customers visit.",
    "not_prestashop": "Check the address, and that friendly URLs are on (Shop Parameters > "
    "Traffic & SEO), so that /api/ answers.",
    "webservice_disabled": "Turn the Webservice on, then try again.",
    "key_refused": "Copy the key again from Advanced Parameters > Webservice.",
    "resource_not_permitted": "Edit the key's permissions, save, then try again.",
    "failed": "The shop answered with errors; try again in a moment.",
}


def _csrf_token() -> str:
    token = web_session.get(CSRF_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        web_session[CSRF_KEY] = token
    return token


def _form(values: dict, *, error: str | None = None, kind: str | None = None, status: int = 200):
    return (
        render_template(
            "prestashop/connect.html",
            values=values,
            error=error,
            kind=kind,
            step=STEPS.get(kind or ""),
            csrf_token=_csrf_token(),
            public_url=settings().public_url.rstrip("/"),
        ),
        status,
    )


@blueprint.get("/install/prestashop")
def connect_form():
    return _form({"shop_url": request.args.get("shop_url", ""), "timezone": "Europe/Paris"})


@blueprint.post("/install/prestashop")
def connect():
    values = {
        "shop_url": (request.form.get("shop_url") or "").strip(),
        "timezone": (request.form.get("timezone") or "Europe/Paris").strip(),
    }
    key = (request.form.get("webservice_key") or "").strip()
    expected = web_session.get(CSRF_KEY)
    given = request.form.get("csrf_token") or ""
    if not expected or not hmac.compare_digest(str(expected), given):
        return _form(
            values,
            error="This form expired or was not sent from this page. Please send it again.",
            kind="csrf",
            status=400,
        )
    shop_url = normalise_shop_url(values["shop_url"])
    if not is_valid_shop_url(shop_url):
        return _form(values, error="Enter your shop's address, e.g. https://shop.example.fr.",
                     kind="invalid", status=422)  # fmt: skip
    if not key:
        return _form(values, error="Paste the webservice key (32 characters).", kind="invalid",
                     status=422)  # fmt: skip
    try:
        check_timezone(values["timezone"])
    except ShopError as error:
        return _form(values, error=str(error), kind="invalid", status=422)
    client = PrestaShopClient(shop_url, key, **CHECK_OPTIONS)
    try:
        report = check_connection(client)
    except WebserviceError as error:
        log.info("PrestaShop connect refused for %s: %s", shop_url, error)
        return _form(values, error=error.message, kind=error.kind, status=422)
    finally:
        client.close()
    return _connected(shop_url, key, values, report)


def _connected(shop_url: str, key: str, values: dict, report):
    current = settings()
    db = session()
    lookups = report.lookups
    domain = normalise_domain(shop_url)
    shop = db.scalar(select(Shop).where(Shop.domain == domain))
    reconnected = shop is not None
    if shop is not None and shop.platform != "prestashop":
        return _form(values, error=f"{domain} is already connected as a {shop.platform} shop.",
                     kind="invalid", status=409)  # fmt: skip
    timezone = lookups.timezone or values["timezone"]
    try:
        timezone = check_timezone(timezone)
    except ShopError:
        timezone = values["timezone"]
    if shop is None:
        shop = create_shop(
            db,
            platform="prestashop",
            domain=domain,
            timezone=timezone,
            currency=lookups.default_currency or "EUR",
            name=lookups.shop_name or domain,
        )
    else:
        shop.uninstalled_at = None
    store_credentials(
        shop, SecretBox.from_settings(current), {"shop_url": shop_url, "webservice_key": key}
    )
    remember_lookups(shop, lookups)
    db.commit()
    sync_error = None
    try:
        enqueue(current, full_sync, shop.id, job_id=f"prestashop-full-{shop.id}",
                description=f"PrestaShop full sync of {domain}")  # fmt: skip
        schedule_polling(shop.id, None, current)
    except JobFailed as error:
        sync_error = str(error.__cause__ or error)
    except Exception as error:  # Redis down: the shop is saved; the sync can be re-run
        log.warning("PrestaShop first sync of %s not enqueued: %s", domain, error)
        sync_error = f"the first sync could not be started: {error}"
    public_url = current.public_url.rstrip("/")
    return render_template(
        "prestashop/connected.html",
        shop=shop,
        reconnected=reconnected,
        signing_secret=shop_signing_secret(current, shop.public_id),
        public_url=public_url,
        push_url=f"{public_url}/webhooks/prestashop/{shop.public_id}",
        optional_missing=report.optional_missing,
        sync_error=sync_error,
        inline=current.jobs_inline,
    )


__all__ = ["ResourceNotPermitted", "blueprint"]

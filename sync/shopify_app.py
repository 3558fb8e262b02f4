"""A Shopify shop's life as an installation: install (or reinstall), after-install tasks,
uninstall, and the erasure Shopify requires 48 hours after an uninstall.

Install stores the expiring offline token pair and notes what the granted scopes allow
(without `read_all_orders`, Shopify only shows the last 60 days of orders: the merchant is
told). Uninstall deletes our tokens (Shopify has already revoked them), marks the shop
uninstalled, cancels its queued and scheduled jobs at once (a running sync stops at its next
page: it asks for a token and is refused), and schedules the shop's erasure 48 hours later,
which `shop/redact` also triggers when Shopify sends it.
"""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

from redis.exceptions import RedisError
from rq.job import Job
from rq.registry import DeferredJobRegistry, ScheduledJobRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.shopify import app_installation
from connectors.shopify.oauth import TokenSet
from sync.queue import enqueue, job_sessions, job_settings, rq_queue
from sync.secrets import SecretBox
from sync.settings import Settings
from sync.shops import ShopError, create_shop, store_credentials
from sync.store import Shop, utcnow

log = logging.getLogger(__name__)

REDACT_DELAY = timedelta(hours=48)
ALL_ORDERS_SCOPE = "read_all_orders"
MISSING_ALL_ORDERS = (
    "Cible was not granted read_all_orders: Shopify only shares the last 60 days of orders, "
    "so customer statistics and segments miss older orders. Approve the updated access in "
    "the app's page of your Shopify admin."
)
# Jobs whose first argument is a shop id (cancelled at uninstall); jobs that carry
# `meta["shop_id"]` or a `shop_id` keyword argument are recognised too.
SHOP_JOB_FUNCTIONS = {
    "sync.jobs.recompute_statistics",
    "sync.segments.jobs.evaluate_shop_job",
    "sync.segments.jobs.evaluate_time_relative",
    "sync.segments.jobs.evaluate_customers_job",
    "sync.shopify_app.after_install",
}
SHOP_JOB_MODULE_PREFIXES = ("sync.shopify_sync.",)


def shopify_settings(shop: Shop) -> dict:
    return dict((shop.settings or {}).get("shopify") or {})


def _set_shopify_settings(shop: Shop, values: dict) -> None:
    merged = dict(shop.settings or {})
    merged["shopify"] = values
    shop.settings = merged


def install(
    session: Session, settings: Settings, domain: str, tokens: TokenSet, *, via: str
) -> tuple[Shop, bool]:
    """Create the shop (first install) or revive it (reinstall); store the token pair.

    Returns (shop, fresh): fresh is True on a first install or a reinstall, when the
    after-install tasks (metafield, backfill) must run. Flushes; the caller commits.
    """
    shop = session.scalar(select(Shop).where(Shop.domain == domain))
    fresh = False
    if shop is None:
        shop = create_shop(session, platform="shopify", domain=domain, currency="USD")
        fresh = True
    elif shop.platform != "shopify":
        raise ShopError(f"{domain} is already connected as a {shop.platform} shop")
    if shop.uninstalled_at is not None:
        shop.uninstalled_at = None
        shop.installed_at = utcnow()
        fresh = True
    scopes = {s.strip() for s in (tokens.scope or "").split(",") if s.strip()}
    values = shopify_settings(shop)
    values.pop("redact_after", None)
    values.update(
        scopes=sorted(scopes),
        installed_via=via,
        warnings=[] if ALL_ORDERS_SCOPE in scopes else [MISSING_ALL_ORDERS],
    )
    _set_shopify_settings(shop, values)
    store_credentials(shop, SecretBox.from_settings(settings), tokens.as_credentials())
    session.flush()
    _cancel_redaction(settings, shop.id)
    return shop, fresh


def after_install(shop_id: int) -> dict:
    """The job after a (re)install: the theme extension's metafield, then the backfill."""
    from sync.shopify_tokens import access_token

    settings = job_settings()
    with job_sessions()() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None:
            return {"skipped": "shop gone or uninstalled"}
        token = access_token(session, shop, settings)
        details = app_installation.set_public_id(
            settings.shopify_shop_url(shop.domain),
            settings.shopify_api_version,
            token,
            shop.public_id,
            settings.public_url,
        )
        shop.name = details.get("name") or shop.name
        if details.get("currencyCode"):
            shop.currency = details["currencyCode"]
        if details.get("ianaTimezone"):
            shop.timezone = details["ianaTimezone"]
        session.commit()
    backfill = start_backfill(settings, shop_id)
    return {"metafield": "cible.public_id", "backfill": backfill}


def start_backfill(settings: Settings, shop_id: int) -> str:
    """Enqueue the data sync's backfill (sync.shopify_sync), if that module offers one."""
    try:
        from sync import shopify_sync
    except ImportError:
        return "unavailable: sync.shopify_sync is missing"
    job = getattr(shopify_sync, "backfill_job", None) or getattr(shopify_sync, "backfill", None)
    if job is None:
        return "unavailable: sync.shopify_sync has no backfill job"
    handle = enqueue(settings, job, shop_id, job_id=f"shopify-backfill-{shop_id}")
    return handle.id or "inline"


def uninstall(session: Session, settings: Settings, shop: Shop) -> int:
    """app/uninstalled: tokens deleted, shop marked, jobs cancelled, erasure scheduled.

    Returns the number of jobs cancelled. Flushes; the caller commits.
    """
    now = utcnow()
    shop.uninstalled_at = now
    shop.credentials = None
    values = shopify_settings(shop)
    values["redact_after"] = (now + REDACT_DELAY).isoformat()
    _set_shopify_settings(shop, values)
    session.flush()
    cancelled = cancel_shop_jobs(settings, shop.id)
    _schedule_redaction(settings, shop.id, now + REDACT_DELAY)
    return cancelled


def _belongs_to(job: Job, shop_id: int) -> bool:
    if job.meta.get("shop_id") == shop_id or (job.kwargs or {}).get("shop_id") == shop_id:
        return True
    name = job.func_name or ""
    first = job.args[0] if job.args else None
    shop_job = name in SHOP_JOB_FUNCTIONS or name.startswith(SHOP_JOB_MODULE_PREFIXES)
    return shop_job and first == shop_id


def cancel_shop_jobs(settings: Settings, shop_id: int) -> int:
    """Cancel the shop's queued, scheduled and deferred RQ jobs (none inline)."""
    if settings.jobs_inline:
        return 0
    queue = rq_queue(settings)
    cancelled = 0
    try:
        ids = set(queue.get_job_ids())
        ids |= set(ScheduledJobRegistry(queue=queue).get_job_ids())
        ids |= set(DeferredJobRegistry(queue=queue).get_job_ids())
        for job in Job.fetch_many(sorted(ids), connection=queue.connection):
            if job is None or not _belongs_to(job, shop_id):
                continue
            if job.id == redaction_job_id(shop_id):
                continue
            job.cancel()
            cancelled += 1
    except RedisError as error:
        log.warning("shop %s: jobs not cancelled, Redis unavailable (%s)", shop_id, error)
    return cancelled


def redaction_job_id(shop_id: int) -> str:
    return f"shopify-shop-redact-{shop_id}"


def _schedule_redaction(settings: Settings, shop_id: int, at) -> None:
    if settings.jobs_inline:
        return  # Shopify's shop/redact (48 h after uninstall) erases it then
    from sync.compliance import redact_shop_job

    try:
        queue = rq_queue(settings)
        queue.enqueue_at(
            at.replace(tzinfo=UTC),
            redact_shop_job,
            shop_id,
            job_id=redaction_job_id(shop_id),
            description=f"erase uninstalled Shopify shop {shop_id}",
        )
    except RedisError as error:
        log.warning("shop %s: erasure not scheduled, Redis unavailable (%s)", shop_id, error)


def _cancel_redaction(settings: Settings, shop_id: int) -> None:
    if settings.jobs_inline:
        return
    try:
        queue = rq_queue(settings)
        job = queue.fetch_job(redaction_job_id(shop_id))
        if job is not None:
            job.cancel()
            job.delete()
    except RedisError as error:
        log.warning("shop %s: scheduled erasure not cancelled (%s)", shop_id, error)

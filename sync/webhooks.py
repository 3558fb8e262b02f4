"""The webhook inbox: every incoming delivery is recorded first, then processed by a job.

Platforms give a webhook endpoint a few seconds to answer and redeliver what was not
acknowledged, sometimes twice, sometimes out of order. So the web route only verifies the
signature, records the raw delivery (deduplicated on the platform's event id) and commits;
processing happens in `process_delivery`, a job. If Redis is down when the route enqueues,
the delivery simply stays `received`: `replay_pending` (run by the worker's schedule and by
`cible webhooks replay`) picks it up later, so nothing is lost.

A delivery's life: received -> processing -> done | ignored | failed; a failed delivery is
retried by `replay_pending` with growing delays until MAX_ATTEMPTS.
Each platform's handler module exposes `handle(session, shop, delivery) -> "done" |
"ignored"`; raising marks the delivery failed. The handler's writes and the delivery's
final status are committed in one transaction, so a crash never half-applies a delivery.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync.queue import JOB_TIMEOUT, enqueue, job_sessions, job_settings, rq_queue
from sync.settings import Settings
from sync.store import Shop, WebhookDelivery, session_factory, utcnow

log = logging.getLogger(__name__)

HANDLER_MODULES = {
    "shopify": "sync.shopify_webhooks",
    "woocommerce": "sync.woocommerce_webhooks",
    "prestashop": "sync.prestashop_pushes",
}
# A failed delivery is retried after these delays (by replay_pending), then left failed.
RETRY_DELAYS = (30, 120, 600, 1800)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A delivery 'processing' for longer than this lost its worker: it is taken back.
STALE_CLAIM_SECONDS = 900
# How often `cible worker` replays pending deliveries.
REPLAY_EVERY_SECONDS = 60
# After Redis refused an enqueue, deliveries are only recorded for this long (no retry).
REDIS_PAUSE_SECONDS = 5
_redis_down_until: dict[str, float] = {}
# Headers worth keeping with a delivery (the body is kept whole): names lower-cased.
KEPT_HEADER_PREFIXES = ("x-shopify-", "x-wc-", "x-cible-", "x-prestashop-", "content-type")


class UnknownPlatform(ValueError):
    """A delivery for a platform that has no handler module."""


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run `callback` once the handler's transaction is committed (e.g. enqueue the segment
    re-check of the customers it touched, which must see the committed rows)."""
    session.info.setdefault("cible_after_commit", []).append(callback)


def kept_headers(headers) -> dict:
    """The platform's headers of a request, lower-cased; cookies and auth never kept."""
    return {
        name.lower(): value
        for name, value in dict(headers).items()
        if name.lower().startswith(KEPT_HEADER_PREFIXES)
    }


def record_delivery(
    session: Session,
    shop: Shop,
    *,
    platform: str,
    topic: str,
    event_id: str,
    body: bytes,
    headers: dict,
    webhook_id: str | None = None,
) -> tuple[WebhookDelivery, bool]:
    """Insert into webhook_deliveries, deduplicated on (shop_id, event_id).

    Returns (row, created): a redelivery returns the row already recorded and False.
    Writes in the caller's transaction; the caller commits, then calls enqueue_delivery.
    """
    if platform not in HANDLER_MODULES:
        raise UnknownPlatform(f"no webhook handler for platform {platform!r}")
    if not event_id:
        raise ValueError("a webhook delivery needs an event id (its deduplication key)")
    event_id = str(event_id)[:255]
    values = {
        "shop_id": shop.id,
        "platform": platform,
        "topic": topic[:128],
        "event_id": event_id,
        "webhook_id": webhook_id,
        "body": bytes(body),
        "headers": dict(headers),
        "status": "received",
        "attempts": 0,
        "received_at": utcnow(),
    }
    # One statement: INSERT ... ON CONFLICT DO NOTHING RETURNING id (PostgreSQL, SQLite), so
    # a concurrent redelivery of the same event loses the race without an error.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = session.scalars(
        dialect.insert(WebhookDelivery)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["shop_id", "event_id"])
        .returning(WebhookDelivery)
    ).first()
    if inserted is None:
        return _find(session, shop.id, event_id), False
    return inserted, True


def _find(session: Session, shop_id: int, event_id: str) -> WebhookDelivery | None:
    return session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.shop_id == shop_id, WebhookDelivery.event_id == str(event_id)[:255]
        )
    )


def job_id_for(delivery_id: int) -> str:
    return f"webhook-delivery-{delivery_id}"


def enqueue_delivery(settings: Settings, delivery_id: int, *, force: bool = False) -> bool:
    """Enqueue process_delivery (inline without Redis); False when Redis cannot be reached.

    On False the delivery stays 'received' and replay_pending picks it up later: the
    caller still answers the platform with success, since the delivery is safely stored.
    After a failure, Redis is not tried again for REDIS_PAUSE_SECONDS, so that a burst
    during an outage is answered at once instead of each request waiting on retries;
    `force` (replays) tries anyway, and deduplicates against a job still waiting.
    """
    if settings.jobs_inline:
        enqueue(settings, process_delivery, delivery_id, retries=0)
        return True
    if not force and time.monotonic() < _redis_down_until.get(settings.redis_url, 0):
        return False
    try:
        if force:  # a replay: the delivery's job may still be waiting
            enqueue(
                settings,
                process_delivery,
                delivery_id,
                job_id=job_id_for(delivery_id),
                retries=0,
                description=f"webhook delivery {delivery_id}",
            )
        else:  # a new delivery: one round trip to Redis
            rq_queue(settings).enqueue(
                process_delivery,
                args=(delivery_id,),
                job_id=job_id_for(delivery_id),
                description=f"webhook delivery {delivery_id}",
                job_timeout=JOB_TIMEOUT,
                result_ttl=3600,
                failure_ttl=30 * 86400,
            )
    except RedisError as error:
        _redis_down_until[settings.redis_url] = time.monotonic() + REDIS_PAUSE_SECONDS
        log.warning(
            "webhook delivery %s kept for replay: Redis unavailable (%s); not tried again for %d s",
            delivery_id,
            error,
            REDIS_PAUSE_SECONDS,
        )
        return False
    _redis_down_until.pop(settings.redis_url, None)
    return True


def process_delivery(delivery_id: int) -> str | None:
    """The job: claim the delivery, dispatch it to its platform's handler, record the outcome.

    Idempotent: a delivery already done, ignored, being processed elsewhere or failed for
    good is skipped (returns None). Returns the final status otherwise.
    """
    factory = job_sessions()
    if not _claim(factory, delivery_id):
        log.info("webhook delivery %s: nothing to do (already handled or claimed)", delivery_id)
        return None
    session = factory()
    try:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:  # erased with its shop meanwhile
            session.close()
            return None
        shop = session.get(Shop, delivery.shop_id)
        handler = _handler(delivery.platform)
        outcome = handler.handle(session, shop, delivery)
        if outcome not in ("done", "ignored"):
            raise ValueError(f"handler answered {outcome!r}, expected 'done' or 'ignored'")
        if delivery in session:  # shop/redact erases the delivery with its shop
            delivery.status = outcome
            delivery.processed_at = utcnow()
            if outcome == "done":
                delivery.last_error = None  # an 'ignored' delivery keeps its handler's reason
        session.commit()
    except Exception as error:
        session.rollback()
        session.info.pop("cible_after_commit", None)
        log.warning("webhook delivery %s failed: %s", delivery_id, error, exc_info=True)
        with factory.begin() as failed:
            failed.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id)
                .values(status="failed", last_error=f"{type(error).__name__}: {error}"[:4000])
            )
        session.close()
        return "failed"
    try:
        for callback in session.info.pop("cible_after_commit", []):
            try:
                callback()
            except Exception as error:  # the delivery is done; a follow-up may retry itself
                log.warning("after webhook delivery %s: %s", delivery_id, error)
        return outcome
    finally:
        session.close()


def _claim(factory, delivery_id: int) -> bool:
    """Move the delivery to 'processing' (one attempt more) unless someone else has it."""
    with factory.begin() as session:
        claimed = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                or_(
                    WebhookDelivery.status == "received",
                    (WebhookDelivery.status == "failed")
                    & (WebhookDelivery.attempts < MAX_ATTEMPTS),
                ),
            )
            .values(
                status="processing",
                attempts=WebhookDelivery.attempts + 1,
                processed_at=utcnow(),
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )
        return claimed.rowcount == 1


def _handler(platform: str):
    if platform not in HANDLER_MODULES:
        raise UnknownPlatform(f"no webhook handler for platform {platform!r}")
    return importlib.import_module(HANDLER_MODULES[platform])


def delivery_payload(delivery: WebhookDelivery):
    """The delivery's JSON body (handlers call this; the route checked it parses)."""
    return json.loads(bytes(delivery.body).decode("utf-8"))


def pending_ids(session: Session, now: datetime, older_than_seconds: int = 30) -> list[int]:
    """Deliveries to (re)process now: received and not picked up, failed and due a retry,
    or processing for so long that their worker was lost."""
    received_before = now - timedelta(seconds=older_than_seconds)
    conditions = [
        (WebhookDelivery.status == "received") & (WebhookDelivery.received_at <= received_before),
        (WebhookDelivery.status == "processing")
        & (WebhookDelivery.processed_at <= now - timedelta(seconds=STALE_CLAIM_SECONDS)),
    ]
    for attempts, delay in enumerate(RETRY_DELAYS, start=1):
        conditions.append(
            (WebhookDelivery.status == "failed")
            & (WebhookDelivery.attempts == attempts)
            & (WebhookDelivery.processed_at <= now - timedelta(seconds=delay))
        )
    return list(
        session.scalars(
            select(WebhookDelivery.id).where(or_(*conditions)).order_by(WebhookDelivery.id)
        )
    )


def replay_pending(settings: Settings, older_than_seconds: int = 30) -> int:
    """Re-enqueue deliveries still 'received' (or 'failed' with attempts left).

    Returns how many were enqueued; stops at the first Redis failure (the rest waits for
    the next replay). Run by the worker's schedule and by `cible webhooks replay`.
    """
    factory = session_factory(settings.resolved_database_url())
    now = utcnow()
    with factory.begin() as session:
        ids = pending_ids(session, now, older_than_seconds)
        lost = now - timedelta(seconds=STALE_CLAIM_SECONDS)
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.status == "processing",
                WebhookDelivery.processed_at <= lost,
                WebhookDelivery.id.in_(ids),
            )
            .values(status="received", last_error="worker lost while processing")
            .execution_options(synchronize_session=False)
        )
    enqueued = 0
    for delivery_id in ids:
        if not enqueue_delivery(settings, delivery_id, force=True):
            break
        enqueued += 1
    if ids:
        log.info("webhook replay: %d of %d pending deliveries enqueued", enqueued, len(ids))
    return enqueued


def replay_job() -> int:
    """The worker's periodic replay: replays, then schedules the next run on RQ."""
    settings = job_settings()
    count = replay_pending(settings)
    if not settings.jobs_inline:
        schedule_replay(settings)
    return count


def schedule_replay(settings: Settings, now: datetime | None = None) -> str | None:
    """Schedule the next periodic replay on RQ (deduplicated by a job id per time slot)."""
    if settings.jobs_inline:
        return None
    now = now or utcnow()
    slot = int(now.replace(tzinfo=UTC).timestamp()) // REPLAY_EVERY_SECONDS + 1
    at = datetime.fromtimestamp(slot * REPLAY_EVERY_SECONDS, UTC)
    job_id = f"webhooks-replay-{slot}"
    queue = rq_queue(settings)
    try:
        if queue.fetch_job(job_id) is None:
            queue.enqueue_at(at, replay_job, job_id=job_id, description="webhook replay")
    except RedisError as error:
        log.warning("webhook replay not scheduled: Redis unavailable (%s)", error)
        return None
    return job_id

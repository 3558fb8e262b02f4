"""The webhook inbox (sync/webhooks.py): record first, deduplicate, process in a job, replay
what Redis could not take. A probe handler stores real products through ingest."""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from datetime import timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select, update

from sync import webhooks
from sync.queue import _current_settings, rq_queue, use_settings
from sync.store import Product, WebhookDelivery, utcnow
from tests.inbox import probe_handler


@pytest.fixture(autouse=True)
def probe(monkeypatch):
    monkeypatch.setitem(webhooks.HANDLER_MODULES, "woocommerce", "tests.inbox.probe_handler")
    probe_handler.FAILURES["remaining"] = 0
    yield probe_handler
    probe_handler.FAILURES["remaining"] = 0


def _record(db, shop, event_id="evt-1", **payload):
    body = {"id": 7, "title": "Truffes", "updated_at": "2026-11-20T10:00:00", **payload}
    row, created = webhooks.record_delivery(
        db,
        shop,
        platform="woocommerce",
        topic="product.updated",
        event_id=event_id,
        body=json.dumps(body).encode(),
        headers={"x-wc-webhook-topic": "product.updated"},
        webhook_id="12",
    )
    db.commit()
    return row, created


def _status(db, delivery_id):
    db.expire_all()
    return db.get(WebhookDelivery, delivery_id)


def _closed_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return probe_socket.getsockname()[1]


def test_a_redelivery_is_recorded_once(db, shop):
    first, created = _record(db, shop)
    again, created_again = _record(db, shop, title="changed")
    assert created and not created_again and again.id == first.id
    assert db.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
    assert json.loads(again.body)["title"] == "Truffes"
    assert (first.status, first.webhook_id, first.headers) == (
        "received",
        "12",
        {"x-wc-webhook-topic": "product.updated"},
    )


def test_unknown_platform_and_missing_event_id_are_refused(db, shop):
    with pytest.raises(webhooks.UnknownPlatform):
        webhooks.record_delivery(
            db, shop, platform="magento", topic="x", event_id="1", body=b"{}", headers={}
        )
    with pytest.raises(ValueError, match="event id"):
        webhooks.record_delivery(
            db, shop, platform="woocommerce", topic="x", event_id="", body=b"{}", headers={}
        )


def test_inline_processing_stores_and_is_idempotent(settings, db, shop):
    row, _ = _record(db, shop)
    assert webhooks.enqueue_delivery(settings, row.id) is True
    done = _status(db, row.id)
    assert (done.status, done.attempts, done.last_error) == ("done", 1, None)
    assert done.processed_at is not None
    assert db.scalar(select(Product.title).where(Product.external_id == "7")) == "Truffes"
    token = use_settings(settings)
    try:
        assert webhooks.process_delivery(row.id) is None  # already done: skipped
    finally:
        _current_settings.reset(token)
    assert _status(db, row.id).attempts == 1


def test_ignored_delivery_keeps_its_reason(settings, db, shop):
    row, _ = _record(db, shop, ignore=True)
    webhooks.enqueue_delivery(settings, row.id)
    ignored = _status(db, row.id)
    assert (ignored.status, ignored.last_error) == (
        "ignored",
        "ignored: nothing to do for this topic",
    )


def test_failure_is_recorded_and_retried_after_its_delay(settings, db, shop, probe):
    probe.FAILURES["remaining"] = 1
    row, _ = _record(db, shop)
    webhooks.enqueue_delivery(settings, row.id)
    failed = _status(db, row.id)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "platform answered 503" in failed.last_error
    assert db.scalar(select(func.count()).select_from(Product)) == 0  # rolled back
    # Not due yet: the first retry waits RETRY_DELAYS[0] seconds.
    assert webhooks.replay_pending(settings, older_than_seconds=0) == 0
    earlier = utcnow() - timedelta(seconds=webhooks.RETRY_DELAYS[0] + 1)
    db.execute(update(WebhookDelivery).values(processed_at=earlier))
    db.commit()
    assert webhooks.replay_pending(settings, older_than_seconds=0) == 1
    done = _status(db, row.id)
    assert (done.status, done.attempts, done.last_error) == ("done", 2, None)


def test_a_delivery_that_keeps_failing_stops_at_max_attempts(settings, db, shop, probe):
    probe.FAILURES["remaining"] = 100
    row, _ = _record(db, shop)
    webhooks.enqueue_delivery(settings, row.id)
    for _ in range(webhooks.MAX_ATTEMPTS + 2):
        long_ago = utcnow() - timedelta(days=1)
        db.execute(update(WebhookDelivery).values(processed_at=long_ago))
        db.commit()
        webhooks.replay_pending(settings, older_than_seconds=0)
    final = _status(db, row.id)
    assert (final.status, final.attempts) == ("failed", webhooks.MAX_ATTEMPTS)


def test_redis_down_keeps_the_delivery_for_replay(settings, db, shop):
    down = replace(settings, redis_url=f"redis://127.0.0.1:{_closed_port()}/0")
    row, _ = _record(db, shop)
    assert webhooks.enqueue_delivery(down, row.id) is False
    assert _status(db, row.id).status == "received"
    assert webhooks.replay_pending(down, older_than_seconds=0) == 0
    # Recent deliveries wait for their own enqueue; older ones are replayed.
    assert webhooks.replay_pending(settings, older_than_seconds=3600) == 0
    assert webhooks.replay_pending(settings, older_than_seconds=0) == 1
    assert _status(db, row.id).status == "done"
    assert db.scalar(select(Product.title).where(Product.external_id == "7")) == "Truffes"


def test_a_lost_claim_is_taken_back(settings, db, shop):
    row, _ = _record(db, shop)
    stale = utcnow() - timedelta(seconds=webhooks.STALE_CLAIM_SECONDS + 5)
    db.execute(update(WebhookDelivery).values(status="processing", attempts=1, processed_at=stale))
    db.commit()
    assert webhooks.replay_pending(settings, older_than_seconds=0) == 1
    assert (_status(db, row.id).status, _status(db, row.id).attempts) == ("done", 2)


def test_on_redis_a_worker_processes_enqueued_and_replayed_deliveries(redis_settings, db, shop):
    first, _ = _record(db, shop, "evt-1")
    second, _ = _record(db, shop, "evt-2", id=8, title="Pralines")
    assert webhooks.enqueue_delivery(redis_settings, first.id) is True
    queue = rq_queue(redis_settings)
    assert queue.count == 1
    assert _status(db, first.id).status == "received"
    assert webhooks.replay_pending(redis_settings, older_than_seconds=0) == 2
    assert queue.count == 2  # first's job was already waiting: not enqueued twice
    token = use_settings(redis_settings)
    try:
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:
        _current_settings.reset(token)
    assert {_status(db, first.id).status, _status(db, second.id).status} == {"done"}
    titles = set(db.scalars(select(Product.title)))
    assert titles == {"Truffes", "Pralines"}


def test_schedule_replay_is_deduplicated(redis_settings):
    from rq.registry import ScheduledJobRegistry

    now = utcnow()
    first = webhooks.schedule_replay(redis_settings, now)
    again = webhooks.schedule_replay(redis_settings, now)
    assert first == again and first.startswith("webhooks-replay-")
    registry = ScheduledJobRegistry(queue=rq_queue(redis_settings))
    assert registry.get_job_ids() == [first]


def test_cli_replays_and_shows_status(settings, db, shop, cli_runner):
    row, _ = _record(db, shop)
    result = cli_runner("webhooks", "replay", "--older-than", "0")
    assert result.exit_code == 0, result.output
    assert "1 deliveries processed" in result.output
    status = cli_runner("webhooks", "status")
    assert "woocommerce\tdone\t1" in status.output


def test_after_a_redis_failure_new_deliveries_are_recorded_without_waiting(settings, db, shop):
    import time as clock

    down = replace(settings, redis_url=f"redis://127.0.0.1:{_closed_port()}/0")
    first, _ = _record(db, shop, "evt-1")
    second, _ = _record(db, shop, "evt-2")
    assert webhooks.enqueue_delivery(down, first.id) is False
    started = clock.monotonic()
    assert webhooks.enqueue_delivery(down, second.id) is False  # paused: Redis not tried
    assert clock.monotonic() - started < 0.05
    assert webhooks.replay_pending(down, older_than_seconds=0) == 0  # a replay tries anyway
    webhooks._redis_down_until.clear()

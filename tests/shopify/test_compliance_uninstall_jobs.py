"""app/uninstalled stops the shop's work at once: queued and scheduled RQ jobs of that shop
are cancelled (other shops' are not), the erasure is scheduled 48 hours later, and a sync
already running stops at its next page (its token is refused)."""
# ruff: noqa: F811  (fixtures imported from tests.shopify.appside)

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, timedelta

import pytest
from rq.registry import ScheduledJobRegistry

from sync import shopify_sync
from sync.jobs import recompute_statistics
from sync.queue import enqueue, redis_connection, rq_queue
from sync.segments.jobs import evaluate_time_relative
from sync.shopify_app import redaction_job_id, uninstall
from sync.shopify_tokens import ShopifyTokenError
from sync.shops import create_shop
from sync.store import session_factory, utcnow
from tests.shopify.appside import SHOP, installed  # noqa: F401


@pytest.fixture
def queued_settings(shopify_settings, redis_url):
    name = f"cible-test-{secrets.token_hex(4)}"
    yield replace(shopify_settings, redis_url=redis_url, queue_name=name)
    connection = redis_connection(redis_url)
    for key in connection.scan_iter(f"*{name}*"):
        connection.delete(key)


def test_uninstall_cancels_that_shops_jobs_only(queued_settings, db, installed):
    other = create_shop(db, platform="csv", domain="voisin.example.fr")
    db.commit()
    queue = rq_queue(queued_settings)
    mine = [
        enqueue(queued_settings, recompute_statistics, installed.id).id,
        enqueue(queued_settings, shopify_sync.backfill, installed.id, job_id="bf").id,
    ]
    theirs = enqueue(queued_settings, recompute_statistics, other.id).id
    later = (utcnow() + timedelta(hours=3)).replace(tzinfo=UTC)
    scheduled = queue.enqueue_at(later, evaluate_time_relative, installed.id).id
    cancelled = uninstall(db, queued_settings, installed)
    db.commit()
    assert cancelled == 3
    assert queue.get_job_ids() == [theirs]
    registry = ScheduledJobRegistry(queue=queue)
    assert scheduled not in registry.get_job_ids()
    assert redaction_job_id(installed.id) in registry.get_job_ids()
    assert all(queue.fetch_job(job_id).get_status() == "canceled" for job_id in mine)


def test_a_running_sync_stops_at_its_next_page(shopify_settings, db, installed, shopify_emulator):
    shopify_emulator.seed(SHOP, customers=3, orders=3, products=2)
    sessions = session_factory(shopify_settings.database_url)
    client = shopify_sync.make_client(shopify_settings, sessions, installed.id)
    assert client.execute("{ shop { name } }")["shop"]["name"]
    uninstall(db, shopify_settings, installed)
    db.commit()
    shopify_emulator.revoke(SHOP)  # what Shopify does to the tokens on uninstall
    with pytest.raises(ShopifyTokenError):
        client.execute("{ shop { name } }")

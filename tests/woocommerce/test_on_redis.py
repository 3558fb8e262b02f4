"""With Redis, the first sync and webhook deliveries are RQ jobs a worker runs."""

from __future__ import annotations

import time

from rq import SimpleWorker
from sqlalchemy import select

from sync.queue import _current_settings, rq_queue, use_settings
from sync.store import Customer, SyncRun, WebhookDelivery
from tests.woocommerce.compare import differences, expected, stored


def work(settings) -> None:
    queue = rq_queue(settings)
    token = use_settings(settings)
    try:
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:
        _current_settings.reset(token)


def test_first_sync_and_deliveries_run_on_a_worker(cible_on_redis, emulator):
    cible = cible_on_redis
    answer = cible.connect(emulator)
    assert answer.status_code == 200 and "Connected" in answer.text
    shop = cible.shop(emulator.domain)
    queue = rq_queue(cible.settings)
    # Enqueued once the callback's answer has gone out to the store.
    deadline = time.monotonic() + 10
    while f"woocommerce-sync-{shop.id}" not in queue.job_ids:
        assert time.monotonic() < deadline, "the first sync was never enqueued"
        time.sleep(0.05)
    work(cible.settings)
    with cible.sessions()() as session:
        runs = session.scalars(select(SyncRun).where(SyncRun.shop_id == shop.id)).all()
        assert {run.status for run in runs} == {"succeeded"} and len(runs) == 3
        assert differences(expected(emulator), stored(session, shop.id)) == []

    customer_id = next(iter(emulator.store.customers))
    emulator.update_customer(customer_id, city="Clisson")
    assert emulator.deliveries[-1].status == 200
    with cible.sessions()() as session:
        assert session.scalar(select(WebhookDelivery.status)) == "received"
    work(cible.settings)
    with cible.sessions()() as session:
        assert session.scalar(select(WebhookDelivery.status)) == "done"
        city = session.scalar(select(Customer.city).where(Customer.external_id == str(customer_id)))
        assert city == "Clisson"

"""`cible worker` schedules each PrestaShop shop's polling on RQ; each poll schedules the next."""

from __future__ import annotations

from datetime import timedelta

from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from sync.prestashop_sync import POLL_EVERY, schedule_all_polling
from sync.queue import rq_queue, use_settings
from sync.secrets import SecretBox
from sync.shops import create_shop, store_credentials
from sync.store import Customer, utcnow
from tests.emulators.prestashop import DEFAULT_KEY


def test_polls_are_scheduled_once_and_reschedule_themselves(db, redis_settings, emulator):
    shop = create_shop(db, platform="prestashop", domain="poll.presta.test")
    store_credentials(
        shop, SecretBox.from_settings(redis_settings),
        {"shop_url": emulator.url, "webservice_key": DEFAULT_KEY},
    )  # fmt: skip
    create_shop(db, platform="csv", domain="not-polled.example")
    db.commit()
    now = utcnow()
    first = schedule_all_polling(db, now, redis_settings)
    assert len(first) == 1 and first[0].startswith(f"prestashop-poll-{shop.id}-")
    assert schedule_all_polling(db, now, redis_settings) == first  # deduplicated
    queue = rq_queue(redis_settings)
    registry = ScheduledJobRegistry(queue=queue)
    assert registry.get_job_ids() == first
    # The worker runs the job: it polls the shop, then schedules the next poll.
    token = use_settings(redis_settings)
    try:
        outcome = queue.fetch_job(first[0]).perform()
    finally:
        from sync.queue import _current_settings

        _current_settings.reset(token)
    assert outcome["records"]["customers"] == 60
    assert db.scalar(select(Customer).where(Customer.external_id == "1")) is not None
    later = [job for job in registry.get_job_ids() if job not in first]
    assert len(later) == 1
    scheduled = registry.get_scheduled_time(later[0]).replace(tzinfo=None)
    assert now + POLL_EVERY - timedelta(seconds=5) <= scheduled
